/**
 * Image references as Docker, containerd and kind parse them: the grammar of the distribution
 * project's reference package (`[host[:port]/]path[:tag][@digest]`), with its rule for telling
 * a registry host from the first path component. Written out here because no parser of that
 * grammar is among this project's dependencies, and the grammar is a handful of expressions.
 */

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const registryHost = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const tagPattern = /^\w[\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Digest algorithms registries accept, with the length of their lower-case hex value. */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const maxRepositoryLength = 255;

/** Why `ref` is not an image reference, or undefined when it is one. */
export function imageReferenceError(ref: string): string | undefined {
    if (ref.trim() === "") return "it is empty";
    if (/\s/.test(ref)) return "it contains white space";
    if (/^[a-f0-9]{64}$/.test(ref)) return "it is an image id, not a name (give repository:tag or repository@sha256:...)";

    let name = ref;
    const at = ref.indexOf("@");
    if (at >= 0) {
        name = ref.slice(0, at);
        const digest = ref.slice(at + 1);
        if (!digestPattern.test(digest)) return `the digest "${digest}" is not algorithm:hex (e.g. sha256: and 64 hex digits)`;
        const [algorithm, hex] = digest.split(":");
        const length = digestHexLength[algorithm];
        if (length === undefined) return `the digest algorithm "${algorithm}" is not one registries use (${Object.keys(digestHexLength).join(", ")})`;
        if (!new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) return `a ${algorithm} digest is ${length} lower-case hex digits`;
    }

    const colon = name.lastIndexOf(":");
    if (colon > name.lastIndexOf("/")) {
        const tag = name.slice(colon + 1);
        name = name.slice(0, colon);
        if (tag === "") return "it has a ':' with no tag after it";
        if (!tagPattern.test(tag)) return `the tag "${tag}" is not valid: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters`;
    }
    if (name === "") return "it has no repository name";

    // Docker's rule: the first component names a registry when it has a '.' or a ':', is
    // localhost, or has upper case (repository paths may not); otherwise it is part of the path.
    const slash = name.indexOf("/");
    const first = slash < 0 ? "" : name.slice(0, slash);
    const hasHost = slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
    const repository = hasHost ? name.slice(slash + 1) : name;
    if (hasHost && !registryHost.test(first)) return `the registry "${first}" is not a host name or [IPv6 address] with an optional :port`;
    if (repository !== repository.toLowerCase()) return `the repository "${repository}" has upper-case letters; repository names are lower case`;
    const bad = repository.split("/").find((c) => !pathComponent.test(c));
    if (bad === "") return "the repository has an empty path component ('//', or '/' at an end)";
    if (bad !== undefined) return `"${bad}" is not a valid repository path component: lower-case letters and digits, separated by '.', '_', '__' or '-'`;
    if (repository.length > maxRepositoryLength) return `the repository name is longer than ${maxRepositoryLength} characters`;
    return undefined;
}
