import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { refresherContract } from "../workloads/refresherContract";

const keys = refresherContract.statusConfigMap.keys;

export interface ServedVersionReportArgs {
    namespace: pulumi.Input<string>;
    /** ConfigMap the generator publishes to (keys `currentVersion`, `publishedAt`, `keptVersions`). */
    configMapName: string;
    /** Read only once these resolve: the generator is Ready only after it has published. */
    after: pulumi.Input<unknown>[];
    provider: k8s.Provider;
}

/** What the generator has published about the embeddings currently served. */
export interface ServedVersion {
    version: string;
    publishedAt: string;
    keptVersions: string[];
}

export function parseServedVersion(data: Record<string, string> | undefined): ServedVersion {
    return {
        version: data?.[keys.currentVersion] ?? "",
        publishedAt: data?.[keys.publishedAt] ?? "",
        keptVersions: (data?.[keys.keptVersions] ?? "").split(",").map((v) => v.trim()).filter((v) => v !== ""),
    };
}

/** Reads the served embeddings version from the live cluster, after the workloads are up. */
export class ServedVersionReport extends pulumi.ComponentResource {
    public readonly served: pulumi.Output<ServedVersion>;

    constructor(name: string, args: ServedVersionReportArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:report:ServedVersionReport", name, {}, opts);
        const id = pulumi.all([args.namespace, ...args.after]).apply(([namespace]) => `${namespace}/${args.configMapName}`);
        const status = k8s.core.v1.ConfigMap.get(`${name}-status`, id, { parent: this, provider: args.provider });
        this.served = status.data.apply(parseServedVersion);
        this.registerOutputs({ served: this.served });
    }
}
