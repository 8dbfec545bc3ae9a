import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { apiAccess, kubeRequest } from "../kubeapi";
import { claimNameLabel, claimNamespaceLabel, dataLabel, roleLabel } from "./dataVolumes";

/*
 * A data claim's bytes live in its PersistentVolume, and the volume's reclaim policy decides
 * their fate when the claim goes: deleted with `Delete` (the default of most classes, and of
 * every class this program does not own), kept with `Retain`. A claim can go without
 * `pulumi destroy`: `kubectl delete namespace`, `kubectl delete pvc`. So while
 * deleteDataOnDestroy=false every bound data volume is patched to `Retain` and labelled with
 * the claim it belongs to; when the claim comes back (`pulumi up --refresh` recreates it), the
 * kept volume is handed back to it instead of a new, empty one.
 */

/** What a bound data volume's reclaim policy must be. */
export function reclaimPolicyFor(deleteDataOnDestroy: boolean, classReclaimPolicy: string | undefined): string {
    // A class without a policy reclaims with Delete (the API's default for classes).
    return deleteDataOnDestroy ? (classReclaimPolicy || "Delete") : "Retain";
}

/** The few fields of a volume the hand-back reads. */
export interface VolumeView {
    metadata?: { name?: string; creationTimestamp?: string; labels?: Record<string, string> };
    spec?: { claimRef?: { namespace?: string; name?: string; uid?: string } };
    status?: { phase?: string };
}

/**
 * The kept volume to hand back to a claim: a `Released` volume (its claim is gone) labelled
 * for it and still naming it. With several (a claim deleted more than once), the newest holds
 * the latest bytes; the others are reported, never touched.
 */
export function keptVolumeFor(volumes: VolumeView[], namespace: string, claim: string): { volume?: string; others: string[] } {
    const candidates = volumes
        .filter((v) => v.status?.phase === "Released")
        .filter((v) => v.metadata?.labels?.[claimNamespaceLabel] === namespace && v.metadata?.labels?.[claimNameLabel] === claim)
        .filter((v) => v.spec?.claimRef?.namespace === namespace && v.spec?.claimRef?.name === claim)
        .sort((a, b) => String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")))
        .map((v) => v.metadata!.name!);
    return { volume: candidates[0], others: candidates.slice(1) };
}

/** What a KeptVolumeHandBack read is given. */
export interface KeptVolumeHandBackInputs {
    kubeconfig: string;
    context?: string;
    namespace: string;
    claim: string;
    /** false in `pulumi preview`: the read then only says which volume an `up` would hand back. */
    apply: boolean;
}

/**
 * A dynamic provider whose `read` finds the kept volume of a claim and, outside previews,
 * makes it bindable by that claim again: a Released volume still carries the deleted claim's
 * uid, and only a claimRef without it lets the new claim of the same name bind. A read (not
 * a create) because it must run on every `up`, before the claim is created, and must show
 * nothing to change in a preview.
 */
export function keptVolumeHandBackProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async create() {
            throw new Error("KeptVolumeHandBack is read-only: construct it with an id");
        },
        async read(id: string, props: KeptVolumeHandBackInputs) {
            // `pulumi refresh` reads with the stored state, which keeps no kubeconfig.
            if (!props.kubeconfig) return { id, props };
            const access = apiAccess(props.kubeconfig, props.context || undefined);
            const selector = encodeURIComponent(`${claimNamespaceLabel}=${props.namespace},${claimNameLabel}=${props.claim}`);
            let found: { volume?: string; others: string[] };
            try {
                const list = await kubeRequest<{ items?: VolumeView[] }>(access, "GET", `/api/v1/persistentvolumes?labelSelector=${selector}`);
                found = keptVolumeFor(list.items ?? [], props.namespace, props.claim);
                if (found.volume && props.apply) {
                    await kubeRequest(access, "PATCH", `/api/v1/persistentvolumes/${encodeURIComponent(found.volume)}`, {
                        contentType: "application/merge-patch+json",
                        value: { spec: { claimRef: { uid: null, resourceVersion: null } } },
                    });
                }
            } catch (e) {
                throw new Error(`could not hand kept volumes back to claim ${props.namespace}/${props.claim}: ${(e as Error).message}`, { cause: e });
            }
            return { id, props: { namespace: props.namespace, claim: props.claim, volume: found.volume ?? "", others: found.others } };
        },
    };
}

/** Hands a claim's kept volume back to it, read from the live cluster each time the program runs. */
export class KeptVolumeHandBack extends pulumi.dynamic.Resource {
    /** The kept volume the claim will bind to, or "" when there is none (a new volume is provisioned). */
    public readonly volume!: pulumi.Output<string>;
    /** Older kept volumes of the same claim, left as they are. */
    public readonly others!: pulumi.Output<string[]>;

    /** `opts.id` is required: `<namespace>/<claim>`, derived from what must exist first (the cluster). */
    constructor(name: string, args: { [K in keyof KeptVolumeHandBackInputs]: pulumi.Input<KeptVolumeHandBackInputs[K]> },
        opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        super(keptVolumeHandBackProvider(), name, { ...args, context: args.context ?? "", volume: undefined, others: undefined },
            opts, "agent-storage", "KeptVolumeHandBack");
    }
}

export interface VolumeReclaimArgs {
    /** The data claim whose volume is patched. */
    claim: k8s.core.v1.PersistentVolumeClaim;
    role: "embeddings" | "checkpoints";
    /**
     * Outputs of the workloads that mount the claim: on WaitForFirstConsumer classes the claim
     * has a volume only once they are scheduled, so it is read again after they resolve.
     */
    after: pulumi.Input<unknown>[];
    /** false: Retain; true: the class's own policy (a flip back from false restores it). */
    deleteDataOnDestroy: boolean;
    provider: k8s.Provider;
}

/**
 * Sets a bound data volume's reclaim policy and labels it with its claim. The volume belongs
 * to the provisioner, so this is a patch that takes over only these fields; it stays in place
 * on destroy (the volume must keep the policy that protects it).
 */
export class VolumeReclaim extends pulumi.ComponentResource {
    /** The volume's name, once patched: read the volume after this to see the policy set. */
    public readonly volumeName: pulumi.Output<string>;

    constructor(name: string, args: VolumeReclaimArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:storage:VolumeReclaim", name, {}, opts);
        // `dependsOn` does not delay a `.get` (pulumi/pulumi#16395): the ids wait on the outputs.
        const id = pulumi.all([args.claim.metadata.namespace, args.claim.metadata.name, ...args.after])
            .apply(([namespace, claim]) => `${namespace}/${claim}`);
        const live = k8s.core.v1.PersistentVolumeClaim.get(`${name}-claim`, id, { parent: this, provider: args.provider });
        const volumeName = pulumi.all([live.spec.volumeName, live.metadata.name]).apply(([volume, claim]) => {
            if (!volume) throw new Error(`claim ${claim} has no volume although the pods mounting it are ready`);
            return volume;
        });
        let policy: pulumi.Input<string> = reclaimPolicyFor(false, undefined);
        if (args.deleteDataOnDestroy) {
            const className = pulumi.all([live.spec.storageClassName, volumeName]).apply(([c]) => c);
            const storageClass = k8s.storage.v1.StorageClass.get(`${name}-class`, className, { parent: this, provider: args.provider });
            policy = storageClass.reclaimPolicy.apply((p) => reclaimPolicyFor(true, p));
        }
        const patch = new k8s.core.v1.PersistentVolumePatch(`${name}-reclaim`, {
            metadata: {
                name: volumeName,
                labels: {
                    [dataLabel]: "true", [roleLabel]: args.role,
                    [claimNamespaceLabel]: args.claim.metadata.namespace, [claimNameLabel]: args.claim.metadata.name,
                },
                // The provisioner owns the field it set when it created the volume.
                annotations: { "pulumi.com/patchForce": "true" },
            },
            spec: { persistentVolumeReclaimPolicy: policy },
        }, { parent: this, provider: args.provider, retainOnDelete: true });
        this.volumeName = patch.metadata.name;
        this.registerOutputs({ volumeName: this.volumeName });
    }
}
