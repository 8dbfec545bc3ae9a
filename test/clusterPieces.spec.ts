import * as assert from "assert";
import { planSubnets, renderEksKubeconfig, renderKindConfig } from "../components/cluster";

describe("cluster building blocks", () => {
    it("renders a kind config with the node image and every extra mount", () => {
        const text = renderKindConfig({ name: "a", nodeImage: "kindest/node:v1.34.0", extraMounts: [{ hostPath: "/h/1", containerPath: "/c/1" }, { hostPath: "/h 2", containerPath: "/c/2" }] });
        assert.match(text, /^kind: Cluster\napiVersion: kind.x-k8s.io\/v1alpha4\nname: "a"\n/);
        assert.match(text, /image: "kindest\/node:v1.34.0"/);
        assert.match(text, /- hostPath: "\/h 2"\n        containerPath: "\/c\/2"/);
    });

    it("plans one public and one private /20 per zone without overlap", () => {
        const plan = planSubnets("10.40.0.0/16", ["z1", "z2", "z3"]);
        const cidrs = plan.flatMap((p) => [p.publicCidr, p.privateCidr]);
        assert.deepStrictEqual(cidrs, ["10.40.0.0/20", "10.40.128.0/20", "10.40.16.0/20", "10.40.144.0/20", "10.40.32.0/20", "10.40.160.0/20"]);
        assert.strictEqual(new Set(cidrs).size, cidrs.length);
        assert.throws(() => planSubnets("10.0.0.0/8", ["z1"]), /eksVpcCidr must be a \/16/);
    });

    it("renders an EKS kubeconfig that holds no credential", () => {
        const config = JSON.parse(renderEksKubeconfig({ clusterName: "c", endpoint: "https://e", certificateAuthority: "Q0E=", region: "eu-west-1" }));
        assert.strictEqual(config.users[0].user.exec.command, "aws");
        assert.ok(!("token" in config.users[0].user));
        assert.deepStrictEqual(config.users[0].user.exec.args.slice(-4), ["--region", "eu-west-1", "--output", "json"]);
    });
});
