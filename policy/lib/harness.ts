// Runs a policy's validate function outside the engine, with hand-built arguments and a
// collecting reportViolation: what the unit tests (test/policy) use.
import {
    PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { Props, Res, ResOpts } from "./k8s";

export interface Violation {
    message: string;
    urn?: string;
}

const notApplicable = (reason?: string): never => {
    throw new Error(`notApplicable: ${reason ?? ""}`);
};

const baseOpts = { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } };

/** A resource as the engine would describe it: urn from type and name. */
export function res(type: string, name: string, props: Props, opts: ResOpts = {}): Res {
    return { type, name, urn: `urn:pulumi:test::agent-storage::${type}::${name}`, props, opts: { ...baseOpts, ...opts } };
}

export async function runResourcePolicy(p: ResourceValidationPolicy, r: Res, config: object = {}): Promise<Violation[]> {
    const out: Violation[] = [];
    const args: ResourceValidationArgs = {
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.props,
        opts: { ...baseOpts, ...(r.opts ?? {}) },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
    const fns = Array.isArray(p.validateResource) ? p.validateResource : p.validateResource ? [p.validateResource] : [];
    for (const fn of fns) await fn(args, (message, urn) => out.push({ message, urn: urn ?? r.urn }));
    return out;
}

export async function runStackPolicy(p: StackValidationPolicy, resources: Res[], config: object = {}): Promise<Violation[]> {
    const out: Violation[] = [];
    const prs: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.props,
        opts: { ...baseOpts, ...(r.opts ?? {}) },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    const args: StackValidationArgs = {
        resources: prs,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
    await p.validateStack(args, (message, urn) => out.push({ message, urn }));
    return out;
}
