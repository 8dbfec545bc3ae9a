// A PersistentVolumeClaim must not ask for an access mode its StorageClass cannot serve:
// such a claim stays Pending forever (e.g. ROX from local-path, EBS or EFS).
import { StackValidationPolicy } from "@pulumi/policy";
import { Res, T, describe, get, known, metaName } from "../lib/k8s";
import { resolveClass } from "../lib/classes";
import { SHORT, AccessMode, unsupportedModes } from "../lib/storage-capabilities";

export interface Finding {
    urn: string;
    message: string;
}

export interface AccessModeConfig {
    /** Extra class name -> provisioner pairs for classes the stack does not create. */
    knownClasses?: Record<string, string>;
}

const short = (m: string) => `${m} (${SHORT[m as AccessMode] ?? "?"})`;

/** Pure check: violations (mode not served) and notes (claims that got no verdict). */
export function checkAccessModes(resources: readonly Res[], config: AccessModeConfig = {}): { violations: Finding[]; notes: Finding[] } {
    const violations: Finding[] = [];
    const notes: Finding[] = [];
    for (const r of resources) {
        if (r.type !== T.pvc) continue;
        const claim = describe({ type: r.type, name: String(known(metaName(r.props)) ? metaName(r.props) : r.name) });
        const modes = get(() => r.props.spec.accessModes);
        if (!known(modes) || !Array.isArray(modes) || modes.length === 0) {
            notes.push({ urn: r.urn, message: `${claim}: access modes not known, not checked.` });
            continue;
        }
        const res = resolveClass(get(() => r.props.spec.storageClassName), resources, config.knownClasses);
        if (res.kind === "none") {
            notes.push({ urn: r.urn, message: `${claim} not checked: ${res.reason}.` });
            continue;
        }
        const vm = get(() => r.props.spec.volumeMode);
        const volumeMode = known(vm) ? String(vm) : "Filesystem";
        const verdict = unsupportedModes(res.info.provisioner, modes.map(String), volumeMode, res.info.parameters);
        if (!verdict) {
            notes.push({
                urn: r.urn,
                message: `${claim} not checked: provisioner '${res.info.provisioner}' of StorageClass '${res.info.name}' is not in the capability table.`,
            });
            continue;
        }
        if (verdict.modes.length > 0) {
            violations.push({
                urn: r.urn,
                message:
                    `${claim} asks for ${verdict.modes.map(short).join(", ")} but StorageClass '${res.info.name}' ` +
                    `(${res.info.provisioner}, from the ${res.info.source}, volumeMode ${volumeMode}) cannot serve it: ` +
                    `${verdict.note}. The claim would stay Pending. Ask for a mode the class serves, or use another class.`,
            });
        }
    }
    return { violations, notes };
}

export const configSchema = {
    properties: {
        knownClasses: {
            type: "object" as const,
            additionalProperties: { type: "string" as const },
            description: "StorageClass name -> provisioner, for classes the stack uses but does not create.",
        },
    },
};

export const accessModeSupportedByClass: StackValidationPolicy = {
    name: "access-mode-supported-by-class",
    description: "A PersistentVolumeClaim must only ask for access modes its StorageClass's provisioner can serve.",
    enforcementLevel: "mandatory",
    configSchema,
    validateStack: (args, reportViolation) => {
        const { violations } = checkAccessModes(args.resources, args.getConfig<AccessModeConfig>());
        for (const v of violations) reportViolation(v.message, v.urn);
    },
};
