/*
 * The Kubernetes API as the program's dynamic resources reach it: straight HTTPS with the
 * kubeconfig's credentials. The Kubernetes provider reads and patches single objects by name;
 * these resources need what it cannot do (list by label, run on every up), and no client
 * library is needed for a few GETs and PATCHes.
 * Everything here is required inside the functions, not imported at the top: dynamic
 * providers are serialized with their closures.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside the functions, as said above */
import type { IncomingMessage } from "http";

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

/** The parts of a kubeconfig file that apiAccess reads (field names as kubectl writes them). */
interface KubeconfigFile {
    "current-context"?: string;
    contexts?: Array<{ name: string; context?: KubeconfigContext }>;
    clusters?: Array<{ name: string; cluster?: KubeconfigCluster }>;
    users?: Array<{ name: string; user?: KubeconfigUser }>;
}

interface KubeconfigContext {
    cluster?: string;
    user?: string;
}

interface KubeconfigCluster {
    server?: string;
    "certificate-authority-data"?: string;
    "certificate-authority"?: string;
    "insecure-skip-tls-verify"?: boolean;
    "tls-server-name"?: string;
}

interface KubeconfigUser {
    "auth-provider"?: { name: string };
    "client-certificate-data"?: string;
    "client-certificate"?: string;
    "client-key-data"?: string;
    "client-key"?: string;
    token?: string;
    tokenFile?: string;
    exec?: { command: string; args?: string[]; env?: Array<{ name: string; value: string }>; apiVersion?: string };
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
    const config = (yaml.load(kubeconfig) ?? {}) as KubeconfigFile;
    const named = <T extends { name: string }>(list: T[] | undefined, name: string | undefined, what: string): T => {
        const found = (list ?? []).find((e) => e.name === name);
        if (!found) throw new Error(`the kubeconfig has no ${what} "${name}"`);
        return found;
    };
    const contextName = context ?? config?.["current-context"];
    if (!contextName) throw new Error("the kubeconfig names no current context");
    const ctx: KubeconfigContext = named(config.contexts, contextName, "context").context ?? {};
    const cluster: KubeconfigCluster = named(config.clusters, ctx.cluster, "cluster").cluster ?? {};
    const user: KubeconfigUser = ctx.user === undefined ? {} : named(config.users, ctx.user, "user").user ?? {};
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
            env: Object.fromEntries((user.exec.env ?? []).map((e) => [e.name, e.value])),
            apiVersion: user.exec.apiVersion ?? "client.authentication.k8s.io/v1",
        },
    };
}

/** Token or client certificate for a request, running the kubeconfig's credential plugin if it has one. */
function credentials(access: ApiAccess): { token?: string; cert?: string; key?: string } {
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
    return { token, cert, key };
}

/** One request to the API server; resolves with the parsed JSON body of a 2xx answer, of the shape the caller names. */
export async function kubeRequest<T = unknown>(access: ApiAccess, method: "GET" | "PATCH", apiPath: string,
    body?: { contentType: string; value: unknown }): Promise<T> {
    const { token, cert, key } = credentials(access);
    const url = new URL(`${access.server}${apiPath}`);
    const client = require(url.protocol === "http:" ? "http" : "https");
    const payload = body === undefined ? undefined : JSON.stringify(body.value);
    const text: string = await new Promise((resolve, reject) => {
        const request = client.request(url, {
            method,
            ca: access.ca, cert, key, servername: access.tlsServerName, rejectUnauthorized: !access.insecure,
            headers: {
                Accept: "application/json",
                ...(token ? { Authorization: `Bearer ${token}` } : {}),
                ...(body ? { "Content-Type": body.contentType } : {}),
            },
            timeout: 30_000,
        }, (response: IncomingMessage) => {
            let answer = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => { answer += chunk; });
            response.on("end", () => {
                // Always set on a client's response; 0 would only say the answer is not a 2xx.
                const status = response.statusCode ?? 0;
                if (status >= 200 && status < 300) resolve(answer);
                else reject(new Error(`${method} ${url.pathname}: ${status} ${answer.slice(0, 300)}`));
            });
        });
        request.on("timeout", () => request.destroy(new Error(`${method} ${url.pathname}: no answer in 30s`)));
        request.on("error", reject);
        request.end(payload);
    });
    return JSON.parse(text) as T;
}
