import * as assert from "assert";
import { eksStandardSupport, principalKey } from "../components/cluster";
import { defaults } from "../stacks";
import { buildOnce } from "./harness";

const eks = { target: "eks", awsRegion: "us-east-1" };
const alice = "arn:aws:iam::111122223333:role/alice";
const bob = "arn:aws:iam::111122223333:user/ops/bob";

describe("EksCluster", function () {
    // Each test builds a whole EKS stack against the mocks, which takes seconds on a busy machine.
    this.timeout(60_000);
    describe("resources made from lists", () => {
        it("names an admin's access entry by the principal, so removing one admin keeps the other's", async () => {
            const both = (await buildOnce({ ...eks, eksAdminPrincipalArns: [alice, bob] })).cluster;
            const onlyBob = (await buildOnce({ ...eks, eksAdminPrincipalArns: [bob] })).cluster;
            const entries = (c: typeof both) => c.ofType("aws:eks/accessEntry:AccessEntry").map((e) => `${e.name} ${e.inputs.principalArn}`);
            assert.deepStrictEqual(entries(both), [`eks-admin-111122223333:role/alice ${alice}`, `eks-admin-111122223333:user/ops/bob ${bob}`]);
            assert.deepStrictEqual(entries(onlyBob), [`eks-admin-111122223333:user/ops/bob ${bob}`]);
            const bobsUrns = (c: typeof both) => c.urns.filter((u) => u.includes("bob"));
            assert.strictEqual(bobsUrns(both).length, 2, "the entry and its policy association");
            assert.deepStrictEqual(bobsUrns(onlyBob), bobsUrns(both));
        });

        it("keys a principal by account and name, without the ARN's '::' a resource name may not hold", () => {
            assert.strictEqual(principalKey(alice), "111122223333:role/alice");
            assert.strictEqual(principalKey("arn:aws-us-gov:iam::111122223333:role/a/b"), "111122223333:role/a/b");
        });

        it("names each managed policy attachment after its policy", async () => {
            const { cluster } = await buildOnce(eks);
            const names = cluster.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.name).filter((n) => n.startsWith("eks-"));
            assert.deepStrictEqual(names.sort(), [
                "eks-cluster-role-AmazonEKSClusterPolicy", "eks-node-role-AmazonEC2ContainerRegistryReadOnly",
                "eks-node-role-AmazonEKSWorkerNodePolicy", "eks-node-role-AmazonEKS_CNI_Policy",
            ]);
        });
    });

    describe("hardening", () => {
        const clusterOf = async (raw: Record<string, unknown>) => (await buildOnce({ ...eks, ...raw })).cluster.one("aws:eks/cluster:Cluster").inputs;

        it("runs a Kubernetes version inside EKS standard support by default, and says it wants standard support", async () => {
            const inputs = await clusterOf({});
            assert.strictEqual(inputs.version, defaults.eks.version);
            assert.ok(defaults.eks.version in eksStandardSupport, `${defaults.eks.version} is in ${Object.keys(eksStandardSupport)}`);
            assert.deepStrictEqual(inputs.upgradePolicy, { supportType: "STANDARD" });
        });

        it("keeps the API endpoint private unless eksPublicAccessCidrs names who may reach it publicly", async () => {
            const closed = (await clusterOf({})).vpcConfig;
            assert.deepStrictEqual([closed.endpointPrivateAccess, closed.endpointPublicAccess, closed.publicAccessCidrs], [true, false, undefined]);
            const open = (await clusterOf({ eksPublicAccessCidrs: ["203.0.113.7/32"] })).vpcConfig;
            assert.deepStrictEqual([open.endpointPrivateAccess, open.endpointPublicAccess, open.publicAccessCidrs], [true, true, ["203.0.113.7/32"]]);
        });

        it("gives the cluster's creator cluster-admin only while eksClusterCreatorAdmin is true", async () => {
            assert.strictEqual((await clusterOf({})).accessConfig.bootstrapClusterCreatorAdminPermissions, true);
            const without = await clusterOf({ eksClusterCreatorAdmin: false, eksAdminPrincipalArns: [alice] });
            assert.strictEqual(without.accessConfig.bootstrapClusterCreatorAdminPermissions, false);
        });

        it("starts nodes from a launch template that requires IMDSv2 with one hop", async () => {
            const { cluster } = await buildOnce(eks);
            const template = cluster.one("aws:ec2/launchTemplate:LaunchTemplate");
            assert.deepStrictEqual(template.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.deepStrictEqual(cluster.one("aws:eks/nodeGroup:NodeGroup").inputs.launchTemplate, { id: `${template.name}-id`, version: "1" });
        });
    });
});
