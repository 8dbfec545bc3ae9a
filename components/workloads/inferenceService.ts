import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { inferenceName, queryPortName } from "./inferencePool";
import { standardLabels, workloadSelector } from "./podSecurity";
import { readerComponent } from "../labels";

/**
 * The DNS domain of Services in a cluster: what kubeadm, kind and EKS set unless told
 * otherwise. A cluster made with another domain passes its own.
 */
export const defaultClusterDomain = "cluster.local";

export interface InferenceServiceArgs {
    namespace: pulumi.Input<string>;
    /** The readers' query port: the Service listens on it and forwards to the pods' port named `query`. */
    port: number;
    /** The cluster's DNS domain, for the address in `url`. Default: defaultClusterDomain (`cluster.local`). */
    clusterDomain?: string;
    provider: k8s.Provider;
}

/** The in-cluster address of a Service's HTTP port. */
export function serviceUrl(service: string, namespace: string, port: number, clusterDomain: string = defaultClusterDomain): string {
    return `http://${service}.${namespace}.svc.${clusterDomain}:${port}`;
}

/** One stable in-cluster address for the readers' query API, balanced over the Ready readers. */
export class InferenceService extends pulumi.ComponentResource {
    public readonly service: k8s.core.v1.Service;
    /** `http://inference.<namespace>.svc.<cluster domain>:<port>`. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: InferenceServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:workloads:InferenceService", name, {}, opts);
        this.service = new k8s.core.v1.Service(name, {
            metadata: { name: inferenceName, namespace: args.namespace, labels: standardLabels(inferenceName, readerComponent) },
            spec: {
                type: "ClusterIP",
                selector: workloadSelector(inferenceName),
                ports: [{ name: queryPortName, protocol: "TCP", port: args.port, targetPort: queryPortName }],
            },
        }, { parent: this, provider: args.provider });
        this.url = pulumi.all([this.service.metadata.name, this.service.metadata.namespace])
            .apply(([service, namespace]) => serviceUrl(service, namespace, args.port, args.clusterDomain));
        this.registerOutputs({ url: this.url });
    }
}
