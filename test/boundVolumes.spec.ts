import * as assert from "assert";
import { describeBinding, parseServedVersion } from "../components/report";
import { buildOnce, valueOf } from "./harness";

describe("boundVolumes output", () => {
    it("reports one entry per claim with phase, volume, capacity, modes, class, reclaim policy and mounts", async () => {
        const { outputs } = await buildOnce({});
        const volumes = await valueOf(outputs.boundVolumes);
        assert.deepStrictEqual(volumes.map((v) => v.claim), ["embeddings", "checkpoints"]);
        const embeddings = volumes[0];
        assert.deepStrictEqual(embeddings, {
            namespace: "agent-data", claim: "embeddings", phase: "Bound", volume: "pvc-embeddings-0001", capacity: "2Gi",
            accessModes: ["ReadWriteMany"], storageClass: "shared", reclaimPolicy: "Retain",
            mountedBy: [{ workload: "embeddings-generator", mode: "rw" }, { workload: "inference", mode: "ro" }],
            nodes: ["node-a", "node-b"],
        });
        assert.deepStrictEqual(volumes[1].mountedBy, [{ workload: "embeddings-generator", mode: "rw" }]);
        assert.deepStrictEqual(volumes[1].nodes, ["node-a"]);
    });

    it("lists one node for a claim whose pods must share the writer's node", async () => {
        const { outputs } = await buildOnce({ embeddingsAccessMode: "ReadWriteOnce" });
        const [embeddings] = await valueOf(outputs.boundVolumes);
        assert.deepStrictEqual(embeddings.nodes, ["node-a"]);
    });

    it("reads the nodes from the pods once the workloads are ready, with the cluster's own kubeconfig", async () => {
        const { cluster } = await buildOnce({});
        const reads = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:ClaimNodes", { read: true });
        assert.deepStrictEqual(reads.map((r) => r.id).sort(), ["agent-data/checkpoints", "agent-data/embeddings"]);
        for (const r of reads) assert.match(r.inputs.kubeconfig, /# kind agent-storage/);
        assert.deepStrictEqual(cluster.ofType("pulumi-nodejs:dynamic/agent-storage:ClaimNodes", { read: false }), [], "never created, only read");
    });

    it("reads the claims again instead of reporting their Pending creation snapshot", async () => {
        const { cluster } = await buildOnce({});
        const reads = cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: true });
        // Read by the report and by the reclaim patch, which needs the bound volume's name.
        assert.deepStrictEqual(reads.map((r) => r.id).sort(),
            ["agent-data/checkpoints", "agent-data/checkpoints", "agent-data/embeddings", "agent-data/embeddings"]);
        assert.deepStrictEqual(cluster.ofType("kubernetes:core/v1:PersistentVolume", { read: true }).map((r) => r.id).sort(),
            ["pvc-checkpoints-0001", "pvc-embeddings-0001"]);
    });

    it("reports the static volume's Retain policy when the lesson's host-path volume is used", async () => {
        const { outputs } = await buildOnce({ embeddingsVolume: "static-hostpath" });
        const [embeddings] = await valueOf(outputs.boundVolumes);
        assert.strictEqual(embeddings.volume, "agent-storage-agent-data-embeddings");
        assert.strictEqual(embeddings.reclaimPolicy, "Retain");
        assert.strictEqual(embeddings.storageClass, "agent-static");
    });

    it("exports the namespace, the schedule and the kept versions", async () => {
        const { outputs } = await buildOnce({});
        assert.strictEqual(await valueOf(outputs.namespace), "agent-data");
        assert.strictEqual(outputs.refreshSchedule, "@weekly");
        assert.strictEqual(outputs.keepVersions, 3);
    });

    it("describes a claim that is not bound as such, with no volume", () => {
        const line = describeBinding({ metadata: { name: "x", namespace: "n" }, spec: { accessModes: ["ReadWriteOnce"] }, status: { phase: "Pending" } }, undefined, [], []);
        assert.strictEqual(line.phase, "Pending");
        assert.strictEqual(line.volume, "");
        assert.deepStrictEqual(line.accessModes, ["ReadWriteOnce"]);
        assert.deepStrictEqual(line.nodes, []);
    });

    it("lists each node that mounts a claim once, sorted", () => {
        const line = describeBinding({ metadata: { name: "x", namespace: "n" } }, undefined, [], ["w2", "w1", "w2", "w1", "w3"]);
        assert.deepStrictEqual(line.nodes, ["w1", "w2", "w3"]);
    });
});

describe("served version output", () => {
    it("reads the version the generator published from the live cluster once the workloads are ready", async () => {
        const { cluster, outputs } = await buildOnce({});
        assert.strictEqual(await valueOf(outputs.servedVersion), "20261124T100000.000Z-ab12c3");
        assert.deepStrictEqual(await valueOf(outputs.keptVersions), ["20261124T100000.000Z-ab12c3", "20261117T100000.000Z-cd34e5"]);
        assert.deepStrictEqual(cluster.ofType("kubernetes:core/v1:ConfigMap", { read: true }).map((r) => r.id), ["agent-data/embeddings-status"]);
    });

    it("reports an empty version when nothing was published", () => {
        assert.deepStrictEqual(parseServedVersion(undefined), { version: "", publishedAt: "", keptVersions: [] });
    });
});
