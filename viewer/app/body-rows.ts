// A body's text as rows for a virtualized list (RawLines): each row a range of the text, never a
// copy, so a 20 MB body costs a few numbers per row instead of a DOM node per line. Long lines
// are cut into rows of WRAP characters (a minified 5 MB JSON body is one line). JSON is
// re-indented in slices of SLICE characters, so the first screen shows while the rest is done
// and the tab keeps answering: a 2-5 MB body set as one <pre> froze Chromium for 45-140 s.

/** Characters per row at most: longer lines continue on the next row. */
export const WRAP = 200;
/** Characters re-indented per slice before the browser gets the thread back. */
const SLICE = 256 * 1024;
/** Strings at least this long are checked for base64 (image data, embeddings sent as base64). */
export const RUN_MIN = 1024;

/** A base64 string shown collapsed: what it decodes to, and how big. */
export interface Base64Info {
  mime: string;
  bytes: number;
  /** Where the base64 starts in the string (after a `data:…;base64,` prefix). */
  offset: number;
}

// The first bytes of common files, as base64 writes them.
const MAGIC: [prefix: string, mime: string][] = [
  ['iVBORw0KGgo', 'image/png'],
  ['/9j/', 'image/jpeg'],
  ['R0lGOD', 'image/gif'],
  ['UklGR', 'image/webp'],
  ['JVBERi0', 'application/pdf'],
  ['SUQz', 'audio/mpeg'],
  ['UEsDB', 'application/zip'],
];

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * A long string that is base64 (or a data: URL of it), with its media type when its first bytes
 * say; null otherwise. Checks the head and the tail only: a 3 MB string is not scanned whole.
 */
export function base64Info(text: string): Base64Info | null {
  if (text.length < RUN_MIN) return null;
  let offset = 0;
  let mime = '';
  if (text.startsWith('data:')) {
    const comma = text.indexOf(',');
    if (comma < 0 || comma > 200 || !text.slice(0, comma).endsWith(';base64')) return null;
    mime = text.slice(5, comma - 7).split(';')[0];
    offset = comma + 1;
  }
  if (!BASE64.test(text.slice(offset, offset + 4096)) || !BASE64.test(text.slice(-64))) return null;
  // Words of prose have spaces; a long run of letters alone (a hash, a token) has no digits or +/.
  if (!/[0-9+/]/.test(text.slice(offset, offset + 4096))) return null;
  const length = text.length - offset;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (!mime) mime = MAGIC.find(([prefix]) => text.startsWith(prefix, offset))?.[1] ?? 'base64';
  return { mime, bytes: Math.floor((length * 3) / 4) - padding, offset };
}

/** An array of numbers only, long enough to be an embedding: shown as `[1536 floats]`. */
export function numberRun(value: unknown): number | null {
  if (!Array.isArray(value) || value.length < 64) return null;
  for (const item of value) if (typeof item !== 'number') return null;
  return value.length;
}

/** Decodes base64 to bytes in pieces (atob of one piece at a time), for a download. */
export function base64Bytes(base64: string): Uint8Array {
  const clean = base64.replace(/-/g, '+').replace(/_/g, '/');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let at = 0;
  const PIECE = 4 * 64 * 1024;
  for (let i = 0; i < clean.length; i += PIECE) {
    const binary = atob(clean.slice(i, i + PIECE));
    for (let j = 0; j < binary.length; j++) out[at++] = binary.charCodeAt(j);
  }
  return out.subarray(0, at);
}

/** Rows as ranges of one text: row i shows text[start..end) indented by depth, or a collapsed run inside it. */
export class Rows {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly depths: number[] = [];
  /** Rows that hold a base64 string shown collapsed: the string's range in the text. */
  readonly runs = new Map<number, { start: number; end: number; info: Base64Info }>();
  /** False while the text is still being cut into rows (slices to come). */
  done = false;

  constructor(readonly text: string) {}

  get count(): number {
    return this.starts.length;
  }

  /** A range of the text as rows of at most WRAP characters. */
  push(start: number, end: number, depth: number): void {
    if (end - start <= WRAP) {
      this.starts.push(start);
      this.ends.push(end);
      this.depths.push(depth);
      return;
    }
    for (let at = start; at < end; at += WRAP) {
      this.starts.push(at);
      this.ends.push(Math.min(end, at + WRAP));
      this.depths.push(depth);
    }
  }
}

/** The text as it came, line by line (long lines cut into rows). */
export function rawRows(text: string): Rows {
  const rows = new Rows(text);
  let at = 0;
  while (at <= text.length) {
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline;
    if (end > at || newline >= 0) rows.push(at, end > at && text.charCodeAt(end - 1) === 13 ? end - 1 : end, 0);
    if (newline < 0) break;
    at = newline + 1;
  }
  rows.done = true;
  return rows;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const COMMA = 44;

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** Where the string starting at `open` (a quote) ends: the index after its closing quote. */
function stringEnd(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/**
 * JSON re-indented, one value or member per row, without parsing it: structure only, so text
 * that is not quite JSON still shows. Done SLICE characters at a time; `onProgress` after each
 * slice, `cancel()` to stop (the panel closed).
 */
export function prettyRows(text: string, onProgress: (rows: Rows) => void): { rows: Rows; cancel: () => void } {
  const rows = new Rows(text);
  let at = 0;
  let depth = 0;
  // The row being built: from rowStart, and whether it holds anything yet.
  let rowStart = -1;
  let cancelled = false;

  const endRow = (end: number) => {
    if (rowStart >= 0) {
      let trimmed = end;
      while (trimmed > rowStart && isSpace(text.charCodeAt(trimmed - 1))) trimmed--;
      if (trimmed > rowStart) rows.push(rowStart, trimmed, depth);
    }
    rowStart = -1;
  };

  const step = () => {
    const until = Math.min(text.length, at + SLICE);
    while (at < until) {
      const code = text.charCodeAt(at);
      if (rowStart < 0 && isSpace(code)) {
        at++;
        continue;
      }
      if (code === QUOTE) {
        if (rowStart < 0) rowStart = at;
        const end = stringEnd(text, at);
        if (end - at - 2 >= RUN_MIN) {
          const info = base64Info(text.slice(at + 1, end - 1));
          if (info) {
            // The row ends after the string and what closes it on the same line (a comma).
            let rowEnd = end;
            if (text.charCodeAt(rowEnd) === COMMA) rowEnd++;
            rows.runs.set(rows.count, { start: at + 1, end: end - 1, info });
            rows.starts.push(rowStart);
            rows.ends.push(rowEnd);
            rows.depths.push(depth);
            rowStart = -1;
            at = rowEnd;
            continue;
          }
        }
        at = end;
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        if (rowStart < 0) rowStart = at;
        endRow(at + 1);
        depth++;
        at++;
        continue;
      }
      if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        endRow(at);
        depth = Math.max(0, depth - 1);
        rowStart = at;
        at++;
        // "}," and "]," stay on the closing row.
        if (text.charCodeAt(at) === COMMA) at++;
        endRow(at);
        continue;
      }
      if (code === COMMA) {
        if (rowStart < 0) rowStart = at;
        endRow(at + 1);
        at++;
        continue;
      }
      if (rowStart < 0) rowStart = at;
      at++;
    }
    if (at >= text.length) {
      endRow(text.length);
      rows.done = true;
    }
    onProgress(rows);
    if (!rows.done && !cancelled) setTimeout(step, 0);
  };
  step();
  return {
    rows,
    cancel: () => {
      cancelled = true;
    },
  };
}
