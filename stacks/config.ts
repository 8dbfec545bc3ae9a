import { AccessMode } from "../components/storage/capabilities";
import { ReaderPlacement } from "../components/workloads/placement";
import { projectNamespace } from "../components/problems";

export const targets = ["kind", "eks", "existing"] as const;
export type Target = (typeof targets)[number];

export function isTarget(value: string): value is Target {
    return targets.some((t) => t === value);
}

export const embeddingsVolumeKinds = ["dynamic", "static-hostpath"] as const;
export type EmbeddingsVolumeKind = (typeof embeddingsVolumeKinds)[number];

export function isEmbeddingsVolumeKind(value: string): value is EmbeddingsVolumeKind {
    return embeddingsVolumeKinds.some((k) => k === value);
}

/** How a key's value is read: which ConfigSource getter it goes through. */
export type ValueKind = "string" | "number" | "boolean" | "list";

export interface KeySpec {
    kind: ValueKind;
    /** The namespace when it is not the project's (`agent-storage`). */
    namespace?: "aws";
    /** The key's name in its namespace when it differs from the RawConfig field. */
    name?: string;
    /**
     * A number key whose default the program computes: the schema needs some default, and
     * this one (Pulumi.yaml's) reads as "not set", so the program's own applies.
     */
    unset?: number;
}

/**
 * Every config key the program reads, stated once: readRawConfig reads exactly these, the
 * RawConfig type is made from them, and a key set in the project's namespace that is not
 * here is refused (checkUnknownKeys). Pulumi.yaml declares the same keys; a test keeps them equal.
 */
export const configKeys = {
    target: { kind: "string" },
    namespace: { kind: "string" },
    image: { kind: "string" },
    inferenceReplicas: { kind: "number" },
    queryPort: { kind: "number" },
    embeddingsSize: { kind: "string" },
    checkpointsSize: { kind: "string" },
    embeddingsAccessMode: { kind: "string" },
    checkpointsAccessMode: { kind: "string" },
    embeddingsVolume: { kind: "string" },
    embeddingsHostPath: { kind: "string" },
    deleteDataOnDestroy: { kind: "boolean" },
    confirmDataMove: { kind: "boolean" },
    copyDataFrom: { kind: "string" },
    refreshSchedule: { kind: "string" },
    keepVersions: { kind: "number" },
    refreshGracePeriod: { kind: "string" },
    // kind
    kindClusterName: { kind: "string" },
    kindNodeImage: { kind: "string" },
    kindDataDir: { kind: "string" },
    kindWorkers: { kind: "number" },
    // existing cluster
    kubeconfig: { kind: "string" },
    kubeContext: { kind: "string" },
    storageClass: { kind: "string" },
    storageProvisioner: { kind: "string" },
    existingNodeCount: { kind: "number" },
    // EKS
    awsRegion: { kind: "string", namespace: "aws", name: "region" },
    eksClusterName: { kind: "string" },
    eksVersion: { kind: "string" },
    eksVpcCidr: { kind: "string" },
    eksAvailabilityZones: { kind: "list" },
    eksVpcId: { kind: "string" },
    eksPublicSubnetIds: { kind: "list" },
    eksPrivateSubnetIds: { kind: "list" },
    eksNodeInstanceType: { kind: "string" },
    eksNodeCount: { kind: "number" },
    eksNodeMaxCount: { kind: "number", unset: 0 },
    eksAdminPrincipalArns: { kind: "list" },
    eksClusterCreatorAdmin: { kind: "boolean" },
    eksPublicAccessCidrs: { kind: "list" },
    eksGp3Default: { kind: "boolean" },
    eksEfsDefault: { kind: "boolean" },
} as const satisfies Record<string, KeySpec>;

type ValueOf<K extends ValueKind> = K extends "string" ? string : K extends "number" ? number : K extends "boolean" ? boolean : string[];

/** Stack configuration exactly as the user wrote it: every key optional, nothing checked. */
export type RawConfig = { -readonly [F in keyof typeof configKeys]?: ValueOf<(typeof configKeys)[F]["kind"]> };

/** The full key (`namespace:name`) behind a RawConfig field. */
export function fullKey(field: keyof RawConfig): string {
    const spec: KeySpec = configKeys[field];
    return `${spec.namespace ?? projectNamespace}:${spec.name ?? field}`;
}

/** Every full key the program reads. */
export const knownKeys: readonly string[] = (Object.keys(configKeys) as (keyof RawConfig)[]).map(fullKey);

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

/** A VPC the user brings, shaped like the outputs of the EksNetwork the program would create. */
export interface ExistingVpc {
    vpcId: string;
    privateSubnets: Record<string, string>;
    publicSubnets: Record<string, string>;
}

export interface EksSettings {
    region: string;
    clusterName: string;
    version: string;
    vpcCidr: string;
    availabilityZones: string[];
    /**
     * Present when the user brings a VPC: its subnets keyed by their ids (what EksNetwork keys
     * by zone), so a stack uses either the same way.
     */
    existingVpc?: ExistingVpc;
    nodeInstanceType: string;
    nodeCount: number;
    nodeMaxCount: number;
    adminPrincipalArns: string[];
    /** Whether the deployer's own identity gets cluster-admin when it creates the cluster. */
    creatorIsAdmin: boolean;
    /** CIDRs that may reach the public API endpoint; empty: the endpoint is private only. */
    publicAccessCidrs: string[];
    gp3IsDefault: boolean;
    efsIsDefault: boolean;
}

export interface RefreshSettings {
    schedule: string;
    keepVersions: number;
    gracePeriod: string;
}

/** What every target's settings have. */
export interface CommonSettings {
    namespace: string;
    image: string;
    inferenceReplicas: number;
    /** Port of the readers' query API; 0: off (the readers serve no HTTP). */
    queryPort: number;
    deleteDataOnDestroy: boolean;
    /** Lets one change of the data's identity through (see components/storage/dataIdentity.ts). */
    confirmDataMove: boolean;
    /**
     * The namespace the data is in now, when moving it to `namespace` by copying (see
     * components/storage/copySource.ts). Unset: no copy.
     */
    copyDataFrom?: string;
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
}

export interface KindStackSettings extends CommonSettings { target: "kind"; kind: KindSettings }
export interface EksStackSettings extends CommonSettings { target: "eks"; eks: EksSettings }
export interface ExistingStackSettings extends CommonSettings { target: "existing"; existing: ExistingSettings }

/**
 * Fully checked, fully defaulted settings: what the stack builders consume. Keyed on
 * `target`, so each target's own settings are there exactly when that target is chosen.
 */
export type Settings = KindStackSettings | EksStackSettings | ExistingStackSettings;

/** The subset of pulumi.Config that reading needs, so tests can pass a plain object. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getNumber(key: string): number | undefined;
    getBoolean(key: string): boolean | undefined;
    getObject<T>(key: string): T | undefined;
}

/**
 * Reads every key of configKeys; no checks, no defaults (see settings.ts).
 *
 * Pulumi.yaml gives optional keys an empty default ("" or []) because the engine treats a
 * schema key without a default as required; empty therefore means "not set" here.
 */
export function readRawConfig(source: ConfigSource, awsSource: ConfigSource): RawConfig {
    const sources = { project: ignoringEmpty(source), aws: ignoringEmpty(awsSource) };
    const raw: Record<string, unknown> = {};
    for (const [field, spec] of Object.entries(configKeys) as [keyof RawConfig, KeySpec][]) {
        const from = spec.namespace === "aws" ? sources.aws : sources.project;
        const name = spec.name ?? field;
        switch (spec.kind) {
            case "string": raw[field] = from.get(name); break;
            case "number": {
                const value = from.getNumber(name);
                raw[field] = value === spec.unset ? undefined : value;
                break;
            }
            case "boolean": raw[field] = from.getBoolean(name); break;
            case "list": raw[field] = from.getObject<string[]>(name); break;
        }
    }
    return raw as RawConfig;
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
