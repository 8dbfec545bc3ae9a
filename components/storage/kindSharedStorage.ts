import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sharedPathDir } from "../cluster/kindConfig";
import { provisioners, sharedPathProvisioner } from "./capabilities";
import { restrictedContainerSecurity } from "../workloads/podSecurity";
import { refresherContract } from "../workloads/refresherContract";
import { appNameLabel, partOf, partOfLabel } from "../labels";

/** Where a claim's folder lives under the shared folder: `<namespace>/<claim>`. */
export const sharedPathPattern = "{{ .PVC.Namespace }}/{{ .PVC.Name }}";

export interface KindSharedStorageArgs {
    /** Name of the StorageClass the claims name (the program's default: `shared`). */
    className: string;
    /** local-path-provisioner image (the program's default: docker.io/rancher/local-path-provisioner at cluster/versions.sh's LPP_VERSION). */
    image: string;
    /** Image of the helper pods that create and remove volume folders as root; needs `sh`, `mkdir` and `rm` (the program passes the workload image). */
    helperImage: string;
    /** Image holding the refresher, whose expand-volumes grows claims on this class (the program passes the workload image). */
    resizerImage: string;
    provider: k8s.Provider;
}

/** Namespace the shared-path provisioner and its helper pods run in. */
export const sharedPathNamespace = "shared-path-storage";
/** ConfigMap holding the provisioner's config.json, setup/teardown scripts and helper pod. */
export const sharedPathConfigMap = "shared-path-config";
const appName = "shared-path-provisioner";

/** The provisioner's config: shared-file-system mode, so a volume has no node affinity. */
export function sharedPathConfig(): string {
    return JSON.stringify({ nodePathMap: [], sharedFileSystemPath: sharedPathDir }, null, 2);
}

/** The helper pod the provisioner runs for each volume: it makes or removes the folder as root. */
export function sharedPathHelperPod(helperImage: string): string {
    return [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: helper-pod",
        "spec:",
        "  priorityClassName: system-node-critical",
        "  automountServiceAccountToken: false",
        "  securityContext:",
        "    runAsUser: 0",
        "    runAsGroup: 0",
        "  tolerations:",
        "    - key: node.kubernetes.io/disk-pressure",
        "      operator: Exists",
        "      effect: NoSchedule",
        "  containers:",
        "    - name: helper-pod",
        `      image: ${JSON.stringify(helperImage)}`,
        "      imagePullPolicy: IfNotPresent",
    ].join("\n") + "\n";
}

/**
 * The resizer beside the provisioner: once a bound claim of this provisioner asks for more,
 * it sets the volume's capacity and then the claim's, the two steps a CSI external-resizer
 * takes for a volume that needs nothing done on the node.
 */
export function sharedPathResizerCommand(): string[] {
    const { binary, subcommands, flags } = refresherContract;
    return [binary, subcommands.expandVolumes, flags.provisioner, sharedPathProvisioner];
}

/**
 * The kind cluster's stand-in for EFS: a second rancher local-path-provisioner that keeps
 * every volume in the one host folder all nodes mount (kindConfig's sharedPathDir), and the
 * StorageClass that uses it. A claim on it can be mounted from any node, so readers on
 * several nodes share the embeddings (ReadWriteMany) as they would on EFS.
 */
export class KindSharedStorage extends pulumi.ComponentResource {
    public readonly storageClass: k8s.storage.v1.StorageClass;

    constructor(name: string, args: KindSharedStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:storage:KindSharedStorage", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const labels = { [appNameLabel]: appName, [partOfLabel]: partOf };

        // Helper pods mount host folders and run as root: only a privileged namespace admits them.
        const namespace = new k8s.core.v1.Namespace(name, {
            metadata: {
                name: sharedPathNamespace,
                labels: { ...labels, "pod-security.kubernetes.io/enforce": "privileged" },
            },
        }, k8sOpts);
        const ns = namespace.metadata.name;

        const account = new k8s.core.v1.ServiceAccount(name, {
            metadata: { name: appName, namespace: ns, labels },
        }, k8sOpts);
        const subjects = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ns }];

        const clusterRole = new k8s.rbac.v1.ClusterRole(name, {
            metadata: { name: appName, labels },
            rules: [
                { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] },
                { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
                // The resizer records a grown claim's new size in its status.
                { apiGroups: [""], resources: ["persistentvolumeclaims/status"], verbs: ["patch"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["endpoints"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
                { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
            ],
        }, k8sOpts);
        const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(name, {
            metadata: { name: appName, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
            subjects,
        }, k8sOpts);
        const role = new k8s.rbac.v1.Role(name, {
            metadata: { name: appName, namespace: ns, labels },
            rules: [
                { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete"] },
                // A failed helper pod's log is copied into the provisioner's own.
                { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
                { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
            ],
        }, k8sOpts);
        const binding = new k8s.rbac.v1.RoleBinding(name, {
            metadata: { name: appName, namespace: ns, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects,
        }, k8sOpts);

        const config = new k8s.core.v1.ConfigMap(name, {
            metadata: { name: sharedPathConfigMap, namespace: ns, labels },
            data: {
                "config.json": sharedPathConfig(),
                setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
                teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
                "helperPod.yaml": sharedPathHelperPod(args.helperImage),
            },
        }, k8sOpts);

        const configDir = "/etc/config/";
        const deployment = new k8s.apps.v1.Deployment(name, {
            metadata: { name: appName, namespace: ns, labels },
            spec: {
                replicas: 1,
                // This provisioner version runs without leader election: two instances during a
                // rolling update could both provision one claim.
                strategy: { type: "Recreate" },
                selector: { matchLabels: { [appNameLabel]: appName } },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: account.metadata.name,
                        // It only talks to the API server; the root work is done by its helper pods.
                        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                        // It may run on the control plane, which kind taints once there are workers.
                        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
                        containers: [{
                            name: "provisioner",
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            command: [
                                "local-path-provisioner", "--debug", "start",
                                "--config", `${configDir}config.json`,
                                "--provisioner-name", sharedPathProvisioner,
                                "--configmap-name", sharedPathConfigMap,
                                "--service-account-name", appName,
                                "--helper-image", args.helperImage,
                            ],
                            env: [
                                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                // Where it re-reads helperPod.yaml when the ConfigMap changes.
                                { name: "CONFIG_MOUNT_PATH", value: configDir },
                            ],
                            securityContext: restrictedContainerSecurity(),
                            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                            volumeMounts: [{ name: "config-volume", mountPath: configDir, readOnly: true }],
                        }, {
                            // local-path-provisioner does not resize, and no in-tree plugin
                            // resizes its volumes: kube-controller-manager leaves a bigger claim
                            // on this class to an external controller, this one.
                            name: "resizer",
                            image: args.resizerImage,
                            imagePullPolicy: "IfNotPresent",
                            command: sharedPathResizerCommand(),
                            securityContext: restrictedContainerSecurity(),
                            resources: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                        }],
                        volumes: [{ name: "config-volume", configMap: { name: config.metadata.name } }],
                    },
                },
            },
        }, { ...k8sOpts, dependsOn: [clusterBinding, binding] });

        // A class cannot be changed in place and its name is fixed: a new one needs the old gone.
        this.storageClass = new k8s.storage.v1.StorageClass(name, {
            metadata: {
                name: args.className,
                labels: { [partOfLabel]: partOf },
                annotations: { "storageclass.kubernetes.io/is-default-class": "false" },
            },
            provisioner: sharedPathProvisioner,
            // Never deletes a volume's folder: whether data goes on destroy is decided by the
            // program's deleteDataOnDestroy (claims kept or not; kind removes kindDataDir).
            reclaimPolicy: "Retain",
            volumeBindingMode: provisioners[sharedPathProvisioner].bindingMode,
            // A claim's folder is named after the claim, not after its volume's random name, so
            // a claim of the same name on a new cluster (after destroy + up, the folder kept in
            // kindDataDir) finds the bytes it had.
            parameters: { pathPattern: sharedPathPattern },
            // Volumes are plain folders without a size limit: a request is never enforced, so
            // growing one is the resizer recording the new size.
            allowVolumeExpansion: provisioners[sharedPathProvisioner].resize === "expands",
        }, { ...k8sOpts, dependsOn: [deployment], deleteBeforeReplace: true });
        this.registerOutputs({ storageClass: this.storageClass.metadata.name });
    }
}
