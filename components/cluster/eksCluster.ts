import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { eksNodeArchitecture, nodeMetadataOptions } from "./eksFacts";
import { renderEksKubeconfig } from "./eksKubeconfig";
import { partOf, partOfLabel } from "../labels";

export interface EksClusterArgs {
    clusterName: string;
    region: string;
    /** Kubernetes minor version, one of eksStandardSupport (settings refuse others). */
    version: string;
    /** Subnets of the nodes, in at least two zones (an EksNetwork's, or the user's own VPC's). */
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Subnets for internet-facing load balancers; the control plane may place interfaces there too. */
    publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    nodeInstanceType: string;
    nodeCount: number;
    nodeMaxCount: number;
    /** IAM principals that get cluster-admin through EKS access entries. */
    adminPrincipalArns: string[];
    /**
     * CIDRs that may reach the API server's public endpoint. Empty: no public endpoint, only
     * the private one inside the VPC (always on, so nodes never leave the VPC to reach it).
     */
    publicAccessCidrs: string[];
    /**
     * Whether the IAM identity that creates the cluster (the deployer) gets cluster-admin
     * through an access entry of its own. EKS reads it only at creation: changing it replaces
     * the cluster.
     */
    creatorIsAdmin: boolean;
}

const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;

/** A role a service assumes, with AWS managed policies attached, each named after its policy. */
function serviceRole(name: string, service: string, policies: string[], parent: pulumi.Resource): aws.iam.Role {
    const role = new aws.iam.Role(name, {
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
        }),
    }, { parent });
    policies.forEach((policy) => new aws.iam.RolePolicyAttachment(`${name}-${policy}`, {
        role: role.name, policyArn: managedPolicy(policy),
    }, { parent }));
    return role;
}

/**
 * The stable part of an IAM principal's ARN, `<account>:<role|user>/<path/name>`, to name its
 * access entry by: the ARN itself holds `::`, which a resource name may not.
 */
export function principalKey(arn: string): string {
    return arn.split(":").slice(4).join(":");
}

/**
 * An EKS cluster with API access entries, a managed node group in private subnets and the
 * Pod Identity agent the storage drivers authenticate through.
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    /** What Pod Identity roles name in their trust condition (aws:SourceArn). */
    public readonly clusterArn: pulumi.Output<string>;
    /** The security group EKS attaches to managed nodes; EFS admits NFS only from it. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Add-on the storage drivers' Pod Identity associations need. */
    public readonly podIdentityAgent: aws.eks.Addon;
    public readonly nodeGroup: aws.eks.NodeGroup;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:cluster:EksCluster", name, {}, opts);
        const tags = { [partOfLabel]: partOf, cluster: args.clusterName };

        const clusterRole = serviceRole(`${name}-cluster-role`, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"], this);
        const cluster = new aws.eks.Cluster(`${name}-cluster`, {
            name: args.clusterName,
            version: args.version,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: pulumi.all([args.privateSubnetIds, args.publicSubnetIds]).apply(([priv, pub]) => [...priv, ...pub]),
                endpointPrivateAccess: true,
                endpointPublicAccess: args.publicAccessCidrs.length > 0,
                // EKS opens a public endpoint to 0.0.0.0/0 when no CIDRs are given, so none are sent then.
                publicAccessCidrs: args.publicAccessCidrs.length > 0 ? args.publicAccessCidrs : undefined,
            },
            // Access entries instead of the aws-auth ConfigMap: IAM access is managed through the EKS API.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: args.creatorIsAdmin },
            // Stated, not left to the account's default: a version past standard support is not
            // silently kept on paid extended support; EKS upgrades it instead.
            upgradePolicy: { supportType: "STANDARD" },
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            tags,
        }, { parent: this });

        for (const arn of args.adminPrincipalArns) {
            const key = principalKey(arn);
            const entry = new aws.eks.AccessEntry(`${name}-admin-${key}`, {
                clusterName: cluster.name, principalArn: arn, type: "STANDARD",
            }, { parent: this });
            new aws.eks.AccessPolicyAssociation(`${name}-admin-${key}`, {
                clusterName: cluster.name,
                principalArn: entry.principalArn,
                policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                accessScope: { type: "cluster" },
            }, { parent: this });
        }

        const nodeRole = serviceRole(`${name}-node-role`, "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"], this);
        const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-nodes`, {
            description: "Managed node group: IMDSv2 only, one hop",
            metadataOptions: nodeMetadataOptions,
            tagSpecifications: [{ resourceType: "instance", tags }],
            tags,
        }, { parent: this });
        this.nodeGroup = new aws.eks.NodeGroup(`${name}-nodes`, {
            clusterName: cluster.name,
            launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
            nodeRoleArn: nodeRole.arn,
            subnetIds: args.privateSubnetIds,
            instanceTypes: [args.nodeInstanceType],
            amiType: `AL2023_${eksNodeArchitecture}_STANDARD`,
            scalingConfig: { desiredSize: args.nodeCount, minSize: args.nodeCount, maxSize: args.nodeMaxCount },
            updateConfig: { maxUnavailable: 1 },
            tags,
        }, { parent: this });

        this.podIdentityAgent = new aws.eks.Addon(`${name}-pod-identity`, {
            clusterName: cluster.name, addonName: "eks-pod-identity-agent",
        }, { parent: this, dependsOn: [this.nodeGroup] });

        this.clusterName = cluster.name;
        this.clusterArn = cluster.arn;
        this.nodeSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;
        this.kubeconfig = pulumi.secret(pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
            .apply(([clusterName, endpoint, ca]) => renderEksKubeconfig({
                clusterName, endpoint, certificateAuthority: ca.data ?? "", region: args.region,
            })));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, {
            parent: this, dependsOn: [this.nodeGroup],
        });
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, nodeSecurityGroupId: this.nodeSecurityGroupId });
    }
}
