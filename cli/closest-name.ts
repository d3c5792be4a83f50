// The name a typo most likely meant: `strat` -> start, `--limt` -> --limit, `hots` -> host.

/** Edits (insert, delete, change, swap two neighbours) between two words. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  return rows[a.length][b.length];
}

/**
 * The one candidate closest to `word` within a typo's reach (one edit in a short word, two in a
 * longer one, or the word's start: `exp` -> export); null when none is, or two are as close.
 */
export function closestName(word: string, candidates: readonly string[]): string | null {
  const typed = word.toLowerCase();
  if (!typed) return null;
  const reach = typed.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tie = false;
  for (const candidate of candidates) {
    const d = distance(typed, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) tie = true;
  }
  if (best !== null && bestDistance <= reach && !tie) return best;
  const starting = candidates.filter((c) => typed.length >= 3 && c.toLowerCase().startsWith(typed));
  return starting.length === 1 ? starting[0] : null;
}
