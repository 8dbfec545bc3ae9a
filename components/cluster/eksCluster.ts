import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { renderEksKubeconfig } from "./eksKubeconfig";
import { planSubnets } from "./network";

export interface EksClusterArgs {
    clusterName: string;
    region: string;
    /** Kubernetes minor version, e.g. "1.33". */
    version: string;
    /** A new VPC is carved from this /16 unless `existingVpc` is given. */
    vpcCidr: string;
    availabilityZones: string[];
    existingVpc?: { vpcId: string; publicSubnetIds: string[]; privateSubnetIds: string[] };
    nodeInstanceType: string;
    nodeCount: number;
    nodeMaxCount: number;
    /** IAM principals that get cluster-admin through EKS access entries. */
    adminPrincipalArns: string[];
}

/** The nodes' CPU architecture: the node group runs Amazon Linux 2023 for x86_64. */
export const eksNodeArchitecture: "x86_64" | "arm64" = "x86_64";

const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;

function serviceRole(name: string, service: string, policies: string[], parent: pulumi.Resource): aws.iam.Role {
    const role = new aws.iam.Role(name, {
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
        }),
    }, { parent });
    policies.forEach((policy, i) => new aws.iam.RolePolicyAttachment(`${name}-${i}`, {
        role: role.name, policyArn: managedPolicy(policy),
    }, { parent }));
    return role;
}

/**
 * An EKS cluster with API access entries, a managed node group in private subnets and the
 * Pod Identity agent the storage drivers authenticate through.
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** The security group EKS attaches to managed nodes; EFS admits NFS only from it. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Add-on the storage drivers' Pod Identity associations need. */
    public readonly podIdentityAgent: aws.eks.Addon;
    public readonly nodeGroup: aws.eks.NodeGroup;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:cluster:EksCluster", name, {}, opts);
        const tags = { "app.kubernetes.io/part-of": "agent-storage", cluster: args.clusterName };

        let vpcId: pulumi.Input<string>;
        let publicSubnetIds: pulumi.Input<string>[];
        let privateSubnetIds: pulumi.Input<string>[];
        if (args.existingVpc) {
            vpcId = args.existingVpc.vpcId;
            publicSubnetIds = args.existingVpc.publicSubnetIds;
            privateSubnetIds = args.existingVpc.privateSubnetIds;
        } else {
            const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
                cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: args.clusterName },
            }, { parent: this });
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent: this });
            const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
                vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags,
            }, { parent: this });
            const plan = planSubnets(args.vpcCidr, args.availabilityZones);
            const publicSubnets = plan.map((p, i) => new aws.ec2.Subnet(`${name}-public-${i}`, {
                vpcId: vpc.id, cidrBlock: p.publicCidr, availabilityZone: p.zone, mapPublicIpOnLaunch: true,
                tags: { ...tags, "kubernetes.io/role/elb": "1" },
            }, { parent: this }));
            publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, {
                subnetId: s.id, routeTableId: publicRoutes.id,
            }, { parent: this }));
            // One NAT gateway keeps a small stack cheap; nodes lose egress if its AZ fails.
            const natIp = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags }, { parent: this });
            const nat = new aws.ec2.NatGateway(`${name}-nat`, {
                allocationId: natIp.id, subnetId: publicSubnets[0].id, tags,
            }, { parent: this, dependsOn: [igw] });
            const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, {
                vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags,
            }, { parent: this });
            const privateSubnets = plan.map((p, i) => new aws.ec2.Subnet(`${name}-private-${i}`, {
                vpcId: vpc.id, cidrBlock: p.privateCidr, availabilityZone: p.zone,
                tags: { ...tags, "kubernetes.io/role/internal-elb": "1" },
            }, { parent: this }));
            privateSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, {
                subnetId: s.id, routeTableId: privateRoutes.id,
            }, { parent: this }));
            vpcId = vpc.id;
            publicSubnetIds = publicSubnets.map((s) => s.id);
            privateSubnetIds = privateSubnets.map((s) => s.id);
        }

        const clusterRole = serviceRole(`${name}-cluster-role`, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"], this);
        const cluster = new aws.eks.Cluster(`${name}-cluster`, {
            name: args.clusterName,
            version: args.version,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: [...privateSubnetIds, ...publicSubnetIds],
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
            },
            // Access entries instead of the aws-auth ConfigMap: IAM access is managed through the EKS API.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            tags,
        }, { parent: this });

        args.adminPrincipalArns.forEach((arn, i) => {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, {
                clusterName: cluster.name, principalArn: arn, type: "STANDARD",
            }, { parent: this });
            new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
                clusterName: cluster.name,
                principalArn: entry.principalArn,
                policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                accessScope: { type: "cluster" },
            }, { parent: this });
        });

        const nodeRole = serviceRole(`${name}-node-role`, "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"], this);
        this.nodeGroup = new aws.eks.NodeGroup(`${name}-nodes`, {
            clusterName: cluster.name,
            nodeRoleArn: nodeRole.arn,
            subnetIds: privateSubnetIds,
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
        this.vpcId = pulumi.output(vpcId);
        this.privateSubnetIds = pulumi.output(privateSubnetIds);
        this.nodeSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;
        this.kubeconfig = pulumi.secret(pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
            .apply(([clusterName, endpoint, ca]) => renderEksKubeconfig({
                clusterName, endpoint, certificateAuthority: ca.data ?? "", region: args.region,
            })));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, {
            parent: this, dependsOn: [this.nodeGroup],
        });
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, vpcId: this.vpcId });
    }
}
