import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Json, valueOf, buildOnce, buildWithMocks, fixturesDir, MockCluster } from "./harness";
import { refresherContract } from "../components/workloads/refresherContract";

const kindType = "pulumi-nodejs:dynamic/agent-storage:KindCluster";
const claims = (c: MockCluster) => c.ofType("kubernetes:core/v1:PersistentVolumeClaim", { read: false });
const claimNamed = (c: MockCluster, name: string) => c.one("kubernetes:core/v1:PersistentVolumeClaim", (r) => r.inputs.metadata.name === name);
const deployment = (c: MockCluster, name: string) => c.one("kubernetes:apps/v1:Deployment", (r) => r.inputs.metadata.name === name);

describe("kind stack", () => {
    it("creates a kind cluster from a config that mounts the host data folder into the node", async () => {
        const { cluster, outputs } = await buildOnce({ target: "kind", kindClusterName: "demo" });
        const kind = cluster.one(kindType);
        assert.strictEqual(kind.inputs.name, "demo");
        assert.match(kind.inputs.config, /hostPath: "\/project\/\.kind-data\/demo\/local-path"\n\s+containerPath: "\/var\/local-path-provisioner"/);
        assert.deepStrictEqual(kind.inputs.images, ["localhost/agent-storage/workload:0.1.0"]);
        assert.deepStrictEqual(await valueOf(outputs.cluster), {
            name: "demo", nodes: ["demo-control-plane", "demo-worker", "demo-worker2"], kindConfig: kind.inputs.config,
        });
    });

    it("creates a control plane and two workers by default, each with its own local-path folder and the one shared folder", async () => {
        const { cluster } = await buildOnce({ target: "kind", kindClusterName: "demo" });
        const kind = cluster.one(kindType);
        assert.deepStrictEqual(kind.inputs.config.match(/role: \S+/g), ["role: control-plane", "role: worker", "role: worker"]);
        assert.deepStrictEqual(kind.inputs.hostDirs.sort(), [
            "/project/.kind-data/demo/local-path", "/project/.kind-data/demo/nodes/worker/local-path",
            "/project/.kind-data/demo/nodes/worker2/local-path", "/project/.kind-data/demo/shared",
        ]);
        assert.strictEqual(kind.inputs.config.match(/containerPath: "\/var\/local-path-shared"/g)!.length, 3);
    });

    it("is found by scripts/stack under the type the program registers, to notice a cluster deleted outside Pulumi", async () => {
        const { cluster } = await buildOnce({ target: "kind" });
        assert.strictEqual(cluster.ofType(kindType).length, 1);
        const script = fs.readFileSync(path.join(__dirname, "..", "scripts", "stack"), "utf8");
        assert.ok(script.includes(`x.type === "${kindType}"`), "scripts/stack names the KindCluster type as the program registers it");
    });

    it("gives the cluster the local ID of each image it loads, so a rebuilt image is loaded again", async () => {
        const { cluster } = await buildOnce({ target: "kind" });
        const kind = cluster.one(kindType).inputs;
        assert.deepStrictEqual(Object.keys(kind.imageIds), kind.images);
    });

    it("creates a single node when kindWorkers is 0", async () => {
        const { cluster } = await buildOnce({ target: "kind", kindWorkers: 0 });
        assert.deepStrictEqual(cluster.one(kindType).inputs.config.match(/role: \S+/g), ["role: control-plane"]);
    });

    it("hands every Kubernetes resource a provider built from the kind cluster's own kubeconfig", async () => {
        const { cluster } = await buildOnce({ target: "kind" });
        const provider = cluster.one("pulumi:providers:kubernetes");
        assert.match(provider.inputs.kubeconfig, /# kind agent-storage/);
        // Read back by the cluster's id, not taken from the cluster's outputs: those are
        // unknown in the preview of any update of the cluster, which would preview every
        // object in it (the data claims too) as replaced.
        const reads = cluster.ofType("pulumi-nodejs:dynamic/agent-storage:KindKubeconfig", { read: true });
        assert.deepStrictEqual(reads.map((r) => r.id), [cluster.one(kindType).inputs.name]);
        const k8sResources = cluster.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
        assert.ok(k8sResources.length >= 5);
        for (const r of k8sResources) assert.strictEqual(r.provider, "kind-k8s", `${r.type} ${r.name}`);
    });

    it("binds the lesson's static host-path volume to the embeddings claim with claimRef", async () => {
        const { cluster } = await buildOnce({ target: "kind", embeddingsVolume: "static-hostpath" });
        const pv = cluster.one("kubernetes:core/v1:PersistentVolume");
        const claim = claimNamed(cluster, "embeddings");
        assert.deepStrictEqual(pv.inputs.spec.claimRef, { namespace: "agent-data", name: "embeddings" });
        assert.strictEqual(pv.inputs.spec.storageClassName, "agent-static");
        assert.strictEqual(pv.inputs.spec.persistentVolumeReclaimPolicy, "Retain");
        assert.strictEqual(claim.inputs.spec.storageClassName, "agent-static");
        assert.strictEqual(claim.inputs.spec.volumeName, pv.inputs.metadata.name);
        assert.strictEqual(cluster.one("kubernetes:storage.k8s.io/v1:StorageClass", (c) => c.inputs.metadata.name === "agent-static").inputs.provisioner,
            "kubernetes.io/no-provisioner");
        const kind = cluster.one(kindType);
        assert.match(kind.inputs.config, /containerPath: "\/var\/local\/agent-storage\/embeddings"/);
    });

    it("pins the static volume to the one node whose container mounts its folder, when there are several nodes", async () => {
        const { cluster } = await buildOnce({ target: "kind", embeddingsVolume: "static-hostpath" });
        const pv = cluster.one("kubernetes:core/v1:PersistentVolume");
        assert.deepStrictEqual(pv.inputs.spec.nodeAffinity.required.nodeSelectorTerms,
            [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["agent-storage-worker"] }] }]);
        const config = cluster.one(kindType).inputs.config as string;
        const nodeBlocks = config.split(/\n {2}- role: /).slice(1);
        assert.deepStrictEqual(nodeBlocks.map((b) => b.includes('containerPath: "/var/local/agent-storage/embeddings"')), [false, true, false],
            "only the first worker (agent-storage-worker) mounts the static folder");
    });

    it("hands the static host-path folder to the workload's uid, since a hostPath volume gets no fsGroup", async () => {
        const { cluster } = await buildOnce({ embeddingsVolume: "static-hostpath", embeddingsHostPath: "/srv/embeddings" });
        const kind = cluster.one(kindType);
        assert.deepStrictEqual(kind.inputs.workloadDirs, [path.join("/project/.kind-data/agent-storage", "static", "srv_embeddings")]);
        assert.strictEqual(kind.inputs.workloadUid, 65532);
    });

    it("leaves the static volume unpinned on a single-node cluster", async () => {
        const { cluster } = await buildOnce({ target: "kind", kindWorkers: 0, embeddingsVolume: "static-hostpath" });
        assert.strictEqual(cluster.one("kubernetes:core/v1:PersistentVolume").inputs.spec.nodeAffinity, undefined);
    });
});

describe("existing-cluster stack", () => {
    it("uses the kubeconfig file and context named in config", async () => {
        const { cluster, outputs } = await buildOnce({ target: "existing", kubeconfig: path.join(fixturesDir, "kubeconfig"), kubeContext: "ctx" });
        const provider = cluster.one("pulumi:providers:kubernetes");
        assert.match(provider.inputs.kubeconfig, /kind: Config/);
        assert.strictEqual(provider.inputs.context, "ctx");
        assert.match(await valueOf(outputs.kubeconfig), /kind: Config/);
        assert.deepStrictEqual(await valueOf(outputs.cluster), { kubeconfigPath: path.join(fixturesDir, "kubeconfig"), kubeContext: "ctx" });
        assert.strictEqual(cluster.ofType(kindType).length, 0);
    });

    it("fails before creating anything when the kubeconfig cannot be read, naming the key", async () => {
        await assert.rejects(buildWithMocks({ target: "existing", kubeconfig: "/nonexistent/kubeconfig" }),
            /agent-storage:kubeconfig: cannot read \/nonexistent\/kubeconfig \(ENOENT\)/);
    });

    it("creates nothing at all when the configuration is invalid", async () => {
        const cluster = new MockCluster();
        await assert.rejects(buildWithMocks({ target: "kind", checkpointsAccessMode: "ReadOnlyMany" }, undefined, cluster),
            /checkpointsAccessMode: ReadOnlyMany: the checkpoints are the generator's alone/);
        assert.deepStrictEqual(cluster.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type), []);
    });
});

describe("EKS stack", function () {
    // Each test builds a whole EKS stack against the mocks, which takes seconds on a busy machine.
    this.timeout(60_000);
    const eks = { target: "eks", awsRegion: "us-east-1", eksAdminPrincipalArns: ["arn:aws:iam::111122223333:role/admin"] };

    it("builds a VPC with public and private subnets in two zones and nodes in the private ones", async () => {
        const { cluster } = await buildOnce(eks);
        const subnets = cluster.ofType("aws:ec2/subnet:Subnet");
        assert.deepStrictEqual(subnets.map((s) => s.inputs.availabilityZone).sort(), ["us-east-1a", "us-east-1a", "us-east-1b", "us-east-1b"]);
        const nodeGroup = cluster.one("aws:eks/nodeGroup:NodeGroup");
        const privateIds = subnets.filter((s) => s.inputs.mapPublicIpOnLaunch !== true).map((s) => `${s.name}-id`).sort();
        assert.deepStrictEqual([...nodeGroup.inputs.subnetIds].sort(), privateIds);
    });

    it("uses access entries for cluster admins", async () => {
        const { cluster } = await buildOnce(eks);
        assert.strictEqual(cluster.one("aws:eks/cluster:Cluster").inputs.accessConfig.authenticationMode, "API");
        assert.strictEqual(cluster.one("aws:eks/accessEntry:AccessEntry").inputs.principalArn, "arn:aws:iam::111122223333:role/admin");
        assert.match(cluster.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").inputs.policyArn, /AmazonEKSClusterAdminPolicy/);
    });

    it("gives the EBS and EFS drivers Pod Identity roles for exactly their service accounts", async () => {
        const { cluster } = await buildOnce(eks);
        const addons = cluster.ofType("aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort();
        assert.deepStrictEqual(addons, ["aws-ebs-csi-driver", "aws-efs-csi-driver", "eks-pod-identity-agent"]);
        const associations = cluster.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => `${a.inputs.namespace}/${a.inputs.serviceAccount}`).sort();
        assert.deepStrictEqual(associations, ["kube-system/ebs-csi-controller-sa", "kube-system/efs-csi-controller-sa", "kube-system/efs-csi-node-sa"]);
        const policies = cluster.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn);
        assert.ok(policies.some((p) => p.endsWith("AmazonEBSCSIDriverPolicy")));
        assert.ok(policies.some((p) => p.endsWith("AmazonEFSCSIDriverPolicy")));
        const trust = cluster.ofType("aws:iam/role:Role").map((r) => JSON.parse(r.inputs.assumeRolePolicy));
        assert.ok(trust.some((t) => t.Statement[0].Principal.Service === "pods.eks.amazonaws.com"));
    });

    it("creates one default gp3 class (encrypted, ext4, WaitForFirstConsumer, expandable) and a non-default efs-ap class", async () => {
        const { cluster } = await buildOnce(eks);
        const classes = cluster.ofType("kubernetes:storage.k8s.io/v1:StorageClass");
        const gp3 = classes.find((c) => c.inputs.metadata.name === "gp3")!;
        const efs = classes.find((c) => c.inputs.metadata.name === "efs")!;
        assert.deepStrictEqual(gp3.inputs.parameters, { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" });
        assert.strictEqual(gp3.inputs.volumeBindingMode, "WaitForFirstConsumer");
        assert.strictEqual(gp3.inputs.allowVolumeExpansion, true);
        assert.strictEqual(efs.inputs.parameters.provisioningMode, "efs-ap");
        const defaults = classes.filter((c) => c.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"] === "true");
        assert.deepStrictEqual(defaults.map((c) => c.inputs.metadata.name), ["gp3"]);
    });

    it("encrypts EFS, mounts it in every private subnet, and admits NFS only from the nodes", async () => {
        const { cluster } = await buildOnce(eks);
        assert.strictEqual(cluster.one("aws:efs/fileSystem:FileSystem").inputs.encrypted, true);
        assert.strictEqual(cluster.ofType("aws:efs/mountTarget:MountTarget").length, 2);
        const sg = cluster.one("aws:ec2/securityGroup:SecurityGroup");
        assert.deepStrictEqual(sg.inputs.ingress.map((r: Json) => [r.protocol, r.fromPort, r.toPort, r.securityGroups, r.cidrBlocks]),
            [["tcp", 2049, 2049, ["sg-cluster"], undefined]]);
    });

    it("puts the shared embeddings on efs (ReadWriteMany) and checkpoints on gp3 (ReadWriteOncePod)", async () => {
        const { cluster } = await buildOnce(eks);
        assert.deepStrictEqual(claimNamed(cluster, "embeddings").inputs.spec.accessModes, ["ReadWriteMany"]);
        assert.strictEqual(claimNamed(cluster, "embeddings").inputs.spec.storageClassName, "efs");
        assert.deepStrictEqual(claimNamed(cluster, "checkpoints").inputs.spec.accessModes, ["ReadWriteOncePod"]);
        assert.strictEqual(claimNamed(cluster, "checkpoints").inputs.spec.storageClassName, "gp3");
    });

    it("exports a kubeconfig that authenticates with aws eks get-token", async () => {
        const { outputs } = await buildOnce(eks);
        const kubeconfig = JSON.parse(await valueOf(outputs.kubeconfig));
        assert.deepStrictEqual(kubeconfig.users[0].user.exec.args.slice(0, 5), ["eks", "get-token", "--cluster-name", "agent-storage", "--region"]);
        assert.strictEqual(kubeconfig.clusters[0].cluster.server, "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com");
    });

    it("exports the cluster name and the EFS file system id in its cluster output, and nothing kind-specific", async () => {
        const { outputs } = await buildOnce(eks);
        const details = await valueOf(outputs.cluster);
        assert.deepStrictEqual(Object.keys(details).sort(), ["efsFileSystemId", "name"]);
        assert.strictEqual(details.name, "agent-storage");
        assert.match(details.efsFileSystemId ?? "", /\S/);
    });

    it("uses an existing VPC's subnets instead of creating a network", async () => {
        const { cluster } = await buildOnce({ ...eks, eksVpcId: "vpc-1", eksPublicSubnetIds: ["pub-1", "pub-2"], eksPrivateSubnetIds: ["priv-1", "priv-2", "priv-3"] });
        assert.strictEqual(cluster.ofType("aws:ec2/vpc:Vpc").length, 0);
        assert.deepStrictEqual(cluster.one("aws:eks/nodeGroup:NodeGroup").inputs.subnetIds, ["priv-1", "priv-2", "priv-3"]);
        assert.deepStrictEqual(cluster.ofType("aws:efs/mountTarget:MountTarget").map((m) => m.inputs.subnetId), ["priv-1", "priv-2", "priv-3"]);
    });
});

describe("namespace and claims", () => {
    it("enforces the restricted Pod Security Standard on the namespace", async () => {
        const { cluster } = await buildOnce({});
        const ns = cluster.one("kubernetes:core/v1:Namespace", (r) => r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"] === "restricted");
        assert.strictEqual(ns.inputs.metadata.name, "agent-data");
        assert.strictEqual(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("names the storage class on every claim and labels it as data with its role", async () => {
        const { cluster } = await buildOnce({ embeddingsSize: "3Gi" });
        assert.strictEqual(claimNamed(cluster, "embeddings").inputs.spec.storageClassName, "shared");
        assert.strictEqual(claimNamed(cluster, "checkpoints").inputs.spec.storageClassName, "shared");
        for (const c of claims(cluster)) {
            assert.strictEqual(c.inputs.metadata.labels["agent-storage.io/data"], "true");
            assert.strictEqual(c.inputs.metadata.labels["agent-storage.io/role"], c.inputs.metadata.name);
        }
        assert.strictEqual(claimNamed(cluster, "embeddings").inputs.spec.resources.requests.storage, "3Gi");
    });
});

describe("workloads", () => {
    it("runs one embeddings-generator that mounts embeddings and checkpoints read-write with the lesson's paths", async () => {
        const { cluster } = await buildOnce({});
        const gen = deployment(cluster, "embeddings-generator").inputs.spec;
        assert.strictEqual(gen.replicas, 1);
        assert.strictEqual(gen.strategy.type, "Recreate");
        const container = gen.template.spec.containers[0];
        const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
        assert.strictEqual(env.EMBEDDINGS_PATH, "/data/embeddings");
        assert.strictEqual(env.CHECKPOINTS_PATH, "/data/checkpoints");
        assert.ok(container.volumeMounts.every((m: Json) => m.readOnly !== true));
        assert.deepStrictEqual(gen.template.spec.volumes.filter((v: Json) => v.persistentVolumeClaim).map((v: Json) => v.persistentVolumeClaim),
            [{ claimName: "embeddings" }, { claimName: "checkpoints" }]);
    });

    it("runs N inference pods that mount the embeddings read-only at the volume and the mount", async () => {
        const { cluster } = await buildOnce({ inferenceReplicas: 7 });
        const inf = deployment(cluster, "inference").inputs.spec;
        assert.strictEqual(inf.replicas, 7);
        const volume = inf.template.spec.volumes.find((v: Json) => v.persistentVolumeClaim);
        assert.deepStrictEqual(volume.persistentVolumeClaim, { claimName: "embeddings", readOnly: true });
        const mount = inf.template.spec.containers[0].volumeMounts.find((m: Json) => m.name === volume.name);
        assert.strictEqual(mount.readOnly, true);
    });

    it("starts the readers with the writer, not after it, and holds them back by their probe until a version is loaded", async () => {
        const { cluster } = await buildOnce({});
        const component = (type: string) => {
            const found = cluster.resources.filter((r) => r.type === type);
            assert.strictEqual(found.length, 1, type);
            return found[0];
        };
        const readers = component("agent-storage:workloads:InferencePool");
        const writer = component("agent-storage:workloads:EmbeddingsGenerator");
        const volumes = component("agent-storage:storage:DataVolumes");
        assert.ok(readers.dependsOn.includes(volumes.name), `readers wait for the claims: ${readers.dependsOn.join(", ")}`);
        assert.ok(!readers.dependsOn.includes(writer.name), `readers do not wait for the writer: ${readers.dependsOn.join(", ")}`);
        const probe = deployment(cluster, "inference").inputs.spec.template.spec.containers[0].readinessProbe;
        assert.strictEqual(probe.httpGet.path, refresherContract.queryApi.paths.readyz);
        const writerProbe = deployment(cluster, "embeddings-generator").inputs.spec.template.spec.containers[0].readinessProbe;
        assert.ok(writerProbe.periodSeconds <= 2, `the writer's cheap probe runs often: every ${writerProbe.periodSeconds}s`);
    });

    it("gives inference nothing writable but an emptyDir", async () => {
        const { cluster } = await buildOnce({});
        const spec = deployment(cluster, "inference").inputs.spec.template.spec;
        const volumes = Object.fromEntries(spec.volumes.map((v: Json) => [v.name, v]));
        const writable = spec.containers[0].volumeMounts.filter((m: Json) => m.readOnly !== true);
        assert.ok(writable.length > 0);
        for (const m of writable) assert.ok(volumes[m.name].emptyDir, `${m.name} is writable but not an emptyDir`);
        assert.strictEqual(spec.containers[0].securityContext.readOnlyRootFilesystem, true);
    });

    it("runs every container non-root, without privilege escalation, read-only, capabilities dropped, RuntimeDefault seccomp, with requests and limits", async () => {
        const { cluster } = await buildOnce({});
        for (const d of cluster.ofType("kubernetes:apps/v1:Deployment", { read: false })) {
            const pod = d.inputs.spec.template.spec;
            assert.strictEqual(pod.securityContext.runAsNonRoot, true);
            assert.strictEqual(pod.securityContext.seccompProfile.type, "RuntimeDefault");
            for (const c of pod.containers) {
                assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false, d.name);
                assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, d.name);
                assert.deepStrictEqual(c.securityContext.capabilities.drop, ["ALL"], d.name);
                assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory, d.name);
                assert.strictEqual(c.imagePullPolicy, "IfNotPresent");
            }
        }
    });

    it("uses the configured image", async () => {
        const { cluster } = await buildOnce({ image: "registry.example/agent:2" });
        for (const name of ["embeddings-generator", "inference"]) {
            assert.strictEqual(deployment(cluster, name).inputs.spec.template.spec.containers[0].image, "registry.example/agent:2");
        }
    });
});

describe("placement over nodes", () => {
    const podSpec = (c: MockCluster, name: string) => deployment(c, name).inputs.spec.template.spec;

    it("spreads the readers over kind's workers, honouring taints, and leaves the generator unpinned", async () => {
        const { cluster, outputs } = await buildOnce({});
        const [spread] = podSpec(cluster, "inference").topologySpreadConstraints;
        assert.deepStrictEqual([spread.topologyKey, spread.maxSkew, spread.whenUnsatisfiable, spread.nodeTaintsPolicy, spread.nodeAffinityPolicy],
            ["kubernetes.io/hostname", 1, "ScheduleAnyway", "Honor", "Honor"]);
        assert.strictEqual(podSpec(cluster, "inference").affinity, undefined);
        const gen = podSpec(cluster, "embeddings-generator");
        assert.deepStrictEqual([gen.affinity, gen.nodeSelector, gen.nodeName, gen.topologySpreadConstraints], [undefined, undefined, undefined, undefined]);
        assert.strictEqual((await valueOf(outputs.readerPlacement)).readers, "spread");
    });

    it("co-locates every pod that mounts ReadWriteOnce embeddings, without a spread, and says so in readerPlacement", async () => {
        const { cluster, outputs } = await buildOnce({ embeddingsAccessMode: "ReadWriteOnce" });
        for (const name of ["inference", "embeddings-generator"]) {
            const [term] = podSpec(cluster, name).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.strictEqual(term.topologyKey, "kubernetes.io/hostname", name);
            assert.deepStrictEqual(term.labelSelector.matchExpressions[0].values, ["embeddings-generator", "inference"], name);
        }
        assert.strictEqual(podSpec(cluster, "inference").topologySpreadConstraints, undefined);
        const placement = await valueOf(outputs.readerPlacement);
        assert.strictEqual(placement.readers, "with-writer");
        assert.match(placement.reason, /ReadWriteOnce on class "shared"/);
    });

    it("adds no placement rules on a single-node kind cluster", async () => {
        const { cluster } = await buildOnce({ kindWorkers: 0 });
        for (const name of ["inference", "embeddings-generator"]) {
            assert.deepStrictEqual([podSpec(cluster, name).affinity, podSpec(cluster, name).topologySpreadConstraints], [undefined, undefined], name);
        }
    });

    it("keeps the readers with the writer on the static volume's node", async () => {
        const { cluster } = await buildOnce({ target: "kind", embeddingsVolume: "static-hostpath" });
        assert.ok(podSpec(cluster, "inference").affinity.podAffinity);
        assert.strictEqual(podSpec(cluster, "inference").topologySpreadConstraints, undefined);
    });

    it("spreads the readers over EKS nodes", async () => {
        const { cluster } = await buildOnce({ target: "eks", awsRegion: "us-east-1", eksAdminPrincipalArns: ["arn:aws:iam::111122223333:role/admin"] });
        assert.strictEqual(podSpec(cluster, "inference").topologySpreadConstraints.length, 1);
    });
});

describe("generator API access", () => {
    it("lets only the generator publish, and only to its status ConfigMap", async () => {
        const { cluster } = await buildOnce({});
        const role = cluster.one("kubernetes:rbac.authorization.k8s.io/v1:Role", (r) => r.inputs.metadata.namespace === "agent-data");
        const named = role.inputs.rules.filter((r: Json) => r.resourceNames);
        assert.deepStrictEqual(named, [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["embeddings-status"], verbs: ["get", "update", "patch"] }]);
        assert.ok(role.inputs.rules.every((r: Json) => r.resources.length === 1 && r.resources[0] === "configmaps"));
        const gen = deployment(cluster, "embeddings-generator").inputs.spec.template.spec;
        const inf = deployment(cluster, "inference").inputs.spec.template.spec;
        assert.strictEqual(gen.serviceAccountName, "embeddings-generator");
        assert.strictEqual(inf.automountServiceAccountToken, false, "readers get no API token");
        assert.strictEqual(inf.serviceAccountName, undefined);
    });
});

describe("program loading", function () {
    this.timeout(60_000);
    it("loads neither the EKS components nor the AWS SDK's resources for the kind and existing targets", () => {
        const probe = 'require("./stacks"); console.log(JSON.stringify(Object.keys(require.cache)))';
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", probe], { cwd: path.join(__dirname, ".."), encoding: "utf8" });
        assert.strictEqual(run.status, 0, run.stderr);
        const loaded: string[] = JSON.parse(run.stdout);
        assert.ok(loaded.some((f) => f.endsWith(path.join("stacks", "kind.ts"))), "the probe loaded the program");
        const eks = loaded.filter((f) => /components\/(cluster|storage)\/eks(Cluster|Network|Kubeconfig|Storage)\.ts$|stacks\/eks\.ts$|@pulumi\/aws\/index\.js$/.test(f));
        assert.deepStrictEqual(eks, []);
    });
});
