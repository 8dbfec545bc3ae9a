import * as pulumi from "@pulumi/pulumi";
import { EksCluster, EksNetwork } from "../components/cluster";
import { EksStorage } from "../components/storage";
import { EksStackSettings } from "./config";
import { deployAgentData } from "./agentData";
import { dataIdentityGuard } from "./dataIdentity";
import { aliasFormerPlaces, formerEksPlaces } from "./eksFormerNames";
import { StackOutputs, commonOutputs } from "./outputs";

/** EKS with EBS (gp3, single writer) and EFS (shared embeddings), in a VPC of its own or the user's. */
export function buildEksStack(settings: EksStackSettings): StackOutputs {
    const { eks } = settings;
    // Stacks deployed before EksNetwork keep their resources: see eksFormerNames.
    const keepFormer = { transformations: [aliasFormerPlaces(formerEksPlaces(eks))] };
    const network = eks.existingVpc ?? new EksNetwork("network", {
        clusterName: eks.clusterName,
        vpcCidr: eks.vpcCidr,
        availabilityZones: eks.availabilityZones,
    }, keepFormer);
    const cluster = new EksCluster("eks", {
        clusterName: eks.clusterName,
        region: eks.region,
        version: eks.version,
        privateSubnetIds: Object.values(network.privateSubnets),
        publicSubnetIds: Object.values(network.publicSubnets),
        nodeInstanceType: eks.nodeInstanceType,
        nodeCount: eks.nodeCount,
        nodeMaxCount: eks.nodeMaxCount,
        adminPrincipalArns: eks.adminPrincipalArns,
        publicAccessCidrs: eks.publicAccessCidrs,
        creatorIsAdmin: eks.creatorIsAdmin,
    }, keepFormer);
    const storage = new EksStorage("storage", {
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        vpcId: network.vpcId,
        privateSubnets: network.privateSubnets,
        nodeSecurityGroupId: cluster.nodeSecurityGroupId,
        blockClassName: settings.checkpoints.storageClass,
        fileClassName: settings.embeddings.storageClass,
        gp3IsDefault: eks.gp3IsDefault,
        efsIsDefault: eks.efsIsDefault,
        deleteDataOnDestroy: settings.deleteDataOnDestroy,
        provider: cluster.provider,
        podIdentityAgent: cluster.podIdentityAgent,
    }, keepFormer);
    const data = deployAgentData("agent", {
        settings, provider: cluster.provider, access: { kubeconfig: cluster.kubeconfig },
        storageReady: { [settings.checkpoints.storageClass]: [storage.blockClass], [settings.embeddings.storageClass]: [storage.fileClass] },
        guard: dataIdentityGuard(settings),
    });
    return {
        ...commonOutputs(settings, data), kubeconfig: cluster.kubeconfig,
        cluster: pulumi.output({ name: cluster.clusterName, efsFileSystemId: storage.fileSystem.id }),
    };
}
