import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { sharedPathDir } from "../components/cluster";
import { sharedPathProvisioner } from "../components/storage";
import { refresherContract } from "../components/workloads/refresherContract";
import { defaults } from "../stacks";
import { Json, MockCluster, Recorded, buildOnce } from "./harness";

const ns = "shared-path-storage";
const inNamespace = (c: MockCluster, type: string) => c.one(type, (r) => r.inputs.metadata.namespace === ns);
const sharedClass = (c: MockCluster) => c.one("kubernetes:storage.k8s.io/v1:StorageClass", (r) => r.inputs.metadata.name === "shared");
const rulesOf = (r: Recorded) => r.inputs.rules.map((rule: Json) => `${rule.apiGroups.join(",") || "core"}/${rule.resources.join(",")}: ${rule.verbs.join(",")}`);

describe("kind shared storage (KindSharedStorage)", () => {
    it("runs in its own privileged namespace, since its helper pods mount host folders as root", async () => {
        const { cluster } = await buildOnce({});
        const namespace = cluster.one("kubernetes:core/v1:Namespace", (r) => r.inputs.metadata.name === ns);
        assert.strictEqual(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    });

    it("configures local-path-provisioner in shared-file-system mode on the folder every node mounts", async () => {
        const { cluster } = await buildOnce({});
        const config = inNamespace(cluster, "kubernetes:core/v1:ConfigMap");
        assert.strictEqual(config.inputs.metadata.name, "shared-path-config");
        assert.deepStrictEqual(JSON.parse(config.inputs.data["config.json"]), { nodePathMap: [], sharedFileSystemPath: sharedPathDir });
        assert.strictEqual(sharedPathDir, "/var/local-path-shared");
        assert.match(config.inputs.data.setup, /^#!\/bin\/sh\n[\s\S]*mkdir -m 0777 -p "\$VOL_DIR"\n$/);
        assert.match(config.inputs.data.teardown, /^#!\/bin\/sh\n[\s\S]*rm -rf "\$VOL_DIR"\n$/);
    });

    it("runs its helper pods as root from the workload image, never pulling it", async () => {
        const { cluster } = await buildOnce({ image: "registry.example/agent:2" });
        const helper = yaml.load(inNamespace(cluster, "kubernetes:core/v1:ConfigMap").inputs.data["helperPod.yaml"]) as Json;
        assert.strictEqual(helper.kind, "Pod");
        assert.strictEqual(helper.spec.securityContext.runAsUser, 0);
        assert.deepStrictEqual([helper.spec.containers[0].image, helper.spec.containers[0].imagePullPolicy], ["registry.example/agent:2", "IfNotPresent"]);
        const command = inNamespace(cluster, "kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0].command;
        assert.strictEqual(command[command.indexOf("--helper-image") + 1], "registry.example/agent:2");
    });

    it("may manage volumes, claims (and their status, for the resizer), events, leases and endpoints cluster-wide, and pods and its ConfigMap only in its namespace", async () => {
        const { cluster } = await buildOnce({});
        assert.deepStrictEqual(rulesOf(cluster.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")), [
            "core/nodes: get,list,watch",
            "core/persistentvolumes: get,list,watch,create,patch,update,delete",
            "core/persistentvolumeclaims: get,list,watch,update",
            "core/persistentvolumeclaims/status: patch",
            "core/events: create,patch",
            "storage.k8s.io/storageclasses: get,list,watch",
            "core/endpoints: get,list,watch,create,update,patch",
            "coordination.k8s.io/leases: get,list,watch,create,update,patch",
        ]);
        assert.deepStrictEqual(rulesOf(inNamespace(cluster, "kubernetes:rbac.authorization.k8s.io/v1:Role")), [
            "core/pods: create,get,list,watch,delete",
            "core/pods/log: get",
            "core/configmaps: get,list,watch",
        ]);
        const subjects = [
            cluster.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").inputs.subjects,
            inNamespace(cluster, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs.subjects,
        ];
        for (const s of subjects) assert.deepStrictEqual(s, [{ kind: "ServiceAccount", name: "shared-path-provisioner", namespace: ns }]);
    });

    it("runs one provisioner under its own name, allowed onto the tainted control plane", async () => {
        const { cluster } = await buildOnce({});
        const spec = inNamespace(cluster, "kubernetes:apps/v1:Deployment").inputs.spec;
        assert.strictEqual(spec.replicas, 1);
        const pod = spec.template.spec;
        const container = pod.containers[0];
        assert.strictEqual(container.image, "docker.io/rancher/local-path-provisioner:v0.0.30");
        assert.strictEqual(container.imagePullPolicy, "IfNotPresent");
        assert.deepStrictEqual(container.command, [
            "local-path-provisioner", "--debug", "start", "--config", "/etc/config/config.json",
            "--provisioner-name", "agent-storage.dev/shared-path", "--configmap-name", "shared-path-config",
            "--service-account-name", "shared-path-provisioner", "--helper-image", "localhost/agent-storage/workload:0.1.0",
        ]);
        assert.deepStrictEqual(container.env.find((e: Json) => e.name === "POD_NAMESPACE").valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
        assert.deepStrictEqual(pod.volumes, [{ name: "config-volume", configMap: { name: "shared-path-config" } }]);
        assert.ok(pod.tolerations.some((t: Json) => t.key === "node-role.kubernetes.io/control-plane" && t.operator === "Exists"));
        assert.strictEqual(pod.serviceAccountName, "shared-path-provisioner");
    });

    it("runs the resizer beside the provisioner: the refresher's expand-volumes for this provisioner, from the workload image", async () => {
        const { cluster } = await buildOnce({ image: "registry.example/agent:2" });
        const pod = inNamespace(cluster, "kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const resizer = pod.containers.find((c: Json) => c.name === "resizer");
        assert.ok(resizer, "a resizer container");
        assert.deepStrictEqual([resizer.image, resizer.imagePullPolicy], ["registry.example/agent:2", "IfNotPresent"]);
        const { binary, subcommands, flags } = refresherContract;
        assert.deepStrictEqual(resizer.command, [binary, subcommands.expandVolumes, flags.provisioner, sharedPathProvisioner]);
        assert.deepStrictEqual(resizer.command, ["refresher", "expand-volumes", "--provisioner", "agent-storage.dev/shared-path"]);
        assert.strictEqual(resizer.securityContext.allowPrivilegeEscalation, false);
        assert.strictEqual(resizer.volumeMounts, undefined, "it only talks to the API server");
    });

    it("offers the class `shared`: bound at once, never deleting data, expanding (the resizer records the size), not the default", async () => {
        const { cluster } = await buildOnce({});
        const sc = sharedClass(cluster).inputs;
        assert.strictEqual(sc.provisioner, sharedPathProvisioner);
        assert.strictEqual(sc.volumeBindingMode, "Immediate");
        assert.strictEqual(sc.reclaimPolicy, "Retain");
        assert.strictEqual(sc.allowVolumeExpansion, true);
        assert.strictEqual(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "false");
    });

    it("names each claim's folder <namespace>/<claim>, so a new cluster's claim of the same name finds the kept bytes", async () => {
        const { cluster } = await buildOnce({});
        assert.deepStrictEqual(sharedClass(cluster).inputs.parameters, { pathPattern: "{{ .PVC.Namespace }}/{{ .PVC.Name }}" });
    });

    it("keeps Retain even when data is to be deleted on destroy: kind then removes kindDataDir itself", async () => {
        const { cluster } = await buildOnce({ deleteDataOnDestroy: true });
        assert.strictEqual(sharedClass(cluster).inputs.reclaimPolicy, "Retain");
    });

    it("is deployed before the claims that use it (both data claims on kind)", async () => {
        const { cluster } = await buildOnce({});
        const claim = (name: string) => cluster.one("kubernetes:core/v1:PersistentVolumeClaim", (r) => r.inputs.metadata.name === name);
        for (const name of ["embeddings", "checkpoints"]) {
            assert.ok(claim(name).dependsOn.includes("shared-storage"), `${name} depends on ${claim(name).dependsOn.join(", ")}`);
        }
        assert.strictEqual(cluster.one("agent-storage:storage:KindSharedStorage").provider, undefined);
        for (const r of cluster.resources.filter((x) => x.parent === "shared-storage")) assert.strictEqual(r.provider, "kind-k8s", r.name);
    });

    it("uses the local-path-provisioner version the local cluster builds (cluster/versions.sh LPP_VERSION)", () => {
        const versions = fs.readFileSync(path.join(__dirname, "..", "cluster", "versions.sh"), "utf8");
        const pinned = /^LPP_VERSION="([^"]+)"/m.exec(versions);
        assert.ok(pinned, "cluster/versions.sh pins LPP_VERSION");
        assert.strictEqual(defaults.kindSharedPathImage, `docker.io/rancher/local-path-provisioner:${pinned![1]}`);
    });
});
