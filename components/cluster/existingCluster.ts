import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ExistingClusterArgs {
    /** Contents of the cluster's kubeconfig (read by the stack, so errors name the config key). */
    kubeconfig: string;
    /** Context to use; the kubeconfig's current context when absent. */
    context?: string;
}

/** Any conformant cluster, reached through the kubeconfig the user names. */
export class ExistingCluster extends pulumi.ComponentResource {
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:cluster:ExistingCluster", name, {}, opts);
        this.kubeconfig = pulumi.secret(args.kubeconfig);
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            context: args.context,
        }, { parent: this });
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
