// `pulumi new` with this repository as the template, as a user gets it from a clone: the
// files git would hand out (tracked, or new and not ignored; no node_modules, toolchain or
// state) are copied to a temp folder, `pulumi new --yes` makes a project and stack from it
// with one prompt answered on the command line and the others left at the template's
// defaults, and the real CLI previews the result. The default target is kind: its cluster
// is one of the stack's resources, so the preview needs no cluster and runs neither kind nor
// Docker. Needs the toolchain of scripts/toolchain in .tools/bin; without it this suite says
// so and is skipped (pending).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CliRun, ROOT, ThrowawayFolder, skipWithoutToolchain } from "../realCli";

/** The files a clone of the repository has, with the work tree's content. */
function cloneFiles(): string[] {
    const r = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    // Regular files only: a work tree may link node_modules or the toolchain in, which git
    // lists as new files but a clone never has.
    return r.stdout.split("\0").filter((f) => f !== "" && fs.lstatSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile());
}

/** The parts of a `pulumi preview --json` step the assertions read. */
interface PreviewStep { op: string; urn: string; newState?: { type: string; inputs?: { metadata?: { name?: string }; spec?: { replicas?: number } } } }

describe("pulumi new from this repository (template: in Pulumi.yaml)", function () {
    this.timeout(900_000);
    let folder: ThrowawayFolder | undefined;
    let created: CliRun = { status: null, stdout: "", out: "", seconds: 0 };

    before(function () {
        skipWithoutToolchain(this);
        folder = new ThrowawayFolder("pulumi-new");
        const f = folder;
        for (const file of cloneFiles()) {
            fs.mkdirSync(path.dirname(path.join(f.dir, "template", file)), { recursive: true });
            fs.copyFileSync(path.join(ROOT, file), path.join(f.dir, "template", file));
        }
        // Dependencies present before `pulumi new`, so it installs none (no registry needed).
        fs.mkdirSync(path.join(f.dir, "project"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(f.dir, "project", "node_modules"));
        created = f.pulumi(["new", path.join(f.dir, "template"), "--dir", "project", "--yes", "--force", "--stack", "check",
            "--config", "inferenceReplicas=4"]);
        console.log(`      (pulumi new: exit ${created.status} in ${created.seconds.toFixed(1)} s)`);
    });

    after(() => folder?.remove());

    it("creates the project and its stack, failing at most on the AWS plugin when no plugin server is reachable", () => {
        if (created.status !== 0) {
            // The last step installs the plugins of the program's packages; the Kubernetes one
            // is in the toolchain, the AWS one cannot be built offline. Everything before it
            // (files, stack, config) is done by then.
            const failures = [...created.out.matchAll(/\berror: ([^\n]*)/g)].map((m) => m[1]);
            assert.ok(failures.length > 0, created.out);
            assert.deepStrictEqual(failures.filter((e) => !/failed to download plugin: aws-/.test(e)), [], created.out);
            console.log("      (the AWS provider plugin could not be downloaded; it is needed by eks stacks only)");
        }
        assert.match(created.out, /Saved config/, created.out);
    });

    it("keeps the program's project name and config schema, and drops the template section", () => {
        const read = (file: string) => yaml.load(fs.readFileSync(file, "utf8")) as { name: string; template?: unknown; config: Record<string, unknown> };
        const project = read(path.join(folder!.dir, "project", "Pulumi.yaml"));
        const source = read(path.join(ROOT, "Pulumi.yaml"));
        assert.strictEqual(project.name, source.name);
        assert.strictEqual(project.template, undefined);
        assert.deepStrictEqual(Object.keys(project.config).filter((k) => k !== "pulumi:tags"), Object.keys(source.config));
    });

    it("saves the answer given, and the template's defaults for the prompts not answered", () => {
        const stack = yaml.load(fs.readFileSync(path.join(folder!.dir, "project", "Pulumi.check.yaml"), "utf8")) as { config: Record<string, string> };
        assert.strictEqual(stack.config["agent-storage:inferenceReplicas"], "4");
        assert.strictEqual(stack.config["agent-storage:target"], "kind");
        assert.strictEqual(stack.config["aws:region"], "us-east-1");
    });

    it("previews the new stack: the kind cluster, its shared storage, the claims and the workloads", () => {
        const r = folder!.pulumi(["preview", "--json"], "project");
        console.log(`      (new project: preview exit ${r.status} in ${r.seconds.toFixed(1)} s)`);
        assert.strictEqual(r.status, 0, r.out);
        const steps = (JSON.parse(r.stdout) as { steps?: PreviewStep[] }).steps ?? [];
        const types = new Set(steps.map((s) => s.newState?.type));
        for (const type of [
            "agent-storage:cluster:KindCluster",
            "agent-storage:storage:KindSharedStorage",
            "agent-storage:workloads:AgentNamespace",
            "agent-storage:storage:DataVolumes",
            "agent-storage:workloads:EmbeddingsGenerator",
            "agent-storage:workloads:InferencePool",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:PersistentVolumeClaim",
            "kubernetes:apps/v1:Deployment",
        ]) {
            assert.ok(types.has(type), `${type} missing from the preview:\n${steps.map((s) => s.urn).join("\n")}`);
        }
        const inference = steps.find((s) => s.newState?.type === "kubernetes:apps/v1:Deployment" && s.newState.inputs?.metadata?.name === "inference");
        assert.strictEqual(inference?.newState?.inputs?.spec?.replicas, 4, JSON.stringify(inference, null, 2));
    });
});
