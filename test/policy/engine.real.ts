// The policy pack under the real Pulumi engine: `pulumi preview --policy-pack policy` on a
// throwaway program (made in a temp dir) whose Kubernetes provider points at a closed
// loopback port, so the provider runs preview-only. Once with deliberately bad storage
// objects (the mandatory rules must stop the preview and name themselves), once with the good
// shapes (no violation). Needs the toolchain of scripts/toolchain in .tools/bin; without it
// this suite says so and is skipped (pending), never silently passed.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, ThrowawayFolder, UNREACHABLE_KUBECONFIG, skipWithoutToolchain } from "../realCli";

const PROGRAM = `
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
const good = cfg.getBoolean("good") ?? false;
const provider = new k8s.Provider("k8s", { kubeconfig: cfg.require("kubeconfig") });
const opts = { provider };
const ns = "agent-data";

new k8s.storage.v1.StorageClass("gp3", {
    metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "ebs.csi.aws.com",
    parameters: good ? { type: "gp3", encrypted: "true" } : { type: "gp3" },
}, opts);
if (!good) {
    new k8s.storage.v1.StorageClass("gp3-copy", {
        metadata: { name: "gp3-copy", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
    }, opts);
}
new k8s.core.v1.PersistentVolumeClaim("embeddings", {
    metadata: {
        name: "embeddings", namespace: ns,
        labels: { "agent-storage.io/data": "true", "agent-storage.io/role": "embeddings" },
        annotations: good ? { "agent-storage.io/delete-on-destroy": "false" } : {},
    },
    spec: { accessModes: [good ? "ReadWriteOnce" : "ReadOnlyMany"], storageClassName: "standard", resources: { requests: { storage: "1Gi" } } },
}, { ...opts, retainOnDelete: true });
const labels = { "app.kubernetes.io/name": "inference", "app.kubernetes.io/component": "reader" };
new k8s.apps.v1.Deployment("inference", {
    metadata: { name: "inference", namespace: ns, labels },
    spec: {
        selector: { matchLabels: labels },
        template: {
            metadata: { labels },
            spec: {
                securityContext: good ? { runAsNonRoot: true, runAsUser: 65532 } : {},
                containers: [{
                    name: "inference", image: "localhost/agent-storage/workload:0.1.0",
                    securityContext: good ? { allowPrivilegeEscalation: false } : {},
                    volumeMounts: [{ name: "embeddings", mountPath: "/data/embeddings", readOnly: good }],
                }],
                volumes: [{ name: "embeddings", persistentVolumeClaim: { claimName: "embeddings", readOnly: good } }],
            },
        },
    },
}, opts);
`;

describe("policy pack under the real engine (pulumi preview --policy-pack policy)", function () {
    this.timeout(600_000);
    let folder: ThrowawayFolder | undefined;
    const pulumi = (args: string[]) => folder!.pulumi(args);

    before(function () {
        skipWithoutToolchain(this);
        folder = new ThrowawayFolder("policy-engine");
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(folder.dir, "node_modules"));
        folder.write("Pulumi.yaml",
            "name: policy-engine-check\nruntime:\n  name: nodejs\n  options:\n    # transpile-only through nodeargs; the runner must not compile a second time\n    typescript: false\n    nodeargs: \"--require ts-node/register/transpile-only\"\n");
        folder.write("package.json", '{ "name": "policy-engine-check", "version": "0.0.0", "private": true, "main": "index.ts" }\n');
        folder.write("index.ts", PROGRAM);
        folder.write("tsconfig.json", JSON.stringify({
            compilerOptions: { strict: true, target: "ES2020", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true },
        }));
        const init = pulumi(["stack", "init", "check"]);
        assert.strictEqual(init.status, 0, init.out);
        const kc = pulumi(["config", "set", "--secret", "kubeconfig", UNREACHABLE_KUBECONFIG]);
        assert.strictEqual(kc.status, 0, kc.out);
    });

    after(() => folder?.remove());

    it("stops the preview of bad storage objects, naming every mandatory rule that fired", () => {
        assert.strictEqual(pulumi(["config", "set", "--type", "bool", "good", "false"]).status, 0);
        const r = pulumi(["preview", "--policy-pack", path.join(ROOT, "policy")]);
        console.log(`      (bad program: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.notStrictEqual(r.status, 0, `preview should fail:\n${r.out}`);
        assert.match(r.out, /agent-storage-guardrails/, r.out);
        for (const rule of [
            "access-mode-supported-by-class",
            "embeddings-readers-read-only",
            "single-default-storage-class",
            "data-claims-survive-destroy",
            "storage-encrypted",
            "containers-non-root",
        ]) {
            assert.match(r.out, new RegExp(`\\[mandatory\\]\\s+${rule}`), `${rule} did not fire:\n${r.out}`);
        }
    });

    it("lets the good shapes through with no violation", () => {
        assert.strictEqual(pulumi(["config", "set", "--type", "bool", "good", "true"]).status, 0);
        const r = pulumi(["preview", "--policy-pack", path.join(ROOT, "policy")]);
        console.log(`      (good program: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.strictEqual(r.status, 0, r.out);
        assert.doesNotMatch(r.out, /\[mandatory\]/, r.out);
    });
});
