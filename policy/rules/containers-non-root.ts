// Every container (init and ephemeral ones too) of every workload must be unable to run as
// root or gain privileges: runAsNonRoot true or a non-zero runAsUser (container or pod level,
// and never runAsUser 0), allowPrivilegeEscalation false, privileged not true. This is what
// the namespace's Pod Security "restricted" level demands too; the policy catches it at
// preview instead of as a rejected pod after `pulumi up`.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Props, Res, WORKLOAD_TYPES, UNKNOWN, containers, describe, get, known, podSpec } from "../lib/k8s";

export function checkNonRoot(r: Res): string[] {
    if (!WORKLOAD_TYPES.includes(r.type)) return [];
    const spec = podSpec(r);
    if (!spec) return [];
    const pod = get(() => spec.securityContext);
    const podSc: Props = known(pod) && pod ? pod : {};
    const out: string[] = [];
    for (const c of containers(spec)) {
        const s = get(() => c.spec.securityContext);
        const sc: Props = known(s) && s ? s : {};
        const pick = (k: string) => {
            const own = get(() => sc[k]);
            return own !== undefined && own !== null ? own : get(() => podSc[k]);
        };
        const runAsNonRoot = pick("runAsNonRoot");
        const runAsUser = pick("runAsUser");
        const problems: string[] = [];
        if (runAsNonRoot !== UNKNOWN && runAsUser !== UNKNOWN) {
            if (runAsUser === 0 || runAsUser === "0") {
                problems.push("runAsUser is 0 (root)");
            } else if (runAsNonRoot !== true && !(Number(runAsUser) > 0)) {
                problems.push("neither runAsNonRoot: true nor a non-zero runAsUser");
            }
        }
        const ape = get(() => sc.allowPrivilegeEscalation);
        if (ape !== UNKNOWN && ape !== false) problems.push("allowPrivilegeEscalation is not false");
        const priv = get(() => sc.privileged);
        if (priv === true) problems.push("privileged: true");
        if (problems.length > 0) {
            out.push(`${describe(r)}: ${c.kind} '${c.name}' could run as root or escalate privileges: ${problems.join("; ")}.`);
        }
    }
    return out;
}

export const containersNonRoot: ResourceValidationPolicy = {
    name: "containers-non-root",
    description: "Containers run as non-root, cannot escalate privileges and are not privileged.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const msg of checkNonRoot(args)) reportViolation(msg);
    },
};
