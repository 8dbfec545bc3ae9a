/**
 * The refresher's schedule grammar (its Go package workload/internal/schedule), so that
 * `refreshSchedule` is checked before anything is created instead of by a generator that
 * then crash-loops. docs/refresh-protocol.md describes the grammar; both parsers are
 * tested with the same vectors (workload/internal/schedule/testdata/vectors.json). The
 * structure and the messages follow the Go code, to keep the two easy to compare.
 */

/** The shortest `@every` interval, as a Go duration (the refresher's MinEvery). */
const minEvery = "1m";

const descriptors = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

interface Field {
    name: string;
    min: number;
    max: number;
    /** The last value `*` and `a/n` reach: max, except day-of-week, whose 7 only repeats Sunday. */
    last: number;
    names?: Map<string, number>;
}

const monthNames = new Map(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map((n, i) => [n, i + 1]));
const dowNames = new Map(["sun", "mon", "tue", "wed", "thu", "fri", "sat"].map((n, i) => [n, i]));
const fields: Field[] = [
    { name: "minute", min: 0, max: 59, last: 59 },
    { name: "hour", min: 0, max: 23, last: 23 },
    { name: "day-of-month", min: 1, max: 31, last: 31 },
    { name: "month", min: 1, max: 12, last: 12, names: monthNames },
    { name: "day-of-week", min: 0, max: 7, last: 6, names: dowNames },
];

// Only spaces and tabs are blanks, and only A-Z fold to a-z: other white space and
// Unicode case mappings differ between Go and JavaScript.
const blanks = /^[ \t]+|[ \t]+$/g;
const lowerAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const isLetter = (c: string) => /^[a-zA-Z]$/.test(c);
const isDigits = (s: string) => /^[0-9]+$/.test(s);

/** Why `spec` is not a schedule the refresher accepts, or undefined if it is one. */
export function scheduleProblem(spec: string): string | undefined {
    const s = spec.replace(blanks, "");
    if (s === "") return "empty schedule";
    // "@every6h" is an @every without its space; "@everyday" an unknown descriptor.
    const n = "@every".length;
    if (s.length >= n && lowerAscii(s.slice(0, n)) === "@every" && !(s.length > n && isLetter(s[n]))) {
        return everyProblem(s.slice(n));
    }
    if (s.startsWith("@")) {
        return descriptors.has(lowerAscii(s)) ? undefined
            : "unknown descriptor (use @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>)";
    }
    return cronProblem(s);
}

function everyProblem(rest: string): string | undefined {
    const dur = rest.replace(blanks, "");
    if (dur === "") return `@every needs a duration, e.g. "@every 6h"`;
    if (rest[0] !== " " && rest[0] !== "\t") return `put a space between @every and its duration, e.g. "@every 6h"`;
    const d = parseGoDuration(dur);
    if (d === undefined) return `time: invalid duration "${dur}"`;
    if (d < parseGoDuration(minEvery)!) return `interval ${dur} is shorter than the minimum, ${minEvery}`;
    return undefined;
}

const units = new Map<string, bigint>([
    ["ns", 1n], ["us", 1000n], ["\u00b5s", 1000n], ["\u03bcs", 1000n], ["ms", 1000000n],
    ["s", 1000000000n], ["m", 60000000000n], ["h", 3600000000000n],
]);
const two63 = 1n << 63n;

/**
 * Go's time.ParseDuration in nanoseconds, or undefined where it fails. A port of Go's
 * own algorithm, down to its float64 step for fractions, so that the limits (zero,
 * overflow, fractions that round to the minimum) fall exactly where Go puts them.
 */
export function parseGoDuration(text: string): bigint | undefined {
    let s = text;
    let neg = false;
    if (s[0] === "-" || s[0] === "+") {
        neg = s[0] === "-";
        s = s.slice(1);
    }
    if (s === "0") return 0n;
    if (s === "") return undefined;
    const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
    let d = 0n;
    while (s !== "") {
        if (!(s[0] === "." || digit(s[0]))) return undefined;
        let v = 0n;
        let i = 0;
        for (; digit(s[i]); i++) {
            if (v > two63 / 10n) return undefined;
            v = v * 10n + BigInt(s.charCodeAt(i) - 48);
            if (v > two63) return undefined;
        }
        const pre = i > 0;
        s = s.slice(i);
        let f = 0n;
        let scale = 1;
        let post = false;
        if (s[0] === ".") {
            s = s.slice(1);
            let j = 0;
            let overflow = false;
            for (; digit(s[j]); j++) {
                if (overflow) continue;
                if (f > (two63 - 1n) / 10n) {
                    overflow = true;
                    continue;
                }
                const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
                if (y > two63) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = j > 0;
            s = s.slice(j);
        }
        if (!pre && !post) return undefined;
        let k = 0;
        while (k < s.length && s[k] !== "." && !digit(s[k])) k++;
        if (k === 0) return undefined;
        const unit = units.get(s.slice(0, k));
        s = s.slice(k);
        if (unit === undefined || v > two63 / unit) return undefined;
        v *= unit;
        if (f > 0n) {
            v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
            if (v > two63) return undefined;
        }
        d += v;
        if (d > two63) return undefined;
    }
    if (neg) return -d;
    return d > two63 - 1n ? undefined : d;
}

function cronProblem(s: string): string | undefined {
    const parts = s.split(/[ \t]+/);
    if (parts.length !== 5) {
        return `want 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
    }
    const sets: Set<number>[] = [];
    for (let i = 0; i < 5; i++) {
        const p = parts[i] === "?" && (i === 2 || i === 4) ? "*" : parts[i]; // "no particular day"
        const r = parseField(p, fields[i]);
        if (typeof r === "string") return r;
        sets.push(r);
    }
    const domStar = parts[2] === "*" || parts[2] === "?";
    const dowStar = parts[4] === "*" || parts[4] === "?";
    if (!domStar && dowStar && !anyDayPossible(sets[2], sets[3])) {
        return `day-of-month "${parts[2]}" never occurs in month "${parts[3]}"`;
    }
    return undefined;
}

function anyDayPossible(dom: Set<number>, month: Set<number>): boolean {
    const days = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for (let m = 1; m <= 12; m++) {
        if (!month.has(m)) continue;
        for (let d = 1; d <= days[m]; d++) if (dom.has(d)) return true;
    }
    return false;
}

/** The values a field selects, or why it is wrong. */
function parseField(s: string, f: Field): Set<number> | string {
    const set = new Set<number>();
    for (const item of s.split(",")) {
        if (item === "") return `${f.name}: empty list item in "${s}"`;
        if (item.includes("?")) return `${f.name}: "?" may only stand alone for a whole day-of-month or day-of-week field`;
        const slash = item.indexOf("/");
        const rng = slash < 0 ? item : item.slice(0, slash);
        const stepStr = slash < 0 ? undefined : item.slice(slash + 1);
        let step = 1;
        if (stepStr !== undefined) {
            const n = Number(stepStr);
            if (!isDigits(stepStr) || n <= 0) return `${f.name}: bad step "${stepStr}" in "${item}"`;
            if (n > f.last - f.min) {
                return `${f.name}: step ${stepStr} in "${item}" is over ${f.last - f.min}, so it selects one value only (for longer intervals use @every)`;
            }
            step = n;
        }
        let lo: number;
        let hi: number;
        if (rng === "*") {
            [lo, hi] = [f.min, f.last];
        } else if (rng.includes("-")) {
            const dash = rng.indexOf("-");
            const a = value(rng.slice(0, dash), f);
            if (typeof a === "string") return a;
            const b = value(rng.slice(dash + 1), f);
            if (typeof b === "string") return b;
            if (a > b) return `${f.name}: range "${rng}" runs backwards`;
            [lo, hi] = [a, b];
        } else {
            const v = value(rng, f);
            if (typeof v === "string") return v;
            [lo, hi] = [v, stepStr !== undefined ? f.last : v]; // "a/n": a through the last value
        }
        for (let v = lo; v <= hi; v += step) set.add(v);
    }
    if (set.size === 0) return `${f.name}: "${s}" selects no value`;
    return set;
}

function value(s: string, f: Field): number | string {
    const named = f.names?.get(lowerAscii(s));
    if (named !== undefined) return named;
    if (!isDigits(s)) return `${f.name}: "${s}" is not a number`;
    const v = Number(s);
    if (v < f.min || v > f.max) return `${f.name}: ${s} out of range ${f.min}-${f.max}`;
    return v;
}
