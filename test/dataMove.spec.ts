import * as assert from "assert";
import { CopyMove, IdentityFact, changedFacts, copyMoveProblem, dataIdentityGuardProvider, replacementRefusal } from "../components/storage/dataIdentity";
import { CopyOrigin, SourceVolume, copyNames, mirrorSpec } from "../components/storage/copySource";
import { dataCopyPodSpec } from "../components/workloads/dataCopyJob";
import { refresherContract } from "../components/workloads/refresherContract";
import { claimNameLabel, claimNamespaceLabel, copySourceLabel } from "../components/labels";
import { resolveSettings } from "../stacks";
import { claimSizes, dataIdentity } from "../stacks/dataIdentity";
import { checkCopyDataFrom } from "../stacks/validate";
import { Json, buildOnce, testContext } from "./harness";

const origin: CopyOrigin = {
    fromNamespace: "agent-data", fromKey: "agent-storage:copyDataFrom", claim: "embeddings", role: "embeddings",
    toNamespace: "agent-new", ...copyNames("agent-new", "embeddings"),
};
const bound = { spec: { volumeName: "pvc-1" }, status: { phase: "Bound" } };
const volume = (source: Record<string, unknown>, extra: Record<string, unknown> = {}): SourceVolume => ({
    metadata: { name: "pvc-1" },
    spec: { capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Delete", storageClassName: "standard", ...source, ...extra },
});
const spec = (result: ReturnType<typeof mirrorSpec>): Json => {
    if ("problem" in result) throw new assert.AssertionError({ message: `expected a spec, got: ${result.problem}` });
    return result.spec;
};
const problem = (result: ReturnType<typeof mirrorSpec>): string => {
    if (!("problem" in result)) throw new assert.AssertionError({ message: `expected a problem, got a spec: ${JSON.stringify(result.spec)}` });
    return result.problem;
};

describe("the mirror of the old volume a data move copies from", () => {
    it("names the same host folder, on the same node, and can never delete it: Retain, no class, bound to the copy's own claim", () => {
        const affinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-b"] }] }] } };
        const mirror = spec(mirrorSpec(bound, volume({ hostPath: { path: "/var/local-path-provisioner/pvc-1", type: "DirectoryOrCreate" } }, { nodeAffinity: affinity }), origin));
        assert.deepStrictEqual(mirror.hostPath, { path: "/var/local-path-provisioner/pvc-1" });
        assert.deepStrictEqual(mirror.nodeAffinity, affinity, "the copy runs on the node that has the folder");
        assert.strictEqual(mirror.persistentVolumeReclaimPolicy, "Retain", "whatever the source volume says");
        assert.strictEqual(mirror.storageClassName, "", "no class: no provisioner takes it as its own");
        assert.deepStrictEqual(mirror.claimRef, { namespace: "agent-new", name: "embeddings-copy-source" });
        assert.deepStrictEqual(mirror.capacity, { storage: "2Gi" });
    });

    it("mirrors local volumes, NFS exports and EFS file systems, read-only where the source kind says so", () => {
        assert.deepStrictEqual(spec(mirrorSpec(bound, volume({ local: { path: "/mnt/disks/a" } }), origin)).local, { path: "/mnt/disks/a" });
        assert.strictEqual(spec(mirrorSpec(bound, volume({ nfs: { server: "nfs", path: "/export" } }), origin)).nfs.readOnly, true);
        const efs = spec(mirrorSpec(bound, volume({ csi: { driver: "efs.csi.aws.com", volumeHandle: "fs-1::fsap-2" } }), origin)).csi;
        assert.deepStrictEqual(efs, { driver: "efs.csi.aws.com", volumeHandle: "fs-1::fsap-2", readOnly: true });
    });

    it("refuses a volume one node attaches at a time (EBS), naming the key, the volume and the way forward", () => {
        const text = problem(mirrorSpec(bound, volume({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } }), origin));
        assert.match(text, /^agent-storage:copyDataFrom: volume pvc-1 of claim agent-data\/embeddings is a ebs\.csi\.aws\.com volume/);
        assert.match(text, /agent-storage:confirmDataMove/);
    });

    it("refuses a missing or unbound old claim, naming the key and the namespace", () => {
        assert.match(problem(mirrorSpec(undefined, undefined, origin)), /agent-storage:copyDataFrom: there is no claim agent-data\/embeddings to copy the embeddings from/);
        assert.match(problem(mirrorSpec({ status: { phase: "Pending" } }, undefined, origin)), /claim agent-data\/embeddings is Pending/);
    });
});

describe("the copy Job of a data move", () => {
    const pod = dataCopyPodSpec({
        image: "img", role: "embeddings", sourceClaim: "embeddings-copy-source", targetClaim: "embeddings",
        resources: { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } },
    }) as Json;

    it("runs the refresher's copy with the names its contract gives, from the source to the role's own path", () => {
        const { mountPaths, copy } = refresherContract;
        assert.deepStrictEqual(pod.containers[0].command, [
            refresherContract.binary, refresherContract.subcommands.copy, copy.flags.from, mountPaths.copySource,
            copy.flags.to, mountPaths.embeddings, copy.flags.layout, copy.layouts.embeddings]);
        const files = dataCopyPodSpec({ image: "img", role: "checkpoints", sourceClaim: "s", targetClaim: "checkpoints", resources: pod.containers[0].resources }) as Json;
        assert.ok(files.containers[0].command.includes(copy.layouts.files), "checkpoints are copied file by file");
        assert.ok(files.containers[0].command.includes(mountPaths.checkpoints));
    });

    it("mounts the old volume read-only, twice over (claim and mount), and the new claim writable", () => {
        const source = pod.volumes.find((v: Json) => v.persistentVolumeClaim.claimName === "embeddings-copy-source");
        assert.strictEqual(source.persistentVolumeClaim.readOnly, true);
        assert.strictEqual(pod.containers[0].volumeMounts.find((m: Json) => m.name === source.name).readOnly, true);
        const target = pod.volumes.find((v: Json) => v.persistentVolumeClaim.claimName === "embeddings");
        assert.notStrictEqual(pod.containers[0].volumeMounts.find((m: Json) => m.name === target.name).readOnly, true);
        assert.strictEqual(pod.restartPolicy, "Never");
        assert.strictEqual(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    });
});

describe("a stack that moves its data by copying (copyDataFrom)", () => {
    const raw = { namespace: "agent-new", copyDataFrom: "agent-data" };

    it("fills each new claim with a Job before any workload starts, reading the old volume through a mirror of it", async () => {
        const { cluster } = await buildOnce(raw);
        const jobs = cluster.ofType("kubernetes:batch/v1:Job", { read: false });
        assert.deepStrictEqual(jobs.map((j) => j.inputs.metadata.name).sort(), ["copy-checkpoints", "copy-embeddings"]);
        for (const j of jobs) assert.strictEqual(j.inputs.metadata.namespace, "agent-new");
        const copyComponents = cluster.resources.filter((r) => r.type === "agent-storage:workloads:DataCopyJob").map((r) => r.name);
        assert.strictEqual(copyComponents.length, 2);
        for (const type of ["agent-storage:workloads:EmbeddingsGenerator", "agent-storage:workloads:InferencePool"]) {
            const workload = cluster.resources.find((r) => r.type === type)!;
            for (const c of copyComponents) assert.ok(workload.dependsOn.includes(c), `${type} waits for ${c}: ${workload.dependsOn.join(", ")}`);
        }
        const mirrors = cluster.ofType("kubernetes:core/v1:PersistentVolume", { read: false });
        assert.deepStrictEqual(mirrors.map((m) => m.inputs.metadata.name).sort(),
            ["agent-storage-agent-new-checkpoints-copy-source", "agent-storage-agent-new-embeddings-copy-source"]);
        for (const m of mirrors) {
            const labels = m.inputs.metadata.labels;
            assert.strictEqual(labels[copySourceLabel], "true");
            assert.ok(!(claimNamespaceLabel in labels) && !(claimNameLabel in labels), "never handed back to a data claim as a kept volume");
            assert.strictEqual(m.inputs.spec.persistentVolumeReclaimPolicy, "Retain");
            assert.strictEqual(m.inputs.metadata.annotations, undefined, "none of the provisioner's annotations");
        }
        const sources = cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false }).filter((c) => c.inputs.metadata.labels[copySourceLabel]);
        assert.strictEqual(sources.length, 2);
        for (const c of sources) {
            assert.strictEqual(c.inputs.spec.storageClassName, "");
            assert.match(c.inputs.spec.volumeName, /-copy-source$/, "pre-bound to its mirror");
        }
    });

    it("makes nothing of the kind without copyDataFrom", async () => {
        const { cluster } = await buildOnce({});
        assert.deepStrictEqual(cluster.ofType("kubernetes:batch/v1:Job"), []);
        assert.ok(!cluster.resources.some((r) => r.inputs?.metadata?.labels?.[copySourceLabel]));
    });
});

describe("copyDataFrom checks", () => {
    it("takes a namespace name other than the one the data moves to", () => {
        assert.deepStrictEqual(checkCopyDataFrom(undefined, "agent-new", undefined), []);
        assert.deepStrictEqual(checkCopyDataFrom("", "agent-new", undefined), []);
        assert.deepStrictEqual(checkCopyDataFrom("agent-data", "agent-new", "dynamic"), []);
        assert.match(checkCopyDataFrom("Agent_Data", "agent-new", undefined)[0].message, /is not a namespace name/);
        const same = checkCopyDataFrom("agent-new", "agent-new", undefined);
        assert.strictEqual(same[0].key, "agent-storage:copyDataFrom");
        assert.match(same[0].message, /nothing to copy/);
        assert.match(same[0].fix, /pulumi config rm agent-storage:copyDataFrom/);
    });

    it("refuses a copy of a static host folder, which the new namespace's volume names as well", () => {
        assert.match(checkCopyDataFrom("agent-data", "agent-new", "static-hostpath")[0].fix, /confirmDataMove/);
    });

    it("is part of the settings every target resolves", () => {
        assert.strictEqual(resolveSettings({ namespace: "agent-new", copyDataFrom: "agent-data" }, testContext).copyDataFrom, "agent-data");
        assert.strictEqual(resolveSettings({}, testContext).copyDataFrom, undefined);
    });
});

describe("the data identity guard with a copy", () => {
    const facts = (raw: Parameters<typeof resolveSettings>[0]) => dataIdentity(resolveSettings(raw, testContext));
    const copy = (from: string): CopyMove => ({ from, key: "agent-storage:copyDataFrom", namespaceKey: "agent-storage:namespace" });
    const existing = { target: "existing" as const, kubeconfig: "test/fixtures/kubeconfig" };
    const changes = (before: IdentityFact[], after: IdentityFact[]) => changedFacts(before, after);

    it("lets a move into a new namespace through, with a new class and mode too, when it copies from where the data is", () => {
        const before = facts(existing);
        assert.strictEqual(copyMoveProblem(changes(before, facts({ ...existing, namespace: "agent-new" })), copy("agent-data")), undefined);
        const alsoClass = facts({ ...existing, namespace: "agent-new", storageClass: "fast", embeddingsAccessMode: "ReadWriteOnce" });
        assert.strictEqual(copyMoveProblem(changes(before, alsoClass), copy("agent-data")), undefined);
    });

    it("refuses a copy from elsewhere, one without a new namespace, and one across a new kind data folder, naming the key and the fix", () => {
        const before = facts({});
        assert.match(copyMoveProblem(changes(before, facts({ namespace: "agent-new" })), copy("agent-old"))!,
            /agent-storage:copyDataFrom: the data is in namespace agent-data, not "agent-old". fix: pulumi config set agent-storage:copyDataFrom agent-data/);
        assert.match(copyMoveProblem(changes(before, facts({ embeddingsAccessMode: "ReadWriteOnce" })), copy("agent-data"))!, /agent-storage:namespace is unchanged/);
        assert.match(copyMoveProblem(changes(before, facts({ namespace: "agent-new", kindDataDir: "/srv/agent" })), copy("agent-data"))!,
            /cannot carry the data across agent-storage:kindDataDir/);
    });

    it("offers the copy in the refusal of a move it can carry, with the namespace to copy from", () => {
        const text = replacementRefusal(changes(facts({}), facts({ namespace: "agent-new" })), "agent-storage:confirmDataMove", copy(""));
        assert.match(text, /Or move it with a copy: pulumi config set agent-storage:copyDataFrom agent-data/);
        const folder = replacementRefusal(changes(facts({}), facts({ kindDataDir: "/srv/agent" })), "agent-storage:confirmDataMove", copy(""));
        assert.doesNotMatch(folder, /copyDataFrom/, "not for a new kind data folder, which a copy cannot carry");
    });

    it("decides in the diff, which preview runs too", async () => {
        const provider = dataIdentityGuardProvider();
        const sizes = claimSizes(resolveSettings({}, testContext));
        const olds = { facts: facts({}), sizes };
        const news = (from: string) => ({ facts: facts({ namespace: "agent-new" }), sizes, confirmed: false, confirmKey: "agent-storage:confirmDataMove", copy: copy(from) });
        assert.deepStrictEqual(await provider.diff!("data-identity", olds, news("agent-data")), { changes: true });
        await assert.rejects(provider.diff!("data-identity", olds, news("agent-old")), /refusing to move the agent's data \(nothing was changed\): agent-storage:copyDataFrom/);
        await assert.rejects(provider.diff!("data-identity", olds, news("")), /agent-storage:namespace: "agent-data" -> "agent-new"/);
    });

    it("has nothing to update on a stack deployed when the program knew a class's growth otherwise", async () => {
        const sizes = claimSizes(resolveSettings({}, testContext));
        const before = sizes.map((s) => ({ ...s, resize: "fixed" as const }));
        assert.notDeepStrictEqual(before, sizes, "the shared class expands now");
        const diff = await dataIdentityGuardProvider().diff!("data-identity", { facts: facts({}), sizes: before },
            { facts: facts({}), sizes, confirmed: false, confirmKey: "agent-storage:confirmDataMove", copy: copy("") });
        assert.deepStrictEqual(diff, { changes: false });
    });

    it("has nothing to update on a stack deployed before facts said whether a copy can carry them", async () => {
        const sizes = claimSizes(resolveSettings({}, testContext));
        const before = facts({}).map(({ key, value, holds }) => ({ key, value, holds }));
        const diff = await dataIdentityGuardProvider().diff!("data-identity", { facts: before, sizes },
            { facts: facts({}), sizes, confirmed: false, confirmKey: "agent-storage:confirmDataMove", copy: copy("") });
        assert.deepStrictEqual(diff, { changes: false });
    });
});
