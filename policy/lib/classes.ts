// Resolves a claim's StorageClass name to a provisioner: classes the stack creates first,
// then names given in policy config, then the small built-in map of well-known classes.
import { Props, Res, T, annotations, entry, get, known, metaName, Maybe, UNKNOWN } from "./k8s";
import { WELL_KNOWN_CLASSES } from "./storage-capabilities";

export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

export interface ClassInfo {
    name: string;
    provisioner: string;
    parameters?: Props;
    source: "stack" | "policy config" | "built-in map";
    isDefault: boolean;
    urn?: string;
}

export function isDefaultClass(r: Res): boolean {
    return entry(annotations(r.props), DEFAULT_CLASS_ANNOTATION) === "true";
}

/** StorageClasses the stack itself defines, by metadata.name. */
export function stackClasses(resources: readonly Res[]): ClassInfo[] {
    const out: ClassInfo[] = [];
    for (const r of resources) {
        if (r.type !== T.storageClass) continue;
        const name = metaName(r.props);
        const prov = get(() => r.props.provisioner);
        if (!known(name) || !known(prov)) continue;
        const params = get(() => r.props.parameters);
        out.push({
            name: String(name),
            provisioner: String(prov),
            parameters: known(params) && params ? params : undefined,
            source: "stack",
            isDefault: isDefaultClass(r),
            urn: r.urn,
        });
    }
    return out;
}

export type Resolution =
    | { kind: "class"; info: ClassInfo }
    | { kind: "none"; reason: string };

export function resolveClass(
    className: Maybe<string>,
    resources: readonly Res[],
    knownClasses: Record<string, string> = {},
): Resolution {
    const inStack = stackClasses(resources);
    if (className === UNKNOWN) {
        return { kind: "none", reason: "its storageClassName is not known during preview" };
    }
    if (className === undefined || className === null) {
        const defaults = inStack.filter((c) => c.isDefault);
        if (defaults.length === 1) return { kind: "class", info: defaults[0] };
        return {
            kind: "none",
            reason: "it names no storageClassName, so the cluster's default class decides (set it explicitly)",
        };
    }
    if (className === "") {
        return { kind: "none", reason: 'storageClassName "" binds a pre-created PV; the PV decides the access modes' };
    }
    const own = inStack.find((c) => c.name === className);
    if (own) return { kind: "class", info: own };
    if (knownClasses[className]) {
        return {
            kind: "class",
            info: { name: className, provisioner: knownClasses[className], source: "policy config", isDefault: false },
        };
    }
    if (WELL_KNOWN_CLASSES[className]) {
        return {
            kind: "class",
            info: { name: className, provisioner: WELL_KNOWN_CLASSES[className], source: "built-in map", isDefault: false },
        };
    }
    return {
        kind: "none",
        reason: `StorageClass '${className}' is neither created by this stack nor a known class (add it to the policy config knownClasses)`,
    };
}
