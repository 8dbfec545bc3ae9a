/**
 * "Did you mean" for misspelt names. Hand-written rather than a package: none of the edit
 * distance libraries is among this project's dependencies, and the textbook dynamic programme
 * below is all a few dozen short key names need.
 */

/** Levenshtein distance: single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The candidate closest to `name`, ignoring case, or undefined when none is close: at most
 * two edits, or 40% of the name's length for longer names, so that a short unrelated word
 * is not "corrected" into a key while a long key with a few slips still is.
 */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
    const limit = Math.max(2, Math.floor(name.length * 0.4));
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
        if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
    }
    return best?.candidate;
}
