/**
 * End to end: the lesson's static host-path volume on several nodes. A host folder exists on
 * one node only, so the program pins the volume to that node (node affinity) and every pod
 * that mounts it runs there. Its own stack `e2e-static` creates a kind cluster of three nodes
 * through the program. See docs/e2e.md.
 *
 * Run: npx mocha --config test/e2e/.mocharc.json test/e2e/static.e2e.ts
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { kindStaticVolumeNode, staticVolumeHostDir } from "../../components/cluster";
import { defaults } from "../../stacks/settings";
import {
    EMBEDDINGS_PATH, GENERATOR, INFERENCE, K8sObject, engineOutput, execIn, fingerprintOf, kubectlJson, note,
    readyPods, secs, waitFor,
} from "./lib";
import { KIND_WORKERS, KindSuiteCluster, requireKindEnvironment } from "./kindCluster";

const STACK = "e2e-static";
const NS = "agent-static";
const REPLICAS = 3;
const HOST_PATH = defaults.embeddingsHostPath;
const cluster = new KindSuiteCluster("agent-e2e-static");
const config = cluster.config({
    namespace: NS,
    inferenceReplicas: String(REPLICAS),
    embeddingsVolume: "static-hostpath",
    embeddingsHostPath: HOST_PATH,
    refreshSchedule: "@every 6h",
    deleteDataOnDestroy: "true",
});

interface BoundVolume { claim: string; phase: string; volume: string; storageClass: string; reclaimPolicy: string; nodes: string[] }

describe(`e2e static host-path volume on several nodes (stack ${STACK})`, function () {
    let stack: Stack | undefined;
    let volumes: BoundVolume[] | undefined;
    const pinned = kindStaticVolumeNode(cluster.name, KIND_WORKERS);

    before(async function () {
        requireKindEnvironment(this, "static", cluster);
        this.timeout(600000);
        stack = await cluster.openFreshStack(STACK, config);
    });

    after(async function () {
        this.timeout(600000);
        if (process.env.AGENT_STORAGE_E2E === "skip" || !stack) return;
        await cluster.tearDown(stack, STACK);
    });

    it(`1. up pins the static volume to the node that has the folder (${pinned}), and every pod that mounts it runs there`, async function () {
        const t0 = Date.now();
        const res = await stack!.up({ onOutput: engineOutput("up") });
        note(`up: ${res.summary.result} in ${secs(t0)}; changes ${JSON.stringify(res.summary.resourceChanges)}`);
        cluster.adopt(res.outputs);
        volumes = res.outputs.boundVolumes.value as BoundVolume[];
        const emb = volumes.find((v) => v.claim === "embeddings")!;
        assert.strictEqual(emb.phase, "Bound");
        assert.strictEqual(emb.volume, `agent-storage-${NS}-embeddings`, "the program's own volume, named after its claim");
        assert.strictEqual(emb.reclaimPolicy, "Retain", "a host folder is never deleted by Kubernetes");
        const pv = kubectlJson(["get", "pv", emb.volume]);
        assert.strictEqual(pv.spec.hostPath.path, HOST_PATH);
        assert.deepStrictEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions,
            [{ key: "kubernetes.io/hostname", operator: "In", values: [pinned] }]);
        const pods: K8sObject[] = [...readyPods(NS, GENERATOR), ...readyPods(NS, INFERENCE)];
        assert.strictEqual(pods.length, 1 + REPLICAS);
        for (const p of pods) assert.strictEqual(p.spec.nodeName, pinned, `${p.metadata.name} runs where the folder is`);
        assert.deepStrictEqual(emb.nodes, [pinned], "boundVolumes names that one node");
        assert.strictEqual(res.outputs.readerPlacement?.value?.readers, "with-writer", JSON.stringify(res.outputs.readerPlacement?.value));
    });

    it("2. the bytes are in the host folder behind the node's path, every reader reads them, and none can write", async function () {
        assert.ok(volumes, "step 1 (up) did not succeed");
        const data = await waitFor("a complete embeddings version", 180000, () => {
            const r = execIn(NS, `deploy/${GENERATOR}`, ["refresher", "current"]);
            return r.code === 0 && r.stdout.trim() !== "" && fingerprintOf(NS, `deploy/${GENERATOR}`);
        }, 3000);
        const hostDir = staticVolumeHostDir(cluster.dataDir, HOST_PATH);
        assert.ok(fs.existsSync(path.join(hostDir, "versions", data.version, "manifest.json")), `version ${data.version} is in ${hostDir}`);
        for (const p of readyPods(NS, INFERENCE)) {
            assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), data, `${p.metadata.name} reads the writer's bytes`);
            const w = execIn(NS, p.metadata.name, ["sh", "-c", `echo x > ${EMBEDDINGS_PATH}/x`]);
            assert.notStrictEqual(w.code, 0);
            assert.match(w.stderr, /Read-only file system/);
        }
    });
});
