import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { ExistingCluster } from "../components/cluster/existingCluster"; // not the barrel: see kind.ts
import { ConfigError } from "../components/problems";
import { ExistingStackSettings } from "./config";
import { deployAgentData } from "./agentData";
import { dataIdentityGuard } from "./dataIdentity";
import { ClusterDetails, StackOutputs, commonOutputs } from "./outputs";

/** Reads the kubeconfig up front, so a wrong path fails before anything is created. */
export function readKubeconfig(path: string): string {
    try {
        return fs.readFileSync(path, "utf8");
    } catch (e) {
        const reason = e instanceof Error ? ("code" in e && typeof e.code === "string" ? e.code : e.message) : String(e);
        throw new ConfigError([{
            key: "agent-storage:kubeconfig",
            message: `cannot read ${path} (${reason})`,
            fix: "point it at the cluster's kubeconfig: pulumi config set agent-storage:kubeconfig <path>" +
                "   (for the local cluster: scripts/local-cluster up writes .local-cluster/kubeconfig)",
        }]);
    }
}

/** Any conformant cluster the user already has, reached through its kubeconfig. */
export function buildExistingStack(settings: ExistingStackSettings): StackOutputs {
    const { existing } = settings;
    const cluster = new ExistingCluster("existing", {
        kubeconfig: readKubeconfig(existing.kubeconfig),
        context: existing.context,
    });
    const data = deployAgentData("agent", {
        settings, provider: cluster.provider, access: { kubeconfig: cluster.kubeconfig, context: existing.context },
        guard: dataIdentityGuard(settings),
    });
    const details: ClusterDetails = { kubeconfigPath: existing.kubeconfig };
    if (existing.context) details.kubeContext = existing.context;
    return { ...commonOutputs(settings, data), kubeconfig: cluster.kubeconfig, cluster: pulumi.output(details) };
}
