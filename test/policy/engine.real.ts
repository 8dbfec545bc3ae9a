// The policy pack under the real Pulumi engine: `pulumi preview --policy-pack policy` on a
// throwaway program (made in a temp dir) whose Kubernetes provider points at a closed
// loopback port, so the provider runs preview-only. Once with deliberately bad storage
// objects (the mandatory rules must stop the preview and name themselves), once with the good
// shapes (no violation). Needs the toolchain of scripts/toolchain in .tools/bin; without it
// this suite says so and is skipped (pending), never silently passed.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, ".tools", "bin");
const NEEDED = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"];

function missingTools(): string[] {
    const home = path.join(ROOT, ".tools", "pulumi-home", "plugins");
    return NEEDED.filter((b) => {
        if (fs.existsSync(path.join(BIN, b))) return false;
        // the provider may be registered as a plugin rather than on PATH
        if (b === "pulumi-resource-kubernetes" && fs.existsSync(home)) {
            return !fs.readdirSync(home).some((d) => d.startsWith("resource-kubernetes-"));
        }
        return true;
    });
}

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

// A cluster nobody serves: 127.0.0.1:9 (discard port, closed here). Loopback only.
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
`;

describe("policy pack under the real engine (pulumi preview --policy-pack policy)", function () {
    this.timeout(600_000);
    let dir = "";
    let env: NodeJS.ProcessEnv = {};

    const pulumi = (args: string[]) => {
        const started = Date.now();
        const r = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: dir, env, encoding: "utf8" });
        const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
        return { status: r.status, out, seconds: (Date.now() - started) / 1000 };
    };

    before(function () {
        const missing = missingTools();
        if (missing.length > 0) {
            console.log(`      NOT RUN: ${missing.join(", ")} missing from ${BIN}; run scripts/toolchain to build the Pulumi toolchain`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-engine-"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"),
            "name: policy-engine-check\nruntime:\n  name: nodejs\n  options:\n    # transpile-only through nodeargs; the runner must not compile a second time\n    typescript: false\n    nodeargs: \"--require ts-node/register/transpile-only\"\n");
        fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "policy-engine-check", "version": "0.0.0", "private": true, "main": "index.ts" }\n');
        fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
            compilerOptions: { strict: true, target: "ES2020", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true },
        }));
        fs.mkdirSync(path.join(dir, "state"));
        env = {
            ...process.env,
            PATH: `${BIN}:${process.env.PATH}`,
            PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".tools", "pulumi-home"),
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "policy-engine-check",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        };
        delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
        const init = pulumi(["stack", "init", "check"]);
        assert.strictEqual(init.status, 0, init.out);
        const kc = pulumi(["config", "set", "--secret", "kubeconfig", KUBECONFIG]);
        assert.strictEqual(kc.status, 0, kc.out);
    });

    after(() => {
        if (dir && !process.env.KEEP_POLICY_ENGINE_DIR) fs.rmSync(dir, { recursive: true, force: true });
    });

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
