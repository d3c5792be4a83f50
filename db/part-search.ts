// Search over the stored parts (issue 28). A split request body's parts (db/body-parts.ts,
// db/blobs.ts) are each indexed once, in `part_search` (schema 16), the first time an exchange
// that refers to them is indexed; `part_refs` says which exchanges refer to which part. An
// exchange's own entry in `exchanges_search` holds only what is its own: URL, heads, the
// skeleton of its split body, its response, events and messages. A Codex session's history is
// then indexed once, not again with every turn, and a part is indexed whole: the end of a
// request of any size is found (the 1 MB cut applied to a whole body before).
//
// A typed search is one MATCH expression per term (db/search-text.ts); an exchange matches a
// term when its own entry does or a part it refers to does, and matches the search when it
// matches every term (words may sit in different parts, or one in a part and one in a head).
//
// Reading: a page of the newest matches is found by walking the ids down in windows (each twice
// the last), asking each index only for the window's ids, until the page is full; the total is
// counted the same way up to a cap. Neither reads every hit of a word found in most exchanges
// (before: 1.3 s at a million Codex calls to count them all for the first page).
import { readBlob, SPLIT, storedManifest } from './blobs.ts';
import type { Db } from './schema.ts';
import { indexedText } from './search-text.ts';

/** Whether parts are indexed (schema 16 and later). */
export function hasPartSearch(db: Db): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'part_refs'`).get() !== undefined;
}

/** The write side, inside the indexing slice's transaction. */
export class PartIndex {
  private readonly stmts;
  /** Schema 21's statements: parts indexed before it are indexed again (null on an older schema, in an upgrade's tests). */
  private readonly again;

  constructor(db: Db) {
    this.stmts = {
      record: db.prepare(
        `SELECT codec, data FROM bodies WHERE exchange_id = ? AND side = 'request' AND codec >= ${SPLIT} LIMIT 1`,
      ),
      rows: db.prepare(`SELECT count(*) FROM bodies WHERE exchange_id = ? AND side = 'request'`).pluck(),
      known: db.prepare('SELECT 1 FROM part_refs WHERE part_id = ? LIMIT 1').pluck(),
      blob: db.prepare('SELECT codec, data FROM blobs WHERE id = ?'),
      index: db.prepare('INSERT INTO part_search (rowid, text) VALUES (?, ?)'),
      refer: db.prepare('INSERT OR IGNORE INTO part_refs (part_id, exchange_id) VALUES (?, ?)'),
    };
    this.again = hasPartReindex(db)
      ? {
          // While schema 21's pass over the rows goes on (reindex_below), the parts indexed before it.
          below: db
            .prepare('SELECT CASE WHEN reindex_below > 0 THEN part_reindex_below ELSE 0 END FROM upkeep')
            .pluck(),
          done: db.prepare('SELECT 1 FROM parts_reindexed WHERE part_id = ?').pluck(),
          mark: db.prepare('INSERT OR IGNORE INTO parts_reindexed (part_id) VALUES (?)'),
          unindex: db.prepare('DELETE FROM part_search WHERE rowid = ?'),
        }
      : null;
  }

  /**
   * Links an exchange to the parts of its split request body, indexing each part no exchange
   * referred to before (so once: a part is in part_refs exactly while it is indexed, and its
   * index entry goes with its blob, schema 16's trigger). Returns the body's skeleton (what the
   * exchange's own entry holds of it), or null when its request body is not split.
   */
  link(exchangeId: number): Buffer | null {
    const row = this.stmts.record.get(exchangeId) as { codec: number; data: Buffer } | undefined;
    // A split body is one row, its record; anything else is stored whole.
    if (!row || !Buffer.isBuffer(row.data) || this.stmts.rows.get(exchangeId) !== 1) return null;
    const { skeleton, refs } = storedManifest(row.codec, row.data);
    this.linkParts(
      exchangeId,
      refs.map((ref) => ref.id),
      (id) => readBlob(this.stmts.blob, id),
    );
    return skeleton;
  }

  /**
   * Links an exchange to parts by id (its split body's, in order), as link does; `bytesOf` gives a
   * part's bytes when it is to be indexed: read from its blob, or (db/import-store.ts, which has
   * just stored them) from memory.
   */
  linkParts(exchangeId: number, ids: number[], bytesOf: (id: number) => Buffer): void {
    const againBelow = (this.again?.below.get() as number | undefined) ?? 0;
    for (const id of new Set(ids)) {
      if (this.stmts.known.get(id) === undefined) {
        this.stmts.index.run(id, indexedText(bytesOf(id).toString('utf8')));
        if (id < againBelow) this.again!.mark.run(id);
      } else if (id < againBelow && this.again!.done.get(id) === undefined) this.indexAgain(id, bytesOf);
      this.stmts.refer.run(id, exchangeId);
    }
  }

  /**
   * A part indexed before schema 21, indexed again by today's rule, once. Only a text with an
   * escaped backslash is read differently (JSON inside a JSON string): any other keeps its entry.
   */
  private indexAgain(id: number, bytesOf: (id: number) => Buffer): void {
    const text = bytesOf(id).toString('utf8');
    if (text.includes('\\\\')) {
      this.again!.unindex.run(id);
      this.stmts.index.run(id, indexedText(text));
    }
    this.again!.mark.run(id);
  }
}

/** Whether parts indexed before schema 21 may wait to be indexed again (schema 21 and later). */
function hasPartReindex(db: Db): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'parts_reindexed'`).get() !== undefined
  );
}

/** At most this many matches are counted for a search's total; past it the total is "at least" (10,000+). */
export const SEARCH_COUNT_CAP = 10_000;

/** The first window of ids a search reads, doubled each time: large enough that a common word fills a page in one. */
const FIRST_WINDOW = 4096;
/** Reading a window's references to look for a term's parts costs about this many rows per part looked up instead. */
const SEEK_ROWS = 8;

/** The SQL condition that an exchange matches term `k` (@term<k>): its own entry, or a part it refers to. For any filter and order. */
export function termCondition(k: number): string {
  return `id IN (SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH @term${k} UNION ALL SELECT exchange_id FROM part_refs WHERE part_id IN (SELECT rowid FROM part_search WHERE part_search MATCH @term${k}))`;
}

/** The read side: the ids matching every term, newest first, a window at a time. */
export class PartSearch {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      // Apart: min() and max() in one SELECT read every row (0.4 s at a million); each alone is one seek.
      range: db.prepare('SELECT (SELECT min(id) FROM exchanges) AS low, (SELECT max(id) FROM exchanges) AS high'),
      parts: db.prepare('SELECT rowid FROM part_search WHERE part_search MATCH ?').pluck(),
      seek: db
        .prepare(
          'SELECT exchange_id FROM part_refs WHERE part_id IN (SELECT value FROM json_each(?)) AND exchange_id >= ? AND exchange_id < ?',
        )
        .pluck(),
      scan: db.prepare('SELECT exchange_id, part_id FROM part_refs WHERE exchange_id >= ? AND exchange_id < ?').raw(),
      windowRefs: db
        .prepare('SELECT count(*) FROM (SELECT 1 FROM part_refs WHERE exchange_id >= ? AND exchange_id < ? LIMIT ?)')
        .pluck(),
      ownUpTo: db
        .prepare('SELECT count(*) FROM (SELECT 1 FROM exchanges_search WHERE exchanges_search MATCH ? LIMIT ?)')
        .pluck(),
      refsUpTo: db
        .prepare(
          'SELECT count(*) FROM (SELECT 1 FROM part_refs WHERE part_id IN (SELECT rowid FROM part_search WHERE part_search MATCH ?) LIMIT ?)',
        )
        .pluck(),
    };
  }

  /**
   * At most how many exchanges match every term, counted up to `cap` + 1 (more) from the index
   * entries alone (no window walked, no set built): the fewest of any term's own entries plus the
   * references to its parts. Gathering a common word's first 10,000 matches window by window cost
   * 190-305 ms at a million (a part in every call: each reference read, each id put in a set).
   */
  entriesUpTo(terms: string[], cap: number): number {
    let fewest = Number.POSITIVE_INFINITY;
    for (const term of terms) {
      const own = this.stmts.ownUpTo.get(term, cap + 1) as number;
      const refs = own > cap ? 0 : (this.stmts.refsUpTo.get(term, cap + 1 - own) as number);
      fewest = Math.min(fewest, own + refs);
    }
    return fewest;
  }

  /**
   * Windows of the ids below `below` (all when undefined) matching every term, newest first:
   * each window's matches in descending order (a window without any is skipped). The caller
   * stops taking windows when it has what it needs.
   */
  *windows(terms: string[], below?: number): Generator<number[]> {
    const range = this.stmts.range.get() as { low: number | null; high: number | null };
    if (range.low === null || range.high === null || terms.length === 0) return;
    const top = Math.min(below ?? Number.POSITIVE_INFINITY, range.high + 1);
    const parts = terms.map((term) => this.stmts.parts.all(term) as number[]);
    const partSets = parts.map((ids) => new Set(ids));
    // Each term's own entries read newest first as the windows go down, each once: asked window by
    // window, FTS5 read a common word's whole list of entries each time (0.15 s at a million).
    const own = terms.map((term) => new NewestEntries(this.db, term, top));
    try {
      yield* this.walk(terms, parts, partSets, own, top, range.low);
    } finally {
      for (const entries of own) entries.close();
    }
  }

  private *walk(
    terms: string[],
    parts: number[][],
    partSets: Set<number>[],
    own: NewestEntries[],
    top: number,
    bottom: number,
  ): Generator<number[]> {
    const seekMost = Math.max(...parts.map((ids) => ids.length * SEEK_ROWS));
    let size = FIRST_WINDOW;
    for (let high = top; high > bottom; high -= size, size *= 2) {
      const low = Math.max(bottom, high - size);
      // The window's references (what a scan reads), counted in their index up to the dearest seek:
      // estimated from the newest 1,000 exchanges, a day of calls with no parts (GETs) made a scan
      // look free, and a word in 849 parts scanned every reference of a million (4.4 s).
      let windowRefs: number | null = null;
      const scanCost = () => {
        windowRefs ??= this.stmts.windowRefs.get(low, high, seekMost + 1) as number;
        return windowRefs;
      };
      let found: Set<number> | null = null;
      for (let k = 0; k < terms.length; k++) {
        const hits = new Set(own[k].down(low));
        const seekCost = parts[k].length * SEEK_ROWS;
        if (parts[k].length === 0) {
          // Found in no part: its own entries only.
        } else if (seekCost <= scanCost())
          for (const id of this.stmts.seek.all(JSON.stringify(parts[k]), low, high) as number[]) hits.add(id);
        else
          for (const [id, part] of this.stmts.scan.all(low, high) as [number, number][])
            if (partSets[k].has(part)) hits.add(id);
        found = found === null ? hits : both(found, hits);
        if (found.size === 0) break;
      }
      if (found !== null && found.size > 0) yield [...found].sort((a, b) => b - a);
      if (low <= bottom) break;
    }
  }
}

/** One term's own entries (exchanges_search), newest first below a bound, taken a window at a time. */
class NewestEntries {
  private readonly rows: IterableIterator<number>;
  /** The first id read past the last window (it belongs to a later one), or null. */
  private next: number | null = null;
  private done = false;

  constructor(db: Db, term: string, below: number) {
    // A statement of its own: a statement iterates once at a time, and several terms iterate together.
    this.rows = db
      .prepare('SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH ? AND rowid < ? ORDER BY rowid DESC')
      .pluck()
      .iterate(term, below) as IterableIterator<number>;
  }

  /** The ids from here down to `low` (inclusive): the next window's. */
  down(low: number): number[] {
    const out: number[] = [];
    if (this.next !== null) {
      if (this.next < low) return out;
      out.push(this.next);
      this.next = null;
    }
    while (!this.done) {
      const step = this.rows.next();
      if (step.done) {
        this.done = true;
        break;
      }
      if (step.value < low) {
        this.next = step.value;
        break;
      }
      out.push(step.value);
    }
    return out;
  }

  close(): void {
    this.rows.return?.();
  }
}

function both(a: Set<number>, b: Set<number>): Set<number> {
  const out = new Set<number>();
  for (const id of a) if (b.has(id)) out.add(id);
  return out;
}

/**
 * About how many rows stored before schema 16 wait to be indexed again (db/indexer.ts): the ids
 * between the oldest row and the mark, counted from the ids alone (no pass over a million rows
 * at start or with each status poll); 0 once none wait.
 */
export function reindexWaiting(db: Db): number {
  const row = db
    .prepare(
      // Rows still waiting to be indexed at all (to_index > 0, through its partial index) are indexed the new way then: not counted twice.
      `SELECT (SELECT reindex_below FROM upkeep) AS below, (SELECT min(id) FROM exchanges) AS low,
        (SELECT count(*) FROM exchanges WHERE to_index > 0 AND id < (SELECT reindex_below FROM upkeep)) AS waiting`,
    )
    .get() as { below: number | null; low: number | null; waiting: number };
  if (!row.below || row.low === null) return 0;
  return Math.max(0, row.below - row.low - row.waiting);
}
