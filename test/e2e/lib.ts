/**
 * Helpers for the end-to-end tests: the project's Pulumi environment (scripts/env.sh), the
 * real CLI through the Automation API, kubectl against the suite's cluster (see
 * kindCluster.ts), and the toolchain checks that make a suite fail loudly when something is
 * missing.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { refresherContract } from "../../components/workloads/refresherContract";

export const ROOT = path.resolve(__dirname, "../..");
/** The local cluster's kubeconfig: where kubectl points unless a suite says otherwise. */
export const LOCAL_KUBECONFIG = path.join(ROOT, ".local-cluster", "kubeconfig");
let KUBECONFIG = LOCAL_KUBECONFIG;

/** Points kubectl (and the Pulumi environment's KUBECONFIG) at another cluster. */
export function useKubeconfig(file: string): void {
    KUBECONFIG = file;
    if (pulumiEnvCache) pulumiEnvCache.KUBECONFIG = file;
}
export const PULUMI_BIN = path.join(ROOT, ".tools", "bin", "pulumi");
export const WORKLOAD_IMAGE = "localhost/agent-storage/workload:0.1.0";
export const EMBEDDINGS_PATH = refresherContract.mountPaths.embeddings;
export const CHECKPOINTS_PATH = refresherContract.mountPaths.checkpoints;
export const GENERATOR = "embeddings-generator";
export const INFERENCE = "inference";

/** Milliseconds since `t0`, as seconds with one decimal, for progress lines. */
export const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

/** Progress lines go to stderr so mocha's spec output stays readable. */
export function note(msg: string): void {
    process.stderr.write(`      [e2e ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------
// Environment

let pulumiEnvCache: Record<string, string> | undefined;

/**
 * The variables scripts/env.sh sets (PATH with .tools/bin first, PULUMI_HOME,
 * PULUMI_BACKEND_URL, the passphrase, no automatic plugin downloads), read by sourcing it
 * in bash, so the tests use exactly what the scripts use.
 */
export function pulumiEnv(): Record<string, string> {
    if (pulumiEnvCache) return pulumiEnvCache;
    const envSh = path.join(ROOT, "scripts", "env.sh");
    if (!fs.existsSync(envSh)) throw new Error(`${envSh} is missing (the toolchain helper's scripts/env.sh)`);
    // Everything env.sh adds or changes (compared with the environment before sourcing it).
    const r = spawnSync("bash", ["-c", `env -0; printf '\\0--AFTER--\\0'; source "${envSh}" >/dev/null && env -0`], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sourcing scripts/env.sh failed: ${r.stderr}`);
    const [beforeText, afterText] = r.stdout.split("\0--AFTER--\0");
    const parse = (text: string) => {
        const env: Record<string, string> = {};
        for (const entry of text.split("\0")) {
            const i = entry.indexOf("=");
            if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
        }
        return env;
    };
    const before = parse(beforeText), after = parse(afterText);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(after)) {
        if (before[k] !== v && k !== "_" && k !== "SHLVL" && k !== "OLDPWD" && k !== "PWD") out[k] = v;
    }
    for (const k of ["PATH", "PULUMI_HOME", "PULUMI_BACKEND_URL"]) {
        if (!out[k] && after[k]) out[k] = after[k];
    }
    out.KUBECONFIG = KUBECONFIG;
    pulumiEnvCache = out;
    return out;
}

/** Puts the Pulumi environment into this process too (the Automation API inherits it). */
export function applyPulumiEnv(): void {
    Object.assign(process.env, pulumiEnv());
}

/** kubectl: $KUBECTL, else the one built with the cluster, else .tools/bin, else PATH. */
export function kubectlPath(): string | undefined {
    const candidates: string[] = [];
    if (process.env.KUBECTL) candidates.push(process.env.KUBECTL);
    const cache = process.env.AGENT_STORAGE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "agent-storage");
    const k8sDir = path.join(cache, "k8s");
    if (fs.existsSync(k8sDir)) {
        for (const v of fs.readdirSync(k8sDir).sort().reverse()) candidates.push(path.join(k8sDir, v, "bin", "kubectl"));
    }
    candidates.push(path.join(ROOT, ".tools", "bin", "kubectl"));
    for (const c of candidates) if (fs.existsSync(c)) return c;
    const which = spawnSync("bash", ["-c", "command -v kubectl"], { encoding: "utf8" });
    return which.status === 0 ? which.stdout.trim() : undefined;
}

// ---------------------------------------------------------------------------------------
// Preflight: what the suite needs, and a clear list of what is missing.

/** The real Pulumi CLI, its Kubernetes provider and the Node.js language host. */
export function toolchainProblems(): string[] {
    const problems: string[] = [];
    if (!fs.existsSync(PULUMI_BIN)) {
        problems.push(`the Pulumi CLI is not built: ${path.relative(ROOT, PULUMI_BIN)} is missing (run scripts/toolchain)`);
        return problems;
    }
    const env = { ...process.env, ...pulumiEnv() };
    const v = spawnSync(PULUMI_BIN, ["version"], { env, encoding: "utf8" });
    if (v.status !== 0) problems.push(`${PULUMI_BIN} version failed: ${v.stderr.trim()}`);
    const plugins = spawnSync(PULUMI_BIN, ["plugin", "ls", "--json"], { env, encoding: "utf8", cwd: ROOT });
    const want = requiredKubernetesPluginVersion();
    if (plugins.status !== 0) {
        problems.push(`pulumi plugin ls failed: ${plugins.stderr.trim()}`);
    } else {
        let list: { name: string; kind: string; version: string }[] = [];
        try { list = JSON.parse(plugins.stdout || "[]") ?? []; } catch { /* reported below */ }
        const k8s = list.filter((p) => p.kind === "resource" && p.name === "kubernetes");
        if (!k8s.some((p) => p.version === want)) {
            problems.push(`the Pulumi Kubernetes provider ${want} is not installed in PULUMI_HOME (have: ${k8s.map((p) => p.version).join(", ") || "none"}; run scripts/toolchain)`);
        }
    }
    const lang = spawnSync("bash", ["-c", "command -v pulumi-language-nodejs"], { env, encoding: "utf8" });
    if (lang.status !== 0) problems.push("pulumi-language-nodejs (the Node.js language host) is not on PATH after scripts/env.sh (run scripts/toolchain)");
    return problems;
}

export function requiredKubernetesPluginVersion(): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8"));
    return String(pkg.pulumi?.version ?? pkg.version).replace(/^v/, "");
}

// ---------------------------------------------------------------------------------------
// kubectl

export interface RunResult { code: number; stdout: string; stderr: string }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string }; spec?: any; status?: any; data?: Record<string, string>; kind?: string };

export function kubectlRun(args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): RunResult {
    const bin = kubectlPath();
    if (!bin) throw new Error("kubectl not found");
    const r = spawnSync(bin, ["--kubeconfig", KUBECONFIG, ...args], {
        encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 120000, maxBuffer: 64 * 1024 * 1024,
    });
    const res = { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
    if (!opts.allowFail && res.code !== 0) {
        throw new Error(`kubectl ${args.join(" ")} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
    }
    return res;
}

export function kubectlJson<T = K8sObject>(args: string[]): T {
    return JSON.parse(kubectlRun([...args, "-o", "json"]).stdout) as T;
}

/** Exists? (kubectl get returns NotFound => false) */
export function exists(kind: string, name: string, namespace?: string): boolean {
    const ns = namespace ? ["-n", namespace] : [];
    const r = kubectlRun(["get", kind, name, ...ns, "-o", "name"], { allowFail: true });
    if (r.code === 0) return true;
    if (/NotFound|not found/.test(r.stderr)) return false;
    throw new Error(`kubectl get ${kind} ${name}: ${r.stderr}`);
}

/** Runs a command in a pod (or deploy/NAME); returns the result without throwing. */
export function execIn(namespace: string, target: string, command: string[], opts: { container?: string; timeoutMs?: number } = {}): RunResult {
    const c = opts.container ? ["-c", opts.container] : [];
    return kubectlRun(["exec", "-n", namespace, target, ...c, "--", ...command], { allowFail: true, timeoutMs: opts.timeoutMs ?? 120000 });
}

/** Like execIn but throws with the output when the command fails. */
export function execOk(namespace: string, target: string, command: string[], opts: { timeoutMs?: number } = {}): string {
    const r = execIn(namespace, target, command, opts);
    if (r.code !== 0) throw new Error(`kubectl exec ${target} -- ${command.join(" ")} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
}

/** Starts kubectl in the background (for readers and refreshes that run concurrently). */
export function kubectlSpawn(args: string[]): { child: ChildProcess; done: Promise<RunResult> } {
    const bin = kubectlPath();
    if (!bin) throw new Error("kubectl not found");
    const child = spawn(bin, ["--kubeconfig", KUBECONFIG, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout!.on("data", (d) => { stdout += d; });
    child.stderr!.on("data", (d) => { stderr += d; });
    const done = new Promise<RunResult>((resolve) => {
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
        child.on("error", (e) => resolve({ code: 127, stdout, stderr: stderr + String(e) }));
    });
    return { child, done };
}

/** The node a pod runs on. */
export const nodeOf = (pod: K8sObject): string => pod.spec.nodeName as string;

/** Shell that prints the pid of every process whose command line contains PATTERN (not itself). */
export const pidOf = (pattern: string) =>
    `for d in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $d/cmdline 2>/dev/null) || continue; ` +
    `case "$c" in *"${pattern}"*) case "$c" in *"for d in"*) ;; *) echo \${d#/proc/};; esac;; esac; done`;

/** Pods of a workload that are Running, Ready and not being deleted. */
export function readyPods(namespace: string, name: string): K8sObject[] {
    const pods = kubectlJson<{ items: K8sObject[] }>(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${name}`]);
    return pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running" &&
        (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True"));
}

export function allPods(namespace: string, selector?: string): K8sObject[] {
    const sel = selector ? ["-l", selector] : [];
    return kubectlJson<{ items: K8sObject[] }>(["get", "pods", "-n", namespace, ...sel]).items;
}

/** Polls `check` until it returns a value that is not undefined/false, or times out. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | false, intervalMs = 1000): Promise<T> {
    const t0 = Date.now();
    let last: unknown;
    for (;;) {
        try {
            const v = check();
            if (v !== undefined && v !== false) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() - t0 > timeoutMs) {
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
        }
        await sleep(intervalMs);
    }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What is in a namespace, for failure messages. */
export function describeNamespace(namespace: string): string {
    const parts: string[] = [];
    const get = kubectlRun(["get", "all,pvc,events", "-n", namespace, "-o", "wide"], { allowFail: true });
    parts.push(get.stdout || get.stderr);
    return parts.join("\n");
}

// ---------------------------------------------------------------------------------------
// Data checks shared by the suites

/** Shell that prints the current version id, then `sha256  file` for every file of it. */
export const checksumScript = (embeddings = EMBEDDINGS_PATH) =>
    `set -e; id=$(refresher current --embeddings ${embeddings}); echo "version $id"; cd ${embeddings}/versions/$id; sha256sum $(ls | sort)`;

export interface DataFingerprint { version: string; sums: string }

export function parseFingerprint(out: string): DataFingerprint {
    const lines = out.trim().split("\n");
    const m = /^version (\S+)$/.exec(lines[0] ?? "");
    if (!m) throw new Error(`unexpected checksum output: ${out}`);
    return { version: m[1], sums: lines.slice(1).join("\n") };
}

export function fingerprintOf(namespace: string, target: string): DataFingerprint {
    return parseFingerprint(execOk(namespace, target, ["sh", "-c", checksumScript()]));
}

// ---------------------------------------------------------------------------------------
// Pulumi through the Automation API

export async function pulumiCommand(): Promise<PulumiCommand> {
    return PulumiCommand.get({ root: path.join(ROOT, ".tools") });
}

/**
 * Removes this host's lock files of a test stack whose process is gone (a run killed by a
 * timeout or Ctrl-C leaves one, and every later run would fail on "the stack is locked").
 */
export function clearStaleLocks(stackName: string): void {
    const backend = pulumiEnv().PULUMI_BACKEND_URL ?? "";
    if (!backend.startsWith("file://")) return;
    const dir = path.join(backend.slice("file://".length).split("?")[0], ".pulumi", "locks", "organization", "agent-storage", stackName);
    if (!fs.existsSync(dir)) return;
    for (const file of fs.readdirSync(dir)) {
        const lockPath = path.join(dir, file);
        let lock: { pid?: number; hostname?: string };
        try { lock = JSON.parse(fs.readFileSync(lockPath, "utf8")); } catch { continue; }
        if (lock.hostname !== os.hostname() || typeof lock.pid !== "number") continue;
        let alive = true;
        try { process.kill(lock.pid, 0); } catch { alive = false; }
        if (!alive) {
            fs.rmSync(lockPath);
            fs.rmSync(`${lockPath}.attrs`, { force: true });
            note(`removed stale lock of stack ${stackName} (pid ${lock.pid} is gone)`);
        }
    }
}

/** Creates or selects a stack of this project (workDir = the checkout) with the given config. */
export async function openStack(stackName: string, config: Record<string, string>): Promise<Stack> {
    applyPulumiEnv();
    const env = pulumiEnv();
    clearStaleLocks(stackName);
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT }, {
        envVars: env,
        pulumiHome: env.PULUMI_HOME,
        pulumiCommand: await pulumiCommand(),
        secretsProvider: "passphrase",
    });
    await setConfig(stack, config);
    return stack;
}

export async function setConfig(stack: Stack, config: Record<string, string>): Promise<void> {
    const map: ConfigMap = {};
    for (const [k, v] of Object.entries(config)) map[k.includes(":") ? k : `agent-storage:${k}`] = { value: v };
    await stack.setAllConfig(map);
}

/** Removes a stack and its Pulumi.<stack>.yaml; never throws. */
export async function removeStack(stack: Stack | undefined, stackName: string): Promise<void> {
    try {
        if (stack) await stack.workspace.removeStack(stackName, { force: true });
    } catch (e) {
        note(`stack rm ${stackName}: ${(e as Error).message.split("\n")[0]}`);
    }
    const file = path.join(ROOT, `Pulumi.${stackName}.yaml`);
    if (fs.existsSync(file)) fs.rmSync(file);
}

/** Resources in the stack's state (the root Stack resource and providers excluded). */
export async function stateResources(stack: Stack): Promise<{ type: string; urn: string }[]> {
    const d = await stack.exportStack();
    const resources: { type: string; urn: string }[] = d.deployment?.resources ?? [];
    return resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
}

/** Streams engine output to stderr with a prefix, only when E2E_VERBOSE is set. */
export function engineOutput(prefix: string): ((out: string) => void) | undefined {
    if (!process.env.E2E_VERBOSE) return undefined;
    return (out: string) => process.stderr.write(out.split("\n").map((l) => (l ? `        ${prefix}| ${l}` : l)).join("\n"));
}
