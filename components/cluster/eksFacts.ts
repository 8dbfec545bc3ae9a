// Facts about the EKS target that the configuration checks need too: kept apart from the
// EKS components, so checking a kind or existing-cluster configuration never loads the AWS SDK.

/**
 * Kubernetes minor versions in EKS standard support, with the day it ends, as read from the
 * EKS version calendar on 2026-11-29. A version past its day moves to extended support (paid
 * per cluster hour) and is then upgraded by EKS itself; re-read the calendar when a day passes.
 */
export const eksStandardSupport: Readonly<Record<string, string>> = {
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
    "1.36": "2027-08-02",
};

/** IMDSv2 only, and one network hop: a pod's own network namespace cannot reach the node's credentials. */
export const nodeMetadataOptions = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } as const;

/** The nodes' CPU architecture: the node group runs Amazon Linux 2023 for x86_64. */
export const eksNodeArchitecture: "x86_64" | "arm64" = "x86_64";

/**
 * Zone letters a to h each own a slot of the /16: public /20s take the lower half (x.x.0.0 to
 * x.x.112.0) and private ones the upper half, so at most 8 zones fit.
 */
export const maxPlannedZones = 8;

/** The slot a zone's subnets take: its letter (`eu-west-1c` is 2), or undefined past `h`. */
export function zoneSlot(zone: string): number | undefined {
    const match = /[a-z]$/.exec(zone);
    const slot = match === null ? -1 : match[0].charCodeAt(0) - "a".charCodeAt(0);
    return slot >= 0 && slot < maxPlannedZones ? slot : undefined;
}
