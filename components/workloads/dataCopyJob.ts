import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResourceBudget, mountPaths, restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";
import { refresherContract } from "./refresherContract";
import { appNameLabel, componentLabel, managedByLabel, partOf, partOfLabel, roleLabel, writerComponent } from "../labels";

const { binary, subcommands, copy } = refresherContract;

/** What one copy Job moves: a claim's role, and the claims it reads and writes. */
export interface DataCopyArgs {
    namespace: pulumi.Input<string>;
    image: string;
    role: "embeddings" | "checkpoints";
    /** The claim that reads the old volume (a MirroredClaim); mounted read-only. */
    sourceClaim: pulumi.Input<string>;
    /** The new, empty data claim; the Job is its first writer. */
    targetClaim: pulumi.Input<string>;
    resources: ResourceBudget;
    /**
     * How long `up` waits for the copy. Default: 60 minutes (the provider's own default, 10,
     * is short for a big volume).
     */
    timeout?: string;
    provider: k8s.Provider;
}

/** The Job's name for a role. */
export const dataCopyName = (role: string) => `copy-${role}`;

/**
 * The copy pod: `refresher copy` from the source (read-only) to the new claim, where the
 * role's workloads will mount it, then a check of everything it wrote (the embeddings'
 * manifest checksums, the checkpoints' bytes). A rerun after a crash starts over; one after
 * success only checks again; a target it did not fill is never overwritten.
 */
export function dataCopyPodSpec(args: Pick<DataCopyArgs, "image" | "role" | "sourceClaim" | "targetClaim" | "resources">): k8s.types.input.core.v1.PodSpec {
    const target = mountPaths[args.role];
    const layout = args.role === "embeddings" ? copy.layouts.embeddings : copy.layouts.files;
    return {
        securityContext: restrictedPodSecurity(),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        restartPolicy: "Never",
        containers: [{
            name: "copy",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: [binary, subcommands.copy, copy.flags.from, mountPaths.copySource, copy.flags.to, target, copy.flags.layout, layout],
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            volumeMounts: [
                { name: "source", mountPath: mountPaths.copySource, readOnly: true },
                { name: "target", mountPath: target },
            ],
        }],
        volumes: [
            { name: "source", persistentVolumeClaim: { claimName: args.sourceClaim, readOnly: true } },
            { name: "target", persistentVolumeClaim: { claimName: args.targetClaim } },
        ],
    };
}

/** Copies one role's data from the old volume to the new claim; `up` waits until it succeeded. */
export class DataCopyJob extends pulumi.ComponentResource {
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: DataCopyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:DataCopyJob", name, {}, opts);
        // A writer of the new claim, the only one while it runs: the workloads start after it.
        const labels = {
            [appNameLabel]: dataCopyName(args.role), [componentLabel]: writerComponent, [partOfLabel]: partOf, [managedByLabel]: "pulumi", [roleLabel]: args.role,
        };
        this.job = new k8s.batch.v1.Job(name, {
            metadata: { name: dataCopyName(args.role), namespace: args.namespace, labels },
            spec: {
                // A failed try (the source changed under it) is retried from scratch.
                backoffLimit: 3,
                template: { metadata: { labels }, spec: dataCopyPodSpec(args) },
            },
        }, { parent: this, provider: args.provider, customTimeouts: { create: args.timeout ?? "60m", update: args.timeout ?? "60m" } });
        this.registerOutputs({});
    }
}
