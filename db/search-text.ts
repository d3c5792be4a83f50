// What the search index holds of a text, and what a typed search asks of it: one module for
// both sides, so that a query is cut into the very tokens its text was cut into.
//
// FTS5's unicode61 tokenizer splits on spaces and punctuation; Chinese and Japanese are written
// without spaces, so an unspaced run (检查令牌和渠道) was one token and 令牌 found nothing.
// Here every such run is written as its overlapping pairs of characters (检查 查令 令牌 牌和 和渠
// 渠道) plus its last character alone: any two or more characters of it are consecutive pairs,
// found as a phrase; one character is found as the start of a pair (a prefix). Dictionary
// segmentation (Intl.Segmenter) was the other way: it cuts 快速排序 as 快速|排序, so 速排 and
// words it does not know are never found, and a query can be cut differently from its text.

/**
 * Characters written without spaces between words: Han, kana, Hangul, and the kana length mark.
 * A run is matched at most 4,096 characters at a time: V8 keeps a backtracking entry per character
 * a quantifier took, and an unbounded one over millions (a body of one repeated character)
 * overflowed its stack ("Maximum call stack size exceeded") and left the exchange unindexed.
 * cjkPairs joins the pieces of a longer run.
 */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70]{1,4096}/gu;
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70]/u;
/**
 * Base64 (image data, audio, a file sent inline) runs thousands of characters without a space:
 * not text anyone searches, and each run one junk token. Past this length a run of base64's
 * characters is left out; hashes, ids and words are far shorter. A match starts only where a run
 * does (the lookbehind): tried at every character, each word was scanned again from each of its
 * letters, 4% of the storage thread's CPU on a JSON answer of short words (bench/storage-row-cost.ts).
 * Written {200} then *, not {200,}: V8 runs a trailing `*` of one class as a plain loop, while
 * {200,} kept a backtracking entry per character and overflowed its stack on a run of millions
 * (a 9 MB JSON string of one letter: "Maximum call stack size exceeded", the exchange unindexed).
 */
const BASE64_RUN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{200}[A-Za-z0-9+/=_-]*/g;
/** JSON escapes in a body as sent: Python's json.dumps writes 令牌 as \u4ee4\u724c, and \n glues two words into one token. */
const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|[nrtbf]|(["\\/]))/g;
/** A token's characters for unicode61: anything else separates tokens, so a segment without any is no term. */
const WORD_CHAR = /[\p{L}\p{N}]/u;

/** One white-space character, as a regular expression's \s. */
const WHITE_SPACE = /\s/;

/** A text as it is put into the index: JSON escapes read, base64 runs left out, CJK runs as their pairs. */
export function indexedText(text: string): string {
  return cjkPairs(unescaped(text).replace(BASE64_RUN, ' '));
}

/**
 * JSON escapes read, and those of JSON sent inside a JSON string read again, as deep as it nests.
 * Codex's function_call_output, a chat `tool` message's content and an Anthropic tool_result
 * are often JSON text in a JSON string: each newline of the inner text arrives as `\\n`, and
 * one reading left `\n` before the next word (`export` was indexed as `nexport`). Only a
 * string that holds JSON is read twice: in any other string `\\n` is a backslash and an n
 * (`C:\\new` is the path C:\new, its word `new`). A text without an escaped backslash reads
 * as it did (one pass): its index entry is unchanged.
 */
function unescaped(text: string): string {
  if (!text.includes('\\\\')) return text.replace(JSON_ESCAPE, unescapeJson);
  let out = '';
  let from = 0;
  for (let open = text.indexOf('"'); open >= 0; open = text.indexOf('"', open + 1)) {
    if (!opensNestedJson(text, open) || escapedAt(text, open)) continue;
    const close = closingQuote(text, open + 1);
    // Cut before its end (a bounded text): the rest is read once, as before.
    if (close < 0) break;
    const inner = text.slice(open + 1, close);
    const read = inner.includes('\\\\') ? inner.replace(JSON_ESCAPE, unescapeJson) : '';
    // Read again only if it ends as JSON does too: `[error] C:\\new` opens like an array, and is a path.
    if (/[\]}]/.test(read.trimEnd().slice(-1))) {
      out += `${text.slice(from, open).replace(JSON_ESCAPE, unescapeJson)}"${unescaped(read)}"`;
      from = close + 1;
    }
    open = close;
  }
  return out + text.slice(from).replace(JSON_ESCAPE, unescapeJson);
}

/**
 * Whether the quote at `open` opens a JSON string whose text is itself JSON (`"{\"`, `"[`, after
 * escaped spaces too): a tool's output or arguments sent as a string. Whether the quote is itself
 * escaped is checked apart (escapedAt). A scan, not a regular expression: a lookahead of
 * `(?:\s|\\[nrt])*` overflowed V8's backtracking stack on millions of spaces.
 */
function opensNestedJson(text: string, open: number): boolean {
  let at = blankEnd(text, open + 1);
  if (text[at] === '[') return true;
  if (text[at] !== '{') return false;
  at = blankEnd(text, at + 1);
  return text[at] === '}' || (text[at] === '\\' && text[at + 1] === '"');
}

/** Where the white space and escaped \n, \r, \t from `at` end. */
function blankEnd(text: string, at: number): number {
  for (;;) {
    const c = text[at];
    if (c === '\\' && (text[at + 1] === 'n' || text[at + 1] === 'r' || text[at + 1] === 't')) at += 2;
    else if (c !== undefined && WHITE_SPACE.test(c)) at++;
    else return at;
  }
}

/** Whether the character at `at` is escaped: an odd run of backslashes before it. */
function escapedAt(text: string, at: number): boolean {
  let k = at;
  while (k > 0 && text.charCodeAt(k - 1) === 92) k--;
  return (at - k) % 2 === 1;
}

/** The quote that closes the JSON string whose text starts at `from`; -1 if the text ends first. */
function closingQuote(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q >= 0; q = text.indexOf('"', q + 1)) if (!escapedAt(text, q)) return q;
  return -1;
}

function unescapeJson(_match: string, hex: string | undefined, literal: string | undefined): string {
  if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
  return literal ?? ' ';
}

/**
 * Each CJK run written as its overlapping pairs and its last character, spaced from what surrounds
 * it. A piece of a longer run (CJK_RUN's bound) also gets the pair across its end, so the run is
 * found as if whole.
 */
function cjkPairs(text: string): string {
  return text.replace(CJK_RUN, (run: string, at: number) => {
    const chars = [...run];
    const next = text.codePointAt(at + run.length);
    if (next !== undefined && CJK_CHAR.test(String.fromCodePoint(next))) chars.push(String.fromCodePoint(next));
    return ` ${pairsOf(chars).join(' ')} `;
  });
}

/** 检查令牌 -> 检查 查令 令牌 牌; 令 -> 令. */
function pairsOf(chars: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  out.push(chars[chars.length - 1]);
  return out;
}

/**
 * The FTS5 MATCH expression for what a user typed; '' when it holds nothing to search for.
 * Every word must be found (AND). A word is searched as text, never parsed as FTS5 syntax:
 * each part of it is a quoted phrase. Its CJK parts are phrases of their pairs (found anywhere
 * inside a longer run), a single CJK character is a prefix; `word*` is a prefix search.
 */
export function searchQuery(typed: string): string {
  return searchTerms(typed).join(' ');
}

/**
 * The MATCH expressions of what a user typed, one per term; all must be found. Apart because an
 * exchange's text is in more than one document (its own, and the stored-once parts of its request
 * body, db/part-search.ts): each term may be found in any of them.
 */
export function searchTerms(typed: string): string[] {
  const terms: string[] = [];
  for (const raw of typed.split(/\s+/)) {
    if (!raw) continue;
    const prefix = raw.length > 1 && raw.endsWith('*');
    const word = prefix ? raw.replace(/\*+$/, '') : raw;
    const parts = splitCjk(word).filter((part) => WORD_CHAR.test(part));
    parts.forEach((part, k) => {
      if (CJK_CHAR.test(part)) {
        const chars = [...part];
        terms.push(chars.length === 1 ? `${quoted(part)}*` : quoted(pairsOf(chars).slice(0, -1).join(' ')));
      } else terms.push(prefix && k === parts.length - 1 ? `${quoted(part)}*` : quoted(part));
    });
  }
  return terms;
}

/** The word cut where CJK runs begin and end: 用gpt模型 -> 用, gpt, 模型. */
function splitCjk(word: string): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const m of word.matchAll(CJK_RUN)) {
    if (m.index > at) parts.push(word.slice(at, m.index));
    parts.push(m[0]);
    at = m.index + m[0].length;
  }
  if (at < word.length) parts.push(word.slice(at));
  return parts;
}

function quoted(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}
