// ESLint for the TypeScript program, its tests, the policy pack and the Node.js helper scripts.
// Run by `npm run lint` and the test command's lint stage (scripts/lint). The rule sets are
// the recommended ones without type information: the type-aware set took over a minute and a
// half on the build machine's two cores, and tsc --noEmit already checks the types.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
    {
        ignores: ["node_modules/", ".tools/", ".pulumi-state/", ".local-cluster/", ".kind-data/", "bin/", "packages/*/dist/"],
    },
    {
        files: ["**/*.ts"],
        extends: [js.configs.recommended, tseslint.configs.recommended],
    },
    {
        // The kind cluster's dynamic provider: Pulumi serializes its functions with their
        // closures, so the modules they use are required inside them, not imported at the top.
        // (components/kubeapi/access.ts says the same in its own file.)
        files: ["components/cluster/kindProvider.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // Plain CommonJS scripts run by node directly (bench/, scripts/).
        files: ["**/*.js"],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: "commonjs", globals: globals.node },
    },
    {
        files: ["**/*.mjs"],
        extends: [js.configs.recommended],
        languageOptions: { globals: globals.node },
    },
);
