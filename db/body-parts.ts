// A model call's request body split into the parts that repeat from turn to turn, so each is
// stored once (db/blobs.ts). Coding agents resend their whole conversation every turn: the
// system prompt, every tool schema and every earlier message come again, byte for byte, in the
// next request. A part is the exact bytes of one of them as it appears in the body (an element
// of `messages`, `input`, `tools`, `contents`…, or the whole `instructions`/`system` value),
// named by its SHA-256; the skeleton is the body with those ranges cut out. Joining puts the
// ranges back where they were: the original bytes, key order, whitespace and escapes included,
// since nothing is ever re-serialized. A pure module: no database, tested alone.
import { createHash } from 'node:crypto';

/** One part: where it goes back into the skeleton, its hash and its bytes. */
export interface BodyPart {
  /** Offset in the skeleton where the part's bytes are put back. */
  at: number;
  hash: Buffer;
  bytes: Buffer;
}

export interface SplitBody {
  /** The body with every part's bytes cut out. */
  skeleton: Buffer;
  /** In the order they appear in the body. */
  parts: BodyPart[];
}

// Top-level members whose value is a conversation's repeated content, in the dialects wirelog
// knows: Chat (messages, tools), Responses (input, instructions, tools), Anthropic (system,
// messages, tools), Gemini (contents, systemInstruction / system_instruction, tools).
export const PART_KEYS = new Set([
  'messages',
  'input',
  'instructions',
  'tools',
  'system',
  'contents',
  'systemInstruction',
  'system_instruction',
]);

// A part costs a row and a reference: an element smaller than this stays in the skeleton.
export const MIN_PART_BYTES = 64;

// A body larger than this is stored whole (it would be parsed whole in memory to be split).
export const MAX_SPLIT_BYTES = 64 * 1024 * 1024;

/**
 * The body split into its parts, or null when it is stored whole: not JSON, invalid JSON, not an
 * object with one of the dialects' members, content-encoded (the parts of compressed bytes would
 * never repeat), or with no part large enough to be worth a reference.
 */
export function splitBody(body: Buffer, contentEncoding: string): SplitBody | null {
  if (contentEncoding !== '' && contentEncoding.toLowerCase() !== 'identity') return null;
  if (body.length < MIN_PART_BYTES || body.length > MAX_SPLIT_BYTES) return null;
  const first = firstNonSpace(body, 0);
  if (body[first] !== OPEN_BRACE) return null;
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const ranges = partRanges(body);
  if (ranges.length === 0) return null;
  const skeletonPieces: Buffer[] = [];
  const parts: BodyPart[] = [];
  let from = 0;
  let skeletonLength = 0;
  for (const [start, end] of ranges) {
    skeletonPieces.push(body.subarray(from, start));
    skeletonLength += start - from;
    const bytes = body.subarray(start, end);
    parts.push({ at: skeletonLength, hash: partHash(bytes), bytes });
    from = end;
  }
  skeletonPieces.push(body.subarray(from));
  return { skeleton: Buffer.concat(skeletonPieces), parts };
}

/** The original body: each part's bytes put back at its place in the skeleton. */
export function joinBody(skeleton: Buffer, parts: { at: number; bytes: Buffer }[]): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const part of parts) {
    if (part.at < from || part.at > skeleton.length)
      throw new Error(`a stored body's part is out of place (offset ${part.at} of ${skeleton.length})`);
    pieces.push(skeleton.subarray(from, part.at), part.bytes);
    from = part.at;
  }
  pieces.push(skeleton.subarray(from));
  return Buffer.concat(pieces);
}

export function partHash(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * Byte ranges [start, end) of the parts of a body known to be valid JSON with an object at the
 * top: each element of a part member's array, or the member's whole value when it is a string
 * or an object; ranges under MIN_PART_BYTES are left out. Scanned without recursion: a body
 * nested a million levels deep is skipped over, not a stack overflow.
 */
function partRanges(body: Buffer): [number, number][] {
  const ranges: [number, number][] = [];
  const keep = (start: number, end: number) => {
    if (end - start >= MIN_PART_BYTES) ranges.push([start, end]);
  };
  let pos = firstNonSpace(body, 0) + 1;
  for (;;) {
    pos = firstNonSpace(body, pos);
    if (body[pos] === CLOSE_BRACE || pos >= body.length) break;
    if (body[pos] === COMMA) pos = firstNonSpace(body, pos + 1);
    const keyStart = pos;
    const keyEnd = stringEnd(body, pos);
    const key = memberName(body, keyStart, keyEnd);
    pos = firstNonSpace(body, keyEnd);
    pos = firstNonSpace(body, pos + 1); // past the colon
    const valueStart = pos;
    const valueEnd = valueEndAt(body, valueStart);
    if (PART_KEYS.has(key)) {
      if (body[valueStart] === OPEN_BRACKET) {
        let at = firstNonSpace(body, valueStart + 1);
        while (body[at] !== CLOSE_BRACKET && at < valueEnd) {
          const end = valueEndAt(body, at);
          keep(at, end);
          at = firstNonSpace(body, end);
          if (body[at] === COMMA) at = firstNonSpace(body, at + 1);
        }
      } else if (body[valueStart] === QUOTE || body[valueStart] === OPEN_BRACE) {
        keep(valueStart, valueEnd);
      }
    }
    pos = valueEnd;
  }
  return ranges;
}

/** A member's name: read as JSON only when it has an escape (rare), else its bytes. */
export function memberName(body: Buffer, start: number, end: number): string {
  const raw = body.subarray(start, end);
  return raw.includes(BACKSLASH)
    ? (JSON.parse(raw.toString('utf8')) as string)
    : raw.toString('utf8', 1, raw.length - 1);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function firstNonSpace(body: Buffer, pos: number): number {
  while (pos < body.length && isSpace(body[pos])) pos++;
  return pos;
}

/** The end (exclusive) of the string starting at `pos` (its opening quote). */
export function stringEnd(body: Buffer, pos: number): number {
  let at = pos + 1;
  for (;;) {
    const quote = body.indexOf(QUOTE, at);
    if (quote < 0) return body.length;
    // Escaped when an odd number of backslashes comes before it.
    let slashes = 0;
    while (body[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** The end (exclusive) of the JSON value starting at `pos`, nesting counted, not recursed. */
export function valueEndAt(body: Buffer, pos: number): number {
  const first = body[pos];
  if (first === QUOTE) return stringEnd(body, pos);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let at = pos;
    while (
      at < body.length &&
      body[at] !== COMMA &&
      body[at] !== CLOSE_BRACE &&
      body[at] !== CLOSE_BRACKET &&
      !isSpace(body[at])
    )
      at++;
    return at;
  }
  let depth = 0;
  let at = pos;
  while (at < body.length) {
    const byte = body[at];
    if (byte === QUOTE) {
      at = stringEnd(body, at);
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return body.length;
}

// The record a split body is stored as: the references to its parts, then its skeleton.
//   varint count, then per part: varint (offset - previous offset), zigzag varint (id - previous id)
//   then the skeleton's bytes.
// Parts stored in one turn have consecutive ids, and a turn mostly refers to the same parts as
// the one before in the same order: the deltas are small and repeat, and compress to little.

/** A split body's stored record: its parts by blob id, and its skeleton. */
export function manifestBytes(skeleton: Buffer, refs: { at: number; id: number }[]): Buffer {
  const out: number[] = [];
  writeVarint(out, refs.length);
  let at = 0;
  let id = 0;
  for (const ref of refs) {
    writeVarint(out, ref.at - at);
    const delta = ref.id - id;
    writeVarint(out, delta >= 0 ? delta * 2 : -delta * 2 - 1);
    at = ref.at;
    id = ref.id;
  }
  return Buffer.concat([Buffer.from(out), skeleton]);
}

/** A stored record read back: the parts' places and blob ids, and the skeleton. */
export function readManifest(record: Buffer): { skeleton: Buffer; refs: { at: number; id: number }[] } {
  const reader = { pos: 0 };
  const count = readVarint(record, reader);
  const refs: { at: number; id: number }[] = [];
  let at = 0;
  let id = 0;
  for (let i = 0; i < count; i++) {
    at += readVarint(record, reader);
    const zigzag = readVarint(record, reader);
    id += zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    refs.push({ at, id });
  }
  return { skeleton: record.subarray(reader.pos), refs };
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readVarint(record: Buffer, reader: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (reader.pos >= record.length) throw new Error("a stored body's list of parts is cut short");
    const byte = record[reader.pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}
