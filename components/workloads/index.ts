export * from "./agentNamespace";
export * from "./embeddingsGenerator";
export * from "./inferencePool";
export * from "./placement";
export * from "./podSecurity";
export * from "./readerMounts";
export * from "./refresherContract";
