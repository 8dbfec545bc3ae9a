import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kindHostDirs, kindLayout, renderKindConfig, staticVolumeHostDir } from "./kindConfig";
import { CommandRunner, KindClusterInputs, defaultRunner, kindClusterProvider, kindKubeconfigProvider, localImageId } from "./kindProvider";

export interface KindClusterArgs {
    /** kind cluster name; also the kubeconfig context `kind-<name>`. */
    clusterName: string;
    /** kindest/node image of every node (must be available to the local Docker). */
    nodeImage: string;
    /** Worker nodes besides the control plane; 0 makes a single-node cluster. */
    workers: number;
    /**
     * Host folder that holds the volumes' bytes. Its folders are bind-mounted into the nodes,
     * so the data outlives the cluster: deleting the cluster does not delete the embeddings.
     */
    dataDir: string;
    /** Node paths of static host-path volumes, each backed by a folder under dataDir, on one node. */
    staticVolumePaths: string[];
    /** Locally built images to load into the node. */
    images: string[];
    /** Remove dataDir on destroy as well. */
    deleteDataOnDestroy: boolean;
    /** The uid (and gid) the workload runs as: it owns the static volumes' host folders. */
    workloadUid: number;
    /** Test seam: how the kind CLI is run. */
    runner?: CommandRunner;
    /**
     * Checked before this resource changes: the guard that refuses a change of the data's
     * identity (DataIdentityGuard). Default: none.
     */
    guardedBy?: pulumi.Resource;
}

class KindClusterResource extends pulumi.dynamic.Resource {
    public readonly kubeconfig!: pulumi.Output<string>;
    public readonly config!: pulumi.Output<string>;
    constructor(name: string, args: pulumi.Inputs, runner: CommandRunner, opts?: pulumi.CustomResourceOptions) {
        super(kindClusterProvider(runner), name, { ...args, kubeconfig: undefined }, {
            ...opts,
            additionalSecretOutputs: ["kubeconfig"],
        }, "agent-storage", "KindCluster");
    }
}

class KindKubeconfig extends pulumi.dynamic.Resource {
    public readonly kubeconfig!: pulumi.Output<string>;
    constructor(name: string, runner: CommandRunner, opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        super(kindKubeconfigProvider(runner), name, { kubeconfig: undefined }, {
            ...opts,
            additionalSecretOutputs: ["kubeconfig"],
        }, "agent-storage", "KindKubeconfig");
    }
}

/**
 * A local kind cluster created from a generated config, deleted on destroy, and a
 * Kubernetes provider built from that cluster's own kubeconfig (never ~/.kube/config).
 */
export class KindCluster extends pulumi.ComponentResource {
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    public readonly kindConfig: string;
    /** The cluster itself: deleting it deletes everything in it. */
    public readonly cluster: pulumi.CustomResource;

    constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:cluster:KindCluster", name, {}, opts);

        const layout = kindLayout({
            name: args.clusterName, nodeImage: args.nodeImage, dataDir: args.dataDir,
            workers: args.workers, staticVolumePaths: args.staticVolumePaths,
        });
        this.kindConfig = renderKindConfig(layout);

        const runner = args.runner ?? defaultRunner();
        const inputs: { [K in keyof KindClusterInputs]: pulumi.Input<KindClusterInputs[K]> } = {
            name: args.clusterName,
            nodeImage: args.nodeImage,
            config: this.kindConfig,
            hostDirs: kindHostDirs(layout),
            images: args.images,
            imageIds: Promise.all(args.images.map(async (image) => [image, await localImageId(runner, image)] as const))
                .then((ids) => Object.fromEntries(ids)),
            deleteDataOnDestroy: args.deleteDataOnDestroy,
            workloadDirs: args.staticVolumePaths.map((p) => staticVolumeHostDir(args.dataDir, p)),
            workloadUid: args.workloadUid,
        };
        const cluster = new KindClusterResource(name, inputs, runner, { parent: this, dependsOn: args.guardedBy });
        this.cluster = cluster;
        // Read back once the cluster is created or updated (its id resolves then); see
        // kindKubeconfigProvider for why not the cluster's own output.
        const live = new KindKubeconfig(`${name}-kubeconfig`, runner, { parent: this, id: cluster.id });
        this.kubeconfig = pulumi.secret(live.kubeconfig);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
