import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
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
const keptVolumeHandBackShared = sharedProvider(keptVolumeHandBackProvider);

export class KeptVolumeHandBack extends pulumi.dynamic.Resource {
    /** The kept volume the claim will bind to, or "" when there is none (a new volume is provisioned). */
    public readonly volume!: pulumi.Output<string>;
    /** Older kept volumes of the same claim, left as they are. */
    public readonly others!: pulumi.Output<string[]>;

    /** `opts.id` is required: `<namespace>/<claim>`, derived from what must exist first (the cluster). */
    constructor(name: string, args: { [K in keyof KeptVolumeHandBackInputs]: pulumi.Input<KeptVolumeHandBackInputs[K]> },
        opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        super(keptVolumeHandBackShared(), name, { ...args, context: args.context ?? "", volume: undefined, others: undefined },
            opts, "agent-storage", "KeptVolumeHandBack");
    }
}

/** What a VolumeReclaimPolicy is given. */
export interface VolumeReclaimPolicyInputs {
    kubeconfig: string;
    context?: string;
    /** The bound PersistentVolume to patch. */
    volume: string;
    policy: string;
    labels: Record<string, string>;
}

/** The fields a change of which means patching again (the kubeconfig is how, not what). */
const reclaimFields = ["volume", "policy", "labels"] as const;

/** The field manager that owns a data volume's reclaim policy and labels. */
export const reclaimFieldManager = "agent-storage";

/**
 * A dynamic provider that sets a volume's reclaim policy and labels by a forced server-side
 * apply. Not the Kubernetes provider's PersistentVolumePatch: that one refuses, in every
 * preview of a stack whose provider is already known (the existing target), a patch whose
 * name is not known yet, and a claim's volume is only known once it binds. An apply, not a
 * merge patch: an apply owns every field it names even when the value is already there, so
 * no other manager that lets go of its fields can take them away (a stack deployed with
 * PersistentVolumePatch drops it on upgrade, which removes the fields it alone owned: the
 * labels that hand a kept volume back). Deleting it leaves the volume as it is, so the policy
 * that protects the data outlives the stack.
 */
export function volumeReclaimPolicyProvider(): pulumi.dynamic.ResourceProvider {
    const patch = async (p: VolumeReclaimPolicyInputs) => {
        const access = apiAccess(p.kubeconfig, p.context || undefined);
        try {
            await kubeRequest(access, "PATCH", `/api/v1/persistentvolumes/${encodeURIComponent(p.volume)}?fieldManager=${reclaimFieldManager}&force=true`, {
                contentType: "application/apply-patch+yaml",
                value: {
                    apiVersion: "v1", kind: "PersistentVolume",
                    metadata: { name: p.volume, labels: p.labels }, spec: { persistentVolumeReclaimPolicy: p.policy },
                },
            });
        } catch (e) {
            throw new Error(`could not set the reclaim policy of volume ${p.volume} to ${p.policy}: ${(e as Error).message}`, { cause: e });
        }
        // The state keeps what was applied and by whom, never the kubeconfig.
        return { volume: p.volume, policy: p.policy, labels: p.labels, fieldManager: reclaimFieldManager };
    };
    return {
        async create(inputs: VolumeReclaimPolicyInputs) {
            return { id: inputs.volume, outs: await patch(inputs) };
        },
        async diff(_id: string, olds: Partial<VolumeReclaimPolicyInputs> & { fieldManager?: string }, news: VolumeReclaimPolicyInputs) {
            const changed = reclaimFields.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
            // Set before by a merge patch (or by PersistentVolumePatch, whose removal on upgrade
            // dropped the labels): applied once more, so this manager owns them.
            const notOurs = olds.fieldManager !== reclaimFieldManager;
            return { changes: changed.length > 0 || notOurs, replaces: changed.includes("volume") ? ["volume"] : [], deleteBeforeReplace: false };
        },
        async update(_id: string, _olds: unknown, news: VolumeReclaimPolicyInputs) {
            return { outs: await patch(news) };
        },
    };
}

/** Sets one bound volume's reclaim policy and labels; kept on the volume when deleted. */
const volumeReclaimPolicyShared = sharedProvider(volumeReclaimPolicyProvider);

export class VolumeReclaimPolicy extends pulumi.dynamic.Resource {
    public readonly volume!: pulumi.Output<string>;
    public readonly policy!: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof VolumeReclaimPolicyInputs]: pulumi.Input<VolumeReclaimPolicyInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(volumeReclaimPolicyShared(), name, { ...args, context: args.context ?? "" }, opts, "agent-storage", "VolumeReclaimPolicy");
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
    /** The cluster's kubeconfig (and context) the patch is sent with. */
    access: { kubeconfig: pulumi.Input<string>; context?: string };
    provider: k8s.Provider;
}

/**
 * Sets a bound data volume's reclaim policy and labels it with its claim. The volume belongs
 * to the provisioner, so only these fields are patched; they stay on destroy (the volume must
 * keep the policy that protects it).
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
        const patch = new VolumeReclaimPolicy(`${name}-reclaim`, {
            // Inputs of a dynamic resource are kept in the state: the credentials only encrypted.
            kubeconfig: pulumi.secret(args.access.kubeconfig), context: args.access.context,
            volume: volumeName,
            policy,
            labels: pulumi.all([args.claim.metadata.namespace, args.claim.metadata.name]).apply(([namespace, claim]) => ({
                [dataLabel]: "true", [roleLabel]: args.role, [claimNamespaceLabel]: namespace, [claimNameLabel]: claim,
            })),
        }, { parent: this });
        this.volumeName = patch.volume;
        this.registerOutputs({ volumeName: this.volumeName });
    }
}
