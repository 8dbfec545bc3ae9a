/**
 * The load benchmark of the readers' query API; bench/query-load runs it (see its header).
 * Built on the e2e suites' helpers: the same kind cluster made by the program, the same
 * kubectl and Pulumi environment.
 */
import * as fs from "fs";
import { Stack } from "@pulumi/pulumi/automation";
import {
    EMBEDDINGS_PATH, GENERATOR, INFERENCE, K8sObject, WORKLOAD_IMAGE, applyPulumiEnv, engineOutput, execIn, execOk,
    kubectlJson, kubectlRun, kubectlSpawn, nodeOf, note, pidOf, readyPods, secs, sleep, waitFor,
} from "../test/e2e/lib";
import { KindSuiteCluster } from "../test/e2e/kindCluster";
import { restrictedContainerSecurity, restrictedPodSecurity } from "../components/workloads/podSecurity";
import { refresherContract } from "../components/workloads/refresherContract";

const { binary, subcommands } = refresherContract;

interface Options { rate: number; seconds: number; replicas: number; out?: string; keep: boolean }

function parseArgs(argv: string[]): Options {
    const o: Options = { rate: 50, seconds: 60, replicas: 4, keep: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i], v = () => argv[++i];
        if (a === "--rate") o.rate = Number(v());
        else if (a === "--seconds") o.seconds = Number(v());
        else if (a === "--replicas") o.replicas = Number(v());
        else if (a === "--out") o.out = v();
        else if (a === "--keep") o.keep = true;
        else throw new Error(`unknown argument ${a} (see bench/query-load --help)`);
    }
    for (const [k, n] of [["rate", o.rate], ["seconds", o.seconds], ["replicas", o.replicas]] as const) {
        if (!Number.isInteger(n) || n < 1) throw new Error(`--${k} must be a whole number >= 1 (got ${n})`);
    }
    if (o.seconds < 30) throw new Error("--seconds must be at least 30: a phase's disruption needs time to happen inside it");
    return o;
}

/** What `refresher load` prints as its last line. */
interface LoadSummary {
    phase: string; scheduled: number; sent: number; dropped: number; answered: number; canceled: number;
    failed: { total: number; http: Record<string, number>; refused: number; reset: number; timeout: number; other: number };
    latencyMs: { p50: number; p90: number; p99: number; max: number }; versions: Record<string, number>;
}

/** "refused 2, http 503: 1" — the failures that happened, by kind. */
function failureKinds(f: LoadSummary["failed"]): string {
    const kinds: [string, number][] = [
        ...Object.entries(f.http ?? {}).map(([code, n]): [string, number] => [`http ${code}`, n]),
        ["refused", f.refused], ["reset", f.reset], ["timeout", f.timeout], ["other", f.other],
    ];
    return kinds.filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
}

const STACK = "bench-query";
const NS = "agent-bench-query";
const LOAD_POD = "query-load";
const cluster = new KindSuiteCluster("agent-bench-query");

const current = () => execOk(NS, `deploy/${GENERATOR}`, [binary, subcommands.current]).trim();

/** The load client runs in the cluster (the Service is in-cluster only), pinned to the control plane so no drain moves it. */
function startLoadPod(): void {
    const controlPlane = kubectlJson<{ items: K8sObject[] }>(["get", "nodes", "-l", "node-role.kubernetes.io/control-plane"]).items[0];
    const overrides = {
        spec: {
            nodeName: controlPlane.metadata.name,
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
            securityContext: restrictedPodSecurity(),
            automountServiceAccountToken: false,
            containers: [{
                name: LOAD_POD, image: WORKLOAD_IMAGE, imagePullPolicy: "IfNotPresent",
                command: ["sleep", "86400"], securityContext: restrictedContainerSecurity(),
            }],
        },
    };
    kubectlRun(["run", LOAD_POD, "-n", NS, `--image=${WORKLOAD_IMAGE}`, "--restart=Never", "--overrides", JSON.stringify(overrides)]);
    kubectlRun(["wait", "-n", NS, `pod/${LOAD_POD}`, "--for=condition=Ready", "--timeout=120s"], { timeoutMs: 130000 });
}

/** Runs the load for one phase while `disrupt` does its part; returns the client's summary. */
async function phase(name: string, url: string, o: Options, disrupt: () => Promise<string>): Promise<LoadSummary & { what: string }> {
    note(`phase ${name}: ${o.rate} queries/s for ${o.seconds}s`);
    const load = kubectlSpawn(["exec", "-n", NS, LOAD_POD, "--", binary, subcommands.load, "--url", url,
        "--rate", String(o.rate), "--duration", `${o.seconds}s`, "--phase", name]);
    await sleep(5000);
    const what = await disrupt();
    const res = await load.done;
    const line = res.stdout.trim().split("\n").pop() ?? "";
    let summary: LoadSummary;
    try {
        summary = JSON.parse(line) as LoadSummary;
    } catch {
        throw new Error(`phase ${name}: the load client printed no summary (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
    }
    note(`phase ${name}: ${JSON.stringify(summary)}`);
    return { ...summary, what };
}

async function main(): Promise<number> {
    const o = parseArgs(process.argv.slice(2));
    applyPulumiEnv();
    const problems = cluster.preflightProblems();
    if (problems.length) throw new Error(`cannot run:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    const t0 = Date.now();
    let stack: Stack | undefined;
    try {
        stack = await cluster.openFreshStack(STACK, cluster.config({
            namespace: NS, inferenceReplicas: String(o.replicas), refreshSchedule: "@every 6h",
            keepVersions: "3", refreshGracePeriod: "10m", deleteDataOnDestroy: "true",
        }));
        const up = await stack.up({ onOutput: engineOutput("up") });
        cluster.adopt(up.outputs);
        const url = String(up.outputs.queryService?.value ?? "");
        if (!/^http:\/\//.test(url)) throw new Error(`the stack's queryService output is not an address: ${JSON.stringify(up.outputs.queryService?.value)}`);
        note(`up in ${secs(t0)}; query service ${url}`);
        await waitFor(`${o.replicas} ready readers serving a version`, 300000, () => readyPods(NS, INFERENCE).length === o.replicas && current() !== "", 3000);
        startLoadPod();
        const seen = new Set<string>([current()]);
        let killed = "";

        const rows = [];
        rows.push(await phase("a. two refreshes back to back", url, o, async () => {
            for (let i = 0; i < 2; i++) {
                execOk(NS, `deploy/${GENERATOR}`, [binary, subcommands.refresh], { timeoutMs: 300000 });
                seen.add(current());
            }
            return `refreshes to ${[...seen].slice(-2).join(", ")}`;
        }));
        rows.push(await phase("b. one refresh killed half-way", url, o, async () => {
            const slow = kubectlSpawn(["exec", "-n", NS, `deploy/${GENERATOR}`, "--", binary, subcommands.refresh, "--pause-after-shard", "2s"]);
            const dir = await waitFor("the slow refresh's first shard", 60000, () => {
                const r = execIn(NS, `deploy/${GENERATOR}`, ["sh", "-c", `ls -d ${EMBEDDINGS_PATH}/versions/.tmp-*/shard-0000.f32 2>/dev/null`]);
                return r.code === 0 && r.stdout.trim() ? r.stdout.trim().split("/").slice(-2)[0] : undefined;
            }, 300);
            const pids = execOk(NS, `deploy/${GENERATOR}`, ["sh", "-c", pidOf("--pause-after-shard")]).trim().split(/\s+/).filter(Boolean);
            for (const pid of pids) execOk(NS, `deploy/${GENERATOR}`, ["kill", "-9", pid]);
            await slow.done;
            killed = dir.replace(/^\.tmp-/, "");
            return `refresh of ${killed} killed (SIGKILL) after its first shard; current stays ${current()}`;
        }));
        rows.push(await phase("c. a reader's node drained", url, o, async () => {
            const gen = readyPods(NS, GENERATOR)[0];
            const node = readyPods(NS, INFERENCE).map(nodeOf).find((n) => n !== nodeOf(gen)) ?? nodeOf(gen);
            const onIt = readyPods(NS, INFERENCE).filter((p) => nodeOf(p) === node).length;
            const r = kubectlRun(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=240s"], { allowFail: true, timeoutMs: 260000 });
            if (r.code !== 0) throw new Error(`kubectl drain ${node}: ${r.stderr}`);
            await waitFor(`${o.replicas} ready readers off ${node}`, 240000, () => {
                const readers = readyPods(NS, INFERENCE);
                return readers.length === o.replicas && readers.every((p) => nodeOf(p) !== node);
            }, 1000);
            kubectlRun(["uncordon", node], { allowFail: true });
            return `${node} drained (${onIt} of ${o.replicas} readers on it${node === nodeOf(gen) ? ", and the generator" : ""})`;
        }));

        // Which versions answered: only versions that were current, never the killed one.
        const partial = rows.flatMap((r) => Object.keys(r.versions).filter((v) => !seen.has(v) || v === killed).map((v) => `${r.phase}: ${v}`));
        const table = [
            `bench/query-load: ${o.replicas} readers on ${1 + 2} kind nodes, ${o.rate} queries/s for ${o.seconds}s per phase, client in the cluster through the Service ${url}`,
            "",
            "| phase | what happened | sent | answered | failed | dropped by client | p50 ms | p99 ms | max ms | answers per version |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
            ...rows.map((r) => `| ${r.phase} | ${r.what} | ${r.sent} | ${r.answered} | ${r.failed.total}${r.failed.total ? ` (${failureKinds(r.failed)})` : ""} | ${r.dropped} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${Object.entries(r.versions).map(([v, n]) => `${v}: ${n}`).join(", ")} |`),
            "",
            `answers from a version that was never current or from the killed refresh: ${partial.length}${partial.length ? ` (${partial.join("; ")})` : ""}`,
            `total ${secs(t0)} (cluster, up, ${rows.length} phases)`,
        ].join("\n");
        process.stdout.write(`\n${table}\n`);
        if (o.out) fs.writeFileSync(o.out, `${table}\n`);
        const failedAB = rows[0].failed.total + rows[1].failed.total;
        return failedAB === 0 && partial.length === 0 ? 0 : 1;
    } finally {
        if (stack && !o.keep) await cluster.tearDown(stack, STACK);
        else if (o.keep) note(`--keep: cluster ${cluster.name} and stack ${STACK} left running (kubeconfig ${cluster.kubeconfigFile})`);
    }
}

main().then((rc) => process.exit(rc), (e) => {
    process.stderr.write(`bench/query-load: ${(e as Error).message}\n`);
    process.exit(1);
});
