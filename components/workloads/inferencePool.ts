import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodScheduling } from "./placement";
import { assertReadOnlyReaders } from "./readerMounts";
import { ResourceBudget, mountPaths, restrictedContainerSecurity, restrictedPodSecurity, standardLabels } from "./podSecurity";
import { refresherContract } from "./refresherContract";
import { appNameLabel, readerComponent } from "../labels";

const { binary, subcommands, env, flags } = refresherContract;

export interface InferencePoolArgs {
    namespace: pulumi.Input<string>;
    image: string;
    /** Claim holding the shared embeddings; mounted read-only at the volume and at the mount. */
    embeddingsClaim: string;
    replicas: number;
    resources: ResourceBudget;
    /** Affinity and spread over nodes (see placement.ts). Default: none, for a single node. */
    scheduling?: PodScheduling;
    provider: k8s.Provider;
}

export const inferenceName = "inference";

/** The readers' pod spec: the embeddings read-only twice over; only /tmp is writable. */
export function inferencePodSpec(args: Pick<InferencePoolArgs, "image" | "embeddingsClaim" | "resources" | "scheduling">) {
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
            env: [{ name: env.embeddingsPath, value: mountPaths.embeddings }],
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            readinessProbe: {
                exec: { command: [binary, subcommands.ready, flags.embeddings, mountPaths.embeddings] },
                initialDelaySeconds: 1,
                periodSeconds: 10,
                timeoutSeconds: 5,
            },
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
                selector: { matchLabels: { [appNameLabel]: inferenceName } },
                template: { metadata: { labels }, spec: podSpec },
            },
        }, { parent: this, provider: args.provider });
        this.ready = this.deployment.status.apply((s) => `${s?.readyReplicas ?? 0}/${s?.replicas ?? 0}`);
        this.registerOutputs({ ready: this.ready });
    }
}
