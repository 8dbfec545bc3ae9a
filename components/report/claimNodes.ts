import * as pulumi from "@pulumi/pulumi";

/** How to reach the Kubernetes API, taken from one context of a kubeconfig. */
export interface ApiAccess {
    server: string;
    /** PEM of the cluster's CA, when the kubeconfig names one. */
    ca?: string;
    insecure: boolean;
    tlsServerName?: string;
    /** Client certificate and key (PEM). */
    cert?: string;
    key?: string;
    token?: string;
    tokenFile?: string;
    /** A credential plugin, e.g. `aws eks get-token`. */
    exec?: { command: string; args: string[]; env: Record<string, string>; apiVersion: string };
}

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

/**
 * Reads the API server and credentials of a kubeconfig (YAML or JSON) for its current
 * context, or the one named. Only what the program's targets use is understood: CA and
 * client certificates (data or files), tokens and credential plugins.
 */
export function apiAccess(kubeconfig: string, context?: string): ApiAccess {
    // Required here, not imported at the top: the provider below is serialized with its closure.
    const yaml = require("js-yaml");
    const fs = require("fs");
    const config = yaml.load(kubeconfig) as any;
    const named = (list: any[] | undefined, name: string, what: string) => {
        const found = (list ?? []).find((e) => e.name === name);
        if (!found) throw new Error(`the kubeconfig has no ${what} "${name}"`);
        return found;
    };
    const contextName = context ?? config?.["current-context"];
    if (!contextName) throw new Error("the kubeconfig names no current context");
    const ctx = named(config.contexts, contextName, "context").context ?? {};
    const cluster = named(config.clusters, ctx.cluster, "cluster").cluster ?? {};
    const user = ctx.user === undefined ? {} : named(config.users, ctx.user, "user").user ?? {};
    if (user["auth-provider"]) {
        throw new Error(`the kubeconfig's user "${ctx.user}" uses the auth-provider "${user["auth-provider"].name}", which this report cannot use`);
    }
    const pem = (data: string | undefined, file: string | undefined) =>
        data !== undefined ? Buffer.from(data, "base64").toString("utf8") : file !== undefined ? fs.readFileSync(file, "utf8") : undefined;
    return {
        server: String(cluster.server ?? "").replace(/\/+$/, ""),
        ca: pem(cluster["certificate-authority-data"], cluster["certificate-authority"]),
        insecure: cluster["insecure-skip-tls-verify"] === true,
        tlsServerName: cluster["tls-server-name"],
        cert: pem(user["client-certificate-data"], user["client-certificate"]),
        key: pem(user["client-key-data"], user["client-key"]),
        token: user.token,
        tokenFile: user.tokenFile,
        exec: user.exec === undefined ? undefined : {
            command: user.exec.command,
            args: user.exec.args ?? [],
            env: Object.fromEntries((user.exec.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value])),
            apiVersion: user.exec.apiVersion ?? "client.authentication.k8s.io/v1",
        },
    };
}

/** Lists the pods of a namespace through the Kubernetes API. */
export async function listPods(access: ApiAccess, namespace: string): Promise<PodView[]> {
    const fs = require("fs");
    const childProcess = require("child_process");
    let { token, cert, key } = access;
    if (token === undefined && access.tokenFile !== undefined) token = fs.readFileSync(access.tokenFile, "utf8").trim();
    if (access.exec !== undefined) {
        const out = childProcess.execFileSync(access.exec.command, access.exec.args, {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: {
                ...process.env, ...access.exec.env,
                KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: access.exec.apiVersion, kind: "ExecCredential", spec: { interactive: false } }),
            },
        });
        const status = JSON.parse(out).status ?? {};
        token = status.token ?? token;
        cert = status.clientCertificateData ?? cert;
        key = status.clientKeyData ?? key;
    }
    const url = new URL(`${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`);
    const client = require(url.protocol === "http:" ? "http" : "https");
    const body: string = await new Promise((resolve, reject) => {
        const request = client.get(url, {
            ca: access.ca, cert, key, servername: access.tlsServerName, rejectUnauthorized: !access.insecure,
            headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
            timeout: 30_000,
        }, (response: any) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => { text += chunk; });
            response.on("end", () => response.statusCode === 200
                ? resolve(text)
                : reject(new Error(`GET ${url.pathname}: ${response.statusCode} ${text.slice(0, 300)}`)));
        });
        request.on("timeout", () => request.destroy(new Error(`GET ${url.pathname}: no answer in 30s`)));
        request.on("error", reject);
    });
    return JSON.parse(body).items ?? [];
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
                throw new Error(`could not read which nodes mount claim ${props.namespace}/${props.claim}: ${(e as Error).message}`);
            }
        },
    };
}

/** The nodes that mount one claim, read from the live cluster each time the program runs. */
export class ClaimNodes extends pulumi.dynamic.Resource {
    public readonly nodes!: pulumi.Output<string[]>;

    /** `opts.id` is required: it is `<namespace>/<claim>`, derived from what must be ready first. */
    constructor(name: string, args: { [K in keyof ClaimNodesInputs]: pulumi.Input<ClaimNodesInputs[K]> }, opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        // The kubeconfig goes in as the secret the cluster components make it, and the read's
        // result does not carry it: nothing of it is stored in the clear.
        super(claimNodesProvider(), name, { ...args, context: args.context ?? "", nodes: undefined }, opts, "agent-storage", "ClaimNodes");
    }
}
