export * from "./boundVolumes";
