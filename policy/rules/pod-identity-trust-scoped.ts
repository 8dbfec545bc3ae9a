// A role that EKS Pod Identity may hand out trusts the service only on behalf of the stack's
// account (aws:SourceAccount), so another account's cluster cannot have its pods take it.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Res, T, UNKNOWN, describe, get } from "../lib/k8s";

interface Statement { Effect?: string; Principal?: { Service?: unknown }; Condition?: Record<string, Record<string, unknown>> }

const podsService = "pods.eks.amazonaws.com";

export function checkPodIdentityTrust(r: Res): string | undefined {
    if (r.type !== T.iamRole) return undefined;
    const policy = get(() => r.props.assumeRolePolicy);
    if (policy === UNKNOWN || typeof policy !== "string") return undefined;
    let list: Statement[];
    try {
        const doc = JSON.parse(policy);
        list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    } catch {
        return undefined;
    }
    const services = (s: Statement) => [s.Principal?.Service].flat();
    const unscoped = list.filter((s) => s.Effect === "Allow" && services(s).includes(podsService)
        && !Object.values(s.Condition ?? {}).some((c) => c !== null && typeof c === "object" && "aws:SourceAccount" in c));
    return unscoped.length === 0 ? undefined
        : `${describe(r)} lets ${podsService} assume it for any account: add a Condition on aws:SourceAccount (and aws:SourceArn, the cluster).`;
}

export const podIdentityTrustScoped: ResourceValidationPolicy = {
    name: "pod-identity-trust-scoped",
    description: "Roles for EKS Pod Identity trust the service only for the stack's own account.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const msg = checkPodIdentityTrust(args);
        if (msg) reportViolation(msg);
    },
};
