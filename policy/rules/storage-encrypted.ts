// Data at rest on EBS or EFS must be encrypted: an EBS StorageClass without
// parameters.encrypted "true", an EFS file system or EBS volume without encrypted: true.
// (Account-wide "EBS encryption by default" is invisible here, so it is not relied on.)
import { ResourceValidationPolicy } from "@pulumi/policy";
import { Res, T, describe, get, known, metaName } from "../lib/k8s";

export const EBS_PROVISIONERS = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

export function checkEncrypted(r: Res): string | undefined {
    switch (r.type) {
        case T.storageClass: {
            const prov = get(() => r.props.provisioner);
            if (!known(prov) || !EBS_PROVISIONERS.includes(String(prov))) return undefined;
            const enc = get(() => r.props.parameters.encrypted);
            if (!known(enc) && enc !== undefined) return undefined; // unknown during preview
            if (String(enc).toLowerCase() === "true") return undefined;
            const n = metaName(r.props);
            return `StorageClass '${known(n) ? n : r.name}' (${prov}) creates unencrypted EBS volumes: ` +
                `set parameters.encrypted: "true"${enc === undefined ? "" : ` (it is "${enc}")`}.`;
        }
        case T.efsFileSystem:
        case T.ebsVolume: {
            const enc = get(() => r.props.encrypted);
            if (!known(enc) && enc !== undefined) return undefined;
            if (enc === true) return undefined;
            return `${describe(r)} is not encrypted at rest: set encrypted: true (optionally kmsKeyId).`;
        }
        default:
            return undefined;
    }
}

export const storageEncrypted: ResourceValidationPolicy = {
    name: "storage-encrypted",
    description: "EBS StorageClasses, EFS file systems and EBS volumes are encrypted at rest.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const msg = checkEncrypted(args);
        if (msg) reportViolation(msg);
    },
};
