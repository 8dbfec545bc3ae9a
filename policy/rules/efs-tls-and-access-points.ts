// EFS is reached over TLS and through access points only: the file system policy denies any
// request without aws:SecureTransport and any client request without an access point (which
// fixes the uid and the directory). Every file system of the stack has such a policy.
import { StackValidationPolicy } from "@pulumi/policy";
import { Res, T, UNKNOWN, describe, get } from "../lib/k8s";

interface Statement { Effect?: string; Condition?: Record<string, Record<string, unknown>> }

function statements(policy: unknown): Statement[] | undefined {
    try {
        const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
        const list = doc?.Statement;
        return Array.isArray(list) ? list : list ? [list] : [];
    } catch {
        return undefined;
    }
}

const denies = (list: Statement[], operator: string, key: string, value: string) =>
    list.some((s) => s.Effect === "Deny" && String(s.Condition?.[operator]?.[key]) === value);

/** What a file system policy lacks, or nothing when its document is not known yet. */
export function checkFileSystemPolicy(r: Res): string | undefined {
    if (r.type !== T.efsFileSystemPolicy) return undefined;
    const policy = get(() => r.props.policy);
    if (policy === UNKNOWN) return undefined;
    const list = statements(policy);
    if (list === undefined) return `${describe(r)}: its policy is not a JSON policy document.`;
    const missing: string[] = [];
    if (!denies(list, "Bool", "aws:SecureTransport", "false")) missing.push("a Deny when aws:SecureTransport is false (TLS)");
    if (!denies(list, "Null", "elasticfilesystem:AccessPointArn", "true")) missing.push("a Deny when elasticfilesystem:AccessPointArn is null (access points only)");
    return missing.length === 0 ? undefined : `${describe(r)} lacks ${missing.join(" and ")}.`;
}

export function checkEfsPolicies(resources: Res[]): string[] {
    const problems = resources.map(checkFileSystemPolicy).filter((m): m is string => m !== undefined);
    const fileSystems = resources.filter((r) => r.type === T.efsFileSystem);
    const policies = resources.filter((r) => r.type === T.efsFileSystemPolicy);
    if (policies.length < fileSystems.length) {
        problems.push(`${fileSystems.length} EFS file system(s) but ${policies.length} file system policy(ies): without one, any client ` +
            `that reaches a mount target may mount it without TLS and as root (${fileSystems.map(describe).join(", ")}).`);
    }
    return problems;
}

export const efsTlsAndAccessPoints: StackValidationPolicy = {
    name: "efs-tls-and-access-points",
    description: "Every EFS file system has a policy that requires TLS and access points.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const msg of checkEfsPolicies(args.resources)) reportViolation(msg);
    },
};
