import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ConfigSource, KeySpec, RawConfig, configKeys, defaults, knownKeys, projectKey, readRawConfig, resolveSettings } from "../stacks";
import { testContext } from "./harness";

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
            inferenceReplicas: defaults.inferenceReplicas, queryPort: defaults.queryPort, embeddingsSize: defaults.embeddingsSize,
            checkpointsSize: defaults.checkpointsSize, embeddingsVolume: defaults.embeddingsVolume, embeddingsHostPath: defaults.embeddingsHostPath,
            deleteDataOnDestroy: defaults.deleteDataOnDestroy, confirmDataMove: defaults.confirmDataMove, refreshSchedule: defaults.refreshSchedule,
            keepVersions: defaults.keepVersions, refreshGracePeriod: defaults.refreshGracePeriod,
            kindClusterName: defaults.kindClusterName, kindWorkers: defaults.kindWorkers,
            storageClass: defaults.existingStorageClass.name, storageProvisioner: defaults.existingStorageClass.provisioner,
            existingNodeCount: defaults.existingNodeCount,
            eksClusterName: defaults.eks.clusterName, eksVersion: defaults.eks.version, eksVpcCidr: defaults.eks.vpcCidr,
            eksNodeInstanceType: defaults.eks.nodeInstanceType, eksNodeCount: defaults.eks.nodeCount,
            eksClusterCreatorAdmin: defaults.eks.clusterCreatorAdmin, eksGp3Default: defaults.eks.gp3IsDefault, eksEfsDefault: defaults.eks.efsIsDefault,
        };
        for (const [key, value] of Object.entries(expected)) {
            assert.deepStrictEqual(schema[key]?.default, value, `Pulumi.yaml default of ${key}`);
        }
        const computed = Object.entries(schema).filter(([k]) => !(k in expected));
        for (const [key, { default: value }] of computed) {
            const specs: Record<string, KeySpec> = configKeys;
            const unset = specs[key]?.unset;
            assert.ok(value === "" || (Array.isArray(value) && value.length === 0) || (unset !== undefined && value === unset),
                `${key}: a key whose default the program computes has an empty default (or its number that reads as unset), got ${JSON.stringify(value)}`);
        }
    });
});

/** The config the engine hands the program: the schema's defaults, overlaid with what the stack sets. */
function asTheEngineReadsIt(stackValues: Record<string, unknown>): RawConfig {
    const defaults = Object.fromEntries(Object.entries(schema).map(([k, e]) => [k, e.default]));
    return readRawConfig(recordingSource({ ...defaults, ...stackValues }).source, recordingSource({ region: "eu-west-1" }).source);
}

describe("readRawConfig", () => {
    it("reads the schema's empty defaults as unset, so settings.ts applies its own", () => {
        const empties = Object.fromEntries(Object.entries(schema).map(([k, e]) => [k, e.type === "array" ? [] : e.type === "string" ? "" : undefined]));
        const raw = readRawConfig(recordingSource(empties).source, recordingSource({ region: "" }).source);
        const set = Object.entries(raw).filter(([, v]) => v !== undefined).map(([k]) => k);
        assert.deepStrictEqual(set, []);
    });

    it("reads the schema's default of a number the program computes as unset", () => {
        assert.strictEqual(asTheEngineReadsIt({}).eksNodeMaxCount, undefined);
        assert.strictEqual(asTheEngineReadsIt({ eksNodeMaxCount: 5 }).eksNodeMaxCount, 5);
    });

    it("lets an EKS stack that raises only eksNodeCount grow to it, with the schema's defaults filled in as the engine does", () => {
        const s = resolveSettings(asTheEngineReadsIt({ target: "eks", eksNodeCount: 6 }), testContext);
        assert.ok(s.target === "eks");
        assert.deepStrictEqual([s.eks.nodeCount, s.eks.nodeMaxCount], [6, 6]);
        const small = resolveSettings(asTheEngineReadsIt({ target: "eks" }), testContext);
        assert.ok(small.target === "eks");
        assert.deepStrictEqual([small.eks.nodeCount, small.eks.nodeMaxCount], [defaults.eks.nodeCount, defaults.eks.nodeMaxCount]);
    });

    it("resolves a stack that sets nothing, with every schema default filled in, to the program's own defaults", () => {
        assert.deepStrictEqual(resolveSettings(asTheEngineReadsIt({}), testContext), resolveSettings({}, testContext));
        assert.deepStrictEqual(resolveSettings(asTheEngineReadsIt({ target: "eks" }), testContext),
            resolveSettings({ target: "eks", awsRegion: "eu-west-1" }, testContext));
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
