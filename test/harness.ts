import * as pulumi from "@pulumi/pulumi";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { mirrorSpec } from "../components/storage/copySource";
import { RawConfig, ResolveContext, StackOutputs, buildStack } from "../stacks";

/**
 * A value the mocks recorded: a resource's inputs as plain JSON, shaped like whichever
 * Kubernetes or AWS type it is. Tests walk it field by field and assert on what they find,
 * so a wrong path fails an assertion.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of every resource type the program makes
export type Json = any;

/** A resource the program registered, with the options that matter for data safety. */
export interface Recorded {
    type: string;
    name: string;
    inputs: Json;
    id?: string;
    read: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    parent?: string;
    provider?: string;
    /** Names of the resources it explicitly depends on. */
    dependsOn: string[];
    /** Name of the resource whose deletion deletes it, its own or a parent's (the engine passes it down). */
    deletedWith?: string;
}

/** A resource as the program constructed it: enough to work out its URN and its aliases' URNs. */
export interface Constructed {
    resource: pulumi.Resource;
    type: string;
    name: string;
    parent?: pulumi.Resource;
    aliases: pulumi.ResourceOptions["aliases"];
    read: boolean;
}

export const testContext: ResolveContext = { projectDir: "/project", homeDir: "/home/user" };

const secretSig = "4dabf18193072939515e22adb298388d";

/** Mocks see secrets in their wire form; tests want the values. */
function unwrapSecrets(value: Json): Json {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (secretSig in value) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** A resource's name as the SDK keeps it (an internal field its type declarations leave out). */
const nameOf = (resource: unknown): string => (resource as { __name: string }).__name;

/** The state a live cluster would report for a claim that bound to a dynamic volume. */
function boundClaim(created: Json) {
    return {
        ...created,
        spec: { ...created.spec, volumeName: created.spec?.volumeName ?? `pvc-${created.metadata.name}-0001` },
        status: {
            phase: "Bound",
            accessModes: created.spec?.accessModes,
            capacity: { storage: created.spec?.resources?.requests?.storage },
        },
    };
}

/**
 * Pulumi mocks that remember every resource and answer `.get` reads of claims and volumes
 * the way a cluster does once the pods are up: the claim Bound, the volume present.
 */
export class MockCluster implements pulumi.runtime.Mocks {
    public readonly resources: Recorded[] = [];
    /** Every resource the program constructed, components included, in order. */
    public readonly constructed: Constructed[] = [];
    /** The URN of every resource registered, components included, as the engine would know it. */
    public urns: string[] = [];
    private readonly claims = new Map<string, Json>();
    private readonly options = new Map<string, Partial<Recorded>>();
    private readonly deletedWith = new Map<pulumi.Resource, string | undefined>();
    /** The reclaim policy of every class this mock cluster has and the program does not create. */
    public reclaimPolicy = "Delete";
    /** Reclaim policies set by the program's volume patches, by volume name. */
    public readonly patchedReclaim = new Map<string, string>();
    /** Kept (Released) volumes a claim would get back, by `<namespace>/<claim>`. */
    public keptVolumes: Record<string, string> = {};
    /**
     * The mock scheduler's nodes: a Deployment's pods all go to the first, unless the pod spec
     * asks for a spread over nodes; then they go round the nodes.
     */
    public nodes = ["node-a", "node-b"];
    /** What the generator would have published by the time it is Ready. */
    public publishedStatus: Record<string, string> = {
        currentVersion: "20261124T100000.000Z-ab12c3", publishedAt: "2026-11-24T10:00:01Z", keptVersions: "20261124T100000.000Z-ab12c3,20261117T100000.000Z-cd34e5",
    };

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, Json> } {
        args = { ...args, inputs: unwrapSecrets(args.inputs) };
        const opts = this.options.get(`${args.type}::${args.name}`) ?? {};
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, id: args.id, read: !!args.id, dependsOn: [], ...opts });
        if (args.type === "kubernetes:core/v1:PersistentVolumeClaim") {
            if (args.id) {
                const created = this.claims.get(args.id);
                if (!created) throw new Error(`mock cluster: no claim ${args.id}`);
                return { id: args.id, state: boundClaim(created) };
            }
            const key = `${args.inputs.metadata.namespace}/${args.inputs.metadata.name}`;
            this.claims.set(key, args.inputs);
            // At creation a WaitForFirstConsumer claim is still Pending: the report must not use this.
            return { id: key, state: { ...args.inputs, status: { phase: "Pending" } } };
        }
        if (args.type === "pulumi-nodejs:dynamic/agent-storage:VolumeReclaimPolicy") {
            this.patchedReclaim.set(args.inputs.volume, args.inputs.policy);
            return { id: args.inputs.volume, state: { volume: args.inputs.volume, policy: args.inputs.policy, labels: args.inputs.labels } };
        }
        if (args.type === "kubernetes:storage.k8s.io/v1:StorageClass" && args.id) {
            const created = this.resources.find((r) => r.type === args.type && !r.read && r.inputs.metadata?.name === args.id);
            return { id: args.id, state: { metadata: { name: args.id }, reclaimPolicy: created?.inputs.reclaimPolicy ?? this.reclaimPolicy } };
        }
        if (args.type === "pulumi-nodejs:dynamic/agent-storage:KeptVolumeHandBack" && args.id) {
            const [namespace, claim] = args.id.split("/");
            return { id: args.id, state: { namespace, claim, volume: this.keptVolumes[args.id] ?? "", others: [] } };
        }
        if (args.type === "kubernetes:core/v1:PersistentVolume" && args.id) {
            const claim = [...this.claims.values()].find((c) => boundClaim(c).spec.volumeName === args.id);
            const staticVolume = this.resources.find((r) => r.type === args.type && !r.read && r.inputs.metadata?.name === args.id);
            return {
                id: args.id,
                state: staticVolume ? staticVolume.inputs : {
                    metadata: { name: args.id },
                    spec: { persistentVolumeReclaimPolicy: this.patchedReclaim.get(args.id) ?? this.reclaimPolicy, accessModes: claim?.spec?.accessModes, storageClassName: claim?.spec?.storageClassName },
                },
            };
        }
        if (args.type === "kubernetes:core/v1:ConfigMap" && args.id) {
            return { id: args.id, state: { metadata: { name: args.id.split("/")[1] }, data: this.publishedStatus } };
        }
        if (args.type === "kubernetes:apps/v1:Deployment") {
            const replicas = args.inputs.spec?.replicas ?? 1;
            return { id: `${args.inputs.metadata.namespace}/${args.inputs.metadata.name}`, state: { ...args.inputs, status: { replicas, readyReplicas: replicas } } };
        }
        if (args.type === "pulumi-nodejs:dynamic/agent-storage:ClaimNodes" && args.id) {
            const [namespace, claim] = args.id.split("/");
            return { id: args.id, state: { namespace, claim, nodes: this.nodesMounting(namespace, claim) } };
        }
        if (args.type === "pulumi-nodejs:dynamic/agent-storage:CopySource" && args.id) {
            // The old namespace's claim, bound to a volume of the local-path provisioner on one node.
            const volume = `pvc-${args.inputs.fromNamespace}-${args.inputs.claim}`;
            const result = mirrorSpec({ spec: { volumeName: volume }, status: { phase: "Bound" } }, {
                metadata: { name: volume },
                spec: {
                    capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem", persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: "standard", hostPath: { path: `/var/local-path-provisioner/${volume}`, type: "DirectoryOrCreate" },
                    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [this.nodes[0]] }] }] } },
                    claimRef: { namespace: args.inputs.fromNamespace, name: args.inputs.claim },
                },
            }, args.inputs);
            if ("problem" in result) throw new Error(result.problem);
            return { id: args.id, state: { ...args.inputs, volumeName: volume, spec: result.spec } };
        }
        if (args.type === "pulumi-nodejs:dynamic/agent-storage:KindKubeconfig") {
            return { id: args.id, state: { kubeconfig: `apiVersion: v1\nkind: Config\n# kind ${args.id}\n` } };
        }
        if (args.type.startsWith("pulumi-nodejs:dynamic")) {
            return { id: args.inputs.name, state: { ...args.inputs, kubeconfig: `apiVersion: v1\nkind: Config\n# kind ${args.inputs.name}\n` } };
        }
        if (args.type === "aws:eks/cluster:Cluster") {
            return {
                id: args.inputs.name,
                state: {
                    ...args.inputs,
                    arn: `arn:aws:eks:us-east-1:111122223333:cluster/${args.inputs.name}`,
                    endpoint: "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
                    certificateAuthority: { data: "Q0EtREFUQQ==" },
                    vpcConfig: { ...args.inputs.vpcConfig, clusterSecurityGroupId: "sg-cluster" },
                },
            };
        }
        if (args.type === "aws:ec2/launchTemplate:LaunchTemplate") {
            return { id: `${args.name}-id`, state: { ...args.inputs, latestVersion: 1 } };
        }
        return { id: args.id || `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:mock::${args.name}`, name: args.inputs.name ?? args.name } };
    }

    /** Nodes of the pods that mount the claim, one entry per pod, as the mock scheduler placed them. */
    nodesMounting(namespace: string, claim: string): string[] {
        const nodes: string[] = [];
        for (const d of this.ofType("kubernetes:apps/v1:Deployment", { read: false })) {
            const spec = d.inputs.spec.template.spec;
            if (d.inputs.metadata.namespace !== namespace || !spec.volumes?.some((v: Json) => v.persistentVolumeClaim?.claimName === claim)) continue;
            for (let i = 0; i < (d.inputs.spec.replicas ?? 1); i++) nodes.push(spec.topologySpreadConstraints ? this.nodes[i % this.nodes.length] : this.nodes[0]);
        }
        return nodes;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, Json> {
        return args.inputs;
    }

    /** Called from a stack transformation: remembers options the mocks cannot see. */
    noteOptions(type: string, name: string, opts: pulumi.ResourceOptions, resource: pulumi.Resource): void {
        this.constructed.push({ resource, type, name, parent: opts.parent, aliases: opts.aliases, read: opts.id !== undefined });
        const deletedWith = opts.deletedWith ? nameOf(opts.deletedWith) : opts.parent ? this.deletedWith.get(opts.parent) : undefined;
        this.deletedWith.set(resource, deletedWith);
        this.options.set(`${type}::${name}`, {
            deletedWith,
            retainOnDelete: opts.retainOnDelete,
            deleteBeforeReplace: (opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
            parent: opts.parent ? nameOf(opts.parent) : undefined,
            provider: (opts as pulumi.CustomResourceOptions).provider ? nameOf((opts as pulumi.CustomResourceOptions).provider) : undefined,
            dependsOn: (Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : []).map(nameOf),
        });
    }

    ofType(type: string, opts: { read?: boolean } = {}): Recorded[] {
        return this.resources.filter((r) => r.type === type && (opts.read === undefined || r.read === opts.read));
    }

    one(type: string, predicate: (r: Recorded) => boolean = () => true): Recorded {
        const found = this.resources.filter((r) => r.type === type && !r.read && predicate(r));
        if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
        return found[0];
    }
}

export function valueOf<T>(output: pulumi.Output<T> | T): Promise<T> {
    if (!pulumi.Output.isInstance(output)) return Promise.resolve(output as T);
    return new Promise((resolve) => (output as pulumi.Output<T>).apply((v) => { resolve(v); return v; }));
}

/**
 * Builds a whole stack from a config object against the mock cluster, waits until the
 * report is done, and returns what was registered.
 */
export async function buildWithMocks(
    raw: RawConfig, ctx: ResolveContext = testContext, cluster: MockCluster = new MockCluster(),
): Promise<{ cluster: MockCluster; outputs: StackOutputs }> {
    pulumi.runtime.setMocks(cluster, "agent-storage", "test", false);
    let outputs: StackOutputs | undefined;
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            cluster.noteOptions(args.type, args.name, args.opts, args.resource);
            return undefined;
        });
        outputs = buildStack(raw, ctx);
        return {};
    });
    await valueOf(outputs!.boundVolumes);
    const monitor: unknown = pulumi.runtime.getMonitor();
    if (typeof monitor === "object" && monitor !== null && "resources" in monitor && monitor.resources instanceof Map) {
        cluster.urns = [...monitor.resources.keys()].filter((k): k is string => typeof k === "string");
    }
    return { cluster, outputs: outputs! };
}

export const fixturesDir = path.join(__dirname, "fixtures");

const built = new Map<string, Promise<{ cluster: MockCluster; outputs: StackOutputs }>>();

/** Like buildWithMocks, but builds each distinct config once per test run (tests only read). */
export function buildOnce(raw: RawConfig): Promise<{ cluster: MockCluster; outputs: StackOutputs }> {
    const key = JSON.stringify(raw);
    if (!built.has(key)) built.set(key, buildWithMocks(raw));
    return built.get(key)!;
}

/**
 * A fake Kubernetes API server on a free local port, answering with `handle`, and a
 * kubeconfig (token user) that points at it, for the dynamic providers' own requests.
 */
export async function startFakeApi(handle: http.RequestListener): Promise<{ url: string; kubeconfig: string; close: () => void }> {
    const server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kubeconfig = `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: "${url}"}}]\n` +
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n";
    return { url, kubeconfig, close: () => server.close() };
}
