// Understanding and search indexing of finished exchanges, after their rows are stored: a
// finished exchange's row (state, sizes) commits with its capture batch and is visible at once;
// what llm/ makes of it (model-call columns, diagnosis, thread) and its search entry follow, a
// slice at a time between capture batches (db/writer-worker.ts). Done in the batch, they held
// up the next batch: a probe row was seen a p99 of 1.1-2.8 s late with both cores busy.
//
// What is still to do is kept in each row (exchanges.to_index, schema 11), so that what a crash
// or a stop left undone, and every row of a database from before schema 11, is done after the
// next start, in the same slices. In memory there is only a short queue of this run's
// finished exchanges, with their bodies while they fit in a budget: past it they are read back.
//
// Packing (issue 28: a request body split into its stored-once parts, rows compressed; db/blobs.ts
// Packer) is done here too, for the same reason: capture stores rows as they come, and a finished
// exchange is packed in the slice that understands it, from the bodies the slice holds already,
// in the same transaction as its to_index claim. So a crash leaves it waiting (to_index 1) and the
// next start packs it; an exchange still open is never packed (its row is not waiting yet).
import type { BodySide, Exchange, Header, SseEvent } from '../model/exchange.ts';
import { exchangeUrl, headerValue } from '../model/exchange.ts';
import { bodyView, bodyViewOf } from './body-view.ts';
import type { EndedEvidence } from './exchange-row.ts';
import { isBinaryContentType, isTextBody } from './decode.ts';
import type { ExchangeReader } from './reader.ts';
import type { Db } from './schema.ts';
import { indexedText } from './search-text.ts';
import { CODEC, DICTIONARY_V1, unpacked } from './compression.ts';
import { inflateSmall, inflateSmallText } from './small-inflate.ts';
import { Packer } from './blobs.ts';
import { PartIndex, reindexWaiting } from './part-search.ts';
import { phraseText, serverText } from '../i18n/stored-text.ts';
import { cliLanguage } from '../i18n/languages.ts';

/** What a row still needs (exchanges.to_index). */
export const TO_INDEX = { done: 0, understand: 1, indexOnly: 2 } as const;

// An exchange's own text indexed per side (its URL, head, a split body's skeleton or a body stored
// whole, SSE events, WebSocket messages): 8 MB, where it was 1 MB for everything. The parts of a
// split body are not counted: each is indexed whole, once (db/part-search.ts), so a request of any
// size is found to its end. What stays bounded is what is indexed again for every exchange
// (answers, streams, message floods, bodies that cannot be split): a 300 MB download would hold
// the storage thread for minutes and double the index. Past the bound, the exchange's notes say
// what was left out of search (nothing silently unsearchable).
export const INDEX_TEXT_LIMIT = 8 * 1024 * 1024;
// A head's lines indexed: its values are bounded already (model/head-bounds.ts), a head of 2,000 is not worth more.
const HEADERS_TEXT_LIMIT = 64 * 1024;
// A compressed body is decoded whole to be indexed; past this size it is not indexed.
export const INDEX_MAX_ENCODED = 16 * 1024 * 1024;
// This run's finished exchanges waiting in memory, and the body bytes they may hold; past
// either, an exchange waits in its row only and is read back when its turn comes.
const MAX_QUEUED = 512;
// Past MAX_QUEUED, an exchange keeps its place in the queue by its id alone (read back at its
// turn); only past this many are the rows read in id order until none waits (overflowed). A
// moment's delay (a checkpoint, a busy core) at 1,800 exchanges a second filled the queue, and
// every later exchange was then read back from its row until the slices caught up: a quarter of
// a bench run's (bench/side-by-side.ts --recording-cost), a tenth of the storage thread's garbage.
const MAX_QUEUED_IDS = 100_000;
const QUEUED_BODY_BUDGET = 16 * 1024 * 1024;

/** A finished exchange as its events described it, with its bodies when they were kept. */
export interface Ended {
  exchange: Exchange;
  kept: Record<BodySide, Buffer[] | null>;
}

/** A finished exchange waiting in memory, or past MAX_QUEUED its id only (read back from its row). */
type Queued = (Ended & { keptBytes: number }) | { id: number; keptBytes: 0 };

/** Which rows a pass takes: those to understand only (this run's, and what a crash left), or also those only to index (an upgrade's). */
export type IndexWork = 'understand' | 'all';

export interface SliceDone {
  /** Exchanges understood: their list columns changed (the live feed sends them again). */
  understood: number[];
  /** Exchanges put in the search index. */
  indexed: number;
  /** Something more waits (the slice stopped at its bound, or failed). */
  more: boolean;
  /** The transaction failed (a full disk): nothing of it stays, it is tried again later. */
  failed: boolean;
}

/** A slice inside a caller's transaction: `work` in it, then `committed` or `rolledBack` once it ended. */
export interface SliceRun {
  work(): void;
  committed(): SliceDone;
  rolledBack(err: unknown): SliceDone;
}

export class Indexer {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  /**
   * Rows may wait to be understood that the queue does not hold: left by an earlier run (so at
   * start), or by this one (the queue was full, or indexing paused). They are read from the
   * rows, in order, before queuing again; while unset, a slice reads no rows (700 open streams
   * would be looked at with every batch).
   */
  private overflowed = true;
  /** Rows of an upgrade may wait to be indexed (to_index 2): until a slice finds none. */
  private olderLeft = true;
  /** Indexing waits (db/retention.ts merges the index: each new segment would start that work again). */
  private paused = false;
  /** The last failure to understand or index an exchange, for the writer to report once. */
  error: string | null = null;
  private readonly stmts;
  private readonly packer: Packer;
  private readonly parts: PartIndex;
  /** Rows stored before schema 16 may wait to be indexed again (upkeep.reindex_below): until a slice finds none. */
  private reindexLeft = true;

  constructor(
    private readonly db: Db,
    private readonly reader: ExchangeReader,
    /**
     * Stores what llm/ makes of a finished exchange (capture-store.ts), in an UPDATE that also
     * sets its to_index to 0; false if it wrote nothing (the row is then marked taken apart).
     */
    private readonly understand: (exchange: Exchange, bodies: EndedEvidence) => boolean,
  ) {
    this.packer = new Packer(db);
    this.parts = new PartIndex(db);
    const notCleared = 'id > (SELECT clear_up_to FROM upkeep)';
    this.stmts = {
      claim: db.prepare(`UPDATE exchanges SET to_index = 0 WHERE id = ? AND to_index > 0 AND ${notCleared}`),
      // Read, not written: the understanding's UPDATE marks the row taken (one UPDATE an exchange, not two).
      waiting: db.prepare(`SELECT 1 FROM exchanges WHERE id = ? AND to_index > 0 AND ${notCleared}`).pluck(),
      // `to_index > 0`: the partial index of waiting rows is then used, not the rowid range of every row (each slice runs these).
      rowsToUnderstand: db.prepare(
        `SELECT id FROM exchanges WHERE to_index = 1 AND to_index > 0 AND state NOT IN ('pending', 'streaming') AND ${notCleared} ORDER BY to_index, id LIMIT ?`,
      ),
      // Newest first: an upgrade's index is useful from its first slice on.
      rowsToIndex: db.prepare(
        `SELECT id FROM exchanges WHERE to_index = 2 AND to_index > 0 AND ${notCleared} ORDER BY to_index DESC, id DESC LIMIT ?`,
      ),
      insert: db.prepare('INSERT INTO exchanges_search (rowid, url, request, response) VALUES (?, ?, ?, ?)'),
      unindex: db.prepare('DELETE FROM exchanges_search WHERE rowid = ?'),
      reindexBelow: db.prepare('SELECT reindex_below FROM upkeep').pluck(),
      // Newest first, as an upgrade's index: rows still waiting (to_index > 0) are indexed the new way anyway.
      rowsToReindex: db.prepare(
        `SELECT id FROM exchanges WHERE id < ? AND to_index = 0 AND state NOT IN ('pending', 'streaming') AND ${notCleared} ORDER BY id DESC LIMIT ?`,
      ),
      setReindexBelow: db.prepare('UPDATE upkeep SET reindex_below = ?'),
      // Each row's earlier entry leaves a tombstone: merged out of the index by db/retention.ts.
      purge: db.prepare('UPDATE upkeep SET purge = 1'),
      note: db.prepare(`UPDATE exchanges SET notes = coalesce(notes || char(10), '') || ? WHERE id = ?`),
      sse: db.prepare('SELECT data, codec FROM sse_events WHERE exchange_id = ? ORDER BY seq'),
      ws: db.prepare('SELECT direction, opcode, payload, codec FROM ws_messages WHERE exchange_id = ? ORDER BY seq'),
    };
  }

  /** An exchange of this run ended (its row is committed): queued with what was kept of its bodies, or left to its row. */
  ended(one: Ended, keptBytes: number): void {
    if (this.paused || this.overflowed || this.queue.length >= MAX_QUEUED_IDS) {
      this.overflowed = true;
      return;
    }
    // Its place kept (rows are understood in the order they ended: a turn's thread is found from the one before).
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.push({ id: one.exchange.id, keptBytes: 0 });
      return;
    }
    const keep = keptBytes > 0 && this.queuedBytes + keptBytes <= QUEUED_BODY_BUDGET;
    this.queue.push({
      exchange: one.exchange,
      kept: keep ? one.kept : { request: null, response: null },
      keptBytes: keep ? keptBytes : 0,
    });
    if (keep) this.queuedBytes += keptBytes;
  }

  /**
   * An exchange of this run that ended in the batch being written, understood, packed and indexed
   * in that batch's transaction (db/capture-store.ts, while nothing ended before it waits): as a
   * slice does it, without being queued. A failure of the database's is thrown (the batch rolls back).
   */
  understandNow(one: Ended): void {
    this.one(one, true);
  }

  /** Body bytes the queue holds (counted in the store's budget for kept bodies). */
  get heldBytes(): number {
    return this.queuedBytes;
  }

  /** While paused, nothing is indexed and the queue holds no bodies: they are read back when indexed. */
  pause(on: boolean): void {
    this.paused = on;
    if (!on) return;
    if (this.queue.length) this.overflowed = true;
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** Clear all: what this run queued is being deleted; no entry of theirs may reach the index. */
  forget(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Understands and indexes finished exchanges in one transaction, this run's first (in the
   * order they ended: a thread's turns in order), then what a crash left, then (`all`) rows of
   * an upgrade, newest first; stops after `maxExchanges`, or once `maxMs` have passed after an
   * exchange. If the transaction fails (a full disk), nothing of it stays and it is tried again.
   */
  slice(work: IndexWork, maxMs: number, maxExchanges: number): SliceDone {
    if (this.paused) return { understood: [], indexed: 0, more: false, failed: false };
    const run = this.sliceRun(work, maxMs, maxExchanges);
    try {
      this.db.transaction(() => run.work())();
    } catch (err) {
      return run.rolledBack(err);
    }
    return run.committed();
  }

  /**
   * The same slice, run inside a transaction of the caller's (db/capture-store.ts folds it into a
   * capture batch's): the caller runs `work` in it, then says whether it committed. A failure in
   * `work` is thrown, so that the whole transaction rolls back.
   */
  sliceRun(work: IndexWork, maxMs: number, maxExchanges: number): SliceRun {
    const done: SliceDone = { understood: [], indexed: 0, more: false, failed: false };
    const started = performance.now();
    const taken: Queued[] = [];
    // Set as they were found once the transaction commits: rolled back, the rows still wait.
    let overflowed = this.overflowed;
    let olderLeft = this.olderLeft;
    let reindexLeft = this.reindexLeft;
    const over = () => done.indexed >= maxExchanges || performance.now() - started >= maxMs;
    return {
      work: () => {
        done.understood = [];
        done.indexed = 0;
        taken.length = 0;
        if (this.paused) return;
        while (this.queue.length && !over()) {
          const queued = this.queue.shift()!;
          taken.push(queued);
          this.queuedBytes -= queued.keptBytes;
          const one = 'exchange' in queued ? queued : this.readBackEnded(queued.id);
          if (one && this.one(one, true)) done.understood.push(one.exchange.id);
          done.indexed++;
        }
        for (const kind of work === 'all' ? [TO_INDEX.understand, TO_INDEX.indexOnly] : [TO_INDEX.understand]) {
          if (this.queue.length || over()) break;
          if (kind === TO_INDEX.understand && !this.overflowed) continue;
          if (kind === TO_INDEX.indexOnly && (overflowed || !this.olderLeft)) break;
          const limit = maxExchanges - done.indexed;
          const rows = (kind === TO_INDEX.understand ? this.stmts.rowsToUnderstand : this.stmts.rowsToIndex).all(
            limit,
          ) as { id: number }[];
          let all = true;
          for (const { id } of rows) {
            if (over()) {
              all = false;
              break;
            }
            const exchange = this.readBack(id);
            if (!exchange) continue;
            if (this.one({ exchange, kept: { request: null, response: null } }, kind === TO_INDEX.understand)) {
              if (kind === TO_INDEX.understand) done.understood.push(id);
            }
            done.indexed++;
          }
          // Every row that waited was done: none is left of this kind (new ones are queued).
          if (all && rows.length < limit) {
            if (kind === TO_INDEX.understand) overflowed = false;
            else olderLeft = false;
          }
        }
        // Then rows stored before schema 16, once nothing else waits.
        if (work === 'all' && reindexLeft && !overflowed && !olderLeft && !this.queue.length && !over()) {
          const again = this.reindexOlder(maxExchanges - done.indexed, over);
          done.indexed += again.done;
          if (again.none) reindexLeft = false;
        }
      },
      committed: () => {
        this.overflowed = overflowed;
        this.olderLeft = olderLeft;
        this.reindexLeft = reindexLeft;
        done.more = !this.paused && (this.queue.length > 0 || over());
        return done;
      },
      rolledBack: (err) => {
        // Rolled back: what was taken from the queue waits again, first, as it was.
        this.queue.unshift(...taken);
        this.queuedBytes += taken.reduce((n, one) => n + one.keptBytes, 0);
        // Said on the storage thread's console line, in the console's language (i18n qa.searchWaiting).
        const error = (err as Error).message;
        this.error = phraseText(
          taken.length
            ? { key: 'qa.searchWaiting.count', params: { count: taken.length, error } }
            : { key: 'qa.searchWaiting.stored', params: { error } },
          cliLanguage(process.env),
        );
        return { understood: [], indexed: 0, more: true, failed: true };
      },
    };
  }

  /**
   * Nothing of this run waits to be understood, and indexing is not paused: an exchange that ends
   * now may be understood and indexed at once (db/whole-exchange.ts) without overtaking one that
   * ended before it (a call's thread is found from the turn before).
   */
  get idle(): boolean {
    return !this.paused && !this.overflowed && this.queue.length === 0;
  }

  /** This run's finished exchanges waiting in memory for a slice. */
  get queued(): number {
    return this.queue.length;
  }

  /** A slice of `work` may find something to do: this run's finished exchanges wait in memory, or rows may wait. */
  hasWork(work: IndexWork): boolean {
    if (this.paused) return false;
    return this.queue.length > 0 || this.overflowed || (work === 'all' && (this.olderLeft || this.reindexLeft));
  }

  /** Runs slices until nothing of `work` waits (a flush, a stop, a test); false if a slice failed. */
  drain(
    work: IndexWork,
    onSlice: (done: SliceDone) => void = () => undefined,
    maxMs = Number.POSITIVE_INFINITY,
  ): boolean {
    const started = performance.now();
    for (;;) {
      const done = this.slice(work, 50, 64);
      if (done.understood.length) onSlice(done);
      if (done.failed) return false;
      if (!done.more || performance.now() - started >= maxMs) return true;
    }
  }

  /** Rows not in the search index yet (finished ones: an open exchange is indexed when it ends). */
  waitingRows(): number {
    // `to_index > 0` lets SQLite count through the partial index of waiting rows, not read every row (run at start).
    return (
      (
        this.db
          .prepare(
            `SELECT (SELECT count(*) FROM exchanges WHERE to_index = 2 AND to_index > 0) + (SELECT count(*) FROM exchanges WHERE to_index = 1 AND to_index > 0 AND state NOT IN ('pending', 'streaming')) AS n`,
          )
          .get() as { n: number }
      ).n + reindexWaiting(this.db)
    );
  }

  /**
   * Rows stored before schema 16 indexed again, newest first, as today's are: packed (harmless if
   * they are), their earlier entry (which held their parts' text, cut at 1 MB) replaced by their
   * own text, their parts indexed once and referred to. Until its turn a row is found by its
   * earlier entry. `none`: no such row is left (the earlier entries' words are then merged out).
   */
  private reindexOlder(limit: number, over: () => boolean): { done: number; none: boolean } {
    const below = this.stmts.reindexBelow.get() as number;
    if (!below) return { done: 0, none: true };
    const rows = this.stmts.rowsToReindex.all(below, limit) as { id: number }[];
    let lowest = below;
    let done = 0;
    for (const { id } of rows) {
      if (over()) break;
      const exchange = this.readAgain(id);
      if (exchange) {
        this.guarded(id, () => this.packer.pack(id, exchange.requestBody.encoding));
        this.stmts.unindex.run(id);
        this.guarded(id, () =>
          this.index(exchange, new OnceDecoded(this.reader, exchange, { request: null, response: null })),
        );
      }
      lowest = id;
      done++;
    }
    const none = done === rows.length && rows.length < limit;
    this.stmts.setReindexBelow.run(none ? 0 : lowest);
    if (none) this.stmts.purge.run();
    return { done, none };
  }

  /** A stored row read again to be indexed again; null (noted) if it cannot be read as an exchange. */
  private readAgain(id: number): Exchange | null {
    try {
      return this.reader.get(id);
    } catch (err) {
      if (isSqliteError(err)) throw err;
      this.error = `indexing exchange ${id}: ${(err as Error).message}`;
      return null;
    }
  }

  /** A row to index as an exchange; null (and the row no longer asked for) if it cannot be read as one. */
  /** An exchange queued by its id, as read back from its row (null: gone, or unreadable and marked done). */
  private readBackEnded(id: number): Ended | null {
    const exchange = this.readBack(id);
    return exchange && { exchange, kept: { request: null, response: null } };
  }

  private readBack(id: number): Exchange | null {
    try {
      const exchange = this.reader.get(id);
      if (exchange) return exchange;
    } catch (err) {
      if (isSqliteError(err)) throw err;
      this.error = `indexing exchange ${id}: ${(err as Error).message}`;
    }
    this.stmts.claim.run(id);
    return null;
  }

  /** One exchange, if its row still wants it (not done already, deleted or cleared); true if it was understood. */
  private one(one: Ended, understand: boolean): boolean {
    const { exchange } = one;
    const bodies = new OnceDecoded(this.reader, exchange, one.kept);
    if (understand) {
      if (this.stmts.waiting.get(exchange.id) === undefined) return false;
      let taken = false;
      // Each apart: an analysis that fails leaves the exchange searchable, and the other way round.
      this.guarded(exchange.id, () => {
        taken = this.understand(exchange, bodies);
      });
      if (!taken) this.stmts.claim.run(exchange.id);
    } else if (this.stmts.claim.run(exchange.id).changes === 0) return false;
    // This run's exchanges (and those a crash left) are stored as they came: packed now, after
    // being read as they are, and before being indexed, so that the index finds the request body
    // split and indexes its parts apart (db/part-search.ts). An upgrade's rows (indexOnly) are
    // packed by db/blobs.ts compactSlice.
    if (understand)
      this.guarded(exchange.id, () =>
        this.packer.pack(exchange.id, exchange.requestBody.encoding, bodies.keptWhole('request'), exchange.eventCount),
      );
    this.guarded(exchange.id, () => this.index(exchange, bodies));
    return understand;
  }

  /** An exchange's own entry in the search index, its split body's parts linked (each indexed once); past the bound, a note says what search misses. */
  private index(exchange: Exchange, bodies: OnceDecoded): void {
    const skeleton = this.parts.link(exchange.id);
    const cut: Partial<Record<BodySide, number>> = {};
    const doc = this.document(exchange, bodies, skeleton, cut);
    this.stmts.insert.run(exchange.id, doc.url, doc.request, doc.response);
    for (const side of ['request', 'response'] as const) {
      const bytes = cut[side];
      if (bytes === undefined) continue;
      const key = side === 'request' ? 'stored.searchCutRequest' : 'stored.searchCutResponse';
      this.stmts.note.run(
        serverText('en', key, { kept: `${INDEX_TEXT_LIMIT / 1024 / 1024} MB`, bytes: bytes.toLocaleString('en-US') }),
        exchange.id,
      );
    }
  }

  /** Runs one part of an exchange's work; a failure that is not the database's is noted, and the exchange stays stored. */
  private guarded(id: number, work: () => void): void {
    try {
      work();
    } catch (err) {
      // The database refused: the slice is rolled back and tried again.
      if (isSqliteError(err)) throw err;
      // The exchange is stored; only its search entry or model-call columns are missing.
      this.error = `indexing exchange ${id}: ${(err as Error).message}`;
    }
  }

  /**
   * What search finds an exchange by: its URL; each side's head, body (or SSE events), and
   * WebSocket messages; of a split request body (`skeleton` not null) what is around its parts,
   * which are indexed apart. `cut` gets the size of each side's text that was past the bound.
   */
  private document(
    exchange: Exchange,
    bodies: OnceDecoded,
    skeleton: Buffer | null,
    cut: Partial<Record<BodySide, number>>,
  ): { url: string; request: string; response: string } {
    const ws = exchange.streamKind === 'websocket' ? this.messages(exchange.id, cut) : { send: '', receive: '' };
    const sse = exchange.streamKind === 'sse' && exchange.eventCount > 0;
    const side = (_which: BodySide, headers: Header[], rest: string) => indexedText(`${headerLines(headers)}\n${rest}`);
    const requestText = skeleton
      ? boundedText(skeleton, 'request', cut)
      : this.bodyText(exchange, 'request', bodies, cut);
    return {
      url: indexedText(readableUrl(exchangeUrl(exchange.request))),
      request: side('request', exchange.request.headers, `${requestText}\n${ws.send}`),
      response: side(
        'response',
        exchange.response?.headers ?? [],
        `${sse ? this.events(exchange, bodies, cut) : this.bodyText(exchange, 'response', bodies, cut)}\n${ws.receive}`,
      ),
    };
  }

  /**
   * The SSE events' data (decoded already, whatever the body's encoding): those understanding read
   * before they were packed, else read here, rows only as far as the limit.
   */
  private events(exchange: Exchange, bodies: OnceDecoded, cut: Partial<Record<BodySide, number>>): string {
    const read = bodies.eventsRead();
    const statement = this.stmts.sse;
    function* rows(): Generator<string> {
      // Begun only when iterated: a query left open would hold the connection.
      for (const row of statement.iterate(exchange.id) as Iterable<{ data: unknown; codec: number }>) {
        // Packed (db/compression.ts): bytes of the text it was.
        const data = row.codec && Buffer.isBuffer(row.data) ? unpackedText(row.codec, row.data) : row.data;
        if (typeof data === 'string') yield data;
      }
    }
    return indexedEventsText(read ? read.map((e) => e.data) : rows(), exchange.responseBody.storedSize, cut);
  }

  /** Text messages each way, in order, up to the limit for both together; rows read only that far. */
  private messages(id: number, cut: Partial<Record<BodySide, number>>): { send: string; receive: string } {
    const rows = this.stmts.ws.iterate(id) as Iterable<{
      direction: string;
      opcode: number;
      payload: unknown;
      codec: number;
    }>;
    function* messages(): Generator<IndexedMessage> {
      for (const row of rows) {
        if (!Buffer.isBuffer(row.payload) || row.opcode === 2) continue;
        const payload = row.codec ? unpackedBytes(row.codec, row.payload) : row.payload;
        if (payload) yield { direction: row.direction, opcode: row.opcode, payload };
      }
    }
    return indexedMessagesText(messages(), cut);
  }

  /** At most INDEX_TEXT_LIMIT of a text body; an identity body is read only that far unless it was decoded already. */
  private bodyText(
    exchange: Exchange,
    side: BodySide,
    bodies: OnceDecoded,
    cut: Partial<Record<BodySide, number>>,
  ): string {
    return indexedBodyText(exchange, side, cut, {
      decoded: (s) => bodies.decoded(s),
      text: (s) => bodies.text(s),
      inMemory: (s) => bodies.inMemory(s),
      head: (s) => {
        const parts: Buffer[] = [];
        let size = 0;
        // Through the reader: rows are packed, and a split body is joined from its parts (db/blobs.ts).
        for (const data of this.reader.bodyChunks(exchange.id, s)) {
          parts.push(data);
          size += data.length;
          if (size >= INDEX_TEXT_LIMIT) break;
        }
        return Buffer.concat(parts);
      },
    });
  }
}

/**
 * Each body of one exchange decoded at most once, when first asked for: from memory when it was
 * kept, else read back; and its SSE events read once, when understanding asks (before they are
 * packed), for the index too: not read back again and inflated.
 */
class OnceDecoded implements EndedEvidence {
  private readonly texts: Partial<Record<BodySide, string | null>> = {};
  private events: SseEvent[] | undefined;

  constructor(
    private readonly reader: ExchangeReader,
    private readonly exchange: Exchange,
    private readonly kept: Record<BodySide, Buffer[] | null>,
  ) {}

  inMemory(side: BodySide): boolean {
    return this.kept[side] !== null;
  }

  /** A body's bytes as stored, when it was kept whole in memory (null: read back). */
  keptWhole(side: BodySide): Buffer | null {
    const kept = this.kept[side];
    if (!kept || kept.length === 0) return null;
    return kept.length === 1 ? kept[0] : Buffer.concat(kept);
  }

  /** The decoded text if it was decoded already (null: not text); undefined if not yet. */
  decoded(side: BodySide): string | null | undefined {
    return this.texts[side];
  }

  text(side: BodySide): string | null {
    if (!(side in this.texts)) {
      const kept = this.kept[side];
      const info = side === 'request' ? this.exchange.requestBody : this.exchange.responseBody;
      const headers = side === 'request' ? this.exchange.request.headers : (this.exchange.response?.headers ?? []);
      this.texts[side] = kept
        ? bodyViewOf(Buffer.concat(kept), info, headers).text
        : bodyView(this.reader, this.exchange, side).text;
    }
    return this.texts[side]!;
  }

  request(): string | null {
    return this.text('request');
  }

  response(): string | null {
    return this.text('response');
  }

  sseEvents(): SseEvent[] {
    this.events ??= this.reader.sseEvents(this.exchange.id);
    return this.events;
  }

  /** The SSE events if understanding read them (undefined: not read). */
  eventsRead(): SseEvent[] | undefined {
    return this.events;
  }
}

/** A packed column's bytes (null: they cannot be unpacked; the reader notes such damage, the index leaves them out). */
function unpackedBytes(codec: number, data: Buffer): Buffer | null {
  // A small row (an event, a message) without a zlib object of its own, as the export reads them
  // (db/small-inflate.ts: a zlib InflateRaw made per row was most of its cost); zlib for the rest.
  const small = codec === CODEC.deflateDict1 ? inflateSmall(data, DICTIONARY_V1) : null;
  if (small) return small;
  try {
    return unpacked(codec, data);
  } catch {
    return null;
  }
}

function unpackedText(codec: number, data: Buffer): string | null {
  const small = codec === CODEC.deflateDict1 ? inflateSmallText(data, DICTIONARY_V1) : null;
  if (small !== null) return small;
  return unpackedBytes(codec, data)?.toString('utf8') ?? null;
}

export function isSqliteError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/** A head as lines of `name: value` (values as stored: secrets masked), bounded. */
export function headerLines(headers: Header[]): string {
  let out = '';
  for (const [name, value] of headers) {
    if (out.length >= HEADERS_TEXT_LIMIT) break;
    out += `${name}: ${value}\n`;
  }
  return out.slice(0, HEADERS_TEXT_LIMIT);
}

/** The URL with its percent-escapes read where they decode (令牌 in a query string is found as 令牌); a malformed escape stays as it is. */
export function readableUrl(url: string): string {
  return url.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** The one rule for an SSE exchange's searchable text: its events' data, in order, up to the limit (the cut noted), from rows read lazily or from memory. */
export function indexedEventsText(
  data: Iterable<string>,
  storedSize: number,
  cut: Partial<Record<BodySide, number>>,
): string {
  const parts: string[] = [];
  let size = 0;
  for (const one of data) {
    parts.push(one);
    size += one.length;
    if (size >= INDEX_TEXT_LIMIT) break;
  }
  return boundedText(parts.join('\n'), 'response', cut, storedSize);
}

/** A WebSocket message as indexing reads it: its bytes unpacked. */
export interface IndexedMessage {
  direction: string;
  opcode: number;
  payload: Uint8Array;
}

/**
 * Text messages each way, in order, up to INDEX_TEXT_LIMIT for both together (binary ones and
 * those not text left out), for capture's indexer and the write-once path alike; past the limit
 * the cut is noted and the messages left are not read.
 */
export function indexedMessagesText(
  messages: Iterable<IndexedMessage>,
  cut: Partial<Record<BodySide, number>>,
): { send: string; receive: string } {
  const out = { send: [] as string[], receive: [] as string[] };
  let size = 0;
  for (const m of messages) {
    if (m.opcode === 2) continue;
    const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
    if (!isTextBody(undefined, payload)) continue;
    const text = utf8Prefix(payload, INDEX_TEXT_LIMIT - size).toString('utf8');
    (m.direction === 'send' ? out.send : out.receive).push(text);
    size += Buffer.byteLength(text);
    if (size >= INDEX_TEXT_LIMIT) {
      cut[m.direction === 'send' ? 'request' : 'response'] = size + payload.length - Buffer.byteLength(text);
      break;
    }
  }
  return { send: out.send.join('\n'), receive: out.receive.join('\n') };
}

/** Where a body's searchable text comes from: what capture kept or decoded, else the stored bytes' head. */
export interface IndexedBody {
  /** The body decoded (null: not text), or undefined when it has not been. */
  decoded(side: BodySide): string | null | undefined;
  /** The body decoded now, from what was kept in memory (null: not text). */
  text(side: BodySide): string | null;
  /** Whether the whole body is at hand in memory. */
  inMemory(side: BodySide): boolean;
  /** The stored body's first INDEX_TEXT_LIMIT bytes (or more). */
  head(side: BodySide): Buffer;
}

/**
 * At most INDEX_TEXT_LIMIT of a text body, for capture's indexer and the write-once path alike
 * (db/whole-exchange.ts): a body in memory or content-encoded as its decoded text (an encoded one
 * past INDEX_MAX_ENCODED not at all), a larger identity body as its first bytes; a cut noted.
 */
export function indexedBodyText(
  exchange: Exchange,
  side: BodySide,
  cut: Partial<Record<BodySide, number>>,
  body: IndexedBody,
): string {
  const info = side === 'request' ? exchange.requestBody : exchange.responseBody;
  const headers = side === 'request' ? exchange.request.headers : (exchange.response?.headers ?? []);
  const contentType = headerValue(headers, 'content-type');
  if (info.storedSize === 0 || (contentType && isBinaryContentType(contentType))) return '';
  const whole = body.decoded(side);
  if (whole !== undefined) return whole === null ? '' : boundedText(whole, side, cut);
  if (info.encoding || body.inMemory(side)) {
    if (info.storedSize > INDEX_MAX_ENCODED) {
      cut[side] = info.storedSize;
      return '';
    }
    return boundedText(body.text(side) ?? '', side, cut);
  }
  const head = utf8Prefix(body.head(side), INDEX_TEXT_LIMIT);
  if (!isTextBody(contentType, head)) return '';
  if (info.storedSize > head.length) cut[side] = info.storedSize;
  return head.toString('utf8');
}

/** At most INDEX_TEXT_LIMIT bytes of a side's text; when cut, `cut` gets its size (`size`: the whole it came from, when known). */
export function boundedText(
  text: string | Buffer,
  side: BodySide,
  cut: Partial<Record<BodySide, number>>,
  size?: number,
): string {
  if (Buffer.isBuffer(text)) {
    if (text.length > INDEX_TEXT_LIMIT) cut[side] = text.length;
    return utf8Prefix(text, INDEX_TEXT_LIMIT).toString('utf8');
  }
  const kept = textPrefix(text, INDEX_TEXT_LIMIT);
  if (kept.length < text.length) cut[side] = Math.max(size ?? 0, Buffer.byteLength(text));
  return kept;
}

/** At most `max` bytes of the text's UTF-8, whole characters only; a text short enough is not encoded to find out. */
function textPrefix(text: string, max: number): string {
  if (text.length * 3 <= max) return text;
  return utf8Prefix(Buffer.from(text), max).toString('utf8');
}

/** At most `max` bytes, never ending inside a UTF-8 sequence. */
export function utf8Prefix(data: Buffer, max: number): Buffer {
  if (data.length <= max) return data;
  let end = Math.max(0, max);
  while (end > 0 && (data[end] & 0xc0) === 0x80) end--;
  return data.subarray(0, end);
}
