import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodScheduling } from "./placement";
import { ResourceBudget, mountPaths, restrictedContainerSecurity, restrictedPodSecurity, standardLabels, workloadSelector } from "./podSecurity";
import { refresherContract } from "./refresherContract";
import { writerComponent } from "../labels";

const { binary, subcommands, env, flags } = refresherContract;

export interface RefreshPolicy {
    /** When the embeddings are rebuilt (`@weekly`, `@every 6h`, or five cron fields). */
    schedule: string;
    /** Complete versions kept for rollback. */
    keepVersions: number;
    /** How long an old version stays readable after it stops being current. */
    gracePeriod: string;
}

export interface EmbeddingsGeneratorArgs {
    namespace: pulumi.Input<string>;
    image: string;
    /** Claim holding the shared embeddings; mounted read-write here and only here. */
    embeddingsClaim: string;
    /** The generator's own checkpoints claim. */
    checkpointsClaim: string;
    refresh: RefreshPolicy;
    resources: ResourceBudget;
    /** Affinity to the readers' node when the embeddings are node-bound (see placement.ts). Default: none. */
    scheduling?: PodScheduling;
    provider: k8s.Provider;
}

export const generatorName = "embeddings-generator";

/**
 * ConfigMap the generator publishes the served version to. Readers have no API access at
 * all; the generator may create this one ConfigMap and update only it.
 */
export const statusConfigMapName = refresherContract.statusConfigMap.name;

/** The writer's pod spec: embeddings and checkpoints read-write, nothing else writable but /tmp. */
export function generatorPodSpec(args: Omit<EmbeddingsGeneratorArgs, "namespace" | "provider">): k8s.types.input.core.v1.PodSpec {
    // Ready once a complete version exists and its id is published, so the stack can report
    // what is served. Sizes only: the refresh hashed every file as it wrote it, and hashing
    // the whole version every probe period would cost its size in reads each time. That makes
    // the probe cheap enough to run every 2 s, so `up` learns within 2 s that the first
    // version is there instead of within 10.
    const probe = {
        exec: { command: [binary, subcommands.ready, flags.embeddings, mountPaths.embeddings, flags.published, `${flags.checksums}=false`] },
        periodSeconds: 2,
        timeoutSeconds: 5,
    };
    return {
        ...args.scheduling,
        securityContext: restrictedPodSecurity(),
        serviceAccountName: generatorName,
        // The token is only for publishing the served version (see statusConfigMapName).
        automountServiceAccountToken: true,
        enableServiceLinks: false,
        containers: [{
            name: "generator",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: [binary, subcommands.generate],
            env: [
                { name: env.embeddingsPath, value: mountPaths.embeddings },
                { name: env.checkpointsPath, value: mountPaths.checkpoints },
                { name: env.refreshSchedule, value: args.refresh.schedule },
                { name: env.keepVersions, value: String(args.refresh.keepVersions) },
                { name: env.gracePeriod, value: args.refresh.gracePeriod },
                { name: env.statusConfigMap, value: statusConfigMapName },
            ],
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            readinessProbe: { ...probe, initialDelaySeconds: 1 },
            volumeMounts: [
                { name: "embeddings", mountPath: mountPaths.embeddings },
                { name: "checkpoints", mountPath: mountPaths.checkpoints },
                { name: "scratch", mountPath: mountPaths.scratch },
            ],
        }],
        volumes: [
            { name: "embeddings", persistentVolumeClaim: { claimName: args.embeddingsClaim } },
            { name: "checkpoints", persistentVolumeClaim: { claimName: args.checkpointsClaim } },
            { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
        ],
    };
}

/** The single writer of the embeddings: rebuilds them on a schedule and keeps checkpoints. */
export class EmbeddingsGenerator extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    /** Resolves once the rollout is complete (the first embeddings version exists). */
    public readonly ready: pulumi.Output<string>;

    constructor(name: string, args: EmbeddingsGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:EmbeddingsGenerator", name, {}, opts);
        const labels = standardLabels(generatorName, writerComponent);
        const k8sOpts = { parent: this, provider: args.provider };
        const account = new k8s.core.v1.ServiceAccount(name, {
            metadata: { name: generatorName, namespace: args.namespace, labels },
            automountServiceAccountToken: false,
        }, k8sOpts);
        const role = new k8s.rbac.v1.Role(name, {
            metadata: { name: `${generatorName}-status`, namespace: args.namespace, labels },
            rules: [
                // create cannot be limited to a name; get/update/patch are limited to the one ConfigMap.
                { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
                { apiGroups: [""], resources: ["configmaps"], resourceNames: [statusConfigMapName], verbs: ["get", "update", "patch"] },
            ],
        }, k8sOpts);
        const binding = new k8s.rbac.v1.RoleBinding(name, {
            metadata: { name: `${generatorName}-status`, namespace: args.namespace, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
        }, k8sOpts);
        this.deployment = new k8s.apps.v1.Deployment(name, {
            metadata: { name: generatorName, namespace: args.namespace, labels },
            spec: {
                replicas: 1,
                // One writer at a time: the old pod must be gone before the new one mounts the volumes.
                strategy: { type: "Recreate" },
                selector: { matchLabels: workloadSelector(generatorName) },
                template: { metadata: { labels }, spec: generatorPodSpec(args) },
            },
        }, { ...k8sOpts, dependsOn: [binding] });
        this.ready = this.deployment.status.apply((s) => `${s?.readyReplicas ?? 0}/${s?.replicas ?? 0}`);
        this.registerOutputs({ ready: this.ready });
    }
}
