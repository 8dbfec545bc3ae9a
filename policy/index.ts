// CrossGuard policy pack for agent-storage. Run with: pulumi preview --policy-pack policy
// (docs/policy.md). Constructing the PolicyPack starts the analyzer's gRPC server, so tests
// import ./policies instead of this file.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: "Storage guardrails for agent-storage: access modes vs. classes, read-only embeddings readers, " +
        "one default class, data kept on destroy, encryption at rest, non-root containers.",
    policies,
});
