export * from "./boundVolumes";
export * from "./claimNodes";
export * from "./servedVersion";
