// An EKS cluster's API endpoint and lifecycle: the private endpoint on, a public endpoint
// only for named networks (EKS opens it to 0.0.0.0/0 when none are given), standard support
// stated, and a version that standard support still covers.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { eksStandardSupport } from "../../components/cluster/eksFacts";
import { Res, T, UNKNOWN, describe, get, known } from "../lib/k8s";

export function checkEksCluster(r: Res): string[] {
    if (r.type !== T.eksCluster) return [];
    const problems: string[] = [];
    const privateAccess = get(() => r.props.vpcConfig.endpointPrivateAccess);
    if (known(privateAccess) && privateAccess !== true) {
        problems.push(`${describe(r)} has no private API endpoint: set vpcConfig.endpointPrivateAccess: true, so nodes reach the API inside the VPC.`);
    }
    const publicAccess = get(() => r.props.vpcConfig.endpointPublicAccess);
    const cidrs = get(() => r.props.vpcConfig.publicAccessCidrs);
    // Unset, endpointPublicAccess is true; unset or empty, publicAccessCidrs is 0.0.0.0/0.
    const open = publicAccess !== false && publicAccess !== UNKNOWN && cidrs !== UNKNOWN
        && (!Array.isArray(cidrs) || cidrs.length === 0 || cidrs.includes("0.0.0.0/0"));
    if (open) {
        problems.push(`${describe(r)} opens its public API endpoint to the whole internet: list the networks that may reach it ` +
            `in vpcConfig.publicAccessCidrs (agent-storage:eksPublicAccessCidrs), or set endpointPublicAccess: false.`);
    }
    const supportType = get(() => r.props.upgradePolicy.supportType);
    if (supportType !== UNKNOWN && supportType !== "STANDARD") {
        problems.push(`${describe(r)} does not state upgradePolicy.supportType STANDARD: the account's default may keep it on paid extended support.`);
    }
    const version = get(() => r.props.version);
    if (known(version) && !(String(version) in eksStandardSupport)) {
        problems.push(`${describe(r)} runs Kubernetes ${version}, outside EKS standard support as the program knows it ` +
            `(${Object.keys(eksStandardSupport).join(", ")}): set agent-storage:eksVersion to one of those.`);
    }
    return problems;
}

export const eksClusterHardened: ResourceValidationPolicy = {
    name: "eks-cluster-hardened",
    description: "EKS clusters keep a private endpoint, open a public one only to named networks, and stay on standard support.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const msg of checkEksCluster(args)) reportViolation(msg);
    },
};
