// Advisory companion of access-mode-supported-by-class: names the claims that rule could not
// judge (class not resolvable to a provisioner, provisioner not in the table), and why.
import { StackValidationPolicy } from "@pulumi/policy";
import { AccessModeConfig, checkAccessModes, configSchema } from "./access-mode-supported-by-class";

/** Companion advisory: says which claims the mandatory rule could not judge, and why. */
export const accessModeClassUnresolved: StackValidationPolicy = {
    name: "access-mode-class-unresolved",
    description: "Notes claims whose StorageClass could not be resolved to a provisioner, so their access modes went unchecked.",
    enforcementLevel: "advisory",
    configSchema,
    validateStack: (args, reportViolation) => {
        const { notes } = checkAccessModes(args.resources, args.getConfig<AccessModeConfig>());
        for (const n of notes) reportViolation(n.message, n.urn);
    },
};
