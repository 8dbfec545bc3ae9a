export * from "./boundVolumes";
export * from "./servedVersion";
