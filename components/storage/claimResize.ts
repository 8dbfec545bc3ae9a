import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
import { apiAccess, kubeRequest, parseQuantity } from "../kubeapi";

/*
 * A bigger size on a bound claim is only a request: the claim grows when the class's resizer
 * has grown the volume (and, on EBS, the kubelet the file system). The Kubernetes provider
 * returns as soon as the request is patched, so without a wait `up` would end, and report
 * the old size, before the claim has what the config asks for.
 */

/** The few fields of a claim the wait reads. */
export interface ClaimSizeView {
    status?: {
        phase?: string;
        capacity?: Record<string, string>;
        conditions?: Array<{ type?: string; reason?: string; message?: string }>;
    };
}

/**
 * Whether a claim has the size asked for: "grown" once its capacity is at least that; "unbound"
 * while it has no volume yet (a volume is made with the size asked for, nothing to wait for);
 * otherwise "growing", with what the claim's conditions say.
 */
export function claimSizeState(claim: ClaimSizeView, askedBytes: number): { state: "grown" | "unbound" | "growing"; capacity: string; detail: string } {
    const capacity = claim.status?.capacity?.storage ?? "";
    if (claim.status?.phase !== "Bound") return { state: "unbound", capacity, detail: "" };
    const have = parseQuantity(capacity);
    if (have !== undefined && have >= askedBytes) return { state: "grown", capacity, detail: "" };
    const detail = (claim.status?.conditions ?? [])
        .map((c) => [c.type, c.reason, c.message].filter(Boolean).join(": ")).join("; ");
    return { state: "growing", capacity, detail };
}

/**
 * Why a bound claim cannot grow, read from its live StorageClass, or undefined when it can
 * (or the cluster cannot say: the API server then has the last word). The capability table
 * refuses growth on the provisioners it knows before this; this catches every other class,
 * in `preview`, before the API server would refuse the bigger claim at `up`.
 */
export async function growthProblem(p: Pick<ClaimSizeInputs, "kubeconfig" | "context" | "namespace" | "claim" | "size" | "key">, from: string): Promise<string | undefined> {
    let className: string | undefined;
    let allows: boolean | undefined;
    try {
        const access = apiAccess(p.kubeconfig, p.context || undefined);
        const claim = await kubeRequest<{ spec?: { storageClassName?: string } }>(access, "GET",
            `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/persistentvolumeclaims/${encodeURIComponent(p.claim)}`);
        className = claim.spec?.storageClassName;
        if (!className) return undefined;
        const cls = await kubeRequest<{ allowVolumeExpansion?: boolean }>(access, "GET", `/apis/storage.k8s.io/v1/storageclasses/${encodeURIComponent(className)}`);
        allows = cls.allowVolumeExpansion === true;
    } catch {
        return undefined;
    }
    if (allows) return undefined;
    return `${p.key}: "${from}" -> "${p.size}": StorageClass "${className}" of claim ${p.namespace}/${p.claim} does not allow volume expansion ` +
        `(allowVolumeExpansion is not true), so the API server would refuse the bigger claim; fix: set it back to ${from} ` +
        `(more room means a new claim, see the README's "Data safety"), or let the class expand if its provisioner can`;
}

/** What a ClaimSize is given. */
export interface ClaimSizeInputs {
    kubeconfig: string;
    context?: string;
    namespace: string;
    claim: string;
    /** The size the config asks for, as written (`3Gi`). */
    size: string;
    /** The config key that sets it, for the error. */
    key: string;
    /** How long to wait for the resizer, in seconds. Default: 600, the Kubernetes provider's own wait. */
    timeoutSeconds?: number;
}

const defaultResizeTimeoutSeconds = 600;

/** A change of these is a new size to wait for; the kubeconfig is how, not what. */
const sizeFields = ["namespace", "claim", "size"] as const;

/**
 * A dynamic provider whose create and update wait until the claim's capacity reaches the size
 * asked for, and fail, naming the key and where to look, when it does not in time.
 */
export function claimSizeProvider(): pulumi.dynamic.ResourceProvider {
    const wait = async (p: ClaimSizeInputs) => {
        const asked = parseQuantity(p.size);
        if (asked === undefined) throw new Error(`${p.key}: "${p.size}" is not a Kubernetes quantity`);
        const access = apiAccess(p.kubeconfig, p.context || undefined);
        const where = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/persistentvolumeclaims/${encodeURIComponent(p.claim)}`;
        const timeout = p.timeoutSeconds || defaultResizeTimeoutSeconds;
        const deadline = Date.now() + timeout * 1000;
        for (;;) {
            const seen = claimSizeState(await kubeRequest<ClaimSizeView>(access, "GET", where), asked);
            if (seen.state !== "growing") return { namespace: p.namespace, claim: p.claim, size: p.size, capacity: seen.capacity };
            if (Date.now() >= deadline) {
                throw new Error(`${p.key}: claim ${p.namespace}/${p.claim} asks for ${p.size} but still has ${seen.capacity || "no capacity"} ` +
                    `after ${timeout} s${seen.detail ? ` (${seen.detail})` : ""}: its class allows expansion, so the class's resizer ` +
                    `should grow it; see \`kubectl describe pvc -n ${p.namespace} ${p.claim}\` for what it did, then run \`pulumi up\` again`);
            }
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
    };
    return {
        async create(inputs: ClaimSizeInputs) {
            return { id: `${inputs.namespace}/${inputs.claim}`, outs: await wait(inputs) };
        },
        async diff(_id: string, olds: Partial<ClaimSizeInputs>, news: ClaimSizeInputs) {
            const changed = sizeFields.filter((k) => olds[k] !== news[k]);
            const before = parseQuantity(olds.size ?? "");
            const after = parseQuantity(news.size);
            if (news.kubeconfig && before !== undefined && after !== undefined && after > before && olds.claim === news.claim) {
                const problem = await growthProblem(news, olds.size!);
                if (problem !== undefined) throw new Error(problem);
            }
            return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
        },
        async update(_id: string, _olds: unknown, news: ClaimSizeInputs) {
            return { outs: await wait(news) };
        },
    };
}

const claimSizeShared = sharedProvider(claimSizeProvider);

/**
 * Waits, in `up`, until a data claim has the size the config asks for. Deleting it does
 * nothing; it only watches.
 */
export class ClaimSize extends pulumi.dynamic.Resource {
    /** The claim's capacity once it has the size asked for ("" while it is not bound yet). */
    public readonly capacity!: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof ClaimSizeInputs]: pulumi.Input<ClaimSizeInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        // The kubeconfig is kept encrypted in the state; the outputs do not carry it.
        super(claimSizeShared(), name, {
            ...args, kubeconfig: pulumi.secret(args.kubeconfig), context: args.context ?? "", timeoutSeconds: args.timeoutSeconds ?? 0, capacity: undefined,
        },
            opts, "agent-storage", "ClaimSize");
    }
}
