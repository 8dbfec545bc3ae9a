import * as assert from "assert";
import { ClaimSizeView, claimSizeProvider, claimSizeState } from "../components/storage";
import { buildOnce, startFakeApi } from "./harness";

const gi = 2 ** 30;
type Conditions = NonNullable<ClaimSizeView["status"]>["conditions"];
const claim = (phase: string, capacity?: string, conditions?: Conditions): ClaimSizeView =>
    ({ status: { phase, capacity: capacity === undefined ? undefined : { storage: capacity }, conditions } });

/** A fake API server that answers each GET of the claim with the next of `answers` (the last one repeats). */
async function fakeApi(answers: ClaimSizeView[]) {
    const paths: string[] = [];
    const api = await startFakeApi((req, res) => {
        paths.push(`${req.method} ${req.url}`);
        res.writeHead(200).end(JSON.stringify(answers[Math.min(paths.length - 1, answers.length - 1)]));
    });
    return { ...api, paths };
}

/** A fake API server that answers GETs of the given paths with their objects, and 404 otherwise. */
async function fakeRoutes(routes: Record<string, unknown>) {
    const paths: string[] = [];
    const api = await startFakeApi((req, res) => {
        paths.push(`${req.method} ${req.url}`);
        const found = routes[req.url ?? ""];
        if (found === undefined) res.writeHead(404).end(JSON.stringify({ kind: "Status", reason: "NotFound" }));
        else res.writeHead(200).end(JSON.stringify(found));
    });
    return { ...api, paths };
}

const inputs = (kubeconfig: string, size: string, timeoutSeconds = 30) =>
    ({ kubeconfig, namespace: "agent-data", claim: "embeddings", size, key: "agent-storage:embeddingsSize", timeoutSeconds });

describe("claim size (ClaimSize: up waits until a grown claim has its new size)", () => {
    describe("claimSizeState", () => {
        it("is grown once a bound claim's capacity is at least the size asked for, whatever the unit", () => {
            assert.strictEqual(claimSizeState(claim("Bound", "3Gi"), 3 * gi).state, "grown");
            assert.strictEqual(claimSizeState(claim("Bound", "3221225472"), 3 * gi).state, "grown");
            assert.strictEqual(claimSizeState(claim("Bound", "4Gi"), 3 * gi).state, "grown", "EBS may round up");
        });

        it("is unbound while the claim has no volume: a new volume is made with the size asked for", () => {
            assert.deepStrictEqual(claimSizeState(claim("Pending"), 3 * gi), { state: "unbound", capacity: "", detail: "" });
        });

        it("is growing while the capacity is smaller, with what the claim's conditions say", () => {
            const seen = claimSizeState(claim("Bound", "2Gi", [{ type: "Resizing", message: "waiting for an external controller" }]), 3 * gi);
            assert.deepStrictEqual(seen, { state: "growing", capacity: "2Gi", detail: "Resizing: waiting for an external controller" });
            assert.strictEqual(claimSizeState(claim("Bound"), 3 * gi).state, "growing", "no capacity yet");
        });
    });

    describe("provider", () => {
        it("returns at once for a claim that has its size, reading the claim by its path", async () => {
            const api = await fakeApi([claim("Bound", "2Gi")]);
            try {
                const created = await claimSizeProvider().create(inputs(api.kubeconfig, "2Gi"));
                assert.deepStrictEqual(created, { id: "agent-data/embeddings", outs: { namespace: "agent-data", claim: "embeddings", size: "2Gi", capacity: "2Gi" } });
                assert.deepStrictEqual(api.paths, ["GET /api/v1/namespaces/agent-data/persistentvolumeclaims/embeddings"]);
            } finally {
                api.close();
            }
        });

        it("waits in an update until the resizer has grown the claim", async () => {
            const api = await fakeApi([claim("Bound", "2Gi"), claim("Bound", "2Gi"), claim("Bound", "3Gi")]);
            try {
                const updated = await claimSizeProvider().update!("agent-data/embeddings", {}, inputs(api.kubeconfig, "3Gi"));
                assert.strictEqual(updated.outs.capacity, "3Gi");
                assert.strictEqual(api.paths.length, 3);
            } finally {
                api.close();
            }
        });

        it("fails after the timeout naming the key, both sizes and where to look", async () => {
            const api = await fakeApi([claim("Bound", "2Gi", [{ type: "Resizing", reason: "", message: "waiting for an external controller" }])]);
            try {
                await assert.rejects(claimSizeProvider().update!("agent-data/embeddings", {}, inputs(api.kubeconfig, "3Gi", 1)), (e: Error) => {
                    assert.match(e.message, /^agent-storage:embeddingsSize: claim agent-data\/embeddings asks for 3Gi but still has 2Gi after 1 s \(Resizing: waiting for an external controller\)/);
                    assert.match(e.message, /kubectl describe pvc -n agent-data embeddings/);
                    return true;
                });
            } finally {
                api.close();
            }
        });

        it("refuses, in preview's diff, growth of a claim whose live class does not allow expansion, naming the key, the class and the fix", async () => {
            const api = await fakeRoutes({
                "/api/v1/namespaces/agent-data/persistentvolumeclaims/embeddings": { spec: { storageClassName: "fast" } },
                "/apis/storage.k8s.io/v1/storageclasses/fast": { metadata: { name: "fast" }, provisioner: "example.com/fast" },
            });
            try {
                const olds = { namespace: "agent-data", claim: "embeddings", size: "2Gi", capacity: "2Gi" };
                await assert.rejects(claimSizeProvider().diff!("id", olds, inputs(api.kubeconfig, "3Gi")),
                    /^Error: agent-storage:embeddingsSize: "2Gi" -> "3Gi": StorageClass "fast" of claim agent-data\/embeddings does not allow volume expansion .*fix: set it back to 2Gi/);
                // Not growing: nothing to ask the cluster (a shrink is the guard's to refuse).
                const before = api.paths.length;
                assert.strictEqual((await claimSizeProvider().diff!("id", olds, inputs(api.kubeconfig, "2Gi"))).changes, false);
                assert.strictEqual(api.paths.length, before);
            } finally {
                api.close();
            }
        });

        it("lets growth through when the live class allows expansion, or when the cluster cannot say", async () => {
            const api = await fakeRoutes({
                "/api/v1/namespaces/agent-data/persistentvolumeclaims/embeddings": { spec: { storageClassName: "fast" } },
                "/apis/storage.k8s.io/v1/storageclasses/fast": { metadata: { name: "fast" }, allowVolumeExpansion: true },
            });
            const olds = { namespace: "agent-data", claim: "embeddings", size: "2Gi", capacity: "2Gi" };
            try {
                assert.strictEqual((await claimSizeProvider().diff!("id", olds, inputs(api.kubeconfig, "3Gi"))).changes, true);
            } finally {
                api.close();
            }
            const gone = await fakeRoutes({});
            try {
                assert.strictEqual((await claimSizeProvider().diff!("id", olds, inputs(gone.kubeconfig, "3Gi"))).changes, true);
            } finally {
                gone.close();
            }
        });

        it("changes only when the size or the claim does, not when the kubeconfig does", async () => {
            const provider = claimSizeProvider();
            const olds = { namespace: "agent-data", claim: "embeddings", size: "2Gi", capacity: "2Gi" };
            assert.strictEqual((await provider.diff!("id", olds, inputs("other", "2Gi"))).changes, false);
            assert.strictEqual((await provider.diff!("id", olds, inputs("other", "3Gi"))).changes, true);
        });
    });

    it("watches both data claims, after each claim, with the key that sets its size", async () => {
        const { cluster } = await buildOnce({ embeddingsSize: "3Gi" });
        const sizes = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:ClaimSize");
        assert.deepStrictEqual(sizes.map((s) => [s.inputs.size, s.inputs.key]).sort(), [
            ["1Gi", "agent-storage:checkpointsSize"], ["3Gi", "agent-storage:embeddingsSize"],
        ]);
        const claims = cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false });
        for (const s of sizes) {
            const role = s.inputs.key === "agent-storage:embeddingsSize" ? "embeddings" : "checkpoints";
            const own = claims.find((c) => c.inputs.metadata.name === role)!;
            assert.ok(s.dependsOn.includes(own.name), `${s.name} waits for claim ${role}`);
            assert.strictEqual(s.inputs.claim, role);
        }
    });
});
