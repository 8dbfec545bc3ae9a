// At most one StorageClass in the stack may be the cluster default. With two, which one a
// class-less claim gets is up to the API server (the newest wins since Kubernetes 1.26), so a
// claim's storage silently depends on creation order.
import { StackValidationPolicy } from "@pulumi/policy";
import { Res, T, known, metaName } from "../lib/k8s";
import { DEFAULT_CLASS_ANNOTATION, isDefaultClass } from "../lib/classes";

export interface Finding {
    urn: string;
    message: string;
}

export function checkSingleDefault(resources: readonly Res[]): Finding[] {
    const defaults = resources.filter((r) => r.type === T.storageClass && isDefaultClass(r));
    if (defaults.length <= 1) return [];
    const names = defaults.map((r) => {
        const n = metaName(r.props);
        return known(n) ? String(n) : r.name;
    });
    return defaults.map((r, i) => ({
        urn: r.urn,
        message: `StorageClass '${names[i]}' is one of ${defaults.length} default classes (${names.join(", ")}): ` +
            `only one StorageClass may carry ${DEFAULT_CLASS_ANNOTATION}: "true".`,
    }));
}

export const singleDefaultStorageClass: StackValidationPolicy = {
    name: "single-default-storage-class",
    description: "At most one StorageClass in the stack is annotated as the default class.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const f of checkSingleDefault(args.resources)) reportViolation(f.message, f.urn);
    },
};
