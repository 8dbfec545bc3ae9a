/**
 * End to end on several nodes: the real Pulumi CLI (Automation API) creates a kind cluster
 * with one control plane and two workers through the program's KindCluster resource, on the
 * node image cluster/build-node-image.sh builds here, then deploys the agent's data onto it.
 * Access modes are promises about nodes, so this suite checks what one node cannot show:
 * readers on other machines than the writer read the same bytes from a ReadWriteMany claim,
 * and draining a reader's node and the writer's node moves the pods without a failed read
 * or a lost byte. See docs/e2e.md.
 *
 * Run: npx mocha --config test/e2e/.mocharc.json test/e2e/kind.e2e.ts
 */
import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import {
    DataFingerprint, EMBEDDINGS_PATH, GENERATOR, INFERENCE, K8sObject,
    engineOutput, execIn, execOk, fingerprintOf, kubectlJson, kubectlRun, kubectlSpawn, nodeOf, note, openStack, readyPods,
    removeStack, secs, setConfig, sleep, waitFor,
} from "./lib";
import { KIND_WORKERS as WORKERS, KindSuiteCluster, NODE_LOCAL_CLASS, SHARED_CLASS, requireKindEnvironment } from "./kindCluster";
import { defaults } from "../../stacks/settings";
import { refresherContract } from "../../components/workloads/refresherContract";
import { dataCopyName } from "../../components/workloads/dataCopyJob";

const { binary, subcommands } = refresherContract;

const STACK = "e2e-kind";
const NS = "agent-kind";
const cluster = new KindSuiteCluster("agent-e2e");
const REPLICAS = 4;
const CHECKPOINTS_SCRIPT = "cd /data/checkpoints && find . -type f | sort | xargs -r sha256sum";

const config = () => cluster.config({
    namespace: NS,
    inferenceReplicas: String(REPLICAS),
    // Long enough that no scheduled refresh changes the version while this suite runs.
    refreshSchedule: "@every 6h",
    deleteDataOnDestroy: "false",
});

interface BoundVolume {
    namespace: string; claim: string; phase: string; volume: string; accessModes: string[]; storageClass: string;
    reclaimPolicy: string; nodes?: string[];
}
interface QueryAnswer { version: string; results: { id: string; score: number }[] }
interface ServeStatus { version: string; reads: number; ok: number; failures: number; ready: boolean; lastError?: string }

function serveStatus(pod: string): ServeStatus {
    return JSON.parse(execOk(NS, pod, ["refresher", "status"])) as ServeStatus;
}

describe(`e2e kind: one writer and readers on several nodes (stack ${STACK}, ${1 + WORKERS} kind nodes)`, function () {
    let stack: Stack | undefined;
    const state: { up?: boolean; data?: DataFingerprint; checkpoints?: string; queryService?: string; failuresSeen: number } = { failuresSeen: 0 };
    const needs = (ok: unknown, what: string) => {
        if (!ok) throw new Error(`not checked: ${what} did not succeed earlier in this suite (see the first failure above)`);
    };

    /** Adds up every ready reader's failed reads (the pods about to go away included). */
    const countFailures = () => {
        for (const p of readyPods(NS, INFERENCE)) {
            const st = serveStatus(p.metadata.name);
            if (st.failures > 0) note(`${p.metadata.name}: ${st.failures} failed reads (${st.lastError})`);
            state.failuresSeen += st.failures;
        }
    };

    const readAll = (): { gen: K8sObject; readers: K8sObject[] } => {
        const gen = readyPods(NS, GENERATOR)[0];
        const readers = readyPods(NS, INFERENCE);
        for (const p of readers) {
            assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), state.data, `${p.metadata.name} on ${nodeOf(p)} reads the same version and bytes`);
        }
        return { gen, readers };
    };

    const drain = async (node: string) => {
        const t0 = Date.now();
        countFailures();
        const r = kubectlRun(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=240s"], { allowFail: true, timeoutMs: 260000 });
        assert.strictEqual(r.code, 0, `kubectl drain ${node}: ${r.stderr}`);
        const moved = await waitFor(`a ready generator and ${REPLICAS} ready readers off ${node}`, 300000, () => {
            const gen = readyPods(NS, GENERATOR), readers = readyPods(NS, INFERENCE);
            const off = (p: K8sObject) => nodeOf(p) !== node;
            return gen.length === 1 && readers.length === REPLICAS && gen.every(off) && readers.every(off) && { gen: gen[0], readers };
        }, 2000);
        note(`drained ${node} in ${secs(t0)}: generator on ${nodeOf(moved.gen)}, readers on ${[...new Set(moved.readers.map(nodeOf))].join(", ")}`);
        await waitFor("every reader to serve", 120000, () => moved.readers.every((p) => serveStatus(p.metadata.name).ready), 2000);
        return moved;
    };

    before(async function () {
        requireKindEnvironment(this, "kind", cluster);
        this.timeout(900000);
        // Start from empty: an earlier run may have left the cluster, the stack or data.
        stack = await cluster.openFreshStack(STACK, config());
    });

    after(async function () {
        this.timeout(600000);
        if (process.env.AGENT_STORAGE_E2E === "skip" || !stack) return;
        await cluster.tearDown(stack, STACK);
    });

    const up = async (what: string) => {
        const t0 = Date.now();
        const res = await stack!.up({ onOutput: engineOutput(what) });
        note(`${what}: ${res.summary.result} in ${secs(t0)}; changes ${JSON.stringify(res.summary.resourceChanges)}`);
        assert.strictEqual(res.summary.result, "succeeded");
        cluster.adopt(res.outputs);
        return res;
    };

    it(`1. up creates a kind cluster of ${1 + WORKERS} Ready nodes and binds the embeddings ReadWriteMany on the shared class, reported with the nodes that mount it`, async function () {
        const res = await up("up");
        const nodes = kubectlJson<{ items: K8sObject[] }>(["get", "nodes"]).items;
        assert.strictEqual(nodes.length, 1 + WORKERS, `nodes: ${nodes.map((n) => n.metadata.name).join(", ")}`);
        for (const n of nodes) {
            const ready = (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
            assert.ok(ready, `${n.metadata.name} is Ready`);
        }
        const volumes = res.outputs.boundVolumes?.value as BoundVolume[];
        const emb = volumes.find((v) => v.claim === "embeddings")!;
        assert.strictEqual(emb.phase, "Bound");
        assert.strictEqual(emb.storageClass, SHARED_CLASS);
        assert.deepStrictEqual(emb.accessModes, ["ReadWriteMany"]);
        assert.strictEqual(emb.reclaimPolicy, "Retain");
        const readers = readyPods(NS, INFERENCE);
        const gen = readyPods(NS, GENERATOR);
        assert.strictEqual(readers.length, REPLICAS);
        assert.strictEqual(gen.length, 1);
        const mounting = [...new Set([...readers, ...gen].map(nodeOf))].sort();
        assert.deepStrictEqual(emb.nodes, mounting, "boundVolumes names the nodes whose pods mount the embeddings");
        for (const v of volumes) assert.strictEqual(v.phase, "Bound", `${v.claim} is Bound`);
        state.queryService = String(res.outputs.queryService?.value ?? "");
        assert.match(state.queryService, new RegExp(`^http://${INFERENCE}\\.${NS}\\.svc\\.`), "queryService names the readers' Service");
        state.up = true;
    });

    it("2. readers run on at least two nodes, at least one on another node than the writer, and all read the writer's bytes", async function () {
        needs(state.up, "step 1 (up)");
        const gen = readyPods(NS, GENERATOR)[0];
        state.data = await waitFor("a complete embeddings version", 180000, () => {
            const r = execIn(NS, gen.metadata.name, ["refresher", "current"]);
            return r.code === 0 && r.stdout.trim() !== "" && fingerprintOf(NS, gen.metadata.name);
        }, 3000);
        state.checkpoints = execOk(NS, gen.metadata.name, ["sh", "-c", CHECKPOINTS_SCRIPT]);
        const { readers } = readAll();
        const readerNodes = new Set(readers.map(nodeOf));
        note(`generator on ${nodeOf(gen)}; readers on ${[...readerNodes].join(", ")}`);
        assert.ok(readerNodes.size >= 2, `readers spread over at least two nodes: ${[...readerNodes].join(", ")}`);
        assert.ok(readers.some((p) => nodeOf(p) !== nodeOf(gen)), "at least one reader runs on another node than the writer");
    });

    it("3. every reader answers a query with the same top-k from the version it reads, and so does the Service in front of them (the stack's queryService output), whose endpoints are exactly the ready readers", function () {
        needs(state.data && state.queryService, "steps 1 and 2");
        const url = state.queryService!;
        const ask = (pod: string, base: string) =>
            JSON.parse(execOk(NS, pod, [binary, subcommands.query, "--url", base, "--text", "where the harbour meets the sea", "--k", "5"])) as QueryAnswer;
        const readers = readyPods(NS, INFERENCE);
        const own = `http://127.0.0.1:${new URL(url).port}`;
        const answers = readers.map((p) => ({ pod: p.metadata.name, node: nodeOf(p), answer: ask(p.metadata.name, own) }));
        const first = answers[0].answer;
        assert.strictEqual(first.version, state.data!.version, "the answer comes from the version the readers read");
        assert.strictEqual(first.results.length, 5);
        for (const a of answers) assert.deepStrictEqual(a.answer, first, `${a.pod} on ${a.node} answers the same`);
        note(`${answers.length} readers on ${[...new Set(answers.map((a) => a.node))].join(", ")} answer ${first.results.map((r) => r.id).join(", ")} from ${first.version}`);

        const slices = kubectlJson<{ items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }>(
            ["get", "endpointslices", "-n", NS, "-l", `kubernetes.io/service-name=${INFERENCE}`]).items;
        const endpoints = slices.flatMap((sl) => (sl.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
        assert.deepStrictEqual(endpoints, readers.map((p) => p.status.podIP as string).sort(), "the Service balances over every ready reader and nothing else");
        const gen = readyPods(NS, GENERATOR)[0].metadata.name;
        for (let i = 0; i < 2 * readers.length; i++) assert.deepStrictEqual(ask(gen, url), first, `query ${i + 1} through ${url}`);
    });

    it("4. a reader on another node than the writer gets a read-only error when it writes to the embeddings", function () {
        needs(state.data, "step 2");
        const gen = readyPods(NS, GENERATOR)[0];
        const reader = readyPods(NS, INFERENCE).find((p) => nodeOf(p) !== nodeOf(gen))!;
        const r = execIn(NS, reader.metadata.name, ["sh", "-c", `echo x > ${EMBEDDINGS_PATH}/x`]);
        assert.notStrictEqual(r.code, 0, "the write must fail");
        assert.match(r.stderr, /Read-only file system/);
    });

    it("5. draining a reader's node (not the writer's) moves its readers: same bytes, no failed read, no failed query through the Service meanwhile", async function () {
        needs(state.data && state.queryService, "steps 1 and 2");
        const gen = readyPods(NS, GENERATOR)[0];
        const node = readyPods(NS, INFERENCE).map(nodeOf).find((n) => n !== nodeOf(gen))!;
        // Queries at a fixed rate from the writer's pod (not on the drained node) for the whole drain.
        const load = kubectlSpawn(["exec", "-n", NS, gen.metadata.name, "--", binary, subcommands.load,
            "--url", state.queryService!, "--rate", "20", "--duration", "60s", "--phase", "drain"]);
        try {
            await sleep(3000);
            await drain(node);
            readAll();
            countFailures();
            assert.strictEqual(state.failuresSeen, 0, "no reader failed a read");
            const res = await load.done;
            const summary = JSON.parse(res.stdout.trim().split("\n").pop() || "{}") as { sent?: number; answered?: number; failed?: { total: number } };
            note(`queries while ${node} was drained: ${res.stdout.trim()}`);
            assert.ok((summary.sent ?? 0) > 0, `the load client sent queries: ${res.stderr}`);
            assert.strictEqual(summary.failed?.total, 0, "no query failed while the readers moved (they drain before stopping)");
            assert.strictEqual(summary.answered, summary.sent);
        } finally {
            kubectlRun(["uncordon", node], { allowFail: true });
        }
    });

    it("6. draining the writer's node moves the writer with its claims: same embeddings and checkpoints, no failed read", async function () {
        needs(state.data, "step 2");
        const gen = readyPods(NS, GENERATOR)[0];
        const node = nodeOf(gen);
        try {
            const moved = await drain(node);
            assert.notStrictEqual(nodeOf(moved.gen), node);
            assert.deepStrictEqual(fingerprintOf(NS, moved.gen.metadata.name), state.data, "the moved writer sees the same embeddings");
            const checkpoints = execOk(NS, moved.gen.metadata.name, ["sh", "-c", CHECKPOINTS_SCRIPT]);
            assert.strictEqual(checkpoints, state.checkpoints, "the moved writer sees the same checkpoints");
            readAll();
            countFailures();
            assert.strictEqual(state.failuresSeen, 0, "no reader failed a read");
        } finally {
            kubectlRun(["uncordon", node], { allowFail: true });
        }
    });

    it("7. the existing target on this cluster: a class it does not have fails preview, its own class previews; on its node-local class (Delete): readers placed with the writer, volumes patched to Retain, growth refused; after kubectl delete namespace, up --refresh hands the kept volumes back with the same bytes; a move to a new namespace by copying runs on the old volumes' node", async function () {
        needs(state.up, "step 1 (up)");
        const EXISTING = "e2e-existing", ENS = "agent-existing";
        const existing = await openStack(EXISTING, {
            target: "existing", kubeconfig: cluster.kubeconfigFile,
            storageClass: NODE_LOCAL_CLASS, storageProvisioner: defaults.kindStorageClasses.nodeLocal.provisioner,
            namespace: ENS, inferenceReplicas: "2", refreshSchedule: "@every 6h", deleteDataOnDestroy: "false",
        });
        try {
            // A class the cluster does not have fails the preview, naming the key and the classes there.
            await setConfig(existing, { storageClass: "no-such-class" });
            const refused = await existing.preview().then(() => undefined, (e: Error) => e);
            assert.ok(refused, "preview with a StorageClass the cluster does not have must fail");
            assert.match(refused!.message, /agent-storage:storageClass: the cluster has no StorageClass "no-such-class" \(it has: .*standard \(rancher.io\/local-path\)/, refused!.message);
            note("preview refused the missing class as expected");
            await setConfig(existing, { storageClass: NODE_LOCAL_CLASS });
            // A first preview, before any claim has a volume, must pass too (what `pulumi up` runs first).
            let t0 = Date.now();
            const preview = await existing.preview();
            note(`existing preview before the first up: ${JSON.stringify(preview.changeSummary)} in ${secs(t0)}`);
            t0 = Date.now();
            const first = await existing.up({ onOutput: engineOutput("existing up") });
            note(`existing up: ${first.summary.result} in ${secs(t0)}`);
            const volumes = first.outputs.boundVolumes.value as BoundVolume[];
            const classPolicy = kubectlJson<{ reclaimPolicy?: string }>(["get", "storageclass", NODE_LOCAL_CLASS]).reclaimPolicy;
            assert.strictEqual(classPolicy, "Delete", "the class the program does not own deletes volumes");
            for (const v of volumes) {
                assert.strictEqual(v.storageClass, NODE_LOCAL_CLASS);
                assert.strictEqual(v.reclaimPolicy, "Retain", `${v.claim}: reported kept`);
                assert.strictEqual(kubectlJson(["get", "pv", v.volume]).spec.persistentVolumeReclaimPolicy, "Retain", `${v.claim}: live volume kept`);
            }
            // local-path volumes are folders on one node whose class cannot expand: a bigger size
            // is refused before the claim is touched.
            await setConfig(existing, { embeddingsSize: "3Gi" });
            const tooBig = await existing.preview().then(() => undefined, (e: Error) => e);
            assert.ok(tooBig, "preview growing a claim of the node-local class must fail");
            assert.match(tooBig!.message, /agent-storage:embeddingsSize: "2Gi" -> "3Gi": volumes of class "standard" cannot grow/, tooBig!.message);
            await existing.workspace.removeConfig(EXISTING, "agent-storage:embeddingsSize");
            note("preview refused growth on the node-local class as expected");
            // ReadWriteOnce on several nodes: every pod that mounts the embeddings shares the writer's node.
            const gen = readyPods(ENS, GENERATOR)[0];
            const readers = readyPods(ENS, INFERENCE);
            assert.deepStrictEqual([...new Set(readers.map(nodeOf))], [nodeOf(gen)], "readers run on the writer's node");
            assert.deepStrictEqual(volumes.find((v) => v.claim === "embeddings")!.nodes, [nodeOf(gen)]);
            const data = await waitFor("a complete embeddings version", 180000, () => {
                const r = execIn(ENS, gen.metadata.name, ["refresher", "current"]);
                return r.code === 0 && r.stdout.trim() !== "" && fingerprintOf(ENS, gen.metadata.name);
            }, 3000);
            const checkpoints = execOk(ENS, gen.metadata.name, ["sh", "-c", CHECKPOINTS_SCRIPT]);

            // The accident: the namespace, and with it both claims, deleted by hand.
            kubectlRun(["delete", "namespace", ENS, "--wait=true", "--timeout=300s"], { timeoutMs: 330000 });
            for (const v of volumes) {
                assert.strictEqual(kubectlJson(["get", "pv", v.volume]).status.phase, "Released", `${v.volume} outlived its claim`);
            }
            t0 = Date.now();
            const second = await existing.up({ refresh: true, onOutput: engineOutput("existing up --refresh") });
            note(`existing up --refresh after the namespace was deleted: ${second.summary.result} in ${secs(t0)}; ${JSON.stringify(second.summary.resourceChanges)}`);
            for (const v of second.outputs.boundVolumes.value as BoundVolume[]) {
                const before = volumes.find((x) => x.claim === v.claim)!;
                assert.strictEqual(v.volume, before.volume, `claim ${v.claim} got its kept volume ${before.volume} back`);
                assert.strictEqual(v.phase, "Bound");
            }
            const gen2 = readyPods(ENS, GENERATOR)[0].metadata.name;
            assert.deepStrictEqual(fingerprintOf(ENS, gen2), data, "the same embeddings version and bytes");
            assert.strictEqual(execOk(ENS, gen2, ["sh", "-c", CHECKPOINTS_SCRIPT]), checkpoints, "the same checkpoints");
            for (const p of readyPods(ENS, INFERENCE)) assert.deepStrictEqual(fingerprintOf(ENS, p.metadata.name), data, `${p.metadata.name} serves the kept version`);

            // Moving to a new namespace by copying, on a node-local class: the copy runs on the
            // node that has the old folders, and the new claims bind there.
            const moved = `${ENS}-moved`;
            const oldNode = nodeOf(readyPods(ENS, GENERATOR)[0]);
            await setConfig(existing, { namespace: moved, copyDataFrom: ENS });
            t0 = Date.now();
            const third = await existing.up({ onOutput: engineOutput("existing up moving by copying") });
            note(`existing up moving the data to ${moved} by copying: ${third.summary.result} in ${secs(t0)}`);
            for (const role of ["embeddings", "checkpoints"]) {
                const pods = kubectlJson<{ items: K8sObject[] }>(["get", "pods", "-n", moved, "-l", `job-name=${dataCopyName(role)}`]).items;
                assert.ok(pods.some((p) => p.status?.phase === "Succeeded"), `${dataCopyName(role)} succeeded`);
                for (const p of pods) assert.strictEqual(nodeOf(p), oldNode, `${dataCopyName(role)} ran on the node of the old volume`);
            }
            const moving = third.outputs.boundVolumes.value as BoundVolume[];
            for (const v of moving) {
                assert.strictEqual(v.namespace, moved);
                assert.deepStrictEqual(v.nodes, [oldNode], `${v.claim}: the new claim's pods are on the old volume's node`);
            }
            const gen3 = readyPods(moved, GENERATOR)[0].metadata.name;
            assert.deepStrictEqual(fingerprintOf(moved, gen3), data, "the copied version, byte for byte");
            const copiedCheckpoints = execOk(moved, gen3, ["sh", "-c", CHECKPOINTS_SCRIPT]).split("\n").filter((l) => !l.endsWith(`./${refresherContract.copy.marker}`)).join("\n");
            assert.strictEqual(copiedCheckpoints, checkpoints, "the same checkpoints");
            for (const v of volumes) {
                assert.strictEqual(kubectlJson(["get", "pv", v.volume]).status.phase, "Bound", `the old volume ${v.volume} is still bound to its claim in ${ENS}`);
            }
        } finally {
            const t0 = Date.now();
            await setConfig(existing, { deleteDataOnDestroy: "true" });
            await existing.up({ onOutput: engineOutput("existing cleanup up") }).catch((e) => note(`existing cleanup up: ${(e as Error).message.split("\n")[0]}`));
            await existing.destroy({ onOutput: engineOutput("existing cleanup") }).catch((e) => note(`existing cleanup destroy: ${(e as Error).message.split("\n")[0]}`));
            await removeStack(existing, EXISTING);
            note(`existing-target stack removed (${secs(t0)})`);
        }
    });
});
