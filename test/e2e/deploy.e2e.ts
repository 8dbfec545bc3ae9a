/**
 * End to end: the real Pulumi CLI (Automation API, LocalWorkspace on this checkout) deploys
 * the program to the real local cluster (scripts/local-cluster) on a stack `e2e`, then the
 * steps below check what really happened in the cluster. See docs/e2e.md.
 *
 * Run: npx mocha --config test/e2e/.mocharc.json test/e2e/deploy.e2e.ts
 */
import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import {
    CHECKPOINTS_PATH, DataFingerprint, EMBEDDINGS_PATH, GENERATOR, INFERENCE, K8sObject, WORKLOAD_IMAGE,
    allPods, deleteNamespace, describeNamespace, engineOutput, execIn, execOk, exists, fingerprintOf, kubectlJson,
    kubectlRun, localClusterConfig, note, openStack, readyPods, removeStack, requireEnvironment, secs, setConfig, stateResources, waitFor,
} from "./lib";

const STACK = "e2e";
const NS = "agent-e2e";
const REPLICAS = 3;
const baseConfig = localClusterConfig(NS, REPLICAS, {
    // Long enough that no scheduled refresh changes the version while this suite runs.
    refreshSchedule: "@every 6h",
    deleteDataOnDestroy: "false",
});
/** What the program must ask for on a local-path class (one node: RWO, readers read-only). */
const expected: Record<string, { accessModes: string[]; mountedBy: { workload: string; mode: string }[] }> = {
    embeddings: { accessModes: ["ReadWriteOnce"], mountedBy: [{ workload: GENERATOR, mode: "rw" }, { workload: INFERENCE, mode: "ro" }] },
    checkpoints: { accessModes: ["ReadWriteOnce"], mountedBy: [{ workload: GENERATOR, mode: "rw" }] },
};

interface BoundVolume {
    namespace: string; claim: string; phase: string; volume: string; capacity: string;
    accessModes: string[]; storageClass: string; reclaimPolicy: string; mountedBy: { workload: string; mode: string }[];
}

/** Shell run in a pod: checkpoints files and their checksums. */
const checkpointsScript = `cd ${CHECKPOINTS_PATH} && find . -type f | sort | xargs -r sha256sum`;

describe("e2e deploy: pulumi up / preview / refresh / destroy on the local cluster (stack e2e)", function () {
    let stack: Stack | undefined;
    const state: {
        up?: boolean; data?: DataFingerprint; volumes?: BoundVolume[];
        claimUids?: Record<string, string>; checkpoints?: string; destroyedKeepingData?: boolean; cleanedUp?: boolean;
    } = {};
    const needs = (ok: unknown, what: string) => {
        if (!ok) throw new Error(`not checked: ${what} did not succeed earlier in this suite (see the first failure above)`);
    };

    before(async function () {
        requireEnvironment(this, "deploy");
        this.timeout(600000);
        const t0 = Date.now();
        // Start from empty: a run that died earlier may have left the stack or the namespace.
        stack = await openStack(STACK, baseConfig);
        if ((await stateResources(stack)).length > 0) {
            note(`stack ${STACK} has resources from an earlier run: destroying them first`);
            await setConfig(stack, { deleteDataOnDestroy: "true" });
            await stack.destroy({ onOutput: engineOutput("destroy") }).catch((e) => note(`destroy of leftovers: ${(e as Error).message.split("\n")[0]}`));
            await setConfig(stack, { deleteDataOnDestroy: "false" });
        }
        if (exists("namespace", NS)) {
            note(`namespace ${NS} exists from an earlier run: deleting it`);
            deleteNamespace(NS);
        }
        await stack.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode").catch(() => undefined);
        note(`stack ${STACK} ready, namespace ${NS} absent (${secs(t0)})`);
    });

    after(async function () {
        this.timeout(600000);
        if (process.env.AGENT_STORAGE_E2E === "skip" || !stack) return;
        // Leave the cluster clean whatever failed: really delete the data, then the namespace,
        // then the stack and its Pulumi.e2e.yaml.
        const t0 = Date.now();
        try {
            if (!state.cleanedUp) {
                await stack.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode").catch(() => undefined);
                await setConfig(stack, { deleteDataOnDestroy: "true" });
                if ((await stateResources(stack)).length > 0) {
                    await stack.destroy({ onOutput: engineOutput("cleanup") }).catch((e) => note(`cleanup destroy: ${(e as Error).message.split("\n")[0]}`));
                }
            }
        } finally {
            kubectlRun(["delete", "pod", "e2e-data-check", "-n", NS, "--ignore-not-found", "--wait=false"], { allowFail: true });
            if (exists("namespace", NS)) deleteNamespace(NS);
            await removeStack(stack, STACK);
            note(`cleanup done: namespace ${NS} ${exists("namespace", NS) ? "STILL EXISTS" : "gone"}, stack ${STACK} removed (${secs(t0)})`);
        }
    });

    it("1. up succeeds and every boundVolumes entry is Bound, with a volume, the expected modes and class, matching the live claims and volumes", async function () {
        const t0 = Date.now();
        let res;
        try {
            res = await stack!.up({ onOutput: engineOutput("up") });
        } catch (e) {
            note(`up failed; namespace ${NS} now:\n${describeNamespace(NS)}`);
            throw e;
        }
        note(`up: ${res.summary.result} in ${secs(t0)}; changes ${JSON.stringify(res.summary.resourceChanges)}`);
        assert.strictEqual(res.summary.result, "succeeded");
        const volumes = res.outputs.boundVolumes?.value as BoundVolume[];
        assert.ok(Array.isArray(volumes), `boundVolumes output missing: ${JSON.stringify(Object.keys(res.outputs))}`);
        assert.deepStrictEqual(volumes.map((v) => v.claim).sort(), ["checkpoints", "embeddings"]);
        assert.strictEqual(res.outputs.namespace?.value, NS);
        assert.strictEqual(res.outputs.refreshSchedule?.value, baseConfig.refreshSchedule);

        state.claimUids = {};
        for (const v of volumes) {
            const want = expected[v.claim];
            assert.strictEqual(v.namespace, NS, `${v.claim}: namespace`);
            assert.strictEqual(v.phase, "Bound", `${v.claim}: phase`);
            assert.match(v.volume, /^pvc-/, `${v.claim}: a volume name (local-path names them pvc-<uid>)`);
            assert.strictEqual(v.storageClass, "standard", `${v.claim}: class`);
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

    it("6. destroy keeps the namespace and both claims with their data (deleteDataOnDestroy=false), a second up adopts them without loss, and deleteDataOnDestroy=true really deletes them", async function () {
        needs(state.data && state.claimUids, "steps 1-2");
        // What the checkpoints claim holds just before destroy (the generator writes its state there).
        state.checkpoints = execOk(NS, `deploy/${GENERATOR}`, ["sh", "-c", checkpointsScript]);
        assert.ok(state.checkpoints.trim().length > 0, "the generator wrote something to its checkpoints claim");
        // --- destroy with the default: data is kept
        let t0 = Date.now();
        const d1 = await stack!.destroy({ onOutput: engineOutput("destroy") });
        note(`destroy (keep data): ${d1.summary.result} in ${secs(t0)}; ${JSON.stringify(d1.summary.resourceChanges)}`);
        assert.strictEqual(d1.summary.result, "succeeded");
        assert.deepStrictEqual(await stateResources(stack!), [], "the stack's state is empty after destroy");
        for (const d of [GENERATOR, INFERENCE]) assert.ok(!exists("deployment", d, NS), `deployment ${d} was deleted`);
        await waitFor("the workload pods to be gone", 180000, () => allPods(NS).filter((p) => p.metadata.name !== "e2e-data-check").length === 0, 2000);
        const ns = kubectlJson(["get", "namespace", NS]);
        assert.ok(!ns.metadata.deletionTimestamp, "the namespace is kept (not terminating)");
        for (const v of state.volumes!) {
            const pvc = kubectlJson(["get", "pvc", v.claim, "-n", NS]);
            assert.strictEqual(pvc.metadata.uid, state.claimUids![v.claim], `claim ${v.claim} is the same object`);
            assert.strictEqual(pvc.status.phase, "Bound", `claim ${v.claim} still Bound`);
            assert.strictEqual(pvc.spec.volumeName, v.volume, `claim ${v.claim} still on volume ${v.volume}`);
            assert.ok(exists("pv", v.volume), `volume ${v.volume} still exists`);
        }
        // The data, read by a throwaway restricted pod that mounts both claims read-only.
        const check = await readClaimsWithThrowawayPod();
        assert.deepStrictEqual(check.data, state.data, "after destroy the embeddings claim holds the same version and bytes");
        assert.strictEqual(check.checkpoints, state.checkpoints, "after destroy the checkpoints claim holds the same files");
        state.destroyedKeepingData = true;

        // --- second up: the kept namespace and claims are adopted (server-side apply upserts them)
        t0 = Date.now();
        const up2 = await stack!.up({ onOutput: engineOutput("up2") });
        note(`second up: ${up2.summary.result} in ${secs(t0)}; ${JSON.stringify(up2.summary.resourceChanges)}`);
        assert.strictEqual(up2.summary.result, "succeeded");
        for (const v of up2.outputs.boundVolumes.value as BoundVolume[]) {
            const before = state.volumes!.find((x) => x.claim === v.claim)!;
            assert.strictEqual(v.volume, before.volume, `claim ${v.claim} reuses volume ${before.volume}`);
            const pvc = kubectlJson(["get", "pvc", v.claim, "-n", NS, "--show-managed-fields"]);
            assert.strictEqual(pvc.metadata.uid, state.claimUids![v.claim], `claim ${v.claim} was adopted (same uid), not recreated`);
            const managers = (pvc.metadata as { managedFields?: { manager: string }[] }).managedFields?.map((m) => m.manager) ?? [];
            assert.ok(managers.some((m) => /pulumi/i.test(m)), `claim ${v.claim} is managed by Pulumi again (field managers: ${managers.join(", ")})`);
        }
        const gen = readyPods(NS, GENERATOR)[0].metadata.name;
        assert.deepStrictEqual(fingerprintOf(NS, gen), state.data, "after the second up the generator sees the same version (no new refresh, no loss)");
        for (const p of readyPods(NS, INFERENCE)) {
            assert.deepStrictEqual(fingerprintOf(NS, p.metadata.name), state.data, `${p.metadata.name} serves the kept version`);
        }

        // --- deleteDataOnDestroy=true, then destroy: everything goes
        await setConfig(stack!, { deleteDataOnDestroy: "true" });
        t0 = Date.now();
        const up3 = await stack!.up({ onOutput: engineOutput("up3") });
        note(`up with deleteDataOnDestroy=true: ${secs(t0)}; ${JSON.stringify(up3.summary.resourceChanges)}`);
        for (const c of ["embeddings", "checkpoints"]) {
            const pvc = kubectlJson(["get", "pvc", c, "-n", NS]);
            assert.strictEqual(pvc.metadata.annotations?.["agent-storage.io/delete-on-destroy"], "true", `claim ${c} is marked for deletion`);
        }
        t0 = Date.now();
        const d2 = await stack!.destroy({ onOutput: engineOutput("destroy2") });
        note(`destroy (delete data): ${d2.summary.result} in ${secs(t0)}; ${JSON.stringify(d2.summary.resourceChanges)}`);
        assert.strictEqual(d2.summary.result, "succeeded");
        await waitFor(`namespace ${NS} to be gone`, 300000, () => !exists("namespace", NS), 2000);
        for (const v of state.volumes!) {
            await waitFor(`volume ${v.volume} to be deleted (reclaim policy Delete)`, 180000, () => !exists("pv", v.volume), 2000);
        }
        assert.deepStrictEqual(await stateResources(stack!), []);
        state.cleanedUp = true;
    });

    it("7. bad config (embeddingsAccessMode ReadOnlyMany on the local class) fails in preview with a message naming agent-storage:embeddingsAccessMode, and nothing is created", async function () {
        needs(stack, "opening the stack");
        const before = (await stateResources(stack!)).length;
        const nsBefore = exists("namespace", NS);
        const objectsBefore = nsBefore ? kubectlRun(["get", "all,pvc", "-n", NS, "-o", "name"]).stdout : "";
        await setConfig(stack!, { embeddingsAccessMode: "ReadOnlyMany" });
        try {
            for (const op of ["preview", "up"] as const) {
                let err: Error | undefined;
                try {
                    if (op === "preview") await stack!.preview();
                    else await stack!.up();
                } catch (e) {
                    err = e as Error;
                }
                assert.ok(err, `${op} with embeddingsAccessMode=ReadOnlyMany must fail`);
                const text = err!.message;
                assert.match(text, /agent-storage:embeddingsAccessMode/, `${op}: the message names the key:\n${text}`);
                assert.match(text, /ReadOnlyMany/, `${op}: the message names the mode`);
                assert.match(text, /nothing was created/, `${op}: the message says nothing was created`);
                const line = text.split("\n").find((l) => l.includes("agent-storage:embeddingsAccessMode"));
                note(`${op} failed as expected: ${line?.trim()}`);
            }
            assert.strictEqual((await stateResources(stack!)).length, before, "stack resource count unchanged");
            assert.strictEqual(exists("namespace", NS), nsBefore, `namespace ${NS} neither created nor deleted`);
            if (nsBefore) assert.strictEqual(kubectlRun(["get", "all,pvc", "-n", NS, "-o", "name"]).stdout, objectsBefore, "no new objects in the namespace");
        } finally {
            await stack!.workspace.removeConfig(STACK, "agent-storage:embeddingsAccessMode");
        }
    });

    /** Mounts both claims read-only in a restricted one-shot pod and fingerprints them. */
    async function readClaimsWithThrowawayPod(): Promise<{ data: DataFingerprint; checkpoints: string }> {
        const sec = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
        const script = `set -e; id=$(refresher current --embeddings ${EMBEDDINGS_PATH}); echo "version $id"; ` +
            `cd ${EMBEDDINGS_PATH}/versions/$id; sha256sum $(ls | sort); echo ---; ${checkpointsScript}`;
        const pod = {
            apiVersion: "v1", kind: "Pod",
            metadata: { name: "e2e-data-check", namespace: NS },
            spec: {
                restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false,
                securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
                containers: [{
                    name: "check", image: WORKLOAD_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], securityContext: sec,
                    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
                    volumeMounts: [{ name: "embeddings", mountPath: EMBEDDINGS_PATH, readOnly: true }, { name: "checkpoints", mountPath: CHECKPOINTS_PATH, readOnly: true }],
                }],
                volumes: [
                    { name: "embeddings", persistentVolumeClaim: { claimName: "embeddings", readOnly: true } },
                    { name: "checkpoints", persistentVolumeClaim: { claimName: "checkpoints", readOnly: true } },
                ],
            },
        };
        kubectlRun(["apply", "-f", "-"], { input: JSON.stringify(pod) });
        try {
            const phase = await waitFor("the data-check pod to finish", 180000, () => {
                const p = kubectlJson<K8sObject>(["get", "pod", "e2e-data-check", "-n", NS]).status?.phase;
                return (p === "Succeeded" || p === "Failed") && p;
            }, 1000);
            const logs = kubectlRun(["logs", "e2e-data-check", "-n", NS]).stdout;
            assert.strictEqual(phase, "Succeeded", `data-check pod: ${logs}`);
            const [data, checkpoints] = logs.split("---\n");
            return { data: { version: /^version (\S+)/.exec(data)![1], sums: data.trim().split("\n").slice(1).join("\n") }, checkpoints };
        } finally {
            kubectlRun(["delete", "pod", "e2e-data-check", "-n", NS, "--ignore-not-found", "--wait=true"], { allowFail: true });
        }
    }
});
