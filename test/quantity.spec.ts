import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseQuantity } from "../components/kubeapi";

/** The storage-size grammar, as test vectors the refresher's Go parser is tested with too. */
interface Vector { quantity: string; bytes?: string; invalid?: string }
const vectorsFile = path.join(__dirname, "..", "workload", "internal", "volumeresize", "testdata", "quantities.json");

describe("Kubernetes quantities (parseQuantity)", () => {
    const vectors: Vector[] = JSON.parse(fs.readFileSync(vectorsFile, "utf8"));

    it("reads every valid size of the shared vectors to the exact bytes the resizer reads", () => {
        const valid = vectors.filter((v) => v.bytes !== undefined);
        assert.ok(valid.length >= 30, `only ${valid.length} valid vectors`);
        for (const v of valid) {
            // Every vector's bytes fit a double exactly, so the comparison is exact.
            assert.strictEqual(BigInt(Number(v.bytes)), BigInt(v.bytes!), `${v.bytes} is exact as a number`);
            assert.strictEqual(parseQuantity(v.quantity), Number(v.bytes), v.quantity);
        }
    });

    it("refuses every invalid size of the shared vectors", () => {
        const invalid = vectors.filter((v) => v.invalid !== undefined);
        assert.ok(invalid.length >= 10, `only ${invalid.length} invalid vectors`);
        for (const v of invalid) assert.strictEqual(parseQuantity(v.quantity), undefined, `${v.quantity} (${v.invalid})`);
    });
});
