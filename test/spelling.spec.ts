import * as assert from "assert";
import { closestMatch, editDistance } from "../stacks/spelling";

describe("spelling suggestions", () => {
    it("counts insertions, deletions and substitutions", () => {
        assert.strictEqual(editDistance("", ""), 0);
        assert.strictEqual(editDistance("kitten", "sitting"), 3);
        assert.strictEqual(editDistance("image", "images"), 1);
        assert.strictEqual(editDistance("abc", ""), 3);
    });

    it("suggests the closest candidate, ignoring case", () => {
        assert.strictEqual(closestMatch("inferenceReplica", ["inferenceReplicas", "keepVersions"]), "inferenceReplicas");
        assert.strictEqual(closestMatch("Namespace", ["namespace", "image"]), "namespace");
        assert.strictEqual(closestMatch("kubeconfigPath", ["kubeconfig", "kubeContext"]), "kubeconfig");
    });

    it("suggests nothing when no candidate is close", () => {
        assert.strictEqual(closestMatch("tag", ["target", "image"]), undefined);
        assert.strictEqual(closestMatch("replicas", ["inferenceReplicas"]), undefined);
        assert.strictEqual(closestMatch("anything", []), undefined);
    });
});
