import * as assert from "assert";
import { defaults } from "../stacks";
import { imageReferenceError } from "../stacks/imageReference";

const ff = (n: number) => "f".repeat(n);

// Examples from the distribution project's reference tests (the grammar's own), plus the
// mistakes people make when typing an image into config.
describe("image references", () => {
    it("accepts every image the program names by default", () => {
        for (const image of [defaults.image, defaults.kindNodeImage, defaults.localKindNodeImage, defaults.kindSharedPathImage]) {
            assert.strictEqual(imageReferenceError(image), undefined, image);
        }
    });

    it("accepts the grammar's valid examples", () => {
        for (const ref of [
            "test_com", "test.com:tag", "test.com:5000", "test.com/repo:tag", "test:5000/repo", "test:5000/repo:tag",
            `test:5000/repo@sha256:${ff(64)}`, `test:5000/repo:tag@sha256:${ff(64)}`,
            "lowercase:Uppercase", "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "b.gcr.io/test.example.com/my-app:test.example.com",
            `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${ff(128)}`, "foo_bar.com:8080", "foo/foo_bar.com:8080",
            "192.168.1.1", "192.168.1.1:5000/repo:5050", "[2001:db8::1]/repo", "[2001:db8::1]:5000/repo:tag", "[::1]:5000/repo",
            `${"a/".repeat(127)}a:tag-puts-this-over-max`, `example.com/${"a".repeat(255)}:tag`,
            "ubuntu", "library/ubuntu:24.04", "localhost/agent-storage/workload:0.1.0", "ghcr.io/org/a__b--c.d:1",
        ]) {
            assert.strictEqual(imageReferenceError(ref), undefined, ref);
        }
    });

    it("refuses the grammar's invalid examples, saying what is wrong", () => {
        const cases: [string, RegExp][] = [
            ["", /empty/],
            [":justtag", /no repository name/],
            [`@sha256:${ff(64)}`, /no repository name/],
            [`repo@sha256:${ff(34)}`, /sha256 digest is 64 lower-case hex digits/],
            [`validname@invaliddigest:${ff(64)}`, /algorithm "invaliddigest" is not one registries use/],
            ["Uppercase:tag", /repository "Uppercase" has upper-case letters/],
            ["test:5000/Uppercase/lowercase:tag", /repository "Uppercase\/lowercase" has upper-case letters/],
            [`domain/${"a".repeat(256)}:tag`, /longer than 255/],
            ["aa/asdf$$^/aa", /"asdf\$\$\^" is not a valid repository path component/],
            ["[2001:db8::1]", /tag "1\]" is not valid/],
            ["[fe80::1%eth0]:5000/repo", /registry "\[fe80::1%eth0\]:5000" is not a host name/],
        ];
        for (const [ref, reason] of cases) assert.match(imageReferenceError(ref) ?? "(accepted)", reason, ref);
    });

    it("refuses spaces, a ':' without a tag, a bad tag and empty path components", () => {
        assert.match(imageReferenceError("my image:1")!, /white space/);
        assert.match(imageReferenceError(" ")!, /empty/);
        assert.match(imageReferenceError("registry.example.com/app:")!, /':' with no tag/);
        assert.match(imageReferenceError("app:.hidden")!, /tag ".hidden" is not valid/);
        assert.match(imageReferenceError(`app:${"t".repeat(129)}`)!, /at most 128/);
        assert.match(imageReferenceError("registry.example.com//app")!, /empty path component/);
        assert.match(imageReferenceError("app/")!, /empty path component/);
        assert.match(imageReferenceError("app@sha256")!, /is not algorithm:hex/);
        assert.match(imageReferenceError(`app@sha256:${ff(64).toUpperCase()}`)!, /lower-case hex/);
        assert.match(imageReferenceError(ff(64).replace(/f/g, "a"))!, /image id/);
    });
});
