import * as assert from "assert";
import { IdentityFact, changedFacts, dataIdentityGuardProvider, replacementRefusal } from "../components/storage";
import { dataIdentity } from "../stacks/dataIdentity";
import { buildOnce, testContext } from "./harness";
import { resolveSettings } from "../stacks";

const facts = (raw: Parameters<typeof resolveSettings>[0]) => dataIdentity(resolveSettings(raw, testContext));
const byKey = (list: IdentityFact[], key: string) => list.find((f) => f.key === key);

describe("data identity guard (no silent replacement of the data)", () => {
    it("names every fact by the config key that sets it, with where the data is", () => {
        const kind = facts({});
        assert.strictEqual(byKey(kind, "agent-storage:namespace")!.value, "agent-data");
        assert.match(byKey(kind, "agent-storage:namespace")!.holds, /namespace agent-data \(claim agent-data\/embeddings, claim agent-data\/checkpoints\)/);
        assert.strictEqual(byKey(kind, "agent-storage:embeddingsAccessMode")!.value, "ReadWriteMany");
        assert.strictEqual(byKey(kind, "agent-storage:kindDataDir")!.value, "/project/.kind-data/agent-storage");
        assert.strictEqual(byKey(kind, "the kind target's class (embeddings)")!.value, "shared");
        const existing = facts({ target: "existing", kubeconfig: "test/fixtures/kubeconfig", storageClass: "fast" });
        assert.strictEqual(byKey(existing, "agent-storage:storageClass (checkpoints)")!.value, "fast");
        assert.strictEqual(byKey(existing, "agent-storage:kindDataDir"), undefined);
    });

    it("finds the facts that changed, ignoring facts the deployed identity did not have", () => {
        const before = facts({});
        assert.deepStrictEqual(changedFacts(before, facts({})), []);
        const renamed = changedFacts(before, facts({ namespace: "agent-new" }));
        assert.deepStrictEqual(renamed.map((c) => c.after.key), ["agent-storage:namespace"]);
        const moved = changedFacts(before, facts({ embeddingsVolume: "static-hostpath" }));
        assert.ok(moved.some((c) => c.after.key === "agent-storage:embeddingsVolume"));
        assert.deepStrictEqual(changedFacts([], facts({})), [], "a stack deployed before the guard has nothing to compare");
    });

    it("refuses with the key, the old and new value, where the data is now and the ways forward", () => {
        const changes = changedFacts(facts({}), facts({ namespace: "agent-new" }));
        const text = replacementRefusal(changes, "agent-storage:confirmDataMove");
        assert.match(text, /agent-storage:namespace: "agent-data" -> "agent-new"/);
        assert.match(text, /it is now in namespace agent-data/);
        assert.match(text, /nothing was changed/);
        assert.match(text, /pulumi config set agent-storage:confirmDataMove true/);
    });

    it("fails the diff (which preview runs too) on a change, lets it through when confirmed, and updates on new facts", async () => {
        const provider = dataIdentityGuardProvider();
        const olds = { facts: facts({}) };
        await assert.rejects(provider.diff!("data-identity", olds, { facts: facts({ namespace: "x" }), confirmed: false, confirmKey: "k" }),
            /agent-storage:namespace: "agent-data" -> "x"/);
        assert.deepStrictEqual(await provider.diff!("data-identity", olds, { facts: facts({ namespace: "x" }), confirmed: true, confirmKey: "k" }), { changes: true });
        assert.deepStrictEqual(await provider.diff!("data-identity", olds, { facts: facts({}), confirmed: false, confirmKey: "k" }), { changes: false });
    });

    it("is what everything holding data waits for: the kind cluster, the namespace, the claims", async () => {
        const { cluster } = await buildOnce({});
        const guard = cluster.one("pulumi-nodejs:dynamic/agent-storage:DataIdentityGuard");
        for (const type of ["pulumi-nodejs:dynamic/agent-storage:KindCluster", "kubernetes:core/v1:Namespace"]) {
            for (const r of cluster.ofType(type, { read: false }).filter((x) => x.name !== "shared-storage")) assert.ok(r.dependsOn.includes(guard.name), `${r.type} ${r.name}`);
        }
        for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) assert.ok(c.dependsOn.includes(guard.name), c.name);
    });
});
