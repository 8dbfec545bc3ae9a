import * as pulumi from "@pulumi/pulumi";
import { principalKey } from "../components/cluster";
import { EksSettings } from "./config";

/*
 * Why this module exists: before EksNetwork, EksCluster "eks" held the VPC and its subnets, route
 * tables and gateways, and resources made from lists were named by their position; the CSI
 * drivers' Pod Identity roles were one per driver. Renaming or re-parenting a resource changes
 * its URN, and without an alias the engine creates a new resource and deletes the one under the
 * old URN: the VPC, subnets and EFS mount targets would be replaced under a running cluster, and
 * a second Pod Identity association for the same service account is refused by EKS.
 *
 * Everything below is history and therefore written out literally (old names, old parent, old
 * order of the node role's policies), not derived from today's components. Remove it once every
 * EKS stack deployed before EksNetwork has run one `pulumi up` with it: the state then holds
 * the new URNs and the aliases match nothing.
 */

/** Where a resource of today's EKS stack was before EksNetwork: its name then, and its parent when that differed. */
export interface FormerPlace {
    name: string;
    /** The component it was a child of, when not its parent of today. */
    parent?: { type: string; name: string };
}

/** Today's resources that had another name or parent, keyed `<type>::<name of today>`. */
export type FormerPlaces = ReadonlyMap<string, FormerPlace>;

const formerNetworkParent = { type: "agent-storage:cluster:EksCluster", name: "eks" };
/** The node role's managed policies in the order that numbered their attachments. */
const formerNodeRolePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"];

/**
 * Today's name and type of each EKS resource whose URN changed, with where it was before.
 * Today's names are the ones the components of buildEksStack ("network", "eks", "storage")
 * form; test/eksFormerNames.spec.ts fails when either side drifts. Names by position follow
 * the configured lists, so an old stack must be upgraded with the same zones, subnets and
 * admins it was deployed with; a list changed in the same update lines the positions up with
 * other entries.
 */
export function formerEksPlaces(eks: EksSettings): FormerPlaces {
    const places = new Map<string, FormerPlace>();
    const was = (type: string, name: string, formerName: string, parent?: FormerPlace["parent"]) =>
        places.set(`${type}::${name}`, { name: formerName, ...(parent ? { parent } : {}) });

    if (eks.existingVpc === undefined) {
        const moved = (type: string, part: string) => was(type, `network-${part}`, `eks-${part}`, formerNetworkParent);
        moved("aws:ec2/vpc:Vpc", "vpc");
        moved("aws:ec2/internetGateway:InternetGateway", "igw");
        moved("aws:ec2/eip:Eip", "nat");
        moved("aws:ec2/natGateway:NatGateway", "nat");
        for (const side of ["public", "private"]) {
            moved("aws:ec2/routeTable:RouteTable", side);
            eks.availabilityZones.forEach((zone, i) => {
                for (const type of ["aws:ec2/subnet:Subnet", "aws:ec2/routeTableAssociation:RouteTableAssociation"]) {
                    was(type, `network-${side}-${zone}`, `eks-${side}-${i}`, formerNetworkParent);
                }
            });
        }
    }

    was("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks-cluster-role-AmazonEKSClusterPolicy", "eks-cluster-role-0");
    formerNodeRolePolicies.forEach((policy, i) =>
        was("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `eks-node-role-${policy}`, `eks-node-role-${i}`));
    eks.adminPrincipalArns.forEach((arn, i) => {
        was("aws:eks/accessEntry:AccessEntry", `eks-admin-${principalKey(arn)}`, `eks-admin-${i}`);
        was("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `eks-admin-${principalKey(arn)}`, `eks-admin-${i}`);
    });

    const mountTargetKeys = eks.existingVpc ? Object.keys(eks.existingVpc.privateSubnets) : eks.availabilityZones;
    mountTargetKeys.forEach((key, i) => was("aws:efs/mountTarget:MountTarget", `storage-efs-${key}`, `storage-efs-${i}`));
    for (const driver of ["ebs", "efs"]) {
        was("aws:iam/role:Role", `storage-${driver}-csi-controller`, `storage-${driver}-csi`);
        was("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `storage-${driver}-csi-controller`, `storage-${driver}-csi`);
        was("aws:eks/podIdentityAssociation:PodIdentityAssociation", `storage-${driver}-csi-controller`, `storage-${driver}-csi-${driver}-csi-controller-sa`);
    }
    // The EFS node plugin shared the controller's role then; its association keeps its service account.
    was("aws:eks/podIdentityAssociation:PodIdentityAssociation", "storage-efs-csi-node", "storage-efs-csi-efs-csi-node-sa");
    return places;
}

/**
 * A transformation, for the EKS components, that gives each resource of `places` an alias to
 * its former name (and parent), so an old stack's resources are updated in place, not replaced.
 */
export function aliasFormerPlaces(places: FormerPlaces): pulumi.ResourceTransformation {
    return ({ type, name, props, opts }) => {
        const place = places.get(`${type}::${name}`);
        if (place === undefined) return undefined;
        const alias: pulumi.Alias = place.parent
            ? { name: place.name, parent: pulumi.createUrn(place.parent.name, place.parent.type) }
            : { name: place.name };
        return { props, opts: pulumi.mergeOptions(opts, { aliases: [alias] }) };
    };
}
