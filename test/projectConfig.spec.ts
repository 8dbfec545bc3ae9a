import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ConfigSource, defaults, knownKeys, projectKey, readRawConfig } from "../stacks";

interface SchemaEntry { type: string; description?: string; default?: unknown; items?: { type: string } }

const root = path.join(__dirname, "..");
const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; config: Record<string, SchemaEntry> };
const schema = project.config;

/** A ConfigSource over plain values that records which keys the program asked for. */
function recordingSource(values: Record<string, unknown> = {}) {
    const asked = new Set<string>();
    const source: ConfigSource = {
        get: (k) => { asked.add(k); return values[k] as string | undefined; },
        getNumber: (k) => { asked.add(k); return values[k] as number | undefined; },
        getBoolean: (k) => { asked.add(k); return values[k] as boolean | undefined; },
        getObject: <T>(k: string) => { asked.add(k); return values[k] as T | undefined; },
    };
    return { source, asked };
}

describe("project config schema (Pulumi.yaml)", () => {
    it("gives every key a default, because the engine refuses a stack that leaves a default-less key unset", () => {
        const missing = Object.entries(schema).filter(([, e]) => !("default" in e)).map(([k]) => k);
        assert.deepStrictEqual(missing, []);
    });

    it("describes every key", () => {
        const undocumented = Object.entries(schema).filter(([, e]) => !e.description?.trim()).map(([k]) => k);
        assert.deepStrictEqual(undocumented, []);
    });

    it("declares exactly the keys the program reads", () => {
        const { source, asked } = recordingSource();
        readRawConfig(source, recordingSource().source);
        assert.deepStrictEqual([...asked].sort(), Object.keys(schema).sort());
    });

    it("is the list of known keys unknown ones are checked against, with aws:region", () => {
        assert.strictEqual(projectKey("x"), `${project.name}:x`, "the config namespace is the project's name");
        assert.deepStrictEqual([...knownKeys].sort(), [...Object.keys(schema).map(projectKey), "aws:region"].sort());
    });

    it("has the same non-empty defaults as stacks/settings.ts", () => {
        const expected: Record<string, unknown> = {
            target: defaults.target, namespace: defaults.namespace, image: defaults.image,
            inferenceReplicas: defaults.inferenceReplicas, embeddingsSize: defaults.embeddingsSize,
            checkpointsSize: defaults.checkpointsSize, embeddingsVolume: defaults.embeddingsVolume, embeddingsHostPath: defaults.embeddingsHostPath,
            deleteDataOnDestroy: defaults.deleteDataOnDestroy, confirmDataMove: defaults.confirmDataMove, refreshSchedule: defaults.refreshSchedule,
            keepVersions: defaults.keepVersions, refreshGracePeriod: defaults.refreshGracePeriod,
            kindClusterName: defaults.kindClusterName, kindWorkers: defaults.kindWorkers,
            storageClass: defaults.existingStorageClass.name, storageProvisioner: defaults.existingStorageClass.provisioner,
            existingNodeCount: defaults.existingNodeCount,
            eksClusterName: defaults.eks.clusterName, eksVersion: defaults.eks.version, eksVpcCidr: defaults.eks.vpcCidr,
            eksNodeInstanceType: defaults.eks.nodeInstanceType, eksNodeCount: defaults.eks.nodeCount,
            eksNodeMaxCount: defaults.eks.nodeMaxCount, eksGp3Default: defaults.eks.gp3IsDefault, eksEfsDefault: defaults.eks.efsIsDefault,
        };
        for (const [key, value] of Object.entries(expected)) {
            assert.deepStrictEqual(schema[key]?.default, value, `Pulumi.yaml default of ${key}`);
        }
        const emptyDefaults = Object.entries(schema).filter(([k]) => !(k in expected)).map(([k, e]) => [k, e.default]);
        for (const [key, value] of emptyDefaults) {
            assert.ok(value === "" || (Array.isArray(value) && value.length === 0), `${key}: a key without a program default has an empty default, got ${JSON.stringify(value)}`);
        }
    });
});

describe("readRawConfig", () => {
    it("reads the schema's empty defaults as unset, so settings.ts applies its own", () => {
        const empties = Object.fromEntries(Object.entries(schema).map(([k, e]) => [k, e.type === "array" ? [] : e.type === "string" ? "" : undefined]));
        const raw = readRawConfig(recordingSource(empties).source, recordingSource({ region: "" }).source);
        const set = Object.entries(raw).filter(([, v]) => v !== undefined).map(([k]) => k);
        assert.deepStrictEqual(set, []);
    });

    it("keeps values that are set, lists included", () => {
        const raw = readRawConfig(
            recordingSource({ kubeContext: "ctx", eksAvailabilityZones: ["a", "b"], inferenceReplicas: 0, deleteDataOnDestroy: false }).source,
            recordingSource({ region: "eu-west-1" }).source,
        );
        assert.strictEqual(raw.kubeContext, "ctx");
        assert.deepStrictEqual(raw.eksAvailabilityZones, ["a", "b"]);
        assert.strictEqual(raw.inferenceReplicas, 0);
        assert.strictEqual(raw.deleteDataOnDestroy, false);
        assert.strictEqual(raw.awsRegion, "eu-west-1");
    });
});
