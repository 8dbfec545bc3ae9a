import * as pulumi from "@pulumi/pulumi";
import { BoundVolume } from "../components/report";
import { Settings } from "./config";
import { AgentData } from "./agentData";

/** Everything a stack exports. */
export interface StackOutputs {
    target: string;
    namespace: pulumi.Output<string>;
    boundVolumes: pulumi.Output<BoundVolume[]>;
    /** Secret: it reaches the cluster. */
    kubeconfig: pulumi.Output<string>;
    refreshSchedule: string;
    keepVersions: number;
    kindConfig?: pulumi.Output<string>;
    clusterName?: pulumi.Output<string>;
    fileSystemId?: pulumi.Output<string>;
}

export function commonOutputs(settings: Settings, data: AgentData) {
    return {
        target: settings.target,
        namespace: data.namespace,
        boundVolumes: data.boundVolumes,
        refreshSchedule: settings.refresh.schedule,
        keepVersions: settings.refresh.keepVersions,
    };
}
