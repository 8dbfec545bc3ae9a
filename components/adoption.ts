/**
 * Annotations for objects that outlive `pulumi destroy` (the namespace, data claims, static
 * volumes) and are adopted again by the next `pulumi up`.
 *
 * The Kubernetes provider applies each resource under its own server-side-apply field manager
 * (`pulumi-kubernetes-<random>`). A kept object still lists the destroyed resource's manager
 * as co-owner of every field, so the adopting resource's first change to such a field (say
 * `deleteDataOnDestroy` flipping the claim's annotation) fails with a field conflict against
 * a manager that no longer exists. Forcing the apply makes the live stack the only owner.
 */
export const adoptableAnnotations: Readonly<Record<string, string>> = { "pulumi.com/patchForce": "true" };
