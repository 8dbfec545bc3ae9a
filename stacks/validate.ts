/**
 * Rules that run before any resource is created. Each is a pure function returning the
 * problems it found, so a stack with several mistakes reports all of them at once.
 */
import * as awsProviderConfig from "@pulumi/aws/config";
import * as path from "path";
import { isIPv4 } from "net";
import { eksNodeArchitecture, eksStandardSupport, maxPlannedZones, zoneSlot } from "../components/cluster/eksFacts";
import { localPathDir, sharedPathDir } from "../components/cluster/kindConfig";
import { sharedPathNamespace } from "../components/storage/kindSharedStorage";
import { AccessMode, accessModes, capabilitiesOf, isAccessMode, spansNodes } from "../components/storage/capabilities";
import { ConfigProblem, projectKey, projectNamespace } from "../components/problems";
import { parseQuantity } from "../components/kubeapi/quantity";
import { isTarget, knownKeys, targets } from "./config";
import { imageReferenceError } from "./imageReference";
import { scheduleProblem } from "./schedule";
import { closestMatch } from "./spelling";

export { ConfigError, ConfigProblem, formatProblems, projectKey } from "../components/problems";

/** The keys the AWS provider reads from the aws namespace, as its installed SDK lists them. */
export const awsProviderKeys: readonly string[] = Object.keys(awsProviderConfig).map((k) => `aws:${k}`);

/**
 * Pulumi passes the program every key of the stack and says nothing about the ones it does not
 * read, so a misspelt key would silently leave its setting at the default. Every key in the
 * project's namespace is ours: one the program does not read is refused. The aws namespace
 * belongs to the AWS provider too (aws:profile, aws:defaultTags, ...), which checks its own
 * keys, so there only a near miss of a key the program reads (aws:region) is refused, and
 * never a key the provider reads.
 */
export function checkUnknownKeys(configured: readonly string[], providerKeys: readonly string[] = awsProviderKeys): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const key of [...configured].sort()) {
        const colon = key.indexOf(":");
        if (colon < 0 || knownKeys.includes(key) || providerKeys.includes(key)) continue;
        const namespace = key.slice(0, colon);
        const known = knownKeys.filter((k) => k.startsWith(`${namespace}:`)).map((k) => k.slice(colon + 1));
        const match = closestMatch(key.slice(colon + 1), known);
        const suggestion = match === undefined ? undefined : `${namespace}:${match}`;
        const rename = `rename it to ${suggestion} in Pulumi.<stack>.yaml (or pulumi config rm ${key}, then pulumi config set ${suggestion} VALUE)`;
        if (namespace === projectNamespace) {
            problems.push({
                key,
                message: `not a key of this program, so it would be ignored${suggestion ? `; did you mean ${suggestion}?` : " (Pulumi.yaml lists every key)"}`,
                fix: suggestion ? rename : `pulumi config rm ${key}`,
            });
        } else if (suggestion !== undefined) {
            problems.push({
                key,
                message: `neither the program nor the AWS provider reads this key; did you mean ${suggestion}?`,
                fix: rename,
            });
        }
    }
    return problems;
}

export function checkTarget(target: string | undefined): ConfigProblem[] {
    if (target === undefined || isTarget(target)) return [];
    return [{
        key: projectKey("target"),
        message: `unknown target "${target}"; known targets are ${targets.join(", ")}`,
        fix: `pulumi config set agent-storage:target kind   (or eks, existing)`,
    }];
}

/**
 * The most inference readers of one embeddings volume: a guard against a slip of the finger
 * (500 for 50). The program is measured with up to 50 readers; a hundred is already well past
 * what one volume and one writer are meant to serve here.
 */
export const maxInferenceReplicas = 100;

export function checkReplicas(key: string, value: number | undefined): ConfigProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 1 && value <= maxInferenceReplicas)) return [];
    const tooMany = Number.isInteger(value) && value > maxInferenceReplicas;
    return [{
        key: projectKey(key),
        message: tooMany
            ? `${value} readers is more than the ${maxInferenceReplicas} this program is made for (every reader mounts the one embeddings volume and verifies it continuously)`
            : `must be a whole number of at least 1 (got ${value}); inference needs a reader to serve`,
        fix: `pulumi config set agent-storage:${key} 5   (1 to ${maxInferenceReplicas})`,
    }];
}

/**
 * The lowest port the readers can listen on: they run as a non-root user with every
 * capability dropped, so without CAP_NET_BIND_SERVICE a port below this one cannot be bound.
 */
export const minQueryPort = 1024;
export const maxPort = 65535;

/** The readers' query port: 0 (the API off), or a port a non-root process may bind. */
export function checkQueryPort(value: number | undefined): ConfigProblem[] {
    if (value === undefined || value === 0 || (Number.isInteger(value) && value >= minQueryPort && value <= maxPort)) return [];
    const fix = "pulumi config set agent-storage:queryPort 8080   (or 0 to turn the query API off)";
    if (Number.isInteger(value) && value > 0 && value < minQueryPort) {
        return [{
            key: projectKey("queryPort"),
            message: `${value} is below ${minQueryPort}: the inference pods run as a non-root user with every capability dropped, so they cannot bind a port under ${minQueryPort}`,
            fix,
        }];
    }
    return [{
        key: projectKey("queryPort"),
        message: `must be 0 (the query API off) or a whole number from ${minQueryPort} to ${maxPort} (got ${value})`,
        fix,
    }];
}

export function checkStorageSize(key: string, value: string | undefined): ConfigProblem[] {
    if (value === undefined) return [];
    const bytes = parseQuantity(value);
    if (bytes === undefined) {
        return [{
            key: projectKey(key),
            message: `"${value}" is not a Kubernetes quantity`,
            fix: `use a number with a binary suffix, e.g. pulumi config set agent-storage:${key} 5Gi`,
        }];
    }
    if (bytes < 1024 * 1024) {
        return [{
            key: projectKey(key),
            message: `"${value}" is less than 1Mi; no provisioner can serve a volume that small`,
            fix: `pulumi config set agent-storage:${key} 1Gi`,
        }];
    }
    return [];
}

export function checkAccessModeName(key: string, value: string | undefined): ConfigProblem[] {
    if (value === undefined || isAccessMode(value)) return [];
    return [{
        key: projectKey(key),
        message: `"${value}" is not an access mode; use one of ${accessModes.join(", ")}`,
        fix: `pulumi config set agent-storage:${key} ReadWriteOnce`,
    }];
}

/**
 * The checkpoints belong to the generator alone: a mode that lets several pods (ReadWriteMany)
 * or several readers (ReadOnlyMany) mount them invites a second writer or a reader of
 * half-written state, whatever the class could serve.
 */
export function checkCheckpointsMode(value: string | undefined): ConfigProblem[] {
    if (value === undefined || !isAccessMode(value) || value === "ReadWriteOnce" || value === "ReadWriteOncePod") return [];
    return [{
        key: projectKey("checkpointsAccessMode"),
        message: `${value}: the checkpoints are the generator's alone, so they are mounted by one pod (ReadWriteOncePod) or one node (ReadWriteOnce)`,
        fix: "pulumi config rm agent-storage:checkpointsAccessMode   (the target's default), or set it to ReadWriteOncePod",
    }];
}

/** Refuses a mode the class cannot serve: such a claim would stay Pending forever. */
export function checkModeServedByClass(
    key: string, mode: AccessMode, storageClass: string, provisioner: string,
): ConfigProblem[] {
    const caps = capabilitiesOf(provisioner);
    if (caps === undefined || caps.accessModes.includes(mode)) return [];
    return [{
        key: projectKey(key),
        message: `${mode} cannot be served by class "${storageClass}" (${provisioner}): ${caps.note}`,
        fix: `pulumi config set agent-storage:${key} ${caps.accessModes[0]}   (this class serves ${caps.accessModes.join(", ")})`,
    }];
}

/**
 * The embeddings have one writer and at least one reader (inferenceReplicas >= 1), so the claim
 * must admit several pods, and writing.
 */
export function checkEmbeddingsShared(mode: AccessMode, storageClass: string, provisioner: string): ConfigProblem[] {
    const better = spansNodes(provisioner) ? "ReadWriteMany" : "ReadWriteOnce";
    const fix = `pulumi config set agent-storage:embeddingsAccessMode ${better}   (readers get read-only mounts either way)`;
    if (mode === "ReadWriteOncePod") {
        return [{
            key: projectKey("embeddingsAccessMode"),
            message: `ReadWriteOncePod lets one pod mount the claim, but the generator and every inference pod mount the embeddings: the readers would stay Pending`,
            fix,
        }];
    }
    if (mode === "ReadOnlyMany") {
        return [{
            key: projectKey("embeddingsAccessMode"),
            message: `ReadOnlyMany promises that no pod writes, but the generator writes the embeddings (class "${storageClass}")`,
            fix,
        }];
    }
    return [];
}

export function checkRegion(target: string, region: string | undefined): ConfigProblem[] {
    if (target !== "eks" || (region !== undefined && region.trim() !== "")) return [];
    return [{
        key: "aws:region",
        message: "an EKS stack needs an AWS region",
        fix: "pulumi config set aws:region us-east-1",
    }];
}

export interface PlannedStorageClass {
    name: string;
    isDefault: boolean;
    /** The config key that made this class default, for the message. */
    defaultKey?: string;
}

/** A cluster with two default classes gives an unnamed claim whichever the API server picks. */
export function checkSingleDefaultClass(classes: PlannedStorageClass[]): ConfigProblem[] {
    const defaults = classes.filter((c) => c.isDefault);
    if (defaults.length <= 1) return [];
    const names = defaults.map((c) => `"${c.name}"`).join(" and ");
    const keys = defaults.map((c) => c.defaultKey).filter((k): k is string => k !== undefined);
    return [{
        key: keys.map(projectKey).join(", ") || projectKey("storageClass"),
        message: `${names} would both be default StorageClasses; a cluster must have at most one`,
        fix: `keep one default, e.g. pulumi config set agent-storage:${keys[keys.length - 1] ?? "eksEfsDefault"} false`,
    }];
}

/** An image the nodes could not parse leaves its pods in InvalidImageName, after the cluster is up. */
export function checkImage(key: string, value: string | undefined, example: string): ConfigProblem[] {
    const reason = value === undefined ? undefined : imageReferenceError(value);
    if (reason === undefined) return [];
    return [{
        key: projectKey(key),
        message: `"${value}" is not an image reference: ${reason}`,
        fix: `pulumi config set agent-storage:${key} ${example}   ([registry[:port]/]repository[:tag][@sha256:<64 hex>], repository in lower case)`,
    }];
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Namespaces that belong to someone else, and why. The program takes its namespace over: it
 * labels it Pod Security `restricted` (which stops privileged system pods from starting) and,
 * with deleteDataOnDestroy, deletes it on destroy with everything in it.
 */
const reservedNamespaces: Readonly<Record<string, string>> = {
    default: "it is where every object without a namespace lands",
    [sharedPathNamespace]: "the program runs kind's shared-path provisioner there, whose helper pods run as root",
    "local-path-storage": "the local-path provisioner behind the `standard` class runs there (kind's and the local cluster's)",
};

export function checkNamespace(value: string | undefined): ConfigProblem[] {
    const fix = "pulumi config set agent-storage:namespace agent-data";
    if (value === undefined) return [];
    if (value.length > 63 || !dns1123Label.test(value)) {
        return [{
            key: projectKey("namespace"),
            message: `"${value}" is not a valid namespace name (lower-case letters, digits and '-', at most 63)`,
            fix,
        }];
    }
    const why = value.startsWith("kube-") ? "the kube- prefix is Kubernetes' own (kube-system runs the cluster's components)" : reservedNamespaces[value];
    if (why === undefined) return [];
    return [{
        key: projectKey("namespace"),
        message: `"${value}" is not this program's to take: ${why}. The program labels its namespace Pod Security "restricted" and deletes it on destroy with deleteDataOnDestroy`,
        fix: `${fix}   (a namespace of its own)`,
    }];
}

/**
 * The namespace to copy the data from: a namespace name other than the one the data moves to.
 * A static embeddings volume is a host folder the new namespace's volume names too: nothing to copy.
 */
export function checkCopyDataFrom(value: string | undefined, namespace: string, embeddingsVolume: string | undefined): ConfigProblem[] {
    if (!value) return [];
    const key = projectKey("copyDataFrom");
    const unset = `pulumi config rm ${key}`;
    if (value.length > 63 || !dns1123Label.test(value)) {
        return [{ key, message: `"${value}" is not a namespace name (lower-case letters, digits and '-', at most 63)`, fix: `pulumi config set ${key} <the namespace the data is in now>` }];
    }
    if (value === namespace) {
        return [{
            key, message: `"${value}" is the namespace the data is to be in (agent-storage:namespace), so there is nothing to copy; it names the namespace the data is in now`,
            fix: `${unset}   (after a move), or pulumi config set agent-storage:namespace <the new namespace>`,
        }];
    }
    if (embeddingsVolume === "static-hostpath") {
        return [{
            key, message: "the embeddings are a static host folder (embeddingsVolume static-hostpath), which the new namespace's volume names as well: there is nothing to copy",
            fix: `${unset}, and move with pulumi config set agent-storage:confirmDataMove true`,
        }];
    }
    return [];
}

export function checkClusterName(key: string, value: string | undefined): ConfigProblem[] {
    if (value === undefined || (value.length <= 40 && dns1123Label.test(value))) return [];
    return [{
        key: projectKey(key),
        message: `"${value}" is not a valid cluster name (lower-case letters, digits and '-', at most 40)`,
        fix: `pulumi config set agent-storage:${key} agent-storage`,
    }];
}

/** The most workers a kind cluster may have: each node is a container with its own kubelet. */
export const maxKindWorkers = 10;

export function checkKindWorkers(value: number | undefined): ConfigProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 0 && value <= maxKindWorkers)) return [];
    return [{
        key: projectKey("kindWorkers"),
        message: `must be a whole number from 0 to ${maxKindWorkers} (got ${value}); it is how many worker nodes the kind cluster has besides its control plane (0: one node)`,
        fix: "pulumi config set agent-storage:kindWorkers 2   (or 0 for a single-node cluster)",
    }];
}

/** Go's duration grammar, unsigned (a bare 0 is a duration too). */
const goDuration = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
const durationUnitsMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Milliseconds in a Go duration (`1h30m`, `90s`), as the refresher reads it; undefined if it is not one. */
export function parseDuration(value: string): number | undefined {
    if (!goDuration.test(value)) return undefined;
    let ms = 0;
    for (const [, number, , unit] of value.matchAll(/([0-9]+(\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(number) * durationUnitsMs[unit];
    return ms;
}

export function checkDuration(key: string, value: string | undefined): ConfigProblem[] {
    if (value === undefined || goDuration.test(value)) return [];
    return [{
        key: projectKey(key),
        message: `"${value}" is not a duration`,
        fix: `use a number with a unit (s, m, h), e.g. pulumi config set agent-storage:${key} 10m`,
    }];
}

/** The longest grace period: a replaced version then stays on the claim for a day. */
export const maxGracePeriodHours = 24;

/**
 * How long a replaced version stays readable: readers that started on it finish their read.
 * Zero deletes it under their feet; more than a day keeps every version replaced that day on
 * the claim besides the keepVersions kept ones, which fills it on a frequent schedule.
 */
export function checkGracePeriod(value: string | undefined): ConfigProblem[] {
    const format = checkDuration("refreshGracePeriod", value);
    const ms = value === undefined ? undefined : parseDuration(value);
    if (ms === undefined || format.length > 0) return format;
    const fix = "pulumi config set agent-storage:refreshGracePeriod 10m   (longer than a reader's longest read)";
    if (ms === 0) {
        return [{
            key: projectKey("refreshGracePeriod"),
            message: `"${value}" is no grace at all: a replaced version could be deleted while a reader is still reading it, and the read fails`,
            fix,
        }];
    }
    if (ms > maxGracePeriodHours * 3600e3) {
        return [{
            key: projectKey("refreshGracePeriod"),
            message: `"${value}" is more than ${maxGracePeriodHours}h: every version replaced in that time would stay on the claim besides the keepVersions kept ones, and a reader's read takes minutes, not days`,
            fix,
        }];
    }
    return [];
}

/** The refresher's own grammar (see ./schedule), so `up` never waits for a generator that refuses it. */
export function checkSchedule(value: string | undefined): ConfigProblem[] {
    if (value === undefined) return [];
    const problem = scheduleProblem(value);
    if (problem === undefined) return [];
    return [{
        key: projectKey("refreshSchedule"),
        message: `"${value}" is not a schedule: ${problem}`,
        fix: `pulumi config set agent-storage:refreshSchedule "0 3 * * 0"   (or @daily, "@every 6h"; all in UTC)`,
    }];
}

export function checkKeepVersions(value: number | undefined): ConfigProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 1 && value <= 100)) return [];
    return [{
        key: projectKey("keepVersions"),
        message: `must be a whole number from 1 to 100 (got ${value}); it is how many complete versions stay for rollback`,
        fix: "pulumi config set agent-storage:keepVersions 3",
    }];
}

export function checkEmbeddingsVolume(target: string, value: string | undefined, hostPath: string | undefined): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (value !== undefined && value !== "dynamic" && value !== "static-hostpath") {
        problems.push({
            key: projectKey("embeddingsVolume"),
            message: `"${value}" is not a volume kind; use dynamic or static-hostpath`,
            fix: "pulumi config set agent-storage:embeddingsVolume dynamic",
        });
    }
    if (value === "static-hostpath" && target === "eks") {
        problems.push({
            key: projectKey("embeddingsVolume"),
            message: "a host-path volume lives on one node; EKS nodes come and go, so the embeddings would be lost",
            fix: "pulumi config rm agent-storage:embeddingsVolume   (EKS uses EFS)",
        });
    }
    if (hostPath !== undefined && !hostPath.startsWith("/")) {
        problems.push({
            key: projectKey("embeddingsHostPath"),
            message: `"${hostPath}" is not an absolute path on the node`,
            fix: "pulumi config set agent-storage:embeddingsHostPath /var/local/agent-storage/embeddings",
        });
    }
    return problems;
}

/** Folders of the operating system, the kubelet and the container runtimes: nothing of ours goes in or under them. */
const systemTrees = [
    "/etc", "/usr", "/bin", "/sbin", "/boot", "/dev", "/proc", "/sys", "/run", "/var/run",
    "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd",
];
/** Folders that hold much else: a folder of ours may be inside them, but not be one of them. */
const sharedFolders = ["/", "/home", "/root", "/var", "/var/lib", "/var/local", "/tmp", "/opt", "/srv", "/mnt", "/media"];

const isWithin = (p: string, folder: string) => p === folder || p.startsWith(folder === "/" ? "/" : `${folder}/`);

/** Why an absolute, normalised path is no place for our data, or undefined. */
function systemFolderReason(p: string): string | undefined {
    const libTree = /^\/lib[^/]*/.exec(p)?.[0];
    const tree = systemTrees.find((t) => isWithin(p, t)) ?? libTree;
    if (tree !== undefined) return `${p === tree ? "it is" : "it is inside"} ${tree}, a folder of the operating system, the kubelet or a container runtime`;
    if (sharedFolders.includes(p)) return `it is ${p} itself, a folder that holds much more than this data`;
    return undefined;
}

/**
 * The node folder of the static embeddings volume: the volume mounts it into every pod that
 * uses the embeddings and the generator writes there, so it must be a folder of its own.
 * (A path that is not absolute is refused by checkEmbeddingsVolume.)
 */
export function checkEmbeddingsHostPath(value: string | undefined): ConfigProblem[] {
    if (value === undefined || !value.startsWith("/")) return [];
    const problem = (why: string): ConfigProblem[] => [{
        key: projectKey("embeddingsHostPath"),
        message: `"${value}" is no place for the embeddings: ${why}`,
        fix: "pulumi config set agent-storage:embeddingsHostPath /var/local/agent-storage/embeddings   (a folder of its own)",
    }];
    if (value.split("/").includes("..")) return problem("Kubernetes refuses a hostPath with a '..' element");
    const p = path.posix.normalize(value).replace(/(.)\/+$/, "$1");
    const system = systemFolderReason(p);
    if (system !== undefined) return problem(`${system}; the generator would write into it`);
    const provisioners = [localPathDir, sharedPathDir].find((d) => isWithin(p, d));
    if (provisioners !== undefined) return problem(`${provisioners} holds the volumes of the local-path provisioners (the \`standard\` and \`shared\` classes)`);
    return [];
}

/** Folders of the project that are not data: the state backend (with the passphrase) and the repository. */
const projectFolders = [".pulumi-state", ".git"];

/**
 * The host folder of the kind volumes. The nodes write into it as root, and `pulumi destroy`
 * with deleteDataOnDestroy removes its subfolders (local-path, nodes, shared, static) with
 * everything in them, so it must be a folder of its own: not a system folder, not the home
 * or project folder or a parent of them. `resolved` is the path the program will use
 * (relative paths are under the project, `~/` under the home folder).
 */
export function checkKindDataDir(
    written: string | undefined, resolved: string, places: { projectDir: string; homeDir: string },
): ConfigProblem[] {
    if (written === undefined) return [];
    const problem = (why: string): ConfigProblem[] => [{
        key: projectKey("kindDataDir"),
        message: `"${written}" is no place for the kind volumes: ${why}; the nodes write into it as root, and destroy with deleteDataOnDestroy removes its local-path, nodes, shared and static folders`,
        fix: "pulumi config rm agent-storage:kindDataDir   (the default, .kind-data/<cluster> in the project), or give a folder of its own, e.g. ~/agent-storage-data",
    }];
    const relativePart = written === "~" ? "" : written.startsWith("~/") ? written.slice(2) : written;
    if (path.posix.normalize(relativePart).split("/").includes("..")) {
        return problem(`it climbs out of the ${written.startsWith("~") ? "home" : "project"} folder with '..' (give the absolute path instead)`);
    }
    const p = path.posix.normalize(resolved).replace(/(.)\/+$/, "$1");
    const system = systemFolderReason(p);
    if (system !== undefined) return problem(system);
    const home = path.posix.normalize(places.homeDir);
    const project = path.posix.normalize(places.projectDir);
    if (p === home) return problem("it is your home folder");
    if (p === project) return problem("it is the project folder itself");
    if (isWithin(project, p)) return problem(`it is a parent of the project folder ${project}`);
    if (isWithin(home, p)) return problem(`it is a parent of your home folder ${home}`);
    const own = projectFolders.map((f) => path.posix.join(project, f)).find((f) => isWithin(p, f));
    if (own !== undefined) return problem(`it is inside ${own}, which the project keeps for itself`);
    return [];
}

/** The largest cluster Kubernetes supports (its documented limit for large clusters). */
export const maxClusterNodes = 5000;

export function checkExistingNodeCount(value: number | undefined): ConfigProblem[] {
    if (value === undefined || (Number.isInteger(value) && value >= 0 && value <= maxClusterNodes)) return [];
    return [{
        key: projectKey("existingNodeCount"),
        message: `must be a whole number from 0 to ${maxClusterNodes}, the most nodes a Kubernetes cluster supports (got ${value}): how many nodes can run the pods, or 0 when not known`,
        fix: "pulumi config set agent-storage:existingNodeCount 3   (or pulumi config rm agent-storage:existingNodeCount when not known)",
    }];
}

/**
 * A host folder is on one node. kind knows which (the program mounts it there and pins the
 * volume to it); on an existing cluster the program cannot know, so it needs one node.
 */
export function checkStaticVolumeOnOneNode(target: string, volume: string | undefined, existingNodeCount: number | undefined): ConfigProblem[] {
    if (target !== "existing" || volume !== "static-hostpath" || existingNodeCount === 1) return [];
    const count = existingNodeCount === undefined ? "a cluster whose node count is not configured" : `a cluster of ${existingNodeCount} nodes`;
    return [{
        key: `${projectKey("embeddingsVolume")}, ${projectKey("existingNodeCount")}`,
        message: `a static host-path volume is a folder on one node; on ${count} its pods could land on a node without the folder and never start`,
        fix: "pulumi config set agent-storage:existingNodeCount 1   (if one node runs the pods), or pulumi config rm agent-storage:embeddingsVolume   (a provisioned volume)",
    }];
}

export function checkExistingCluster(target: string, kubeconfig: string | undefined): ConfigProblem[] {
    if (target !== "existing" || (kubeconfig !== undefined && kubeconfig !== "")) return [];
    return [{
        key: projectKey("kubeconfig"),
        message: "the existing target needs the path of the cluster's kubeconfig",
        fix: "pulumi config set agent-storage:kubeconfig ~/.kube/config   (and optionally agent-storage:kubeContext)",
    }];
}

export function checkEksNetwork(
    target: string, vpcId: string | undefined, publicSubnets: string[] | undefined,
    privateSubnets: string[] | undefined, zones: string[] | undefined,
): ConfigProblem[] {
    if (target !== "eks") return [];
    const problems: ConfigProblem[] = [];
    if (vpcId !== undefined && (privateSubnets === undefined || privateSubnets.length < 2)) {
        problems.push({
            key: projectKey("eksPrivateSubnetIds"),
            message: "with an existing VPC, give at least two private subnets (in two AZs) for nodes and EFS mount targets",
            fix: `pulumi config set --path 'agent-storage:eksPrivateSubnetIds[0]' subnet-...  (and [1])`,
        });
    }
    if (vpcId === undefined && (privateSubnets !== undefined || publicSubnets !== undefined)) {
        problems.push({
            key: projectKey("eksVpcId"),
            message: "subnet ids were given without the VPC they belong to",
            fix: "pulumi config set agent-storage:eksVpcId vpc-...   (or remove the subnet ids to create a VPC)",
        });
    }
    for (const [key, ids] of [["eksPrivateSubnetIds", privateSubnets], ["eksPublicSubnetIds", publicSubnets]] as const) {
        const twice = duplicates(ids ?? []);
        if (twice.length > 0) {
            problems.push({
                key: projectKey(key),
                message: `${twice.join(", ")} ${twice.length === 1 ? "is" : "are"} listed twice; each subnet is given once`,
                fix: `remove the repeated entry: pulumi config rm --path 'agent-storage:${key}[N]'   (N: its place in the list, from 0)`,
            });
        }
    }
    const both = (privateSubnets ?? []).filter((id) => (publicSubnets ?? []).includes(id));
    if (both.length > 0) {
        problems.push({
            key: `${projectKey("eksPrivateSubnetIds")}, ${projectKey("eksPublicSubnetIds")}`,
            message: `${unique(both).join(", ")} ${unique(both).length === 1 ? "is" : "are"} in both lists; a subnet is private (nodes, EFS mount targets) or public (load balancers), not both`,
            fix: `keep each subnet in one list, e.g. pulumi config rm --path 'agent-storage:eksPublicSubnetIds[N]'`,
        });
    }
    if (zones !== undefined && zones.length < 2) {
        problems.push({
            key: projectKey("eksAvailabilityZones"),
            message: "EKS needs subnets in at least two availability zones",
            fix: `pulumi config set --path 'agent-storage:eksAvailabilityZones[1]' us-east-1b`,
        });
    }
    return problems;
}

const unique = (values: readonly string[]) => [...new Set(values)];
/** Values that occur more than once, each named once. */
const duplicates = (values: readonly string[]) => unique(values.filter((v, i) => values.indexOf(v) !== i));

/**
 * The zones of a new VPC: one public and one private subnet per zone, so each zone once, in
 * the stack's region. A zone's letter decides its subnets' place in the /16 (planSubnets), so
 * only letters a to h fit.
 */
export function checkEksZones(target: string, region: string | undefined, zones: string[] | undefined): ConfigProblem[] {
    if (target !== "eks" || zones === undefined) return [];
    const problems: ConfigProblem[] = [];
    const key = projectKey("eksAvailabilityZones");
    const twice = duplicates(zones);
    if (twice.length > 0) {
        problems.push({
            key,
            message: `${twice.join(", ")} ${twice.length === 1 ? "is" : "are"} listed twice; the VPC gets one subnet of each kind per zone and EFS one mount target per zone, so a zone listed twice would fail the deployment halfway`,
            fix: `list each zone once, e.g. pulumi config set --path 'agent-storage:eksAvailabilityZones[1]' ${region ?? "us-east-1"}b`,
        });
    }
    const elsewhere = region === undefined ? [] : zones.filter((z) => !z.startsWith(region));
    if (elsewhere.length > 0) {
        problems.push({
            key,
            message: `${elsewhere.join(", ")} ${elsewhere.length === 1 ? "is" : "are"} not in the stack's region ${region} (a zone's name is its region's name and a letter)`,
            fix: `pulumi config set --path 'agent-storage:eksAvailabilityZones[0]' ${region}a   (and [1] ${region}b), or pulumi config rm agent-storage:eksAvailabilityZones`,
        });
    }
    const unplanned = zones.filter((z) => !elsewhere.includes(z) && (zoneSlot(z) === undefined || (region !== undefined && z.length !== region.length + 1)));
    if (unplanned.length > 0) {
        problems.push({
            key,
            message: `${unplanned.join(", ")} ${unplanned.length === 1 ? "is" : "are"} not a zone the subnet plan fits: it carves one public and one private /20 per zone out of the /16 by the zone's letter, so ${maxPlannedZones} zones, letters a to h, the region's name and one letter (no Local Zones)`,
            fix: `pulumi config set --path 'agent-storage:eksAvailabilityZones[0]' ${region ?? "us-east-1"}a   (two or three zones are the usual choice)`,
        });
    }
    return problems;
}

/**
 * eksAvailabilityZones and eksVpcCidr shape the VPC the program creates; with eksVpcId it
 * creates none, so they would be silently ignored. `customCidr` is eksVpcCidr when it is not
 * the default.
 */
export function checkNewVpcKeysWithExistingVpc(
    target: string, vpcId: string | undefined, zones: string[] | undefined, customCidr: string | undefined,
): ConfigProblem[] {
    if (target !== "eks" || vpcId === undefined) return [];
    const problems: ConfigProblem[] = [];
    if (zones !== undefined) {
        problems.push({
            key: `${projectKey("eksAvailabilityZones")}, ${projectKey("eksVpcId")}`,
            message: `eksAvailabilityZones is for a VPC the program creates; with eksVpcId ${vpcId} the subnets given decide the zones, so it would be ignored`,
            fix: "pulumi config rm agent-storage:eksAvailabilityZones   (or remove eksVpcId and the subnet ids to create a VPC)",
        });
    }
    if (customCidr !== undefined) {
        problems.push({
            key: `${projectKey("eksVpcCidr")}, ${projectKey("eksVpcId")}`,
            message: `eksVpcCidr ${customCidr} is for a VPC the program creates; with eksVpcId ${vpcId} it would be ignored`,
            fix: "pulumi config rm agent-storage:eksVpcCidr   (or remove eksVpcId and the subnet ids to create a VPC)",
        });
    }
    return problems;
}

/**
 * The managed node group starts with eksNodeCount nodes and never shrinks below it (it is
 * both the desired and the minimum size); eksNodeMaxCount is the most it may grow to.
 */
export function checkEksNodeCounts(nodeCount: number | undefined, nodeMaxCount: number | undefined, defaultNodeCount: number): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const whole = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 1);
    if (!whole(nodeCount)) {
        problems.push({
            key: projectKey("eksNodeCount"),
            message: `must be a whole number of at least 1 (got ${nodeCount}); it is the node group's size and minimum, and the pods need a node`,
            fix: "pulumi config set agent-storage:eksNodeCount 2",
        });
    }
    if (!whole(nodeMaxCount)) {
        problems.push({
            key: projectKey("eksNodeMaxCount"),
            message: `must be a whole number of at least 1 (got ${nodeMaxCount}); it is the most nodes the node group may grow to`,
            fix: "pulumi config set agent-storage:eksNodeMaxCount 4",
        });
    }
    const count = nodeCount ?? defaultNodeCount;
    if (problems.length === 0 && nodeMaxCount !== undefined && nodeMaxCount < count) {
        problems.push({
            key: `${projectKey("eksNodeMaxCount")}, ${projectKey("eksNodeCount")}`,
            message: `the node group's maximum (eksNodeMaxCount ${nodeMaxCount}) is below its size and minimum (eksNodeCount ${count}); EKS refuses a maximum under the minimum`,
            fix: `pulumi config set agent-storage:eksNodeMaxCount ${count}   (or lower agent-storage:eksNodeCount to ${nodeMaxCount})`,
        });
    }
    return problems;
}

/**
 * Graviton (Arm) instance families: a1, and those with a `g` right after the generation
 * (t4g, m7g, c6gn, r8gd, x2gd, im4gn, is4gen, g5g, hpc7g).
 */
export function isArmInstanceType(instanceType: string): boolean {
    const family = instanceType.split(".")[0];
    return family === "a1" || /^[a-z]+\d+g[a-z-]*$/.test(family);
}

/** An instance type of the other architecture than the node group's AMI cannot join the group. */
export function checkEksInstanceType(target: string, instanceType: string | undefined): ConfigProblem[] {
    if (target !== "eks" || instanceType === undefined) return [];
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(instanceType)) {
        return [{
            key: projectKey("eksNodeInstanceType"),
            message: `"${instanceType}" is not an EC2 instance type (family.size, e.g. t3.large)`,
            fix: "pulumi config set agent-storage:eksNodeInstanceType t3.large",
        }];
    }
    const arm = isArmInstanceType(instanceType);
    if (arm === (eksNodeArchitecture === "arm64")) return [];
    return [{
        key: projectKey("eksNodeInstanceType"),
        message: `${instanceType} is ${arm ? "an Arm (Graviton)" : "an x86_64"} instance type, but the node group runs the ${eksNodeArchitecture} Amazon Linux 2023 image; EKS refuses the pair`,
        fix: `pulumi config set agent-storage:eksNodeInstanceType ${eksNodeArchitecture === "arm64" ? "m7g.large" : "t3.large"}   (an ${eksNodeArchitecture} type)`,
    }];
}

/**
 * A version EKS supports only on paid extended support, or no longer (or not yet) at all, is
 * refused: the cluster's upgradePolicy is STANDARD, so EKS would upgrade it underneath the stack.
 */
export function checkEksVersion(target: string, version: string | undefined, supported: Readonly<Record<string, string>> = eksStandardSupport): ConfigProblem[] {
    if (target !== "eks" || version === undefined || version in supported) return [];
    const versions = Object.keys(supported);
    const newest = versions[versions.length - 1];
    const range = versions.map((v) => `${v} (until ${supported[v]})`).join(", ");
    return [{
        key: projectKey("eksVersion"),
        message: /^1\.\d{1,2}$/.test(version)
            ? `${version} is not in EKS standard support; the versions that are, as the program knows them: ${range}`
            : `"${version}" is not a Kubernetes minor version; EKS takes major.minor, e.g. ${newest} (no patch, no "v"); in standard support: ${range}`,
        fix: `pulumi config set agent-storage:eksVersion ${newest}   (or pulumi config rm agent-storage:eksVersion for the program's default)`,
    }];
}

/** An IPv4 CIDR as EKS takes it: a network address (no host bits set) and a prefix of 0 to 32. */
export function ipv4CidrProblem(cidr: string): string | undefined {
    const [address, prefix, ...rest] = cidr.split("/");
    if (rest.length > 0 || prefix === undefined || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32 || !isIPv4(address)) {
        return "not an IPv4 CIDR (address/prefix, e.g. 203.0.113.7/32)";
    }
    const bits = Number(prefix);
    const value = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    const hostBits = value % 2 ** (32 - bits);
    if (hostBits !== 0) {
        const network = value - hostBits;
        const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
        return `has host bits set; the network is ${dotted}/${bits}`;
    }
    return undefined;
}

/**
 * The public endpoint is opened only to the CIDRs given. The API still asks for IAM
 * credentials, but a /0 would expose it to every scanner on the internet, so it is refused:
 * name the networks the deployer works from.
 */
export function checkPublicAccessCidrs(target: string, cidrs: string[] | undefined): ConfigProblem[] {
    if (target !== "eks" || cidrs === undefined) return [];
    const key = projectKey("eksPublicAccessCidrs");
    const problems: ConfigProblem[] = [];
    const malformed = cidrs.map((c) => [c, ipv4CidrProblem(c)]).filter(([, p]) => p !== undefined);
    if (malformed.length > 0) {
        problems.push({
            key,
            message: malformed.map(([c, p]) => `"${c}" ${p}`).join("; "),
            fix: "pulumi config set --path 'agent-storage:eksPublicAccessCidrs[0]' 203.0.113.7/32   (your address: curl https://checkip.amazonaws.com)",
        });
    }
    const everyone = cidrs.filter((c) => /\/0$/.test(c) && ipv4CidrProblem(c) === undefined);
    if (everyone.length > 0) {
        problems.push({
            key,
            message: `${everyone.join(", ")} opens the cluster's API endpoint to the whole internet`,
            fix: "list the networks you deploy from instead, e.g. pulumi config set --path 'agent-storage:eksPublicAccessCidrs[0]' 203.0.113.7/32, or pulumi config rm agent-storage:eksPublicAccessCidrs for a private endpoint only",
        });
    }
    const twice = duplicates(cidrs);
    if (twice.length > 0) {
        problems.push({
            key,
            message: `${twice.join(", ")} ${twice.length === 1 ? "is" : "are"} listed twice`,
            fix: "remove the repeated entry: pulumi config rm --path 'agent-storage:eksPublicAccessCidrs[N]'   (N: its place in the list, from 0)",
        });
    }
    return problems;
}

/**
 * Somebody must administer the cluster, and the program itself creates Kubernetes objects in
 * it with the deployer's credentials: without the creator's access, admins must be listed.
 */
export function checkClusterAdmins(target: string, creatorIsAdmin: boolean, adminPrincipals: string[] | undefined): ConfigProblem[] {
    if (target !== "eks" || creatorIsAdmin || (adminPrincipals ?? []).length > 0) return [];
    return [{
        key: `${projectKey("eksClusterCreatorAdmin")}, ${projectKey("eksAdminPrincipalArns")}`,
        message: "with eksClusterCreatorAdmin false and no eksAdminPrincipalArns nobody could administer the cluster, and the program could not create its Kubernetes objects in it",
        fix: "pulumi config set --path 'agent-storage:eksAdminPrincipalArns[0]' arn:aws:iam::111122223333:role/<the role you deploy with>   (or pulumi config rm agent-storage:eksClusterCreatorAdmin)",
    }];
}

/** Each admin gets one EKS access entry, and EKS takes IAM role and user ARNs, each once. */
export function checkAdminPrincipals(target: string, arns: string[] | undefined): ConfigProblem[] {
    if (target !== "eks" || arns === undefined) return [];
    const problems: ConfigProblem[] = [];
    const key = projectKey("eksAdminPrincipalArns");
    const malformed = arns.filter((a) => !/^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(a));
    if (malformed.length > 0) {
        problems.push({
            key,
            message: `${malformed.map((a) => `"${a}"`).join(", ")} ${malformed.length === 1 ? "is" : "are"} not the ARN of an IAM role or user (arn:aws:iam::<12-digit account>:role/<name>); for an assumed-role session give the role's ARN`,
            fix: "pulumi config set --path 'agent-storage:eksAdminPrincipalArns[0]' arn:aws:iam::111122223333:role/admin",
        });
    }
    const twice = duplicates(arns);
    if (twice.length > 0) {
        problems.push({
            key,
            message: `${twice.join(", ")} ${twice.length === 1 ? "is" : "are"} listed twice; EKS allows one access entry per principal`,
            fix: "remove the repeated entry: pulumi config rm --path 'agent-storage:eksAdminPrincipalArns[N]'   (N: its place in the list, from 0)",
        });
    }
    return problems;
}

export function checkVpcCidr(target: string, cidr: string | undefined): ConfigProblem[] {
    const match = cidr === undefined ? null : /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(cidr);
    if (target !== "eks" || cidr === undefined || (match && Number(match[1]) <= 255 && Number(match[2]) <= 255)) return [];
    return [{
        key: projectKey("eksVpcCidr"),
        message: `"${cidr}" is not a /16 network; the subnet plan carves /20s out of a /16`,
        fix: "pulumi config set agent-storage:eksVpcCidr 10.40.0.0/16",
    }];
}
