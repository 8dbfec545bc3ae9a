export * from "./access";
export * from "./quantity";
