import * as assert from "assert";
import { principalKey } from "../components/cluster";
import { buildOnce } from "./harness";

const eks = { target: "eks", awsRegion: "us-east-1" };
const alice = "arn:aws:iam::111122223333:role/alice";
const bob = "arn:aws:iam::111122223333:user/ops/bob";

describe("EksCluster", () => {
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
});
