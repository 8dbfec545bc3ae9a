// What each StorageClass provisioner can serve, in one place.
//
// Source: /work/shared/reference/storage-facts.md ("What each provisioner can serve"), which
// cites kubernetes/website persistent-volumes.md, kubernetes-sigs/kind#2371,
// kubernetes-sigs/aws-ebs-csi-driver#2178 and kubernetes-sigs/aws-efs-csi-driver#502/#972.
// Read 2026-11-24. A provisioner that is not listed here gets no verdict.

export type AccessMode = "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
export const ACCESS_MODES: readonly AccessMode[] = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

export const SHORT: Record<AccessMode, string> = {
    ReadWriteOnce: "RWO",
    ReadOnlyMany: "ROX",
    ReadWriteMany: "RWX",
    ReadWriteOncePod: "RWOP",
};

export interface Capability {
    modes: readonly AccessMode[];
    /** Why the table says so, repeated in violation messages. */
    note: string;
    /** Extra modes served only for raw block volumes with these class parameters. */
    blockOnly?: { modes: readonly AccessMode[]; parameters: Record<string, string>; note: string };
}

export const PROVISIONER_CAPABILITIES: Readonly<Record<string, Capability>> = {
    "rancher.io/local-path": {
        modes: ["ReadWriteOnce", "ReadWriteOncePod"],
        note: "local-path volumes live on one node's disk (kind's `standard` class)",
    },
    "ebs.csi.aws.com": {
        modes: ["ReadWriteOnce", "ReadWriteOncePod"],
        note: "an EBS volume attaches to one node; ROX is never served",
        blockOnly: {
            modes: ["ReadWriteMany"],
            parameters: { type: "io2" },
            note: "RWX only as io2 multi-attach with volumeMode: Block",
        },
    },
    "efs.csi.aws.com": {
        modes: ["ReadWriteOnce", "ReadWriteMany"],
        note: "EFS answers ROX with 'volume capability not supported' and has no RWOP",
    },
    "kubernetes.io/no-provisioner": {
        modes: ACCESS_MODES,
        note: "static volumes: the access mode is whatever label the PV carries",
    },
};

/**
 * Class names that exist on clusters without the stack creating them, so a claim naming one
 * can still be checked. Anything else the stack does not define gets no verdict; a stack can
 * add names with the policy config `knownClasses` (see docs/policy.md).
 */
export const WELL_KNOWN_CLASSES: Readonly<Record<string, string>> = {
    // kind's default class, and the local cluster of scripts/local-cluster (same provisioner).
    standard: "rancher.io/local-path",
};

/** Which of `requested` the provisioner cannot serve ([] = all fine). */
export function unsupportedModes(
    provisioner: string,
    requested: readonly string[],
    volumeMode: string | undefined,
    classParameters: Record<string, any> | undefined,
): { modes: string[]; note: string } | undefined {
    const cap = PROVISIONER_CAPABILITIES[provisioner];
    if (!cap) return undefined;
    const served = new Set<string>(cap.modes);
    let note = cap.note;
    if (cap.blockOnly) {
        const paramsMatch = Object.entries(cap.blockOnly.parameters).every(
            ([k, v]) => String(classParameters?.[k] ?? "").toLowerCase() === v,
        );
        if (volumeMode === "Block" && paramsMatch) {
            cap.blockOnly.modes.forEach((m) => served.add(m));
        } else {
            note = `${note}; ${cap.blockOnly.note}`;
        }
    }
    return { modes: requested.filter((m) => !served.has(m)), note };
}
