// The component package (packages/components) as a user gets it: built, packed with npm,
// installed from the tarball into a throwaway program, type-checked against its
// declarations and previewed by the real CLI against a cluster nobody serves (the Kubernetes
// provider then previews without one). Needs the toolchain of scripts/toolchain in
// .tools/bin; without it this suite says so and is skipped (pending), never silently passed.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, ThrowawayFolder, UNREACHABLE_KUBECONFIG, skipWithoutToolchain } from "../realCli";

const PACKAGE_DIR = path.join(ROOT, "packages", "components");
const EXAMPLE = path.join(PACKAGE_DIR, "example", "index.ts");
/** What the consuming program needs itself besides the package: its runner and type checker. */
const PROGRAM_DEV_DEPENDENCIES = ["@types/node", "ts-node", "typescript"];

/**
 * The components whose resources are dynamic: Pulumi serializes their providers' code, and
 * that code requires the package's modules by their path in dist/, which the exports map must
 * allow. The preview runs the kind provider's check; nothing runs kind.
 */
const DYNAMIC_PROGRAM = `import * as fs from "fs";
import * as path from "path";
import { BoundVolumesReport, DataVolumes, ExistingCluster, KindCluster } from "@agent-storage/components";

const kind = new KindCluster("kind", {
    clusterName: "package-check", nodeImage: "kindest/node:v1.34.0", workers: 0,
    dataDir: path.join(__dirname, "kind-data"), staticVolumePaths: [], images: [], deleteDataOnDestroy: false,
});
const kubeconfig = fs.readFileSync(path.join(__dirname, "kubeconfig"), "utf8");
const { provider } = new ExistingCluster("cluster", { kubeconfig });
const claim = { accessMode: "ReadWriteOnce", storageClass: "standard", size: "1Gi" } as const;
const data = new DataVolumes("data", {
    namespace: "agent-data", deleteDataOnDestroy: false, provider,
    embeddings: { ...claim, name: "embeddings", role: "embeddings" },
    checkpoints: { ...claim, name: "checkpoints", role: "checkpoints" },
});
const report = new BoundVolumesReport("volumes", {
    claims: [{ key: "embeddings", claim: data.embeddings, mountedBy: [{ workload: "inference", mode: "ro" }] }],
    // Unknown until the kind cluster exists, so the preview reads nothing from the cluster.
    after: [kind.kubeconfig], provider, access: { kubeconfig },
});

export const kindConfig = kind.kindConfig;
export const volumes = report.volumes;
`;

/** The parts of a `pulumi preview --json` step the assertions read. */
interface PreviewStep { op: string; urn: string; newState?: { type: string; inputs?: { metadata?: { name?: string }; spec?: { replicas?: number } } } }

function previewSteps(out: string): PreviewStep[] {
    return (JSON.parse(out) as { steps?: PreviewStep[] }).steps ?? [];
}

/** Links NAME from the repository's node_modules: these are the versions the program is tested with. */
function linkModule(nodeModules: string, name: string): void {
    const target = path.join(nodeModules, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules", name), target);
}

function writeProgram(folder: ThrowawayFolder, dir: string, name: string, index: string): void {
    folder.write(`${dir}/Pulumi.yaml`,
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: "--require ts-node/register/transpile-only"\n`);
    folder.write(`${dir}/package.json`, JSON.stringify({
        name, version: "0.0.0", private: true, main: "index.ts",
        dependencies: { "@agent-storage/components": "file:../package.tgz" },
    }, null, 2));
    folder.write(`${dir}/tsconfig.json`, JSON.stringify({
        compilerOptions: { strict: true, target: "ES2020", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true, noEmit: true },
        files: ["index.ts"],
    }));
    folder.write(`${dir}/index.ts`, index);
}

describe("@agent-storage/components package (built, packed, used by a program, previewed by the real CLI)", function () {
    this.timeout(900_000);
    let folder: ThrowawayFolder | undefined;
    let manifest: { name: string; main: string; types: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };

    before(function () {
        skipWithoutToolchain(this);
        folder = new ThrowawayFolder("components-package");
        const f = folder;
        // A fresh build: files of removed sources must not linger in the tarball.
        fs.rmSync(path.join(PACKAGE_DIR, "dist"), { recursive: true, force: true });
        const build = f.run(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", PACKAGE_DIR]);
        assert.strictEqual(build.status, 0, build.out);
        console.log(`      (package built in ${build.seconds.toFixed(1)} s)`);
        const pack = f.run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", f.dir], PACKAGE_DIR);
        assert.strictEqual(pack.status, 0, pack.out);
        const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
        fs.renameSync(path.join(f.dir, packed.filename), path.join(f.dir, "package.tgz"));

        // Installing a tarball offline is unpacking it into node_modules; its dependencies and
        // peers come from the repository's node_modules, and nothing else does, so a require
        // the manifest does not declare fails here as it would for a user.
        const nodeModules = path.join(f.dir, "node_modules");
        const unpacked = path.join(nodeModules, "@agent-storage");
        fs.mkdirSync(unpacked, { recursive: true });
        const untar = f.run("tar", ["-xzf", path.join(f.dir, "package.tgz"), "-C", unpacked]);
        assert.strictEqual(untar.status, 0, untar.out);
        manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "package", "package.json"), "utf8"));
        fs.renameSync(path.join(unpacked, "package"), path.join(nodeModules, manifest.name));
        for (const name of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...PROGRAM_DEV_DEPENDENCIES]) {
            linkModule(nodeModules, name);
        }

        writeProgram(f, "example", "components-example", fs.readFileSync(EXAMPLE, "utf8"));
        writeProgram(f, "import-only", "components-import-only",
            'import * as components from "@agent-storage/components";\n\nexport const exported = Object.keys(components).sort();\n');
        writeProgram(f, "dynamic", "components-dynamic", DYNAMIC_PROGRAM);
        f.write("dynamic/kubeconfig", UNREACHABLE_KUBECONFIG);
        for (const dir of ["example", "import-only", "dynamic"]) {
            const init = f.pulumi(["stack", "init", "check"], dir);
            assert.strictEqual(init.status, 0, init.out);
        }
        const kubeconfig = f.write("example/kubeconfig", UNREACHABLE_KUBECONFIG);
        for (const [key, value] of [["kubeconfig", kubeconfig], ["replicas", "4"]]) {
            const set = f.pulumi(["config", "set", key, value], "example");
            assert.strictEqual(set.status, 0, set.out);
        }
    });

    after(() => folder?.remove());

    it("is named @agent-storage/components and ships only the built JavaScript with its declarations", () => {
        assert.strictEqual(manifest.name, "@agent-storage/components");
        const installed = path.join(folder!.dir, "node_modules", manifest.name);
        const files = fs.readdirSync(installed, { recursive: true }).map(String);
        assert.ok(files.includes(path.normalize(manifest.main)) && files.includes(path.normalize(manifest.types)), files.join("\n"));
        assert.deepStrictEqual(files.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts")), [], "TypeScript sources were packed");
    });

    it("type-checks the README example against the package's declarations", () => {
        const tsc = folder!.run(process.execPath, [path.join(folder!.dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."], "example");
        assert.strictEqual(tsc.status, 0, tsc.out);
    });

    it("creates nothing when it is only imported", () => {
        const r = folder!.pulumi(["preview", "--json"], "import-only");
        console.log(`      (import-only program: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.strictEqual(r.status, 0, r.out);
        const types = previewSteps(r.stdout).map((s) => s.newState?.type);
        assert.deepStrictEqual(types, ["pulumi:pulumi:Stack"], r.out);
    });

    it("previews its dynamic-provider components (KindCluster, BoundVolumesReport's ClaimNodes) from the package", () => {
        const r = folder!.pulumi(["preview", "--json"], "dynamic");
        console.log(`      (dynamic program: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.strictEqual(r.status, 0, r.out);
        const types = new Set(previewSteps(r.stdout).map((s) => s.newState?.type));
        for (const type of ["pulumi-nodejs:dynamic/agent-storage:KindCluster", "pulumi-nodejs:dynamic/agent-storage:ClaimNodes"]) {
            assert.ok(types.has(type), `${type} missing from the preview:\n${[...types].join("\n")}`);
        }
    });

    it("previews the README example on a cluster it cannot reach: the components, their Kubernetes objects, the configured replicas", () => {
        const r = folder!.pulumi(["preview", "--json"], "example");
        console.log(`      (example program: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.strictEqual(r.status, 0, r.out);
        const steps = previewSteps(r.stdout);
        assert.ok(steps.every((s) => s.op === "create"), r.out);
        const count = (type: string) => steps.filter((s) => s.newState?.type === type).length;
        for (const [type, n] of [
            ["agent-storage:cluster:ExistingCluster", 1],
            ["pulumi:providers:kubernetes", 1],
            ["agent-storage:workloads:AgentNamespace", 1],
            ["kubernetes:core/v1:Namespace", 1],
            ["agent-storage:storage:DataVolumes", 1],
            ["kubernetes:core/v1:PersistentVolumeClaim", 2],
            ["agent-storage:workloads:EmbeddingsGenerator", 1],
            ["kubernetes:core/v1:ServiceAccount", 1],
            ["kubernetes:rbac.authorization.k8s.io/v1:Role", 1],
            ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", 1],
            ["agent-storage:workloads:InferencePool", 1],
            ["kubernetes:apps/v1:Deployment", 2],
        ] as const) {
            assert.strictEqual(count(type), n, `${type}: expected ${n}\n${steps.map((s) => s.urn).join("\n")}`);
        }
        const inference = steps.find((s) => s.newState?.type === "kubernetes:apps/v1:Deployment" && s.newState.inputs?.metadata?.name === "inference");
        assert.strictEqual(inference?.newState?.inputs?.spec?.replicas, 4, JSON.stringify(inference, null, 2));
    });
});
