/**
 * A configuration problem found before any resource is created: which key, what is wrong,
 * and how to fix it.
 */
export interface ConfigProblem {
    /** The full config key, e.g. `agent-storage:inferenceReplicas`. */
    key: string;
    message: string;
    /** What the user should do, ideally a command. */
    fix: string;
}

/** The project's config namespace: Pulumi.yaml's `name`. */
export const projectNamespace = "agent-storage";

export const projectKey = (key: string) => `${projectNamespace}:${key}`;

export class ConfigError extends Error {
    constructor(public readonly problems: ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}\n    fix: ${p.fix}`);
    const noun = problems.length === 1 ? "problem" : "problems";
    return `stack configuration has ${problems.length} ${noun}; nothing was created:\n${lines.join("\n")}`;
}
