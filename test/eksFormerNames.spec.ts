import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "../stacks";
import { Constructed, MockCluster, buildOnce, fixturesDir, valueOf } from "./harness";

/** What an EKS stack owned before EksNetwork, per configuration (how it was listed: its description). */
/**
 * Resources of the old shape that later changes replaced on purpose, where losing the old one
 * loses nothing: the volumes' reclaim patch became a dynamic resource (the Kubernetes
 * provider's PersistentVolumePatch cannot be previewed before the volume is known), and the
 * old patch was kept on delete, so the volume keeps its policy until the new one patches it.
 */
const replacedOnPurpose = /\$kubernetes:core\/v1:PersistentVolumePatch::/;

const before: { stacks: Record<string, { config: RawConfig; urns: string[]; subnetCidrs?: Record<string, string> }> } =
    JSON.parse(fs.readFileSync(path.join(fixturesDir, "eks-urns-before-network.json"), "utf8"));

/**
 * URNs as the engine forms them, which the mocks do not: the types of every parent but the root
 * stack, joined by `$`, then the resource's own type and name.
 */
function engineUrns(cluster: MockCluster) {
    const byResource = new Map(cluster.constructed.map((c) => [c.resource, c]));
    const typeChain = (parent: pulumi.Resource | undefined, type: string): string => {
        const p = parent && byResource.get(parent);
        return p ? `${typeChain(p.parent, p.type)}$${type}` : type;
    };
    const urn = (chain: string, name: string) => `urn:pulumi:test::agent-storage::${chain}::${name}`;
    const current = (c: Constructed) => urn(typeChain(c.parent, c.type), c.name);
    const text = (value: pulumi.Input<string>) => valueOf(pulumi.output(value));

    /** The URN an alias stands for: what it leaves out is the resource's own of today. */
    async function aliasUrn(c: Constructed, alias: pulumi.Input<string | pulumi.Alias>): Promise<string> {
        const resolved = pulumi.Output.isInstance(alias) || typeof alias === "string" ? await valueOf(alias) : await alias;
        if (typeof resolved === "string") return resolved;
        assert.strictEqual(resolved.stack, undefined, "aliases stay in their stack");
        assert.strictEqual(resolved.project, undefined, "aliases stay in their project");
        const name = await text(resolved.name ?? c.name);
        const type = await text(resolved.type ?? c.type);
        if (!("parent" in resolved)) return urn(typeChain(c.parent, type), name);
        if (resolved.parent === undefined || pulumi.Resource.isInstance(resolved.parent)) return urn(typeChain(resolved.parent, type), name);
        const parentUrn = await text(resolved.parent);
        const parentChain = parentUrn.split("::")[2];
        return urn(parentChain === "pulumi:pulumi:Stack" ? type : `${parentChain}$${type}`, name);
    }

    return Promise.all(cluster.constructed.filter((c) => !c.read).map(async (c) => ({
        type: c.type,
        name: c.name,
        urn: current(c),
        aliases: await Promise.all((c.aliases ?? []).map((a) => aliasUrn(c, a))),
    })));
}

describe("EKS stacks deployed before EksNetwork", function () {
    // Each test builds a whole EKS stack against the mocks, which takes seconds on a busy machine.
    this.timeout(60_000);

    for (const [key, { config, urns }] of Object.entries(before.stacks)) {
        it(`keeps every resource of such a stack (${key}): each former URN is one resource's URN of today or its alias`, async () => {
            const today = await engineUrns((await buildOnce(config)).cluster);
            const lost = urns.filter((old) => !replacedOnPurpose.test(old))
                .filter((old) => today.filter((r) => r.urn === old || r.aliases.includes(old)).length !== 1);
            assert.deepStrictEqual(lost, [], "former URNs that no resource, or more than one, takes over");
            assert.ok(today.some((r) => r.aliases.length > 0), "some resource does carry an alias");
        });
    }

    it("gives each subnet of such a stack the CIDR it had, so the subnet is updated in place, not replaced", async () => {
        for (const [key, { config, subnetCidrs }] of Object.entries(before.stacks)) {
            if (subnetCidrs === undefined) continue;
            const { cluster } = await buildOnce(config);
            const subnets = (await engineUrns(cluster)).filter((r) => r.type === "aws:ec2/subnet:Subnet");
            const now = Object.fromEntries(subnets.flatMap((r) => r.aliases.map((a) => [a.split("::").pop(),
                cluster.one(r.type, (s) => s.name === r.name).inputs.cidrBlock])));
            assert.deepStrictEqual(now, subnetCidrs, key);
        }
    });

    it("aliases no resource to a URN that another resource has today", async () => {
        for (const { config } of Object.values(before.stacks)) {
            const today = await engineUrns((await buildOnce(config)).cluster);
            const current = new Set(today.map((r) => r.urn));
            assert.deepStrictEqual(today.flatMap((r) => r.aliases.filter((a) => current.has(a))), []);
        }
    });
});
