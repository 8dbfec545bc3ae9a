import * as pulumi from "@pulumi/pulumi";
import { KindCluster } from "../components/cluster";
import { Settings } from "./config";
import { deployAgentData } from "./agentData";
import { StackOutputs, commonOutputs } from "./outputs";

/** A local kind cluster with the agent's data on its `standard` (local-path) class. */
export function buildKindStack(settings: Settings, opts?: { runner?: import("../components/cluster").CommandRunner }): StackOutputs {
    const kind = settings.kind!;
    const cluster = new KindCluster("kind", {
        clusterName: kind.clusterName,
        nodeImage: kind.nodeImage,
        workers: kind.workers,
        dataDir: kind.dataDir,
        staticVolumePaths: settings.embeddingsVolume === "static-hostpath" ? [settings.embeddingsHostPath] : [],
        images: [settings.image],
        deleteDataOnDestroy: settings.deleteDataOnDestroy,
        runner: opts?.runner,
    });
    const data = deployAgentData("agent", { settings, provider: cluster.provider });
    return {
        ...commonOutputs(settings, data), kubeconfig: cluster.kubeconfig,
        cluster: pulumi.output({ name: kind.clusterName, kindConfig: cluster.kindConfig }),
    };
}
