import * as assert from "assert";
import { canServe, capabilitiesOf, sharedPathProvisioner, spansNodes } from "../components/storage";

// Pins the provisioner facts the program relies on (their sources: components/storage/capabilities.ts).
describe("provisioner capabilities", () => {
    it("local-path serves one node only: ReadWriteOnce and ReadWriteOncePod", () => {
        assert.deepStrictEqual([...capabilitiesOf("rancher.io/local-path")!.accessModes], ["ReadWriteOnce", "ReadWriteOncePod"]);
        assert.strictEqual(canServe("rancher.io/local-path", "ReadWriteMany"), false);
        assert.strictEqual(canServe("rancher.io/local-path", "ReadOnlyMany"), false);
    });

    it("EBS never serves ReadOnlyMany or ReadWriteMany in filesystem mode", () => {
        assert.strictEqual(canServe("ebs.csi.aws.com", "ReadOnlyMany"), false);
        assert.strictEqual(canServe("ebs.csi.aws.com", "ReadWriteMany"), false);
        assert.strictEqual(canServe("ebs.csi.aws.com", "ReadWriteOncePod"), true);
    });

    it("EFS serves ReadWriteMany but refuses ReadOnlyMany", () => {
        assert.strictEqual(canServe("efs.csi.aws.com", "ReadWriteMany"), true);
        assert.strictEqual(canServe("efs.csi.aws.com", "ReadOnlyMany"), false);
    });

    it("kind's shared-path class serves every node and every mode (a folder has no attach step), bound at once", () => {
        const caps = capabilitiesOf(sharedPathProvisioner)!;
        assert.strictEqual(sharedPathProvisioner, "agent-storage.dev/shared-path");
        assert.deepStrictEqual([...caps.accessModes], ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"]);
        assert.strictEqual(caps.bindingMode, "Immediate");
        assert.match(caps.note, /stands for EFS/);
    });

    it("a static no-provisioner volume carries any mode label", () => {
        for (const mode of ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"] as const) {
            assert.strictEqual(canServe("kubernetes.io/no-provisioner", mode), true);
        }
    });

    it("counts a class as spanning nodes when it serves ReadWriteMany, never a static volume (a folder on one node)", () => {
        assert.deepStrictEqual(["efs.csi.aws.com", sharedPathProvisioner, "rancher.io/local-path", "ebs.csi.aws.com", "kubernetes.io/no-provisioner", "example.com/nfs"]
            .map(spansNodes), [true, true, false, false, false, false]);
    });

    it("gives no verdict on an unknown provisioner", () => {
        assert.strictEqual(canServe("example.com/nfs", "ReadWriteMany"), undefined);
    });
});
