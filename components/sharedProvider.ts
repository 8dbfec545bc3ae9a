/**
 * One provider object per kind of dynamic resource. The SDK serializes a dynamic provider's
 * code (an inspector session per function) for every resource it is given to, unless it has
 * serialized that very object before: its cache is keyed by the object. Handing every
 * resource of a kind the same object makes the second one free (two ClaimNodes, two
 * VolumeReclaimPolicy, two KeptVolumeHandBack, two CopySource per run).
 */
export function sharedProvider<T extends object>(make: () => T): () => T {
    let made: T | undefined;
    return () => (made ??= make());
}
