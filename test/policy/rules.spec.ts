// Unit tests of the agent-storage-guardrails rules: each rule fires on a bad resource and
// stays quiet on the good ones. The policies' own validate functions are called with
// hand-built args (policy/lib/harness.ts); no engine involved.
import * as assert from "assert";
import { res, runResourcePolicy, runStackPolicy } from "../../policy/lib/harness";
import { Props, Res, ResOpts, T } from "../../policy/lib/k8s";
import { PROVISIONER_CAPABILITIES } from "../../policy/lib/storage-capabilities";
import { provisioners, sharedPathProvisioner } from "../../components/storage/capabilities";
import { accessModeSupportedByClass } from "../../policy/rules/access-mode-supported-by-class";
import { accessModeClassUnresolved } from "../../policy/rules/access-mode-class-unresolved";
import { embeddingsReadersReadOnly } from "../../policy/rules/embeddings-readers-read-only";
import { embeddingsReadersIsolated } from "../../policy/rules/embeddings-readers-isolated";
import { singleDefaultStorageClass } from "../../policy/rules/single-default-storage-class";
import { dataClaimsSurviveDestroy } from "../../policy/rules/data-claims-survive-destroy";
import { storageEncrypted } from "../../policy/rules/storage-encrypted";
import { containersNonRoot } from "../../policy/rules/containers-non-root";
import { eksClusterHardened } from "../../policy/rules/eks-cluster-hardened";
import { nodesRequireImdsv2 } from "../../policy/rules/nodes-require-imdsv2";
import { efsTlsAndAccessPoints } from "../../policy/rules/efs-tls-and-access-points";
import { podIdentityTrustScoped } from "../../policy/rules/pod-identity-trust-scoped";
import { eksStandardSupport, nodeMetadataOptions } from "../../components/cluster/eksFacts";
import { efsFileSystemPolicy, podIdentityTrust } from "../../components/storage/eksStorage";
import { defaults } from "../../stacks/settings";
// @pulumi/policy/proxy.d.ts declares no exports, though the module has these at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy, unknownStringValue } = require("@pulumi/policy/proxy");

const NS = "agent-data";

// ---- builders for the objects the program creates ----

function storageClass(name: string, provisioner: string, opts: { isDefault?: boolean; parameters?: Record<string, string> } = {}): Res {
    return res(T.storageClass, name, {
        metadata: {
            name,
            annotations: opts.isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {},
        },
        provisioner,
        parameters: opts.parameters,
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
    });
}

function claim(name: string, o: {
    role?: string; modes?: string[]; cls?: string | null; volumeMode?: string;
    annotations?: Record<string, string>; resourceOpts?: ResOpts; data?: boolean;
} = {}): Res {
    const spec: Props = { accessModes: o.modes ?? ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } };
    if (o.cls !== null) spec.storageClassName = o.cls ?? "standard";
    if (o.volumeMode) spec.volumeMode = o.volumeMode;
    return res(T.pvc, name, {
        metadata: {
            name,
            namespace: NS,
            labels: {
                ...(o.data === false ? {} : { "agent-storage.io/data": "true" }),
                "agent-storage.io/role": o.role ?? name,
            },
            annotations: o.annotations ?? { "agent-storage.io/delete-on-destroy": "false" },
        },
        spec,
    }, o.resourceOpts ?? {});
}

const secure = { runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true };

function container(name: string, mounts: Props[], sc: Props | undefined = secure): Props {
    return { name, image: "localhost/agent-storage/workload:0.1.0", volumeMounts: mounts, securityContext: sc };
}

function podSpec(o: { claimRO?: boolean; mountRO?: boolean; initMountRO?: boolean; podSc?: Props; sc?: Props; initSc?: Props }) {
    return {
        securityContext: o.podSc ?? { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
        initContainers: o.initMountRO === undefined ? [] : [
            container("verify", [{ name: "embeddings", mountPath: "/data/embeddings", readOnly: o.initMountRO }], o.initSc ?? secure),
        ],
        containers: [
            container("inference", [
                { name: "embeddings", mountPath: "/data/embeddings", readOnly: o.mountRO },
                { name: "tmp", mountPath: "/tmp" },
            ], o.sc ?? secure),
        ],
        volumes: [
            { name: "embeddings", persistentVolumeClaim: { claimName: "embeddings", readOnly: o.claimRO } },
            { name: "tmp", emptyDir: {} },
        ],
    };
}

function deployment(name: string, component: string, spec: Props, type: string = T.deployment): Res {
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": component };
    const template = { metadata: { labels }, spec };
    let s: Props;
    if (type === T.pod) return res(type, name, { metadata: { name, namespace: NS, labels }, spec });
    if (type === T.cronJob) s = { schedule: "0 * * * *", jobTemplate: { spec: { template } } };
    else s = { replicas: 2, selector: { matchLabels: labels }, template };
    return res(type, name, { metadata: { name, namespace: NS, labels }, spec: s });
}

const reader = (o: Parameters<typeof podSpec>[0] = {}, type?: string) =>
    deployment("inference", "reader", podSpec({ claimRO: true, mountRO: true, ...o }), type);
const writer = () => deployment("embeddings-generator", "writer", podSpec({ claimRO: false, mountRO: false }));

/** The stack the program builds on kind/local: should pass every rule. */
function goodKindStack(): Res[] {
    return [
        claim("embeddings", { modes: ["ReadWriteOnce"], cls: "standard" }),
        claim("checkpoints", { modes: ["ReadWriteOnce"], cls: "standard" }),
        writer(),
        reader(),
    ];
}

/** The EKS shape: gp3 default (encrypted) + efs, RWX embeddings on EFS, RWO checkpoints on gp3. */
function goodEksStack(): Res[] {
    return [
        storageClass("gp3", "ebs.csi.aws.com", { isDefault: true, parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" } }),
        storageClass("efs", "efs.csi.aws.com", { parameters: { provisioningMode: "efs-ap", fileSystemId: "fs-123", directoryPerms: "700" } }),
        res(T.efsFileSystem, "embeddings-fs", { encrypted: true, performanceMode: "generalPurpose" }),
        claim("embeddings", { modes: ["ReadWriteMany"], cls: "efs" }),
        claim("checkpoints", { modes: ["ReadWriteOnce"], cls: "gp3" }),
        writer(),
        reader(),
    ];
}

const messages = (vs: { message: string }[]) => vs.map((v) => v.message).join("\n");

describe("policy: access-mode-supported-by-class", () => {
    const p = accessModeSupportedByClass;

    it("is quiet on the kind stack (RWO on standard) and the EKS stack (RWX on efs, RWO on gp3)", async () => {
        assert.deepStrictEqual(await runStackPolicy(p, goodKindStack()), []);
        assert.deepStrictEqual(await runStackPolicy(p, goodEksStack()), []);
    });

    it("fires on ReadOnlyMany from kind's standard class (the lesson's mistake), via the built-in map", async () => {
        const bad = claim("embeddings", { modes: ["ReadOnlyMany"], cls: "standard" });
        const v = await runStackPolicy(p, [bad, writer()]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.strictEqual(v[0].urn, bad.urn);
        assert.match(v[0].message, /ReadOnlyMany \(ROX\)/);
        assert.match(v[0].message, /rancher\.io\/local-path, from the built-in map/);
    });

    it("fires on ReadWriteMany from local-path", async () => {
        const v = await runStackPolicy(p, [claim("embeddings", { modes: ["ReadWriteMany"], cls: "standard" })]);
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /ReadWriteMany \(RWX\)/);
    });

    it("fires on ReadOnlyMany from EFS (never served) and on ReadWriteOncePod from EFS", async () => {
        const stack = goodEksStack().filter((r) => r.type !== T.pvc);
        const rox = claim("embeddings", { modes: ["ReadOnlyMany"], cls: "efs" });
        const rwop = claim("checkpoints", { modes: ["ReadWriteOncePod"], cls: "efs" });
        const v = await runStackPolicy(p, [...stack, rox, rwop]);
        assert.deepStrictEqual(v.map((x) => x.urn).sort(), [rox.urn, rwop.urn].sort());
        assert.match(messages(v), /volume capability not supported/);
    });

    it("fires on ReadWriteMany from gp3 (EBS) in Filesystem mode, but not for an io2 Block claim", async () => {
        const io2 = storageClass("io2", "ebs.csi.aws.com", { parameters: { type: "io2", encrypted: "true" } });
        const fsClaim = claim("embeddings", { modes: ["ReadWriteMany"], cls: "gp3" });
        const blockGp3 = claim("blk-gp3", { modes: ["ReadWriteMany"], cls: "gp3", volumeMode: "Block" });
        const blockIo2 = claim("blk-io2", { modes: ["ReadWriteMany"], cls: "io2", volumeMode: "Block" });
        const v = await runStackPolicy(p, [...goodEksStack().filter((r) => r.type !== T.pvc), io2, fsClaim, blockGp3, blockIo2]);
        assert.deepStrictEqual(v.map((x) => x.urn).sort(), [fsClaim.urn, blockGp3.urn].sort(), messages(v));
        assert.match(messages(v), /io2 multi-attach with volumeMode: Block/);
    });

    it("checks a class-less claim against the stack's single default class", async () => {
        const stack = goodEksStack().filter((r) => r.type !== T.pvc);
        const v = await runStackPolicy(p, [...stack, claim("checkpoints", { modes: ["ReadWriteMany"], cls: null })]);
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /StorageClass 'gp3'/);
    });

    it("accepts any mode for kubernetes.io/no-provisioner (static PVs)", async () => {
        const sc = storageClass("agent-static", "kubernetes.io/no-provisioner");
        const v = await runStackPolicy(p, [sc, claim("embeddings", { modes: ["ReadOnlyMany", "ReadWriteMany"], cls: "agent-static" })]);
        assert.deepStrictEqual(v, []);
    });

    it("gives no verdict on an unknown class, but does once the class is named in policy config", async () => {
        const c = claim("embeddings", { modes: ["ReadOnlyMany"], cls: "hostpath" });
        assert.deepStrictEqual(await runStackPolicy(p, [c]), []);
        const v = await runStackPolicy(p, [c], { knownClasses: { hostpath: "rancher.io/local-path" } });
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /from the policy config/);
    });

    it("judges with the program's own capability table, so the pack and the program's up-front checks agree", () => {
        assert.deepStrictEqual(Object.keys(PROVISIONER_CAPABILITIES).sort(), Object.keys(provisioners).sort());
        for (const [name, caps] of Object.entries(provisioners)) {
            assert.deepStrictEqual([...PROVISIONER_CAPABILITIES[name].modes], [...caps.accessModes], name);
            assert.strictEqual(PROVISIONER_CAPABILITIES[name].note, caps.note, name);
        }
    });

    it("accepts ReadWriteMany and ReadWriteOncePod on kind's shared class, and refuses them on its node-local class", async () => {
        const sc = storageClass("shared", sharedPathProvisioner);
        assert.deepStrictEqual(await runStackPolicy(p, [sc, claim("embeddings", { modes: ["ReadWriteMany"], cls: "shared" })]), []);
        assert.deepStrictEqual(await runStackPolicy(p, [sc, claim("checkpoints", { modes: ["ReadWriteOncePod"], cls: "shared" })]), []);
        const local = storageClass("standard", "rancher.io/local-path");
        const v = await runStackPolicy(p, [local, claim("embeddings", { modes: ["ReadWriteMany"], cls: "standard" })]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.match(v[0].message, /ReadWriteMany \(RWX\).*'standard' \(rancher\.io\/local-path, from the stack/);
    });

    it("prefers the stack's own class over the built-in map (a stack-defined 'standard' on EFS)", async () => {
        const sc = storageClass("standard", "efs.csi.aws.com");
        assert.deepStrictEqual(await runStackPolicy(p, [sc, claim("embeddings", { modes: ["ReadWriteMany"], cls: "standard" })]), []);
    });
});

describe("policy: access-mode-class-unresolved (advisory companion)", () => {
    const p = accessModeClassUnresolved;
    it("is advisory and quiet when every class resolves", async () => {
        assert.strictEqual(p.enforcementLevel, "advisory");
        assert.deepStrictEqual(await runStackPolicy(p, goodKindStack()), []);
        assert.deepStrictEqual(await runStackPolicy(p, goodEksStack()), []);
    });
    it("notes an unknown class, a class-less claim without a stack default, and an unlisted provisioner", async () => {
        const unknownCls = claim("a", { cls: "hostpath" });
        const noCls = claim("b", { cls: null });
        const sc = storageClass("fancy", "example.com/fancy-csi");
        const fancy = claim("c", { cls: "fancy" });
        const v = await runStackPolicy(p, [unknownCls, noCls, sc, fancy]);
        assert.deepStrictEqual(v.map((x) => x.urn), [unknownCls.urn, noCls.urn, fancy.urn]);
        assert.match(v[0].message, /'hostpath' is neither created by this stack nor a known class/);
        assert.match(v[1].message, /cluster's default class decides/);
        assert.match(v[2].message, /example\.com\/fancy-csi.*not in the capability table/);
    });
});

describe("policy: embeddings-readers-read-only", () => {
    const p = embeddingsReadersReadOnly;

    it("is quiet on the program's shape: writer rw, reader ro at both levels", async () => {
        assert.deepStrictEqual(await runStackPolicy(p, goodKindStack()), []);
        assert.deepStrictEqual(await runStackPolicy(p, goodEksStack()), []);
    });

    it("fires when the pod-level persistentVolumeClaim.readOnly is missing", async () => {
        const bad = reader({ claimRO: undefined });
        const v = await runStackPolicy(p, [claim("embeddings"), writer(), bad]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.strictEqual(v[0].urn, bad.urn);
        assert.match(v[0].message, /persistentVolumeClaim\.readOnly: true/);
    });

    it("fires when a container's volumeMount is not readOnly", async () => {
        const v = await runStackPolicy(p, [claim("embeddings"), reader({ mountRO: false })]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.match(v[0].message, /container 'inference' mounts the embeddings volume 'embeddings' at \/data\/embeddings without volumeMounts\[\]\.readOnly/);
    });

    it("fires for an init container's writable mount too", async () => {
        const v = await runStackPolicy(p, [claim("embeddings"), reader({ initMountRO: false })]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.match(v[0].message, /initContainer 'verify'/);
    });

    it("covers every workload kind (Pod, StatefulSet, DaemonSet, Job, CronJob)", async () => {
        for (const type of [T.pod, T.statefulSet, T.daemonSet, T.job, T.cronJob]) {
            const good = reader({}, type);
            const bad = reader({ claimRO: false, mountRO: false }, type);
            assert.deepStrictEqual(await runStackPolicy(p, [claim("embeddings"), good]), [], type);
            assert.strictEqual((await runStackPolicy(p, [claim("embeddings"), bad])).length, 2, type);
        }
    });

    it("ignores other claims, and the same claim name in another namespace", async () => {
        const other = claim("embeddings", { role: "checkpoints" });
        assert.deepStrictEqual(await runStackPolicy(p, [other, reader({ claimRO: false, mountRO: false })]), []);
        const elsewhere = claim("embeddings");
        elsewhere.props.metadata.namespace = "other";
        assert.deepStrictEqual(await runStackPolicy(p, [elsewhere, reader({ claimRO: false, mountRO: false })]), []);
    });

    it("treats an unknown (preview) claim namespace as possibly the same", async () => {
        const c = claim("embeddings");
        c.props = unknownCheckingProxy({ ...c.props, metadata: { ...c.props.metadata, namespace: unknownStringValue } });
        const v = await runStackPolicy(p, [c, reader({ mountRO: false })]);
        assert.strictEqual(v.length, 1, messages(v));
    });
});

describe("policy: embeddings-readers-isolated (advisory)", () => {
    const p = embeddingsReadersIsolated;
    const networkPolicy = (name: string, spec: Props, namespace: string = NS) =>
        res(T.networkPolicy, name, { metadata: { name, namespace }, spec });
    const readersCutOff = () => networkPolicy("inference", {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "inference" } }, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [],
    });

    it("is advisory, and quiet when a policy selecting the readers restricts their egress", async () => {
        assert.strictEqual(p.enforcementLevel, "advisory");
        assert.deepStrictEqual(await runStackPolicy(p, [...goodKindStack(), readersCutOff()]), []);
    });

    it("notes a reader no NetworkPolicy selects, and leaves the writer alone", async () => {
        const bad = reader();
        const v = await runStackPolicy(p, [claim("embeddings"), writer(), bad]);
        assert.strictEqual(v.length, 1, messages(v));
        assert.strictEqual(v[0].urn, bad.urn);
        assert.match(v[0].message, /reads the embeddings claim 'embeddings' but no NetworkPolicy in its namespace selects its pods and restricts their egress/);
    });

    it("does not count a policy of ingress alone, of other pods, or of another namespace", async () => {
        const ingressOnly = networkPolicy("inference", { podSelector: { matchLabels: { "app.kubernetes.io/name": "inference" } }, policyTypes: ["Ingress"] });
        const otherPods = networkPolicy("writer", { podSelector: { matchLabels: { "app.kubernetes.io/name": "embeddings-generator" } }, policyTypes: ["Egress"] });
        const elsewhere = { ...readersCutOff(), props: { ...readersCutOff().props, metadata: { name: "inference", namespace: "other" } } };
        for (const policy of [ingressOnly, otherPods, elsewhere]) {
            assert.strictEqual((await runStackPolicy(p, [claim("embeddings"), reader(), policy])).length, 1, policy.name);
        }
    });

    it("counts a policy that selects every pod, or that restricts egress by listing egress rules without policyTypes", async () => {
        const everyPod = networkPolicy("all", { podSelector: {}, policyTypes: ["Egress"] });
        const byRules = networkPolicy("dns", { podSelector: { matchLabels: { "app.kubernetes.io/name": "inference" } }, egress: [{ ports: [{ port: 53 }] }] });
        for (const policy of [everyPod, byRules]) {
            assert.deepStrictEqual(await runStackPolicy(p, [claim("embeddings"), reader(), policy]), [], policy.name);
        }
    });
});

describe("policy: single-default-storage-class", () => {
    const p = singleDefaultStorageClass;
    it("is quiet with one default (EKS gp3) and with none (kind)", async () => {
        assert.deepStrictEqual(await runStackPolicy(p, goodEksStack()), []);
        assert.deepStrictEqual(await runStackPolicy(p, goodKindStack()), []);
    });
    it("fires on each of two default classes", async () => {
        const a = storageClass("gp3", "ebs.csi.aws.com", { isDefault: true, parameters: { encrypted: "true" } });
        const b = storageClass("gp2", "kubernetes.io/aws-ebs", { isDefault: true, parameters: { encrypted: "true" } });
        const v = await runStackPolicy(p, [a, b, storageClass("efs", "efs.csi.aws.com")]);
        assert.deepStrictEqual(v.map((x) => x.urn), [a.urn, b.urn]);
        assert.match(v[0].message, /one of 2 default classes \(gp3, gp2\)/);
    });
    it("does not count a class annotated \"false\"", async () => {
        const a = storageClass("gp3", "ebs.csi.aws.com", { isDefault: true });
        const b = storageClass("efs", "efs.csi.aws.com");
        b.props.metadata.annotations = { "storageclass.kubernetes.io/is-default-class": "false" };
        assert.deepStrictEqual(await runStackPolicy(p, [a, b]), []);
    });
});

describe("policy: data-claims-survive-destroy", () => {
    const p = dataClaimsSurviveDestroy;
    it("is quiet on retained claims (annotation \"false\"), deliberate deletion (\"true\"), protect, and non-data claims", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, claim("embeddings")), []);
        assert.deepStrictEqual(await runResourcePolicy(p, claim("embeddings", { annotations: { "agent-storage.io/delete-on-destroy": "true" } })), []);
        assert.deepStrictEqual(await runResourcePolicy(p, claim("embeddings", { annotations: {}, resourceOpts: { protect: true } })), []);
        assert.deepStrictEqual(await runResourcePolicy(p, claim("scratch", { annotations: {}, data: false })), []);
    });
    it("fires on a data claim that says nothing about destroy", async () => {
        const v = await runResourcePolicy(p, claim("checkpoints", { annotations: {} }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /no such annotation/);
        assert.match(v[0].message, /Policies cannot see retainOnDelete/);
    });
    it("fires on a misspelt switch value", async () => {
        const v = await runResourcePolicy(p, claim("checkpoints", { annotations: { "agent-storage.io/delete-on-destroy": "yes" } }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /delete-on-destroy: "yes"/);
    });
    it("ignores non-claims", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, storageClass("gp3", "ebs.csi.aws.com")), []);
    });
});

describe("policy: storage-encrypted", () => {
    const p = storageEncrypted;
    it("is quiet on the EKS stack's classes and file system, and on non-EBS classes", async () => {
        for (const r of goodEksStack()) assert.deepStrictEqual(await runResourcePolicy(p, r), [], r.name);
        assert.deepStrictEqual(await runResourcePolicy(p, storageClass("standard", "rancher.io/local-path")), []);
        assert.deepStrictEqual(await runResourcePolicy(p, res(T.ebsVolume, "v", { size: 10, encrypted: true })), []);
    });
    it("fires on an EBS CSI class without encrypted, and an in-tree aws-ebs class with encrypted \"false\"", async () => {
        const a = await runResourcePolicy(p, storageClass("gp3", "ebs.csi.aws.com", { parameters: { type: "gp3" } }));
        const b = await runResourcePolicy(p, storageClass("gp2", "kubernetes.io/aws-ebs", { parameters: { encrypted: "false" } }));
        assert.strictEqual(a.length, 1);
        assert.match(a[0].message, /parameters\.encrypted: "true"/);
        assert.strictEqual(b.length, 1);
        assert.match(b[0].message, /it is "false"/);
    });
    it("fires on an unencrypted EFS file system and an EBS volume without encryption", async () => {
        assert.strictEqual((await runResourcePolicy(p, res(T.efsFileSystem, "fs", { encrypted: false }))).length, 1);
        const v = await runResourcePolicy(p, res(T.ebsVolume, "v", { size: 10, availabilityZone: "us-east-1a" }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /Volume 'v' is not encrypted/);
    });
});

describe("policy: containers-non-root", () => {
    const p = containersNonRoot;
    it("is quiet on the program's workloads (uid 65532, no escalation)", async () => {
        for (const r of goodEksStack()) assert.deepStrictEqual(await runResourcePolicy(p, r), [], r.name);
        assert.deepStrictEqual(await runResourcePolicy(p, reader({ initMountRO: true })), []);
    });
    it("accepts runAsNonRoot from the pod level with allowPrivilegeEscalation false per container", async () => {
        const r = reader({ podSc: { runAsNonRoot: true }, sc: { allowPrivilegeEscalation: false } });
        assert.deepStrictEqual(await runResourcePolicy(p, r), []);
    });
    it("fires on a container without any securityContext (root possible, escalation allowed)", async () => {
        const v = await runResourcePolicy(p, reader({ podSc: {}, sc: {} }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /neither runAsNonRoot: true nor a non-zero runAsUser; allowPrivilegeEscalation is not false/);
    });
    it("fires on runAsUser 0 overriding a pod-level non-root, and on privileged", async () => {
        const v0 = await runResourcePolicy(p, reader({ sc: { ...secure, runAsUser: 0 } }));
        assert.match(messages(v0), /runAsUser is 0/);
        const vp = await runResourcePolicy(p, reader({ sc: { ...secure, privileged: true } }));
        assert.match(messages(vp), /privileged: true/);
    });
    it("checks init containers and every workload kind", async () => {
        const v = await runResourcePolicy(p, reader({ initMountRO: true, initSc: { runAsNonRoot: true } }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0].message, /initContainer 'verify'.*allowPrivilegeEscalation is not false/);
        for (const type of [T.pod, T.statefulSet, T.daemonSet, T.job, T.cronJob]) {
            assert.strictEqual((await runResourcePolicy(p, reader({ podSc: {}, sc: {} }, type))).length, 1, type);
        }
    });
    it("ignores non-workloads", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, claim("embeddings")), []);
    });
});

// ---- EKS and AWS resources, shaped as the program creates them ----

function eksCluster(o: { vpcConfig?: Record<string, unknown>; version?: string; upgradePolicy?: Record<string, unknown> | null } = {}): Res {
    return res(T.eksCluster, "eks-cluster", {
        name: "agent-storage",
        version: o.version ?? defaults.eks.version,
        vpcConfig: o.vpcConfig ?? { subnetIds: ["s1", "s2"], endpointPrivateAccess: true, endpointPublicAccess: false },
        ...(o.upgradePolicy === null ? {} : { upgradePolicy: o.upgradePolicy ?? { supportType: "STANDARD" } }),
    });
}

describe("policy: eks-cluster-hardened", () => {
    const p = eksClusterHardened;
    it("is quiet on the program's cluster: private endpoint, public one closed or opened to named networks, standard support", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, eksCluster()), []);
        const named = eksCluster({ vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.7/32"] } });
        assert.deepStrictEqual(await runResourcePolicy(p, named), []);
    });
    it("fires on a public endpoint open to everyone, whether said (0.0.0.0/0) or left to EKS's default", async () => {
        for (const vpcConfig of [
            { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] },
            { endpointPrivateAccess: true, endpointPublicAccess: true },
            { endpointPrivateAccess: true },
        ]) {
            assert.match(messages(await runResourcePolicy(p, eksCluster({ vpcConfig }))), /public API endpoint to the whole internet/, JSON.stringify(vpcConfig));
        }
    });
    it("fires on a cluster without a private endpoint", async () => {
        const v = await runResourcePolicy(p, eksCluster({ vpcConfig: { endpointPrivateAccess: false, endpointPublicAccess: false } }));
        assert.match(messages(v), /no private API endpoint/);
    });
    it("fires on a version outside standard support and on an unstated or extended support type", async () => {
        const listed = Object.keys(eksStandardSupport).join(", ");
        assert.ok(messages(await runResourcePolicy(p, eksCluster({ version: "1.31" }))).includes(`Kubernetes 1.31, outside EKS standard support as the program knows it (${listed})`));
        assert.match(messages(await runResourcePolicy(p, eksCluster({ upgradePolicy: null }))), /upgradePolicy\.supportType STANDARD/);
        assert.match(messages(await runResourcePolicy(p, eksCluster({ upgradePolicy: { supportType: "EXTENDED" } }))), /upgradePolicy\.supportType STANDARD/);
    });
});

describe("policy: nodes-require-imdsv2", () => {
    const p = nodesRequireImdsv2;
    const template = (metadataOptions?: Record<string, unknown>) => res(T.launchTemplate, "eks-nodes", metadataOptions ? { metadataOptions } : {});
    it("is quiet on the program's launch template and a node group that uses one", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, template({ ...nodeMetadataOptions })), []);
        assert.deepStrictEqual(await runResourcePolicy(p, res(T.eksNodeGroup, "eks-nodes", { launchTemplate: { id: "lt-1", version: "1" } })), []);
    });
    it("fires on optional tokens, a hop limit above 1, and on a template that says nothing", async () => {
        assert.match(messages(await runResourcePolicy(p, template({ httpTokens: "optional", httpPutResponseHopLimit: 1 }))), /httpTokens is "optional", not "required"/);
        assert.match(messages(await runResourcePolicy(p, template({ httpTokens: "required", httpPutResponseHopLimit: 2 }))), /httpPutResponseHopLimit is 2, not 1/);
        assert.strictEqual((await runResourcePolicy(p, template())).length, 1);
    });
    it("fires on a managed node group without a launch template", async () => {
        assert.match(messages(await runResourcePolicy(p, res(T.eksNodeGroup, "eks-nodes", { clusterName: "c" }))), /no launch template/);
    });
});

describe("policy: efs-tls-and-access-points", () => {
    const p = efsTlsAndAccessPoints;
    const fileSystem = res(T.efsFileSystem, "storage-efs", { encrypted: true });
    const policyOf = (policy: string) => res(T.efsFileSystemPolicy, "storage-efs", { fileSystemId: "fs-1", policy });
    it("is quiet on the program's file system policy", async () => {
        assert.deepStrictEqual(await runStackPolicy(p, [fileSystem, policyOf(efsFileSystemPolicy("arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1"))]), []);
    });
    it("fires on a policy that lets clients in without TLS or without an access point", async () => {
        const allowAll = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: "*" }] });
        const v = await runStackPolicy(p, [fileSystem, policyOf(allowAll)]);
        assert.match(messages(v), /lacks a Deny when aws:SecureTransport is false \(TLS\) and a Deny when elasticfilesystem:AccessPointArn is null/);
    });
    it("fires on a file system that has no policy at all", async () => {
        assert.match(messages(await runStackPolicy(p, [fileSystem])), /1 EFS file system\(s\) but 0 file system policy/);
    });
});

describe("policy: pod-identity-trust-scoped", () => {
    const p = podIdentityTrustScoped;
    const role = (assumeRolePolicy: string) => res(T.iamRole, "storage-efs-csi-node", { assumeRolePolicy });
    it("is quiet on the program's Pod Identity trust and on roles for other services", async () => {
        assert.deepStrictEqual(await runResourcePolicy(p, role(podIdentityTrust("arn:aws:eks:us-east-1:111122223333:cluster/agent-storage"))), []);
        const ec2 = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
        assert.deepStrictEqual(await runResourcePolicy(p, role(ec2)), []);
    });
    it("fires on a Pod Identity trust without aws:SourceAccount", async () => {
        const open = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: ["pods.eks.amazonaws.com"] }, Action: ["sts:AssumeRole", "sts:TagSession"] }] });
        assert.match(messages(await runResourcePolicy(p, role(open))), /lets pods\.eks\.amazonaws\.com assume it for any account/);
    });
});
