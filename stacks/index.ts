import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/problems";
import { RawConfig } from "./config";
import { buildExistingStack } from "./existing";
import { buildKindStack } from "./kind";
import { StackOutputs } from "./outputs";
import { ResolveContext, resolveSettings } from "./settings";

export * from "./config";
export * from "./outputs";
export * from "./settings";
export * from "./validate";
export { buildExistingStack, buildKindStack };

/**
 * Builds the stack a configuration describes. Every check runs before the first resource
 * is registered; a bad configuration ends the program with the list of problems and no
 * stack trace.
 */
export function buildStack(raw: RawConfig, ctx: ResolveContext): StackOutputs {
    try {
        const settings = resolveSettings(raw, ctx);
        switch (settings.target) {
            case "kind": return buildKindStack(settings);
            // Loaded only for EKS: it brings the AWS SDK and the EKS components, which a
            // kind or existing-cluster run would otherwise load (and transpile) every time.
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- buildStack is synchronous, so no import()
            case "eks": return (require("./eks") as typeof import("./eks")).buildEksStack(settings);
            case "existing": return buildExistingStack(settings);
        }
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
