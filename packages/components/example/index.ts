import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { AgentNamespace, DataVolumes, EmbeddingsGenerator, ExistingCluster, InferencePool } from "@agent-storage/components";

const config = new pulumi.Config();
const { provider } = new ExistingCluster("cluster", { kubeconfig: fs.readFileSync(config.require("kubeconfig"), "utf8") });
const image = config.get("image") ?? "localhost/agent-storage/workload:0.1.0"; // built by scripts/build-image
const budget = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
const claim = { accessMode: "ReadWriteOnce", storageClass: config.get("storageClass") ?? "standard" } as const;

const namespace = new AgentNamespace("agent", { name: "agent-data", retainOnDelete: true, provider });
const data = new DataVolumes("agent-data", {
    namespace: namespace.name, deleteDataOnDestroy: false, provider,
    embeddings: { ...claim, name: "embeddings", role: "embeddings", size: "2Gi" },
    checkpoints: { ...claim, name: "checkpoints", role: "checkpoints", size: "1Gi" },
});
const generator = new EmbeddingsGenerator("generator", {
    namespace: namespace.name, image, resources: budget, provider, embeddingsClaim: "embeddings",
    checkpointsClaim: "checkpoints", refresh: { schedule: "@daily", keepVersions: 3, gracePeriod: "10m" },
}, { dependsOn: [data] });
const readers = new InferencePool("inference", {
    namespace: namespace.name, image, resources: budget, provider, embeddingsClaim: "embeddings",
    replicas: config.getNumber("replicas") ?? 3,
}, { dependsOn: [generator] });

export const ready = { generator: generator.ready, inference: readers.ready };
