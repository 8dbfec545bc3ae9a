import * as k8s from "@pulumi/kubernetes";
import { AccessMode } from "../storage/capabilities";
import { hostnameLabel } from "../storage/dataVolumes";
import { generatorName } from "./embeddingsGenerator";
import { inferenceName } from "./inferencePool";
import { workloadSelector } from "./podSecurity";
import { appNameLabel } from "../labels";

/**
 * Where the readers run relative to the writer:
 * - `one-node`: the cluster has one node for the pods; there is nothing to arrange;
 * - `spread`: the embeddings can be mounted from every node, so readers spread over nodes;
 * - `with-writer`: the embeddings can be mounted on one node at a time, so every pod that
 *   mounts them (writer and readers) runs on one node, and none waits on a multi-attach error.
 */
export type ReaderPlacementKind = "one-node" | "spread" | "with-writer";

export interface ReaderPlacement {
    readers: ReaderPlacementKind;
    /** Why, in words, for the `readerPlacement` stack output. */
    reason: string;
}

export interface PlacementFacts {
    /** How many nodes can run the pods; undefined when the configuration does not say. */
    workloadNodes?: number;
    /** The embeddings claim's access mode and class. */
    accessMode: AccessMode;
    storageClass: string;
    /** Set when the embeddings are a static host-path volume on one of several nodes: the node that has its folder. */
    hostPathNode?: string;
}

/** Decides where readers go. Pure: it runs with the other checks, before anything is created. */
export function decideReaderPlacement(facts: PlacementFacts): ReaderPlacement {
    if (facts.workloadNodes === 1) {
        return { readers: "one-node", reason: "the cluster has one node that runs the pods, so every pod runs there" };
    }
    const nodes = facts.workloadNodes === undefined ? "the cluster may have several nodes (its node count is not configured)" : `the cluster has ${facts.workloadNodes} nodes for the pods`;
    if (facts.hostPathNode !== undefined) {
        return {
            readers: "with-writer",
            reason: `${nodes}, but the static host-path volume is a folder on node ${facts.hostPathNode}: the readers run there with the writer`,
        };
    }
    if (facts.accessMode === "ReadWriteOnce" || facts.accessMode === "ReadWriteOncePod") {
        return {
            readers: "with-writer",
            reason: `${nodes}, but the embeddings claim is ${facts.accessMode} on class "${facts.storageClass}", which one node at a time may mount: ` +
                "the readers run on the writer's node (ReadWriteMany on a class that spans nodes lets them spread)",
        };
    }
    return {
        readers: "spread",
        reason: `${nodes} and the embeddings claim is ${facts.accessMode} on class "${facts.storageClass}", which every node may mount: the readers spread over the nodes`,
    };
}

/** The scheduling fields of a pod spec that placement decides. */
export type PodScheduling = Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints">;

/**
 * Every pod that mounts the embeddings requires, on its node, a pod that mounts them. The
 * first one (none running anywhere) may go anywhere, because it matches its own term; every
 * later one, writer or reader, joins it. Symmetric on purpose: a generator recreated while
 * readers hold the volume must land on their node, or it would wait on a multi-attach error.
 */
function withEmbeddingsUsers(): PodScheduling {
    return {
        affinity: {
            podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{
                    topologyKey: hostnameLabel,
                    labelSelector: { matchExpressions: [{ key: appNameLabel, operator: "In", values: [generatorName, inferenceName] }] },
                }],
            },
        },
    };
}

/** The writer's scheduling. It is never pinned to a node: a node-local checkpoints volume pins it by itself. */
export function writerScheduling(placement: ReaderPlacement): PodScheduling {
    return placement.readers === "with-writer" ? withEmbeddingsUsers() : {};
}

/** The readers' scheduling. */
export function readerScheduling(placement: ReaderPlacement): PodScheduling {
    switch (placement.readers) {
        case "one-node": return {};
        case "with-writer": return withEmbeddingsUsers();
        case "spread": return {
            topologySpreadConstraints: [{
                topologyKey: hostnameLabel,
                maxSkew: 1,
                // ScheduleAnyway: a preference, never a reason to stay Pending. With DoNotSchedule
                // a reader could not start while the even spread is impossible: a node full,
                // NotReady but not yet tainted, or cordoned mid-drain. Readers must run
                // wherever there is room; the scheduler still fills the emptiest node first.
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: workloadSelector(inferenceName) },
                // Count only the pods of the current rollout, not the ones it is replacing.
                matchLabelKeys: ["pod-template-hash"],
                // Nodes the readers cannot use (a tainted control plane, a cordoned node) are
                // not counted as empty places the spread should fill.
                nodeTaintsPolicy: "Honor",
                nodeAffinityPolicy: "Honor",
            }],
        };
    }
}
