// JSON nested a few thousand levels deep overflows the stack of any recursive walk, and of
// JSON.stringify (RangeError: Maximum call stack size exceeded), while JSON.parse copes: a relay
// or an imported HAR can send such a body. Bodies deeper than this are read as text, never
// walked as JSON.

/** The deepest JSON wirelog reads as JSON (model calls, comparisons); deeper is text. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether JSON text opens more than `limit` objects or arrays inside one another: an iterative
 * scan that jumps over strings (a chat request's text costs next to nothing; JSON.parse of it
 * costs about 25 times more).
 */
export function nestedDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  // Each level takes at least one character.
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string ends at the first quote after it that an even run of backslashes precedes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return false;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
