import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClaimNodes } from "./claimNodes";

export interface VolumeMountUse {
    /** Workload name. */
    workload: string;
    /** rw: may write; ro: read-only at the pod volume and every container mount. */
    mode: "rw" | "ro";
}

export interface ReportedClaim {
    /** Names the report's reads of this claim; stable across runs (the claim's role). */
    key: string;
    claim: k8s.core.v1.PersistentVolumeClaim;
    mountedBy: VolumeMountUse[];
}

export interface BoundVolumesReportArgs {
    claims: ReportedClaim[];
    /**
     * Outputs of the workloads that mount the claims. The claims are read again only once
     * these resolve, so the report shows the state after the pods are up.
     */
    after: pulumi.Input<unknown>[];
    provider: k8s.Provider;
    /** The kubeconfig (and context) the pods are listed with, to see which nodes mount each claim. */
    access: { kubeconfig: pulumi.Input<string>; context?: string };
}

/** One line of the `boundVolumes` stack output. */
export interface BoundVolume {
    namespace: string;
    claim: string;
    phase: string;
    volume: string;
    capacity: string;
    accessModes: string[];
    storageClass: string;
    reclaimPolicy: string;
    mountedBy: VolumeMountUse[];
    /** Nodes of the running pods that mount the claim, sorted, each once. */
    nodes: string[];
}

/** Builds one report line from the live claim and volume, as read from the cluster. */
export function describeBinding(
    claim: { metadata?: { name?: string; namespace?: string }; spec?: { storageClassName?: string; accessModes?: string[] };
        status?: { phase?: string; capacity?: Record<string, string>; accessModes?: string[] } },
    volume: { metadata?: { name?: string }; spec?: { persistentVolumeReclaimPolicy?: string } } | undefined,
    mountedBy: VolumeMountUse[],
    nodes: string[],
): BoundVolume {
    return {
        namespace: claim.metadata?.namespace ?? "",
        claim: claim.metadata?.name ?? "",
        phase: claim.status?.phase ?? "Unknown",
        volume: volume?.metadata?.name ?? "",
        capacity: claim.status?.capacity?.storage ?? "",
        accessModes: claim.status?.accessModes ?? claim.spec?.accessModes ?? [],
        storageClass: claim.spec?.storageClassName ?? "",
        reclaimPolicy: volume?.spec?.persistentVolumeReclaimPolicy ?? "",
        mountedBy,
        nodes: [...new Set(nodes)].sort(),
    };
}

/**
 * Reads every claim again after its workloads are ready, then the volume it is bound to and
 * the nodes of the pods that mount it.
 * The claim resources' own status is a snapshot from creation time: on a
 * WaitForFirstConsumer class it still says Pending. `dependsOn` does not delay a `.get`
 * (pulumi/pulumi#16395), so the id itself is derived from the workloads' outputs.
 */
export class BoundVolumesReport extends pulumi.ComponentResource {
    public readonly volumes: pulumi.Output<BoundVolume[]>;

    constructor(name: string, args: BoundVolumesReportArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:report:BoundVolumesReport", name, {}, opts);
        const lines = args.claims.map(({ key, claim, mountedBy }) => {
            const id = pulumi.all([claim.metadata.namespace, claim.metadata.name, ...args.after])
                .apply(([namespace, claimName]) => `${namespace}/${claimName}`);
            const live = k8s.core.v1.PersistentVolumeClaim.get(`${name}-claim-${key}`, id, { parent: this, provider: args.provider });
            const volumeName = pulumi.all([live.spec.volumeName, live.metadata.name]).apply(([volume, claimName]) => {
                if (!volume) throw new Error(`claim ${claimName} has no volume although the pods mounting it are ready`);
                return volume;
            });
            const volume = k8s.core.v1.PersistentVolume.get(`${name}-volume-${key}`, volumeName, { parent: this, provider: args.provider });
            const users = new ClaimNodes(`${name}-nodes-${key}`, {
                kubeconfig: args.access.kubeconfig, context: args.access.context,
                namespace: claim.metadata.namespace, claim: claim.metadata.name,
            }, { id, parent: this });
            return pulumi.all([live.metadata, live.spec, live.status, volume.metadata, volume.spec, users.nodes])
                .apply(([metadata, spec, status, volumeMetadata, volumeSpec, nodes]) => describeBinding(
                    { metadata, spec, status }, { metadata: volumeMetadata, spec: volumeSpec }, mountedBy, nodes ?? []));
        });
        this.volumes = pulumi.all(lines);
        this.registerOutputs({ volumes: this.volumes });
    }
}
