// A data claim (label agent-storage.io/data: "true") must survive `pulumi destroy` unless the
// user explicitly switched on deleting data.
//
// Pulumi's `retainOnDelete` resource option is NOT visible to policies: @pulumi/policy 1.21
// builds args.opts from the engine's AnalyzerResourceOptions, which carries only protect,
// ignoreChanges, deleteBeforeReplace, aliases, customTimeouts, additionalSecretOutputs and
// parent (node_modules/@pulumi/policy/server.js getResourceOptions; @pulumi/pulumi 3.260
// proto/analyzer_pb.js). So the program states the destroy behaviour in an annotation:
//   agent-storage.io/delete-on-destroy: "true"   destroy deletes the claim (explicit switch)
//   agent-storage.io/delete-on-destroy: "false"  the program set retainOnDelete: true
// A data claim with neither value (and not `protect`ed) fails.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Res, ResOpts, T, UNKNOWN, annotations, entry, labels, describe } from "../lib/k8s";
import { dataLabel as DATA_LABEL, deleteOnDestroyAnnotation as DELETE_ANNOTATION } from "../../components/labels";

export { DATA_LABEL, DELETE_ANNOTATION };

/** A violation message, or undefined when the claim is fine or not a data claim. */
export function checkDataClaim(r: Res): string | undefined {
    if (r.type !== T.pvc || entry(labels(r.props), DATA_LABEL) !== "true") return undefined;
    const opts: ResOpts = r.opts ?? {};
    if (opts.protect === true) return undefined;
    // Future-proof: should @pulumi/policy ever expose the option, honour it.
    if (opts.retainOnDelete === true) return undefined;
    const a = entry(annotations(r.props), DELETE_ANNOTATION);
    if (a === UNKNOWN) return undefined; // computed during preview: decided on the next run
    if (a === "true" || a === "false") return undefined;
    const got = a === "" ? "no such annotation" : `${DELETE_ANNOTATION}: "${a}"`;
    return `${describe(r)} holds data (${DATA_LABEL}: "true") and nothing says pulumi destroy keeps it (${got}). ` +
        `Policies cannot see retainOnDelete, so set retainOnDelete: true AND annotate ${DELETE_ANNOTATION}: "false"; ` +
        `or, to really delete data on destroy, annotate ${DELETE_ANNOTATION}: "true" (config deleteDataOnDestroy).`;
}

export const dataClaimsSurviveDestroy: ResourceValidationPolicy = {
    name: "data-claims-survive-destroy",
    description: "Data claims are kept by pulumi destroy (retainOnDelete, declared by annotation) unless deletion is switched on explicitly.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const msg = checkDataClaim(args);
        if (msg) reportViolation(msg);
    },
};
