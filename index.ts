import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as os from "os";
import { buildStack, readRawConfig } from "./stacks";

const stack = buildStack(
    readRawConfig(new pulumi.Config(), new pulumi.Config("aws")),
    {
        projectDir: __dirname,
        homeDir: os.homedir(),
        hasLocalImage: (ref) => spawnSync("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { stdio: "ignore" }).status === 0,
        configuredKeys: Object.keys(pulumi.runtime.allConfig()),
    },
);

export const target = stack.target;
export const namespace = stack.namespace;
export const boundVolumes = stack.boundVolumes;
export const kubeconfig = stack.kubeconfig;
export const refreshSchedule = stack.refreshSchedule;
export const keepVersions = stack.keepVersions;
export const servedVersion = stack.servedVersion;
export const keptVersions = stack.keptVersions;
export const readerPlacement = stack.readerPlacement;
export const queryService = stack.queryService;
export const cluster = stack.cluster;
