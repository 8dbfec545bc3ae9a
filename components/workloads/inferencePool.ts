import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodScheduling } from "./placement";
import { assertReadOnlyReaders } from "./readerMounts";
import { ResourceBudget, mountPaths, restrictedContainerSecurity, restrictedPodSecurity, standardLabels, workloadSelector } from "./podSecurity";
import { refresherContract } from "./refresherContract";
import { readerComponent } from "../labels";

const { binary, subcommands, env, flags, queryApi } = refresherContract;

/** The port the readers' query API listens on unless told otherwise. */
export const defaultQueryPort = 8080;

/** The name of the readers' container port that serves the query API; probes, Service and policy refer to it. */
export const queryPortName = "query";

export interface InferencePoolArgs {
    namespace: pulumi.Input<string>;
    image: string;
    /** Claim holding the shared embeddings; mounted read-only at the volume and at the mount. */
    embeddingsClaim: string;
    replicas: number;
    resources: ResourceBudget;
    /** Affinity and spread over nodes (see placement.ts). Default: none, for a single node. */
    scheduling?: PodScheduling;
    /**
     * Port of the query API (`refresher serve` with the contract's listen variable set to
     * `:<port>`), exposed as the container port named `query` and probed over HTTP. 0 turns
     * the API off: the pods are then probed by `refresher ready`, which verifies every file.
     * Default: defaultQueryPort (8080).
     */
    queryPort?: number;
    provider: k8s.Provider;
}

export const inferenceName = "inference";

/** How a reader is reached and probed: over its query API when it serves one, else by exec. */
function queryFields(queryPort: number) {
    if (queryPort === 0) {
        return {
            env: [],
            // Without the API, readiness is a full read: every file of the current version hashed.
            readinessProbe: {
                exec: { command: [binary, subcommands.ready, flags.embeddings, mountPaths.embeddings] },
                initialDelaySeconds: 1,
                periodSeconds: 10,
                timeoutSeconds: 5,
            },
        };
    }
    const port = { port: queryPortName };
    return {
        env: [{ name: env.queryListen, value: `:${queryPort}` }],
        ports: [{ name: queryPortName, containerPort: queryPort, protocol: "TCP" }],
        // Ready once a verified version is loaded; the answer comes from memory, not the disk,
        // so it can be asked often and a reader joins the Service within seconds.
        readinessProbe: {
            httpGet: { ...port, path: queryApi.paths.readyz },
            initialDelaySeconds: 1,
            periodSeconds: 2,
            timeoutSeconds: 2,
        },
        // Only a server that stopped answering at all is restarted, and only after half a minute:
        // a busy reader loading a new version must not be killed for a slow answer.
        livenessProbe: {
            httpGet: { ...port, path: queryApi.paths.healthz },
            initialDelaySeconds: 5,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
        },
    };
}

/** The readers' pod spec: the embeddings read-only twice over; only /tmp is writable. */
export function inferencePodSpec(args: Pick<InferencePoolArgs, "image" | "embeddingsClaim" | "resources" | "scheduling" | "queryPort">) {
    const { env: queryEnv, ...query } = queryFields(args.queryPort ?? defaultQueryPort);
    return {
        ...args.scheduling,
        securityContext: restrictedPodSecurity(),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        containers: [{
            name: "inference",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: [binary, subcommands.serve],
            env: [{ name: env.embeddingsPath, value: mountPaths.embeddings }, ...queryEnv],
            ...query,
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            volumeMounts: [
                { name: "embeddings", mountPath: mountPaths.embeddings, readOnly: true },
                { name: "scratch", mountPath: mountPaths.scratch },
            ],
        }],
        volumes: [
            { name: "embeddings", persistentVolumeClaim: { claimName: args.embeddingsClaim, readOnly: true } },
            { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
        ],
    };
}

/** N inference pods that read the embeddings continuously and can never overwrite them. */
export class InferencePool extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly ready: pulumi.Output<string>;

    constructor(name: string, args: InferencePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:InferencePool", name, {}, opts);
        const podSpec = inferencePodSpec(args);
        assertReadOnlyReaders(inferenceName, args.embeddingsClaim, podSpec);
        const labels = standardLabels(inferenceName, readerComponent);
        this.deployment = new k8s.apps.v1.Deployment(name, {
            metadata: { name: inferenceName, namespace: args.namespace, labels },
            spec: {
                replicas: args.replicas,
                selector: { matchLabels: workloadSelector(inferenceName) },
                template: { metadata: { labels }, spec: podSpec },
            },
        }, { parent: this, provider: args.provider });
        this.ready = this.deployment.status.apply((s) => `${s?.readyReplicas ?? 0}/${s?.replicas ?? 0}`);
        this.registerOutputs({ ready: this.ready });
    }
}
