import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, defaults, resolveSettings } from "../stacks";
import { testContext } from "./harness";

type Raw = Parameters<typeof resolveSettings>[0];
const resolve = (raw: Raw) => resolveSettings(raw, testContext);

/** The settings of a kind stack, narrowed: the test fails if the config chose another target. */
function resolveKind(raw: Raw, ctx = testContext) {
    const s = resolveSettings(raw, ctx);
    assert.ok(s.target === "kind", `expected a kind stack, got ${s.target}`);
    return s;
}
function resolveEks(raw: Raw) {
    const s = resolve({ target: "eks", awsRegion: "eu-west-1", ...raw });
    assert.ok(s.target === "eks", `expected an EKS stack, got ${s.target}`);
    return s;
}
function resolveExisting(raw: Raw) {
    const s = resolve({ target: "existing", ...raw });
    assert.ok(s.target === "existing", `expected an existing stack, got ${s.target}`);
    return s;
}

function problemKeys(raw: Parameters<typeof resolveSettings>[0]): string[] {
    try {
        resolve(raw);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return (e as ConfigError).problems.map((p) => p.key);
    }
    return [];
}

describe("settings", () => {
    it("defaults to kind with five readers, RWX embeddings and RWOP checkpoints on the shared class, and data kept", () => {
        const s = resolveKind({});
        assert.strictEqual(s.inferenceReplicas, 5);
        assert.deepStrictEqual([s.embeddings.storageClass, s.embeddings.provisioner, s.embeddings.accessMode],
            ["shared", "agent-storage.dev/shared-path", "ReadWriteMany"]);
        assert.deepStrictEqual([s.checkpoints.storageClass, s.checkpoints.provisioner, s.checkpoints.accessMode],
            ["shared", "agent-storage.dev/shared-path", "ReadWriteOncePod"]);
        assert.ok(s.embeddings.classIsOurs && s.checkpoints.classIsOurs);
        assert.deepStrictEqual(s.kind.sharedStorage, { className: "shared", image: "docker.io/rancher/local-path-provisioner:v0.0.30" });
        assert.strictEqual(s.deleteDataOnDestroy, false);
        assert.strictEqual(s.image, "localhost/agent-storage/workload:0.1.0");
        assert.strictEqual(s.kind.dataDir, "/project/.kind-data/agent-storage");
    });

    describe("one target's settings at a time", () => {
        it("gives a kind stack its kind settings and no EKS or existing-cluster settings", () => {
            const s = resolveKind({ eksClusterName: "ignored", kubeconfig: "ignored" });
            assert.deepStrictEqual(Object.keys(s).filter((k) => ["kind", "eks", "existing"].includes(k)), ["kind"]);
            // @ts-expect-error a kind stack's settings have no eks field to read
            assert.strictEqual(s.eks, undefined);
        });

        it("gives an EKS stack its EKS settings and no kind or existing-cluster settings", () => {
            const s = resolveEks({ kindWorkers: 0 });
            assert.deepStrictEqual(Object.keys(s).filter((k) => ["kind", "eks", "existing"].includes(k)), ["eks"]);
            assert.strictEqual(s.eks.region, "eu-west-1");
            // @ts-expect-error an EKS stack's settings have no kind field to read
            assert.strictEqual(s.kind, undefined);
        });

        it("gives an existing-cluster stack its kubeconfig and context and nothing of kind or EKS", () => {
            const s = resolveExisting({ kubeconfig: "k", kubeContext: "ctx" });
            assert.deepStrictEqual(Object.keys(s).filter((k) => ["kind", "eks", "existing"].includes(k)), ["existing"]);
            assert.deepStrictEqual(s.existing, { kubeconfig: "/project/k", context: "ctx" });
            // @ts-expect-error an existing-cluster stack's settings have no eks field to read
            assert.strictEqual(s.eks, undefined);
        });

        it("decides the target from the config alone, the default being kind", () => {
            assert.deepStrictEqual(["kind", "eks", "existing", undefined].map((target) =>
                resolve({ target, awsRegion: "eu-west-1", kubeconfig: "k" }).target), ["kind", "eks", "existing", "kind"]);
        });
    });

    it("gives kind one control plane and two workers unless kindWorkers says otherwise", () => {
        assert.strictEqual(resolveKind({}).kind.workers, 2);
        assert.strictEqual(resolveKind({ kindWorkers: 0 }).kind.workers, 0);
        assert.deepStrictEqual(problemKeys({ kindWorkers: 11 }), ["agent-storage:kindWorkers"]);
    });

    it("puts shared embeddings on EFS with ReadWriteMany and checkpoints on gp3 with ReadWriteOncePod on EKS", () => {
        const s = resolveEks({});
        assert.deepStrictEqual([s.embeddings.storageClass, s.embeddings.provisioner, s.embeddings.accessMode], ["efs", "efs.csi.aws.com", "ReadWriteMany"]);
        assert.deepStrictEqual([s.checkpoints.storageClass, s.checkpoints.provisioner, s.checkpoints.accessMode], ["gp3", "ebs.csi.aws.com", "ReadWriteOncePod"]);
        assert.deepStrictEqual(s.eks.availabilityZones, ["eu-west-1a", "eu-west-1b"]);
        assert.ok(s.embeddings.classIsOurs && s.checkpoints.classIsOurs);
    });

    it("keeps an EKS cluster's endpoint private and its creator an admin unless the keys say otherwise", () => {
        const s = resolveEks({});
        assert.deepStrictEqual([s.eks.publicAccessCidrs, s.eks.creatorIsAdmin], [[], true]);
        const set = resolveEks({ eksPublicAccessCidrs: ["203.0.113.7/32"], eksClusterCreatorAdmin: false, eksAdminPrincipalArns: ["arn:aws:iam::111122223333:role/admin"] });
        assert.deepStrictEqual([set.eks.publicAccessCidrs, set.eks.creatorIsAdmin], [["203.0.113.7/32"], false]);
        assert.deepStrictEqual(problemKeys({ target: "eks", awsRegion: "eu-west-1", eksClusterCreatorAdmin: false }),
            ["agent-storage:eksClusterCreatorAdmin, agent-storage:eksAdminPrincipalArns"]);
        assert.deepStrictEqual(problemKeys({ target: "eks", awsRegion: "eu-west-1", eksPublicAccessCidrs: ["0.0.0.0/0"], eksVersion: "1.31" }),
            ["agent-storage:eksVersion", "agent-storage:eksPublicAccessCidrs"]);
    });

    it("prefers the node image built here when the local Docker holds it, and kind's own image otherwise", () => {
        const asked: string[] = [];
        const withLocal = resolveKind({}, { ...testContext, hasLocalImage: (ref) => { asked.push(ref); return true; } });
        assert.strictEqual(withLocal.kind.nodeImage, defaults.localKindNodeImage);
        assert.deepStrictEqual(asked, [defaults.localKindNodeImage]);
        assert.strictEqual(resolveKind({}, { ...testContext, hasLocalImage: () => false }).kind.nodeImage, defaults.kindNodeImage);
        assert.strictEqual(resolveKind({}).kind.nodeImage, defaults.kindNodeImage);
        assert.strictEqual(resolveKind({ kindNodeImage: "mine:1" }, { ...testContext, hasLocalImage: () => true }).kind.nodeImage, "mine:1");
    });

    it("pins kind's own node image by its sha256 digest, not by a tag alone", () => {
        assert.match(defaults.kindNodeImage, /^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    });

    it("names the node image exactly as cluster/versions.sh does (KIND_NODE_IMAGE, from K8S_VERSION)", () => {
        const versions = fs.readFileSync(path.join(__dirname, "..", "cluster", "versions.sh"), "utf8");
        const k8s = /^K8S_VERSION="([^"]+)"/m.exec(versions)![1];
        const image = /^KIND_NODE_IMAGE="([^"]+)"/m.exec(versions)![1].replace("$K8S_VERSION", k8s);
        assert.strictEqual(defaults.localKindNodeImage, image);
    });

    it("uses the static class for the lesson's host-path volume", () => {
        const s = resolve({ embeddingsVolume: "static-hostpath" });
        assert.strictEqual(s.embeddings.storageClass, "agent-static");
        assert.strictEqual(s.embeddings.provisioner, "kubernetes.io/no-provisioner");
        assert.strictEqual(s.checkpoints.storageClass, "shared");
    });

    it("resolves the existing target's kubeconfig against the project and home folders", () => {
        assert.strictEqual(resolveExisting({ kubeconfig: ".local-cluster/kubeconfig" }).existing.kubeconfig, "/project/.local-cluster/kubeconfig");
        assert.strictEqual(resolveExisting({ kubeconfig: "~/.kube/config" }).existing.kubeconfig, "/home/user/.kube/config");
    });

    it("refuses ReadOnlyMany and ReadWriteMany checkpoints on every target: they are the generator's alone", () => {
        assert.deepStrictEqual(problemKeys({ checkpointsAccessMode: "ReadOnlyMany" }), ["agent-storage:checkpointsAccessMode"]);
        assert.deepStrictEqual(problemKeys({ checkpointsAccessMode: "ReadWriteMany" }), ["agent-storage:checkpointsAccessMode"]);
        assert.deepStrictEqual(problemKeys({ target: "existing", kubeconfig: "k", checkpointsAccessMode: "ReadWriteMany" }), ["agent-storage:checkpointsAccessMode"]);
        assert.deepStrictEqual(problemKeys({ checkpointsAccessMode: "ReadWriteOnce" }), []);
    });

    it("refuses ReadWriteMany on an existing cluster whose provisioner is EBS", () => {
        assert.deepStrictEqual(problemKeys({
            target: "existing", kubeconfig: "k", storageClass: "gp3", storageProvisioner: "ebs.csi.aws.com", checkpointsAccessMode: "ReadWriteMany",
        }), ["agent-storage:checkpointsAccessMode"]);
    });

    it("refuses an image or kind node image that is not a reference", () => {
        assert.deepStrictEqual(problemKeys({ image: "" }), ["agent-storage:image"]);
        assert.deepStrictEqual(problemKeys({ image: "ghcr.io/Org/app:1", kindNodeImage: "kindest/node:" }).sort(),
            ["agent-storage:image", "agent-storage:kindNodeImage"]);
    });

    it("checks the kind data folder as resolved against the project and home folders", () => {
        assert.deepStrictEqual(problemKeys({ kindDataDir: "~" }), ["agent-storage:kindDataDir"]);
        assert.deepStrictEqual(problemKeys({ kindDataDir: ".." }), ["agent-storage:kindDataDir"]);
        assert.deepStrictEqual(problemKeys({ kindDataDir: "/" }), ["agent-storage:kindDataDir"]);
        assert.strictEqual(resolveKind({ kindDataDir: "~/kind" }).kind.dataDir, "/home/user/kind");
        assert.deepStrictEqual(problemKeys({ embeddingsVolume: "static-hostpath", embeddingsHostPath: "/var/lib/kubelet" }), ["agent-storage:embeddingsHostPath"]);
    });

    it("refuses a grace period of nothing, and more readers than the program is made for", () => {
        assert.deepStrictEqual(problemKeys({ refreshGracePeriod: "0s", inferenceReplicas: 1000 }).sort(),
            ["agent-storage:inferenceReplicas", "agent-storage:refreshGracePeriod"]);
    });

    it("serves the query API on port 8080 unless queryPort says another port or 0 (off)", () => {
        assert.strictEqual(resolveKind({}).queryPort, 8080);
        assert.strictEqual(resolveKind({ queryPort: 9090 }).queryPort, 9090);
        assert.strictEqual(resolveKind({ queryPort: 0 }).queryPort, 0);
        assert.deepStrictEqual(problemKeys({ queryPort: 80 }), ["agent-storage:queryPort"]);
    });

    it("reports every problem at once", () => {
        const keys = problemKeys({ inferenceReplicas: 0, embeddingsSize: "lots", namespace: "Bad Name" });
        assert.deepStrictEqual(keys.sort(), ["agent-storage:embeddingsSize", "agent-storage:inferenceReplicas", "agent-storage:namespace"]);
    });

    it("refuses an EKS stack without a region and with two default classes", () => {
        assert.deepStrictEqual(problemKeys({ target: "eks", eksEfsDefault: true }).sort(),
            ["agent-storage:eksGp3Default, agent-storage:eksEfsDefault", "aws:region"]);
    });

    it("spreads readers over kind's two workers by default", () => {
        const s = resolve({});
        assert.strictEqual(s.workloadNodes, 2);
        assert.strictEqual(s.readerPlacement.readers, "spread");
    });

    it("runs everything on one node when kind has no workers", () => {
        const s = resolve({ kindWorkers: 0 });
        assert.strictEqual(s.workloadNodes, 1);
        assert.strictEqual(s.readerPlacement.readers, "one-node");
    });

    it("co-locates readers with the writer when the embeddings are ReadWriteOnce on several nodes", () => {
        assert.strictEqual(resolve({ embeddingsAccessMode: "ReadWriteOnce" }).readerPlacement.readers, "with-writer");
        assert.strictEqual(resolve({ target: "existing", kubeconfig: "k" }).readerPlacement.readers, "with-writer",
            "local-path on a cluster of unknown size");
        assert.strictEqual(resolve({ target: "existing", kubeconfig: "k", existingNodeCount: 1 }).readerPlacement.readers, "one-node");
        assert.strictEqual(resolve({ target: "existing", kubeconfig: "k", existingNodeCount: 0 }).workloadNodes, undefined, "0 means not known");
        assert.strictEqual(resolve({ target: "existing", kubeconfig: "k", existingNodeCount: 3 }).workloadNodes, 3);
    });

    it("co-locates readers with the writer on the node of the static volume", () => {
        const s = resolve({ embeddingsVolume: "static-hostpath" });
        assert.strictEqual(s.embeddingsHostPathNode, "agent-storage-worker");
        assert.strictEqual(s.readerPlacement.readers, "with-writer");
    });

    it("refuses an EKS node group whose size is raised above the default maximum, naming both keys", () => {
        assert.deepStrictEqual(problemKeys({ target: "eks", awsRegion: "eu-west-1", eksNodeCount: 6, eksNodeMaxCount: 4 }),
            ["agent-storage:eksNodeMaxCount, agent-storage:eksNodeCount"]);
        assert.strictEqual(resolveEks({ eksNodeCount: 6 }).eks.nodeMaxCount, 6);
    });

    it("checks EKS zones against the region, and refuses the new VPC's keys next to an existing VPC", () => {
        assert.deepStrictEqual(problemKeys({ target: "eks", awsRegion: "eu-west-1", eksAvailabilityZones: ["us-east-1a", "us-east-1b"] }),
            ["agent-storage:eksAvailabilityZones"]);
        assert.deepStrictEqual(problemKeys({
            target: "eks", awsRegion: "eu-west-1", eksVpcId: "vpc-1", eksPrivateSubnetIds: ["s1", "s2"], eksVpcCidr: defaults.eks.vpcCidr,
        }), [], "the default network is not something the user set");
        assert.deepStrictEqual(problemKeys({
            target: "eks", awsRegion: "eu-west-1", eksVpcId: "vpc-1", eksPrivateSubnetIds: ["s1", "s2"], eksVpcCidr: "10.9.0.0/16",
        }), ["agent-storage:eksVpcCidr, agent-storage:eksVpcId"]);
    });

    it("spreads readers on EKS up to the node group's maximum", () => {
        const s = resolve({ target: "eks", awsRegion: "eu-west-1" });
        assert.strictEqual(s.workloadNodes, 4);
        assert.strictEqual(s.readerPlacement.readers, "spread");
    });

    it("refuses embeddings that readers cannot share or the writer may not write, naming embeddingsAccessMode", () => {
        assert.deepStrictEqual(problemKeys({ embeddingsAccessMode: "ReadWriteOncePod" }), ["agent-storage:embeddingsAccessMode"]);
        assert.deepStrictEqual(problemKeys({ embeddingsAccessMode: "ReadOnlyMany" }), ["agent-storage:embeddingsAccessMode"]);
        assert.deepStrictEqual(problemKeys({ target: "eks", awsRegion: "eu-west-1", embeddingsAccessMode: "ReadOnlyMany" }), ["agent-storage:embeddingsAccessMode"],
            "one problem, not two, when the class cannot serve the mode either");
    });

    it("refuses a static host-path volume on an existing cluster that is not said to have one node", () => {
        assert.deepStrictEqual(problemKeys({ target: "existing", kubeconfig: "k", embeddingsVolume: "static-hostpath" }),
            ["agent-storage:embeddingsVolume, agent-storage:existingNodeCount"]);
        assert.deepStrictEqual(problemKeys({ target: "existing", kubeconfig: "k", embeddingsVolume: "static-hostpath", existingNodeCount: 1 }), []);
    });

    it("refuses an unknown target without looking at anything else but unknown keys", () => {
        assert.deepStrictEqual(problemKeys({ target: "minikube", inferenceReplicas: -1 }), ["agent-storage:target"]);
        const keys = (() => {
            try {
                resolveSettings({ target: "minikube" }, { ...testContext, configuredKeys: ["agent-storage:target", "agent-storage:tagret"] });
            } catch (e) {
                return (e as ConfigError).problems.map((p) => p.key);
            }
            return [];
        })();
        assert.deepStrictEqual(keys, ["agent-storage:tagret", "agent-storage:target"]);
    });

    it("refuses keys the program does not read only when it is told which keys are set", () => {
        const withKeys = (configuredKeys: string[]) => () => resolveSettings({}, { ...testContext, configuredKeys });
        assert.throws(withKeys(["agent-storage:target", "agent-storage:inferenceReplica"]), /agent-storage:inferenceReplica: .*did you mean agent-storage:inferenceReplicas\?/);
        assert.doesNotThrow(withKeys(["agent-storage:target", "aws:profile"]));
        assert.doesNotThrow(() => resolve({}));
    });
});
