/*
 * The labels and annotations the program writes and the policy pack reads: stated once here,
 * imported by both, so a rule never looks for a label the components stopped writing.
 */

/** Kubernetes' recommended labels. */
export const appNameLabel = "app.kubernetes.io/name";
export const componentLabel = "app.kubernetes.io/component";
export const partOfLabel = "app.kubernetes.io/part-of";
export const managedByLabel = "app.kubernetes.io/managed-by";
/** The value of partOfLabel on everything the program creates. */
export const partOf = "agent-storage";

/** What a workload is to the data: the one writer of the embeddings, or a reader. */
export type WorkloadComponent = "writer" | "reader";
export const writerComponent: WorkloadComponent = "writer";
export const readerComponent: WorkloadComponent = "reader";

/** On a claim or volume that holds the agent's data: "true". */
export const dataLabel = "agent-storage.io/data";
/** On a data claim or volume: which data ("embeddings" or "checkpoints"). */
export const roleLabel = "agent-storage.io/role";
/** On a data volume: the claim it belongs to, so a kept volume can be handed back to it. */
export const claimNamespaceLabel = "agent-storage.io/claim-namespace";
export const claimNameLabel = "agent-storage.io/claim-name";
/**
 * On the mirror volume (and its claim) a data move reads the old volume through: "true". It
 * never carries the claim labels above, so it is never handed back to a data claim.
 */
export const copySourceLabel = "agent-storage.io/copy-source";
/** On a data claim: "true" when `pulumi destroy` deletes it (policies cannot see retainOnDelete). */
export const deleteOnDestroyAnnotation = "agent-storage.io/delete-on-destroy";
