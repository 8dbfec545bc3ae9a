// The pack's policies, in one list (imported by index.ts and by the tests; importing this
// module does not start the policy server).
import { Policies } from "@pulumi/policy";
import { accessModeSupportedByClass } from "./rules/access-mode-supported-by-class";
import { accessModeClassUnresolved } from "./rules/access-mode-class-unresolved";
import { embeddingsReadersReadOnly } from "./rules/embeddings-readers-read-only";
import { embeddingsReadersIsolated } from "./rules/embeddings-readers-isolated";
import { singleDefaultStorageClass } from "./rules/single-default-storage-class";
import { dataClaimsSurviveDestroy } from "./rules/data-claims-survive-destroy";
import { storageEncrypted } from "./rules/storage-encrypted";
import { containersNonRoot } from "./rules/containers-non-root";
import { eksClusterHardened } from "./rules/eks-cluster-hardened";
import { nodesRequireImdsv2 } from "./rules/nodes-require-imdsv2";
import { efsTlsAndAccessPoints } from "./rules/efs-tls-and-access-points";
import { podIdentityTrustScoped } from "./rules/pod-identity-trust-scoped";

export const PACK_NAME = "agent-storage-guardrails";

export const policies: Policies = [
    accessModeSupportedByClass,
    accessModeClassUnresolved,
    embeddingsReadersReadOnly,
    embeddingsReadersIsolated,
    singleDefaultStorageClass,
    dataClaimsSurviveDestroy,
    storageEncrypted,
    containersNonRoot,
    eksClusterHardened,
    nodesRequireImdsv2,
    efsTlsAndAccessPoints,
    podIdentityTrustScoped,
];
