// A workload that mounts the embeddings claim must mount it read-only at BOTH levels
// (volumes[].persistentVolumeClaim.readOnly and every volumeMounts[].readOnly), unless it is
// the writer. An access mode does not write-protect a volume; only these two flags do.
import { StackValidationPolicy } from "@pulumi/policy";
import {
    Props, Res, T, WORKLOAD_TYPES, Maybe, containers, describe, entry, get, known, labels, metaName,
    metaNamespace, podLabels, podSpec, sameNamespace,
} from "../lib/k8s";
import { componentLabel as COMPONENT_LABEL, roleLabel as ROLE_LABEL, writerComponent } from "../../components/labels";

export { COMPONENT_LABEL, ROLE_LABEL };

export interface Finding {
    urn: string;
    message: string;
}

export function isWriter(r: Res): boolean {
    return entry(labels(r.props), COMPONENT_LABEL) === writerComponent || entry(podLabels(r), COMPONENT_LABEL) === writerComponent;
}

export interface ClaimRef {
    name: string;
    namespace: Maybe<string>;
}

/** The stack's embeddings claims (labelled with the embeddings role). */
export function embeddingsClaims(resources: readonly Res[]): ClaimRef[] {
    const claims: ClaimRef[] = [];
    for (const r of resources) {
        if (r.type !== T.pvc || entry(labels(r.props), ROLE_LABEL) !== "embeddings") continue;
        const n = metaName(r.props);
        if (known(n)) claims.push({ name: String(n), namespace: metaNamespace(r.props) });
    }
    return claims;
}

/** The embeddings claim a pod spec's volume mounts, if any. */
export function mountedEmbeddingsClaim(claims: readonly ClaimRef[], volume: Props, namespace: Maybe<string>): ClaimRef | undefined {
    const claimName = get(() => volume.persistentVolumeClaim.claimName);
    if (!known(claimName)) return undefined;
    return claims.find((c) => c.name === claimName && sameNamespace(c.namespace, namespace));
}

/** Pure check over all resources of a stack. */
export function checkEmbeddingsReaders(resources: readonly Res[]): Finding[] {
    const claims = embeddingsClaims(resources);
    if (claims.length === 0) return [];

    const out: Finding[] = [];
    for (const r of resources) {
        if (!WORKLOAD_TYPES.includes(r.type) || isWriter(r)) continue;
        const spec = podSpec(r);
        if (!spec) continue;
        const ns = metaNamespace(r.props);
        const vols = get(() => spec.volumes);
        if (!known(vols) || !Array.isArray(vols)) continue;
        for (const v of vols) {
            const claim = mountedEmbeddingsClaim(claims, v, ns);
            if (!claim) continue;
            const volName = get(() => v.name);
            const who = describe(r);
            if (get(() => v.persistentVolumeClaim.readOnly) !== true) {
                out.push({
                    urn: r.urn,
                    message: `${who} mounts the embeddings claim '${claim.name}' (volume '${String(volName)}') without ` +
                        `volumes[].persistentVolumeClaim.readOnly: true. Readers must not be able to write the embeddings; ` +
                        `only a workload labelled ${COMPONENT_LABEL}: writer may.`,
                });
            }
            for (const c of containers(spec)) {
                const mounts = get(() => c.spec.volumeMounts);
                if (!known(mounts) || !Array.isArray(mounts)) continue;
                for (const m of mounts) {
                    if (get(() => m.name) !== volName) continue;
                    if (get(() => m.readOnly) !== true) {
                        const path = get(() => m.mountPath);
                        out.push({
                            urn: r.urn,
                            message: `${who}: ${c.kind} '${c.name}' mounts the embeddings volume '${String(volName)}'` +
                                `${known(path) ? ` at ${path}` : ""} without volumeMounts[].readOnly: true.`,
                        });
                    }
                }
            }
        }
    }
    return out;
}

export const embeddingsReadersReadOnly: StackValidationPolicy = {
    name: "embeddings-readers-read-only",
    description: "Workloads other than the writer mount the embeddings claim read-only at the pod and the container level.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const f of checkEmbeddingsReaders(args.resources)) reportViolation(f.message, f.urn);
    },
};
