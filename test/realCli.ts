// What the suites that run the real Pulumi CLI share: the toolchain check, a throwaway
// project folder with its own local file backend, and a kubeconfig no cluster answers.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..");
export const BIN = path.join(ROOT, ".tools", "bin");
const NEEDED = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"];

/** The toolchain binaries scripts/toolchain builds that are not there. */
export function missingTools(): string[] {
    const home = path.join(ROOT, ".tools", "pulumi-home", "plugins");
    return NEEDED.filter((b) => {
        if (fs.existsSync(path.join(BIN, b))) return false;
        // the provider may be registered as a plugin rather than on PATH
        if (b === "pulumi-resource-kubernetes" && fs.existsSync(home)) {
            return !fs.readdirSync(home).some((d) => d.startsWith("resource-kubernetes-"));
        }
        return true;
    });
}

/** Marks the suite as not run (pending, with the reason printed) when the toolchain is missing. */
export function skipWithoutToolchain(ctx: Mocha.Context): void {
    const missing = missingTools();
    if (missing.length > 0) {
        console.log(`      NOT RUN: ${missing.join(", ")} missing from ${BIN}; run scripts/toolchain to build the Pulumi toolchain`);
        ctx.skip();
    }
}

/**
 * A cluster nobody serves: 127.0.0.1:9 (discard port, closed here). Loopback only. The
 * Kubernetes provider cannot reach it, so it previews without a cluster.
 */
export const UNREACHABLE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
`;

export interface CliRun {
    status: number | null;
    /** stdout alone, for output meant to be parsed (`--json`). */
    stdout: string;
    /** stdout and stderr together. */
    out: string;
    seconds: number;
}

/**
 * A temp folder with a local file backend in it (state/) and the environment the real CLI
 * runs with: the toolchain first on PATH, no plugin downloads, no update check.
 */
export class ThrowawayFolder {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;

    constructor(prefix: string) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
        fs.mkdirSync(path.join(this.dir, "state"));
        this.env = {
            ...process.env,
            PATH: `${BIN}:${process.env.PATH}`,
            PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".tools", "pulumi-home"),
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: prefix,
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        };
        delete this.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    }

    /** Runs `pulumi ARGS` non-interactively in DIR (relative to the folder; default the folder). */
    pulumi(args: string[], dir = "."): CliRun {
        return this.run("pulumi", [...args, "--non-interactive", "--color", "never"], dir);
    }

    run(command: string, args: string[], dir = "."): CliRun {
        const started = Date.now();
        const r = spawnSync(command, args, { cwd: path.resolve(this.dir, dir), env: this.env, encoding: "utf8" });
        const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
        return { status: r.status, stdout: r.stdout ?? "", out, seconds: (Date.now() - started) / 1000 };
    }

    /** Writes FILE (relative to the folder), creating its parent folders. */
    write(file: string, content: string): string {
        const target = path.join(this.dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
        return target;
    }

    /** Removes the folder, unless KEEP_REAL_CLI_DIRS is set (to look at it after a failure). */
    remove(): void {
        if (process.env.KEEP_REAL_CLI_DIRS) console.log(`      kept ${this.dir}`);
        else fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
