import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generatorName } from "./embeddingsGenerator";
import { inferenceName } from "./inferencePool";
import { standardLabels, workloadSelector } from "./podSecurity";
import { readerComponent, writerComponent } from "../labels";

export interface WorkloadNetworkPoliciesArgs {
    namespace: pulumi.Input<string>;
    /** The readers' query port, the only traffic they accept; 0: they accept none. */
    queryPort: number;
    provider: k8s.Provider;
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * The readers: in, TCP on the query port alone (from anywhere: it is their service); out,
 * nothing. They call no one, and have no API token to call the API server with.
 */
export function readerNetworkPolicySpec(queryPort: number): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: workloadSelector(inferenceName) },
        policyTypes: ["Ingress", "Egress"],
        ingress: queryPort === 0 ? [] : [{ ports: [{ protocol: "TCP", port: queryPort }] }],
        egress: [],
    };
}

/**
 * The generator: nothing in, it serves nothing. Its egress is left open: it writes its status
 * ConfigMap through the API server, whose address (a Service IP in front of host-network
 * endpoints, or a managed endpoint outside the cluster on EKS) differs per cluster and cannot
 * be named by a pod or namespace selector, so a rule for it could only be a guess.
 */
export function generatorNetworkPolicySpec(): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: workloadSelector(generatorName) },
        policyTypes: ["Ingress"],
        ingress: [],
    };
}

/** What the writer and the readers may send and receive over the network. */
export class WorkloadNetworkPolicies extends pulumi.ComponentResource {
    public readonly readers: k8s.networking.v1.NetworkPolicy;
    public readonly generator: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: WorkloadNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:WorkloadNetworkPolicies", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        this.readers = new k8s.networking.v1.NetworkPolicy(`${name}-${inferenceName}`, {
            metadata: { name: inferenceName, namespace: args.namespace, labels: standardLabels(inferenceName, readerComponent) },
            spec: readerNetworkPolicySpec(args.queryPort),
        }, k8sOpts);
        this.generator = new k8s.networking.v1.NetworkPolicy(`${name}-${generatorName}`, {
            metadata: { name: generatorName, namespace: args.namespace, labels: standardLabels(generatorName, writerComponent) },
            spec: generatorNetworkPolicySpec(),
        }, k8sOpts);
        this.registerOutputs({});
    }
}
