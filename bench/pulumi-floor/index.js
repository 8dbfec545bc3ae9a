// One namespace and one ConfigMap through an explicit Kubernetes provider: what every
// Pulumi program on this cluster pays for up, preview and destroy, whatever it deploys.
// The SDKs resolve from the project's node_modules (the folder above).
const fs = require("fs");
const k8s = require("@pulumi/kubernetes");
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config();
const provider = new k8s.Provider("k8s", { kubeconfig: fs.readFileSync(config.require("kubeconfig"), "utf8") });
const namespace = new k8s.core.v1.Namespace("floor", { metadata: { name: config.require("namespace") } }, { provider });
new k8s.core.v1.ConfigMap("floor", {
    metadata: { name: "floor", namespace: namespace.metadata.name },
    data: { what: "the Pulumi floor of bench/deploy" },
}, { provider });
