import * as assert from "assert";
import { ConfigError } from "../components/problems";
import { assertReadOnlyReaders, checkReaderMounts, inferencePodSpec } from "../components/workloads";

const budget = { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1m", memory: "1Mi" } };

describe("read-only readers", () => {
    it("accepts the inference pod spec the program builds", () => {
        const spec = inferencePodSpec({ image: "img", embeddingsClaim: "embeddings", resources: budget });
        assert.deepStrictEqual(checkReaderMounts("inference", "embeddings", spec), []);
    });

    it("rejects a reader whose pod volume is not read-only", () => {
        const spec = {
            volumes: [{ name: "e", persistentVolumeClaim: { claimName: "embeddings" } }],
            containers: [{ name: "c", volumeMounts: [{ name: "e", readOnly: true }] }],
        };
        const [p] = checkReaderMounts("inference", "embeddings", spec);
        assert.strictEqual(p.key, "inference.volumes[e].persistentVolumeClaim.readOnly");
    });

    it("rejects a reader container that mounts the claim writable even when the volume is read-only", () => {
        const spec = {
            volumes: [{ name: "e", persistentVolumeClaim: { claimName: "embeddings", readOnly: true } }],
            containers: [{ name: "ok", volumeMounts: [{ name: "e", readOnly: true }] }, { name: "sidecar", volumeMounts: [{ name: "e" }] }],
        };
        const problems = checkReaderMounts("inference", "embeddings", spec);
        assert.deepStrictEqual(problems.map((p) => p.key), ["inference.containers[sidecar].volumeMounts[e].readOnly"]);
        assert.throws(() => assertReadOnlyReaders("inference", "embeddings", spec), ConfigError);
    });

    it("rejects a reader that does not mount the embeddings at all", () => {
        assert.match(checkReaderMounts("inference", "embeddings", { volumes: [], containers: [] })[0].message, /does not mount/);
    });
});
