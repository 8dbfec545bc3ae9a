import * as assert from "assert";
import * as path from "path";
import { buildOnce, fixturesDir } from "./harness";

const dataResources = (c: Awaited<ReturnType<typeof buildOnce>>["cluster"]) => c.resources.filter((r) => !r.read && (
    r.type === "kubernetes:core/v1:PersistentVolumeClaim" || (r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "agent-data") ||
    r.type === "kubernetes:core/v1:PersistentVolume" || r.type === "aws:efs/fileSystem:FileSystem"));

const existing = { target: "existing", kubeconfig: path.join(fixturesDir, "kubeconfig"), storageClass: "standard" };
const isKubernetesObject = (type: string) => type.startsWith("kubernetes:");

describe("destroy safety", () => {
    it("keeps the claims, their namespace and a static volume on destroy by default", async () => {
        const { cluster } = await buildOnce({ embeddingsVolume: "static-hostpath" });
        const kept = dataResources(cluster);
        assert.deepStrictEqual(kept.map((r) => r.type).sort(), [
            "kubernetes:core/v1:Namespace", "kubernetes:core/v1:PersistentVolume",
            "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:PersistentVolumeClaim"]);
        for (const r of kept) assert.strictEqual(r.retainOnDelete, true, `${r.type} ${r.name}`);
        for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
            assert.strictEqual(c.inputs.metadata.annotations["agent-storage.io/delete-on-destroy"], "false");
        }
    });

    it("keeps the EFS file system and reclaims EBS and EFS volumes with Retain by default", async () => {
        const { cluster } = await buildOnce({ target: "eks", awsRegion: "us-east-1" });
        assert.strictEqual(cluster.one("aws:efs/fileSystem:FileSystem").retainOnDelete, true);
        for (const c of cluster.ofType("kubernetes:storage.k8s.io/v1:StorageClass", { read: false })) assert.strictEqual(c.inputs.reclaimPolicy, "Retain");
    });

    it("really deletes claims, namespace and file system when deleteDataOnDestroy is set, and marks the claims so", async () => {
        const { cluster } = await buildOnce({ target: "eks", awsRegion: "us-east-1", deleteDataOnDestroy: true });
        for (const r of dataResources(cluster)) assert.notStrictEqual(r.retainOnDelete, true, `${r.type} ${r.name}`);
        for (const c of cluster.ofType("kubernetes:storage.k8s.io/v1:StorageClass", { read: false })) assert.strictEqual(c.inputs.reclaimPolicy, "Delete");
        for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
            assert.strictEqual(c.inputs.metadata.annotations["agent-storage.io/delete-on-destroy"], "true");
        }
    });

    it("tells the kind provider to keep the host data folder unless data is to be deleted", async () => {
        const kindCluster = "pulumi-nodejs:dynamic/agent-storage:KindCluster";
        const kept = (await buildOnce({})).cluster.one(kindCluster);
        const deleted = (await buildOnce({ deleteDataOnDestroy: true })).cluster.one(kindCluster);
        assert.strictEqual(kept.inputs.deleteDataOnDestroy, false);
        assert.strictEqual(deleted.inputs.deleteDataOnDestroy, true);
    });

    it("never forces replacement of a claim through Pulumi options (a size change is an in-place update)", async () => {
        const { cluster } = await buildOnce({});
        for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
            assert.notStrictEqual(c.deleteBeforeReplace, true);
            assert.strictEqual(c.inputs.metadata.name, c.inputs.metadata.labels["agent-storage.io/role"], "stable, explicit names");
        }
    });

    it("lets a claim that is already Bound (adopted after destroy, or expanded) finish its update: it waits for Bound on classes that bind at once, else for any phase, never for Pending", async () => {
        const wanted: Record<string, string> = {
            shared: "jsonpath={.status.phase}=Bound", efs: "jsonpath={.status.phase}=Bound", "agent-static": "jsonpath={.status.phase}=Bound",
            gp3: "jsonpath={.status.phase}", standard: "jsonpath={.status.phase}",
        };
        const seen = new Set<string>();
        for (const raw of [{}, { target: "eks", awsRegion: "us-east-1" }, { embeddingsVolume: "static-hostpath" }]) {
            const { cluster } = await buildOnce(raw);
            for (const c of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
                const cls = c.inputs.spec.storageClassName as string;
                seen.add(cls);
                assert.ok(cls in wanted, `a class this test knows: ${cls}`);
                assert.strictEqual(c.inputs.metadata.annotations["pulumi.com/waitFor"], wanted[cls], `${JSON.stringify(raw)} ${c.name} on ${cls}`);
            }
        }
        assert.ok(seen.size >= 3, `classes seen: ${[...seen].join(", ")}`);
    });

    it("forces its applies on every object that outlives destroy, so a later up can change what it adopted", async () => {
        const { cluster } = await buildOnce({ embeddingsVolume: "static-hostpath" });
        const kept = dataResources(cluster);
        assert.strictEqual(kept.length, 4);
        for (const r of kept) assert.strictEqual(r.inputs.metadata.annotations?.["pulumi.com/patchForce"], "true", `${r.type} ${r.name}`);
    });

    it("replaces a StorageClass (immutable) by deleting it first, since its name is fixed", async () => {
        const { cluster } = await buildOnce({ target: "eks", awsRegion: "us-east-1" });
        for (const c of cluster.ofType("kubernetes:storage.k8s.io/v1:StorageClass")) assert.strictEqual(c.deleteBeforeReplace, true);
    });

    it("deletes each object on its own on a cluster it does not own, data kept or not (the namespace empties faster than it is swept)", async () => {
        for (const raw of [existing, { ...existing, deleteDataOnDestroy: true }, { target: "eks", awsRegion: "us-east-1", deleteDataOnDestroy: true }]) {
            const { cluster } = await buildOnce(raw);
            for (const r of cluster.resources) assert.strictEqual(r.deletedWith, undefined, `${JSON.stringify(raw)}: ${r.type} ${r.name}`);
        }
    });

    it("leaves everything inside a kind cluster to the cluster's deletion, whether the data is kept or not", async () => {
        for (const raw of [{}, { deleteDataOnDestroy: true }, { embeddingsVolume: "static-hostpath" }]) {
            const { cluster } = await buildOnce(raw);
            const kind = cluster.one("pulumi-nodejs:dynamic/agent-storage:KindCluster");
            const inside = cluster.resources.filter((r) => !r.read && isKubernetesObject(r.type));
            assert.ok(inside.length > 10, `${inside.length} objects in the cluster`);
            for (const r of inside) assert.strictEqual(r.deletedWith, kind.name, `${JSON.stringify(raw)}: ${r.type} ${r.name}`);
        }
    });
});
