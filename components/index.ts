// The package's entry point (@agent-storage/components): every component and the pure
// helpers they share. Importing it defines classes only; nothing is created and no stack
// configuration is read until a component is constructed.
export * from "./adoption";
export * from "./cluster";
export * from "./kubeapi";
export * from "./labels";
export * from "./problems";
export * from "./report";
export * from "./sharedProvider";
export * from "./storage";
export * from "./workloads";
