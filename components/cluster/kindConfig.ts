import * as path from "path";

/** A host folder bind-mounted into a kind node. */
export interface KindMount {
    hostPath: string;
    containerPath: string;
}

/** One worker node of a kind cluster. */
export interface KindWorker {
    extraMounts: KindMount[];
}

export interface KindConfigArgs {
    name: string;
    /** Image of every node. */
    nodeImage: string;
    /** Mounts of the control-plane node. */
    extraMounts: KindMount[];
    /** Worker nodes, each with its own mounts. Default: none (a single-node cluster). */
    workers?: KindWorker[];
}

/**
 * Where kind's default `standard` class (local-path) keeps volume data inside a node. The
 * provisioner that serves `standard` ships with the kind node image and uses this path.
 */
export const localPathDir = "/var/local-path-provisioner";

/**
 * Where every node sees the one shared host folder: the shared-path provisioner (class
 * `shared`) keeps its volumes here, so a volume is reachable from whichever node a pod lands on.
 */
export const sharedPathDir = "/var/local-path-shared";

/**
 * Node keys in kind's order: kind names its nodes `<cluster>-control-plane`,
 * `<cluster>-worker`, `<cluster>-worker2`, `<cluster>-worker3`, …
 */
export function kindNodeKeys(workers: number): string[] {
    return ["control-plane", ...Array.from({ length: workers }, (_, i) => (i === 0 ? "worker" : `worker${i + 1}`))];
}

/** The node names kind gives a cluster (also each node's `kubernetes.io/hostname` label). */
export function kindNodeNames(clusterName: string, workers: number): string[] {
    return kindNodeKeys(workers).map((key) => `${clusterName}-${key}`);
}

/**
 * The nodes our pods can run on. kind removes the control plane's NoSchedule taint only when
 * the cluster has no workers, so with workers the pods run on the workers alone.
 */
export function kindWorkloadNodeNames(clusterName: string, workers: number): string[] {
    const names = kindNodeNames(clusterName, workers);
    return workers === 0 ? names : names.slice(1);
}

/** The one node that holds static host-path volumes: the first node pods can run on. */
export function kindStaticVolumeNode(clusterName: string, workers: number): string {
    return kindWorkloadNodeNames(clusterName, workers)[0];
}

/** Host folder for one static volume; the node path is flattened into a folder name. */
export function staticVolumeHostDir(dataDir: string, nodePath: string): string {
    return path.join(dataDir, "static", nodePath.replace(/^\/+/, "").replace(/\//g, "_"));
}

/** Host folder behind one node's local-path volumes. */
export function nodeLocalPathHostDir(dataDir: string, nodeKey: string): string {
    // The control plane keeps the folder of the single-node layout (<dataDir>/local-path), so
    // volume bytes written before the cluster had workers are still where the node finds them.
    return nodeKey === "control-plane" ? path.join(dataDir, "local-path") : path.join(dataDir, "nodes", nodeKey, "local-path");
}

/** Host folder mounted into every node: the file system the `shared` class spans. */
export function sharedHostDir(dataDir: string): string {
    return path.join(dataDir, "shared");
}

export interface KindLayoutArgs {
    name: string;
    nodeImage: string;
    /** Host folder under which every node's volume bytes live. */
    dataDir: string;
    /** Worker nodes besides the control plane (0: a single node). */
    workers: number;
    /** Node paths of static host-path volumes; mounted into kindStaticVolumeNode only. */
    staticVolumePaths: string[];
}

/**
 * The cluster's nodes and what each mounts: its own local-path folder, the one shared folder,
 * and, on the static-volume node, the static volumes' folders.
 */
export function kindLayout(args: KindLayoutArgs): KindConfigArgs {
    const staticNode = kindStaticVolumeNode(args.name, args.workers);
    const mountsOf = (key: string): KindMount[] => [
        { hostPath: nodeLocalPathHostDir(args.dataDir, key), containerPath: localPathDir },
        { hostPath: sharedHostDir(args.dataDir), containerPath: sharedPathDir },
        ...(`${args.name}-${key}` === staticNode
            ? args.staticVolumePaths.map((p) => ({ hostPath: staticVolumeHostDir(args.dataDir, p), containerPath: p }))
            : []),
    ];
    const [controlPlane, ...workers] = kindNodeKeys(args.workers);
    return {
        name: args.name,
        nodeImage: args.nodeImage,
        extraMounts: mountsOf(controlPlane),
        workers: workers.map((key) => ({ extraMounts: mountsOf(key) })),
    };
}

/** Every host folder a layout mounts, once each: they must exist before kind starts. */
export function kindHostDirs(layout: KindConfigArgs): string[] {
    const all = [layout.extraMounts, ...(layout.workers ?? []).map((w) => w.extraMounts)].flat().map((m) => m.hostPath);
    return [...new Set(all)];
}

/**
 * Renders a kind cluster config. It is an input of the cluster resource, so every change
 * to it shows in `pulumi preview --diff`. Strings are JSON-quoted, which YAML accepts.
 */
export function renderKindConfig(args: KindConfigArgs): string {
    const lines = [
        "kind: Cluster",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        `name: ${JSON.stringify(args.name)}`,
        "nodes:",
    ];
    const node = (role: string, mounts: KindMount[]) => {
        lines.push(`  - role: ${role}`);
        lines.push(`    image: ${JSON.stringify(args.nodeImage)}`);
        if (mounts.length > 0) {
            lines.push("    extraMounts:");
            for (const m of mounts) {
                lines.push(`      - hostPath: ${JSON.stringify(m.hostPath)}`);
                lines.push(`        containerPath: ${JSON.stringify(m.containerPath)}`);
            }
        }
    };
    node("control-plane", args.extraMounts);
    for (const worker of args.workers ?? []) node("worker", worker.extraMounts);
    return lines.join("\n") + "\n";
}
