import type { BodySide, ExchangeEvent, Timings } from '../model/exchange.ts';
import { isEventStream } from '../model/exchange.ts';
import type { CallFacts, Exchange, RequestHead, ResponseHead } from '../model/exchange.ts';
import { Indexer, TO_INDEX, type Ended, type SliceDone, type SliceRun } from './indexer.ts';
import { HEAD_LIMITS, boundEvent, boundNotes, boundText } from '../model/head-bounds.ts';
import { ExchangeReader } from './reader.ts';
import type { Db } from './schema.ts';
import { storedDiagnosisText, type DiagnosisMessage } from '../llm/diagnosis-text.ts';
import { LIST_TEXT_LIMITS } from '../model/summary.ts';
import { serverText } from '../i18n/stored-text.ts';
import { type Whole, WholeWriter, type Written, wholeOf } from './whole-exchange.ts';
import {
  type EndedEvidence,
  KEEP_BODY_BYTES,
  MERGE_BELOW,
  ROW_BYTES,
  clientOf,
  endColumns,
  mergedTimings,
  notesText,
  requestColumns,
  withTrailers,
} from './exchange-row.ts';

export const INTERRUPTED = 'wirelog stopped before this exchange ended';

export type { EndedBodies, EndedEvidence } from './exchange-row.ts';

/** What is learnt about a finished exchange outside db/ (llm/, wired in by the CLI), for the list's columns. */
export interface EndedFacts {
  dialect: string;
  /** Null for a model list: its dialect only. */
  call: CallFacts | null;
  threadKey: string | null;
  responseId: string | null;
  diagnosis: { severity: 'error' | 'warning' | 'info'; summary: string; message?: DiagnosisMessage } | null;
  /**
   * The client hung up after the answer's final event reached it ([DONE], response.completed,
   * message_stop), before the upstream ended the response: Codex does so on every call. The
   * answer is whole, so the exchange is stored as complete, with a note saying what happened.
   */
  closedAfterAnswer?: boolean;
}

export interface EndedContext {
  reader: ExchangeReader;
  /** The thread of the call that sent this response id, for a call that continues it. */
  threadOfResponse(responseId: string): string | null;
}

/** Understands a finished exchange; null when it is not a model call and has no diagnosis. */
export type UnderstandEnded = (exchange: Exchange, bodies: EndedEvidence, context: EndedContext) => EndedFacts | null;

/** Marks exchanges a previous wirelog left open (it crashed or was killed) as interrupted. */
export function interruptLeftovers(db: Db): number {
  return db
    .prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE state IN ('pending', 'streaming')")
    .run(INTERRUPTED).changes;
}
// The budget of bytes kept (KEEP_BODY_BYTES each, db/exchange-row.ts) for all open exchanges.
const KEEP_BUDGET_BYTES = 32 * 1024 * 1024;
// Exchanges ending in a batch understood and indexed in its transaction at most: a burst of
// endings holds the next batch up no longer than this many written once. The storage thread
// gathers posted batches into one transaction until this many ended (db/commit-gather.ts), so
// that each is written once: with 64, the rest of a 200-exchange transaction waited for slices,
// and so did every exchange of the batches after (bench/storage-row-cost.ts --batch 200: a GET
// row 160 µs, a model call 330, against 93 and 200 with all written once).
export const ENDING_NOW = 256;

interface OpenExchange {
  /** Its row's id; 0 until the row is written (at its end, or at the close of the batch it began in). */
  id: number;
  uid: string;
  /** What is known of it from its events: a finished exchange is understood without reading it back. */
  request: RequestHead;
  response: ResponseHead | null;
  streamKind: Exchange['streamKind'];
  /** Its bodies as stored, while small enough to keep (null once over KEEP_BODY_BYTES: read back). */
  kept: Record<BodySide, Buffer[] | null>;
  keptSize: Record<BodySide, number>;
  timings: Timings;
  pending: Record<BodySide, Buffer[]>;
  nextSeq: Record<BodySide, number>;
  eventCount: number;
  eventCountDirty: boolean;
  /** The response head arrived in this batch and is not written yet: the end writes it too, or the batch's close. */
  responseDirty: boolean;
  /** What was cut of its fields to store them (model/head-bounds.ts), written with each head and the end. */
  notes: string[];
}

/**
 * Applies ExchangeEvents to the database in batches, one transaction per batch.
 * Runs on the writer worker, never on the thread that forwards traffic.
 */
export class CaptureStore {
  private open = new Map<string, OpenExchange>();
  private readonly stmts;
  private readonly reader: ExchangeReader;
  /** Bytes of bodies kept in memory for open exchanges. */
  private keptTotal = 0;
  /** Understands and indexes finished exchanges after their batch (db/indexer.ts). */
  private readonly indexer: Indexer;
  /** Writes an exchange that began and ended in one batch once, packed, understood and indexed (db/whole-exchange.ts). */
  private readonly once: WholeWriter;
  /**
   * Set (the storage thread): a batch only stores; finished exchanges are understood and
   * indexed by indexSlice, between batches. Unset (an import, a tool, a test): each batch is
   * followed at once by the understanding and indexing of the exchanges it finished.
   */
  indexInSlices = false;

  constructor(
    private readonly db: Db,
    /** Absent: stored and indexed, with no model-call columns (a database tool, a test). */
    private readonly understandEnded?: UnderstandEnded,
  ) {
    this.reader = new ExchangeReader(db);
    this.indexer = new Indexer(db, this.reader, (exchange, bodies) => this.understand(exchange, bodies));
    this.once = new WholeWriter(
      db,
      (exchange, bodies) => this.understand(exchange, bodies),
      (_kind, id, error) => {
        this.indexer.error = `indexing exchange ${id}: ${error}`;
      },
    );
    this.stmts = {
      // Positional parameters, and no object spread to build them: spreading a head into a new
      // object with more keys makes a slow (dictionary) object, several hundred bytes and
      // microseconds per exchange on this thread (npm run bench, CPU per request).
      insert:
        db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, via, replay_of, secrets, imported, notes, client, state, to_index)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ${TO_INDEX.understand})`),
      // An exchange that began and ended in one batch (most of them: a batch holds 20 ms) is
      // written once, as it ended. Written pending, then updated, each of the ~17 indexes of
      // `exchanges` took its entry twice (state, status, size, duration: a NULL entry, then the
      // real one), and the row was encoded twice.
      insertEnded:
        db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, via, replay_of, secrets, imported, client, to_index,
        status, status_text, response_http_version, response_headers, stream_kind,
        state, error, timings, request_size, request_stored, request_truncated, request_encoding,
        response_size, response_stored, response_truncated, response_encoding, response_trailers, notes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${TO_INDEX.understand}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      response: db.prepare(`UPDATE exchanges SET status = ?, status_text = ?, response_http_version = ?,
        response_headers = ?, stream_kind = ?, state = 'streaming', timings = ?, notes = ? WHERE id = ?`),
      // Codec 0: as they are, packed once the exchange ended (db/indexer.ts).
      chunk: db.prepare('INSERT INTO bodies (exchange_id, side, seq, data, codec) VALUES (?, ?, ?, ?, 0)'),
      sse: db.prepare(
        'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, 0)',
      ),
      ws: db.prepare(
        'INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload, codec) VALUES (?, ?, ?, ?, ?, ?, 0)',
      ),
      eventCount: db.prepare('UPDATE exchanges SET event_count = ? WHERE id = ?'),
      responseAndEnd:
        db.prepare(`UPDATE exchanges SET status = ?, status_text = ?, response_http_version = ?, response_headers = ?, stream_kind = ?,
        state = ?, error = ?, timings = ?, request_size = ?, request_stored = ?, request_truncated = ?, request_encoding = ?,
        response_size = ?, response_stored = ?, response_truncated = ?, response_encoding = ?, response_trailers = ?, notes = ? WHERE id = ?`),
      end: db.prepare(`UPDATE exchanges SET state = ?, error = ?, timings = ?, request_size = ?, request_stored = ?, request_truncated = ?, request_encoding = ?,
        response_size = ?, response_stored = ?, response_truncated = ?, response_encoding = ?, response_trailers = ?, notes = ? WHERE id = ?`),
      notes: db.prepare('UPDATE exchanges SET notes = ? WHERE id = ?'),
      answered: db.prepare("UPDATE exchanges SET state = 'complete', error = NULL WHERE id = ? AND state = 'aborted'"),
      // Each marks the row taken too (to_index 0; db/indexer.ts checked it waits): one UPDATE an exchange.
      call: db.prepare(
        'UPDATE exchanges SET to_index = 0, dialect = ?, model = ?, input_tokens = ?, output_tokens = ?, usage = ?, ttft_ms = ?, images = ?, thread_key = ?, response_id = ? WHERE id = ?',
      ),
      dialectOnly: db.prepare('UPDATE exchanges SET to_index = 0, dialect = ? WHERE id = ?'),
      threadOfResponse: db.prepare('SELECT thread_key FROM exchanges WHERE response_id = ? ORDER BY id DESC LIMIT 1'),
      diagnosis: db.prepare('UPDATE exchanges SET diagnosis_severity = ?, diagnosis = ? WHERE id = ?'),
      interrupt: db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE id = ?"),
    };
  }

  /**
   * Writes one batch; returns the ids of exchanges that changed. Throws if the database refuses
   * it, and then leaves no trace of the batch, in the database or here: the same batch can be
   * applied again once storage works.
   */
  apply(events: ExchangeEvent[]): number[] {
    return this.write(events, null).changed;
  }

  /**
   * Writes one batch and, in the same transaction, a slice of understanding and indexing of the
   * exchanges earlier batches finished (as indexSlice). Each transaction writes every page it
   * dirtied (the rows' table and the exchanges' ~17 indexes, whatever the rows) and the search
   * index's new segment: a slice in a transaction of its own wrote many of those pages again.
   * If it fails, neither the batch nor the slice leaves a trace, and both can be tried again.
   */
  applyWithSlice(
    events: ExchangeEvent[],
    work: 'understand' | 'all',
    maxMs: number,
    maxExchanges: number,
  ): { changed: number[]; done: SliceDone } {
    const slice = this.indexer.sliceRun(work, maxMs, maxExchanges);
    const { changed, done } = this.write(events, slice);
    return { changed, done: done! };
  }

  private write(events: ExchangeEvent[], slice: SliceRun | null): { changed: number[]; done?: SliceDone } {
    const touched = new Set<OpenExchange>();
    const ended: Ended[] = [];
    // Each exchange the batch touches, as it was before (null: not open), to roll back to. Only
    // those: copying every open exchange per batch cost most with the most open (700 streams).
    const before = new Map<string, OpenExchange | null>();
    const writtenOnce: number[] = [];
    const understoodNow = new Set<Ended>();
    try {
      this.db.transaction(() => {
        writtenOnce.length = 0;
        understoodNow.clear();
        // First: the slice takes only exchanges ended in earlier batches, and once it took them
        // all, this batch's finished exchanges need not wait for a slice of their own.
        slice?.work();
        const groups = byExchange(events);
        const now = this.indexer.idle ? this.endingNow(events, groups) : new Set<string>();
        const wholes = this.wholesOf(groups, now);
        const written: Written[] = [];
        // Exchange by exchange, in the order they first appear: each row is written while its
        // exchange is applied (whole at its end, else as it is so far), so rows keep the order
        // exchanges began in, and one that began and ended in this batch is written once.
        for (const [uid, own] of groups) {
          const whole = wholes.get(uid);
          if (whole) {
            written.push(this.once.write(whole));
            continue;
          }
          before.set(uid, copyOf(this.open.get(uid)));
          for (const event of own) {
            const ex = this.applyOne(event, ended);
            if (ex) touched.add(ex);
          }
          const ex = this.open.get(uid);
          if (ex) this.flushPending(ex);
        }
        if (now.size === 0) return;
        // Nothing that ended before waits: the exchanges ending now are understood and indexed in
        // this batch, after all of its rows, in the order they ended (a call's thread is found
        // from the turn before). One written once from memory; one stored as it came (it began in
        // an earlier batch, or its body was too large to hold) packed from its rows, as a slice does.
        const once = new Map(written.map((one) => [one.exchange.uid, one]));
        // Each let go once indexed: its bodies and the texts decoded from them are not held to the batch's end.
        written.length = 0;
        const others = new Map(ended.map((one) => [one.exchange.uid, one]));
        for (const event of events) {
          if (event.type !== 'end' || !now.has(event.uid)) continue;
          const whole = once.get(event.uid);
          const other = others.get(event.uid);
          if (whole) {
            this.once.understandAndIndex(whole);
            once.delete(event.uid);
            writtenOnce.push(whole.exchange.id);
          } else if (other) {
            this.indexer.understandNow(other);
            understoodNow.add(other);
          }
        }
      })();
    } catch (err) {
      for (const [uid, ex] of before) {
        if (ex) this.open.set(uid, ex);
        else this.open.delete(uid);
      }
      this.keptTotal = [...this.open.values()].reduce(
        (n, ex) => n + (ex.kept.request ? ex.keptSize.request : 0) + (ex.kept.response ? ex.keptSize.response : 0),
        0,
      );
      slice?.rolledBack(err);
      throw err;
    }
    // Before this batch's ended exchanges are queued: what the slice found is as of its start.
    const done = slice?.committed();
    // Committed: the rows are visible. What was not understood in the batch waits for a slice.
    for (const one of ended) if (!understoodNow.has(one)) this.indexer.ended(one, keptBytesOf(one));
    if (!this.indexInSlices) this.indexer.drain('understand');
    // Every row the batch touched is written now: its id is known.
    const changed: number[] = [];
    for (const ex of touched) changed.push(ex.id);
    if (writtenOnce.length) {
      changed.push(...writtenOnce);
      changed.sort((a, b) => a - b);
    }
    return { changed, done };
  }

  /**
   * The exchanges ending in this batch that are understood and indexed in it (asked only while
   * nothing that ended before waits: an earlier batch's, an earlier run's, or indexing paused):
   * the first ENDING_NOW to end, as a slice takes at most so many. Those after wait for a slice,
   * and so does every later exchange until it ran (none overtakes one that ended before it).
   */
  private endingNow(events: ExchangeEvent[], groups: Map<string, ExchangeEvent[]>): Set<string> {
    const now = new Set<string>();
    for (const event of events) {
      if (now.size === ENDING_NOW) break;
      // Ignored events (after a Clear) end nothing.
      if (event.type === 'end' && (this.open.has(event.uid) || groups.get(event.uid)![0].type === 'request'))
        now.add(event.uid);
    }
    return now;
  }

  /**
   * The batch's exchanges that began and ended in it, to be written once (db/whole-exchange.ts):
   * their rows as they ended, bodies packed, understood and indexed in this transaction, instead
   * of rows as they came, then packed and the row updated in a later slice's (bench/storage-row-cost.ts).
   * Of those ending now only. A body over KEEP_BODY_BYTES is stored as it comes: memory as capture keeps it.
   * Their bodies are held together until the batch's last is indexed (joined, decoded, packed), so
   * within the budget of kept bodies as what open exchanges keep and the indexer holds (64 ending
   * with 1 MB bodies held 128 MB and more); past it, one is stored as it came and understood from its rows.
   */
  private wholesOf(groups: Map<string, ExchangeEvent[]>, now: Set<string>): Map<string, Whole> {
    const out = new Map<string, Whole>();
    let room = KEEP_BUDGET_BYTES - this.keptTotal - this.indexer.heldBytes;
    for (const uid of now) {
      const own = groups.get(uid)!;
      if (this.open.has(uid) || own[0].type !== 'request' || own[own.length - 1].type !== 'end') continue;
      const whole = wholeOf(own);
      if (!whole) continue;
      const request = sum(whole.chunks.request);
      const response = sum(whole.chunks.response);
      if (request > KEEP_BODY_BYTES || response > KEEP_BODY_BYTES || request + response > room) continue;
      room -= request + response;
      out.set(uid, whole);
    }
    return out;
  }

  /**
   * One slice of understanding and indexing (the storage thread runs them between batches): this
   * run's finished exchanges first, then what an earlier run left, then (`all`) an upgrade's rows.
   */
  indexSlice(work: 'understand' | 'all', maxMs: number, maxExchanges: number): SliceDone {
    return this.indexer.slice(work, maxMs, maxExchanges);
  }

  /** Understands and indexes everything that waits (`understand`: all but an upgrade's rows), slice after slice; false if a slice failed. */
  indexWaiting(work: 'understand' | 'all' = 'all', onSlice?: (done: SliceDone) => void, maxMs?: number): boolean {
    return this.indexer.drain(work, onSlice, maxMs);
  }

  /** This run's finished exchanges waiting in memory to be understood and indexed. */
  get endedWaiting(): number {
    return this.indexer.queued;
  }

  /** A slice of `work` may find something to do (finished exchanges wait to be understood, or rows to be indexed). */
  sliceHasWork(work: 'understand' | 'all'): boolean {
    return this.indexer.hasWork(work);
  }

  /** Finished exchanges not in the search index yet (stored by an earlier run, or waiting their turn). */
  unindexedRows(): number {
    return this.indexer.waitingRows();
  }

  /** The last failure to understand or index an exchange, for the writer to report (null: none since it was read). */
  get indexError(): string | null {
    return this.indexer.error;
  }

  set indexError(value: string | null) {
    this.indexer.error = value;
  }

  /**
   * While set, finished exchanges wait to be indexed: db/retention.ts's merge steps rewrite the
   * index, and each new segment a batch adds would start that work again. Their bodies are not
   * held meanwhile: they are read back when indexed.
   */
  set deferIndexing(on: boolean) {
    this.indexer.pause(on);
  }

  /**
   * Begins Clear all: every exchange stored so far is marked to be deleted (db/retention.ts
   * deletes them in steps, leaving none of their bytes in the files); exchanges that begin
   * after this are kept. Exchanges still in flight are forgotten: their later events are
   * ignored. One short statement: capture goes on while the clearing does.
   */
  clear(): void {
    this.db.prepare('UPDATE upkeep SET clear_up_to = (SELECT coalesce(max(id), 0) FROM exchanges)').run();
    this.open.clear();
    this.keptTotal = 0;
    // Not indexed yet: they are being deleted, and no entry of theirs may reach the index.
    this.indexer.forget();
  }

  /** Ends every exchange still open as interrupted: wirelog is stopping before they ended. */
  interruptOpen(): number[] {
    const ids: number[] = [];
    this.db.transaction(() => {
      for (const ex of this.open.values()) {
        this.flushPending(ex);
        this.stmts.interrupt.run(INTERRUPTED, ex.id);
        ids.push(ex.id);
      }
    })();
    this.open.clear();
    this.keptTotal = 0;
    return ids;
  }

  private applyOne(unbounded: ExchangeEvent, ended: Ended[]): OpenExchange | null {
    // Whatever the source (the proxy bounds its heads already, an import or a test may not): no
    // field is stored past its bound, and each cut is noted (one pass over lengths when none is).
    const event = boundEvent(unbounded);
    if (event.type === 'request') {
      const h = event.head;
      // Its row is written at its end if that is in this batch, else when the batch closes (flushPending).
      const ex: OpenExchange = {
        id: 0,
        uid: event.uid,
        request: h,
        response: null,
        streamKind: null,
        kept: { request: [], response: [] },
        keptSize: { request: 0, response: 0 },
        timings: {},
        pending: { request: [], response: [] },
        nextSeq: { request: 0, response: 0 },
        eventCount: 0,
        eventCountDirty: false,
        responseDirty: false,
        notes: h.notes ?? [],
      };
      this.open.set(event.uid, ex);
      return ex;
    }
    const ex = this.open.get(event.uid);
    if (!ex) return null;
    switch (event.type) {
      case 'request-sent':
        // Written with the response head or the end, whichever comes first: one UPDATE less per exchange.
        ex.timings.requestSent = event.atMs;
        break;
      case 'response-head': {
        ex.timings.responseHeaders = event.atMs;
        const streamKind = event.head.status === 101 ? 'websocket' : isEventStream(event.head.headers) ? 'sse' : null;
        ex.response = event.head;
        ex.streamKind = streamKind;
        if (event.head.notes) ex.notes = boundNotes([...ex.notes, ...event.head.notes]);
        // Written with the end when it is in the same batch (a short exchange: one UPDATE, not two).
        ex.responseDirty = true;
        break;
      }
      case 'body-chunk': {
        const chunk = Buffer.from(event.chunk.buffer, event.chunk.byteOffset, event.chunk.byteLength);
        ex.pending[event.side].push(chunk);
        const kept = ex.kept[event.side];
        if (kept) {
          if (
            ex.keptSize[event.side] + chunk.length > KEEP_BODY_BYTES ||
            this.keptTotal + this.indexer.heldBytes + chunk.length > KEEP_BUDGET_BYTES
          ) {
            this.keptTotal -= ex.keptSize[event.side];
            ex.kept[event.side] = null;
          } else {
            // A copy: the chunk's bytes may be the shared ring's, reused once this batch is stored.
            kept.push(Buffer.from(chunk));
            ex.keptSize[event.side] += chunk.length;
            this.keptTotal += chunk.length;
          }
        }
        break;
      }
      case 'sse-event': {
        const e = event.event;
        this.stmts.sse.run(this.written(ex), e.seq, e.offsetMs, e.event, e.id, e.data);
        ex.eventCount++;
        ex.eventCountDirty = true;
        break;
      }
      case 'ws-message': {
        const m = event.message;
        this.stmts.ws.run(
          this.written(ex),
          m.seq,
          m.offsetMs,
          m.direction,
          m.opcode,
          Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
        );
        ex.eventCount++;
        ex.eventCountDirty = true;
        break;
      }
      case 'end': {
        const timings = mergedTimings(ex.timings, event.timings);
        const trailers = event.responseTrailers ?? null;
        if (event.notes) ex.notes = boundNotes([...ex.notes, ...event.notes]);
        const ending = endColumns(event, timings, trailers, ex.notes);
        if (ex.id === 0) {
          // Begun in this batch: its row is written once, as it ended.
          const h = ex.request;
          const r = ex.response;
          ex.id = Number(
            this.stmts.insertEnded.run(
              ...requestColumns(ex.uid, h),
              clientOf(h.headers),
              r?.status ?? null,
              r?.statusText ?? null,
              r?.httpVersion ?? null,
              r ? JSON.stringify(r.headers) : null,
              ex.streamKind,
              ...ending,
            ).lastInsertRowid,
          );
          ex.responseDirty = false;
          this.flushPending(ex, true);
        } else {
          this.flushPending(ex, true);
          const head = ex.responseDirty ? ex.response : null;
          ex.responseDirty = false;
          if (head)
            this.stmts.responseAndEnd.run(
              head.status,
              head.statusText,
              head.httpVersion,
              JSON.stringify(head.headers),
              ex.streamKind,
              ...ending,
              ex.id,
            );
          else this.stmts.end.run(...ending, ex.id);
        }
        this.open.delete(event.uid);
        for (const side of ['request', 'response'] as const) if (ex.kept[side]) this.keptTotal -= ex.keptSize[side];
        const exchange: Exchange = {
          id: ex.id,
          uid: ex.uid,
          request: ex.request,
          response: ex.response && trailers ? withTrailers(ex.response, trailers) : ex.response,
          state: event.state,
          error: event.error,
          timings,
          requestBody: event.requestBody,
          responseBody: event.responseBody,
          streamKind: ex.streamKind,
          eventCount: ex.eventCount,
          call: null,
          diagnosis: null,
        };
        if (ex.notes.length) exchange.notes = ex.notes;
        ended.push({ exchange, kept: ex.kept });
        break;
      }
    }
    return ex;
  }

  /** The row of an exchange still open, written as it is so far if it was not yet (something of it needs its id): its id. */
  private written(ex: OpenExchange): number {
    if (ex.id === 0)
      ex.id = Number(
        this.stmts.insert.run(...requestColumns(ex.uid, ex.request), notesText(ex.notes), clientOf(ex.request.headers))
          .lastInsertRowid,
      );
    return ex.id;
  }

  /**
   * Writes what waits of an open exchange (its response head, body chunks, event count);
   * `ending`: the end writes the head. Small chunks (SSE deltas) are merged into one row per
   * batch; a chunk already large is written as it is, without another copy of it in memory.
   */
  private flushPending(ex: OpenExchange, ending = false): void {
    this.written(ex);
    if (ex.responseDirty && ex.response && !ending) {
      const r = ex.response;
      this.stmts.response.run(
        r.status,
        r.statusText,
        r.httpVersion,
        JSON.stringify(r.headers),
        ex.streamKind,
        JSON.stringify(ex.timings),
        notesText(ex.notes),
        ex.id,
      );
      ex.responseDirty = false;
    }
    for (const side of ['request', 'response'] as const) {
      let small: Buffer[] = [];
      let smallSize = 0;
      const writeSmall = () => {
        if (small.length === 0) return;
        this.writeRow(ex, side, small.length === 1 ? small[0] : Buffer.concat(small, smallSize));
        small = [];
        smallSize = 0;
      };
      for (const chunk of ex.pending[side]) {
        if (chunk.length >= MERGE_BELOW) {
          writeSmall();
          for (let at = 0; at < chunk.length; at += ROW_BYTES)
            this.writeRow(ex, side, chunk.subarray(at, at + ROW_BYTES));
        } else {
          small.push(chunk);
          smallSize += chunk.length;
          if (smallSize >= MERGE_BELOW) writeSmall();
        }
      }
      writeSmall();
      ex.pending[side] = [];
    }
    if (ex.eventCountDirty) {
      this.stmts.eventCount.run(ex.eventCount, ex.id);
      ex.eventCountDirty = false;
    }
  }

  /** One row of a body, as it is (packed after the exchange ended). */
  private writeRow(ex: OpenExchange, side: BodySide, bytes: Buffer): void {
    this.stmts.chunk.run(ex.id, side, ex.nextSeq[side]++, bytes);
  }

  /**
   * Stores what the exchange was as a model call (model, tokens, TTFT, thread, diagnosis), for the
   * list, and marks its row taken in the same UPDATE; false if nothing was written.
   */
  understand(exchange: Exchange, bodies: EndedEvidence): boolean {
    const facts = this.understandEnded?.(exchange, bodies, {
      reader: this.reader,
      threadOfResponse: (responseId) =>
        (this.stmts.threadOfResponse.get(responseId) as { thread_key: string | null } | undefined)?.thread_key ?? null,
    });
    if (!facts) return false;
    const id = exchange.id;
    // What the bodies said is as large as they are (a model name, a relay's error): bounded as head fields are.
    const notes: string[] = [];
    const bounded = (text: string | null, max: number, what: string) =>
      text === null ? null : boundText(text, max, what, notes);
    const dialect = boundText(facts.dialect, HEAD_LIMITS.short, 'dialect', notes);
    if (facts.call) {
      const c = facts.call;
      this.stmts.call.run(
        dialect,
        bounded(c.model, HEAD_LIMITS.short, 'model name'),
        c.inputTokens,
        c.outputTokens,
        JSON.stringify(c.usage),
        c.ttftMs,
        c.images || null,
        bounded(facts.threadKey, HEAD_LIMITS.short, 'thread key'),
        bounded(facts.responseId, HEAD_LIMITS.short, 'response id'),
        id,
      );
    } else {
      this.stmts.dialectOnly.run(dialect, id);
    }
    // The message id and parameters (JSON), rendered when read in the reader's language (llm/diagnosis-text.ts).
    if (facts.diagnosis)
      this.stmts.diagnosis.run(
        facts.diagnosis.severity,
        bounded(
          storedDiagnosisText(facts.diagnosis, LIST_TEXT_LIMITS.diagnosis),
          HEAD_LIMITS.error,
          'diagnosis summary',
        ),
        id,
      );
    if (facts.closedAfterAnswer && exchange.state === 'aborted' && this.stmts.answered.run(id).changes > 0)
      notes.push(serverText('en', 'stored.clientClosedAfterAnswer'));
    if (notes.length) this.stmts.notes.run(notesText(boundNotes([...(exchange.notes ?? []), ...notes])), id);
    return true;
  }
}

/** A batch's events per exchange, exchanges in the order of their first event, each one's events in order. */
export function byExchange(events: ExchangeEvent[]): Map<string, ExchangeEvent[]> {
  const out = new Map<string, ExchangeEvent[]>();
  for (const event of events) {
    const own = out.get(event.uid);
    if (own) own.push(event);
    else out.set(event.uid, [event]);
  }
  return out;
}

/** An open exchange as it is now, for apply to roll back to when its transaction does. */
function copyOf(ex: OpenExchange | undefined): OpenExchange | null {
  if (!ex) return null;
  return {
    ...ex,
    notes: [...ex.notes],
    timings: { ...ex.timings },
    pending: { request: [...ex.pending.request], response: [...ex.pending.response] },
    kept: { request: ex.kept.request && [...ex.kept.request], response: ex.kept.response && [...ex.kept.response] },
    keptSize: { ...ex.keptSize },
    nextSeq: { ...ex.nextSeq },
  };
}

/** Body bytes a finished exchange still holds in memory (what was kept of its bodies). */
function keptBytesOf(one: Ended): number {
  return (one.kept.request ? sum(one.kept.request) : 0) + (one.kept.response ? sum(one.kept.response) : 0);
}

function sum(chunks: Buffer[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}
