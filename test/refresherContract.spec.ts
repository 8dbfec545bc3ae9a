import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseServedVersion } from "../components/report/servedVersion";
import { Json, MockCluster, buildOnce } from "./harness";

/** Read from the file itself, not through the module the components import. */
const contract = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "workload", "contract.json"), "utf8"));

function container(cluster: MockCluster, name: string) {
    const d = cluster.one("kubernetes:apps/v1:Deployment", (r) => r.inputs.metadata.name === name);
    return { spec: d.inputs.spec.template.spec, c: d.inputs.spec.template.spec.containers[0] };
}

const envNames = (c: Json) => c.env.map((e: Json) => e.name).sort();
const envValue = (c: Json, name: string) => c.env.find((e: Json) => e.name === name)?.value;

describe("refresher contract", () => {
    it("runs the generator with the contract's subcommand, environment variable names and mount paths", async () => {
        const { cluster } = await buildOnce({});
        const { c } = container(cluster, "embeddings-generator");
        assert.deepStrictEqual(c.command, [contract.binary, contract.subcommands.generate]);
        const env = contract.env;
        assert.deepStrictEqual(envNames(c), [env.checkpointsPath, env.embeddingsPath, env.gracePeriod, env.keepVersions,
            env.refreshSchedule, env.statusConfigMap].sort());
        assert.strictEqual(envValue(c, env.embeddingsPath), contract.mountPaths.embeddings);
        assert.strictEqual(envValue(c, env.checkpointsPath), contract.mountPaths.checkpoints);
        assert.strictEqual(envValue(c, env.statusConfigMap), contract.statusConfigMap.name);
        assert.deepStrictEqual(c.volumeMounts.map((m: Json) => m.mountPath).sort(),
            [contract.mountPaths.checkpoints, contract.mountPaths.embeddings, contract.mountPaths.scratch].sort());
    });

    it("probes the generator with ready, the embeddings flag, the published flag and sizes only (no hashing every probe)", async () => {
        const { cluster } = await buildOnce({});
        const { c } = container(cluster, "embeddings-generator");
        assert.deepStrictEqual(c.readinessProbe.exec.command,
            [contract.binary, contract.subcommands.ready, contract.flags.embeddings, contract.mountPaths.embeddings, contract.flags.published,
                `${contract.flags.checksums}=false`]);
    });

    it("runs the readers' serve loop on the contract's embeddings path, with scratch for the status file", async () => {
        const { cluster } = await buildOnce({});
        const { c } = container(cluster, "inference");
        assert.deepStrictEqual(c.command, [contract.binary, contract.subcommands.serve]);
        assert.strictEqual(envValue(c, contract.env.embeddingsPath), contract.mountPaths.embeddings);
        const scratch = c.volumeMounts.find((m: Json) => m.mountPath === path.dirname(contract.files.status));
        assert.ok(scratch && scratch.readOnly !== true, `the status file ${contract.files.status} needs a writable mount`);
    });

    it("switches the readers' query API on with the contract's listen variable and probes its readyz and healthz paths", async () => {
        const { cluster } = await buildOnce({ queryPort: 9090 });
        const { c } = container(cluster, "inference");
        assert.deepStrictEqual(envNames(c), [contract.env.embeddingsPath, contract.env.queryListen].sort());
        assert.strictEqual(envValue(c, contract.env.queryListen), ":9090");
        assert.strictEqual(c.readinessProbe.httpGet.path, contract.queryApi.paths.readyz);
        assert.strictEqual(c.livenessProbe.httpGet.path, contract.queryApi.paths.healthz);
    });

    it("probes readers without the query API with ready on the contract's embeddings path", async () => {
        const { cluster } = await buildOnce({ queryPort: 0 });
        const { c } = container(cluster, "inference");
        assert.deepStrictEqual(envNames(c), [contract.env.embeddingsPath]);
        assert.deepStrictEqual(c.readinessProbe.exec.command,
            [contract.binary, contract.subcommands.ready, contract.flags.embeddings, contract.mountPaths.embeddings]);
    });

    it("lets the generator update only the contract's status ConfigMap", async () => {
        const { cluster } = await buildOnce({});
        const role = cluster.one("kubernetes:rbac.authorization.k8s.io/v1:Role", (r) => r.inputs.metadata.name === "embeddings-generator-status");
        const named = role.inputs.rules.filter((r: Json) => r.resourceNames);
        assert.deepStrictEqual(named.map((r: Json) => r.resourceNames), [[contract.statusConfigMap.name]]);
    });

    it("reads the served version under the contract's ConfigMap keys", () => {
        const keys = contract.statusConfigMap.keys;
        const served = parseServedVersion({ [keys.currentVersion]: "v2", [keys.publishedAt]: "t", [keys.keptVersions]: "v2,v1" });
        assert.deepStrictEqual(served, { version: "v2", publishedAt: "t", keptVersions: ["v2", "v1"] });
    });
});
