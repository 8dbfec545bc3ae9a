import * as assert from "assert";
import { IdentityFact, capabilitiesOf, changedFacts, dataIdentityGuardProvider, replacementRefusal, sizeChangeProblems } from "../components/storage";
import { claimSizes, dataIdentity } from "../stacks/dataIdentity";
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
        const sizes = claimSizes(resolveSettings({}, testContext));
        const olds = { facts: facts({}), sizes };
        await assert.rejects(provider.diff!("data-identity", olds, { facts: facts({ namespace: "x" }), sizes, confirmed: false, confirmKey: "k" }),
            /agent-storage:namespace: "agent-data" -> "x"/);
        assert.deepStrictEqual(await provider.diff!("data-identity", olds, { facts: facts({ namespace: "x" }), sizes, confirmed: true, confirmKey: "k" }), { changes: true });
        assert.deepStrictEqual(await provider.diff!("data-identity", olds, { facts: facts({}), sizes, confirmed: false, confirmKey: "k" }), { changes: false });
        assert.deepStrictEqual(await provider.diff!("data-identity", { facts: facts({}) }, { facts: facts({}), sizes, confirmed: false, confirmKey: "k" }),
            { changes: true }, "a stack deployed before sizes were kept stores them, refusing nothing");
    });

    it("is what everything holding data waits for: the kind cluster, the namespace, the claims", async () => {
        const { cluster } = await buildOnce({});
        const guard = cluster.one("pulumi-nodejs:dynamic/agent-storage:DataIdentityGuard");
        for (const type of ["pulumi-nodejs:dynamic/agent-storage:KindCluster", "kubernetes:core/v1:Namespace"]) {
            for (const r of cluster.ofType(type, { read: false }).filter((x) => x.name !== "shared-storage")) assert.ok(r.dependsOn.includes(guard.name), `${r.type} ${r.name}`);
        }
        for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) assert.ok(c.dependsOn.includes(guard.name), c.name);
    });

    describe("size changes", () => {
        const sizes = (raw: Parameters<typeof resolveSettings>[0]) => claimSizes(resolveSettings(raw, testContext));
        const existing = { target: "existing" as const, kubeconfig: "test/fixtures/kubeconfig" };

        it("refuses a shrink on every class, naming the key, both sizes and the fix", () => {
            const problems = sizeChangeProblems(sizes({ target: "eks", awsRegion: "us-east-1" }), sizes({ target: "eks", awsRegion: "us-east-1", checkpointsSize: "512Mi" }));
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /agent-storage:checkpointsSize: "1Gi" -> "512Mi": a claim cannot shrink; fix: set it back to 1Gi or more/);
        });

        it("lets a claim grow on a class that expands (EBS gp3, kind's shared folder), and refuses growth on a class that cannot (local-path)", () => {
            assert.deepStrictEqual(sizeChangeProblems(sizes({ target: "eks", awsRegion: "us-east-1" }), sizes({ target: "eks", awsRegion: "us-east-1", checkpointsSize: "20Gi" })), []);
            assert.deepStrictEqual(sizeChangeProblems(sizes({}), sizes({ embeddingsSize: "5Gi" })), []);
            const local = sizeChangeProblems(sizes(existing), sizes({ ...existing, embeddingsSize: "3Gi" }));
            assert.match(local.join("\n"), /agent-storage:embeddingsSize: "2Gi" -> "3Gi": volumes of class "standard" cannot grow/);
        });

        it("says EFS ignores the size, and leaves a class it does not know to the API server", () => {
            const efs = sizeChangeProblems(sizes({ target: "eks", awsRegion: "us-east-1" }), sizes({ target: "eks", awsRegion: "us-east-1", embeddingsSize: "50Gi" }));
            assert.match(efs.join("\n"), /class "efs" ignores the size \(the file system grows by itself\)/);
            const unknown = { ...existing, storageClass: "fast", storageProvisioner: "example.com/fast" };
            assert.deepStrictEqual(sizeChangeProblems(sizes(unknown), sizes({ ...unknown, embeddingsSize: "9Gi" })), []);
        });

        it("fails the guard's diff, so preview stops before the claim is touched", async () => {
            const provider = dataIdentityGuardProvider();
            await assert.rejects(provider.diff!("data-identity", { facts: facts({}), sizes: sizes({}) },
                { facts: facts({ embeddingsSize: "1Gi" }), sizes: sizes({ embeddingsSize: "1Gi" }), confirmed: true, confirmKey: "k" }),
            /refusing a size change the volumes cannot make \(nothing was changed\):\n {2}- agent-storage:embeddingsSize: "2Gi" -> "1Gi": a claim cannot shrink/);
        });

        it("matches the classes the program creates: they allow expansion exactly when the table says the volumes expand", async () => {
            for (const raw of [{}, { target: "eks" as const, awsRegion: "us-east-1" }]) {
                const { cluster } = await buildOnce(raw);
                for (const c of cluster.ofType("kubernetes:storage.k8s.io/v1:StorageClass", { read: false })) {
                    const resize = capabilitiesOf(c.inputs.provisioner)?.resize;
                    assert.strictEqual(c.inputs.allowVolumeExpansion === true, resize === "expands", `${c.inputs.metadata.name} (${c.inputs.provisioner}): ${resize}`);
                }
            }
        });
    });
});
