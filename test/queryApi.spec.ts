import * as assert from "assert";
import { inferencePodSpec } from "../components/workloads";
import { Json, MockCluster, buildOnce, valueOf } from "./harness";

const deployment = (c: MockCluster, name: string) => c.one("kubernetes:apps/v1:Deployment", (r) => r.inputs.metadata.name === name);
const service = (c: MockCluster) => c.ofType("kubernetes:core/v1:Service", { read: false });
const policy = (c: MockCluster, name: string) => c.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", (r) => r.inputs.metadata.name === name);
/** True when every label of the selector is on the pods. */
const selects = (selector: Record<string, string>, podLabels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => podLabels[k] === v);

describe("inference pods' query API", () => {
    const args = { image: "img", embeddingsClaim: "embeddings", resources: { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } } };

    it("listens on 8080 by default, in a container port named query", () => {
        const c: Json = inferencePodSpec(args).containers[0];
        assert.deepStrictEqual(c.ports, [{ name: "query", containerPort: 8080, protocol: "TCP" }]);
    });

    it("probes readiness often over HTTP on the query port, since the answer comes from memory", () => {
        const c: Json = inferencePodSpec({ ...args, queryPort: 9090 }).containers[0];
        assert.deepStrictEqual(c.ports, [{ name: "query", containerPort: 9090, protocol: "TCP" }]);
        assert.ok(c.readinessProbe && "httpGet" in c.readinessProbe);
        assert.strictEqual(c.readinessProbe.httpGet.port, "query");
        assert.strictEqual(c.readinessProbe.periodSeconds, 2);
        assert.ok(!("exec" in c.readinessProbe), "no file-hashing exec probe next to the HTTP one");
    });

    it("restarts a reader only after its server stopped answering for half a minute", () => {
        const c: Json = inferencePodSpec(args).containers[0];
        assert.ok("livenessProbe" in c);
        const { httpGet, periodSeconds, failureThreshold, initialDelaySeconds } = c.livenessProbe;
        assert.strictEqual(httpGet.port, "query");
        assert.ok(periodSeconds * failureThreshold >= 30, `${periodSeconds}s x ${failureThreshold}`);
        assert.ok(initialDelaySeconds >= 5);
    });

    it("has no port, no HTTP probe and no listen variable when the port is 0", () => {
        const c: Json = inferencePodSpec({ ...args, queryPort: 0 }).containers[0];
        assert.ok(!("ports" in c) && !("livenessProbe" in c));
        assert.ok(c.readinessProbe && "exec" in c.readinessProbe);
        assert.strictEqual(c.readinessProbe.periodSeconds, 10);
        assert.deepStrictEqual(c.env.map((e: Json) => e.name), ["EMBEDDINGS_PATH"]);
    });
});

describe("InferenceService", () => {
    it("is a ClusterIP Service named like the readers that selects exactly the readers' Deployment's pods", async () => {
        const { cluster } = await buildOnce({});
        const [svc] = service(cluster);
        assert.strictEqual(service(cluster).length, 1);
        assert.deepStrictEqual([svc.inputs.metadata.name, svc.inputs.metadata.namespace, svc.inputs.spec.type], ["inference", "agent-data", "ClusterIP"]);
        const readers = deployment(cluster, "inference").inputs.spec;
        assert.deepStrictEqual(svc.inputs.spec.selector, readers.selector.matchLabels);
        assert.ok(selects(svc.inputs.spec.selector, readers.template.metadata.labels));
        const writer = deployment(cluster, "embeddings-generator").inputs.spec.template.metadata.labels;
        assert.ok(!selects(svc.inputs.spec.selector, writer), "the generator serves no queries");
    });

    it("forwards its port to the readers' container port named query", async () => {
        const { cluster } = await buildOnce({ queryPort: 9090 });
        const [svc] = service(cluster);
        assert.deepStrictEqual(svc.inputs.spec.ports, [{ name: "query", protocol: "TCP", port: 9090, targetPort: "query" }]);
        const container = deployment(cluster, "inference").inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual(container.ports.find((p: Json) => p.name === svc.inputs.spec.ports[0].targetPort).containerPort, 9090);
    });

    it("is a child of its component with the cluster's provider", async () => {
        const { cluster } = await buildOnce({});
        const [svc] = service(cluster);
        assert.deepStrictEqual([svc.parent, svc.provider], ["agent-query", "kind-k8s"]);
        assert.ok(cluster.urns.some((u) => u.endsWith("agent-storage:workloads:InferenceService::agent-query")));
    });

    it("gives the stack output queryService its in-cluster address", async () => {
        const { outputs } = await buildOnce({});
        assert.strictEqual(await valueOf(outputs.queryService), "http://inference.agent-data.svc.cluster.local:8080");
        const other = await buildOnce({ namespace: "agents", queryPort: 9090 });
        assert.strictEqual(await valueOf(other.outputs.queryService), "http://inference.agents.svc.cluster.local:9090");
    });

    it("is not created when queryPort is 0, and queryService says the API is off and why", async () => {
        const { cluster, outputs } = await buildOnce({ queryPort: 0 });
        assert.deepStrictEqual(service(cluster), []);
        assert.strictEqual(await valueOf(outputs.queryService), "off (agent-storage:queryPort is 0)");
    });
});

describe("WorkloadNetworkPolicies", () => {
    it("lets TCP on the query port alone into the readers, and nothing out of them", async () => {
        const { cluster } = await buildOnce({ queryPort: 9090 });
        const spec = policy(cluster, "inference").inputs.spec;
        assert.deepStrictEqual(spec.podSelector.matchLabels, deployment(cluster, "inference").inputs.spec.selector.matchLabels);
        assert.deepStrictEqual(spec.policyTypes, ["Ingress", "Egress"]);
        assert.deepStrictEqual(spec.ingress, [{ ports: [{ protocol: "TCP", port: 9090 }] }]);
        assert.deepStrictEqual(spec.egress, []);
    });

    it("lets nothing into the readers when queryPort is 0", async () => {
        const { cluster } = await buildOnce({ queryPort: 0 });
        const spec = policy(cluster, "inference").inputs.spec;
        assert.deepStrictEqual([spec.policyTypes, spec.ingress, spec.egress], [["Ingress", "Egress"], [], []]);
    });

    it("lets nothing into the generator and leaves its way to the API server open", async () => {
        const { cluster } = await buildOnce({});
        const spec = policy(cluster, "embeddings-generator").inputs.spec;
        assert.deepStrictEqual(spec.podSelector.matchLabels, deployment(cluster, "embeddings-generator").inputs.spec.selector.matchLabels);
        assert.deepStrictEqual([spec.policyTypes, spec.ingress, spec.egress], [["Ingress"], [], undefined]);
    });

    it("puts both policies in the data's namespace, under their component, with the cluster's provider", async () => {
        const { cluster } = await buildOnce({ namespace: "agents" });
        for (const name of ["inference", "embeddings-generator"]) {
            const p = policy(cluster, name);
            assert.deepStrictEqual([p.inputs.metadata.namespace, p.parent, p.provider], ["agents", "agent-network", "kind-k8s"], name);
        }
        assert.ok(cluster.urns.some((u) => u.endsWith("agent-storage:workloads:WorkloadNetworkPolicies::agent-network")));
    });
});
