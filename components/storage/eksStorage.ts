import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workloadUid } from "../workloads/podSecurity";
import { partOf, partOfLabel } from "../labels";

export interface EksStorageArgs {
    clusterName: pulumi.Input<string>;
    /** Pod Identity roles trust this cluster only (aws:SourceArn), and its account (aws:SourceAccount). */
    clusterArn: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    /**
     * The nodes' subnets by a stable key (the zone of a subnet the stack creates, the id of one
     * it is given). One EFS mount target goes in each, named by its key, so pods on any node
     * reach the file system and removing a subnet removes only its own mount target.
     */
    privateSubnets: Record<string, pulumi.Input<string>>;
    /** Only this group may reach EFS on TCP 2049. */
    nodeSecurityGroupId: pulumi.Input<string>;
    /** Names of the two classes. */
    blockClassName: string;
    fileClassName: string;
    gp3IsDefault: boolean;
    efsIsDefault: boolean;
    /** Delete instead of Retain on the classes, and let destroy delete the file system. */
    deleteDataOnDestroy: boolean;
    provider: k8s.Provider;
    /** The Pod Identity agent add-on; associations need it. */
    podIdentityAgent: pulumi.Resource;
}

const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";

/** What a Pod Identity role may do: an AWS managed policy, or a policy document of its own. */
type RolePermissions = { managedPolicyArn: string } | { inlinePolicy: pulumi.Input<string> };

/**
 * The trust policy of a role that EKS Pod Identity hands out for this cluster only: the
 * service's requests are honoured when they come from the cluster's account and on behalf
 * of the cluster itself (aws:SourceAccount, aws:SourceArn), so no other cluster's
 * association can take the role.
 */
export function podIdentityTrust(clusterArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: {
                StringEquals: { "aws:SourceAccount": clusterArn.split(":")[4] },
                ArnEquals: { "aws:SourceArn": clusterArn },
            },
        }],
    });
}

/**
 * A role that only the named service account can assume through EKS Pod Identity.
 * Pod Identity rather than IRSA: no OIDC provider per cluster, and the trust policy does
 * not embed a cluster-specific issuer. One role per service account, so each gets only
 * what it needs.
 */
function podIdentityRole(
    name: string, permissions: RolePermissions, cluster: { name: pulumi.Input<string>; arn: pulumi.Input<string> },
    serviceAccount: string, deps: pulumi.Resource[], parent: pulumi.Resource,
): pulumi.Resource[] {
    const role = new aws.iam.Role(name, { assumeRolePolicy: pulumi.output(cluster.arn).apply(podIdentityTrust) }, { parent });
    const grant = "managedPolicyArn" in permissions
        ? new aws.iam.RolePolicyAttachment(name, { role: role.name, policyArn: permissions.managedPolicyArn }, { parent })
        : new aws.iam.RolePolicy(name, { role: role.name, policy: permissions.inlinePolicy }, { parent });
    return [grant, new aws.eks.PodIdentityAssociation(name, {
        clusterName: cluster.name, namespace: "kube-system", serviceAccount, roleArn: role.arn,
    }, { parent, dependsOn: deps })];
}

/**
 * What the EFS CSI node plugin needs of IAM: mounting and writing this file system through a
 * mount target, and finding the mount target of its zone. Creating and deleting access points
 * is the controller's alone.
 */
export function efsNodePolicy(fileSystemArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:DescribeMountTargets"],
                Resource: fileSystemArn,
            },
            { Effect: "Allow", Action: "ec2:DescribeAvailabilityZones", Resource: "*" },
        ],
    });
}

/**
 * The file system's own policy: clients mount and write only through a mount target, over TLS,
 * and through an access point (which fixes the uid and the directory), never as root of the
 * whole file system.
 */
export function efsFileSystemPolicy(fileSystemArn: string): string {
    const clientActions = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"];
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "MountThroughMountTargets",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                Resource: fileSystemArn,
                Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
            },
            {
                Sid: "DenyWithoutTls",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "*",
                Resource: fileSystemArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "DenyWithoutAccessPoint",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: clientActions,
                Resource: fileSystemArn,
                Condition: { Null: { "elasticfilesystem:AccessPointArn": "true" } },
            },
        ],
    });
}

/**
 * EBS for single-writer claims (gp3, the only default class) and EFS for claims shared by
 * many nodes, each through its CSI driver add-on with least-privilege credentials.
 */
export class EksStorage extends pulumi.ComponentResource {
    /** The EBS class; it depends on the EBS driver, so a claim on it needs only the class. */
    public readonly blockClass: k8s.storage.v1.StorageClass;
    /** The EFS class; it depends on the EFS driver and the mount targets. */
    public readonly fileClass: k8s.storage.v1.StorageClass;
    public readonly fileSystem: aws.efs.FileSystem;

    constructor(name: string, args: EksStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:storage:EksStorage", name, {}, opts);
        const reclaimPolicy = args.deleteDataOnDestroy ? "Delete" : "Retain";
        const tags = { [partOfLabel]: partOf };

        // EBS CSI driver.
        const cluster = { name: args.clusterName, arn: args.clusterArn };
        const ebsIdentity = podIdentityRole(`${name}-ebs-csi-controller`,
            { managedPolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" },
            cluster, "ebs-csi-controller-sa", [args.podIdentityAgent], this);
        const ebsDriver = new aws.eks.Addon(`${name}-ebs-csi`, {
            clusterName: args.clusterName, addonName: "aws-ebs-csi-driver",
        }, { parent: this, dependsOn: ebsIdentity });

        // EFS: encrypted file system, NFS only from the nodes, a mount target per private subnet.
        const nfs = new aws.ec2.SecurityGroup(`${name}-efs`, {
            vpcId: args.vpcId,
            description: "NFS from the cluster nodes only",
            ingress: [{ protocol: "tcp", fromPort: 2049, toPort: 2049, securityGroups: [args.nodeSecurityGroupId], description: "NFS from nodes" }],
            tags,
        }, { parent: this });
        this.fileSystem = new aws.efs.FileSystem(`${name}-efs`, {
            encrypted: true,
            performanceMode: "generalPurpose",
            throughputMode: "elastic",
            tags: { ...tags, Name: `${name}-embeddings` },
        }, { parent: this, retainOnDelete: !args.deleteDataOnDestroy });
        const fileSystemPolicy = new aws.efs.FileSystemPolicy(`${name}-efs`, {
            fileSystemId: this.fileSystem.id,
            policy: this.fileSystem.arn.apply(efsFileSystemPolicy),
        }, { parent: this });
        const mountTargets = Object.entries(args.privateSubnets).map(([key, subnetId]) => new aws.efs.MountTarget(`${name}-efs-${key}`, {
            fileSystemId: this.fileSystem.id,
            subnetId,
            securityGroups: [nfs.id],
        }, { parent: this }));
        const efsIdentity = [
            ...podIdentityRole(`${name}-efs-csi-controller`,
                { managedPolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy" },
                cluster, "efs-csi-controller-sa", [args.podIdentityAgent], this),
            ...podIdentityRole(`${name}-efs-csi-node`, { inlinePolicy: this.fileSystem.arn.apply(efsNodePolicy) },
                cluster, "efs-csi-node-sa", [args.podIdentityAgent], this),
        ];
        const efsDriver = new aws.eks.Addon(`${name}-efs-csi`, {
            clusterName: args.clusterName, addonName: "aws-efs-csi-driver",
        }, { parent: this, dependsOn: [...efsIdentity, ...mountTargets, fileSystemPolicy] });

        const k8sOpts = { parent: this, provider: args.provider };
        this.blockClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
            metadata: {
                name: args.blockClassName,
                annotations: { [defaultClassAnnotation]: String(args.gp3IsDefault) },
            },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
            reclaimPolicy,
            // EBS volumes live in one AZ: create them where the pod is scheduled.
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
        }, { ...k8sOpts, dependsOn: [ebsDriver], deleteBeforeReplace: true });
        this.fileClass = new k8s.storage.v1.StorageClass(`${name}-efs`, {
            metadata: {
                name: args.fileClassName,
                annotations: { [defaultClassAnnotation]: String(args.efsIsDefault) },
            },
            provisioner: "efs.csi.aws.com",
            parameters: {
                provisioningMode: "efs-ap",
                fileSystemId: this.fileSystem.id,
                directoryPerms: "700",
                // Access points act as the workload's uid, so non-root pods can write.
                uid: String(workloadUid),
                gid: String(workloadUid),
                basePath: "/agent-storage",
            },
            reclaimPolicy,
            volumeBindingMode: "Immediate",
        }, { ...k8sOpts, dependsOn: [efsDriver], deleteBeforeReplace: true });
        this.registerOutputs({ fileSystemId: this.fileSystem.id });
    }
}
