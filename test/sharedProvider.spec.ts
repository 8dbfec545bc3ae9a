import * as assert from "assert";
import { sharedProvider } from "../components/sharedProvider";

describe("sharedProvider", () => {
    it("makes the provider once and hands every resource that very object, so the SDK serializes it once", () => {
        let made = 0;
        const provider = sharedProvider(() => ({ n: ++made }));
        assert.strictEqual(provider(), provider());
        assert.strictEqual(made, 1);
    });
});
