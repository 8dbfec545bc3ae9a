export * from "./eksCluster";
export * from "./eksKubeconfig";
export * from "./existingCluster";
export * from "./kindCluster";
export * from "./kindConfig";
export * from "./kindProvider";
export * from "./network";
