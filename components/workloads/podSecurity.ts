import * as k8s from "@pulumi/kubernetes";
import { refresherContract } from "./refresherContract";
import { WorkloadComponent, appNameLabel, componentLabel, managedByLabel, partOf, partOfLabel } from "../labels";

/** The uid/gid the workload image runs as; fsGroup makes provisioned volumes writable to it. */
export const workloadUid = 65532;

/** Pod-level settings that satisfy the `restricted` Pod Security Standard. */
export function restrictedPodSecurity(): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: workloadUid,
        runAsGroup: workloadUid,
        fsGroup: workloadUid,
        // Only walk the volume to fix ownership when its root is wrong: big embeddings stay fast to mount.
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level settings: nothing writable but what is mounted, no way to gain privileges. */
export function restrictedContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export interface ResourceBudget {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/**
 * The labels a workload's pods are selected by. Its Deployment, the readers' spread, the
 * Service in front of them and the NetworkPolicies all select with this, so none of them can
 * drift from the labels the pods carry (standardLabels includes these).
 */
export function workloadSelector(name: string): Record<string, string> {
    return { [appNameLabel]: name };
}

export function standardLabels(name: string, component: WorkloadComponent): Record<string, string> {
    return { ...workloadSelector(name), [componentLabel]: component, [partOfLabel]: partOf, [managedByLabel]: "pulumi" };
}

/** Paths inside the containers, shared by the writer and the readers. */
export const mountPaths = refresherContract.mountPaths;
