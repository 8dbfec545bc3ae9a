import * as pulumi from "@pulumi/pulumi";
// The targets import the files they use, not the folders' barrels, which hold the EKS
// components too: a kind or existing-cluster run then loads neither them nor the AWS SDK.
import { KindCluster } from "../components/cluster/kindCluster";
import { kindNodeNames } from "../components/cluster/kindConfig";
import { KindSharedStorage } from "../components/storage/kindSharedStorage";
import { workloadUid } from "../components/workloads";
import { KindStackSettings } from "./config";
import { deployAgentData } from "./agentData";
import { dataIdentityGuard } from "./dataIdentity";
import { StackOutputs, commonOutputs } from "./outputs";

/**
 * A local kind cluster: the embeddings on the `shared` class (one host folder every node
 * mounts, standing for EFS), the checkpoints on kind's node-local `standard` class.
 */
export function buildKindStack(settings: KindStackSettings, opts?: { runner?: import("../components/cluster/kindProvider").CommandRunner }): StackOutputs {
    const { kind } = settings;
    const guard = dataIdentityGuard(settings);
    const cluster = new KindCluster("kind", {
        clusterName: kind.clusterName,
        nodeImage: kind.nodeImage,
        workers: kind.workers,
        dataDir: kind.dataDir,
        staticVolumePaths: settings.embeddingsVolume === "static-hostpath" ? [settings.embeddingsHostPath] : [],
        images: [settings.image],
        deleteDataOnDestroy: settings.deleteDataOnDestroy,
        workloadUid,
        runner: opts?.runner,
        guardedBy: guard,
    });
    const shared = new KindSharedStorage("shared-storage", {
        className: kind.sharedStorage.className,
        image: kind.sharedStorage.image,
        helperImage: settings.image,
        resizerImage: settings.image,
        provider: cluster.provider,
    }, { deletedWith: cluster.cluster });
    // Whatever lives in the cluster goes when the cluster is deleted; the host data folder,
    // where the data is, stays unless deleteDataOnDestroy (the KindCluster provider's rule).
    const data = deployAgentData("agent", {
        settings, provider: cluster.provider, access: { kubeconfig: cluster.kubeconfig },
        storageReady: { [kind.sharedStorage.className]: [shared] }, guard, deletedWith: cluster.cluster,
    });
    return {
        ...commonOutputs(settings, data), kubeconfig: cluster.kubeconfig,
        cluster: pulumi.output({ name: kind.clusterName, nodes: kindNodeNames(kind.clusterName, kind.workers), kindConfig: cluster.kindConfig }),
    };
}
