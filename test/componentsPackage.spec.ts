import * as assert from "assert";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";

interface Manifest {
    name: string;
    engines: { node: string };
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    exports: Record<string, string | { types: string; default: string }>;
    typesVersions: Record<string, Record<string, string[]>>;
}

const root = path.join(__dirname, "..");
const packageDir = path.join(root, "packages", "components");
const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as Manifest;
const program = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; engines: { node: string } };
const componentsDir = path.join(root, "components");
const sources = (fs.readdirSync(componentsDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({ file: f, text: fs.readFileSync(path.join(componentsDir, f), "utf8") }));
/** The package's build: where it puts components/ and what it may emit from outside components/. */
const build = (() => {
    const file = path.join(packageDir, "tsconfig.json");
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, packageDir, undefined, file);
    return { rootDir: parsed.options.rootDir!, outDir: parsed.options.outDir! };
})();
/** Where components/ lands in the package, relative to it. */
const built = path.relative(packageDir, path.join(build.outDir, path.relative(build.rootDir, componentsDir)));
const barrels = fs.readdirSync(componentsDir).filter((d) => fs.existsSync(path.join(componentsDir, d, "index.ts"))).sort();

describe("component package (packages/components)", () => {
    // ./dist/* too: the code Pulumi serializes for a dynamic provider (KindCluster, ClaimNodes)
    // requires the package's modules by their path in dist/.
    it("exports the top-level barrel, each folder's barrel of components/ with their declarations, and dist/ by path", () => {
        assert.ok(fs.existsSync(path.join(componentsDir, "index.ts")));
        assert.deepStrictEqual(Object.keys(manifest.exports).sort(), [".", "./dist/*", "./package.json", ...barrels.map((d) => `./${d}`)].sort());
        assert.deepStrictEqual(manifest.exports["."], { types: `./${built}/index.d.ts`, default: `./${built}/index.js` });
        for (const d of barrels) {
            assert.deepStrictEqual(manifest.exports[`./${d}`], { types: `./${built}/${d}/index.d.ts`, default: `./${built}/${d}/index.js` }, d);
            // Consumers resolving modules the older "node" way find a subpath's types only here.
            assert.deepStrictEqual(manifest.typesVersions["*"][d], [`${built}/${d}/index.d.ts`], d);
        }
    });

    it("has a top-level barrel that re-exports every folder and module of components/", () => {
        const reexported = [...fs.readFileSync(path.join(componentsDir, "index.ts"), "utf8").matchAll(/^export \* from "\.\/([^"]+)";$/gm)].map((m) => m[1]);
        const modules = fs.readdirSync(componentsDir).filter((f) => f.endsWith(".ts") && f !== "index.ts").map((f) => f.replace(/\.ts$/, ""));
        assert.deepStrictEqual(reexported.sort(), [...barrels, ...modules].sort());
    });

    it("builds what the components import from outside components/ (the shared facts) to the same relative place", () => {
        const outside: string[] = [];
        for (const { file, text } of sources) {
            for (const m of text.matchAll(/(?:from\s+|require\()\s*"(\.[^"]*)"/g)) {
                const target = path.resolve(componentsDir, path.dirname(file), m[1]);
                if (path.relative(componentsDir, target).startsWith("..")) outside.push(path.relative(root, target));
            }
        }
        const escaping = outside.filter((f) => path.relative(build.rootDir, path.join(root, f)).startsWith(".."));
        assert.deepStrictEqual(escaping, [], `imported from outside the build's rootDir ${build.rootDir}`);
    });

    it("declares every package the components import", () => {
        const imported = new Set<string>();
        for (const { text } of sources) {
            for (const m of text.matchAll(/(?:from\s+|require\()\s*"([^".][^"]*)"/g)) {
                const spec = m[1];
                imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
            }
        }
        const declared = { ...manifest.dependencies, ...manifest.peerDependencies };
        assert.deepStrictEqual([...imported].filter((p) => !builtinModules.includes(p) && !(p in declared)).sort(), []);
    });

    it("accepts the versions of its dependencies the program is tested with, and newer ones of the same major", () => {
        for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
            const tested = program.dependencies[name];
            assert.ok(tested, `${name} is not a dependency of the program`);
            assert.strictEqual(range, /^\d/.test(tested) ? `^${tested}` : tested, name);
        }
    });

    it("asks for the Node.js the program asks for", () => {
        assert.strictEqual(manifest.engines.node, program.engines.node);
    });

    it("reads no stack configuration and no stack identity: a program passes every value in", () => {
        const readers = sources.filter(({ text }) => /\bConfig\(|runtime\.(getConfig|allConfig)|\bget(Stack|Project)\(/.test(text)).map((s) => s.file);
        assert.deepStrictEqual(readers, []);
    });

    it("is shown in the README by the example program the package suite previews", () => {
        const example = fs.readFileSync(path.join(packageDir, "example", "index.ts"), "utf8");
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        assert.ok(readme.includes("```typescript\n" + example + "```"), "README.md does not show packages/components/example/index.ts as it is");
    });
});
