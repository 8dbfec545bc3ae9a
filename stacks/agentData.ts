import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BoundVolume, BoundVolumesReport, ServedVersion, ServedVersionReport } from "../components/report";
// Not the storage barrel, which holds the EKS storage too (see kind.ts).
import { capabilitiesOf } from "../components/storage/capabilities";
import { ClaimSize } from "../components/storage/claimResize";
import { ClassCheck } from "../components/storage/classCheck";
import { MirroredClaim, copyNames } from "../components/storage/copySource";
import { DataVolumes } from "../components/storage/dataVolumes";
import { KeptVolumeHandBack, VolumeReclaim } from "../components/storage/keptVolumes";
import {
    AgentNamespace, DataCopyJob, EmbeddingsGenerator, InferencePool, InferenceService, WorkloadNetworkPolicies, generatorName, inferenceName, readerScheduling,
    statusConfigMapName, writerScheduling,
} from "../components/workloads";
import { Settings, fullKey } from "./config";
import { defaults } from "./settings";

export interface AgentDataArgs {
    settings: Settings;
    provider: k8s.Provider;
    /** The cluster's kubeconfig (and context), for reading which nodes the pods run on. */
    access: { kubeconfig: pulumi.Input<string>; context?: string };
    /**
     * What a claim needs before it can bind, by StorageClass name: the class and the
     * provisioner or driver behind it. Classes not listed need nothing (they exist already).
     */
    storageReady?: Readonly<Record<string, pulumi.Resource[]>>;
    /** The data identity guard: the namespace and the data volumes change only after it agreed. */
    guard: pulumi.Resource;
    /**
     * A resource whose deletion deletes everything deployed here (the kind cluster): destroy
     * then leaves it all to that deletion. Default: none, each object is deleted on its own.
     */
    deletedWith?: pulumi.Resource;
}

export interface AgentData {
    namespace: pulumi.Output<string>;
    boundVolumes: pulumi.Output<BoundVolume[]>;
    served: pulumi.Output<ServedVersion>;
    generatorReady: pulumi.Output<string>;
    inferenceReady: pulumi.Output<string>;
    /** The readers' query API in the cluster, or why there is none. */
    queryService: pulumi.Output<string>;
}

/**
 * What every target deploys once it has a cluster: the namespace, the data claims, the
 * writer, the readers, and the report of what got bound.
 */
export function deployAgentData(name: string, args: AgentDataArgs): AgentData {
    const { settings, provider } = args;
    const keepData = !settings.deleteDataOnDestroy;
    // Not deleted object by object when the cluster goes anyway. (Nor would leaving them to the
    // namespace's deletion be faster: a namespace that still holds pods is looked at again only
    // after their grace period, 30 s, so emptying it first wins; measured with bench/deploy.)
    const inCluster: pulumi.ComponentResourceOptions = { deletedWith: args.deletedWith };
    const namespace = new AgentNamespace(name, { name: settings.namespace, retainOnDelete: keepData, provider, guardedBy: args.guard }, inCluster);

    // While data is kept, a claim deleted by hand gets its kept volume back (see keptVolumes.ts);
    // the hand-back runs before the claim is (re)created.
    const handBack = (claim: string): pulumi.Resource[] => !keepData ? [] : [new KeptVolumeHandBack(`${name}-${claim}-kept`, {
        kubeconfig: args.access.kubeconfig, context: args.access.context,
        namespace: settings.namespace, claim, apply: !pulumi.runtime.isDryRun(),
    }, { id: pulumi.output(args.access.kubeconfig).apply(() => `${settings.namespace}/${claim}`), dependsOn: namespace, deletedWith: args.deletedWith })];
    // Only a class the program owns is known to bind at once (the capability table says how).
    const bindsImmediately = (claim: { provisioner: string; classIsOurs: boolean }) =>
        claim.classIsOurs && capabilitiesOf(claim.provisioner)?.bindingMode === "Immediate";
    // A class the program does not create must exist on the cluster as configured; checked by
    // a read that preview runs too, once per class.
    const classChecks = new Map<string, pulumi.Resource>();
    const classCheck = (claim: { storageClass: string; provisioner: string; classIsOurs: boolean }): pulumi.Resource[] => {
        if (claim.classIsOurs) return [];
        if (!classChecks.has(claim.storageClass)) {
            classChecks.set(claim.storageClass, new ClassCheck(`${name}-class-${claim.storageClass}`, {
                kubeconfig: args.access.kubeconfig, context: args.access.context,
                name: claim.storageClass, provisioner: claim.provisioner,
                classKey: fullKey("storageClass"), provisionerKey: fullKey("storageProvisioner"),
            }, { id: pulumi.output(args.access.kubeconfig).apply(() => claim.storageClass) }));
        }
        return [classChecks.get(claim.storageClass)!];
    };
    const claimNeeds = (claim: { name: string; storageClass: string; provisioner: string; classIsOurs: boolean }) => [
        ...(args.storageReady?.[claim.storageClass] ?? []), ...classCheck(claim), ...handBack(claim.name),
    ];
    const volumes = new DataVolumes(`${name}-data`, {
        namespace: namespace.name,
        embeddings: {
            ...settings.embeddings, role: "embeddings", dependsOn: claimNeeds(settings.embeddings), bindsImmediately: bindsImmediately(settings.embeddings),
        },
        checkpoints: {
            ...settings.checkpoints, role: "checkpoints", dependsOn: claimNeeds(settings.checkpoints), bindsImmediately: bindsImmediately(settings.checkpoints),
        },
        staticEmbeddings: settings.embeddingsVolume === "static-hostpath"
            ? { hostPath: settings.embeddingsHostPath, node: settings.embeddingsHostPathNode, storageClass: settings.embeddings.storageClass }
            : undefined,
        deleteDataOnDestroy: settings.deleteDataOnDestroy,
        provider,
        guardedBy: args.guard,
    }, inCluster);

    // A move by copying: each new claim is filled from the old one's volume, and checked,
    // before any workload mounts it (copySource.ts, dataCopyJob.ts).
    const copyFrom = settings.copyDataFrom;
    const copies = copyFrom === undefined ? [] : (["embeddings", "checkpoints"] as const).map((role) => {
        const claim = settings[role];
        const source = new MirroredClaim(`${name}-${role}-copy-source`, {
            origin: {
                fromNamespace: copyFrom, fromKey: fullKey("copyDataFrom"), claim: claim.name, role,
                toNamespace: settings.namespace, ...copyNames(settings.namespace, claim.name),
            },
            access: args.access, provider,
        }, { ...inCluster, dependsOn: [namespace] });
        return new DataCopyJob(`${name}-${role}-copy`, {
            namespace: namespace.name, image: settings.image, role, sourceClaim: source.claimName, targetClaim: volumes[role].metadata.name,
            resources: defaults.resources.copy, provider,
        }, inCluster);
    });

    // Before any pod starts, so no pod runs a moment without its rules.
    const network = new WorkloadNetworkPolicies(`${name}-network`, { namespace: namespace.name, queryPort: settings.queryPort, provider }, inCluster);

    const generator = new EmbeddingsGenerator(`${name}-generator`, {
        namespace: namespace.name,
        image: settings.image,
        embeddingsClaim: settings.embeddings.name,
        checkpointsClaim: settings.checkpoints.name,
        refresh: settings.refresh,
        resources: defaults.resources.generator,
        scheduling: writerScheduling(settings.readerPlacement),
        provider,
    }, { ...inCluster, dependsOn: [volumes, network, ...copies] });

    // Readers start with the writer, not after it: a reader is Ready only once it has loaded
    // a complete version (its probe), so starting early only saves the pods' start-up time.
    // Where the embeddings are node-bound, their affinity puts them on the writer's node
    // whichever pod is scheduled first (placement.ts).
    const inference = new InferencePool(`${name}-inference`, {
        namespace: namespace.name,
        image: settings.image,
        embeddingsClaim: settings.embeddings.name,
        replicas: settings.inferenceReplicas,
        resources: defaults.resources.inference,
        scheduling: readerScheduling(settings.readerPlacement),
        queryPort: settings.queryPort,
        provider,
    }, { ...inCluster, dependsOn: [volumes, network, ...copies] });

    // With the readers: the provider waits for the Service's endpoints, which are Ready readers.
    const queryService = settings.queryPort === 0
        ? pulumi.output(`off (${fullKey("queryPort")} is 0)`)
        : new InferenceService(`${name}-query`, { namespace: namespace.name, port: settings.queryPort, provider }, inCluster).url;

    // Every bound volume of a provisioner gets the reclaim policy deleteDataOnDestroy asks for;
    // a static volume is the program's own and says Retain itself.
    const ready = [generator.ready, inference.ready];
    const reclaimed = [
        ...(volumes.staticVolume ? [] : [{ role: "embeddings" as const, claim: volumes.embeddings }]),
        { role: "checkpoints" as const, claim: volumes.checkpoints },
    ].map(({ role, claim }) => new VolumeReclaim(`${name}-${role}-reclaim`, {
        claim, role, after: ready, deleteDataOnDestroy: settings.deleteDataOnDestroy, access: args.access, provider,
    }, inCluster).volumeName);

    // A bigger size is only a request until the class's resizer has grown the volume: `up`
    // waits for it, so the report below shows what the claims have.
    const sized = (["embeddings", "checkpoints"] as const).map((role) => new ClaimSize(`${name}-${role}-size`, {
        kubeconfig: args.access.kubeconfig, context: args.access.context,
        namespace: volumes[role].metadata.namespace, claim: volumes[role].metadata.name,
        size: settings[role].size, key: fullKey(`${role}Size`),
    }, { dependsOn: [volumes[role]], deletedWith: args.deletedWith }).capacity);

    const report = new BoundVolumesReport(`${name}-volumes`, {
        claims: [
            { key: "embeddings", claim: volumes.embeddings, mountedBy: [{ workload: generatorName, mode: "rw" }, { workload: inferenceName, mode: "ro" }] },
            { key: "checkpoints", claim: volumes.checkpoints, mountedBy: [{ workload: generatorName, mode: "rw" }] },
        ],
        after: [...ready, ...reclaimed, ...sized],
        provider,
        access: args.access,
    }, inCluster);

    const served = new ServedVersionReport(`${name}-served`, {
        namespace: namespace.name,
        configMapName: statusConfigMapName,
        after: [generator.ready, inference.ready],
        provider,
    }, inCluster);

    return {
        namespace: namespace.name,
        boundVolumes: report.volumes,
        served: served.served,
        generatorReady: generator.ready,
        inferenceReady: inference.ready,
        queryService,
    };
}
