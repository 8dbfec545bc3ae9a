import * as assert from "assert";
import * as http from "http";
import { serializeFunction } from "@pulumi/pulumi/runtime/closure/serializeClosure";
import { renderEksKubeconfig } from "../components/cluster";
import { apiAccess } from "../components/kubeapi";
import { ClaimNodesInputs, PodView, claimNodesProvider, listPods, nodesUsingClaim } from "../components/report";
import { startFakeApi } from "./harness";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function kubeconfig(server: string, user: Record<string, unknown>, extraContext?: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "current-context: main",
        "clusters:",
        "- name: c",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64("CA PEM")}`,
        "users:",
        "- name: u",
        `  user: ${JSON.stringify(user)}`,
        "contexts:",
        "- name: main",
        "  context: {cluster: c, user: u}",
        ...(extraContext ? [`- name: ${extraContext}`, "  context: {cluster: c}"] : []),
    ].join("\n") + "\n";
}

const pod = (node: string | undefined, claim: string, extra: Partial<PodView> & { phase?: string } = {}): PodView => ({
    metadata: extra.metadata ?? {},
    spec: { nodeName: node, volumes: [{ persistentVolumeClaim: { claimName: claim } }, {}] },
    status: { phase: extra.phase ?? "Running" },
});

/** A fake API server that answers the pod list of one namespace and records the requests. */
async function fakeApi(pods: PodView[]): Promise<{ url: string; requests: http.IncomingMessage[]; close: () => void }> {
    const requests: http.IncomingMessage[] = [];
    const api = await startFakeApi((req, res) => {
        requests.push(req);
        if (req.url === "/api/v1/namespaces/agent-data/pods") {
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "PodList", items: pods }));
        } else {
            res.writeHead(403).end(`{"message":"forbidden: ${req.url}"}`);
        }
    });
    return { url: api.url, requests, close: api.close };
}

describe("claim nodes (which nodes mount a claim)", () => {
    it("counts only running pods that mount the claim, with their node", () => {
        const pods = [
            pod("w1", "embeddings"), pod("w2", "embeddings"), pod("w2", "embeddings"),
            pod(undefined, "embeddings", { phase: "Pending" }),
            pod("w3", "embeddings", { metadata: { deletionTimestamp: "2026-11-24T10:00:00Z" } }),
            pod("w4", "embeddings", { phase: "Succeeded" }),
            pod("w5", "checkpoints"),
        ];
        assert.deepStrictEqual(nodesUsingClaim(pods, "embeddings"), ["w1", "w2", "w2"]);
        assert.deepStrictEqual(nodesUsingClaim(pods, "checkpoints"), ["w5"]);
    });

    it("reads server, CA and client certificate of the kubeconfig's current context, as kind and the local cluster write them", () => {
        const access = apiAccess(kubeconfig("https://127.0.0.1:6443/", { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }));
        assert.deepStrictEqual([access.server, access.ca, access.cert, access.key, access.insecure], ["https://127.0.0.1:6443", "CA PEM", "CERT", "KEY", false]);
    });

    it("uses the named context when one is configured, and says which context is missing", () => {
        assert.strictEqual(apiAccess(kubeconfig("https://a", {}, "other"), "other").cert, undefined);
        assert.throws(() => apiAccess(kubeconfig("https://a", {}), "nope"), /no context "nope"/);
    });

    it("reads the credential plugin of the EKS kubeconfig", () => {
        const access = apiAccess(renderEksKubeconfig({ clusterName: "c", endpoint: "https://e", certificateAuthority: b64("CA"), region: "eu-west-1" }));
        assert.strictEqual(access.exec?.command, "aws");
        assert.deepStrictEqual(access.exec?.args.slice(0, 2), ["eks", "get-token"]);
    });

    it("refuses an auth-provider user, naming it", () => {
        assert.throws(() => apiAccess(kubeconfig("https://a", { "auth-provider": { name: "oidc" } })), /auth-provider "oidc"/);
    });

    it("lists a namespace's pods with the kubeconfig's token", async () => {
        const api = await fakeApi([pod("w1", "embeddings")]);
        try {
            const pods = await listPods(apiAccess(kubeconfig(api.url, { token: "t0ken" })), "agent-data");
            assert.deepStrictEqual(nodesUsingClaim(pods, "embeddings"), ["w1"]);
            assert.strictEqual(api.requests[0].headers.authorization, "Bearer t0ken");
        } finally {
            api.close();
        }
    });

    it("gets the token from the credential plugin when the kubeconfig has one", async () => {
        const api = await fakeApi([]);
        const plugin = { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: process.execPath,
            args: ["-e", "process.stdout.write(JSON.stringify({ status: { token: 'from-' + process.env.WHO } }))"], env: [{ name: "WHO", value: "plugin" }] } };
        try {
            await listPods(apiAccess(kubeconfig(api.url, plugin)), "agent-data");
            assert.strictEqual(api.requests[0].headers.authorization, "Bearer from-plugin");
        } finally {
            api.close();
        }
    });

    it("keeps the stored nodes on `pulumi refresh`, whose state holds no kubeconfig to read with", async () => {
        const stored = { namespace: "agent-data", claim: "embeddings", nodes: ["n1", "n2"] };
        const r = await claimNodesProvider().read!("agent-data/embeddings", stored as Omit<ClaimNodesInputs, "kubeconfig"> as ClaimNodesInputs);
        assert.deepStrictEqual(r, { id: "agent-data/embeddings", props: stored });
    });

    it("fails with the API server's answer when it refuses", async () => {
        const api = await fakeApi([]);
        try {
            await assert.rejects(listPods(apiAccess(kubeconfig(api.url, {})), "other"), /GET \/api\/v1\/namespaces\/other\/pods: 403 .*forbidden/);
        } finally {
            api.close();
        }
    });

    it("works after being serialized the way the engine's dynamic-provider host loads it", async function () {
        this.timeout(60_000);
        // The module the SDK's dynamic-provider host loads serialized providers with; it ships
        // no type declarations, so it cannot be imported under noImplicitAny.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string");
        const provider = claimNodesProvider();
        const text = (await serializeFunction(() => provider, { allowSecrets: true })).text;
        const loaded = requireFromString(text).handler();
        const api = await fakeApi([pod("w2", "embeddings"), pod("w1", "embeddings"), pod("w1", "checkpoints")]);
        try {
            const result = await loaded.read("agent-data/embeddings", { kubeconfig: kubeconfig(api.url, {}), context: "", namespace: "agent-data", claim: "embeddings" });
            assert.deepStrictEqual(result, { id: "agent-data/embeddings", props: { namespace: "agent-data", claim: "embeddings", nodes: ["w2", "w1"] } });
            await assert.rejects(loaded.read("x/y", { kubeconfig: kubeconfig(api.url, {}), context: "", namespace: "x", claim: "y" }),
                /could not read which nodes mount claim x\/y: GET .*403/);
        } finally {
            api.close();
        }
    });
});
