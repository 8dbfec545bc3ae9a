import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AccessMode } from "./capabilities";
import { adoptableAnnotations } from "../adoption";
import { claimNameLabel, claimNamespaceLabel, dataLabel, deleteOnDestroyAnnotation, partOf, partOfLabel, roleLabel } from "../labels";

/** One claim to create. */
export interface ClaimSpec {
    /** Kubernetes name of the claim. */
    name: string;
    /** What the claim holds, for labels and the report. */
    role: "embeddings" | "checkpoints";
    /** Requested size; changing it later expands the claim in place, never replaces it. */
    size: string;
    accessMode: AccessMode;
    storageClass: string;
    /**
     * The class binds at creation (Immediate, and known to): `up` then waits for Bound before
     * the pods start, since a pod scheduled while its claim is still unbound can sit in the
     * scheduler's queue for minutes. Default: false (wait for any phase).
     */
    bindsImmediately?: boolean;
    /** What the claim needs before it can bind (its StorageClass, the driver behind it). Default: nothing. */
    dependsOn?: pulumi.Resource[];
}

/** The lesson's static volume: a host folder on one node, pre-bound to one claim. */
export interface StaticHostPathVolume {
    /** Folder on the node. */
    hostPath: string;
    /**
     * The node (its `kubernetes.io/hostname`) that has the folder. Default: none, for a
     * single-node cluster. With several nodes it must be set: the volume then carries node
     * affinity, so every pod that mounts it is scheduled where the folder is.
     */
    node?: string;
    /** Class name written on both the volume and the claim, so no default class interferes. */
    storageClass: string;
}

export interface DataVolumesArgs {
    namespace: pulumi.Input<string>;
    embeddings: ClaimSpec;
    checkpoints: ClaimSpec;
    /** When set, the embeddings claim binds to this static volume instead of a dynamic one. */
    staticEmbeddings?: StaticHostPathVolume;
    /**
     * When false (the default), `pulumi destroy` leaves the claims (and a static volume) in
     * the cluster; when true, it deletes them and the class's reclaim policy decides the rest.
     */
    deleteDataOnDestroy: boolean;
    provider: k8s.Provider;
    /**
     * Checked before this resource changes: the guard that refuses a change of the data's
     * identity (DataIdentityGuard). Default: none.
     */
    guardedBy?: pulumi.Resource;
}

export { claimNameLabel, claimNamespaceLabel, dataLabel, deleteOnDestroyAnnotation, roleLabel };
export const awaitAnnotation = "pulumi.com/waitFor";
/** The node label that names one node: the topology of node-local volumes and of co-location. */
export const hostnameLabel = "kubernetes.io/hostname";

/** Name of the static volume; volumes are cluster-scoped, so it carries the namespace. */
export function staticVolumeName(namespace: string, claim: string): string {
    return `agent-storage-${namespace}-${claim}`;
}

/** The claims that hold the agent's data, and the static volume when one is asked for. */
export class DataVolumes extends pulumi.ComponentResource {
    public readonly embeddings: k8s.core.v1.PersistentVolumeClaim;
    public readonly checkpoints: k8s.core.v1.PersistentVolumeClaim;
    public readonly staticVolume?: k8s.core.v1.PersistentVolume;

    constructor(name: string, args: DataVolumesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:storage:DataVolumes", name, {}, opts);
        const keep = !args.deleteDataOnDestroy;
        const guard = args.guardedBy ? [args.guardedBy] : [];

        let embeddingsVolumeName: pulumi.Output<string> | undefined;
        if (args.staticEmbeddings) {
            const staticClass = new k8s.storage.v1.StorageClass(`${name}-static-class`, {
                metadata: { name: args.staticEmbeddings.storageClass, labels: { [partOfLabel]: partOf } },
                provisioner: "kubernetes.io/no-provisioner",
                reclaimPolicy: "Retain",
                volumeBindingMode: "Immediate",
            }, { parent: this, provider: args.provider });
            this.staticVolume = new k8s.core.v1.PersistentVolume(`${name}-${args.embeddings.role}-static`, {
                metadata: {
                    name: pulumi.output(args.namespace).apply((ns) => staticVolumeName(ns, args.embeddings.name)),
                    labels: {
                        [dataLabel]: "true", [roleLabel]: args.embeddings.role,
                        [claimNamespaceLabel]: args.namespace, [claimNameLabel]: args.embeddings.name,
                    },
                    annotations: { ...adoptableAnnotations },
                },
                spec: {
                    capacity: { storage: args.embeddings.size },
                    accessModes: [args.embeddings.accessMode],
                    // A host folder cannot be deleted by Kubernetes: the bytes are always retained.
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: args.staticEmbeddings.storageClass,
                    volumeMode: "Filesystem",
                    hostPath: { path: args.staticEmbeddings.hostPath, type: "Directory" },
                    nodeAffinity: args.staticEmbeddings.node === undefined ? undefined : {
                        required: {
                            nodeSelectorTerms: [{
                                matchExpressions: [{ key: hostnameLabel, operator: "In", values: [args.staticEmbeddings.node] }],
                            }],
                        },
                    },
                    // Pre-bound, so no other claim can take it.
                    claimRef: { namespace: args.namespace, name: args.embeddings.name },
                },
            }, { parent: this, provider: args.provider, dependsOn: [staticClass, ...guard], retainOnDelete: keep });
            embeddingsVolumeName = this.staticVolume.metadata.name;
        }

        const claim = (spec: ClaimSpec, volumeName?: pulumi.Output<string>, extraDeps: pulumi.Resource[] = []) =>
            new k8s.core.v1.PersistentVolumeClaim(`${name}-${spec.role}`, {
                metadata: {
                    name: spec.name,
                    namespace: args.namespace,
                    labels: { [dataLabel]: "true", [roleLabel]: spec.role, [partOfLabel]: partOf },
                    // Said both ways: policies cannot see retainOnDelete, so the claim states what destroy does.
                    annotations: {
                        [deleteOnDestroyAnnotation]: String(args.deleteDataOnDestroy),
                        // The provider's own claim awaiter (4.25) waits for Pending on
                        // WaitForFirstConsumer classes, which a claim that is already Bound never
                        // reaches: adopting a kept claim or expanding one then times out after 5
                        // minutes (pulumi/pulumi-kubernetes#4179). Any phase will do here; binding
                        // is proven by the workloads' readiness and the boundVolumes report.
                        [awaitAnnotation]: spec.bindsImmediately ? "jsonpath={.status.phase}=Bound" : "jsonpath={.status.phase}",
                        ...adoptableAnnotations,
                    },
                },
                spec: {
                    accessModes: [spec.accessMode],
                    // Always explicit: without it the provider would wait for Bound even on
                    // WaitForFirstConsumer classes, and a default class could take the claim.
                    storageClassName: spec.storageClass,
                    resources: { requests: { storage: spec.size } },
                    volumeName,
                },
            }, { parent: this, provider: args.provider, dependsOn: [...(spec.dependsOn ?? []), ...extraDeps, ...guard], retainOnDelete: keep });

        this.embeddings = claim(args.embeddings, embeddingsVolumeName, this.staticVolume ? [this.staticVolume] : []);
        this.checkpoints = claim(args.checkpoints);
        this.registerOutputs({
            embeddings: this.embeddings.metadata.name,
            checkpoints: this.checkpoints.metadata.name,
        });
    }
}
