import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { zoneSlot } from "./eksFacts";
import { partOf, partOfLabel } from "../labels";

/** One zone's share of a new VPC: a public and a private /20 carved from the /16. */
export interface SubnetPlan {
    zone: string;
    publicCidr: string;
    privateCidr: string;
}

/**
 * Subnet plan for a new EKS VPC. Each zone's CIDRs follow from its letter, not from its place
 * in the list, so adding or removing a zone leaves the other zones' subnets as they are (a
 * subnet's CIDR cannot change in place). Pure, so the layout can be tested and reviewed.
 */
export function planSubnets(vpcCidr: string, zones: string[]): SubnetPlan[] {
    const match = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(vpcCidr);
    if (!match) throw new Error(`agent-storage:eksVpcCidr must be a /16 like 10.40.0.0/16 (got ${vpcCidr})`);
    const prefix = `${match[1]}.${match[2]}`;
    return zones.map((zone) => {
        const slot = zoneSlot(zone);
        if (slot === undefined) throw new Error(`agent-storage:eksAvailabilityZones: ${zone} does not end in a zone letter a to h`);
        return { zone, publicCidr: `${prefix}.${slot * 16}.0/20`, privateCidr: `${prefix}.${128 + slot * 16}.0/20` };
    });
}

export interface EksNetworkArgs {
    /** Names the VPC (its Name tag) and tags every resource with the cluster it serves. */
    clusterName: string;
    /** The VPC's /16; each zone gets one public and one private /20 of it (see planSubnets). */
    vpcCidr: string;
    /**
     * At least two zones of the stack's region, each once. Every zone's resources are named
     * after the zone, so removing one leaves the others untouched. The NAT gateway sits in the
     * first zone.
     */
    availabilityZones: string[];
}

/**
 * A VPC for an EKS cluster: per zone a public subnet (load balancers) and a private one (nodes,
 * EFS mount targets), one internet gateway, and one NAT gateway for the private subnets'
 * egress. Kept apart from the cluster, so a stack can bring its own VPC instead.
 */
export class EksNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    /** Private subnet ids by zone: nodes and EFS mount targets go there. */
    public readonly privateSubnets: Record<string, pulumi.Output<string>>;
    /** Public subnet ids by zone: internet-facing load balancers go there. */
    public readonly publicSubnets: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: EksNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agent-storage:cluster:EksNetwork", name, {}, opts);
        const tags = { [partOfLabel]: partOf, cluster: args.clusterName };
        const plan = planSubnets(args.vpcCidr, args.availabilityZones);

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: args.clusterName },
        }, { parent: this });
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent: this });
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
            vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags,
        }, { parent: this });
        const publicSubnets = plan.map((p) => {
            const subnet = new aws.ec2.Subnet(`${name}-public-${p.zone}`, {
                vpcId: vpc.id, cidrBlock: p.publicCidr, availabilityZone: p.zone, mapPublicIpOnLaunch: true,
                tags: { ...tags, Name: `${args.clusterName}-public-${p.zone}`, "kubernetes.io/role/elb": "1" },
            }, { parent: this });
            new aws.ec2.RouteTableAssociation(`${name}-public-${p.zone}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, { parent: this });
            return subnet;
        });
        // One NAT gateway keeps a small stack cheap; nodes lose egress if its zone fails.
        const natIp = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags }, { parent: this });
        const nat = new aws.ec2.NatGateway(`${name}-nat`, {
            allocationId: natIp.id, subnetId: publicSubnets[0].id, tags,
        }, { parent: this, dependsOn: [igw] });
        const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, {
            vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags,
        }, { parent: this });
        const privateSubnets = plan.map((p) => {
            const subnet = new aws.ec2.Subnet(`${name}-private-${p.zone}`, {
                vpcId: vpc.id, cidrBlock: p.privateCidr, availabilityZone: p.zone,
                tags: { ...tags, Name: `${args.clusterName}-private-${p.zone}`, "kubernetes.io/role/internal-elb": "1" },
            }, { parent: this });
            new aws.ec2.RouteTableAssociation(`${name}-private-${p.zone}`, { subnetId: subnet.id, routeTableId: privateRoutes.id }, { parent: this });
            return subnet;
        });

        this.vpcId = vpc.id;
        this.publicSubnets = Object.fromEntries(plan.map((p, i) => [p.zone, publicSubnets[i].id]));
        this.privateSubnets = Object.fromEntries(plan.map((p, i) => [p.zone, privateSubnets[i].id]));
        this.registerOutputs({ vpcId: this.vpcId, publicSubnets: this.publicSubnets, privateSubnets: this.privateSubnets });
    }
}
