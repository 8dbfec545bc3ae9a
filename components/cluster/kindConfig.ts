/** A host folder bind-mounted into the kind node. */
export interface KindMount {
    hostPath: string;
    containerPath: string;
}

export interface KindConfigArgs {
    name: string;
    nodeImage: string;
    extraMounts: KindMount[];
}

/** Where kind's default `standard` class (local-path) keeps volume data inside the node. */
export const localPathDir = "/var/local-path-provisioner";

/**
 * Renders a kind cluster config. It is an input of the cluster resource, so every change
 * to it shows in `pulumi preview --diff`. Strings are JSON-quoted, which YAML accepts.
 */
export function renderKindConfig(args: KindConfigArgs): string {
    const lines = [
        "kind: Cluster",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        `name: ${JSON.stringify(args.name)}`,
        "nodes:",
        "  - role: control-plane",
        `    image: ${JSON.stringify(args.nodeImage)}`,
    ];
    if (args.extraMounts.length > 0) {
        lines.push("    extraMounts:");
        for (const m of args.extraMounts) {
            lines.push(`      - hostPath: ${JSON.stringify(m.hostPath)}`);
            lines.push(`        containerPath: ${JSON.stringify(m.containerPath)}`);
        }
    }
    return lines.join("\n") + "\n";
}
