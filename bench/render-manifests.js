#!/usr/bin/env node
// bench/render-manifests.js --namespace NS [--replicas N] [--floor] < live.json > manifests.json
//
// Turns `kubectl get namespace,pvc,deployment,serviceaccount,role,rolebinding,service,networkpolicy -o json`
// of a stack that Pulumi deployed into plain manifests that `kubectl apply -f` can create from
// empty: the same objects, specs, labels and annotations the program set, without anything the
// cluster or Pulumi added (status, uid, resourceVersion, managedFields, bound volume name,
// cluster IPs, controller annotations), moved to namespace NS, with N inference replicas.
// Output: a v1 List (JSON) in the order kubectl applies it: namespace, service accounts and
// RBAC, network policies, claims, deployments, service.
//
// --floor renders the floor instead: the namespace, one claim like the embeddings claim and
// one bare pod like a reader (same image, security, resources) that mounts it and only
// sleeps, with no probe. Its time from apply to Ready is what any deployment of a pod with a
// fresh claim costs on this cluster, whatever tool creates it.
"use strict";

const args = process.argv.slice(2);
function flag(name, def) {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}
const namespace = flag("namespace");
const replicas = flag("replicas");
const floor = args.includes("--floor");
if (!namespace) {
    console.error("usage: render-manifests.js --namespace NS [--replicas N] [--floor] < kubectl-get.json");
    process.exit(2);
}

const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const items = input.kind === "List" ? input.items : [input];

const dropAnnotation = (k) =>
    k === "kubectl.kubernetes.io/last-applied-configuration" ||
    k === "deployment.kubernetes.io/revision" ||
    k.startsWith("pv.kubernetes.io/") ||
    k.startsWith("volume.kubernetes.io/") ||
    k.startsWith("volume.beta.kubernetes.io/") ||
    k.startsWith("pulumi.com/");

function cleanMeta(meta, ns) {
    const out = { name: meta.name };
    if (ns !== undefined) out.namespace = ns;
    const labels = { ...(meta.labels || {}) };
    delete labels["kubernetes.io/metadata.name"];
    if (labels["app.kubernetes.io/managed-by"] === "pulumi") labels["app.kubernetes.io/managed-by"] = "kubectl";
    if (Object.keys(labels).length) out.labels = labels;
    const ann = Object.fromEntries(Object.entries(meta.annotations || {}).filter(([k]) => !dropAnnotation(k)));
    if (Object.keys(ann).length) out.annotations = ann;
    return out;
}

const order = { Namespace: 0, ServiceAccount: 1, Role: 1, RoleBinding: 2, NetworkPolicy: 3, PersistentVolumeClaim: 4, Deployment: 5, Service: 6 };
const out = [];
for (const o of items) {
    switch (o.kind) {
        case "Namespace":
            out.push({ apiVersion: "v1", kind: "Namespace", metadata: cleanMeta({ ...o.metadata, name: namespace }) });
            break;
        case "PersistentVolumeClaim": {
            const spec = { ...o.spec };
            delete spec.volumeName; // a fresh claim gets a fresh volume
            out.push({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: cleanMeta(o.metadata, namespace), spec });
            break;
        }
        case "Deployment": {
            const spec = JSON.parse(JSON.stringify(o.spec));
            if (spec.template && spec.template.metadata) delete spec.template.metadata.creationTimestamp;
            if (spec.template && spec.template.metadata && spec.template.metadata.labels &&
                spec.template.metadata.labels["app.kubernetes.io/managed-by"] === "pulumi") {
                spec.template.metadata.labels["app.kubernetes.io/managed-by"] = "kubectl";
            }
            if (replicas !== undefined && o.metadata.name === "inference") spec.replicas = Number(replicas);
            out.push({ apiVersion: "apps/v1", kind: "Deployment", metadata: cleanMeta(o.metadata, namespace), spec });
            break;
        }
        case "ServiceAccount":
            out.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: cleanMeta(o.metadata, namespace) });
            break;
        case "Role":
            out.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: cleanMeta(o.metadata, namespace), rules: o.rules });
            break;
        case "RoleBinding":
            out.push({
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: cleanMeta(o.metadata, namespace),
                roleRef: o.roleRef,
                subjects: (o.subjects || []).map((sub) => (sub.namespace ? { ...sub, namespace } : sub)),
            });
            break;
        case "NetworkPolicy":
            out.push({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: cleanMeta(o.metadata, namespace), spec: o.spec });
            break;
        case "Service": {
            const spec = { ...o.spec };
            for (const k of ["clusterIP", "clusterIPs"]) delete spec[k]; // given by the cluster
            out.push({ apiVersion: "v1", kind: "Service", metadata: cleanMeta(o.metadata, namespace), spec });
            break;
        }
        default:
            console.error(`render-manifests.js: skipping ${o.kind} ${o.metadata && o.metadata.name}`);
    }
}
if (floor) {
    const ns = out.find((o) => o.kind === "Namespace");
    const reader = out.find((o) => o.kind === "Deployment" && o.metadata.name === "inference");
    // The claim the readers mount: the embeddings claim, whatever the stack calls it.
    const mounted = reader && reader.spec.template.spec.volumes.find((v) => v.persistentVolumeClaim);
    const claim = mounted && out.find((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === mounted.persistentVolumeClaim.claimName);
    if (!ns || !claim || !reader) {
        console.error("render-manifests.js --floor: the input needs the namespace, the embeddings claim and the inference deployment");
        process.exit(1);
    }
    const pod = JSON.parse(JSON.stringify(reader.spec.template.spec));
    delete pod.affinity; // nothing to be next to: the floor pod is alone
    delete pod.topologySpreadConstraints;
    pod.containers = pod.containers.map((c) => {
        const bare = { ...c, command: ["sleep", "3600"] };
        for (const k of ["readinessProbe", "livenessProbe", "ports"]) delete bare[k];
        return bare;
    });
    pod.volumes = pod.volumes.map((v) => (v.persistentVolumeClaim ? { ...v, persistentVolumeClaim: { claimName: "floor" } } : v));
    const items = [
        ns,
        { ...claim, metadata: { name: "floor", namespace } },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "floor", namespace, labels: { app: "floor" } }, spec: pod },
    ];
    process.stdout.write(JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2) + "\n");
    process.exit(0);
}
out.sort((a, b) => order[a.kind] - order[b.kind] || a.metadata.name.localeCompare(b.metadata.name));
const kinds = out.map((o) => o.kind);
for (const k of ["Namespace", "ServiceAccount", "Role", "RoleBinding", "PersistentVolumeClaim", "Deployment"]) {
    if (!kinds.includes(k)) {
        console.error(`render-manifests.js: no ${k} in the input`);
        process.exit(1);
    }
}
process.stdout.write(JSON.stringify({ apiVersion: "v1", kind: "List", items: out }, null, 2) + "\n");
