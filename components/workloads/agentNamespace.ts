import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { adoptableAnnotations } from "../adoption";
import { partOf, partOfLabel } from "../labels";

export interface AgentNamespaceArgs {
    /** Namespace name. */
    name: string;
    /**
     * Keep the namespace on `pulumi destroy`. Deleting a namespace deletes every claim in
     * it, so it must be kept whenever the claims are.
     */
    retainOnDelete: boolean;
    provider: k8s.Provider;
    /**
     * Checked before this resource changes: the guard that refuses a change of the data's
     * identity (DataIdentityGuard). Default: none.
     */
    guardedBy?: pulumi.Resource;
}

/** The namespace the agent's data lives in, enforcing the `restricted` Pod Security Standard. */
export class AgentNamespace extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: AgentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:AgentNamespace", name, {}, opts);
        const namespace = new k8s.core.v1.Namespace(name, {
            metadata: {
                name: args.name,
                labels: {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    [partOfLabel]: partOf,
                },
                annotations: { ...adoptableAnnotations },
            },
        }, { parent: this, provider: args.provider, retainOnDelete: args.retainOnDelete, dependsOn: args.guardedBy });
        this.name = namespace.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
