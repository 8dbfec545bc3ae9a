import { capabilitiesOf } from "../components/storage/capabilities";
import { DataIdentityGuard, IdentityFact, SizeFact } from "../components/storage/dataIdentity"; // not the barrel: see kind.ts
import { ClaimSettings, Settings, fullKey } from "./config";
import { parseQuantity } from "../components/kubeapi/quantity";

/** The config key that lets one change of the data's identity through. */
export const confirmDataMoveKey = fullKey("confirmDataMove");

/**
 * What identifies the stack's data, each fact named by the config key that sets it (or, for
 * a class the target chooses, by what chooses it): a change to any of them would replace the
 * namespace, a claim, the static volume or the kind cluster's data folder.
 */
export function dataIdentity(settings: Settings): IdentityFact[] {
    const ns = settings.namespace;
    const claim = (name: string) => `claim ${ns}/${name}`;
    const chosenBy = (field: "storageClass") => settings.target === "existing" ? fullKey(field) : `the ${settings.target} target's class`;
    // What a copy Job can carry the data across (copySource.ts): the claims' namespace, class,
    // mode and kind of volume; not a host folder or the kind cluster, where the old volumes go.
    const copyable = true;
    const facts: IdentityFact[] = [
        { key: fullKey("namespace"), value: ns, holds: `namespace ${ns} (${claim(settings.embeddings.name)}, ${claim(settings.checkpoints.name)})`, copyable },
        { key: fullKey("embeddingsVolume"), value: settings.embeddingsVolume, holds: claim(settings.embeddings.name), copyable },
        { key: `${chosenBy("storageClass")} (embeddings)`, value: settings.embeddings.storageClass, holds: claim(settings.embeddings.name), copyable },
        { key: fullKey("embeddingsAccessMode"), value: settings.embeddings.accessMode, holds: claim(settings.embeddings.name), copyable },
        { key: `${chosenBy("storageClass")} (checkpoints)`, value: settings.checkpoints.storageClass, holds: claim(settings.checkpoints.name), copyable },
        { key: fullKey("checkpointsAccessMode"), value: settings.checkpoints.accessMode, holds: claim(settings.checkpoints.name), copyable },
    ];
    if (settings.embeddingsVolume === "static-hostpath") {
        const where = `host folder ${settings.embeddingsHostPath}${settings.embeddingsHostPathNode ? ` on node ${settings.embeddingsHostPathNode}` : ""}`;
        // The node is chosen by the target (kind's first worker), so it is part of the folder's identity.
        const value = settings.embeddingsHostPathNode ? `${settings.embeddingsHostPath} on ${settings.embeddingsHostPathNode}` : settings.embeddingsHostPath;
        facts.push({ key: fullKey("embeddingsHostPath"), value, holds: where });
    }
    if (settings.target === "kind") {
        facts.push({ key: fullKey("kindDataDir"), value: settings.kind.dataDir, holds: `host folder ${settings.kind.dataDir} (kind cluster ${settings.kind.clusterName})` });
    }
    return facts;
}

/** The claims' sizes and what their classes do with a bigger one. */
export function claimSizes(settings: Settings): SizeFact[] {
    const fact = (key: "embeddingsSize" | "checkpointsSize", claim: ClaimSettings): SizeFact => ({
        key: fullKey(key), value: claim.size, bytes: parseQuantity(claim.size) ?? 0, className: claim.storageClass,
        resize: capabilitiesOf(claim.provisioner)?.resize ?? "unknown",
    });
    return [fact("embeddingsSize", settings.embeddings), fact("checkpointsSize", settings.checkpoints)];
}

/** The guard every target creates first: nothing holding data changes before it agreed. */
export function dataIdentityGuard(settings: Settings): DataIdentityGuard {
    return new DataIdentityGuard("data-identity", {
        facts: dataIdentity(settings), sizes: claimSizes(settings), confirmed: settings.confirmDataMove, confirmKey: confirmDataMoveKey,
        copy: { from: settings.copyDataFrom ?? "", key: fullKey("copyDataFrom"), namespaceKey: fullKey("namespace") },
    });
}
