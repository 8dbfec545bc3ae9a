import * as assert from "assert";
import {
    checkAccessModeName, checkAdminPrincipals, checkClusterAdmins, checkPublicAccessCidrs, ipv4CidrProblem, checkDuration, checkEksInstanceType, checkEksNodeCounts, checkEksVersion, checkEksZones, checkImage,
    checkEmbeddingsHostPath, checkGracePeriod, checkKindDataDir, checkNewVpcKeysWithExistingVpc, checkQueryPort, parseDuration, checkVpcCidr, isArmInstanceType, checkEksNetwork, checkEmbeddingsShared, checkEmbeddingsVolume, checkExistingCluster,
    checkExistingNodeCount, checkKeepVersions, checkKindWorkers, checkModeServedByClass, checkNamespace, checkRegion, checkReplicas,
    checkSingleDefaultClass, checkStaticVolumeOnOneNode, checkStorageSize, checkTarget, checkUnknownKeys, formatProblems,
    awsProviderKeys, knownKeys,
} from "../stacks";
import { eksStandardSupport } from "../components/cluster";

describe("validation rules", () => {
    describe("unknown keys", () => {
        it("accepts every key the program reads, and keys of other namespaces", () => {
            assert.deepStrictEqual(checkUnknownKeys([...knownKeys, "kubernetes:context", "pulumi:tags"]), []);
        });
        it("refuses a misspelt project key, naming the key it was probably meant to be", () => {
            const [p] = checkUnknownKeys(["agent-storage:inferenceReplica"]);
            assert.strictEqual(p.key, "agent-storage:inferenceReplica");
            assert.match(p.message, /not a key of this program.*did you mean agent-storage:inferenceReplicas\?/);
            assert.match(p.fix, /rename it to agent-storage:inferenceReplicas.*pulumi config rm agent-storage:inferenceReplica,/);
        });
        it("suggests the key whatever its case", () => {
            assert.match(checkUnknownKeys(["agent-storage:Namespace"])[0].message, /did you mean agent-storage:namespace\?/);
        });
        it("refuses a project key that resembles none without guessing", () => {
            const [p] = checkUnknownKeys(["agent-storage:gpu"]);
            assert.doesNotMatch(p.message, /did you mean/);
            assert.strictEqual(p.fix, "pulumi config rm agent-storage:gpu");
        });
        it("refuses every unknown key at once", () => {
            assert.deepStrictEqual(checkUnknownKeys(["agent-storage:imag", "agent-storage:replicas", "agent-storage:image"]).map((p) => p.key),
                ["agent-storage:imag", "agent-storage:replicas"]);
        });
        it("refuses a near miss of aws:region but leaves the AWS provider's own keys alone", () => {
            const [p] = checkUnknownKeys(["aws:regoin"]);
            assert.strictEqual(p.key, "aws:regoin");
            assert.match(p.message, /did you mean aws:region\?/);
            assert.ok(awsProviderKeys.includes("aws:profile") && awsProviderKeys.includes("aws:stsRegion"));
            assert.deepStrictEqual(checkUnknownKeys(awsProviderKeys), [], "aws:stsRegion is close to aws:region, and the provider's");
            assert.deepStrictEqual(checkUnknownKeys(["aws:somethingElse"]), [], "the provider checks its own keys");
        });
    });

    describe("target", () => {
        it("accepts kind, eks, existing and an unset target", () => {
            for (const t of ["kind", "eks", "existing", undefined]) assert.deepStrictEqual(checkTarget(t), []);
        });
        it("rejects an unknown target, naming the key and the known targets", () => {
            const [p] = checkTarget("gke");
            assert.strictEqual(p.key, "agent-storage:target");
            assert.match(p.message, /unknown target "gke".*kind, eks, existing/);
            assert.match(p.fix, /pulumi config set agent-storage:target kind/);
        });
    });

    describe("images", () => {
        it("refuses an image that is not a reference, naming the key, the reason and an example", () => {
            const [p] = checkImage("image", "Registry.example.com/Agent:1", "localhost/agent-storage/workload:0.1.0");
            assert.strictEqual(p.key, "agent-storage:image");
            assert.match(p.message, /"Registry.example.com\/Agent:1" is not an image reference: the repository "Agent" has upper-case letters/);
            assert.match(p.fix, /^pulumi config set agent-storage:image localhost\/agent-storage\/workload:0.1.0 /);
        });
        it("accepts an unset image and a reference", () => {
            assert.deepStrictEqual(checkImage("kindNodeImage", undefined, "x"), []);
            assert.deepStrictEqual(checkImage("kindNodeImage", "kindest/node:v1.34.0@sha256:" + "0".repeat(64), "x"), []);
        });
    });

    describe("replicas", () => {
        it("rejects zero, negative and fractional replica counts", () => {
            for (const n of [0, -3, 1.5]) {
                const [p] = checkReplicas("inferenceReplicas", n);
                assert.strictEqual(p.key, "agent-storage:inferenceReplicas", `for ${n}`);
            }
        });
        it("accepts one or more", () => {
            assert.deepStrictEqual(checkReplicas("inferenceReplicas", 1), []);
            assert.deepStrictEqual(checkReplicas("inferenceReplicas", 50), []);
        });
        it("refuses more readers than the program is made for", () => {
            assert.deepStrictEqual(checkReplicas("inferenceReplicas", 100), []);
            const [p] = checkReplicas("inferenceReplicas", 500);
            assert.match(p.message, /500 readers is more than the 100/);
            assert.match(p.fix, /pulumi config set agent-storage:inferenceReplicas 5 +\(1 to 100\)/);
        });
    });

    describe("query port", () => {
        it("accepts 0 (the API off), the unprivileged ports 1024 to 65535, and an unset value", () => {
            for (const n of [undefined, 0, 1024, 8080, 65535]) assert.deepStrictEqual(checkQueryPort(n), [], `for ${n}`);
        });
        it("refuses a privileged port, saying the non-root readers without capabilities cannot bind it", () => {
            for (const n of [1, 80, 1023]) {
                const [p] = checkQueryPort(n);
                assert.strictEqual(p.key, "agent-storage:queryPort", `for ${n}`);
                assert.match(p.message, new RegExp(`^${n} is below 1024: .*non-root user with every capability dropped, so they cannot bind a port under 1024`));
                assert.match(p.fix, /pulumi config set agent-storage:queryPort 8080 +\(or 0 to turn the query API off\)/);
            }
        });
        it("refuses negative, fractional and too large ports, giving the range", () => {
            for (const n of [-1, 8080.5, 65536]) {
                const [p] = checkQueryPort(n);
                assert.strictEqual(p.key, "agent-storage:queryPort", `for ${n}`);
                assert.match(p.message, new RegExp(`must be 0 \\(the query API off\\) or a whole number from 1024 to 65535 \\(got ${n}\\)`));
            }
        });
    });

    describe("kind workers", () => {
        it("accepts 0 to 10 workers and an unset value", () => {
            for (const n of [undefined, 0, 2, 10]) assert.deepStrictEqual(checkKindWorkers(n), [], `for ${n}`);
        });
        it("rejects negative, fractional and too many workers, naming the key and a fix", () => {
            for (const n of [-1, 1.5, 11]) {
                const [p] = checkKindWorkers(n);
                assert.strictEqual(p.key, "agent-storage:kindWorkers", `for ${n}`);
                assert.match(p.message, /from 0 to 10/);
                assert.match(p.fix, /pulumi config set agent-storage:kindWorkers 2/);
            }
        });
    });

    describe("sizes", () => {
        it("rejects strings that are not Kubernetes quantities", () => {
            for (const bad of ["5GB", "five", "-1Gi", "5 Gi", "", "Gi"]) {
                const [p] = checkStorageSize("embeddingsSize", bad);
                assert.strictEqual(p.key, "agent-storage:embeddingsSize", bad);
                assert.match(p.fix, /5Gi/);
            }
        });
        it("rejects a size too small for any provisioner, zero included", () => {
            for (const small of ["10Ki", "0", "0Gi", "1500m"]) assert.match(checkStorageSize("checkpointsSize", small)[0].message, /less than 1Mi/, small);
        });
    });

    describe("access modes", () => {
        it("rejects a name that is not an access mode", () => {
            assert.match(checkAccessModeName("embeddingsAccessMode", "RWX")[0].message, /not an access mode/);
        });
        it("rejects ReadOnlyMany and ReadWriteMany on local-path", () => {
            for (const mode of ["ReadOnlyMany", "ReadWriteMany"] as const) {
                const [p] = checkModeServedByClass("embeddingsAccessMode", mode, "standard", "rancher.io/local-path");
                assert.strictEqual(p.key, "agent-storage:embeddingsAccessMode");
                assert.match(p.message, new RegExp(`${mode} cannot be served by class "standard"`));
                assert.match(p.fix, /ReadWriteOnce/);
            }
        });
        it("rejects ReadOnlyMany and ReadWriteMany on EBS", () => {
            assert.strictEqual(checkModeServedByClass("k", "ReadOnlyMany", "gp3", "ebs.csi.aws.com").length, 1);
            assert.strictEqual(checkModeServedByClass("k", "ReadWriteMany", "gp3", "ebs.csi.aws.com").length, 1);
        });
        it("rejects ReadOnlyMany on EFS and explains to use read-only mounts", () => {
            const [p] = checkModeServedByClass("embeddingsAccessMode", "ReadOnlyMany", "efs", "efs.csi.aws.com");
            assert.match(p.message, /volume capability not supported/);
        });
        it("accepts what each class serves, and anything on an unknown provisioner", () => {
            assert.deepStrictEqual(checkModeServedByClass("k", "ReadWriteMany", "efs", "efs.csi.aws.com"), []);
            assert.deepStrictEqual(checkModeServedByClass("k", "ReadWriteOncePod", "gp3", "ebs.csi.aws.com"), []);
            assert.deepStrictEqual(checkModeServedByClass("k", "ReadOnlyMany", "nfs", "example.com/nfs"), []);
        });
    });

    describe("embeddings shared by a writer and readers", () => {
        it("refuses ReadWriteOncePod: only one pod could mount the claim, and the readers would stay Pending", () => {
            const [p] = checkEmbeddingsShared("ReadWriteOncePod", "shared", "agent-storage.dev/shared-path");
            assert.strictEqual(p.key, "agent-storage:embeddingsAccessMode");
            assert.match(p.message, /one pod.*readers would stay Pending/);
            assert.match(p.fix, /pulumi config set agent-storage:embeddingsAccessMode ReadWriteMany/);
        });
        it("suggests ReadWriteOnce where the class serves one node only", () => {
            assert.match(checkEmbeddingsShared("ReadWriteOncePod", "standard", "rancher.io/local-path")[0].fix, /embeddingsAccessMode ReadWriteOnce /);
            assert.match(checkEmbeddingsShared("ReadWriteOncePod", "agent-static", "kubernetes.io/no-provisioner")[0].fix, /embeddingsAccessMode ReadWriteOnce /);
        });
        it("refuses ReadOnlyMany: the generator writes the embeddings", () => {
            const [p] = checkEmbeddingsShared("ReadOnlyMany", "shared", "agent-storage.dev/shared-path");
            assert.strictEqual(p.key, "agent-storage:embeddingsAccessMode");
            assert.match(p.message, /generator writes/);
        });
        it("accepts ReadWriteOnce and ReadWriteMany", () => {
            assert.deepStrictEqual(checkEmbeddingsShared("ReadWriteMany", "efs", "efs.csi.aws.com"), []);
            assert.deepStrictEqual(checkEmbeddingsShared("ReadWriteOnce", "standard", "rancher.io/local-path"), []);
        });
    });

    describe("host paths", () => {
        const places = { projectDir: "/data/agent-storage", homeDir: "/home/user" };
        const dataDir = (written: string, resolved = written) => checkKindDataDir(written, resolved, places);

        it("refuses a static volume folder that is a system folder, inside one, or a folder of everything", () => {
            for (const bad of ["/", "/etc", "/etc/agent", "/usr/local/data", "/lib64/x", "/libexec", "/boot", "/dev/shm/x", "/proc/1",
                "/sys/fs", "/run/agent", "/var/lib/kubelet/pods", "/var/lib/docker", "/var/lib/containerd/x", "/root", "/home", "/home/", "/var", "/tmp"]) {
                const [p] = checkEmbeddingsHostPath(bad);
                assert.strictEqual(p?.key, "agent-storage:embeddingsHostPath", bad);
                assert.match(p.fix, /pulumi config set agent-storage:embeddingsHostPath \/var\/local\/agent-storage\/embeddings/);
            }
            assert.match(checkEmbeddingsHostPath("/etc/agent")[0].message, /inside \/etc, a folder of the operating system/);
            assert.match(checkEmbeddingsHostPath("/home")[0].message, /it is \/home itself/);
        });
        it("refuses a static volume folder with '..' in it, as Kubernetes does, and one in the provisioners' folders", () => {
            assert.match(checkEmbeddingsHostPath("/var/local/../data")[0].message, /Kubernetes refuses a hostPath with a '\.\.' element/);
            assert.match(checkEmbeddingsHostPath("/var/local-path-provisioner/x")[0].message, /local-path provisioners/);
            assert.strictEqual(checkEmbeddingsHostPath("/var/local-path-shared").length, 1);
        });
        it("accepts a folder of its own, and leaves relative paths to the absolute-path rule", () => {
            for (const ok of [undefined, "/var/local/agent-storage/embeddings", "/srv/agent/embeddings", "/home/user/embeddings", "/data", "relative"]) {
                assert.deepStrictEqual(checkEmbeddingsHostPath(ok), [], ok);
            }
        });
        it("refuses a kind data folder that is a system folder, the home or project folder, or a parent of them", () => {
            const cases: [string, string, RegExp][] = [
                ["/", "/", /it is \/ itself/],
                ["/etc/kind", "/etc/kind", /inside \/etc/],
                ["~", "/home/user", /your home folder/],
                [".", "/data/agent-storage", /the project folder itself/],
                ["/data", "/data", /a parent of the project folder/],
                ["/home/user/..", "/home", /it is \/home itself/],
                ["/var/lib/docker/kind", "/var/lib/docker/kind", /inside \/var\/lib\/docker/],
                [".pulumi-state/kind", "/data/agent-storage/.pulumi-state/kind", /inside \/data\/agent-storage\/.pulumi-state/],
            ];
            for (const [written, resolved, reason] of cases) {
                const [p] = dataDir(written, resolved);
                assert.strictEqual(p?.key, "agent-storage:kindDataDir", written);
                assert.match(p.message, reason, written);
                assert.match(p.message, /destroy with deleteDataOnDestroy removes its local-path, nodes, shared and static folders/);
                assert.match(p.fix, /pulumi config rm agent-storage:kindDataDir/);
            }
            assert.match(checkKindDataDir("/home/user/x", "/home/user/x", { projectDir: "/home/user/x/project", homeDir: "/home/user" })[0].message,
                /parent of the project folder/);
            assert.match(checkKindDataDir("/srv/u", "/srv/u", { projectDir: "/data/p", homeDir: "/srv/u/me" })[0].message, /parent of your home folder/);
        });
        it("refuses a kind data folder that climbs out with '..' after normalisation", () => {
            assert.match(dataDir("../kind-data", "/data/kind-data")[0].message, /climbs out of the project folder/);
            assert.match(dataDir("~/../other", "/home/other")[0].message, /climbs out of the home folder/);
            assert.deepStrictEqual(dataDir("data/../kind-data", "/data/agent-storage/kind-data"), [], "'..' that stays inside is only a detour");
        });
        it("accepts a folder of its own, in the project, the home folder or elsewhere", () => {
            assert.deepStrictEqual(checkKindDataDir(undefined, "/data/agent-storage/.kind-data/agent-storage", places), []);
            assert.deepStrictEqual(dataDir(".kind-data/mine", "/data/agent-storage/.kind-data/mine"), []);
            assert.deepStrictEqual(dataDir("~/agent-storage-data", "/home/user/agent-storage-data"), []);
            assert.deepStrictEqual(dataDir("/srv/kind"), []);
        });
    });

    describe("nodes of an existing cluster", () => {
        it("accepts a node count, 0 for not known, and an unset value", () => {
            for (const n of [undefined, 0, 1, 12]) assert.deepStrictEqual(checkExistingNodeCount(n), [], `for ${n}`);
            assert.strictEqual(checkExistingNodeCount(-1)[0].key, "agent-storage:existingNodeCount");
            assert.strictEqual(checkExistingNodeCount(2.5).length, 1);
            assert.match(checkExistingNodeCount(50000)[0].message, /0 to 5000, the most nodes a Kubernetes cluster supports/);
        });
        it("refuses a static host-path volume unless the existing cluster is said to have one node for the pods", () => {
            for (const count of [undefined, 3]) {
                const [p] = checkStaticVolumeOnOneNode("existing", "static-hostpath", count);
                assert.strictEqual(p.key, "agent-storage:embeddingsVolume, agent-storage:existingNodeCount", `for ${count}`);
                assert.match(p.message, /folder on one node/);
                assert.match(p.fix, /existingNodeCount 1.*config rm agent-storage:embeddingsVolume/);
            }
            assert.deepStrictEqual(checkStaticVolumeOnOneNode("existing", "static-hostpath", 1), []);
            assert.deepStrictEqual(checkStaticVolumeOnOneNode("existing", "dynamic", 3), []);
            assert.deepStrictEqual(checkStaticVolumeOnOneNode("kind", "static-hostpath", undefined), [], "kind pins the volume to its node instead");
        });
    });

    describe("EKS", () => {
        it("requires a region for an EKS stack only", () => {
            const [p] = checkRegion("eks", undefined);
            assert.strictEqual(p.key, "aws:region");
            assert.match(p.fix, /pulumi config set aws:region/);
            assert.deepStrictEqual(checkRegion("kind", undefined), []);
            assert.deepStrictEqual(checkRegion("eks", "eu-west-1"), []);
        });
        it("rejects two default StorageClasses, naming both keys", () => {
            const [p] = checkSingleDefaultClass([
                { name: "gp3", isDefault: true, defaultKey: "eksGp3Default" },
                { name: "efs", isDefault: true, defaultKey: "eksEfsDefault" },
            ]);
            assert.match(p.key, /agent-storage:eksGp3Default, agent-storage:eksEfsDefault/);
            assert.match(p.message, /"gp3" and "efs" would both be default/);
        });
        it("accepts one default or none", () => {
            assert.deepStrictEqual(checkSingleDefaultClass([{ name: "gp3", isDefault: true }, { name: "efs", isDefault: false }]), []);
            assert.deepStrictEqual(checkSingleDefaultClass([{ name: "gp3", isDefault: false }]), []);
        });
        it("needs two private subnets with an existing VPC, and a VPC for given subnets", () => {
            assert.strictEqual(checkEksNetwork("eks", "vpc-1", undefined, ["subnet-a"], undefined)[0].key, "agent-storage:eksPrivateSubnetIds");
            assert.strictEqual(checkEksNetwork("eks", undefined, ["subnet-a"], undefined, undefined)[0].key, "agent-storage:eksVpcId");
            assert.strictEqual(checkEksNetwork("eks", undefined, undefined, undefined, ["us-east-1a"])[0].key, "agent-storage:eksAvailabilityZones");
            assert.deepStrictEqual(checkEksNetwork("eks", "vpc-1", ["p1", "p2"], ["s1", "s2"], undefined), []);
        });
        it("refuses a subnet listed twice, or as both private and public", () => {
            const [p] = checkEksNetwork("eks", "vpc-1", undefined, ["s1", "s2", "s1"], undefined);
            assert.strictEqual(p.key, "agent-storage:eksPrivateSubnetIds");
            assert.match(p.message, /s1 is listed twice/);
            assert.strictEqual(checkEksNetwork("eks", "vpc-1", ["p1", "p1"], ["s1", "s2"], undefined)[0].key, "agent-storage:eksPublicSubnetIds");
            const [both] = checkEksNetwork("eks", "vpc-1", ["s2", "p1"], ["s1", "s2"], undefined);
            assert.strictEqual(both.key, "agent-storage:eksPrivateSubnetIds, agent-storage:eksPublicSubnetIds");
            assert.match(both.message, /s2 is in both lists/);
        });
        it("refuses zones listed twice, outside the region, or more than the subnet plan fits", () => {
            const [twice] = checkEksZones("eks", "eu-west-1", ["eu-west-1a", "eu-west-1a"]);
            assert.strictEqual(twice.key, "agent-storage:eksAvailabilityZones");
            assert.match(twice.message, /eu-west-1a is listed twice.*one mount target per zone/);
            assert.match(checkEksZones("eks", "eu-west-1", ["eu-west-1a", "us-east-1b"])[0].message, /us-east-1b is not in the stack's region eu-west-1/);
            const nine = "abcdefghi".split("").map((l) => `eu-west-1${l}`);
            assert.match(checkEksZones("eks", "eu-west-1", nine)[0].message, /^eu-west-1i is not a zone the subnet plan fits: .*letters a to h/);
            assert.match(checkEksZones("eks", "us-east-1", ["us-east-1a", "us-east-1-bos-1a"])[0].message, /^us-east-1-bos-1a is not a zone the subnet plan fits/);
            assert.deepStrictEqual(checkEksZones("eks", "eu-west-1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]), []);
            assert.deepStrictEqual(checkEksZones("kind", "eu-west-1", ["x", "x"]), []);
        });
        it("refuses the keys of a new VPC next to an existing VPC, where they would be ignored", () => {
            const problems = checkNewVpcKeysWithExistingVpc("eks", "vpc-1", ["eu-west-1a", "eu-west-1b"], "10.50.0.0/16");
            assert.deepStrictEqual(problems.map((p) => p.key),
                ["agent-storage:eksAvailabilityZones, agent-storage:eksVpcId", "agent-storage:eksVpcCidr, agent-storage:eksVpcId"]);
            assert.match(problems[0].message, /would be ignored/);
            assert.match(problems[1].fix, /pulumi config rm agent-storage:eksVpcCidr/);
            assert.deepStrictEqual(checkNewVpcKeysWithExistingVpc("eks", undefined, ["eu-west-1a", "eu-west-1b"], "10.50.0.0/16"), []);
        });
        it("refuses a VPC network that is not a /16 of real octets", () => {
            assert.strictEqual(checkVpcCidr("eks", "300.1.0.0/16")[0].key, "agent-storage:eksVpcCidr");
            assert.strictEqual(checkVpcCidr("eks", "10.40.0.0/20").length, 1);
            assert.deepStrictEqual(checkVpcCidr("eks", "10.255.0.0/16"), []);
        });
        it("refuses a node group whose maximum is below its size, which is also its minimum", () => {
            const [p] = checkEksNodeCounts(6, 4, 2);
            assert.strictEqual(p.key, "agent-storage:eksNodeMaxCount, agent-storage:eksNodeCount");
            assert.match(p.message, /maximum \(eksNodeMaxCount 4\) is below its size and minimum \(eksNodeCount 6\)/);
            assert.match(p.fix, /pulumi config set agent-storage:eksNodeMaxCount 6/);
            assert.strictEqual(checkEksNodeCounts(undefined, 1, 2).length, 1, "against the default size");
            assert.deepStrictEqual(checkEksNodeCounts(3, 3, 2), []);
            assert.deepStrictEqual(checkEksNodeCounts(6, undefined, 2), [], "an unset maximum follows the size");
        });
        it("refuses node counts that are not whole numbers of at least 1, saying what each count is", () => {
            assert.match(checkEksNodeCounts(0, undefined, 2)[0].message, /node group's size and minimum/);
            assert.strictEqual(checkEksNodeCounts(undefined, 2.5, 2)[0].key, "agent-storage:eksNodeMaxCount");
            assert.strictEqual(checkEksNodeCounts(undefined, 0, 2).length, 1, "one problem, not also the comparison");
        });
        it("tells Arm (Graviton) instance types from x86_64 ones", () => {
            for (const t of ["t4g.large", "m7g.xlarge", "c6gn.large", "r8gd.2xlarge", "x2gd.large", "im4gn.large", "is4gen.large", "g5g.xlarge", "a1.large"]) {
                assert.ok(isArmInstanceType(t), t);
            }
            for (const t of ["t3.large", "m7i.large", "m7i-flex.large", "g4dn.xlarge", "c5n.large", "p4d.24xlarge", "inf2.xlarge"]) {
                assert.ok(!isArmInstanceType(t), t);
            }
        });
        it("refuses an instance type of the other architecture than the node image, and one that is not a type", () => {
            const [p] = checkEksInstanceType("eks", "t4g.large");
            assert.strictEqual(p.key, "agent-storage:eksNodeInstanceType");
            assert.match(p.message, /Arm \(Graviton\) instance type, but the node group runs the x86_64/);
            assert.match(checkEksInstanceType("eks", "large")[0].message, /not an EC2 instance type/);
            assert.deepStrictEqual(checkEksInstanceType("eks", "m7i.large"), []);
        });
        it("refuses a Kubernetes version that is not major.minor", () => {
            for (const v of ["1.33.1", "v1.33", "latest"]) assert.strictEqual(checkEksVersion("eks", v)[0]?.key, "agent-storage:eksVersion", v);
            assert.deepStrictEqual(checkEksVersion("eks", Object.keys(eksStandardSupport)[0]), []);
        });
        it("refuses a Kubernetes version outside EKS standard support, naming the key and the supported versions", () => {
            const supported = { "1.34": "2026-12-02", "1.35": "2027-03-27" };
            const [old] = checkEksVersion("eks", "1.33", supported);
            assert.strictEqual(old.key, "agent-storage:eksVersion");
            assert.strictEqual(old.message, "1.33 is not in EKS standard support; the versions that are, as the program knows them: 1.34 (until 2026-12-02), 1.35 (until 2027-03-27)");
            assert.match(old.fix, /pulumi config set agent-storage:eksVersion 1\.35 /, "the newest");
            assert.strictEqual(checkEksVersion("eks", "1.36", supported).length, 1, "not yet released on EKS, as far as the table knows");
            assert.deepStrictEqual(checkEksVersion("eks", "1.35", supported), []);
            for (const v of Object.keys(eksStandardSupport)) assert.deepStrictEqual(checkEksVersion("eks", v), [], `${v}, from the program's own table`);
            assert.deepStrictEqual(checkEksVersion("kind", "1.10"), []);
        });
        it("reads IPv4 CIDRs as EKS takes them: a network address and a prefix up to 32", () => {
            for (const c of ["203.0.113.7/32", "198.51.100.0/24", "10.0.0.0/8", "0.0.0.0/0"]) assert.strictEqual(ipv4CidrProblem(c), undefined, c);
            for (const c of ["203.0.113.7", "203.0.113.7/33", "203.0.113/24", "2001:db8::/32", "x/8", "1.2.3.4/1/2", "256.1.1.0/24"]) {
                assert.match(ipv4CidrProblem(c) ?? "", /not an IPv4 CIDR/, c);
            }
            assert.strictEqual(ipv4CidrProblem("198.51.100.7/24"), "has host bits set; the network is 198.51.100.0/24");
        });
        it("refuses public endpoint CIDRs that are malformed, open to everyone, or listed twice", () => {
            assert.deepStrictEqual(checkPublicAccessCidrs("eks", ["203.0.113.7/32", "198.51.100.0/24"]), []);
            const [malformed] = checkPublicAccessCidrs("eks", ["203.0.113.7"]);
            assert.strictEqual(malformed.key, "agent-storage:eksPublicAccessCidrs");
            assert.match(malformed.message, /"203\.0\.113\.7" not an IPv4 CIDR/);
            assert.match(checkPublicAccessCidrs("eks", ["0.0.0.0/0"])[0].message, /0\.0\.0\.0\/0 opens the cluster's API endpoint to the whole internet/);
            assert.match(checkPublicAccessCidrs("eks", ["10.1.0.0/0"])[0].message, /host bits/, "a /0 that is not 0.0.0.0 is malformed first");
            assert.match(checkPublicAccessCidrs("eks", ["203.0.113.7/32", "203.0.113.7/32"])[0].message, /listed twice/);
            assert.deepStrictEqual(checkPublicAccessCidrs("kind", ["0.0.0.0/0"]), []);
        });
        it("refuses a cluster nobody could administer: no creator admin and no admin principals", () => {
            const [p] = checkClusterAdmins("eks", false, undefined);
            assert.strictEqual(p.key, "agent-storage:eksClusterCreatorAdmin, agent-storage:eksAdminPrincipalArns");
            assert.match(p.fix, /eksAdminPrincipalArns\[0\]/);
            assert.deepStrictEqual(checkClusterAdmins("eks", false, ["arn:aws:iam::111122223333:role/admin"]), []);
            assert.deepStrictEqual(checkClusterAdmins("eks", true, undefined), []);
        });
        it("refuses admin principals that are not IAM role or user ARNs, or are listed twice", () => {
            const role = "arn:aws:iam::111122223333:role/path/admin";
            assert.deepStrictEqual(checkAdminPrincipals("eks", [role, "arn:aws-us-gov:iam::111122223333:user/ops"]), []);
            assert.match(checkAdminPrincipals("eks", ["arn:aws:sts::111122223333:assumed-role/admin/me"])[0].message, /not the ARN of an IAM role or user/);
            assert.match(checkAdminPrincipals("eks", [role, role])[0].message, /listed twice; EKS allows one access entry per principal/);
        });
    });

    describe("other keys", () => {
        it("rejects a namespace that is not a DNS label", () => {
            assert.strictEqual(checkNamespace("Agent_Data")[0].key, "agent-storage:namespace");
            assert.deepStrictEqual(checkNamespace("agent-data"), []);
        });
        it("refuses the namespaces of Kubernetes and of the storage provisioners, saying whose they are", () => {
            for (const ns of ["kube-system", "kube-public", "kube-node-lease", "kube-anything", "default", "shared-path-storage", "local-path-storage"]) {
                const [p] = checkNamespace(ns);
                assert.strictEqual(p?.key, "agent-storage:namespace", ns);
                assert.match(p.message, new RegExp(`"${ns}" is not this program's to take: .*restricted`), ns);
                assert.match(p.fix, /pulumi config set agent-storage:namespace agent-data/);
            }
            assert.match(checkNamespace("shared-path-storage")[0].message, /shared-path provisioner/);
            assert.deepStrictEqual(checkNamespace("kubeflow-data"), [], "only the kube- prefix is Kubernetes'");
        });
        it("reads Go durations as the refresher does", () => {
            assert.strictEqual(parseDuration("1h30m"), 90 * 60e3);
            assert.strictEqual(parseDuration("1.5s"), 1500);
            assert.strictEqual(parseDuration("0"), 0);
            assert.strictEqual(parseDuration("250ms"), 250);
            assert.strictEqual(parseDuration("ten minutes"), undefined);
        });
        it("refuses no grace period, and one longer than a day, saying why", () => {
            for (const none of ["0", "0s", "0h0m"]) {
                const [p] = checkGracePeriod(none);
                assert.strictEqual(p?.key, "agent-storage:refreshGracePeriod", none);
                assert.match(p.message, /no grace at all: a replaced version could be deleted while a reader is still reading it/);
                assert.match(p.fix, /pulumi config set agent-storage:refreshGracePeriod 10m/);
            }
            assert.match(checkGracePeriod("25h")[0].message, /more than 24h/);
            assert.match(checkGracePeriod("1441m")[0].message, /more than 24h/);
            assert.match(checkGracePeriod("10 minutes")[0].message, /not a duration/);
            for (const ok of [undefined, "1s", "10m", "24h"]) assert.deepStrictEqual(checkGracePeriod(ok), [], ok);
        });
        it("checks durations and kept versions", () => {
            assert.deepStrictEqual(checkDuration("refreshGracePeriod", "1h30m"), []);
            assert.strictEqual(checkDuration("refreshGracePeriod", "10 minutes").length, 1);
            assert.strictEqual(checkKeepVersions(0).length, 1);
            assert.strictEqual(checkKeepVersions(101).length, 1);
            assert.deepStrictEqual(checkKeepVersions(3), []);
        });
        it("refuses a host-path volume on EKS and a relative host path", () => {
            assert.match(checkEmbeddingsVolume("eks", "static-hostpath", undefined)[0].message, /one node/);
            assert.strictEqual(checkEmbeddingsVolume("kind", "static-hostpath", "data/emb")[0].key, "agent-storage:embeddingsHostPath");
            assert.strictEqual(checkEmbeddingsVolume("kind", "nfs", undefined)[0].key, "agent-storage:embeddingsVolume");
            assert.deepStrictEqual(checkEmbeddingsVolume("kind", "static-hostpath", "/var/local/emb"), []);
        });
        it("requires a kubeconfig for the existing target", () => {
            assert.strictEqual(checkExistingCluster("existing", undefined)[0].key, "agent-storage:kubeconfig");
            assert.deepStrictEqual(checkExistingCluster("kind", undefined), []);
        });
    });

    it("formats every problem with its key and fix", () => {
        const text = formatProblems([...checkTarget("x"), ...checkReplicas("inferenceReplicas", 0)]);
        assert.match(text, /2 problems; nothing was created/);
        assert.match(text, /- agent-storage:target: .*\n {4}fix: /);
        assert.match(text, /- agent-storage:inferenceReplicas: /);
    });
});
