// What each StorageClass provisioner can serve: the program's own table
// (components/storage/capabilities.ts), so the pack and the program's up-front checks can
// never disagree. The pack adds only what the program never asks for: raw block volumes.
// A provisioner that is not listed gets no verdict.
import { AccessMode, accessModes, provisioners } from "../../components/storage/capabilities";
import { Props } from "./k8s";

export type { AccessMode };
export const ACCESS_MODES: readonly AccessMode[] = accessModes;

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

const blockOnly: Readonly<Record<string, Capability["blockOnly"]>> = {
    "ebs.csi.aws.com": {
        modes: ["ReadWriteMany"],
        parameters: { type: "io2" },
        note: "RWX only as io2 multi-attach with volumeMode: Block",
    },
};

export const PROVISIONER_CAPABILITIES: Readonly<Record<string, Capability>> = Object.fromEntries(
    Object.entries(provisioners).map(([name, caps]) => [name, { modes: caps.accessModes, note: caps.note, blockOnly: blockOnly[name] }]),
);

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
    classParameters: Props | undefined,
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
