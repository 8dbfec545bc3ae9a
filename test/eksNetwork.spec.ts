import * as assert from "assert";
import { buildOnce } from "./harness";

const eks = { target: "eks", awsRegion: "us-east-1" };
const zonesAbc = { ...eks, eksAvailabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] };
const zonesAc = { ...eks, eksAvailabilityZones: ["us-east-1a", "us-east-1c"] };

describe("EksNetwork", function () {
    // Each test builds a whole EKS stack against the mocks, which takes seconds on a busy machine.
    this.timeout(60_000);
    it("holds the VPC, its subnets, routes and gateways, apart from the cluster", async () => {
        const { cluster } = await buildOnce(eks);
        for (const type of ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"]) {
            const parents = new Set(cluster.ofType(type).map((r) => r.parent));
            assert.deepStrictEqual([...parents], ["network"], type);
        }
        assert.ok(cluster.urns.some((u) => u.endsWith("agent-storage:cluster:EksNetwork$aws:ec2/vpc:Vpc::network-vpc")), "under its own type token");
        assert.ok(cluster.urns.some((u) => u.endsWith("agent-storage:cluster:EksCluster$aws:eks/cluster:Cluster::eks-cluster")));
    });

    it("names each zone's subnets and route table associations after the zone", async () => {
        const { cluster } = await buildOnce(zonesAbc);
        assert.deepStrictEqual(cluster.ofType("aws:ec2/subnet:Subnet").map((s) => s.name).sort(), [
            "network-private-us-east-1a", "network-private-us-east-1b", "network-private-us-east-1c",
            "network-public-us-east-1a", "network-public-us-east-1b", "network-public-us-east-1c",
        ]);
        for (const s of cluster.ofType("aws:ec2/subnet:Subnet")) assert.ok(s.name.endsWith(s.inputs.availabilityZone), s.name);
    });

    it("keeps every other resource's URN and every other zone's subnets when a zone is removed", async () => {
        const before = (await buildOnce(zonesAbc)).cluster;
        const after = (await buildOnce(zonesAc)).cluster;
        const ofZoneB = (urn: string) => urn.endsWith("-us-east-1b");
        assert.ok(before.urns.filter(ofZoneB).length >= 5, "zone b had two subnets, two route table associations and a mount target");
        assert.deepStrictEqual([...after.urns].sort(), before.urns.filter((u) => !ofZoneB(u)).sort());
        const subnets = (c: typeof before) => Object.fromEntries(c.ofType("aws:ec2/subnet:Subnet").map((s) => [s.name, s.inputs.cidrBlock]));
        const kept = subnets(after);
        assert.deepStrictEqual(Object.keys(kept).length, 4);
        for (const [name, cidr] of Object.entries(kept)) assert.strictEqual(cidr, subnets(before)[name], `${name} keeps its CIDR, so it is not replaced`);
        const mountTargets = (c: typeof before) => c.ofType("aws:efs/mountTarget:MountTarget").map((m) => `${m.name} ${m.inputs.subnetId}`).sort();
        assert.deepStrictEqual(mountTargets(after), mountTargets(before).filter((m) => !m.startsWith("storage-efs-us-east-1b ")));
    });

    it("is not created for a VPC the user brings, whose subnets name the mount targets by id", async () => {
        const vpc = { ...eks, eksVpcId: "vpc-1", eksPublicSubnetIds: ["pub-1", "pub-2"] };
        const before = (await buildOnce({ ...vpc, eksPrivateSubnetIds: ["priv-1", "priv-2", "priv-3"] })).cluster;
        const after = (await buildOnce({ ...vpc, eksPrivateSubnetIds: ["priv-1", "priv-3"] })).cluster;
        assert.ok(!before.urns.some((u) => u.includes("EksNetwork")));
        const names = (c: typeof before) => c.ofType("aws:efs/mountTarget:MountTarget").map((m) => m.name);
        assert.deepStrictEqual(names(before), ["storage-efs-priv-1", "storage-efs-priv-2", "storage-efs-priv-3"]);
        assert.deepStrictEqual(names(after), ["storage-efs-priv-1", "storage-efs-priv-3"]);
    });
});
