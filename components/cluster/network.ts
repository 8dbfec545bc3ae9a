/**
 * Subnet plan for a new EKS VPC: one public and one private /20 per availability zone,
 * carved from a /16. Pure, so the layout can be tested and reviewed in a diff.
 */
export interface SubnetPlan {
    zone: string;
    publicCidr: string;
    privateCidr: string;
}

/**
 * Public /20s take the lower half of the /16 (x.x.0.0 to x.x.112.0) and private ones the upper
 * half, so at most 8 zones fit.
 */
export const maxPlannedZones = 8;

export function planSubnets(vpcCidr: string, zones: string[]): SubnetPlan[] {
    const match = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(vpcCidr);
    if (!match) throw new Error(`agent-storage:eksVpcCidr must be a /16 like 10.40.0.0/16 (got ${vpcCidr})`);
    if (zones.length > maxPlannedZones) throw new Error(`agent-storage:eksAvailabilityZones: at most ${maxPlannedZones} zones fit the subnet plan`);
    const prefix = `${match[1]}.${match[2]}`;
    return zones.map((zone, i) => ({
        zone,
        publicCidr: `${prefix}.${i * 16}.0/20`,
        privateCidr: `${prefix}.${128 + i * 16}.0/20`,
    }));
}
