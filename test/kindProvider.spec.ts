import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandRunner, KindClusterInputs, commonFolder, kindClusterProvider, kindKubeconfigProvider, localImageId, renderKindConfig } from "../components/cluster";

/** A fake `kind`/`docker` that records calls and can be told what is missing. */
function fakeTools(opts: { noKind?: boolean; noDocker?: boolean; clusters?: string[] } = {}) {
    const calls: string[] = [];
    const run: CommandRunner = async (command, args) => {
        calls.push([command, ...args].join(" "));
        if (command === "kind" && opts.noKind) throw new Error("kind version: not found on PATH");
        if (command === "docker" && opts.noDocker) throw new Error("docker info: Cannot connect to the Docker daemon");
        if (command === "kind" && args[0] === "create") {
            const config = fs.readFileSync(args[args.indexOf("--config") + 1], "utf8");
            calls.push(`config:${config}`);
        }
        if (command === "kind" && args[0] === "get" && args[1] === "kubeconfig") return "apiVersion: v1\nkind: Config\n";
        if (command === "kind" && args[0] === "get" && args[1] === "clusters") return (opts.clusters ?? []).join("\n");
        return "";
    };
    return { run, calls };
}

function inputs(dir: string, overrides: Partial<KindClusterInputs> = {}): KindClusterInputs {
    const config = renderKindConfig({ name: "agent", nodeImage: "kindest/node:v1.34.0", extraMounts: [{ hostPath: path.join(dir, "lp"), containerPath: "/var/local-path-provisioner" }] });
    return { name: "agent", nodeImage: "kindest/node:v1.34.0", config, hostDirs: [path.join(dir, "lp")], images: ["localhost/agent-storage/workload:0.1.0"], deleteDataOnDestroy: false, ...overrides };
}

describe("kind cluster provider", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "kind-test-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("creates the cluster from the generated config into a private kubeconfig, then loads the local image", async () => {
        const tools = fakeTools();
        const result = await kindClusterProvider(tools.run).create!(inputs(dir));
        const create = tools.calls.find((c) => c.startsWith("kind create cluster"))!;
        assert.match(create, /--name agent --config \S+kind\.yaml --kubeconfig \S+kubeconfig --wait/);
        assert.ok(!create.includes(".kube/config"), "never writes the user's merged kubeconfig");
        assert.ok(tools.calls.some((c) => c.startsWith("config:") && c.includes('containerPath: "/var/local-path-provisioner"')));
        assert.ok(tools.calls.includes("kind load docker-image localhost/agent-storage/workload:0.1.0 --name agent"));
        assert.strictEqual(result.id, "agent");
        assert.match(result.outs.kubeconfig, /kind: Config/);
        assert.ok(fs.existsSync(path.join(dir, "lp")), "creates the host data folder before kind mounts it");
    });

    it("fails with a clear message when kind is missing", async () => {
        await assert.rejects(kindClusterProvider(fakeTools({ noKind: true }).run).create!(inputs(dir)),
            /needs the `kind` CLI on PATH.*scripts\/toolchain --with-kind.*local-cluster/s);
    });

    it("fails with a clear message when Docker is not running", async () => {
        await assert.rejects(kindClusterProvider(fakeTools({ noDocker: true }).run).create!(inputs(dir)),
            /needs a running Docker daemon/);
    });

    it("replaces the cluster when its config changes, and only loads images when they change", async () => {
        const provider = kindClusterProvider(fakeTools().run);
        const old = { ...inputs(dir), kubeconfig: "x" };
        const changedConfig = await provider.diff!("agent", old, inputs(dir, { config: old.config + "# more\n" }));
        assert.deepStrictEqual(changedConfig.replaces, ["config"]);
        assert.strictEqual(changedConfig.deleteBeforeReplace, true);
        const changedImages = await provider.diff!("agent", old, inputs(dir, { images: ["localhost/other:1"] }));
        assert.deepStrictEqual(changedImages.replaces, []);
        assert.strictEqual(changedImages.changes, true);
        assert.strictEqual((await provider.diff!("agent", old, inputs(dir))).changes, false);
    });

    it("deletes the cluster but keeps the data folders unless told to delete data", async () => {
        const tools = fakeTools();
        fs.mkdirSync(path.join(dir, "lp"));
        await kindClusterProvider(tools.run).delete!("agent", { ...inputs(dir), kubeconfig: "" });
        assert.ok(tools.calls.includes("kind delete cluster --name agent"));
        assert.ok(fs.existsSync(path.join(dir, "lp")), "data kept");
        await kindClusterProvider(tools.run).delete!("agent", { ...inputs(dir, { deleteDataOnDestroy: true }), kubeconfig: "" });
        assert.ok(!fs.existsSync(path.join(dir, "lp")), "data deleted on request");
    });

    it("deleting data removes the whole data dir, the empty folders around the volumes too, and nothing beside it", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "kind-data-"));
        const dataDir = path.join(root, "cluster");
        const hostDirs = [path.join(dataDir, "local-path"), path.join(dataDir, "nodes", "worker", "local-path"), path.join(dataDir, "shared")];
        for (const d of hostDirs) fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(path.join(dataDir, "shared", "bytes"), "x");
        fs.mkdirSync(path.join(root, "other"));
        const tools = fakeTools();
        await kindClusterProvider(tools.run).delete!("agent", { ...inputs(dataDir, { deleteDataOnDestroy: true, hostDirs }), kubeconfig: "" });
        assert.ok(!fs.existsSync(dataDir), "the data dir is gone");
        assert.ok(fs.existsSync(path.join(root, "other")), "a folder beside it stays");
        assert.strictEqual(commonFolder(hostDirs), dataDir);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("gives the static volumes' host folders to the workload's uid at creation and on update (a hostPath volume gets no fsGroup)", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "kind-static-"));
        const own = path.join(root, "static", "var_local_embeddings");
        const provider = kindClusterProvider(fakeTools().run);
        const uid = process.getuid!() === 0 ? 65532 : process.getuid!();
        await provider.create!({ ...inputs(root), workloadDirs: [own], workloadUid: uid });
        assert.strictEqual(fs.statSync(own).uid, uid, "owned by the workload after create");
        fs.rmSync(own, { recursive: true });
        await provider.update!("agent", { ...inputs(root), kubeconfig: "" }, { ...inputs(root), workloadDirs: [own], workloadUid: uid });
        assert.strictEqual(fs.statSync(own).uid, uid, "and again after an update");
        assert.strictEqual(fs.statSync(own).gid, uid);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("reports a cluster deleted outside Pulumi as gone on refresh", async () => {
        const gone = await kindClusterProvider(fakeTools({ clusters: ["other"] }).run).read!("agent", { ...inputs(dir), kubeconfig: "" });
        assert.strictEqual(gone.id, "");
        const there = await kindClusterProvider(fakeTools({ clusters: ["agent"] }).run).read!("agent", { ...inputs(dir), kubeconfig: "" });
        assert.strictEqual(there.id, "agent");
    });

    it("rejects a config that names another cluster", async () => {
        const result = await kindClusterProvider(fakeTools().run).check!(inputs(dir), inputs(dir, { name: "other" }));
        assert.deepStrictEqual(result.failures!.map((f) => f.property), ["config"]);
    });

    it("reads a cluster's kubeconfig back by the cluster's name, says a deleted cluster is gone, and creates nothing", async () => {
        const tools = fakeTools({ clusters: ["agent"] });
        const read = await kindKubeconfigProvider(tools.run).read!("agent", {});
        assert.deepStrictEqual(read, { id: "agent", props: { kubeconfig: "apiVersion: v1\nkind: Config\n" } });
        assert.deepStrictEqual(tools.calls, ["kind get clusters", "kind get kubeconfig --name agent"]);
        await assert.rejects(kindKubeconfigProvider(tools.run).create({}), /read-only/);
        const gone = await kindKubeconfigProvider(fakeTools({ clusters: ["other"] }).run).read!("agent", {});
        assert.deepStrictEqual(gone, { id: "", props: {} }, "a cluster deleted by hand is gone for refresh");
    });

    it("knows a local image by its Docker image ID, so a rebuild under the same tag is a change; \"\" when Docker cannot say", async () => {
        const calls: string[] = [];
        const docker: CommandRunner = async (command, args) => {
            calls.push([command, ...args].join(" "));
            if (args.includes("missing:1")) throw new Error("No such image: missing:1");
            return "sha256:0123abcd\n";
        };
        assert.strictEqual(await localImageId(docker, "localhost/agent-storage/workload:0.1.0"), "sha256:0123abcd");
        assert.deepStrictEqual(calls, ["docker image inspect --format {{.Id}} localhost/agent-storage/workload:0.1.0"]);
        assert.strictEqual(await localImageId(docker, "missing:1"), "");
    });
});
