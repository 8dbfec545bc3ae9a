import * as path from "path";
import { kindStaticVolumeNode, kindWorkloadNodeNames } from "../components/cluster/kindConfig";
import { decideReaderPlacement } from "../components/workloads/placement";
import { defaultQueryPort } from "../components/workloads/inferencePool";
import { AccessMode, isAccessMode, sharedPathProvisioner, spansNodes } from "../components/storage/capabilities";
import {
    ClaimSettings, CommonSettings, EksSettings, EmbeddingsVolumeKind, ExistingSettings, KindSettings, RawConfig, Settings, Target,
    isEmbeddingsVolumeKind, isTarget,
} from "./config";
import {
    ConfigError, ConfigProblem, PlannedStorageClass, checkAccessModeName, checkAdminPrincipals, checkCheckpointsMode,
    checkClusterAdmins, checkClusterName, checkEksInstanceType, checkPublicAccessCidrs, checkEksNetwork, checkEksNodeCounts, checkEksVersion, checkEksZones,
    checkEmbeddingsHostPath, checkEmbeddingsShared, checkEmbeddingsVolume, checkExistingCluster, checkExistingNodeCount,
    checkCopyDataFrom, checkGracePeriod, checkImage, checkKeepVersions, checkKindDataDir, checkKindWorkers, checkModeServedByClass, checkNamespace,
    checkNewVpcKeysWithExistingVpc, checkQueryPort, checkRegion, checkReplicas, checkSchedule, checkSingleDefaultClass,
    checkStaticVolumeOnOneNode, checkStorageSize, checkTarget, checkUnknownKeys, checkVpcCidr,
} from "./validate";

const defaultTarget: Target = "kind";
const defaultEmbeddingsVolume: EmbeddingsVolumeKind = "dynamic";

/** Every default of the program, in one place. */
export const defaults = {
    target: defaultTarget,
    namespace: "agent-data",
    image: "localhost/agent-storage/workload:0.1.0",
    inferenceReplicas: 5,
    /** The readers' query API is on by default (0 turns it off); the port the components default to. */
    queryPort: defaultQueryPort,
    embeddingsSize: "2Gi",
    checkpointsSize: "1Gi",
    embeddingsVolume: defaultEmbeddingsVolume,
    embeddingsHostPath: "/var/local/agent-storage/embeddings",
    deleteDataOnDestroy: false,
    confirmDataMove: false,
    refreshSchedule: "@weekly",
    keepVersions: 3,
    refreshGracePeriod: "10m",
    kindClusterName: "agent-storage",
    /**
     * kind's own node image, pinned by digest so a retagged image is never run: the default
     * image of kind v0.30.0 (pkg/apis/config/defaults/image.go in that release), the release
     * whose node images were built for Kubernetes v1.34.0.
     */
    kindNodeImage: "kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a",
    /** The node image cluster/build-node-image.sh builds (KIND_NODE_IMAGE in cluster/versions.sh). */
    localKindNodeImage: "localhost/agent-storage/kind-node:v1.34.4",
    kindDataDir: ".kind-data",
    kindWorkers: 2,
    /** 0: the existing cluster's node count is not known. */
    existingNodeCount: 0,
    kindStorageClasses: {
        /** Ships with kind: volumes on the node the first pod runs on. */
        nodeLocal: { name: "standard", provisioner: "rancher.io/local-path" },
        /** Created by the program (KindSharedStorage): volumes every node reaches, standing for EFS. */
        shared: { name: "shared", provisioner: sharedPathProvisioner },
    },
    /** Must be the version cluster/versions.sh builds for the local cluster (LPP_VERSION); a test keeps them together. */
    kindSharedPathImage: "docker.io/rancher/local-path-provisioner:v0.0.30",
    staticStorageClass: { name: "agent-static", provisioner: "kubernetes.io/no-provisioner" },
    existingStorageClass: { name: "standard", provisioner: "rancher.io/local-path" },
    eksStorageClasses: {
        blocks: { name: "gp3", provisioner: "ebs.csi.aws.com" },
        files: { name: "efs", provisioner: "efs.csi.aws.com" },
    },
    resources: {
        generator: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
        inference: { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
        /** The Job that copies the data on a move: streams files, hashes what it wrote. */
        copy: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    },
    eks: {
        clusterName: "agent-storage",
        /** Inside EKS standard support (eksStandardSupport lists the versions and their end days). */
        version: "1.35",
        vpcCidr: "10.40.0.0/16",
        nodeInstanceType: "t3.large",
        nodeCount: 2,
        /** The node group may grow to this many nodes, or to eksNodeCount when that is more. */
        nodeMaxCount: 4,
        gp3IsDefault: true,
        efsIsDefault: false,
        /** The deployer keeps cluster-admin, so `up` can create the Kubernetes objects without more setup. */
        clusterCreatorAdmin: true,
    },
};

export interface ResolveContext {
    /** Folder relative config paths are resolved against (the Pulumi project folder). */
    projectDir: string;
    /** Home folder for a leading `~/` in paths. */
    homeDir: string;
    /**
     * Whether the local Docker daemon holds an image. Asked only for the node image this
     * project builds (cluster/build-node-image.sh), which the kind target then prefers to
     * kind's own; without it kind's own image is the default.
     */
    hasLocalImage?: (ref: string) => boolean;
    /**
     * Every key set for the stack, as `namespace:name` (the program passes the keys of
     * pulumi.runtime.allConfig()), so keys the program does not read can be refused.
     * Absent when not known; then no key is refused.
     */
    configuredKeys?: readonly string[];
}

function expandPath(p: string, ctx: ResolveContext): string {
    if (p === "~" || p.startsWith("~/")) return path.join(ctx.homeDir, p.slice(1));
    return path.resolve(ctx.projectDir, p);
}

/**
 * Turns raw config into checked settings, or throws a ConfigError listing every problem.
 * Pure apart from path arithmetic: it reads no files and creates nothing.
 */
export function resolveSettings(raw: RawConfig, ctx: ResolveContext): Settings {
    const problems: ConfigProblem[] = [];
    problems.push(...checkUnknownKeys(ctx.configuredKeys ?? []), ...checkTarget(raw.target));
    if (problems.length > 0) throw new ConfigError(problems);
    const target: Target = raw.target !== undefined && isTarget(raw.target) ? raw.target : defaults.target;

    problems.push(
        ...checkNamespace(raw.namespace),
        ...checkCopyDataFrom(raw.copyDataFrom, raw.namespace ?? defaults.namespace, raw.embeddingsVolume),
        ...checkImage("image", raw.image, defaults.image),
        ...checkImage("kindNodeImage", raw.kindNodeImage, defaults.kindNodeImage),
        ...checkReplicas("inferenceReplicas", raw.inferenceReplicas),
        ...checkQueryPort(raw.queryPort),
        ...checkEksNodeCounts(raw.eksNodeCount, raw.eksNodeMaxCount, defaults.eks.nodeCount),
        ...checkStorageSize("embeddingsSize", raw.embeddingsSize),
        ...checkStorageSize("checkpointsSize", raw.checkpointsSize),
        ...checkAccessModeName("embeddingsAccessMode", raw.embeddingsAccessMode),
        ...checkAccessModeName("checkpointsAccessMode", raw.checkpointsAccessMode),
        ...checkCheckpointsMode(raw.checkpointsAccessMode),
        ...checkEmbeddingsVolume(target, raw.embeddingsVolume, raw.embeddingsHostPath),
        ...checkSchedule(raw.refreshSchedule),
        ...checkKeepVersions(raw.keepVersions),
        ...checkGracePeriod(raw.refreshGracePeriod),
        ...checkClusterName("kindClusterName", raw.kindClusterName),
        ...checkKindWorkers(raw.kindWorkers),
        ...checkClusterName("eksClusterName", raw.eksClusterName),
        ...checkRegion(target, raw.awsRegion),
        ...checkExistingCluster(target, raw.kubeconfig),
        ...checkExistingNodeCount(raw.existingNodeCount),
        ...checkStaticVolumeOnOneNode(target, raw.embeddingsVolume, existingNodeCount(raw)),
        ...checkVpcCidr(target, raw.eksVpcCidr),
        ...checkEksNetwork(target, raw.eksVpcId, raw.eksPublicSubnetIds, raw.eksPrivateSubnetIds, raw.eksAvailabilityZones),
        ...checkEksZones(target, raw.awsRegion, raw.eksAvailabilityZones),
        ...checkNewVpcKeysWithExistingVpc(target, raw.eksVpcId, raw.eksAvailabilityZones,
            raw.eksVpcCidr === defaults.eks.vpcCidr ? undefined : raw.eksVpcCidr),
        ...checkEksInstanceType(target, raw.eksNodeInstanceType),
        ...checkEksVersion(target, raw.eksVersion),
        ...checkAdminPrincipals(target, raw.eksAdminPrincipalArns),
        ...checkClusterAdmins(target, raw.eksClusterCreatorAdmin ?? defaults.eks.clusterCreatorAdmin, raw.eksAdminPrincipalArns),
        ...checkPublicAccessCidrs(target, raw.eksPublicAccessCidrs),
        ...checkEmbeddingsHostPath(raw.embeddingsHostPath),
        ...checkKindDataDir(raw.kindDataDir, kindDataDir(raw, ctx), ctx),
    );
    if (target === "eks") {
        problems.push(...checkSingleDefaultClass(plannedEksClasses(raw)));
    }
    if (problems.length > 0) throw new ConfigError(problems);

    const embeddingsVolume: EmbeddingsVolumeKind = raw.embeddingsVolume !== undefined && isEmbeddingsVolumeKind(raw.embeddingsVolume)
        ? raw.embeddingsVolume : defaults.embeddingsVolume;
    const { embeddingsClass, checkpointsClass } = chooseClasses(target, embeddingsVolume, raw);

    const embeddings: ClaimSettings = {
        name: "embeddings",
        size: raw.embeddingsSize ?? defaults.embeddingsSize,
        accessMode: checkedMode(raw.embeddingsAccessMode) ?? sharedMode(embeddingsClass.provisioner),
        storageClass: embeddingsClass.name,
        provisioner: embeddingsClass.provisioner,
        classIsOurs: embeddingsClass.ours,
    };
    const checkpoints: ClaimSettings = {
        name: "checkpoints",
        size: raw.checkpointsSize ?? defaults.checkpointsSize,
        accessMode: checkedMode(raw.checkpointsAccessMode) ?? (target === "existing" ? "ReadWriteOnce" : "ReadWriteOncePod"),
        storageClass: checkpointsClass.name,
        provisioner: checkpointsClass.provisioner,
        classIsOurs: checkpointsClass.ours,
    };
    const embeddingsServed = checkModeServedByClass("embeddingsAccessMode", embeddings.accessMode, embeddings.storageClass, embeddings.provisioner);
    problems.push(
        ...embeddingsServed,
        ...(embeddingsServed.length > 0 ? [] : checkEmbeddingsShared(embeddings.accessMode, embeddings.storageClass, embeddings.provisioner)),
        ...checkModeServedByClass("checkpointsAccessMode", checkpoints.accessMode, checkpoints.storageClass, checkpoints.provisioner),
    );
    if (problems.length > 0) throw new ConfigError(problems);

    const common = (workloadNodes: number | undefined, embeddingsHostPathNode?: string): CommonSettings => ({
        namespace: raw.namespace ?? defaults.namespace,
        image: raw.image ?? defaults.image,
        inferenceReplicas: raw.inferenceReplicas ?? defaults.inferenceReplicas,
        queryPort: raw.queryPort ?? defaults.queryPort,
        deleteDataOnDestroy: raw.deleteDataOnDestroy ?? defaults.deleteDataOnDestroy,
        confirmDataMove: raw.confirmDataMove ?? defaults.confirmDataMove,
        copyDataFrom: raw.copyDataFrom || undefined,
        embeddings,
        checkpoints,
        embeddingsVolume,
        embeddingsHostPath: raw.embeddingsHostPath ?? defaults.embeddingsHostPath,
        embeddingsHostPathNode,
        refresh: {
            schedule: raw.refreshSchedule ?? defaults.refreshSchedule,
            keepVersions: raw.keepVersions ?? defaults.keepVersions,
            gracePeriod: raw.refreshGracePeriod ?? defaults.refreshGracePeriod,
        },
        workloadNodes,
        readerPlacement: decideReaderPlacement({
            workloadNodes, accessMode: embeddings.accessMode, storageClass: embeddings.storageClass, hostPathNode: embeddingsHostPathNode,
        }),
    });
    switch (target) {
        case "kind": {
            const kind = kindSettings(raw, ctx);
            const hostPathNode = embeddingsVolume === "static-hostpath" && kind.workers > 0
                ? kindStaticVolumeNode(kind.clusterName, kind.workers) : undefined;
            return { ...common(kindWorkloadNodeNames(kind.clusterName, kind.workers).length, hostPathNode), target, kind };
        }
        case "eks": {
            const eks = eksSettings(raw);
            return { ...common(eks.nodeMaxCount), target, eks };
        }
        case "existing":
            return { ...common(existingNodeCount(raw)), target, existing: existingSettings(raw, ctx) };
    }
}

/**
 * A value whose check has passed: present, since its check refuses it missing. Reaching the
 * throw means a check and the settings disagree, a bug of the program, not of the config.
 */
function required<T>(value: T | undefined, key: keyof RawConfig): T {
    if (value === undefined) throw new Error(`${key} passed its check but is not set`);
    return value;
}

/** An access mode that checkAccessModeName has passed (undefined: not set). */
function checkedMode(value: string | undefined): AccessMode | undefined {
    return value !== undefined && isAccessMode(value) ? value : undefined;
}

function kindSettings(raw: RawConfig, ctx: ResolveContext): KindSettings {
    return {
        clusterName: raw.kindClusterName ?? defaults.kindClusterName,
        nodeImage: raw.kindNodeImage
            ?? (ctx.hasLocalImage?.(defaults.localKindNodeImage) ? defaults.localKindNodeImage : defaults.kindNodeImage),
        dataDir: kindDataDir(raw, ctx),
        workers: raw.kindWorkers ?? defaults.kindWorkers,
        sharedStorage: { className: defaults.kindStorageClasses.shared.name, image: defaults.kindSharedPathImage },
    };
}

function existingSettings(raw: RawConfig, ctx: ResolveContext): ExistingSettings {
    return { kubeconfig: expandPath(required(raw.kubeconfig, "kubeconfig"), ctx), context: raw.kubeContext };
}

/** The host folder of the kind volumes: kindDataDir, or .kind-data/<cluster> in the project. */
function kindDataDir(raw: RawConfig, ctx: ResolveContext): string {
    return expandPath(raw.kindDataDir ?? path.join(defaults.kindDataDir, raw.kindClusterName ?? defaults.kindClusterName), ctx);
}

/** The existing cluster's node count, when configured (0 means not known). */
function existingNodeCount(raw: RawConfig): number | undefined {
    return raw.existingNodeCount === undefined || raw.existingNodeCount === defaults.existingNodeCount ? undefined : raw.existingNodeCount;
}

/** Readers share the embeddings: many-node sharing where the class can, else one node. */
function sharedMode(provisioner: string): AccessMode {
    return spansNodes(provisioner) ? "ReadWriteMany" : "ReadWriteOnce";
}

interface ChosenClass { name: string; provisioner: string; ours: boolean }

function chooseClasses(target: Target, volume: EmbeddingsVolumeKind, raw: RawConfig): { embeddingsClass: ChosenClass; checkpointsClass: ChosenClass } {
    const staticClass = { ...defaults.staticStorageClass, ours: true };
    if (target === "eks") {
        const { blocks, files } = defaults.eksStorageClasses;
        return { embeddingsClass: { ...files, ours: true }, checkpointsClass: { ...blocks, ours: true } };
    }
    if (target === "existing") {
        const dataClass = {
            name: raw.storageClass ?? defaults.existingStorageClass.name,
            provisioner: raw.storageProvisioner ?? defaults.existingStorageClass.provisioner,
            ours: false,
        };
        return { embeddingsClass: volume === "static-hostpath" ? staticClass : dataClass, checkpointsClass: dataClass };
    }
    // kind: the readers share the embeddings across nodes, and the generator's checkpoints sit
    // on the same shared folder (one pod at a time), so the generator can move to any node
    // when its node is drained or lost, as it can on EKS.
    const { shared } = defaults.kindStorageClasses;
    return { embeddingsClass: volume === "static-hostpath" ? staticClass : { ...shared, ours: true }, checkpointsClass: { ...shared, ours: true } };
}

/** The StorageClasses an EKS stack would create, for the single-default rule. */
export function plannedEksClasses(raw: RawConfig): PlannedStorageClass[] {
    const { blocks, files } = defaults.eksStorageClasses;
    return [
        { name: blocks.name, isDefault: raw.eksGp3Default ?? defaults.eks.gp3IsDefault, defaultKey: "eksGp3Default" },
        { name: files.name, isDefault: raw.eksEfsDefault ?? defaults.eks.efsIsDefault, defaultKey: "eksEfsDefault" },
    ];
}

function eksSettings(raw: RawConfig): EksSettings {
    const region = required(raw.awsRegion, "awsRegion");
    return {
        region,
        clusterName: raw.eksClusterName ?? defaults.eks.clusterName,
        version: raw.eksVersion ?? defaults.eks.version,
        vpcCidr: raw.eksVpcCidr ?? defaults.eks.vpcCidr,
        availabilityZones: raw.eksAvailabilityZones ?? [`${region}a`, `${region}b`],
        existingVpc: raw.eksVpcId === undefined ? undefined : {
            vpcId: raw.eksVpcId,
            publicSubnets: byId(raw.eksPublicSubnetIds ?? []),
            privateSubnets: byId(raw.eksPrivateSubnetIds ?? []),
        },
        nodeInstanceType: raw.eksNodeInstanceType ?? defaults.eks.nodeInstanceType,
        nodeCount: raw.eksNodeCount ?? defaults.eks.nodeCount,
        nodeMaxCount: raw.eksNodeMaxCount ?? Math.max(raw.eksNodeCount ?? 0, defaults.eks.nodeMaxCount),
        adminPrincipalArns: raw.eksAdminPrincipalArns ?? [],
        creatorIsAdmin: raw.eksClusterCreatorAdmin ?? defaults.eks.clusterCreatorAdmin,
        publicAccessCidrs: raw.eksPublicAccessCidrs ?? [],
        gp3IsDefault: raw.eksGp3Default ?? defaults.eks.gp3IsDefault,
        efsIsDefault: raw.eksEfsDefault ?? defaults.eks.efsIsDefault,
    };
}


/** Subnet ids keyed by themselves: a given subnet's id is its stable name. */
function byId(ids: string[]): Record<string, string> {
    return Object.fromEntries(ids.map((id) => [id, id]));
}
