export * from "./capabilities";
export * from "./dataVolumes";
export * from "./eksStorage";
export * from "./kindSharedStorage";
export * from "./keptVolumes";
export * from "./dataIdentity";
export * from "./classCheck";
export * from "./copySource";
