import * as pulumi from "@pulumi/pulumi";

/** Runs a program and resolves with its stdout; rejects with its stderr in the message. */
export type CommandRunner = (command: string, args: string[], options?: { input?: string }) => Promise<string>;

/** Inputs of a kind cluster resource; all of them are visible in `pulumi preview --diff`. */
export interface KindClusterInputs {
    name: string;
    nodeImage: string;
    /** The rendered kind config (see kindConfig.ts). */
    config: string;
    /** Host folders that must exist before kind bind-mounts them. */
    hostDirs: string[];
    /** Locally built images to load into the node (no registry is reachable). */
    images: string[];
    /**
     * The local image ID of each of `images` ("" when Docker does not know it): an image
     * rebuilt under the same tag is a change, so the next `up` loads it again. Default: none.
     */
    imageIds?: Record<string, string>;
    /** When true, destroy also removes `hostDirs` (the volumes' bytes). */
    deleteDataOnDestroy: boolean;
    /**
     * Host folders the workload writes in directly (static host-path volumes), and the uid
     * and gid it runs as: a hostPath volume gets no fsGroup, so the folder must be the
     * workload's own. Set at creation and on every update. Default: none.
     */
    workloadDirs?: string[];
    workloadUid?: number;
}

export interface KindClusterOutputs extends KindClusterInputs {
    kubeconfig: string;
}

/** Properties whose change needs a new cluster; anything else is applied in place. */
export const replaceOnChange: Array<keyof KindClusterInputs> = ["name", "nodeImage", "config"];

export function defaultRunner(): CommandRunner {
    return (command, args, options) => new Promise((resolve, reject) => {
        const child = require("child_process").execFile(
            command, args, { maxBuffer: 64 * 1024 * 1024 },
            (error: (Error & { code?: string }) | null, stdout: string, stderr: string) => {
                if (error) {
                    const reason = error.code === "ENOENT" ? "not found on PATH" : (stderr || error.message).trim();
                    reject(new Error(`${command} ${args.join(" ")}: ${reason}`));
                } else {
                    resolve(stdout);
                }
            });
        if (options?.input !== undefined) child.stdin.end(options.input);
    });
}

/** The local Docker image ID of an image, or "" when Docker cannot say (then loading it names the problem). */
export async function localImageId(run: CommandRunner, image: string): Promise<string> {
    try {
        return (await run("docker", ["image", "inspect", "--format", "{{.Id}}", image])).trim();
    } catch {
        return "";
    }
}

/** Makes the workload's own folders (see KindClusterInputs.workloadDirs) belong to its uid. */
export function giveToWorkload(inputs: Pick<KindClusterInputs, "workloadDirs" | "workloadUid">): void {
    if (inputs.workloadUid === undefined) return;
    const fs = require("fs");
    for (const dir of inputs.workloadDirs ?? []) {
        fs.mkdirSync(dir, { recursive: true });
        fs.chownSync(dir, inputs.workloadUid, inputs.workloadUid);
    }
}

/** The deepest folder that holds every one of `dirs`: the cluster's data dir for its volume folders. */
export function commonFolder(dirs: string[]): string {
    const path = require("path");
    const parts: string[][] = dirs.map((d) => path.resolve(d).split(path.sep));
    const shared: string[] = [];
    for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) shared.push(parts[0][i]);
    return shared.join(path.sep) || path.sep;
}

/**
 * A dynamic provider that drives the `kind` CLI. A dynamic provider (rather than a plugin
 * binary) because every plugin is one more Go build on machines that cannot download one.
 */
export function kindClusterProvider(run: CommandRunner): pulumi.dynamic.ResourceProvider {
    const ensureTools = async () => {
        try {
            await run("kind", ["version"]);
        } catch {
            throw new Error("the kind target needs the `kind` CLI on PATH: install kind, or run `scripts/toolchain --with-kind`, " +
                "or use the local cluster instead (`scripts/local-cluster up` and the `local` stack)");
        }
        try {
            await run("docker", ["info", "--format", "{{.ServerVersion}}"]);
        } catch {
            throw new Error("the kind target needs a running Docker daemon (`docker info` failed): start Docker, " +
                "or use the local cluster instead (`scripts/local-cluster up` and the `local` stack)");
        }
    };
    const loadImages = async (name: string, images: string[]) => {
        for (const image of images) {
            try {
                await run("kind", ["load", "docker-image", image, "--name", name]);
            } catch (e) {
                throw new Error(`could not load image ${image} into kind cluster ${name}; build it first with scripts/build-image (${(e as Error).message})`, { cause: e });
            }
        }
    };
    return {
        async check(_olds: KindClusterInputs, news: KindClusterInputs) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(news.name)) {
                failures.push({ property: "name", reason: `"${news.name}" is not a valid kind cluster name` });
            }
            if (!news.config.includes(`name: ${JSON.stringify(news.name)}`)) {
                failures.push({ property: "config", reason: "the kind config names another cluster" });
            }
            return { inputs: news, failures };
        },
        async diff(_id: string, olds: KindClusterOutputs, news: KindClusterInputs) {
            const changed = (Object.keys(news) as Array<keyof KindClusterInputs>)
                .filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
            const replaces = changed.filter((k) => replaceOnChange.includes(k));
            return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
        },
        async create(inputs: KindClusterInputs) {
            await ensureTools();
            const fs = require("fs");
            const os = require("os");
            const path = require("path");
            for (const dir of inputs.hostDirs) fs.mkdirSync(dir, { recursive: true });
            giveToWorkload(inputs);
            const work = fs.mkdtempSync(path.join(os.tmpdir(), "kind-"));
            const configFile = path.join(work, "kind.yaml");
            fs.writeFileSync(configFile, inputs.config);
            try {
                // A separate kubeconfig file keeps the user's merged ~/.kube/config untouched.
                await run("kind", ["create", "cluster", "--name", inputs.name, "--config", configFile,
                    "--kubeconfig", path.join(work, "kubeconfig"), "--wait", "180s"]);
            } finally {
                fs.rmSync(work, { recursive: true, force: true });
            }
            await loadImages(inputs.name, inputs.images);
            const kubeconfig = await run("kind", ["get", "kubeconfig", "--name", inputs.name]);
            return { id: inputs.name, outs: { ...inputs, kubeconfig } };
        },
        async read(id: string, props: KindClusterOutputs) {
            const clusters = (await run("kind", ["get", "clusters"])).split("\n").map((s) => s.trim());
            if (!clusters.includes(id)) return { id: "", props: {} };
            const kubeconfig = await run("kind", ["get", "kubeconfig", "--name", id]);
            return { id, props: { ...props, kubeconfig } };
        },
        async update(id: string, _olds: KindClusterOutputs, news: KindClusterInputs) {
            await ensureTools();
            giveToWorkload(news);
            await loadImages(id, news.images);
            const kubeconfig = await run("kind", ["get", "kubeconfig", "--name", id]);
            return { outs: { ...news, kubeconfig } };
        },
        async delete(id: string, props: KindClusterOutputs) {
            await run("kind", ["delete", "cluster", "--name", id]);
            if (props.deleteDataOnDestroy) {
                const fs = require("fs");
                const path = require("path");
                const top = commonFolder(props.hostDirs);
                for (const dir of props.hostDirs) {
                    fs.rmSync(dir, { recursive: true, force: true });
                    // The folders made around the volumes, now empty, up to the data dir itself;
                    // rmdir stops at the first that still holds something.
                    for (let d = path.dirname(path.resolve(dir)); d === top || d.startsWith(top + path.sep); d = path.dirname(d)) {
                        try { fs.rmdirSync(d); } catch { break; }
                        if (d === top) break;
                    }
                }
            }
        },
    };
}

/**
 * A read-only provider of a kind cluster's kubeconfig, as `kind get kubeconfig` prints it.
 * Reads run in `pulumi preview` too: while the cluster is only updated (an image to load,
 * deleteDataOnDestroy), the kubeconfig stays known there, so the Kubernetes provider built
 * from it, and everything deployed through it, previews as unchanged. The cluster's own
 * outputs are unknown in the preview of any update, which would show every object in the
 * cluster, the data claims among them, as replaced.
 */
export function kindKubeconfigProvider(run: CommandRunner): pulumi.dynamic.ResourceProvider {
    return {
        async create() {
            throw new Error("KindKubeconfig is read-only: construct it with the cluster's name as its id");
        },
        async read(id: string) {
            // A cluster deleted outside Pulumi is gone for `pulumi refresh` (as the cluster
            // resource says too), so `up --refresh` creates it again.
            const clusters = (await run("kind", ["get", "clusters"])).split("\n").map((s) => s.trim());
            if (!clusters.includes(id)) return { id: "", props: {} };
            return { id, props: { kubeconfig: await run("kind", ["get", "kubeconfig", "--name", id]) } };
        },
    };
}
