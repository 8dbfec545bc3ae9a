/**
 * End to end: the real Pulumi CLI (Automation API, LocalWorkspace on this checkout) runs the
 * stack `e2e` on the kind target: its `up` creates a kind cluster of one control plane and two
 * workers through the program and deploys onto it; the steps below check what really happened
 * in the cluster and on the host folder that holds the data. See docs/e2e.md.
 *
 * Run: npx mocha --config test/e2e/.mocharc.json test/e2e/deploy.e2e.ts
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { OutputMap, Stack } from "@pulumi/pulumi/automation";
import {
    CHECKPOINTS_PATH, DataFingerprint, EMBEDDINGS_PATH, GENERATOR, INFERENCE, WORKLOAD_IMAGE,
    describeNamespace, engineOutput, execIn, execOk, exists, fingerprintOf, kubectlJson,
    kubectlRun, note, readyPods, secs, setConfig, stateResources, waitFor,
} from "./lib";
import { KindSuiteCluster, SHARED_CLASS, requireKindEnvironment } from "./kindCluster";
import { copySourceLabel } from "../../components/labels";
import { refresherContract } from "../../components/workloads/refresherContract";
import { dataCopyName } from "../../components/workloads/dataCopyJob";

const STACK = "e2e";
const NS = "agent-e2e";
const REPLICAS = 3;
const cluster = new KindSuiteCluster("agent-e2e-deploy");
const baseConfig = cluster.config({
    namespace: NS,
    inferenceReplicas: String(REPLICAS),
    // Long enough that no scheduled refresh changes the version while this suite runs.
    refreshSchedule: "@every 6h",
    deleteDataOnDestroy: "false",
});
/**
 * What the program must ask for on kind: both claims on the shared class (one host folder on
 * every node, standing for EFS), the embeddings shared by nodes with read-only readers, the
 * checkpoints for the one writer pod only.
 */
const expected: Record<string, { accessModes: string[]; mountedBy: { workload: string; mode: string }[] }> = {
    embeddings: { accessModes: ["ReadWriteMany"], mountedBy: [{ workload: GENERATOR, mode: "rw" }, { workload: INFERENCE, mode: "ro" }] },
    checkpoints: { accessModes: ["ReadWriteOncePod"], mountedBy: [{ workload: GENERATOR, mode: "rw" }] },
};

/** Where the shared class keeps a claim's files on this host (its pathPattern: namespace/claim). */
const claimFolder = (claim: string) => path.join(cluster.dataDir, "shared", NS, claim);

/** `sha256  ./relative/path` of every file under `dir`, sorted like `find . -type f | sort`. */
function hostChecksums(dir: string): string {
    const files: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p); else if (e.isFile()) files.push(p);
        }
    };
    walk(dir);
    return files.map((f) => `./${path.relative(dir, f)}`).sort()
        .map((rel) => `${crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, rel))).digest("hex")}  ${rel}\n`).join("");
}

interface BoundVolume {
    namespace: string; claim: string; phase: string; volume: string; capacity: string;
    accessModes: string[]; storageClass: string; reclaimPolicy: string; mountedBy: { workload: string; mode: string }[];
}

/** Shell run in a pod: checkpoints files and their checksums. */
const checkpointsScript = `cd ${CHECKPOINTS_PATH} && find . -type f | sort | xargs -r sha256sum`;

describe("e2e deploy: pulumi up / preview / refresh / destroy on a kind cluster of three nodes (stack e2e)", function () {
    let stack: Stack | undefined;
    const state: {
        up?: boolean; data?: DataFingerprint; volumes?: BoundVolume[];
        claimUids?: Record<string, string>; checkpoints?: string; destroyedKeepingData?: boolean; cleanedUp?: boolean;
    } = {};
    const needs = (ok: unknown, what: string) => {
        if (!ok) throw new Error(`not checked: ${what} did not succeed earlier in this suite (see the first failure above)`);
    };

    before(async function () {
        requireKindEnvironment(this, "deploy", cluster);
        this.timeout(600000);
        const t0 = Date.now();
        // Start from empty: a run that died earlier may have left the cluster, the stack or data.
        stack = await cluster.openFreshStack(STACK, baseConfig);
        await stack.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode").catch(() => undefined);
        note(`stack ${STACK} ready, no kind cluster ${cluster.name}, no data dir (${secs(t0)})`);
    });

    after(async function () {
        this.timeout(600000);
        if (process.env.AGENT_STORAGE_E2E === "skip" || !stack) return;
        // Leave the machine clean whatever failed: really delete the data, the cluster, the
        // stack and its Pulumi.e2e.yaml.
        await stack.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode").catch(() => undefined);
        await cluster.tearDown(stack, STACK);
    });

    /** The error of a preview or up that must fail; fails the test when it succeeds. */
    const failureOf = async (op: "preview" | "up", what: string): Promise<Error> => {
        try {
            if (op === "preview") await stack!.preview();
            else await stack!.up();
        } catch (e) {
            return e as Error;
        }
        throw new assert.AssertionError({ message: `${op} with ${what} must fail, and succeeded` });
    };

    /** `up`, then kubectl points at the cluster it created (or kept). */
    const up = async (what: string): Promise<OutputMap> => {
        const t0 = Date.now();
        let res;
        try {
            res = await stack!.up({ onOutput: engineOutput(what) });
        } catch (e) {
            if (cluster.exists()) note(`${what} failed; namespace ${NS} now:\n${describeNamespace(NS)}`);
            throw e;
        }
        note(`${what}: ${res.summary.result} in ${secs(t0)}; changes ${JSON.stringify(res.summary.resourceChanges)}`);
        assert.strictEqual(res.summary.result, "succeeded");
        cluster.adopt(res.outputs);
        return res.outputs;
    };

    it("1. up succeeds and every boundVolumes entry is Bound, with a volume, the expected modes and class, matching the live claims and volumes", async function () {
        const outputs = await up("up");
        const volumes = outputs.boundVolumes?.value as BoundVolume[];
        assert.ok(Array.isArray(volumes), `boundVolumes output missing: ${JSON.stringify(Object.keys(outputs))}`);
        assert.deepStrictEqual(volumes.map((v) => v.claim).sort(), ["checkpoints", "embeddings"]);
        assert.strictEqual(outputs.namespace?.value, NS);
        assert.strictEqual(outputs.refreshSchedule?.value, baseConfig.refreshSchedule);

        state.claimUids = {};
        for (const v of volumes) {
            const want = expected[v.claim];
            assert.strictEqual(v.namespace, NS, `${v.claim}: namespace`);
            assert.strictEqual(v.phase, "Bound", `${v.claim}: phase`);
            assert.match(v.volume, /^pvc-/, `${v.claim}: a volume name (local-path names them pvc-<uid>)`);
            assert.strictEqual(v.storageClass, SHARED_CLASS, `${v.claim}: class`);
            assert.strictEqual(v.reclaimPolicy, "Retain", `${v.claim}: the volume outlives its claim`);
            assert.deepStrictEqual(v.accessModes, want.accessModes, `${v.claim}: access modes`);
            assert.deepStrictEqual(v.mountedBy, want.mountedBy, `${v.claim}: mountedBy`);

            // The report against the live objects.
            const pvc = kubectlJson(["get", "pvc", v.claim, "-n", NS]);
            const pv = kubectlJson(["get", "pv", v.volume]);
            assert.strictEqual(pvc.status.phase, "Bound");
            assert.strictEqual(pvc.spec.volumeName, v.volume, `${v.claim}: live claim is bound to the reported volume`);
            assert.deepStrictEqual(pvc.spec.accessModes, v.accessModes, `${v.claim}: live claim spec.accessModes`);
            assert.deepStrictEqual(pvc.status.accessModes, v.accessModes, `${v.claim}: live claim status.accessModes`);
            assert.deepStrictEqual(pv.spec.accessModes, v.accessModes, `${v.claim}: live volume accessModes`);
            assert.strictEqual(pvc.spec.storageClassName, v.storageClass);
            assert.strictEqual(pv.spec.storageClassName, v.storageClass);
            assert.strictEqual(pv.spec.claimRef?.name, v.claim);
            assert.strictEqual(pv.spec.claimRef?.namespace, NS);
            assert.strictEqual(pv.status.phase, "Bound");
            assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, v.reclaimPolicy);
            assert.strictEqual(pvc.status.capacity?.storage, v.capacity);
            assert.strictEqual(pvc.metadata.labels?.["agent-storage.io/data"], "true");
            assert.strictEqual(pvc.metadata.labels?.["agent-storage.io/role"], v.claim);
            assert.notStrictEqual(pvc.metadata.annotations?.["agent-storage.io/delete-on-destroy"], "true",
                "deleteDataOnDestroy=false: the claim is not marked for deletion on destroy");
            state.claimUids[v.claim] = pvc.metadata.uid!;
        }
        // The pods really mount what the report says: readers read-only twice over.
        const inference = readyPods(NS, INFERENCE);
        assert.strictEqual(inference.length, REPLICAS, `${REPLICAS} ready inference pods`);
        for (const p of inference) {
            const vol = p.spec.volumes.find((x: { name: string }) => x.name === "embeddings");
            const mount = p.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === "embeddings");
            assert.strictEqual(vol.persistentVolumeClaim.claimName, "embeddings");
            assert.strictEqual(vol.persistentVolumeClaim.readOnly, true, `${p.metadata.name}: pod volume readOnly`);
            assert.strictEqual(mount.readOnly, true, `${p.metadata.name}: container mount readOnly`);
            assert.strictEqual(p.spec.containers[0].image, WORKLOAD_IMAGE);
        }
        assert.strictEqual(readyPods(NS, GENERATOR).length, 1, "one ready generator pod");
        state.volumes = volumes;
        state.up = true;
    });

    it("2. the generator has written a complete embeddings version and every inference pod reads the same bytes", function () {
        needs(state.up, "step 1 (up)");
        // The generator's view: a complete current version that verifies.
        const list = JSON.parse(execOk(NS, `deploy/${GENERATOR}`, ["refresher", "list", "--json"])) as
            { version: string; complete: boolean; current: boolean }[];
        const cur = list.filter((v) => v.current);
        assert.strictEqual(cur.length, 1, `exactly one current version: ${JSON.stringify(list)}`);
        assert.strictEqual(cur[0].complete, true, `current version ${cur[0].version} is complete`);
        const verify = execOk(NS, `deploy/${GENERATOR}`, ["refresher", "verify"]);
        assert.match(verify, new RegExp(`^ok: ${cur[0].version}: \\d+ files`), verify);
        const writer = fingerprintOf(NS, `deploy/${GENERATOR}`);
        assert.strictEqual(writer.version, cur[0].version);
        // The manifest's checksums are the bytes' checksums.
        const manifest = JSON.parse(execOk(NS, `deploy/${GENERATOR}`, ["cat", `${EMBEDDINGS_PATH}/versions/${writer.version}/manifest.json`])) as
            { version: string; files: { name: string; sha256: string }[] };
        assert.strictEqual(manifest.version, writer.version);
        assert.ok(manifest.files.length >= 2, "the version has data files");
        for (const f of manifest.files) {
            assert.ok(writer.sums.includes(`${f.sha256}  ${f.name}`), `file ${f.name}: sha256 on disk matches the manifest`);
        }
        // Every reader: the same version, the same bytes.
        const pods = readyPods(NS, INFERENCE);
        assert.strictEqual(pods.length, REPLICAS);
        for (const p of pods) {
            const fp = fingerprintOf(NS, p.metadata.name);
            assert.deepStrictEqual(fp, writer, `pod ${p.metadata.name} reads the same version and bytes as the generator wrote`);
            const v = execIn(NS, p.metadata.name, ["refresher", "verify"]);
            assert.strictEqual(v.code, 0, `refresher verify in ${p.metadata.name}: ${v.stderr}`);
        }
        note(`version ${writer.version}: ${manifest.files.length} files, identical in the generator and ${pods.length} inference pods`);
        state.data = writer;
    });

    it("3. an inference pod that writes to the embeddings path gets a read-only error", function () {
        needs(state.up, "step 1 (up)");
        const pod = readyPods(NS, INFERENCE)[0].metadata.name;
        for (const target of [`${EMBEDDINGS_PATH}/x`, `${EMBEDDINGS_PATH}/current/x`, `${EMBEDDINGS_PATH}/versions/x`]) {
            const r = execIn(NS, pod, ["sh", "-c", `echo x > ${target}`]);
            assert.notStrictEqual(r.code, 0, `writing ${target} in ${pod} must fail`);
            assert.match(r.stderr, /Read-only file system/, `writing ${target}: ${r.stderr}`);
        }
        const rm = execIn(NS, pod, ["sh", "-c", `rm -f ${EMBEDDINGS_PATH}/current/manifest.json`]);
        assert.notStrictEqual(rm.code, 0, "deleting a manifest must fail");
        assert.match(rm.stderr, /Read-only file system/);
        // ... while the generator, the one writer, can write there.
        const w = execIn(NS, `deploy/${GENERATOR}`, ["sh", "-c", `echo x > ${EMBEDDINGS_PATH}/.e2e-probe && rm ${EMBEDDINGS_PATH}/.e2e-probe`]);
        assert.strictEqual(w.code, 0, `the generator can write: ${w.stderr}`);
    });

    it("4. replacements of a deleted inference pod and of the deleted generator pod read the same data", async function () {
        needs(state.data, "step 2 (data check)");
        const victim = readyPods(NS, INFERENCE)[0].metadata.name;
        const oldGen = readyPods(NS, GENERATOR)[0].metadata.name;
        const t0 = Date.now();
        kubectlRun(["delete", "pod", victim, oldGen, "-n", NS, "--wait=true", "--timeout=180s"], { timeoutMs: 200000 });
        const readers = await waitFor(`${REPLICAS} ready inference pods without ${victim}`, 240000, () => {
            const pods = readyPods(NS, INFERENCE);
            return pods.length === REPLICAS && !pods.some((p) => p.metadata.name === victim) && pods;
        }, 2000);
        const gen = await waitFor(`a new ready generator pod`, 240000, () => {
            const pods = readyPods(NS, GENERATOR);
            return pods.length === 1 && pods[0].metadata.name !== oldGen && pods[0];
        }, 2000);
        note(`replacements ready in ${secs(t0)}: generator ${gen.metadata.name}`);
        assert.deepStrictEqual(fingerprintOf(NS, gen.metadata.name), state.data, "the new generator pod sees the same version and bytes");
        for (const p of readers) {
            assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), state.data, `${p.metadata.name} reads the same version and bytes`);
        }
        // The generator did not start a new refresh: a complete version already existed.
        const list = JSON.parse(execOk(NS, gen.metadata.name, ["refresher", "list", "--json"])) as { version: string }[];
        assert.strictEqual(list.length, 1, `still one version after the generator restarted: ${list.map((v) => v.version).join(", ")}`);
    });

    it("5. preview right after up reports no changes, and refresh finds no drift", async function () {
        needs(state.up, "step 1 (up)");
        const pre = await stack!.preview({ onOutput: engineOutput("preview") });
        note(`preview changeSummary: ${JSON.stringify(pre.changeSummary)}`);
        const changing = ["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "import", "import-replacement"];
        for (const op of changing) {
            assert.ok(!(pre.changeSummary as Record<string, number>)[op], `preview wants to ${op} ${(pre.changeSummary as Record<string, number>)[op]} resource(s): ${pre.stdout}`);
        }
        assert.ok(((pre.changeSummary as Record<string, number>).same ?? 0) > 0, "preview saw the deployed resources as unchanged");

        // Read-only observations (the report's `.get` of claims, volumes and the status
        // ConfigMap) are re-read by every refresh and counted as "update" by the engine; drift
        // means a change to something the stack manages.
        const observed = new Set((await stack!.exportStack()).deployment.resources
            .filter((r: { external?: boolean }) => r.external).map((r: { urn: string }) => r.urn));
        const changedByRefresh: { urn: string; op: string }[] = [];
        const ref = await stack!.refresh({
            onOutput: engineOutput("refresh"),
            onEvent: (e) => {
                const m = e.resOutputsEvent?.metadata;
                if (m && m.op !== "same" && m.op !== "read") changedByRefresh.push({ urn: m.urn, op: m.op });
            },
        });
        const refChanges = (ref.summary.resourceChanges ?? {}) as Record<string, number>;
        assert.strictEqual(ref.summary.result, "succeeded");
        const drift = changedByRefresh.filter((c) => !observed.has(c.urn));
        note(`refresh resourceChanges: ${JSON.stringify(refChanges)}; ${changedByRefresh.length - drift.length} read-only observation(s) re-read, ${drift.length} managed resource(s) drifted`);
        assert.deepStrictEqual(drift, [], `refresh found drift in managed resources: ${ref.stdout}`);
        // And after the refresh, still nothing to do.
        const again = await stack!.preview();
        for (const op of changing) assert.ok(!(again.changeSummary as Record<string, number>)[op], `preview after refresh wants to ${op}`);
    });

    it("6. renaming the namespace is refused by preview and by up, naming the key and where the data is, and nothing changes", async function () {
        needs(state.up && state.claimUids, "step 1 (up)");
        const renamed = `${NS}-renamed`;
        await setConfig(stack!, { namespace: renamed });
        try {
            for (const op of ["preview", "up"] as const) {
                const err = await failureOf(op, "a renamed namespace");
                assert.match(err.message, new RegExp(`agent-storage:namespace: "${NS}" -> "${renamed}"`), `${op}: names the key and both values:\n${err.message}`);
                assert.match(err.message, new RegExp(`it is now in namespace ${NS}`), `${op}: says where the data is`);
                assert.match(err.message, /agent-storage:confirmDataMove/, `${op}: names the way through`);
                note(`${op} refused the rename as expected`);
            }
            assert.ok(!exists("namespace", renamed), `namespace ${renamed} was not created`);
            for (const claim of ["embeddings", "checkpoints"]) {
                assert.strictEqual(kubectlJson(["get", "pvc", claim, "-n", NS]).metadata.uid, state.claimUids![claim], `claim ${claim} untouched`);
            }
            assert.deepStrictEqual(fingerprintOf(NS, `deploy/${GENERATOR}`), state.data, "the data is where it was");
        } finally {
            await setConfig(stack!, { namespace: NS });
        }
    });

    it("7. a bigger embeddingsSize grows the bound claim in place (same claim, volume and bytes; the resizer records the size), up waits for it and reports it; shrinking back is refused by preview", async function () {
        needs(state.up && state.claimUids && state.data && state.volumes, "steps 1-2");
        const before = state.volumes!.find((v) => v.claim === "embeddings")!;
        assert.strictEqual(before.capacity, "2Gi", "the default size");
        await setConfig(stack!, { embeddingsSize: "3Gi" });
        const ops: Record<string, string> = {};
        await stack!.preview({ onEvent: (e) => { const m = e.resourcePreEvent?.metadata; if (m) ops[m.urn] = m.op; } });
        const claimOps = Object.entries(ops).filter(([urn]) => urn.endsWith("DataVolumes$kubernetes:core/v1:PersistentVolumeClaim::agent-data-embeddings")).map(([, op]) => op);
        assert.deepStrictEqual(claimOps, ["update"], `the claim is updated in place, not replaced: ${JSON.stringify(ops)}`);
        const outputs = await up("up growing the embeddings claim");
        const pvc = kubectlJson(["get", "pvc", "embeddings", "-n", NS]);
        assert.strictEqual(pvc.metadata.uid, state.claimUids!.embeddings, "the same claim");
        assert.strictEqual(pvc.spec.volumeName, before.volume, "bound to the same volume");
        assert.strictEqual(pvc.status.capacity?.storage, "3Gi", "the claim has its new size when up returns");
        assert.strictEqual(kubectlJson(["get", "pv", before.volume]).spec.capacity?.storage, "3Gi", "the volume too");
        const reported = (outputs.boundVolumes.value as BoundVolume[]).find((v) => v.claim === "embeddings")!;
        assert.strictEqual(reported.capacity, "3Gi", "boundVolumes reports the new size");
        assert.strictEqual(reported.volume, before.volume);
        const resizer = kubectlRun(["logs", "deploy/shared-path-provisioner", "-c", "resizer", "-n", "shared-path-storage"]).stdout;
        assert.match(resizer, new RegExp(`expanded ${NS}/embeddings \\(volume ${before.volume}\\): 2Gi -> 3Gi`), resizer);
        note(`resizer: ${resizer.trim().split("\n").filter((l) => l.includes("expanded")).pop()}`);
        assert.deepStrictEqual(fingerprintOf(NS, `deploy/${GENERATOR}`), state.data, "the generator serves the same bytes");
        for (const p of readyPods(NS, INFERENCE)) assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), state.data, `${p.metadata.name} serves the same bytes`);
        assert.strictEqual(readyPods(NS, INFERENCE).length, REPLICAS, "every reader still ready");

        // Never smaller: refused before anything changes (the size stays 3Gi for the steps below).
        await setConfig(stack!, { embeddingsSize: "2Gi" });
        try {
            const err = await failureOf("preview", "a smaller claim");
            assert.match(err.message, /agent-storage:embeddingsSize: "3Gi" -> "2Gi": a claim cannot shrink; fix: set it back to 3Gi or more/, err.message);
            note("preview refused the shrink as expected");
        } finally {
            await setConfig(stack!, { embeddingsSize: "3Gi" });
        }
        assert.strictEqual(kubectlJson(["get", "pvc", "embeddings", "-n", NS]).status.capacity?.storage, "3Gi");
    });

    it("8. moving the namespace with copyDataFrom fills the new claims by a verified copy before the workloads start, leaves the old claims as they were, and moving back finds them", async function () {
        needs(state.up && state.claimUids && state.data, "steps 1-2");
        const moved = `${NS}-moved`;
        const checkpoints = execOk(NS, `deploy/${GENERATOR}`, ["sh", "-c", checkpointsScript]);
        await setConfig(stack!, { namespace: moved, copyDataFrom: NS });
        try {
            const outputs = await up("up moving the data by copying");
            for (const role of ["embeddings", "checkpoints"]) {
                const job = kubectlJson(["get", "job", dataCopyName(role), "-n", moved]);
                assert.strictEqual(job.status?.succeeded, 1, `the copy Job of the ${role} succeeded`);
                const log = kubectlRun(["logs", `job/${dataCopyName(role)}`, "-n", moved]).stdout;
                assert.match(log, /^ok: copied .* verified$/m, `${dataCopyName(role)} says what it copied and that it verified it:\n${log}`);
                note(`${dataCopyName(role)}: ${log.trim().split("\n").pop()}`);
                const claim = kubectlJson(["get", "pvc", role, "-n", NS]);
                assert.strictEqual(claim.metadata.uid, state.claimUids![role], `the old claim ${NS}/${role} is the same claim`);
                assert.strictEqual(claim.status.phase, "Bound", `the old claim ${NS}/${role} is still Bound to its volume`);
            }
            const volumes = outputs.boundVolumes.value as BoundVolume[];
            assert.deepStrictEqual([...new Set(volumes.map((v) => v.namespace))], [moved], "boundVolumes reports the new claims");
            // The same version, byte for byte, and no refresh: the copy is what is served.
            assert.deepStrictEqual(fingerprintOf(moved, `deploy/${GENERATOR}`), state.data, "the generator in the new namespace has the same version");
            for (const p of readyPods(moved, INFERENCE)) {
                assert.deepStrictEqual(fingerprintOf(moved, p.metadata.name), state.data, `${p.metadata.name} serves the copied version`);
            }
            assert.match(execOk(moved, `deploy/${GENERATOR}`, ["refresher", "verify", "--version", "current"]), /^ok: /, "the copy verifies in place");
            const list = JSON.parse(execOk(moved, `deploy/${GENERATOR}`, ["refresher", "list", "--json"])) as { version: string }[];
            assert.deepStrictEqual(list.map((v) => v.version), [state.data!.version], "no new version was written");
            // The copy leaves its record (the marker) beside what it copied.
            const copied = execOk(moved, `deploy/${GENERATOR}`, ["sh", "-c", checkpointsScript]).split("\n");
            assert.ok(copied.some((l) => l.endsWith(`./${refresherContract.copy.marker}`)), "the copy's record is on the new claim");
            assert.strictEqual(copied.filter((l) => !l.endsWith(`./${refresherContract.copy.marker}`)).join("\n"), checkpoints, "the checkpoints came along");
            assert.strictEqual(hostChecksums(claimFolder("embeddings")).length > 0, true, "the old claim's folder still holds its files");
        } finally {
            // Back onto the kept claims: the old namespace's claims are taken over again.
            await stack!.workspace.removeConfig(STACK, "agent-storage:copyDataFrom");
            await setConfig(stack!, { namespace: NS, confirmDataMove: "true" });
            try {
                await up("up moving back onto the kept claims");
            } finally {
                await stack!.workspace.removeConfig(STACK, "agent-storage:confirmDataMove");
            }
        }
        for (const role of ["embeddings", "checkpoints"]) {
            assert.strictEqual(kubectlJson(["get", "pvc", role, "-n", NS]).metadata.uid, state.claimUids![role], `back on the kept claim ${NS}/${role}`);
        }
        assert.deepStrictEqual(fingerprintOf(NS, `deploy/${GENERATOR}`), state.data, "back on the same data");
        const mirrors = kubectlRun(["get", "pv", "-l", `${copySourceLabel}=true`, "-o", "name"]).stdout.trim();
        assert.strictEqual(mirrors, "", "the mirror volumes went with copyDataFrom");
    });

    it("9. destroy deletes the cluster and keeps every byte on the host (deleteDataOnDestroy=false), an up on a new cluster serves the same data, and deleteDataOnDestroy=true really deletes it", async function () {
        needs(state.data && state.claimUids, "steps 1-2");
        // What the checkpoints claim holds just before destroy (the generator writes its state there).
        state.checkpoints = execOk(NS, `deploy/${GENERATOR}`, ["sh", "-c", checkpointsScript]);
        assert.ok(state.checkpoints.trim().length > 0, "the generator wrote something to its checkpoints claim");
        // --- destroy with the default: the cluster goes, the data stays in kindDataDir
        let t0 = Date.now();
        const d1 = await stack!.destroy({ onOutput: engineOutput("destroy") });
        note(`destroy (keep data): ${d1.summary.result} in ${secs(t0)}; ${JSON.stringify(d1.summary.resourceChanges)}`);
        assert.strictEqual(d1.summary.result, "succeeded");
        assert.deepStrictEqual(await stateResources(stack!), [], "the stack's state is empty after destroy");
        assert.ok(!cluster.exists(), `kind cluster ${cluster.name} is gone after destroy`);
        // The bytes, read on the host where the shared class keeps them.
        const versionDir = path.join(claimFolder("embeddings"), "versions", state.data!.version);
        assert.ok(fs.existsSync(versionDir), `${versionDir} is kept`);
        const kept = hostChecksums(versionDir).split("\n").filter(Boolean).map((l) => l.replace("  ./", "  ")).sort().join("\n");
        const written = state.data!.sums.split("\n").filter(Boolean).sort().join("\n");
        assert.strictEqual(kept, written, "after destroy the host folder holds the same embeddings version, byte for byte");
        assert.strictEqual(hostChecksums(claimFolder("checkpoints")), state.checkpoints, "after destroy the host folder holds the same checkpoints");
        state.destroyedKeepingData = true;

        // --- up again: a new cluster, new claims on the same folders, the same data
        const outputs = await up("second up");
        for (const v of outputs.boundVolumes.value as BoundVolume[]) {
            assert.strictEqual(v.phase, "Bound", `claim ${v.claim} is Bound on the new cluster`);
            assert.strictEqual(v.reclaimPolicy, "Retain");
        }
        const gen = readyPods(NS, GENERATOR)[0].metadata.name;
        assert.deepStrictEqual(fingerprintOf(NS, gen), state.data, "after the second up the generator sees the same version (no new refresh, no loss)");
        assert.strictEqual(execOk(NS, gen, ["sh", "-c", checkpointsScript]), state.checkpoints, "and the same checkpoints");
        const list = JSON.parse(execOk(NS, gen, ["refresher", "list", "--json"])) as { version: string }[];
        assert.deepStrictEqual(list.map((v) => v.version), [state.data!.version], "no new version was written");
        for (const p of readyPods(NS, INFERENCE)) {
            assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), state.data, `${p.metadata.name} serves the kept version`);
        }

        // --- deleteDataOnDestroy=true, then destroy: everything goes
        await setConfig(stack!, { deleteDataOnDestroy: "true" });
        await up("up with deleteDataOnDestroy=true");
        for (const c of ["embeddings", "checkpoints"]) {
            const pvc = kubectlJson(["get", "pvc", c, "-n", NS]);
            assert.strictEqual(pvc.metadata.annotations?.["agent-storage.io/delete-on-destroy"], "true", `claim ${c} is marked for deletion`);
        }
        t0 = Date.now();
        const d2 = await stack!.destroy({ onOutput: engineOutput("destroy2") });
        note(`destroy (delete data): ${d2.summary.result} in ${secs(t0)}; ${JSON.stringify(d2.summary.resourceChanges)}`);
        assert.strictEqual(d2.summary.result, "succeeded");
        assert.ok(!cluster.exists(), `kind cluster ${cluster.name} is gone`);
        assert.ok(!fs.existsSync(cluster.dataDir), `${cluster.dataDir} is deleted with the data`);
        assert.deepStrictEqual(await stateResources(stack!), []);
        state.cleanedUp = true;
    });

    it("10. bad config (embeddingsAccessMode ReadOnlyMany) fails in preview with a message naming agent-storage:embeddingsAccessMode, and nothing is created", async function () {
        needs(stack, "opening the stack");
        const before = (await stateResources(stack!)).length;
        const clusterBefore = cluster.exists();
        const nsBefore = clusterBefore && exists("namespace", NS);
        const objectsBefore = nsBefore ? kubectlRun(["get", "all,pvc", "-n", NS, "-o", "name"]).stdout : "";
        await setConfig(stack!, { embeddingsAccessMode: "ReadOnlyMany" });
        try {
            for (const op of ["preview", "up"] as const) {
                const text = (await failureOf(op, "embeddingsAccessMode=ReadOnlyMany")).message;
                assert.match(text, /agent-storage:embeddingsAccessMode/, `${op}: the message names the key:\n${text}`);
                assert.match(text, /ReadOnlyMany/, `${op}: the message names the mode`);
                assert.match(text, /nothing was created/, `${op}: the message says nothing was created`);
                const line = text.split("\n").find((l) => l.includes("agent-storage:embeddingsAccessMode"));
                note(`${op} failed as expected: ${line?.trim()}`);
            }
            assert.strictEqual((await stateResources(stack!)).length, before, "stack resource count unchanged");
            assert.strictEqual(cluster.exists(), clusterBefore, `kind cluster ${cluster.name} neither created nor deleted`);
            if (clusterBefore) assert.strictEqual(exists("namespace", NS), nsBefore, `namespace ${NS} neither created nor deleted`);
            if (nsBefore) assert.strictEqual(kubectlRun(["get", "all,pvc", "-n", NS, "-o", "name"]).stdout, objectsBefore, "no new objects in the namespace");
        } finally {
            await stack!.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode");
        }
    });
});
