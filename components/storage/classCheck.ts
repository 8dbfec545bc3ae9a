import * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "../sharedProvider";
import { apiAccess, kubeRequest } from "../kubeapi";

/*
 * A claim on a class the cluster does not have stays Pending for ever, and `up` waits on it
 * until the provider's timeout without naming the key that chose the class. For classes the
 * program does not create, the live cluster is asked before anything is created: the read
 * below runs in `pulumi preview` too, so a missing class, or one whose provisioner is not the
 * one the capability checks assumed, fails the preview naming the key and the fix.
 */

/** The few fields of a StorageClass the check reads. */
export interface ClassView {
    metadata?: { name?: string };
    provisioner?: string;
}

/** What the check compares, with the config keys that set each value. */
export interface WantedClass {
    name: string;
    provisioner: string;
    classKey: string;
    provisionerKey: string;
}

/** One line naming the key and the fix, or undefined when the cluster has the class as configured. */
export function classProblem(classes: ClassView[], wanted: WantedClass): string | undefined {
    const found = classes.find((c) => c.metadata?.name === wanted.name);
    if (found === undefined) {
        const names = classes.map((c) => `${c.metadata?.name} (${c.provisioner})`).join(", ") || "none";
        return `${wanted.classKey}: the cluster has no StorageClass "${wanted.name}" (it has: ${names}); ` +
            `claims on it would stay Pending. fix: pulumi config set ${wanted.classKey} <one of them> ` +
            `(and ${wanted.provisionerKey} to its provisioner)`;
    }
    if (found.provisioner !== wanted.provisioner) {
        return `${wanted.provisionerKey}: StorageClass "${wanted.name}" is provisioned by "${found.provisioner}", not "${wanted.provisioner}": ` +
            `the access modes were checked for the wrong provisioner. fix: pulumi config set ${wanted.provisionerKey} ${found.provisioner}`;
    }
    return undefined;
}

/** What a ClassCheck read is given. */
export interface ClassCheckInputs extends WantedClass {
    kubeconfig: string;
    context?: string;
}

/** A read-only dynamic provider: `read` lists the cluster's classes and fails on a problem. */
export function classCheckProvider(): pulumi.dynamic.ResourceProvider {
    return {
        async create() {
            throw new Error("ClassCheck is read-only: construct it with an id");
        },
        async read(id: string, props: ClassCheckInputs) {
            // `pulumi refresh` reads with the stored state, which keeps no kubeconfig.
            if (!props.kubeconfig) return { id, props };
            let classes: ClassView[];
            try {
                const list = await kubeRequest<{ items?: ClassView[] }>(apiAccess(props.kubeconfig, props.context || undefined),
                    "GET", "/apis/storage.k8s.io/v1/storageclasses");
                classes = list.items ?? [];
            } catch (e) {
                throw new Error(`could not list the cluster's StorageClasses to check ${props.classKey}: ${(e as Error).message}`, { cause: e });
            }
            const problem = classProblem(classes, props);
            if (problem !== undefined) throw new Error(problem);
            return { id, props: { name: props.name, provisioner: props.provisioner } };
        },
    };
}

/** Checks, on the live cluster, that a class the program does not own exists as configured. */
const classCheckShared = sharedProvider(classCheckProvider);

export class ClassCheck extends pulumi.dynamic.Resource {
    public readonly provisioner!: pulumi.Output<string>;

    /** `opts.id` is required: the class name, derived from the cluster's kubeconfig. */
    constructor(name: string, args: { [K in keyof ClassCheckInputs]: pulumi.Input<ClassCheckInputs[K]> },
        opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> }) {
        super(classCheckShared(), name, { ...args, context: args.context ?? "" }, opts, "agent-storage", "ClassCheck");
    }
}
