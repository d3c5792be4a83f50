// A split request body (db/body-parts.ts, db/blobs.ts) read as an outline, without joining it:
// its top-level members in order, each either kept whole in the skeleton (model, stream, small
// settings), one part (instructions, system), or a list whose items are parts or small inline
// values (messages, input, contents, tools). A session page needs only the last items of each
// turn's conversation: reading the outline and those items costs what they cost, where joining
// and parsing the body costs its whole history (a Codex turn near 500 resends ~1,000 items).
import { firstNonSpace, memberName, PART_KEYS, stringEnd, valueEndAt } from './body-parts.ts';
import { readBlob, SPLIT, storedManifest } from './blobs.ts';
import type { Db } from './schema.ts';

/** One element of a list member: a stored part (its blob id), or its bytes kept in the skeleton. */
export type OutlineItem = { part: number } | { inline: Buffer };

/** A top-level member: its name's bytes as written (quotes and escapes), and its value as stored. */
export type OutlineMember = { key: Buffer; name: string } & (
  | { raw: Buffer }
  | { part: number }
  | { items: OutlineItem[] }
);

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const COLON = 0x3a;

/**
 * The members of a split body from its skeleton and its parts' places (refs in order, as
 * readManifest gives them), or null when the skeleton does not read as one (then the caller
 * joins and parses the body as before). Scanned like db/body-parts.ts partRanges, which cut it:
 * a part sits where its value or list element began, so spaces are skipped only up to the next
 * part's place.
 */
export function outlineOf(skeleton: Buffer, refs: { at: number; id: number }[]): OutlineMember[] | null {
  let next = 0;
  /** The first non-space byte from `pos`, or the next part's place when that comes first. */
  const skip = (pos: number): number => {
    const end = firstNonSpace(skeleton, pos);
    const at = refs[next]?.at;
    return at !== undefined && at >= pos && at < end ? at : end;
  };
  const partAt = (pos: number): number | null => (refs[next]?.at === pos ? refs[next++].id : null);
  const members: OutlineMember[] = [];
  let pos = firstNonSpace(skeleton, 0);
  if (skeleton[pos] !== OPEN_BRACE) return null;
  pos = firstNonSpace(skeleton, pos + 1);
  while (pos < skeleton.length && skeleton[pos] !== CLOSE_BRACE) {
    if (members.length > 0) {
      if (skeleton[pos] !== COMMA) return null;
      pos = firstNonSpace(skeleton, pos + 1);
    }
    if (skeleton[pos] !== QUOTE) return null;
    const keyStart = pos;
    const keyEnd = stringEnd(skeleton, pos);
    if (keyEnd >= skeleton.length) return null;
    const key = skeleton.subarray(keyStart, keyEnd);
    const name = memberName(skeleton, keyStart, keyEnd);
    pos = firstNonSpace(skeleton, keyEnd);
    if (skeleton[pos] !== COLON) return null;
    pos = skip(pos + 1);
    const whole = PART_KEYS.has(name) ? partAt(pos) : null;
    if (whole !== null) {
      members.push({ key, name, part: whole });
    } else if (PART_KEYS.has(name) && skeleton[pos] === OPEN_BRACKET) {
      const items: OutlineItem[] = [];
      let at = skip(pos + 1);
      for (;;) {
        const part = partAt(at);
        if (part !== null) {
          items.push({ part });
        } else if (skeleton[at] === CLOSE_BRACKET) {
          break;
        } else {
          const end = valueEndAt(skeleton, at);
          if (end <= at) return null;
          items.push({ inline: skeleton.subarray(at, end) });
          at = end;
        }
        at = skip(at);
        if (skeleton[at] === COMMA) at = skip(at + 1);
        else if (skeleton[at] !== CLOSE_BRACKET) return null;
      }
      members.push({ key, name, items });
      pos = at + 1;
      pos = firstNonSpace(skeleton, pos);
      continue;
    } else {
      const end = valueEndAt(skeleton, pos);
      if (end <= pos) return null;
      members.push({ key, name, raw: skeleton.subarray(pos, end) });
      pos = end;
    }
    pos = skip(pos);
  }
  // Every part placed, the object closed: anything else is not a skeleton this reads.
  return next === refs.length && skeleton[pos] === CLOSE_BRACE ? members : null;
}

/**
 * Request bodies read as outlines and their parts one by one, for one question (a session page):
 * parts are kept by blob id while it lasts (consecutive turns share most of their tails), and
 * counted, so a test can tell how much of a session was read.
 */
export class StoredRequests {
  private readonly stmts;
  private readonly parts = new Map<number, Buffer>();
  /** Parts read from the database (each once), and outlines read. */
  partsRead = 0;
  outlinesRead = 0;

  constructor(db: Db) {
    this.stmts = {
      rows: db.prepare("SELECT codec, data FROM bodies WHERE exchange_id = ? AND side = 'request' ORDER BY seq"),
      blob: db.prepare('SELECT codec, data FROM blobs WHERE id = ?'),
    };
  }

  /** The outline of an exchange's request when it is stored split, else null (raw, not packed yet, stored whole, unreadable). */
  outline(exchangeId: number): OutlineMember[] | null {
    const rows = this.stmts.rows.all(exchangeId) as { codec: unknown; data: unknown }[];
    if (rows.length !== 1) return null;
    const { codec, data } = rows[0];
    if (typeof codec !== 'number' || codec < SPLIT || !Buffer.isBuffer(data)) return null;
    try {
      const { skeleton, refs } = storedManifest(codec, data);
      this.outlinesRead++;
      return outlineOf(skeleton, refs);
    } catch {
      // A damaged record: the whole read notes it on the exchange, as for any body.
      return null;
    }
  }

  /** A part's bytes (a missing part is an error naming it, as when a body is joined). */
  part(id: number): Buffer {
    let bytes = this.parts.get(id);
    if (!bytes) {
      bytes = readBlob(this.stmts.blob, id);
      this.partsRead++;
      this.parts.set(id, bytes);
    }
    return bytes;
  }
}
