/**
 * What each volume provisioner can actually serve. Access modes are promises about nodes,
 * and a class that cannot serve a mode leaves the claim Pending forever, so the program
 * refuses such a request before anything is created.
 *
 * Sources: kubernetes/website persistent-volumes.md, kubernetes-sigs/kind#2371,
 * kubernetes-sigs/aws-ebs-csi-driver#2178, kubernetes-sigs/aws-efs-csi-driver#502 and #972.
 */

export type AccessMode = "ReadWriteOnce" | "ReadWriteOncePod" | "ReadOnlyMany" | "ReadWriteMany";

export const accessModes: readonly AccessMode[] = [
    "ReadWriteOnce",
    "ReadWriteOncePod",
    "ReadOnlyMany",
    "ReadWriteMany",
];

export type BindingMode = "Immediate" | "WaitForFirstConsumer";

/**
 * What a bigger request on a bound claim does: the volume grows in place (the class must
 * allow expansion, as ours do), it cannot grow, or the size means nothing (the API server
 * still refuses the change when the class does not allow expansion).
 */
export type Resize = "expands" | "fixed" | "ignored";

export interface ProvisionerCapabilities {
    /** Modes a claim on this provisioner can bind with. */
    accessModes: readonly AccessMode[];
    /** How the provisioner's classes should bind (or do bind, for classes we do not own). */
    bindingMode: BindingMode;
    /** Why a mode is missing, for error messages. */
    note: string;
    resize: Resize;
}

/**
 * The provisioner name of kind's `shared` class: a second local-path-provisioner in
 * shared-file-system mode, whose volumes are folders of one host folder every node mounts.
 */
export const sharedPathProvisioner = "agent-storage.dev/shared-path";

export const provisioners: Readonly<Record<string, ProvisionerCapabilities>> = {
    "rancher.io/local-path": {
        accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
        bindingMode: "WaitForFirstConsumer",
        note: "local-path volumes are directories on one node: ReadWriteOnce or ReadWriteOncePod only",
        resize: "fixed",
    },
    "ebs.csi.aws.com": {
        accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
        bindingMode: "WaitForFirstConsumer",
        note: "an EBS volume attaches to one node in one AZ (multi-attach is io2 block mode only)",
        resize: "expands",
    },
    "efs.csi.aws.com": {
        accessModes: ["ReadWriteOnce", "ReadWriteMany"],
        bindingMode: "Immediate",
        note: 'the EFS CSI driver rejects ReadOnlyMany ("volume capability not supported"); use ReadWriteMany with read-only mounts',
        resize: "ignored",
    },
    [sharedPathProvisioner]: {
        accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"],
        bindingMode: "Immediate",
        note: "one host folder mounted into every kind node: stands for EFS",
        // The folders carry no quota: a size is the record the API keeps, which the resizer
        // beside the provisioner grows (kindSharedStorage.ts).
        resize: "expands",
    },
    "kubernetes.io/no-provisioner": {
        accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"],
        bindingMode: "Immediate",
        note: "a static PersistentVolume carries whatever access-mode labels it is given",
        resize: "fixed",
    },
};

export function isAccessMode(value: string): value is AccessMode {
    return (accessModes as readonly string[]).includes(value);
}

/** Undefined when the provisioner is not one we know: then no verdict is possible. */
export function capabilitiesOf(provisioner: string): ProvisionerCapabilities | undefined {
    return provisioners[provisioner];
}

export function canServe(provisioner: string, mode: AccessMode): boolean | undefined {
    const caps = capabilitiesOf(provisioner);
    return caps === undefined ? undefined : caps.accessModes.includes(mode);
}

/**
 * True when the provisioner's volumes can be mounted from every node at once. A static
 * volume's modes are only labels (a host folder is still on one node), so it never counts.
 */
export function spansNodes(provisioner: string): boolean {
    return provisioner !== "kubernetes.io/no-provisioner" && canServe(provisioner, "ReadWriteMany") === true;
}
