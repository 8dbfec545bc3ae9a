import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import {
    kindHostDirs, kindLayout, kindNodeNames, kindStaticVolumeNode, kindWorkloadNodeNames, localPathDir, planSubnets,
    renderEksKubeconfig, renderKindConfig, sharedPathDir,
} from "../components/cluster";

interface RenderedNode { role: string; image: string; extraMounts: Array<{ hostPath: string; containerPath: string }> }
const nodesOf = (text: string) => (yaml.load(text) as { nodes: RenderedNode[] }).nodes;

describe("cluster building blocks", () => {
    it("renders a kind config with the node image and every extra mount", () => {
        const text = renderKindConfig({ name: "a", nodeImage: "kindest/node:v1.34.0", extraMounts: [{ hostPath: "/h/1", containerPath: "/c/1" }, { hostPath: "/h 2", containerPath: "/c/2" }] });
        assert.match(text, /^kind: Cluster\napiVersion: kind.x-k8s.io\/v1alpha4\nname: "a"\n/);
        assert.match(text, /image: "kindest\/node:v1.34.0"/);
        assert.match(text, /- hostPath: "\/h 2"\n {8}containerPath: "\/c\/2"/);
    });

    it("names the nodes as kind does: control plane first, then worker, worker2, …", () => {
        assert.deepStrictEqual(kindNodeNames("demo", 0), ["demo-control-plane"]);
        assert.deepStrictEqual(kindNodeNames("demo", 3), ["demo-control-plane", "demo-worker", "demo-worker2", "demo-worker3"]);
    });

    it("runs the pods on the workers when there are any, else on the control plane", () => {
        assert.deepStrictEqual(kindWorkloadNodeNames("demo", 0), ["demo-control-plane"]);
        assert.deepStrictEqual(kindWorkloadNodeNames("demo", 2), ["demo-worker", "demo-worker2"]);
        assert.strictEqual(kindStaticVolumeNode("demo", 0), "demo-control-plane");
        assert.strictEqual(kindStaticVolumeNode("demo", 2), "demo-worker");
    });

    it("renders a single node with its local-path folder at the single-node path and the shared folder", () => {
        const nodes = nodesOf(renderKindConfig(kindLayout({ name: "demo", nodeImage: "img:1", dataDir: "/d", workers: 0, staticVolumePaths: [] })));
        assert.deepStrictEqual(nodes, [{
            role: "control-plane", image: "img:1", extraMounts: [
                { hostPath: "/d/local-path", containerPath: localPathDir },
                { hostPath: "/d/shared", containerPath: sharedPathDir },
            ],
        }]);
    });

    it("renders two workers, each with its own local-path folder, all sharing one folder, all on the same image", () => {
        const layout = kindLayout({ name: "demo", nodeImage: "img:1", dataDir: "/d", workers: 2, staticVolumePaths: [] });
        const nodes = nodesOf(renderKindConfig(layout));
        assert.deepStrictEqual(nodes.map((n) => n.role), ["control-plane", "worker", "worker"]);
        assert.ok(nodes.every((n) => n.image === "img:1"));
        assert.deepStrictEqual(nodes.map((n) => n.extraMounts.find((m) => m.containerPath === localPathDir)!.hostPath),
            ["/d/local-path", "/d/nodes/worker/local-path", "/d/nodes/worker2/local-path"]);
        assert.deepStrictEqual(nodes.map((n) => n.extraMounts.find((m) => m.containerPath === sharedPathDir)!.hostPath),
            ["/d/shared", "/d/shared", "/d/shared"]);
        assert.deepStrictEqual(kindHostDirs(layout), ["/d/local-path", "/d/shared", "/d/nodes/worker/local-path", "/d/nodes/worker2/local-path"]);
    });

    it("mounts a static volume's folder into the one node that holds static volumes", () => {
        const nodes = nodesOf(renderKindConfig(kindLayout({ name: "demo", nodeImage: "img:1", dataDir: "/d", workers: 2, staticVolumePaths: ["/var/emb"] })));
        const withStatic = nodes.map((n) => n.extraMounts.some((m) => m.containerPath === "/var/emb"));
        assert.deepStrictEqual(withStatic, [false, true, false]);
        assert.deepStrictEqual(nodes[1].extraMounts.find((m) => m.containerPath === "/var/emb"), { hostPath: "/d/static/var_emb", containerPath: "/var/emb" });
    });

    it("plans one public and one private /20 per zone without overlap", () => {
        const plan = planSubnets("10.40.0.0/16", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        const cidrs = plan.flatMap((p) => [p.publicCidr, p.privateCidr]);
        assert.deepStrictEqual(cidrs, ["10.40.0.0/20", "10.40.128.0/20", "10.40.16.0/20", "10.40.144.0/20", "10.40.32.0/20", "10.40.160.0/20"]);
        assert.strictEqual(new Set(cidrs).size, cidrs.length);
        assert.throws(() => planSubnets("10.0.0.0/8", ["eu-west-1a"]), /eksVpcCidr must be a \/16/);
    });

    it("places a zone's subnets by its letter, so dropping or reordering zones moves no other zone's subnets", () => {
        const all = planSubnets("10.40.0.0/16", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        const withoutB = planSubnets("10.40.0.0/16", ["eu-west-1c", "eu-west-1a"]);
        for (const p of withoutB) assert.deepStrictEqual(p, all.find((q) => q.zone === p.zone));
        assert.throws(() => planSubnets("10.40.0.0/16", ["eu-west-1i"]), /eu-west-1i does not end in a zone letter a to h/);
    });

    it("renders an EKS kubeconfig that holds no credential", () => {
        const config = JSON.parse(renderEksKubeconfig({ clusterName: "c", endpoint: "https://e", certificateAuthority: "Q0E=", region: "eu-west-1" }));
        assert.strictEqual(config.users[0].user.exec.command, "aws");
        assert.ok(!("token" in config.users[0].user));
        assert.deepStrictEqual(config.users[0].user.exec.args.slice(-4), ["--region", "eu-west-1", "--output", "json"]);
    });
});

describe("kind node folders (contract with the node image)", () => {
    it("mounts node-local volumes where the node image's provisioner keeps them (cluster/versions.sh KIND_LOCAL_PATH_DIR)", () => {
        const versions = fs.readFileSync(path.join(__dirname, "..", "cluster", "versions.sh"), "utf8");
        assert.strictEqual(/^KIND_LOCAL_PATH_DIR="([^"]+)"/m.exec(versions)?.[1], localPathDir);
    });
});
