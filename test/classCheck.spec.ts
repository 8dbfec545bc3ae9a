import * as assert from "assert";
import * as path from "path";
import { ClassView, classCheckProvider, classProblem } from "../components/storage";
import { MockCluster, buildOnce, buildWithMocks, fixturesDir, startFakeApi, testContext } from "./harness";

const keys = { classKey: "agent-storage:storageClass", provisionerKey: "agent-storage:storageProvisioner" };
const cls = (name: string, provisioner: string): ClassView => ({ metadata: { name }, provisioner });

/** A fake API server that lists the given classes. */
function fakeApi(classes: ClassView[]) {
    return startFakeApi((req, res) => {
        if (req.url === "/apis/storage.k8s.io/v1/storageclasses") res.writeHead(200).end(JSON.stringify({ items: classes }));
        else res.writeHead(404).end("{}");
    });
}

describe("storage class check (a class the program does not own, on the live cluster)", () => {
    it("passes a class the cluster has with the configured provisioner", () => {
        assert.strictEqual(classProblem([cls("standard", "rancher.io/local-path")], { name: "standard", provisioner: "rancher.io/local-path", ...keys }), undefined);
    });

    it("names the key, the classes the cluster has and the fix when the class is missing", () => {
        const problem = classProblem([cls("standard", "rancher.io/local-path"), cls("fast", "ebs.csi.aws.com")], { name: "stnadard", provisioner: "rancher.io/local-path", ...keys });
        assert.match(problem!, /^agent-storage:storageClass: the cluster has no StorageClass "stnadard" \(it has: standard \(rancher.io\/local-path\), fast \(ebs.csi.aws.com\)\)/);
        assert.match(problem!, /would stay Pending/);
        assert.match(problem!, /fix: pulumi config set agent-storage:storageClass <one of them>/);
    });

    it("names the provisioner key and the real provisioner when they differ", () => {
        const problem = classProblem([cls("standard", "ebs.csi.aws.com")], { name: "standard", provisioner: "rancher.io/local-path", ...keys });
        assert.match(problem!, /^agent-storage:storageProvisioner: StorageClass "standard" is provisioned by "ebs.csi.aws.com", not "rancher.io\/local-path"/);
        assert.match(problem!, /fix: pulumi config set agent-storage:storageProvisioner ebs.csi.aws.com/);
    });

    it("fails the read (which preview runs) with that message, and passes when the class is there", async () => {
        const api = await fakeApi([cls("standard", "rancher.io/local-path")]);
        try {
            const provider = classCheckProvider();
            await assert.rejects(provider.read!("missing", { kubeconfig: api.kubeconfig, name: "missing", provisioner: "rancher.io/local-path", ...keys }),
                /agent-storage:storageClass: the cluster has no StorageClass "missing"/);
            const ok = await provider.read!("standard", { kubeconfig: api.kubeconfig, name: "standard", provisioner: "rancher.io/local-path", ...keys });
            assert.deepStrictEqual(ok.props, { name: "standard", provisioner: "rancher.io/local-path" });
        } finally {
            api.close();
        }
    });

    it("checks each class of the existing target once, before the claims on it", async () => {
        const cluster = new MockCluster();
        await buildWithMocks({ target: "existing", kubeconfig: path.join(fixturesDir, "kubeconfig"), storageClass: "standard" }, testContext, cluster);
        const checks = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:ClassCheck", { read: true });
        assert.deepStrictEqual(checks.map((c) => c.id), ["standard"]);
        assert.strictEqual(checks[0].inputs.classKey, "agent-storage:storageClass");
        for (const claim of cluster.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false })) {
            assert.ok(claim.dependsOn.includes(checks[0].name), `${claim.inputs.metadata.name} waits for the check`);
        }
    });

    it("leaves the classes the program creates alone (kind, EKS)", async () => {
        for (const raw of [{}, { target: "eks" as const, awsRegion: "us-east-1" }]) {
            const { cluster } = await buildOnce(raw);
            assert.deepStrictEqual(cluster.ofType("pulumi-nodejs:dynamic/agent-storage:ClassCheck"), [], JSON.stringify(raw));
        }
    });
});
