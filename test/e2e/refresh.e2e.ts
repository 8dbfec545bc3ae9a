/**
 * End to end: embeddings refreshes while every inference pod keeps reading. Its own stack
 * `e2e-refresh` (namespace agent-e2e-refresh) creates a kind cluster of three nodes and deploys
 * onto it, then, while readers on several nodes check manifests and checksums continuously,
 * runs two refreshes back to back and one refresh killed half-way. See docs/e2e.md and docs/refresh-protocol.md.
 *
 * Run: npx mocha --config test/e2e/.mocharc.json test/e2e/refresh.e2e.ts
 */
import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import {
    EMBEDDINGS_PATH, GENERATOR, INFERENCE, RunResult, describeNamespace, engineOutput, execIn, execOk,
    fingerprintOf, kubectlJson, kubectlSpawn, note, pidOf, readyPods, secs, sleep,
    waitFor,
} from "./lib";
import { KindSuiteCluster, requireKindEnvironment } from "./kindCluster";
import { refresherContract } from "../../components/workloads/refresherContract";

const STACK = "e2e-refresh";
const NS = "agent-e2e-refresh";
const REPLICAS = 3;
const cluster = new KindSuiteCluster("agent-e2e-refresh");
const config = cluster.config({
    namespace: NS,
    inferenceReplicas: String(REPLICAS),
    refreshSchedule: "@every 6h",
    keepVersions: "3",
    refreshGracePeriod: "10m",
    deleteDataOnDestroy: "true",
});
/** The extra, fast reader this suite runs in every inference pod beside the pod's own. */
const FAST_STATUS = "/tmp/e2e-fast-reader.json";
const FAST_INTERVAL = "50ms";

interface ServeStatus {
    version: string; reads: number; ok: number; failures: number; partialReads: number; waiting: number;
    versionChanges: number; versionsSeen: string[]; lastError?: string; ready: boolean;
}

function status(pod: string, file?: string): ServeStatus {
    const args = ["refresher", "status", ...(file ? ["--status-file", file] : [])];
    return JSON.parse(execOk(NS, pod, args)) as ServeStatus;
}

function current(target: string): string {
    return execOk(NS, target, ["refresher", "current"]).trim();
}

describe("e2e refresh: refreshes while readers read (stack e2e-refresh)", function () {
    let stack: Stack | undefined;
    const pods: string[] = [];
    const readers: { pod: string; done: Promise<RunResult> }[] = [];
    const base: Record<string, ServeStatus> = {};
    const v: { initial?: string; a?: string; b?: string; killed?: string; d?: string } = {};
    let deployed = false;
    let firstUpServed: string | undefined;
    const needs = (ok: unknown, what: string) => {
        if (!ok) throw new Error(`not checked: ${what} did not succeed earlier in this suite (see the first failure above)`);
    };

    before(async function () {
        requireKindEnvironment(this, "refresh", cluster);
        this.timeout(900000);
        const t0 = Date.now();
        // Start from empty: a run that died earlier may have left the cluster, the stack or data.
        stack = await cluster.openFreshStack(STACK, config);
        try {
            const res = await stack.up({ onOutput: engineOutput("up") });
            assert.strictEqual(res.summary.result, "succeeded");
            cluster.adopt(res.outputs);
            firstUpServed = res.outputs.servedVersion?.value;
        } catch (e) {
            if (cluster.exists()) note(`up failed; namespace ${NS}:\n${describeNamespace(NS)}`);
            throw e;
        }
        pods.push(...readyPods(NS, INFERENCE).map((p) => p.metadata.name));
        assert.strictEqual(pods.length, REPLICAS, `${REPLICAS} ready inference pods`);
        v.initial = current(`deploy/${GENERATOR}`);
        note(`deployed in ${secs(t0)}; initial version ${v.initial}; readers ${pods.join(", ")}`);
        assert.strictEqual(firstUpServed, v.initial, "the first up's servedVersion output is the version the generator made (read from the live cluster)");
        deployed = true;
    });

    after(async function () {
        this.timeout(600000);
        if (process.env.AGENT_STORAGE_E2E === "skip" || !stack) return;
        for (const r of readers) r.done.catch(() => undefined);
        await cluster.tearDown(stack, STACK);
    });

    it("every inference pod runs its reader loop (refresher serve) on the first version, and a second fast reader starts beside it", async function () {
        needs(deployed, "up");
        for (const pod of pods) {
            const st = await waitFor(`${pod}'s reader status`, 60000, () => {
                const s = status(pod);
                return s.reads > 0 && s.version === v.initial && s;
            }, 2000);
            assert.strictEqual(st.failures, 0, `${pod}: failures before any refresh: ${st.lastError}`);
            base[pod] = st;
            // The fast reader: every 50ms, resolve current and check the manifest and sizes; each
            // new version is verified whole. No query API of its own: the pod's reader has the port.
            const r = kubectlSpawn(["exec", "-n", NS, pod, "--", "refresher", "serve", "--interval", FAST_INTERVAL,
                "--duration", "900s", "--status-file", FAST_STATUS, `${refresherContract.queryApi.listenFlag}=`]);
            readers.push({ pod, done: r.done });
        }
        for (const pod of pods) {
            await waitFor(`${pod}'s fast reader`, 60000, () => {
                const r = execIn(NS, pod, ["refresher", "status", "--status-file", FAST_STATUS]);
                return r.code === 0 && (JSON.parse(r.stdout) as ServeStatus).reads >= 5;
            }, 1000);
        }
        note(`readers running in ${pods.length} pods (own loop every 2s, fast loop every ${FAST_INTERVAL})`);
    });

    it("two refreshes back to back each switch current to a new complete version", function () {
        needs(readers.length === REPLICAS, "starting the readers");
        const ids: string[] = [];
        for (let i = 0; i < 2; i++) {
            const t0 = Date.now();
            const out = execOk(NS, `deploy/${GENERATOR}`, ["refresher", "refresh"], { timeoutMs: 300000 });
            const m = /refreshed: current -> (\S+) \(was (\S+)\)/.exec(out);
            assert.ok(m, `refresh output: ${out}`);
            assert.strictEqual(m![2], i === 0 ? v.initial : ids[0], "each refresh replaces the previous current");
            ids.push(m![1]);
            note(`refresh ${i + 1}: ${m![2]} -> ${m![1]} in ${secs(t0)}`);
            assert.strictEqual(current(`deploy/${GENERATOR}`), m![1]);
            assert.match(execOk(NS, `deploy/${GENERATOR}`, ["refresher", "verify"]), new RegExp(`^ok: ${m![1]}:`));
        }
        [v.a, v.b] = ids;
        assert.notStrictEqual(v.a, v.b);
    });

    it("a refresh killed half-way leaves current untouched, and the next refresh cleans up its leftovers", async function () {
        needs(v.b, "the two refreshes");
        // A slow refresh (3s pause after each shard), started in the background ...
        const slow = kubectlSpawn(["exec", "-n", NS, `deploy/${GENERATOR}`, "--", "refresher", "refresh", "--pause-after-shard", "3s"]);
        let killedDir: string;
        try {
            // ... waited for until its temporary version has at least one shard on disk ...
            killedDir = await waitFor("the slow refresh to write its first shard", 60000, () => {
                const r = execIn(NS, `deploy/${GENERATOR}`, ["sh", "-c", `ls -d ${EMBEDDINGS_PATH}/versions/.tmp-*/shard-0000.f32 2>/dev/null`]);
                return r.code === 0 && r.stdout.trim() ? r.stdout.trim().split("/").slice(-2)[0] : undefined;
            }, 300);
            // ... and killed with SIGKILL from a second exec (a crash: no cleanup runs).
            const pids = execOk(NS, `deploy/${GENERATOR}`, ["sh", "-c", pidOf("--pause-after-shard")]).trim().split(/\s+/).filter(Boolean);
            assert.strictEqual(pids.length, 1, `exactly one slow refresh process: ${pids.join(",")}`);
            execOk(NS, `deploy/${GENERATOR}`, ["kill", "-9", pids[0]]);
            note(`killed refresh pid ${pids[0]} while it was writing ${killedDir}`);
        } finally {
            const res = await Promise.race([slow.done, sleep(60000).then(() => undefined)]);
            if (!res) slow.child.kill("SIGTERM");
            else assert.notStrictEqual(res.code, 0, `the killed refresh must not report success: ${res.stdout}`);
        }
        v.killed = killedDir.replace(/^\.tmp-/, "");
        assert.strictEqual(current(`deploy/${GENERATOR}`), v.b, "current still points at the last complete version");
        const ls = execOk(NS, `deploy/${GENERATOR}`, ["ls", "-a", `${EMBEDDINGS_PATH}/versions`]).split("\n");
        assert.ok(ls.includes(killedDir), `the killed run's ${killedDir} is left on disk (half-written): ${ls.join(" ")}`);
        assert.ok(!ls.includes(v.killed), "the killed run never produced a complete version directory");
        const files = execOk(NS, `deploy/${GENERATOR}`, ["ls", `${EMBEDDINGS_PATH}/versions/${killedDir}`]);
        assert.ok(!files.includes("manifest.json"), `the half-written version has no manifest: ${files}`);
        // Readers keep serving B meanwhile.
        await sleep(3000);
        for (const pod of pods) assert.strictEqual(current(pod), v.b);

        // The next refresh removes the leftovers and becomes current.
        const out = execOk(NS, `deploy/${GENERATOR}`, ["refresher", "refresh"], { timeoutMs: 300000 });
        const m = /refreshed: current -> (\S+) \(was (\S+)\)/.exec(out);
        assert.ok(m, out);
        assert.strictEqual(m![2], v.b);
        assert.match(out, new RegExp(`removed leftovers: .*${killedDir.replace(/\./g, "\\.")}`), `the next run cleans up: ${out}`);
        v.d = m![1];
        const after = execOk(NS, `deploy/${GENERATOR}`, ["ls", "-a", `${EMBEDDINGS_PATH}/versions`]);
        assert.ok(!after.includes(".tmp-"), `no temporary directories left: ${after}`);
        note(`next refresh: ${v.b} -> ${v.d}, removed ${killedDir}`);
    });

    it("readers saw zero failed and zero partial reads, and every pod ends on the newest complete version", async function () {
        needs(v.d, "the refreshes");
        // Every pod converges on the newest version (the pod's own loop reads every 2s).
        for (const pod of pods) {
            await waitFor(`${pod} to serve ${v.d}`, 60000, () => status(pod).version === v.d && status(pod, FAST_STATUS).version === v.d, 1000);
            assert.deepStrictEqual(fingerprintOf(NS, pod), fingerprintOf(NS, `deploy/${GENERATOR}`), `${pod} reads the generator's bytes`);
        }
        // Stop the fast readers (SIGTERM: they print their summary and exit).
        for (const pod of pods) {
            const pids = execOk(NS, pod, ["sh", "-c", pidOf(FAST_STATUS)]).trim().split(/\s+/).filter(Boolean);
            for (const pid of pids) execIn(NS, pod, ["kill", "-15", pid]);
        }
        for (const { pod, done } of readers) {
            const res = await Promise.race([done, sleep(30000).then(() => undefined)]);
            assert.ok(res, `${pod}: the fast reader did not stop`);
            note(`${pod} fast reader: ${res!.stdout.trim()}`);
            const fast = status(pod, FAST_STATUS);
            const own = status(pod);
            const ownReads = own.reads - base[pod].reads;
            note(`${pod}: fast ${fast.reads} reads, ${fast.failures} failed, ${fast.partialReads} partial, saw ${fast.versionsSeen.join(" > ")}; ` +
                `own loop ${ownReads} reads, ${own.failures - base[pod].failures} failed, ${own.partialReads - base[pod].partialReads} partial`);
            for (const [name, s] of [["fast reader", fast], ["the pod's own reader", own]] as const) {
                assert.strictEqual(s.failures, 0, `${pod} ${name}: failed reads (last error: ${s.lastError})`);
                assert.strictEqual(s.partialReads, 0, `${pod} ${name}: reads of a partial version`);
                assert.strictEqual(s.version, v.d, `${pod} ${name}: ends on the newest version`);
            }
            assert.strictEqual(res!.code, 0, `${pod}: the fast reader exits 0 only when it had no failed read: ${res!.stdout}${res!.stderr}`);
            assert.ok(fast.reads >= 100, `${pod}: the fast reader really read continuously (${fast.reads} reads)`);
            assert.ok(ownReads >= 5, `${pod}: the pod's own reader kept reading (${ownReads} reads)`);
            for (const id of [v.a, v.b, v.d]) assert.ok(fast.versionsSeen.includes(id!), `${pod}: the fast reader served ${id} at some point (${fast.versionsSeen.join(", ")})`);
            assert.ok(!fast.versionsSeen.includes(v.killed!), `${pod}: never served the killed run's version`);
        }
        // The kept versions: the newest three complete ones (older ones wait out the grace period).
        const list = JSON.parse(execOk(NS, `deploy/${GENERATOR}`, ["refresher", "list", "--json"])) as { version: string; complete: boolean; current: boolean }[];
        assert.ok(list.every((x) => x.complete), `every kept version is complete: ${JSON.stringify(list)}`);
        assert.deepStrictEqual(list.filter((x) => x.current).map((x) => x.version), [v.d]);
    });

    it("a later up reports the newest version as servedVersion and the kept versions, read from the live cluster, and changes nothing it manages", async function () {
        needs(v.d, "the refreshes");
        const t0 = Date.now();
        // The generator publishes a new current within its publish interval.
        await waitFor(`the ${GENERATOR} to publish ${v.d}`, 120000, () =>
            kubectlJson(["get", "configmap", "embeddings-status", "-n", NS]).data?.currentVersion === v.d, 2000);
        const res = await stack!.up({ onOutput: engineOutput("up-after-refresh") });
        const changes = (res.summary.resourceChanges ?? {}) as Record<string, number>;
        note(`up after the refreshes: ${secs(t0)}; ${JSON.stringify(changes)}; servedVersion ${res.outputs.servedVersion?.value}; keptVersions ${JSON.stringify(res.outputs.keptVersions?.value)}`);
        for (const op of ["create", "delete", "replace", "update"]) assert.ok(!changes[op], `up wanted to ${op}: ${JSON.stringify(changes)}`);
        assert.strictEqual(res.outputs.servedVersion?.value, v.d);
        const kept = res.outputs.keptVersions?.value as string[];
        const live = (JSON.parse(execOk(NS, `deploy/${GENERATOR}`, ["refresher", "list", "--json"])) as { version: string }[]).map((x) => x.version);
        assert.ok(kept.includes(v.d!), `keptVersions includes the newest: ${kept}`);
        assert.deepStrictEqual([...kept].sort(), [...live].sort(), "keptVersions matches what is on the claim");
    });
});
