import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { checkRegion, knownKeys, projectKey } from "../stacks";

interface Prompt { description?: string; default?: unknown }
interface Project {
    config: Record<string, { default?: unknown }>;
    template: { displayName?: string; description?: string; config: Record<string, Prompt> };
}

const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as Project;
const prompts = project.template.config;
/** `pulumi new` saves a prompt without a namespace under the project's. */
const fullKey = (key: string) => key.includes(":") ? key : projectKey(key);

describe("pulumi new template (Pulumi.yaml template:)", () => {
    it("asks for the target, the AWS region and the number of inference replicas", () => {
        assert.deepStrictEqual(Object.keys(prompts), ["target", "aws:region", "inferenceReplicas"]);
    });

    it("asks only for keys the program reads", () => {
        assert.deepStrictEqual(Object.keys(prompts).map(fullKey).filter((k) => !knownKeys.includes(k)), []);
    });

    it("describes the template and every prompt", () => {
        assert.ok(project.template.description?.trim());
        assert.deepStrictEqual(Object.entries(prompts).filter(([, p]) => !p.description?.trim()).map(([k]) => k), []);
    });

    it("offers the config schema's default for each of the project's keys", () => {
        for (const [key, prompt] of Object.entries(prompts).filter(([k]) => !k.includes(":"))) {
            assert.deepStrictEqual(prompt.default, project.config[key]?.default, `default of ${key}`);
        }
    });

    it("offers a default region an eks stack accepts", () => {
        assert.deepStrictEqual(checkRegion("eks", String(prompts["aws:region"].default)), []);
    });
});
