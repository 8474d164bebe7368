/** "Did you mean": the candidate closest to a mistyped word by edit distance, when close enough to be a typo. */

/**
 * Within `maxDistance` edits; by default a third of the length (at least 1, at most 3): `apt-pinn`, `pip_pin`,
 * `--dry-rn`, `DL3080`. Case is ignored; the candidate is returned as written.
 */
export function nearest(word: string, candidates: readonly string[], maxDistance = Math.min(3, Math.max(1, Math.floor(word.length / 3)))): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= maxDistance ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
