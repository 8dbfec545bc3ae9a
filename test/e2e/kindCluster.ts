/**
 * A kind cluster owned by one e2e suite: the suite's stack (target kind) creates it through
 * the program's KindCluster resource on the node image cluster/build-node-image.sh builds, and
 * the suite points kubectl at the kubeconfig the stack outputs. Each suite has its own
 * cluster name and data dir, so suites never share state and a crashed run is cleaned up by
 * the next one.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { defaults } from "../../stacks/settings";
import {
    LOCAL_KUBECONFIG, ROOT, engineOutput, kubectlPath, note, openStack, removeStack, secs, setConfig, stateResources, toolchainProblems, useKubeconfig,
} from "./lib";

/** Workers of every suite's cluster: readers need other nodes than the writer's. */
export const KIND_WORKERS = 2;
/** The class KindSharedStorage installs: one host folder mounted on every node (RWX). */
export const SHARED_CLASS = defaults.kindStorageClasses.shared.name;
/** The per-node local-path class every kind cluster has. */
export const NODE_LOCAL_CLASS = defaults.kindStorageClasses.nodeLocal.name;

const toolsEnv = () => ({ ...process.env, PATH: `${path.join(ROOT, ".tools", "bin")}:${process.env.PATH}` });

/** The node image cluster/build-node-image.sh builds, as cluster/versions.sh names it. */
export function localNodeImage(): string {
    const r = spawnSync("bash", ["-c", `source cluster/versions.sh && echo "$KIND_NODE_IMAGE"`], { cwd: ROOT, encoding: "utf8" });
    return r.stdout.trim();
}

export class KindSuiteCluster {
    readonly dataDir: string;
    readonly kubeconfigFile: string;

    constructor(readonly name: string) {
        this.dataDir = path.join(ROOT, ".kind-data", name);
        this.kubeconfigFile = path.join(os.tmpdir(), `agent-storage-${name}.kubeconfig`);
    }

    /** Stack config that makes `up` create this cluster, plus the suite's own keys. */
    config(extra: Record<string, string>): Record<string, string> {
        return {
            target: "kind",
            kindClusterName: this.name,
            kindWorkers: String(KIND_WORKERS),
            kindNodeImage: localNodeImage(),
            kindDataDir: this.dataDir,
            ...extra,
        };
    }

    /** What is missing on this machine to create the cluster (empty when nothing is). */
    preflightProblems(): string[] {
        const problems = toolchainProblems();
        if (spawnSync("docker", ["info"], { encoding: "utf8" }).status !== 0) problems.push("no Docker daemon answers (scripts/docker up)");
        if (spawnSync("kind", ["version"], { env: toolsEnv(), encoding: "utf8" }).status !== 0) problems.push("the kind CLI is not built (scripts/toolchain --with-kind)");
        else if (spawnSync("docker", ["image", "inspect", localNodeImage()], { encoding: "utf8" }).status !== 0) {
            problems.push(`the node image ${localNodeImage()} is not in Docker (cluster/build-node-image.sh)`);
        }
        if (!kubectlPath()) problems.push("kubectl is not built (cluster/build-k8s.sh)");
        return problems;
    }

    /** Deletes what an earlier run may have left: the cluster and its data dir. */
    reset(): void {
        this.deleteCluster();
        fs.rmSync(this.dataDir, { recursive: true, force: true });
    }

    deleteCluster(): void {
        spawnSync("kind", ["delete", "cluster", "--name", this.name], { env: toolsEnv() });
    }

    exists(): boolean {
        const out = spawnSync("kind", ["get", "clusters"], { encoding: "utf8", env: toolsEnv() }).stdout ?? "";
        return out.split("\n").includes(this.name);
    }

    /** Points kubectl at the cluster an `up` of the suite's stack created. */
    adopt(outputs: OutputMap): void {
        const kubeconfig = String(outputs.kubeconfig?.value ?? "");
        if (!kubeconfig) throw new Error(`the stack has no kubeconfig output: ${Object.keys(outputs).join(", ")}`);
        fs.writeFileSync(this.kubeconfigFile, kubeconfig, { mode: 0o600 });
        useKubeconfig(this.kubeconfigFile);
    }

    /**
     * Opens the suite's stack from empty: the cluster and data dir an earlier, killed run may
     * have left are deleted, and so is the state that still names them.
     */
    async openFreshStack(stackName: string, config: Record<string, string>): Promise<Stack> {
        this.reset();
        let stack = await openStack(stackName, config);
        if ((await stateResources(stack)).length > 0) {
            note(`stack ${stackName} has resources from an earlier run: forgetting them (the cluster is gone)`);
            await removeStack(stack, stackName);
            stack = await openStack(stackName, config);
        }
        return stack;
    }

    /** Destroys the stack with its data, then deletes the cluster, the data dir and the stack; never throws. */
    async tearDown(stack: Stack, stackName: string): Promise<void> {
        const t0 = Date.now();
        try {
            await setConfig(stack, { deleteDataOnDestroy: "true" });
            if ((await stateResources(stack)).length > 0) {
                await stack.destroy({ onOutput: engineOutput("cleanup") }).catch((e) => note(`cleanup destroy: ${(e as Error).message.split("\n")[0]}`));
            }
        } catch (e) {
            note(`cleanup of stack ${stackName}: ${(e as Error).message.split("\n")[0]}`);
        } finally {
            this.cleanup();
            this.reset();
            await removeStack(stack, stackName);
            note(`cleanup done: kind cluster ${this.name} deleted, data dir removed, stack ${stackName} removed (${secs(t0)})`);
        }
    }

    /** Deletes the cluster and its kubeconfig; kubectl points at the local cluster again. */
    cleanup(): void {
        this.deleteCluster();
        fs.rmSync(this.kubeconfigFile, { force: true });
        useKubeconfig(LOCAL_KUBECONFIG);
    }
}

/**
 * For a suite's `before` hook: with AGENT_STORAGE_E2E=skip, skips the suite saying so;
 * otherwise throws (mocha reports a FAILED hook) when anything the cluster needs is missing.
 */
export function requireKindEnvironment(ctx: Mocha.Context, suite: string, cluster: KindSuiteCluster): void {
    if (process.env.AGENT_STORAGE_E2E === "skip") {
        process.stderr.write(`\n!!! E2E SKIPPED: AGENT_STORAGE_E2E=skip is set, so the suite "${suite}" did NOT run on kind !!!\n\n`);
        ctx.skip();
    }
    const problems = cluster.preflightProblems();
    if (problems.length > 0) {
        const msg = `the end-to-end suite "${suite}" cannot run on kind; missing:\n` + problems.map((p) => `  - ${p}`).join("\n") +
            "\n(set AGENT_STORAGE_E2E=skip to leave the e2e tests out on purpose)";
        process.stderr.write(`\n!!! E2E CANNOT RUN: ${msg}\n\n`);
        throw new Error(msg);
    }
}
