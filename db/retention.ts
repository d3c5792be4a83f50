import type { Db } from './schema.ts';
import { Blobs, SPLIT, compactSlice, type StoredRow } from './blobs.ts';
import { STARTED_FIGURE } from './filter-plan.ts';

/**
 * The rows started before `before`, oldest first by id: the walk by id stops at the newest such
 * row, found in exchanges_sort_time (schema 22 dropped exchanges_started; none old: no row walked,
 * not a million), and each row walked is checked by its column (the time's index would sort every
 * old row by id). A damaged time is not old, as a text started_at was not before.
 */
export function startedBefore(before: number): { where: string; params: number[] } {
  return {
    where: `typeof(started_at) IN ('integer', 'real') AND started_at < ? AND id <= (SELECT max(+id) FROM exchanges WHERE ${STARTED_FIGURE} > -1 AND ${STARTED_FIGURE} < ?)`,
    params: [before, before],
  };
}

export interface RetentionLimits {
  /** Pages in use (not the file size: freed pages are reused, the file does not shrink). */
  maxDbBytes: number;
  /** Exchanges older than this are deleted; none when absent. */
  maxAgeMs?: number;
}

// One step is one short transaction, and capture's batches run between steps: capture waits
// one step at most. A step deletes this many exchanges, or as many as hold this many body
// bytes (at least one), or does this many pages of merge work in the search index (npm run
// bench:delete: 50 Codex exchanges, 3.5 MB, well under 100 ms; 200 pages about as long).
export const SLICE_EXCHANGES = 50;
const SLICE_BYTES = 8 * 1024 * 1024;
const MERGE_PAGES = 200;
// Search indexes of earlier schemas, dropped after start (schema 11 builds exchanges_search from
// the stored exchanges: db/indexer.ts): schema 10's, and the one before it if schema 10 had not
// finished reading it.
const OLD_INDEXES = ['exchanges_fts_old', 'exchanges_fts'];

/**
 * What one step did: deleted exchanges (`clear`: for Clear all), merged the search index so
 * that no deleted word stays in it, or dropped an earlier schema's search index.
 */
export type UpkeepStep =
  | { kind: 'pruned' | 'cleared'; exchanges: number }
  | { kind: 'compacted'; exchanges: number }
  | { kind: 'purged' }
  | { kind: 'dropped'; index: string }
  | { kind: 'checkpoint' };

export interface UpkeepHooks {
  /** Runs the next step later, once capture had its turn (the storage thread: setImmediate). */
  later(next: () => void): void;
  /** Each step, after its transaction committed (tests count them). */
  stepped?(step: UpkeepStep): void;
  /** Merge steps are under way (true) or over (false): new index segments would start them again, so indexing waits. */
  purging?(on: boolean): void;
  /** A pass ended with nothing left to do: how many exchanges retention and Clear all deleted in it. */
  finished(deleted: { pruned: number; cleared: number }): void;
  warn(message: string): void;
}

export function usedBytes(db: Db): number {
  const pages =
    (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
  return pages * (db.pragma('page_size', { simple: true }) as number);
}

interface UpkeepRow {
  clear_up_to: number;
  purge: number;
}

/**
 * Retention, Clear all and the search index's upkeep, on the storage thread, in steps of one
 * short transaction each with capture's batches in between: none of it holds capture for long,
 * and a stop is heard between two steps. Deleting never leaves deleted text in the files: pages
 * freed are zeroed (PRAGMA secure_delete), the search index keeps no copy of the texts
 * (contentless) and only marks a deleted row (a tombstone, cheap: FTS5's own secure-delete
 * rewrote every word's entry, 0.4 s an exchange), and after deleting, bounded merge steps
 * rewrite the index until no deleted word is left in it; then the WAL is checkpointed and
 * truncated. What is still to do is kept in the `upkeep` row, so that a restart goes on with it.
 */
export class Upkeep {
  private running = false;
  private stopped = false;
  /** A retention pass was asked for and has not found the database within its limits yet. */
  private pruning = false;
  private now = Date.now();
  private deleted = { pruned: 0, cleared: 0 };
  /** Exchanges deleted to bring the size down since the search index was last merged. */
  private deletedSinceMerge = 0;

  constructor(
    private readonly db: () => Db,
    private readonly limits: RetentionLimits,
    private readonly hooks: UpkeepHooks,
  ) {}

  /** Starts a retention pass (and whatever else waits: a clear, a purge, an old index to drop) unless one runs. */
  prune(now = Date.now()): void {
    this.now = now;
    this.pruning = true;
    this.run();
  }

  /** Goes on with what waits in the `upkeep` row (Clear all was just asked for, or at start). */
  resume(): void {
    this.run();
  }

  /** No further step: wirelog is stopping. What is left waits in the `upkeep` row for the next start. */
  stop(): void {
    this.stopped = true;
  }

  private run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.hooks.later(() => this.next());
  }

  private next(): void {
    if (this.stopped) return void (this.running = false);
    let step: UpkeepStep | null;
    try {
      step = this.step();
    } catch (err) {
      this.running = false;
      this.pruning = false;
      this.hooks.purging?.(false);
      this.hooks.warn(`deleting old captures failed: ${(err as Error).message}`);
      return;
    }
    if (step) {
      this.hooks.stepped?.(step);
      if (step.kind === 'pruned' || step.kind === 'cleared') this.deleted[step.kind] += step.exchanges;
      return this.hooks.later(() => this.next());
    }
    this.running = false;
    const deleted = this.deleted;
    this.deleted = { pruned: 0, cleared: 0 };
    this.hooks.finished(deleted);
  }

  /** One transaction's worth of work; null when nothing is left. */
  private step(): UpkeepStep | null {
    const db = this.db();
    const state = db.prepare('SELECT clear_up_to, purge FROM upkeep').get() as UpkeepRow;
    if (state.clear_up_to > 0) {
      // Every exchange up to the mark, open ones too (the store forgot them when the clear began).
      const n = this.deleteOldest(db, 'id <= ?', [state.clear_up_to], () =>
        db.prepare('UPDATE upkeep SET clear_up_to = 0').run(),
      );
      return { kind: 'cleared', exchanges: n };
    }
    if (this.pruning) {
      const closed = "state NOT IN ('pending', 'streaming')";
      if (this.limits.maxAgeMs !== undefined) {
        const aged = startedBefore(this.now - this.limits.maxAgeMs);
        const n = this.deleteOldest(db, `${closed} AND ${aged.where}`, aged.params);
        if (n) return { kind: 'pruned', exchanges: n };
      }
      // Deleted down to 90% of the limit, so that a pass does not start again with every batch.
      const used = usedBytes(db);
      const excess = used - this.limits.maxDbBytes * 0.9;
      if (excess > 0 && state.purge && this.deletedSinceMerge * 10 >= this.exchangesLeft(db)) {
        // A tenth deleted and still too large: the rest is in the search index, whose deleted
        // words stay until it is merged (bodies are compressed, db/compression.ts: the index can
        // be most of the file). Merged first, in steps, then deleting goes on if still needed;
        // deleting on instead would delete every exchange without ever coming under the limit.
        // As FTS5's own automerge: the index rewritten once per tenth deleted, at most.
        this.hooks.purging?.(true);
        if (this.mergeStep(db)) return { kind: 'purged' };
        db.prepare('UPDATE upkeep SET purge = 0').run();
        this.hooks.purging?.(false);
        this.deletedSinceMerge = 0;
        return { kind: 'purged' };
      }
      if (excess > 0) {
        // No more than the excess at a time: the oldest go, not more than is needed.
        const n = this.deleteOldest(db, closed, [], undefined, Math.min(SLICE_BYTES, excess));
        this.deletedSinceMerge += n;
        if (n) return { kind: 'pruned', exchanges: n };
      }
      this.pruning = false;
      this.deletedSinceMerge = 0;
    }
    // Rows an earlier wirelog stored, packed as today's are (db/blobs.ts), newest first, a slice a step.
    const compacted = compactSlice(db);
    if (compacted) return { kind: 'compacted', exchanges: compacted };
    const old = this.oldIndexLeft(db);
    if (old) {
      // Its words (and, before schema 10, its copy of every text) go, its pages zeroed.
      db.transaction(() => {
        db.exec(`DROP TABLE ${old}`);
        // Then the WAL is truncated: it holds the pages as they were.
        db.prepare('UPDATE upkeep SET purge = 1').run();
      })();
      return { kind: 'dropped', index: old };
    }
    if (state.purge) {
      this.hooks.purging?.(true);
      if (this.mergeStep(db)) return { kind: 'purged' };
      db.prepare('UPDATE upkeep SET purge = 0').run();
      this.hooks.purging?.(false);
      // The WAL holds older versions of the pages, deleted text included, until it is reset.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return { kind: 'checkpoint' };
    }
    return null;
  }

  /**
   * Deletes the oldest exchanges matching, a slice of them in one transaction; returns how many.
   * When none match, `none` runs instead (in a transaction too).
   */
  private deleteOldest(db: Db, where: string, params: unknown[], none?: () => void, maxBytes = SLICE_BYTES): number {
    const rows = db
      .prepare(
        `SELECT id, request_stored + response_stored AS bytes FROM exchanges WHERE ${where} ORDER BY id LIMIT ${SLICE_EXCHANGES}`,
      )
      .all(...params) as { id: number; bytes: number }[];
    const ids: number[] = [];
    let bytes = 0;
    for (const r of rows) {
      if (ids.length > 0 && bytes + r.bytes > maxBytes) break;
      ids.push(r.id);
      bytes += r.bytes;
    }
    if (ids.length === 0) {
      if (none) db.transaction(none)();
      return 0;
    }
    const list = ids.join(',');
    db.transaction(() => {
      // The parts their split bodies referred to, released; those no other body refers to deleted (db/blobs.ts).
      new Blobs(db).release(
        db
          .prepare(`SELECT codec, data FROM bodies WHERE exchange_id IN (${list}) AND codec >= ${SPLIT}`)
          .all() as StoredRow[],
      );
      for (const table of ['bodies', 'sse_events', 'ws_messages'])
        db.prepare(`DELETE FROM ${table} WHERE exchange_id IN (${list})`).run();
      // A tombstone per row: the words stay in the index until the merge steps that follow.
      db.prepare(`DELETE FROM exchanges_search WHERE rowid IN (${list})`).run();
      db.prepare(`DELETE FROM exchanges WHERE id IN (${list})`).run();
      db.prepare('UPDATE upkeep SET purge = 1').run();
    })();
    return ids.length;
  }

  /**
   * One bounded merge step; false when it found nothing to do. A negative page count merges
   * every segment, as 'optimize' would, MERGE_PAGES at a time: the index ends as one segment
   * without tombstones, so without any deleted word.
   */
  private mergeStep(db: Db): boolean {
    const before = this.totalChanges(db);
    // The index of stored-once parts too (schema 16): a part nothing refers to any more left a tombstone there.
    db.transaction(() => {
      db.prepare(`INSERT INTO exchanges_search (exchanges_search, rank) VALUES ('merge', ?)`).run(-MERGE_PAGES);
      db.prepare(`INSERT INTO part_search (part_search, rank) VALUES ('merge', ?)`).run(-MERGE_PAGES);
    })();
    // FTS5 counts a merge that did nothing as one change: more than one each, some work was done.
    return this.totalChanges(db) - before >= 3;
  }

  private exchangesLeft(db: Db): number {
    return (db.prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n;
  }

  private totalChanges(db: Db): number {
    return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  /** An earlier schema's search index still in the file, if any. */
  private oldIndexLeft(db: Db): string | null {
    for (const name of OLD_INDEXES)
      if (db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name)) return name;
    return null;
  }
}
