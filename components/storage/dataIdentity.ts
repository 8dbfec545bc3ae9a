import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
import { Resize } from "./capabilities";

/*
 * What makes the data the same data: the namespace of the claims, each claim's class, mode and
 * kind of volume, the host folder of a static volume or of a kind cluster. A change to any of
 * these would make Pulumi replace what holds the bytes, and the workloads would move onto new,
 * empty volumes while the old ones sit unused (or, with deleteDataOnDestroy, are deleted).
 * The guard below compares the deployed identity with the one asked for during the diff, which
 * `pulumi preview` runs too, and refuses before anything changes. Everything that holds data
 * depends on it, so an `up` stops before touching them.
 */

/** One fact of the data's identity: the config key that sets it, its value and where the data is. */
export interface IdentityFact {
    /** The config key, e.g. `agent-storage:namespace`. */
    key: string;
    value: string;
    /** Where the data is while this fact holds, e.g. `claim agent-data/embeddings`. */
    holds: string;
    /**
     * A copy into a new namespace can carry the data across a change of this fact (a class, an
     * access mode); not a change of host folder or cluster. Default: false.
     */
    copyable?: boolean;
}

/** A move by copying: the namespace the data is said to be in, and the keys involved. */
export interface CopyMove {
    /** The namespace to copy from, as configured; empty when no copy is asked for. */
    from: string;
    /** The config key that sets it, and the one of the namespace (whose change a copy needs). */
    key: string;
    namespaceKey: string;
}

/** Facts whose value changed between the deployed identity and the one asked for. */
export function changedFacts(deployed: IdentityFact[], asked: IdentityFact[]): { before: IdentityFact; after: IdentityFact }[] {
    const changes: { before: IdentityFact; after: IdentityFact }[] = [];
    for (const after of asked) {
        const before = deployed.find((f) => f.key === after.key);
        if (before !== undefined && before.value !== after.value) changes.push({ before, after });
    }
    return changes;
}

/** The refusal: each key, its old and new value, where the data is now, and the ways forward. */
export function replacementRefusal(changes: { before: IdentityFact; after: IdentityFact }[], confirmKey: string, copy?: CopyMove): string {
    const lines = changes.map(({ before, after }) =>
        `  - ${after.key}: "${before.value}" -> "${after.value}" would replace what holds the data; it is now in ${before.holds}`);
    const namespace = changes.find(({ after }) => after.key === copy?.namespaceKey);
    const copyable = changes.every(({ after }) => after.copyable);
    return [
        `refusing a change that would move the agent's data onto new, empty volumes (nothing was changed):`,
        ...lines,
        `  fix: set the key(s) back (pulumi config set <key> <old value>), or, to start over on new volumes while the old`,
        `       ones are kept where they are (copy what you need first), run once with: pulumi config set ${confirmKey} true`,
        `       and unset it afterwards (pulumi config rm ${confirmKey}).`,
        ...(copy?.key && copyable ? [
            `       Or move it with a copy${namespace ? "" : ` (into a new namespace: pulumi config set ${copy.namespaceKey} <new>)`}: ` +
            `pulumi config set ${copy.key} ${namespace ? namespace.before.value : "<the namespace it is in now>"}`,
        ] : []),
        `       See the README's "Data safety" section.`,
    ].join("\n");
}

/**
 * Why a move by copying cannot go ahead, or undefined when it can: it needs a change of
 * namespace away from the one it copies from, and only copyable facts may change with it.
 */
export function copyMoveProblem(changes: { before: IdentityFact; after: IdentityFact }[], copy: CopyMove): string | undefined {
    const namespace = changes.find(({ after }) => after.key === copy.namespaceKey);
    if (namespace === undefined) {
        return `${copy.key}: a copy goes into a new namespace (the claims keep their names), and ${copy.namespaceKey} is unchanged. ` +
            `fix: pulumi config set ${copy.namespaceKey} <a new namespace>, or pulumi config rm ${copy.key}`;
    }
    if (namespace.before.value !== copy.from) {
        return `${copy.key}: the data is in namespace ${namespace.before.value}, not "${copy.from}". fix: pulumi config set ${copy.key} ${namespace.before.value}`;
    }
    const notCopyable = changes.filter(({ after }) => !after.copyable);
    if (notCopyable.length > 0) {
        return `${copy.key}: a copy cannot carry the data across ${notCopyable.map(({ after }) => after.key).join(", ")} (the old volumes would not be reachable). ` +
            `fix: set those back for the move, and change them in a later up`;
    }
    return undefined;
}

/** A claim's requested size, and what its class does with a bigger one. */
export interface SizeFact {
    /** The config key that sets it, e.g. `agent-storage:embeddingsSize`. */
    key: string;
    /** As the user wrote it (`2Gi`), and in bytes. */
    value: string;
    bytes: number;
    className: string;
    /** From the capability table; "unknown" for a provisioner it does not list. */
    resize: Resize | "unknown";
}

/**
 * Size changes that cannot work, one line each: a claim never shrinks, and grows only on a
 * class that expands (an unknown class is left to the API server, which names the problem).
 */
export function sizeChangeProblems(deployed: SizeFact[], asked: SizeFact[]): string[] {
    const problems: string[] = [];
    for (const after of asked) {
        const before = deployed.find((f) => f.key === after.key);
        if (before === undefined || before.bytes === after.bytes || before.className !== after.className) continue;
        const change = `${after.key}: "${before.value}" -> "${after.value}"`;
        if (after.bytes < before.bytes) {
            problems.push(`  - ${change}: a claim cannot shrink; fix: set it back to ${before.value} or more`);
        } else if (after.resize === "fixed") {
            problems.push(`  - ${change}: volumes of class "${after.className}" cannot grow; fix: set it back to ${before.value} ` +
                `(the size is fixed at creation; more room means a new claim, see the README's "Data safety")`);
        } else if (after.resize === "ignored") {
            problems.push(`  - ${change}: class "${after.className}" ignores the size (the file system grows by itself); ` +
                `fix: set it back to ${before.value}, nothing needs to change`);
        }
    }
    return problems;
}

interface GuardInputs {
    facts: IdentityFact[];
    sizes: SizeFact[];
    /** true lets one change through: the user has said the old data may stay behind. */
    confirmed: boolean;
    confirmKey: string;
    /** A move by copying, when asked for (copy.from not empty). */
    copy?: CopyMove;
}

/** A dynamic provider that holds the identity in the state and refuses changes in `diff`. */
export function dataIdentityGuardProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async create(inputs: GuardInputs) {
            return { id: "data-identity", outs: { facts: inputs.facts, sizes: inputs.sizes } };
        },
        async diff(_id: string, olds: { facts?: IdentityFact[]; sizes?: SizeFact[] }, news: GuardInputs) {
            const changes = changedFacts(olds.facts ?? [], news.facts);
            if (changes.length > 0 && news.copy?.from) {
                const problem = copyMoveProblem(changes, news.copy);
                if (problem !== undefined && !news.confirmed) throw new Error(`refusing to move the agent's data (nothing was changed): ${problem}`);
            } else if (changes.length > 0 && !news.confirmed) {
                throw new Error(replacementRefusal(changes, news.confirmKey, news.copy));
            }
            const sizeProblems = sizeChangeProblems(olds.sizes ?? [], news.sizes);
            if (sizeProblems.length > 0) {
                throw new Error(["refusing a size change the volumes cannot make (nothing was changed):", ...sizeProblems].join("\n"));
            }
            // Whether a copy can carry a fact, and whether a class can grow, is the program's
            // knowledge, not the data's: a stack deployed before it changed has nothing to update.
            const data = (facts: IdentityFact[]) => facts.map(({ key, value, holds }) => ({ key, value, holds }));
            const sized = (sizes: SizeFact[]) => sizes.map(({ key, value, bytes, className }) => ({ key, value, bytes, className }));
            const same = JSON.stringify([data(olds.facts ?? []), sized(olds.sizes ?? [])]) === JSON.stringify([data(news.facts), sized(news.sizes)]);
            return { changes: !same };
        },
        async update(_id: string, _olds: unknown, news: GuardInputs) {
            return { outs: { facts: news.facts, sizes: news.sizes } };
        },
    };
}

export interface DataIdentityGuardArgs {
    facts: IdentityFact[];
    /** The claims' sizes: a shrink, or growth a class cannot make, is refused the same way. */
    sizes: SizeFact[];
    /** Let a change of identity through once. Default: false. */
    confirmed?: boolean;
    /** The config key that sets `confirmed`, named in the refusal. */
    confirmKey: string;
    /** A move by copying (see CopyMove); its key is named in the refusal. Default: none. */
    copy?: CopyMove;
}

/** Refuses, in preview and up alike, any change of what identifies the data (see above). */
const dataIdentityGuardShared = sharedProvider(dataIdentityGuardProvider);

export class DataIdentityGuard extends pulumi.dynamic.Resource {
    public readonly facts!: pulumi.Output<IdentityFact[]>;

    constructor(name: string, args: DataIdentityGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super(dataIdentityGuardShared(), name, {
            facts: args.facts, sizes: args.sizes, confirmed: args.confirmed ?? false, confirmKey: args.confirmKey,
            copy: args.copy ?? { from: "", key: "", namespaceKey: "" },
        },
            opts, "agent-storage", "DataIdentityGuard");
    }
}
