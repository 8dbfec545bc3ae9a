import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
import { apiAccess, kubeRequest } from "../kubeapi";
import { copySourceLabel, partOf, partOfLabel, roleLabel } from "../labels";
import { awaitAnnotation } from "./dataVolumes";

/*
 * Moving the data to a new namespace copies it: a Job in the new namespace reads the old
 * claim's volume and writes the new claim. A pod mounts claims of its own namespace only, and
 * the old claim stays bound to its volume (it is kept), so the Job reads the volume through a
 * second PersistentVolume that names the same storage: a mirror. Only storage that several
 * PersistentVolumes may name at once can be mirrored: a host folder (hostPath, local), an NFS
 * export, an EFS file system. A block device (EBS) is attached to one node by one volume; it
 * is refused, before anything is created, with the way forward.
 * The mirror must never delete what it names: reclaim policy Retain, no class, none of the
 * provisioner's annotations (a provisioner deletes only volumes annotated as its own), none
 * of the labels that hand kept volumes back to claims, and read-only wherever the source says.
 */

/** The fields of a PersistentVolume that the mirror copies or checks. */
export interface SourceVolume {
    metadata?: { name?: string };
    spec?: {
        capacity?: { storage?: string };
        accessModes?: string[];
        volumeMode?: string;
        mountOptions?: string[];
        nodeAffinity?: unknown;
        hostPath?: { path: string; type?: string };
        local?: { path: string; fsType?: string };
        nfs?: { server: string; path: string; readOnly?: boolean };
        csi?: { driver: string; volumeHandle: string; volumeAttributes?: Record<string, string>; fsType?: string; readOnly?: boolean };
        [source: string]: unknown;
    };
}

/** The claim of the old namespace that holds the data, as the API returns it. */
export interface SourceClaimView {
    spec?: { volumeName?: string };
    status?: { phase?: string };
}

/** CSI drivers whose volumes several PersistentVolumes may name at once (a shared file system). */
export const mirrorableDrivers: readonly string[] = ["efs.csi.aws.com"];

/** What the copy of one claim needs to know. */
export interface CopyOrigin {
    /** The namespace the data is in now, and its config key (named in errors). */
    fromNamespace: string;
    fromKey: string;
    /** The claim's name, the same in both namespaces. */
    claim: string;
    role: "embeddings" | "checkpoints";
    /** Where the copy goes: the new namespace, and the mirror's and the source claim's names. */
    toNamespace: string;
    mirrorName: string;
    sourceClaim: string;
}

/** Names of the mirror volume and the claim that binds it, derived from where they live. */
export function copyNames(toNamespace: string, claim: string): { mirrorName: string; sourceClaim: string } {
    // Volumes are cluster-scoped: the name carries the namespace, like a static volume's.
    return { mirrorName: `agent-storage-${toNamespace}-${claim}-copy-source`, sourceClaim: `${claim}-copy-source` };
}

/**
 * The mirror volume's spec for a live volume, or a problem naming the key and the fix. The
 * volume source is copied as it is (read-only where the source kind has the field); the rest
 * is the mirror's own.
 */
export function mirrorSpec(claim: SourceClaimView | undefined, volume: SourceVolume | undefined, origin: CopyOrigin):
    { spec: Record<string, unknown> } | { problem: string } {
    const where = `claim ${origin.fromNamespace}/${origin.claim}`;
    const back = `fix: pulumi config set ${origin.fromKey} <the namespace that holds the data>, or pulumi config rm ${origin.fromKey} to start without a copy`;
    if (claim === undefined) return { problem: `${origin.fromKey}: there is no ${where} to copy the ${origin.role} from. ${back}` };
    if (claim.status?.phase !== "Bound" || !claim.spec?.volumeName) {
        return { problem: `${origin.fromKey}: ${where} is ${claim.status?.phase ?? "not bound"}, with no volume to copy from. ${back}` };
    }
    const spec = volume?.spec;
    if (spec === undefined) return { problem: `${origin.fromKey}: volume ${claim.spec.volumeName} of ${where} cannot be read. ${back}` };
    const common = {
        capacity: { storage: spec.capacity?.storage ?? "1Mi" },
        accessModes: spec.accessModes ?? ["ReadWriteOnce"],
        volumeMode: spec.volumeMode ?? "Filesystem",
        ...(spec.mountOptions ? { mountOptions: spec.mountOptions } : {}),
        // A node-local volume is reachable on its node only: the copy runs there.
        ...(spec.nodeAffinity ? { nodeAffinity: spec.nodeAffinity } : {}),
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        claimRef: { namespace: origin.toNamespace, name: origin.sourceClaim },
    };
    if (spec.hostPath) return { spec: { ...common, hostPath: { path: spec.hostPath.path } } };
    if (spec.local) return { spec: { ...common, local: spec.local } };
    if (spec.nfs) return { spec: { ...common, nfs: { ...spec.nfs, readOnly: true } } };
    if (spec.csi && mirrorableDrivers.includes(spec.csi.driver)) return { spec: { ...common, csi: { ...spec.csi, readOnly: true } } };
    const kind = spec.csi ? `a ${spec.csi.driver} volume` : `a volume of kind ${Object.keys(spec).filter((k) => !(k in common) && k !== "claimRef").join(", ") || "unknown"}`;
    return {
        problem: `${origin.fromKey}: volume ${claim.spec.volumeName} of ${where} is ${kind}, which one node attaches through one volume at a time, ` +
            `so a Job cannot read it while the claim holds it. fix: pulumi config rm ${origin.fromKey} and move with ` +
            `agent-storage:confirmDataMove (the old claim is kept; copy its files yourself, e.g. from a snapshot)`,
    };
}

/** What a CopySource read is given. */
export interface CopySourceInputs extends CopyOrigin {
    kubeconfig: string;
    context?: string;
}

/** A read-only dynamic provider: `read` finds the old claim's volume and returns the mirror's spec. */
export function copySourceProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async create() {
            throw new Error("CopySource is read-only: construct it with an id");
        },
        async read(id: string, props: CopySourceInputs) {
            // `pulumi refresh` reads with the stored state, which keeps no kubeconfig.
            if (!props.kubeconfig) return { id, props };
            const access = apiAccess(props.kubeconfig, props.context || undefined);
            const orNothing = async <T>(path: string): Promise<T | undefined> => {
                try {
                    return await kubeRequest<T>(access, "GET", path);
                } catch (e) {
                    if (/: 404 /.test((e as Error).message)) return undefined;
                    throw new Error(`could not read ${path} to copy the ${props.role} from (${props.fromKey}): ${(e as Error).message}`, { cause: e });
                }
            };
            const claim = await orNothing<SourceClaimView>(`/api/v1/namespaces/${props.fromNamespace}/persistentvolumeclaims/${props.claim}`);
            const volume = claim?.spec?.volumeName ? await orNothing<SourceVolume>(`/api/v1/persistentvolumes/${claim.spec.volumeName}`) : undefined;
            const result = mirrorSpec(claim, volume, props);
            if ("problem" in result) throw new Error(result.problem);
            return { id, props: { ...props, kubeconfig: "", volumeName: claim!.spec!.volumeName, spec: result.spec } };
        },
    };
}

/** Reads, in preview and up alike, the old claim's volume and the spec of its mirror. */
const copySourceShared = sharedProvider(copySourceProvider);

export class CopySource extends pulumi.dynamic.Resource {
    /** The old claim's volume. */
    public readonly volumeName!: pulumi.Output<string>;
    /** The mirror volume's spec (see mirrorSpec). */
    public readonly spec!: pulumi.Output<Record<string, unknown>>;

    /** `opts.id` is required: `<from namespace>/<claim>`, derived from the cluster's kubeconfig. */
    constructor(name: string, args: { [K in keyof CopySourceInputs]: pulumi.Input<CopySourceInputs[K]> },
        opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        super(copySourceShared(), name, { ...args, context: args.context ?? "", volumeName: undefined, spec: undefined }, opts, "agent-storage", "CopySource");
    }
}

export interface MirroredClaimArgs {
    origin: CopyOrigin;
    access: { kubeconfig: pulumi.Input<string>; context?: string };
    provider: k8s.Provider;
}

/**
 * The old claim's volume, seen from the new namespace: a mirror volume bound to a claim of its
 * own there, for the copy Job to mount read-only. Deleting both deletes no data (see above).
 */
export class MirroredClaim extends pulumi.ComponentResource {
    /** The claim in the new namespace that reads the old volume. */
    public readonly claimName: pulumi.Output<string>;

    constructor(name: string, args: MirroredClaimArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:storage:MirroredClaim", name, {}, opts);
        const { origin } = args;
        const source = new CopySource(name, {
            ...origin, kubeconfig: args.access.kubeconfig, context: args.access.context,
        }, { parent: this, id: pulumi.output(args.access.kubeconfig).apply(() => `${origin.fromNamespace}/${origin.claim}`) });
        const labels = { [partOfLabel]: partOf, [roleLabel]: origin.role, [copySourceLabel]: "true" };
        const mirror = new k8s.core.v1.PersistentVolume(name, {
            metadata: { name: origin.mirrorName, labels },
            spec: source.spec as pulumi.Input<k8s.types.input.core.v1.PersistentVolumeSpec>,
        }, { parent: this, provider: args.provider });
        const claim = new k8s.core.v1.PersistentVolumeClaim(name, {
            metadata: { name: origin.sourceClaim, namespace: origin.toNamespace, labels, annotations: { [awaitAnnotation]: "jsonpath={.status.phase}=Bound" } },
            spec: {
                accessModes: source.spec.apply((s) => (s.accessModes as string[]).slice(0, 1)),
                storageClassName: "",
                volumeName: mirror.metadata.name,
                resources: { requests: { storage: source.spec.apply((s) => (s.capacity as { storage: string }).storage) } },
            },
        }, { parent: this, provider: args.provider });
        this.claimName = claim.metadata.name;
        this.registerOutputs({ claimName: this.claimName });
    }
}
