export * from "./eksCluster";
export * from "./eksFacts";
export * from "./eksKubeconfig";
export * from "./eksNetwork";
export * from "./existingCluster";
export * from "./kindCluster";
export * from "./kindConfig";
export * from "./kindProvider";
