import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkSchedule, formatProblems } from "../stacks";

/** The refresher's schedule grammar, as test vectors its Go parser is tested with too. */
interface Vector { schedule: string; valid: boolean; why: string }
const vectorsFile = path.join(__dirname, "..", "workload", "internal", "schedule", "testdata", "vectors.json");

describe("refreshSchedule", () => {
    const vectors: Vector[] = JSON.parse(fs.readFileSync(vectorsFile, "utf8"));

    it("accepts exactly the schedules the refresher accepts (shared test vectors)", () => {
        assert.ok(vectors.length >= 100, `only ${vectors.length} vectors`);
        const wrong = vectors
            .map((v) => ({ v, problems: checkSchedule(v.schedule) }))
            .filter(({ v, problems }) => (problems.length === 0) !== v.valid)
            .map(({ v, problems }) => `${JSON.stringify(v.schedule)} should be ${v.valid ? "accepted" : "refused"} (${v.why})` +
                (problems.length ? `; got: ${problems[0].message}` : ""));
        assert.deepStrictEqual(wrong, []);
    });

    it("names the key, says why and gives a fix to copy", () => {
        const problems = checkSchedule("61 * * * *");
        assert.strictEqual(problems.length, 1);
        const text = formatProblems(problems);
        assert.match(text, /agent-storage:refreshSchedule: "61 \* \* \* \*" is not a schedule: minute: 61 out of range 0-59/);
        assert.match(text, /fix: pulumi config set agent-storage:refreshSchedule "0 3 \* \* 0"/);
    });

    it("explains a too-short @every with the minimum", () => {
        assert.match(checkSchedule("@every 0s")[0].message, /interval 0s is shorter than the minimum, 1m/);
    });
});
