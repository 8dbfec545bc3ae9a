import * as assert from "assert";
import { Json, buildOnce } from "./harness";

const eks = { target: "eks", awsRegion: "us-east-1" };
const clusterArn = "arn:aws:eks:us-east-1:111122223333:cluster/agent-storage";

type Built = Awaited<ReturnType<typeof buildOnce>>["cluster"];
/** The role a service account's Pod Identity association hands out, with what it may do. */
function roleOf(c: Built, serviceAccount: string) {
    const association = c.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", (a) => a.inputs.serviceAccount === serviceAccount);
    const role = c.ofType("aws:iam/role:Role").find((r) => `arn:aws:mock::${r.name}` === association.inputs.roleArn);
    assert.ok(role, `the role of ${serviceAccount}`);
    const attached = c.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.name).map((a) => a.inputs.policyArn);
    const inline = c.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.name).map((p) => JSON.parse(p.inputs.policy));
    return { trust: JSON.parse(role.inputs.assumeRolePolicy), attached, inline };
}

describe("EksStorage", function () {
    // Each test builds a whole EKS stack against the mocks, which takes seconds on a busy machine.
    this.timeout(60_000);
    it("gives each CSI service account a role of its own, and the EFS node plugin none of the controller's policy", async () => {
        const { cluster } = await buildOnce(eks);
        assert.deepStrictEqual(roleOf(cluster, "ebs-csi-controller-sa").attached, ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
        assert.deepStrictEqual(roleOf(cluster, "efs-csi-controller-sa").attached, ["arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"]);
        const node = roleOf(cluster, "efs-csi-node-sa");
        assert.deepStrictEqual(node.attached, []);
        const actions = node.inline.flatMap((p) => p.Statement.flatMap((s: Json) => [s.Action].flat()));
        assert.deepStrictEqual(actions.sort(), ["ec2:DescribeAvailabilityZones", "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite", "elasticfilesystem:DescribeMountTargets"]);
        assert.ok(!actions.some((a: string) => /AccessPoint|Delete|Create|Tag/.test(a)), "access points are the controller's business");
        const fileSystemArn = `arn:aws:mock::${cluster.one("aws:efs/fileSystem:FileSystem").name}`;
        const efsStatement = node.inline[0].Statement.find((s: Json) => [s.Action].flat().includes("elasticfilesystem:ClientMount"));
        assert.strictEqual(efsStatement.Resource, fileSystemArn, "this file system only");
    });

    it("lets Pod Identity hand out its roles only for this cluster and its account", async () => {
        const { cluster } = await buildOnce(eks);
        for (const sa of ["ebs-csi-controller-sa", "efs-csi-controller-sa", "efs-csi-node-sa"]) {
            const [statement] = roleOf(cluster, sa).trust.Statement;
            assert.strictEqual(statement.Principal.Service, "pods.eks.amazonaws.com", sa);
            assert.deepStrictEqual(statement.Condition, {
                StringEquals: { "aws:SourceAccount": "111122223333" },
                ArnEquals: { "aws:SourceArn": clusterArn },
            }, sa);
        }
    });

    it("gives the file system a policy that refuses requests without TLS and mounts without an access point", async () => {
        const { cluster } = await buildOnce(eks);
        const fileSystem = cluster.one("aws:efs/fileSystem:FileSystem");
        const policy = cluster.one("aws:efs/fileSystemPolicy:FileSystemPolicy");
        assert.strictEqual(policy.inputs.fileSystemId, `${fileSystem.name}-id`);
        const statements: Json[] = JSON.parse(policy.inputs.policy).Statement;
        const deny = (key: string) => statements.find((s) => s.Effect === "Deny" && Object.values(s.Condition).some((c: Json) => key in c));
        assert.deepStrictEqual(deny("aws:SecureTransport").Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.strictEqual(deny("aws:SecureTransport").Action, "*");
        assert.deepStrictEqual(deny("elasticfilesystem:AccessPointArn").Condition, { Null: { "elasticfilesystem:AccessPointArn": "true" } });
        assert.ok([deny("elasticfilesystem:AccessPointArn").Action].flat().includes("elasticfilesystem:ClientRootAccess"));
        const allowed = statements.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat());
        assert.ok(!allowed.includes("elasticfilesystem:ClientRootAccess"), "nobody mounts as root of the file system");
        assert.ok(cluster.one("aws:eks/addon:Addon", (a) => a.inputs.addonName === "aws-efs-csi-driver").dependsOn.includes(policy.name),
            "the driver starts once the policy is in place");
    });
});
