import { AccessMode } from "../components/storage/capabilities";
import { ReaderPlacement } from "../components/workloads/placement";

export type Target = "kind" | "eks" | "existing";
export const targets: readonly Target[] = ["kind", "eks", "existing"];

export type EmbeddingsVolumeKind = "dynamic" | "static-hostpath";

/**
 * Stack configuration exactly as the user wrote it: every key optional, nothing checked.
 * Keys are the flat `agent-storage:<key>` names of Pulumi.yaml (EKS keys under `eks`,
 * kind keys under `kind`, existing-cluster keys at top level).
 */
export interface RawConfig {
    target?: string;
    namespace?: string;
    image?: string;
    inferenceReplicas?: number;
    embeddingsSize?: string;
    checkpointsSize?: string;
    embeddingsAccessMode?: string;
    checkpointsAccessMode?: string;
    embeddingsVolume?: string;
    embeddingsHostPath?: string;
    deleteDataOnDestroy?: boolean;
    refreshSchedule?: string;
    keepVersions?: number;
    refreshGracePeriod?: string;
    // kind
    kindClusterName?: string;
    kindNodeImage?: string;
    kindDataDir?: string;
    kindWorkers?: number;
    // existing cluster
    kubeconfig?: string;
    kubeContext?: string;
    storageClass?: string;
    storageProvisioner?: string;
    existingNodeCount?: number;
    // EKS
    awsRegion?: string;
    eksClusterName?: string;
    eksVersion?: string;
    eksVpcCidr?: string;
    eksAvailabilityZones?: string[];
    eksVpcId?: string;
    eksPublicSubnetIds?: string[];
    eksPrivateSubnetIds?: string[];
    eksNodeInstanceType?: string;
    eksNodeCount?: number;
    eksNodeMaxCount?: number;
    eksAdminPrincipalArns?: string[];
    eksGp3Default?: boolean;
    eksEfsDefault?: boolean;
}

/** One claim the program creates, with the class that will serve it. */
export interface ClaimSettings {
    /** Kubernetes name of the claim. */
    name: string;
    /** Requested size, a Kubernetes quantity. */
    size: string;
    accessMode: AccessMode;
    /** storageClassName on the claim. */
    storageClass: string;
    /** Provisioner behind that class (what decides which modes can bind). */
    provisioner: string;
    /** True when the program creates the class, so it also decides its reclaim policy. */
    classIsOurs: boolean;
}

export interface KindSettings {
    clusterName: string;
    nodeImage: string;
    /** Host folder whose subfolders are mounted into the nodes, so volume bytes outlive the kind cluster. */
    dataDir: string;
    /** Worker nodes besides the control plane (0: one node that also runs the pods). */
    workers: number;
    /** The class whose volumes every node reaches, and the provisioner image behind it. */
    sharedStorage: { className: string; image: string };
}

export interface ExistingSettings {
    kubeconfig: string;
    context?: string;
}

export interface EksSettings {
    region: string;
    clusterName: string;
    version: string;
    vpcCidr: string;
    availabilityZones: string[];
    /** Present when the user brings a VPC; then both subnet lists are given too. */
    existingVpc?: { vpcId: string; publicSubnetIds: string[]; privateSubnetIds: string[] };
    nodeInstanceType: string;
    nodeCount: number;
    nodeMaxCount: number;
    adminPrincipalArns: string[];
    gp3IsDefault: boolean;
    efsIsDefault: boolean;
}

export interface RefreshSettings {
    schedule: string;
    keepVersions: number;
    gracePeriod: string;
}

/** Fully checked, fully defaulted settings: what the stack builders consume. */
export interface Settings {
    target: Target;
    namespace: string;
    image: string;
    inferenceReplicas: number;
    deleteDataOnDestroy: boolean;
    embeddings: ClaimSettings;
    checkpoints: ClaimSettings;
    embeddingsVolume: EmbeddingsVolumeKind;
    /** Node path of the static embeddings volume (static-hostpath only). */
    embeddingsHostPath: string;
    /**
     * The one node whose folder backs the static embeddings volume, when the cluster has
     * several nodes (static-hostpath on kind with workers); every pod that mounts it runs there.
     */
    embeddingsHostPathNode?: string;
    refresh: RefreshSettings;
    /**
     * At most how many nodes run the pods, when the configuration says: kind from kindWorkers,
     * EKS the node group's maximum, existing from existingNodeCount (else undefined).
     */
    workloadNodes?: number;
    /** Where the readers run relative to the writer, and why (decided before anything is created). */
    readerPlacement: ReaderPlacement;
    kind?: KindSettings;
    existing?: ExistingSettings;
    eks?: EksSettings;
}

/** The subset of pulumi.Config that reading needs, so tests can pass a plain object. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getNumber(key: string): number | undefined;
    getBoolean(key: string): boolean | undefined;
    getObject<T>(key: string): T | undefined;
}

/**
 * Reads every key the program knows; no checks, no defaults (see settings.ts).
 *
 * Pulumi.yaml gives optional keys an empty default ("" or []) because the engine treats a
 * schema key without a default as required; empty therefore means "not set" here.
 */
export function readRawConfig(source: ConfigSource, awsSource: ConfigSource): RawConfig {
    const config = ignoringEmpty(source);
    const awsConfig = ignoringEmpty(awsSource);
    return {
        target: config.get("target"),
        namespace: config.get("namespace"),
        image: config.get("image"),
        inferenceReplicas: config.getNumber("inferenceReplicas"),
        embeddingsSize: config.get("embeddingsSize"),
        checkpointsSize: config.get("checkpointsSize"),
        embeddingsAccessMode: config.get("embeddingsAccessMode"),
        checkpointsAccessMode: config.get("checkpointsAccessMode"),
        embeddingsVolume: config.get("embeddingsVolume"),
        embeddingsHostPath: config.get("embeddingsHostPath"),
        deleteDataOnDestroy: config.getBoolean("deleteDataOnDestroy"),
        refreshSchedule: config.get("refreshSchedule"),
        keepVersions: config.getNumber("keepVersions"),
        refreshGracePeriod: config.get("refreshGracePeriod"),
        kindClusterName: config.get("kindClusterName"),
        kindNodeImage: config.get("kindNodeImage"),
        kindDataDir: config.get("kindDataDir"),
        kindWorkers: config.getNumber("kindWorkers"),
        kubeconfig: config.get("kubeconfig"),
        kubeContext: config.get("kubeContext"),
        storageClass: config.get("storageClass"),
        storageProvisioner: config.get("storageProvisioner"),
        existingNodeCount: config.getNumber("existingNodeCount"),
        awsRegion: awsConfig.get("region"),
        eksClusterName: config.get("eksClusterName"),
        eksVersion: config.get("eksVersion"),
        eksVpcCidr: config.get("eksVpcCidr"),
        eksAvailabilityZones: config.getObject<string[]>("eksAvailabilityZones"),
        eksVpcId: config.get("eksVpcId"),
        eksPublicSubnetIds: config.getObject<string[]>("eksPublicSubnetIds"),
        eksPrivateSubnetIds: config.getObject<string[]>("eksPrivateSubnetIds"),
        eksNodeInstanceType: config.get("eksNodeInstanceType"),
        eksNodeCount: config.getNumber("eksNodeCount"),
        eksNodeMaxCount: config.getNumber("eksNodeMaxCount"),
        eksAdminPrincipalArns: config.getObject<string[]>("eksAdminPrincipalArns"),
        eksGp3Default: config.getBoolean("eksGp3Default"),
        eksEfsDefault: config.getBoolean("eksEfsDefault"),
    };
}

function ignoringEmpty(source: ConfigSource): ConfigSource {
    return {
        get: (key) => {
            const value = source.get(key);
            return value === "" ? undefined : value;
        },
        getNumber: (key) => source.getNumber(key),
        getBoolean: (key) => source.getBoolean(key),
        getObject: <T>(key: string) => {
            const value = source.getObject<T>(key);
            return Array.isArray(value) && value.length === 0 ? undefined : value;
        },
    };
}
