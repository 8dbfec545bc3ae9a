import * as pulumi from "@pulumi/pulumi";
import { BoundVolume } from "../components/report";
import { ReaderPlacement } from "../components/workloads";
import { Settings } from "./config";
import { AgentData } from "./agentData";

/** Everything a stack exports. */
export interface StackOutputs {
    target: string;
    namespace: pulumi.Output<string>;
    boundVolumes: pulumi.Output<BoundVolume[]>;
    /** Secret: it reaches the cluster. */
    kubeconfig: pulumi.Output<string>;
    /** Embeddings version the generator has published as current, read from the cluster. */
    servedVersion: pulumi.Output<string>;
    /** Versions kept for rollback, newest first, as published. */
    keptVersions: pulumi.Output<string[]>;
    refreshSchedule: string;
    keepVersions: number;
    /** The readers' query API: its in-cluster address, or "off (...)" when queryPort is 0. */
    queryService: pulumi.Output<string>;
    /** Whether readers spread over nodes or run on the writer's node, and why. */
    readerPlacement: ReaderPlacement;
    /** What is particular to the target (one output for all, so no target exports undefined values). */
    cluster: pulumi.Output<ClusterDetails>;
}

/** Target-specific details; only the target's own keys are present. */
export interface ClusterDetails {
    /** kind: the generated kind config (also visible in `pulumi preview --diff`). */
    kindConfig?: string;
    /** kind and eks: the cluster's name. */
    name?: string;
    /** kind: its nodes' names, control plane first. */
    nodes?: string[];
    /** eks: the EFS file system that holds the shared embeddings. */
    efsFileSystemId?: string;
    /** existing: the kubeconfig file and context used. */
    kubeconfigPath?: string;
    kubeContext?: string;
}

export function commonOutputs(settings: Settings, data: AgentData) {
    return {
        target: settings.target,
        namespace: data.namespace,
        boundVolumes: data.boundVolumes,
        servedVersion: data.served.apply((s) => s.version),
        keptVersions: data.served.apply((s) => s.keptVersions),
        refreshSchedule: settings.refresh.schedule,
        keepVersions: settings.refresh.keepVersions,
        readerPlacement: settings.readerPlacement,
        queryService: data.queryService,
    };
}
