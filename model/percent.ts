/**
 * Percent-decoding that never throws on captured text. `decodeURIComponent` throws on a
 * malformed escape (`%E0%A4%A`, a lone `%`), and one such URL in a capture made its detail page
 * answer 500. Each run of escapes that is valid UTF-8 is decoded; anything else is kept as it
 * was written, so what is shown is still what was sent.
 */
export function percentDecoded(text: string, plusIsSpace = false): string {
  const spaced = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  return spaced.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return decodeValidPrefixes(run);
    }
  });
}

/** A run with invalid UTF-8 in it: the longest valid pieces decoded, each invalid escape kept. */
function decodeValidPrefixes(run: string): string {
  let out = '';
  let rest = run;
  while (rest.length > 0) {
    let taken = 0;
    // The longest decodable prefix, at most one UTF-8 sequence (4 bytes) past a failure.
    for (let bytes = Math.min(4, rest.length / 3); bytes >= 1; bytes--) {
      try {
        out += decodeURIComponent(rest.slice(0, bytes * 3));
        taken = bytes * 3;
        break;
      } catch {
        // a shorter one
      }
    }
    if (taken === 0) {
      out += rest.slice(0, 3);
      taken = 3;
    }
    rest = rest.slice(taken);
  }
  return out;
}
