import { ConfigError, ConfigProblem } from "../problems";

export interface MountView {
    /** volumes[] entries of the pod spec. */
    volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }>;
    /** Every container and init container, with its mounts. */
    containers: Array<{ name: string; volumeMounts?: Array<{ name: string; readOnly?: boolean }> }>;
}

/**
 * An access mode does not write-protect a volume: a reader is read-only only when the pod
 * volume and every container mount of it say so. Returns the places that do not.
 */
export function checkReaderMounts(workload: string, claimName: string, spec: MountView): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const volumes = spec.volumes.filter((v) => v.persistentVolumeClaim?.claimName === claimName);
    if (volumes.length === 0) {
        problems.push({
            key: `${workload}.volumes`,
            message: `reader "${workload}" does not mount claim "${claimName}" at all`,
            fix: "mount the embeddings claim in the reader's pod spec",
        });
    }
    for (const volume of volumes) {
        if (volume.persistentVolumeClaim?.readOnly !== true) {
            problems.push({
                key: `${workload}.volumes[${volume.name}].persistentVolumeClaim.readOnly`,
                message: `reader "${workload}" mounts claim "${claimName}" without readOnly on the pod volume`,
                fix: "set persistentVolumeClaim.readOnly: true on the reader's volume",
            });
        }
        for (const container of spec.containers) {
            for (const mount of container.volumeMounts ?? []) {
                if (mount.name === volume.name && mount.readOnly !== true) {
                    problems.push({
                        key: `${workload}.containers[${container.name}].volumeMounts[${mount.name}].readOnly`,
                        message: `container "${container.name}" of reader "${workload}" can write to claim "${claimName}"`,
                        fix: "set readOnly: true on the container's volumeMount",
                    });
                }
            }
        }
    }
    return problems;
}

/** Throws unless every reader container sees the claim read-only. */
export function assertReadOnlyReaders(workload: string, claimName: string, spec: MountView): void {
    const problems = checkReaderMounts(workload, claimName, spec);
    if (problems.length > 0) throw new ConfigError(problems);
}
