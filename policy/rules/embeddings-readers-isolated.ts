// A workload that reads the embeddings (any but the writer) should be selected by a
// NetworkPolicy in its namespace that restricts its egress: a reader needs to call nobody, so
// whatever it can reach is a way for what it reads to leave. Advisory: whether a policy is
// enforced is the network plugin's business, which the pack cannot see, and another
// program's readers may have a reason to call out.
import { StackValidationPolicy } from "@pulumi/policy";
import { Props, Res, T, WORKLOAD_TYPES, describe, get, known, metaNamespace, podLabels, podSpec, sameNamespace, UNKNOWN } from "../lib/k8s";
import { Finding, embeddingsClaims, isWriter, mountedEmbeddingsClaim } from "./embeddings-readers-read-only";

/**
 * Whether a policy's podSelector selects pods with these labels. A selector the rule cannot
 * judge (unknown at preview, or with matchExpressions) counts as selecting: the rule would
 * rather stay quiet than note a reader that is in fact covered.
 */
function selects(policy: Res, pod: Props): boolean {
    const selector = get(() => policy.props.spec.podSelector);
    if (!known(selector)) return selector === UNKNOWN;
    const expressions = get(() => selector.matchExpressions);
    if (expressions === UNKNOWN || (Array.isArray(expressions) && expressions.length > 0)) return true;
    const matchLabels = get(() => selector.matchLabels);
    if (matchLabels === UNKNOWN) return true;
    return Object.entries((matchLabels ?? {}) as Props).every(([k, v]) => v === UNKNOWN || pod[k] === v);
}

/** Egress is restricted when policyTypes lists it, or, left unset, when egress rules are given. */
function restrictsEgress(policy: Res): boolean {
    const types = get(() => policy.props.spec.policyTypes);
    if (types === UNKNOWN) return true;
    if (Array.isArray(types)) return types.includes("Egress");
    return Array.isArray(get(() => policy.props.spec.egress));
}

/** Pure check over all resources of a stack. */
export function checkReadersIsolated(resources: readonly Res[]): Finding[] {
    const claims = embeddingsClaims(resources);
    if (claims.length === 0) return [];
    const policies = resources.filter((r) => r.type === T.networkPolicy && restrictsEgress(r));
    const out: Finding[] = [];
    for (const r of resources) {
        if (!WORKLOAD_TYPES.includes(r.type) || isWriter(r)) continue;
        const vols = get(() => podSpec(r)?.volumes);
        if (!known(vols) || !Array.isArray(vols)) continue;
        const ns = metaNamespace(r.props);
        const claim = vols.map((v: Props) => mountedEmbeddingsClaim(claims, v, ns)).find((c) => c !== undefined);
        if (!claim) continue;
        const labels = podLabels(r);
        if (policies.some((p) => sameNamespace(metaNamespace(p.props), ns) && selects(p, labels))) continue;
        out.push({
            urn: r.urn,
            message: `${describe(r)} reads the embeddings claim '${claim.name}' but no NetworkPolicy in its namespace selects ` +
                "its pods and restricts their egress (policyTypes with Egress). A reader needs to call nobody; " +
                "whatever it can reach is a way out for the data it reads.",
        });
    }
    return out;
}

export const embeddingsReadersIsolated: StackValidationPolicy = {
    name: "embeddings-readers-isolated",
    description: "Workloads other than the writer that mount the embeddings claim are selected by a NetworkPolicy restricting their egress.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        for (const f of checkReadersIsolated(args.resources)) reportViolation(f.message, f.urn);
    },
};
