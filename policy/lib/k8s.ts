// Small, dependency-free helpers the rules share: resource type tokens, safe property
// access (preview values can be unknown), labels, and the pod spec inside each workload kind.
import { PolicyResourceOptions, UnknownValueError } from "@pulumi/policy";

/**
 * Resource properties as the engine hands them to a policy: JSON of any kind's shape, typed
 * by @pulumi/policy itself as Record<string, any>. Every read goes through get(), which turns
 * a missing field or a value unknown at preview into a value the rules handle.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's JSON, read only through get()
export type Props = Record<string, any>;

/** A resource's options; retainOnDelete is read should @pulumi/policy ever pass it on. */
export type ResOpts = Partial<PolicyResourceOptions> & { retainOnDelete?: boolean };

/** What a rule needs of a resource: the same fields the engine gives a stack policy. */
export interface Res {
    type: string;
    name: string;
    urn: string;
    props: Props;
    opts?: ResOpts;
}

export const T = {
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    efsFileSystem: "aws:efs/fileSystem:FileSystem",
    ebsVolume: "aws:ebs/volume:Volume",
    efsFileSystemPolicy: "aws:efs/fileSystemPolicy:FileSystemPolicy",
    eksCluster: "aws:eks/cluster:Cluster",
    eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    iamRole: "aws:iam/role:Role",
} as const;

export const WORKLOAD_TYPES: readonly string[] = [T.pod, T.deployment, T.statefulSet, T.daemonSet, T.job, T.cronJob];

/** Marker for a value the engine does not know yet (preview of a computed field). */
export const UNKNOWN = Symbol("unknown");
export type Maybe<V> = V | undefined | typeof UNKNOWN;

/**
 * Reads a value, turning @pulumi/policy's "unknown during preview" error into UNKNOWN so one
 * computed field does not abort a whole stack policy.
 */
export function get<V>(read: () => V): Maybe<V> {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError || (e instanceof Error && e.name === "UnknownValueError")) {
            return UNKNOWN;
        }
        if (e instanceof TypeError) {
            return undefined; // a missing intermediate object: the field is simply not set
        }
        throw e;
    }
}

export function known<V>(v: Maybe<V>): v is V {
    return v !== undefined && v !== UNKNOWN;
}

export function labels(props: Props): Props {
    const l = get(() => props.metadata.labels);
    return known(l) && typeof l === "object" ? l : {};
}

export function annotations(props: Props): Props {
    const a = get(() => props.metadata.annotations);
    return known(a) && typeof a === "object" ? a : {};
}

/** A label or annotation value, read safely ("" when absent, UNKNOWN when computed). */
export function entry(map: Props, key: string): string | typeof UNKNOWN {
    const v = get(() => map[key]);
    if (v === UNKNOWN) return UNKNOWN;
    return v === undefined || v === null ? "" : String(v);
}

export function metaName(props: Props): Maybe<string> {
    return get(() => props.metadata.name);
}

export function metaNamespace(props: Props): Maybe<string> {
    return get(() => props.metadata.namespace);
}

/** Namespaces match when equal, or when either side is unknown (then we cannot tell them apart). */
export function sameNamespace(a: Maybe<string>, b: Maybe<string>): boolean {
    if (a === UNKNOWN || b === UNKNOWN) return true;
    return (a || "default") === (b || "default");
}

/** The pod template's spec of a workload (Pod: its own spec), or undefined for other kinds. */
export function podSpec(r: { type: string; props: Props }): Props | undefined {
    let spec: Maybe<Props>;
    switch (r.type) {
        case T.pod:
            spec = get(() => r.props.spec);
            break;
        case T.deployment:
        case T.statefulSet:
        case T.daemonSet:
        case T.job:
            spec = get(() => r.props.spec.template.spec);
            break;
        case T.cronJob:
            spec = get(() => r.props.spec.jobTemplate.spec.template.spec);
            break;
        default:
            return undefined;
    }
    return known(spec) && typeof spec === "object" ? spec : undefined;
}

/** Labels of the pod template (Pod: its own labels). */
export function podLabels(r: { type: string; props: Props }): Props {
    let meta: Maybe<Props>;
    switch (r.type) {
        case T.pod:
            meta = get(() => r.props.metadata);
            break;
        case T.cronJob:
            meta = get(() => r.props.spec.jobTemplate.spec.template.metadata);
            break;
        default:
            meta = get(() => r.props.spec.template.metadata);
    }
    return known(meta) && meta ? labels({ metadata: meta }) : {};
}

export interface ContainerRef {
    kind: "container" | "initContainer" | "ephemeralContainer";
    name: string;
    spec: Props;
}

/** Every container of a pod spec, init and ephemeral containers included. */
export function containers(spec: Props): ContainerRef[] {
    const out: ContainerRef[] = [];
    const lists: [ContainerRef["kind"], string][] = [
        ["initContainer", "initContainers"],
        ["container", "containers"],
        ["ephemeralContainer", "ephemeralContainers"],
    ];
    for (const [kind, field] of lists) {
        const list = get(() => spec[field]);
        if (!known(list) || !Array.isArray(list)) continue;
        list.forEach((c: Props | null | undefined, i: number) => {
            const n = get(() => c?.name);
            out.push({ kind, name: known(n) ? String(n) : `#${i}`, spec: c ?? {} });
        });
    }
    return out;
}

/** "Deployment inference" style label for messages. */
export function describe(r: { type: string; name: string }): string {
    const kind = r.type.split(":").pop() ?? r.type;
    return `${kind} '${r.name}'`;
}
