export interface EksKubeconfigArgs {
    clusterName: string;
    endpoint: string;
    certificateAuthority: string;
    region: string;
}

/** A kubeconfig that authenticates with `aws eks get-token`, so it holds no credential itself. */
export function renderEksKubeconfig(args: EksKubeconfigArgs): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: args.clusterName, cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthority } }],
        contexts: [{ name: args.clusterName, context: { cluster: args.clusterName, user: args.clusterName } }],
        "current-context": args.clusterName,
        users: [{
            name: args.clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", args.clusterName, "--region", args.region, "--output", "json"],
                    interactiveMode: "Never",
                },
            },
        }],
    }, null, 2);
}
