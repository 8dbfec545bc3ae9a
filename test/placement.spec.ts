import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { decideReaderPlacement, readerScheduling, writerScheduling } from "../components/workloads";

const coLocated = {
    podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["embeddings-generator", "inference"] }] },
        }],
    },
};

describe("reader placement", () => {
    it("arranges nothing on a cluster with one node for the pods", () => {
        const p = decideReaderPlacement({ workloadNodes: 1, accessMode: "ReadWriteOnce", storageClass: "standard" });
        assert.strictEqual(p.readers, "one-node");
        assert.deepStrictEqual(readerScheduling(p), {});
        assert.deepStrictEqual(writerScheduling(p), {});
    });

    it("spreads readers over nodes when every node may mount the embeddings, and leaves the writer free to move", () => {
        const p = decideReaderPlacement({ workloadNodes: 2, accessMode: "ReadWriteMany", storageClass: "shared" });
        assert.strictEqual(p.readers, "spread");
        assert.match(p.reason, /ReadWriteMany on class "shared", which every node may mount/);
        assert.deepStrictEqual(readerScheduling(p), {
            topologySpreadConstraints: [{
                topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { "app.kubernetes.io/name": "inference" } },
                matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor", nodeAffinityPolicy: "Honor",
            }],
        });
        assert.deepStrictEqual(writerScheduling(p), {}, "no node pinning, no affinity for the writer");
    });

    it("never keeps a reader Pending for the sake of the spread: a drained, full or tainted node only lowers the preference", () => {
        const [spread] = readerScheduling(decideReaderPlacement({ workloadNodes: 3, accessMode: "ReadWriteMany", storageClass: "efs" })).topologySpreadConstraints as k8s.types.input.core.v1.TopologySpreadConstraint[];
        assert.strictEqual(spread.whenUnsatisfiable, "ScheduleAnyway");
        assert.strictEqual(spread.nodeTaintsPolicy, "Honor", "a cordoned or control-plane node is not a domain to fill");
    });

    it("puts every pod that mounts ReadWriteOnce embeddings on one node, writer included, and says why", () => {
        const p = decideReaderPlacement({ workloadNodes: 2, accessMode: "ReadWriteOnce", storageClass: "shared" });
        assert.strictEqual(p.readers, "with-writer");
        assert.match(p.reason, /ReadWriteOnce on class "shared", which one node at a time may mount: the readers run on the writer's node/);
        assert.deepStrictEqual(readerScheduling(p), { affinity: coLocated });
        assert.deepStrictEqual(writerScheduling(p), { affinity: coLocated });
        assert.strictEqual(readerScheduling(p).topologySpreadConstraints, undefined, "no spread when readers must share the writer's node");
    });

    it("co-locates when the node count is not known, since that is safe on any number of nodes", () => {
        const p = decideReaderPlacement({ accessMode: "ReadWriteOnce", storageClass: "gp2" });
        assert.strictEqual(p.readers, "with-writer");
        assert.match(p.reason, /node count is not configured/);
        assert.strictEqual(decideReaderPlacement({ accessMode: "ReadWriteMany", storageClass: "nfs" }).readers, "spread");
    });

    it("keeps readers with the writer on the node that holds a static host-path volume, whatever its access mode", () => {
        const p = decideReaderPlacement({ workloadNodes: 2, accessMode: "ReadWriteMany", storageClass: "agent-static", hostPathNode: "demo-worker" });
        assert.strictEqual(p.readers, "with-writer");
        assert.match(p.reason, /folder on node demo-worker/);
    });
});
