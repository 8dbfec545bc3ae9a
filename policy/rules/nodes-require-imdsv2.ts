// EKS nodes answer instance-metadata requests only with a session token (IMDSv2) and only one
// network hop away, so a pod in its own network namespace cannot read the node role's
// credentials. A managed node group without a launch template leaves that to the AMI, which
// the pack cannot see, so it must name one.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Res, T, UNKNOWN, describe, get } from "../lib/k8s";

export function checkInstanceMetadata(r: Res): string | undefined {
    if (r.type === T.eksNodeGroup) {
        const template = get(() => r.props.launchTemplate);
        if (template !== undefined) return undefined;
        return `${describe(r)} has no launch template, so its nodes' metadata options are the AMI's: ` +
            "give it one with metadataOptions httpTokens \"required\" and httpPutResponseHopLimit 1.";
    }
    if (r.type !== T.launchTemplate) return undefined;
    const tokens = get(() => r.props.metadataOptions.httpTokens);
    const hops = get(() => r.props.metadataOptions.httpPutResponseHopLimit);
    const wrong: string[] = [];
    if (tokens !== UNKNOWN && tokens !== "required") wrong.push(`httpTokens is ${tokens === undefined ? "unset" : `"${tokens}"`}, not "required" (IMDSv1 answers without a token)`);
    if (hops !== UNKNOWN && hops !== 1) wrong.push(`httpPutResponseHopLimit is ${hops ?? "unset"}, not 1 (pods could reach the node's credentials)`);
    return wrong.length === 0 ? undefined : `${describe(r)}: ${wrong.join("; ")}.`;
}

export const nodesRequireImdsv2: ResourceValidationPolicy = {
    name: "nodes-require-imdsv2",
    description: "EKS node groups use a launch template that requires IMDSv2 with a hop limit of 1.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const msg = checkInstanceMetadata(args);
        if (msg) reportViolation(msg);
    },
};
