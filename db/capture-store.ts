import type { BodySide, ExchangeEvent, Timings } from '../model/exchange.ts';
import { exchangeUrl, headerValue, isEventStream } from '../model/exchange.ts';
import { decodeBody, isBinaryContentType, isTextBody } from './decode.ts';
import { detectDialect } from '../llm/dialect.ts';
import { worst } from '../llm/diagnose.ts';
import { threadKeyOf } from '../llm/thread.ts';
import { callFacts, diagnosesOf, modelCallOf } from './model-calls.ts';
import { ExchangeReader } from './reader.ts';
import type { Db } from './schema.ts';

// Text indexed per body for search: enough for prompts and answers, bounded for huge bodies.
const FTS_TEXT_LIMIT = 1024 * 1024;
export const INTERRUPTED = 'wirelog stopped before this exchange ended';

/** Marks exchanges a previous wirelog left open (it crashed or was killed) as interrupted. */
export function interruptLeftovers(db: Db): number {
  return db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE state IN ('pending', 'streaming')").run(INTERRUPTED).changes;
}

// Chunks smaller than this are merged into rows of about this size.
const MERGE_BELOW = 16 * 1024;
// A compressed body is decoded whole to be indexed; past this size it is not indexed.
const FTS_MAX_ENCODED = 16 * 1024 * 1024;

interface OpenExchange {
  id: number;
  timings: Timings;
  pending: Record<BodySide, Buffer[]>;
  nextSeq: Record<BodySide, number>;
  eventCount: number;
  eventCountDirty: boolean;
}

/**
 * Applies ExchangeEvents to the database in batches, one transaction per batch.
 * Runs on the writer worker, never on the thread that forwards traffic.
 */
export class CaptureStore {
  private open = new Map<string, OpenExchange>();
  private readonly stmts;
  private readonly reader: ExchangeReader;
  /** The last failure to index an exchange for search, for the writer to report. */
  indexError: string | null = null;
  /** Exchanges stored whose index transaction failed: indexed with the next batch. */
  private unindexed: number[] = [];

  constructor(private readonly db: Db) {
    this.reader = new ExchangeReader(db);
    this.stmts = {
      insert: db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, via, replay_of, secrets, imported, state)
        VALUES (@uid, @startedAt, @clientAddress, @method, @scheme, @host, @port, @path, @httpVersion, @headers, @via, @replayOf, @secrets, @imported, 'pending')`),
      response: db.prepare(`UPDATE exchanges SET status = @status, status_text = @statusText, response_http_version = @httpVersion,
        response_headers = @headers, state = 'streaming', stream_kind = @streamKind, timings = @timings WHERE id = @id`),
      chunk: db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, ?, ?)'),
      sse: db.prepare('INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data) VALUES (?, ?, ?, ?, ?, ?)'),
      ws: db.prepare('INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload) VALUES (?, ?, ?, ?, ?, ?)'),
      eventCount: db.prepare('UPDATE exchanges SET event_count = ? WHERE id = ?'),
      end: db.prepare(`UPDATE exchanges SET state = @state, error = @error, timings = @timings,
        request_size = @reqSize, request_stored = @reqStored, request_truncated = @reqTruncated, request_encoding = @reqEncoding,
        response_size = @resSize, response_stored = @resStored, response_truncated = @resTruncated, response_encoding = @resEncoding
        WHERE id = @id`),
      call: db.prepare('UPDATE exchanges SET dialect = @dialect, model = @model, input_tokens = @inputTokens, output_tokens = @outputTokens, usage = @usage, ttft_ms = @ttftMs WHERE id = @id'),
      dialectOnly: db.prepare('UPDATE exchanges SET dialect = ? WHERE id = ?'),
      thread: db.prepare('UPDATE exchanges SET thread_key = ?, response_id = ? WHERE id = ?'),
      threadOfResponse: db.prepare('SELECT thread_key FROM exchanges WHERE response_id = ? ORDER BY id DESC LIMIT 1'),
      diagnosis: db.prepare('UPDATE exchanges SET diagnosis_severity = ?, diagnosis = ? WHERE id = ?'),
      interrupt: db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE id = ?"),
      body: db.prepare('SELECT data FROM bodies WHERE exchange_id = ? AND side = ? ORDER BY seq'),
      forIndex: db.prepare(`SELECT scheme, host, port, path, request_headers, response_headers, request_encoding, response_encoding,
        request_stored, response_stored FROM exchanges WHERE id = ?`),
      fts: db.prepare('INSERT INTO exchanges_fts (rowid, url, request_body, response_body) VALUES (?, ?, ?, ?)'),
    };
  }

  /**
   * Writes one batch; returns the ids of exchanges that changed. Throws if the database refuses
   * it, and then leaves no trace of the batch, in the database or here: the same batch can be
   * applied again once storage works.
   */
  apply(events: ExchangeEvent[]): number[] {
    const changed = new Set<number>();
    const ended: number[] = [];
    const before = this.snapshot();
    try {
      this.db.transaction(() => {
        for (const event of events) {
          const id = this.applyOne(event, ended);
          if (id !== null) changed.add(id);
        }
        for (const ex of this.open.values()) this.flushPending(ex);
      })();
    } catch (err) {
      this.open = before;
      throw err;
    }
    this.indexEnded(ended);
    return [...changed];
  }

  /**
   * Indexing decodes bodies: done after the batch commits, so what was captured is stored
   * first; in one transaction of its own, because a commit per statement costs more than the
   * work. If that transaction fails (a full disk), the exchanges are stored all the same and
   * are indexed with the next batch that commits.
   */
  private indexEnded(ended: number[]): void {
    const ids = [...this.unindexed, ...ended];
    if (ids.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const id of ids) {
          try {
            this.index(id);
            this.understand(id);
          } catch (err) {
            // The exchange is stored; only its search entry or model-call columns are missing.
            this.indexError = `indexing exchange ${id}: ${(err as Error).message}`;
          }
        }
      })();
      this.unindexed = [];
    } catch (err) {
      this.unindexed = ids;
      this.indexError = `indexing ${ids.length} exchange(s) for search is waiting: ${(err as Error).message}`;
    }
  }

  /**
   * Deletes every capture, leaving none of its bytes in the database file or its WAL. Zeroing
   * every deleted page (secure_delete, which retention uses) took 54 s for 869 MB; as nothing
   * stays, the full-text index is rebuilt empty and VACUUM rewrites the file from what is left
   * (1.7 s), then the WAL is checkpointed and truncated. Exchanges still in flight are
   * forgotten: their later events are ignored.
   */
  clear(): void {
    const zeroing = this.db.pragma('secure_delete', { simple: true });
    this.db.pragma('secure_delete = OFF');
    try {
      this.db.transaction(() => {
        this.db.prepare(`INSERT INTO exchanges_fts (exchanges_fts, rank) VALUES ('secure-delete', 0)`).run();
        for (const table of ['bodies', 'sse_events', 'ws_messages', 'exchanges_fts', 'exchanges']) this.db.prepare(`DELETE FROM ${table}`).run();
        this.db.prepare(`INSERT INTO exchanges_fts (exchanges_fts) VALUES ('rebuild')`).run();
        this.db.prepare(`INSERT INTO exchanges_fts (exchanges_fts, rank) VALUES ('secure-delete', ${zeroing ? 1 : 0})`).run();
      })();
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.pragma(`secure_delete = ${zeroing ? 'ON' : 'OFF'}`);
    }
    this.open.clear();
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
    return ids;
  }

  /** Open exchanges as they were, for apply to roll back to when its transaction does. */
  private snapshot(): Map<string, OpenExchange> {
    const copy = new Map<string, OpenExchange>();
    for (const [uid, ex] of this.open) {
      copy.set(uid, {
        ...ex,
        timings: { ...ex.timings },
        pending: { request: [...ex.pending.request], response: [...ex.pending.response] },
        nextSeq: { ...ex.nextSeq },
      });
    }
    return copy;
  }

  private applyOne(event: ExchangeEvent, ended: number[]): number | null {
    if (event.type === 'request') {
      const h = event.head;
      const result = this.stmts.insert.run({ ...h, uid: event.uid, headers: JSON.stringify(h.headers), via: h.via ?? null, replayOf: h.replayOf ?? null, secrets: h.secrets ? JSON.stringify(h.secrets) : null, imported: h.imported ?? null });
      const id = Number(result.lastInsertRowid);
      this.open.set(event.uid, { id, timings: {}, pending: { request: [], response: [] }, nextSeq: { request: 0, response: 0 }, eventCount: 0, eventCountDirty: false });
      return id;
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
        this.stmts.response.run({ ...event.head, id: ex.id, headers: JSON.stringify(event.head.headers), streamKind, timings: JSON.stringify(ex.timings) });
        break;
      }
      case 'body-chunk':
        ex.pending[event.side].push(Buffer.from(event.chunk.buffer, event.chunk.byteOffset, event.chunk.byteLength));
        break;
      case 'sse-event': {
        const e = event.event;
        this.stmts.sse.run(ex.id, e.seq, e.offsetMs, e.event, e.id, e.data);
        ex.eventCount++;
        ex.eventCountDirty = true;
        break;
      }
      case 'ws-message': {
        const m = event.message;
        this.stmts.ws.run(ex.id, m.seq, m.offsetMs, m.direction, m.opcode, Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength));
        ex.eventCount++;
        ex.eventCountDirty = true;
        break;
      }
      case 'end': {
        this.flushPending(ex);
        this.stmts.end.run({
          id: ex.id,
          state: event.state,
          error: event.error,
          timings: JSON.stringify({ ...ex.timings, ...event.timings }),
          reqSize: event.requestBody.size,
          reqStored: event.requestBody.storedSize,
          reqTruncated: event.requestBody.truncated ? 1 : 0,
          reqEncoding: event.requestBody.encoding,
          resSize: event.responseBody.size,
          resStored: event.responseBody.storedSize,
          resTruncated: event.responseBody.truncated ? 1 : 0,
          resEncoding: event.responseBody.encoding,
        });
        this.open.delete(event.uid);
        ended.push(ex.id);
        break;
      }
    }
    return ex.id;
  }

  /**
   * Small chunks (SSE deltas) are merged into one row per batch; a chunk already large is
   * written as it is, without another copy of it in memory.
   */
  private flushPending(ex: OpenExchange): void {
    for (const side of ['request', 'response'] as const) {
      let small: Buffer[] = [];
      let smallSize = 0;
      const writeSmall = () => {
        if (small.length === 0) return;
        this.stmts.chunk.run(ex.id, side, ex.nextSeq[side]++, small.length === 1 ? small[0] : Buffer.concat(small, smallSize));
        small = [];
        smallSize = 0;
      };
      for (const chunk of ex.pending[side]) {
        if (chunk.length >= MERGE_BELOW) {
          writeSmall();
          this.stmts.chunk.run(ex.id, side, ex.nextSeq[side]++, chunk);
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

  /** Stores what the exchange was as a model call (model, tokens, TTFT), for the list. */
  private understand(id: number): void {
    const exchange = this.reader.get(id);
    if (!exchange) return;
    // A model list is read when someone asks (a diagnosis, the detail); it has no figures to list.
    if (detectDialect(exchange.request.method, exchange.request.path) === 'models' && (exchange.response?.status ?? 0) < 400) {
      this.stmts.dialectOnly.run('models', id);
      return;
    }
    const call = modelCallOf(this.reader, exchange);
    if (call) {
      const facts = callFacts(call);
      this.stmts.call.run({ id, ...facts, usage: JSON.stringify(facts.usage) });
      const continued = call.previousResponseId ? ((this.stmts.threadOfResponse.get(call.previousResponseId) as { thread_key: string | null } | undefined)?.thread_key ?? null) : null;
      this.stmts.thread.run(threadKeyOf(exchange, call, continued), call.responseId ?? null, id);
    }
    const first = worst(diagnosesOf(this.reader, exchange, call));
    if (first) this.stmts.diagnosis.run(first.severity, first.summary, id);
  }

  private index(id: number): void {
    const row = this.stmts.forIndex.get(id) as
      | {
          scheme: string;
          host: string;
          port: number;
          path: string;
          request_headers: string;
          response_headers: string | null;
          request_encoding: string;
          response_encoding: string;
          request_stored: number;
          response_stored: number;
        }
      | undefined;
    if (!row) return;
    const text = (side: BodySide, headersJson: string | null, encoding: string, stored: number): string => {
      const contentType = headersJson ? headerValue(JSON.parse(headersJson), 'content-type') : undefined;
      if (stored === 0 || (contentType && isBinaryContentType(contentType))) return '';
      if (encoding && stored > FTS_MAX_ENCODED) return '';
      // Identity bodies are read only as far as the index goes; encoded ones must be decoded whole.
      const parts: Buffer[] = [];
      let size = 0;
      for (const r of this.stmts.body.iterate(id, side) as Iterable<{ data: Buffer }>) {
        parts.push(r.data);
        size += r.data.length;
        if (!encoding && size >= FTS_TEXT_LIMIT) break;
      }
      const decoded = decodeBody(Buffer.concat(parts), encoding);
      const head = utf8Prefix(decoded.data, FTS_TEXT_LIMIT);
      if (decoded.error || !isTextBody(contentType, head)) return '';
      return head.toString('utf8');
    };
    const url = exchangeUrl({ scheme: row.scheme as 'http', host: row.host, port: row.port, path: row.path });
    this.stmts.fts.run(
      id,
      url,
      text('request', row.request_headers, row.request_encoding, row.request_stored),
      text('response', row.response_headers, row.response_encoding, row.response_stored),
    );
  }
}

/** At most `max` bytes, never ending inside a UTF-8 sequence. */
function utf8Prefix(data: Buffer, max: number): Buffer {
  if (data.length <= max) return data;
  let end = max;
  while (end > 0 && (data[end] & 0xc0) === 0x80) end--;
  return data.subarray(0, end);
}
