import * as assert from "assert";
import * as path from "path";
import { VolumeView, keptVolumeFor, keptVolumeHandBackProvider, reclaimFieldManager, reclaimPolicyFor, volumeReclaimPolicyProvider } from "../components/storage";
import { MockCluster, buildOnce, buildWithMocks, fixturesDir, startFakeApi, testContext, valueOf } from "./harness";

const released = (name: string, created: string, labels = { "agent-storage.io/claim-namespace": "agent-data", "agent-storage.io/claim-name": "embeddings" },
    claimRef = { namespace: "agent-data", name: "embeddings", uid: "old-uid" }, phase = "Released"): VolumeView =>
    ({ metadata: { name, creationTimestamp: created, labels }, spec: { claimRef }, status: { phase } });

/** A fake API server: answers the labelled volume list, records every request and PATCH body. */
async function fakeApi(volumes: VolumeView[]) {
    const requests: { method: string; url: string; contentType?: string; body: string }[] = [];
    const api = await startFakeApi((req, res) => {
        let body = "";
        req.on("data", (c) => { body += c; });
        req.on("end", () => {
            requests.push({ method: req.method!, url: req.url!, contentType: req.headers["content-type"], body });
            if (req.method === "GET" && req.url!.startsWith("/api/v1/persistentvolumes?labelSelector=")) {
                res.writeHead(200).end(JSON.stringify({ kind: "PersistentVolumeList", items: volumes }));
            } else if (req.method === "PATCH" && req.url!.startsWith("/api/v1/persistentvolumes/")) {
                res.writeHead(200).end("{}");
            } else {
                res.writeHead(404).end("{}");
            }
        });
    });
    return { ...api, requests };
}

describe("kept volumes: reclaim policy of bound data volumes and their hand-back", () => {
    it("keeps a bound volume with Retain whatever its class says, unless data is to be deleted; then it follows the class", () => {
        assert.strictEqual(reclaimPolicyFor(false, "Delete"), "Retain");
        assert.strictEqual(reclaimPolicyFor(false, undefined), "Retain");
        assert.strictEqual(reclaimPolicyFor(true, "Retain"), "Retain");
        assert.strictEqual(reclaimPolicyFor(true, "Delete"), "Delete");
        assert.strictEqual(reclaimPolicyFor(true, undefined), "Delete", "a class without a policy deletes");
    });

    it("hands back the newest Released volume labelled for the claim and still naming it, and lists the older ones", () => {
        const volumes = [
            released("pvc-old", "2026-11-01T00:00:00Z"),
            released("pvc-new", "2026-11-20T00:00:00Z"),
            released("pvc-bound", "2026-11-25T00:00:00Z", undefined, undefined, "Bound"),
            released("pvc-other-claim", "2026-11-26T00:00:00Z", { "agent-storage.io/claim-namespace": "agent-data", "agent-storage.io/claim-name": "checkpoints" }),
            released("pvc-renamed", "2026-11-27T00:00:00Z", undefined, { namespace: "elsewhere", name: "embeddings", uid: "x" }),
        ];
        assert.deepStrictEqual(keptVolumeFor(volumes, "agent-data", "embeddings"), { volume: "pvc-new", others: ["pvc-old"] });
        assert.deepStrictEqual(keptVolumeFor(volumes, "agent-data", "missing"), { volume: undefined, others: [] });
    });

    it("on up, clears the deleted claim's uid from the kept volume so the new claim of that name binds to it", async () => {
        const api = await fakeApi([released("pvc-new", "2026-11-20T00:00:00Z")]);
        try {
            const r = await keptVolumeHandBackProvider().read!("agent-data/embeddings",
                { kubeconfig: api.kubeconfig, namespace: "agent-data", claim: "embeddings", apply: true });
            assert.deepStrictEqual(r.props, { namespace: "agent-data", claim: "embeddings", volume: "pvc-new", others: [] });
            assert.match(decodeURIComponent(api.requests[0].url), /labelSelector=agent-storage.io\/claim-namespace=agent-data,agent-storage.io\/claim-name=embeddings/);
            const patch = api.requests.find((q) => q.method === "PATCH")!;
            assert.strictEqual(patch.url, "/api/v1/persistentvolumes/pvc-new");
            assert.strictEqual(patch.contentType, "application/merge-patch+json");
            assert.deepStrictEqual(JSON.parse(patch.body), { spec: { claimRef: { uid: null, resourceVersion: null } } });
        } finally {
            api.close();
        }
    });

    it("sets a volume's reclaim policy and labels by a forced server-side apply it owns, keeps no kubeconfig in its state, and leaves the volume alone when deleted", async () => {
        const api = await fakeApi([]);
        try {
            const labels = { "agent-storage.io/claim-name": "embeddings" };
            const provider = volumeReclaimPolicyProvider();
            const r = await provider.create!({ kubeconfig: api.kubeconfig, volume: "pvc-1", policy: "Retain", labels });
            assert.strictEqual(r.id, "pvc-1");
            assert.deepStrictEqual(r.outs, { volume: "pvc-1", policy: "Retain", labels, fieldManager: reclaimFieldManager });
            const patch = api.requests.find((q) => q.method === "PATCH")!;
            // An apply owns the fields even when they already hold these values, so a former
            // manager giving up its own (PersistentVolumePatch on upgrade) cannot remove them.
            assert.strictEqual(patch.url, `/api/v1/persistentvolumes/pvc-1?fieldManager=${reclaimFieldManager}&force=true`);
            assert.strictEqual(patch.contentType, "application/apply-patch+yaml");
            assert.deepStrictEqual(JSON.parse(patch.body), {
                apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pvc-1", labels }, spec: { persistentVolumeReclaimPolicy: "Retain" },
            });
            const flip = await provider.diff!("pvc-1", r.outs, { kubeconfig: "other", volume: "pvc-1", policy: "Delete", labels });
            assert.deepStrictEqual([flip.changes, flip.replaces], [true, []], "a policy flip patches in place");
            const same = await provider.diff!("pvc-1", r.outs, { kubeconfig: "other", volume: "pvc-1", policy: "Retain", labels });
            assert.strictEqual(same.changes, false, "a new kubeconfig alone changes nothing");
            const mergePatched = { volume: "pvc-1", policy: "Retain", labels };
            const heal = await provider.diff!("pvc-1", mergePatched, { kubeconfig: "other", volume: "pvc-1", policy: "Retain", labels });
            assert.deepStrictEqual([heal.changes, heal.replaces], [true, []], "set before by a merge patch: applied once more, in place");
            assert.strictEqual(provider.delete, undefined, "no delete: the volume keeps the policy that protects it");
        } finally {
            api.close();
        }
    });

    it("in a preview only says which volume an up would hand back, and changes nothing", async () => {
        const api = await fakeApi([released("pvc-new", "2026-11-20T00:00:00Z")]);
        try {
            const r = await keptVolumeHandBackProvider().read!("agent-data/embeddings",
                { kubeconfig: api.kubeconfig, namespace: "agent-data", claim: "embeddings", apply: false });
            assert.strictEqual(r.props.volume, "pvc-new");
            assert.deepStrictEqual(api.requests.map((q) => q.method), ["GET"]);
        } finally {
            api.close();
        }
    });

    it("patches every provisioned data volume to Retain by default, labelled with its claim", async () => {
        const { cluster, outputs } = await buildOnce({});
        const patches = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:VolumeReclaimPolicy");
        assert.deepStrictEqual(patches.map((p) => p.inputs.volume).sort(), ["pvc-checkpoints-0001", "pvc-embeddings-0001"]);
        for (const p of patches) {
            assert.strictEqual(p.inputs.policy, "Retain");
            assert.strictEqual(p.inputs.labels["agent-storage.io/claim-namespace"], "agent-data");
            assert.strictEqual(p.inputs.labels["agent-storage.io/claim-name"], p.inputs.labels["agent-storage.io/role"]);
        }
        for (const v of await valueOf(outputs.boundVolumes)) assert.strictEqual(v.reclaimPolicy, "Retain", `${v.claim} is reported as kept`);
    });

    it("sets the class's own policy back when deleteDataOnDestroy is set, and hands nothing back", async () => {
        const { cluster, outputs } = await buildOnce({ deleteDataOnDestroy: true });
        const classPolicy = cluster.one("kubernetes:storage.k8s.io/v1:StorageClass", (c) => c.inputs.metadata.name === "shared").inputs.reclaimPolicy;
        const patches = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:VolumeReclaimPolicy");
        assert.strictEqual(patches.length, 2);
        for (const p of patches) assert.strictEqual(p.inputs.policy, classPolicy);
        for (const v of await valueOf(outputs.boundVolumes)) assert.strictEqual(v.reclaimPolicy, classPolicy);
        assert.deepStrictEqual(cluster.ofType("pulumi-nodejs:dynamic/agent-storage:KeptVolumeHandBack"), []);
    });

    it("reads a class it does not own for its policy: Delete stays Delete when data is to be deleted", async () => {
        const cluster = new MockCluster();
        cluster.reclaimPolicy = "Delete";
        await buildWithMocks({ target: "existing", kubeconfig: path.join(fixturesDir, "kubeconfig"), storageClass: "standard", deleteDataOnDestroy: true },
            testContext, cluster);
        const onStandard = cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })
            .filter((c) => c.inputs.spec.storageClassName === "standard").map((c) => c.inputs.metadata.name);
        assert.ok(onStandard.length > 0, "a claim on the class the program does not own");
        for (const claim of onStandard) {
            const p = cluster.one("pulumi-nodejs:dynamic/agent-storage:VolumeReclaimPolicy", (x) => x.inputs.labels["agent-storage.io/claim-name"] === claim);
            assert.strictEqual(p.inputs.policy, "Delete", claim);
        }
    });

    it("leaves the static host-path volume to its own resource (Retain, labelled with its claim) and patches only the checkpoints' volume", async () => {
        const { cluster } = await buildOnce({ embeddingsVolume: "static-hostpath" });
        const patches = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:VolumeReclaimPolicy");
        assert.deepStrictEqual(patches.map((p) => p.inputs.labels["agent-storage.io/role"]), ["checkpoints"]);
        const staticVolume = cluster.one("kubernetes:core/v1:PersistentVolume");
        assert.strictEqual(staticVolume.inputs.spec.persistentVolumeReclaimPolicy, "Retain");
        assert.strictEqual(staticVolume.inputs.metadata.labels["agent-storage.io/claim-name"], "embeddings");
    });

    it("runs the hand-back of each claim before the claim is created, with the cluster's kubeconfig", async () => {
        const { cluster } = await buildOnce({});
        const handBacks = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:KeptVolumeHandBack", { read: true });
        assert.deepStrictEqual(handBacks.map((h) => h.id).sort(), ["agent-data/checkpoints", "agent-data/embeddings"]);
        for (const claim of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
            const own = handBacks.find((h) => h.id === `agent-data/${claim.inputs.metadata.name}`)!;
            assert.match(own.inputs.kubeconfig, /# kind agent-storage/);
            assert.ok(claim.dependsOn.includes(own.name), `claim ${claim.inputs.metadata.name} depends on ${own.name}: ${claim.dependsOn.join(", ")}`);
        }
    });
});
