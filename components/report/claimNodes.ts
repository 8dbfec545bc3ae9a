import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
import { ApiAccess, apiAccess, kubeRequest } from "../kubeapi";

/** The few fields of a pod the report reads. */
export interface PodView {
    metadata?: { deletionTimestamp?: string };
    spec?: { nodeName?: string; volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> };
    status?: { phase?: string };
}

/** Nodes of the running pods that mount the claim (one entry per pod; the report sorts them). */
export function nodesUsingClaim(pods: PodView[], claim: string): string[] {
    return pods
        .filter((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp && p.spec?.nodeName)
        .filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim))
        .map((p) => p.spec!.nodeName!);
}

/** Lists the pods of a namespace through the Kubernetes API. */
export async function listPods(access: ApiAccess, namespace: string): Promise<PodView[]> {
    const list = await kubeRequest<{ items?: PodView[] }>(access, "GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`);
    return list.items ?? [];
}

/** What a ClaimNodes read is given. */
export interface ClaimNodesInputs {
    kubeconfig: string;
    context?: string;
    namespace: string;
    claim: string;
}

/**
 * A read-only dynamic provider: `read` lists the namespace's pods and returns the nodes of
 * those that mount the claim. The Kubernetes provider can read one object by name, not a
 * list of pods, whose names are random.
 */
export function claimNodesProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async create() {
            throw new Error("ClaimNodes is read-only: construct it with an id");
        },
        async read(id: string, props: ClaimNodesInputs) {
            // `pulumi refresh` reads with the stored state, which keeps no kubeconfig (see the
            // constructor): the nodes stay as the last `up` or `preview` saw them.
            if (!props.kubeconfig) return { id, props };
            try {
                const pods = await listPods(apiAccess(props.kubeconfig, props.context || undefined), props.namespace);
                return { id, props: { namespace: props.namespace, claim: props.claim, nodes: nodesUsingClaim(pods, props.claim) } };
            } catch (e) {
                throw new Error(`could not read which nodes mount claim ${props.namespace}/${props.claim}: ${(e as Error).message}`, { cause: e });
            }
        },
    };
}

/** The nodes that mount one claim, read from the live cluster each time the program runs. */
const claimNodesShared = sharedProvider(claimNodesProvider);

export class ClaimNodes extends pulumi.dynamic.Resource {
    public readonly nodes!: pulumi.Output<string[]>;

    /** `opts.id` is required: it is `<namespace>/<claim>`, derived from what must be ready first. */
    constructor(name: string, args: { [K in keyof ClaimNodesInputs]: pulumi.Input<ClaimNodesInputs[K]> }, opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        // The kubeconfig goes in as the secret the cluster components make it, and the read's
        // result does not carry it: nothing of it is stored in the clear.
        super(claimNodesShared(), name, { ...args, context: args.context ?? "", nodes: undefined }, opts, "agent-storage", "ClaimNodes");
    }
}
