/**
 * Kubernetes quantities, as the program reads sizes from the config and capacities from the
 * API. The grammar is the API's (a number with an optional fraction and a binary suffix, a
 * decimal one or an exponent); the refresher's resizer reads it too, and both are tested
 * with the same vectors (workload/internal/volumeresize/testdata/quantities.json).
 */

const binaryShift: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
/** Beyond any storage size; the vectors pin the same bound on both sides. */
const maxExponent = 64;
const decimalExponent: Record<string, number> = { "": 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * Bytes for a Kubernetes quantity (`5Gi`, `500M`, `1e9`), or undefined if it is not a size
 * (negative sizes included). Computed exactly; a fraction of a byte rounds up, as the API
 * server's own value does.
 */
export function parseQuantity(value: string): number | undefined {
    // "E" alone is exa; "E" followed by a number is an exponent.
    const match = /^\+?(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/.exec(value);
    if (!match) return undefined;
    const whole = match[1] ?? "";
    const fraction = match[2] ?? match[3] ?? "";
    const suffix = match[4] ?? "";
    let numerator = BigInt(`${whole}${fraction}` || "0");
    let tens = -fraction.length;
    if (suffix in binaryShift) numerator <<= binaryShift[suffix];
    else if (suffix in decimalExponent) tens += decimalExponent[suffix];
    else if (Math.abs(Number(suffix.slice(1))) <= maxExponent) tens += Number(suffix.slice(1));
    else return undefined;
    let denominator = 1n;
    if (tens >= 0) numerator *= 10n ** BigInt(tens);
    else denominator = 10n ** BigInt(-tens);
    return Number((numerator + denominator - 1n) / denominator);
}
