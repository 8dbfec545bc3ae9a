/**
 * The refresher's interface as the refresher itself declares it: environment variables,
 * subcommands, probe flags, mount paths, the status ConfigMap's name, keys and labels.
 * workload/contract.json is what `refresher contract` prints; a Go test keeps it equal to
 * the binary's own constants, so the pod specs built here name exactly what it reads.
 */
import contract from "../../workload/contract.json";

export const refresherContract = contract;
