// An exchange written once, whole (issue 28): its row as it ended, each body in its final packed
// form (a model call's request split into its stored-once parts, every row compressed), its SSE
// events and WebSocket messages packed, then understood and put in the search index from the
// bytes and texts in memory. Capture's other path writes rows as they come and packs, understands
// and indexes them after the exchange ended, in a later transaction (db/indexer.ts): each body
// written twice, the row updated again, SSE events read back. What is stored is the same, row for
// row (test/import-store.test.ts, test/capture-write-once.test.ts).
//
// Two writers use it: `wirelog import` (db/import-store.ts: every exchange of a HAR file is whole)
// and the storage thread (db/capture-store.ts: an exchange that began and ended in one batch).
import type {
  BodyInfo,
  BodySide,
  Exchange,
  ExchangeEvent,
  Header,
  RequestHead,
  ResponseHead,
  SseEvent,
  Timings,
  WsMessage,
} from '../model/exchange.ts';
import { exchangeUrl, isEventStream } from '../model/exchange.ts';
import { boundEvent, boundNotes } from '../model/head-bounds.ts';
import { serverText } from '../i18n/stored-text.ts';
import { bodyViewOf } from './body-view.ts';
import { Blobs, SPLIT_MAX_BYTES } from './blobs.ts';
import type { EndedEvidence } from './exchange-row.ts';
import {
  KEEP_BODY_BYTES,
  MERGE_BELOW,
  ROW_BYTES,
  clientOf,
  endColumns,
  mergedTimings,
  requestColumns,
  withTrailers,
} from './exchange-row.ts';
import { packed } from './compression.ts';
import {
  INDEX_TEXT_LIMIT,
  TO_INDEX,
  boundedText,
  headerLines,
  indexedBodyText,
  indexedEventsText,
  indexedMessagesText,
  isSqliteError,
  readableUrl,
} from './indexer.ts';
import { PartIndex } from './part-search.ts';
import { type RequestSplit, splitRequest } from './request-reencode.ts';
import type { Db } from './schema.ts';
import { indexedText } from './search-text.ts';

type End = Extract<ExchangeEvent, { type: 'end' }>;

/** SSE events written by one INSERT (the rest of an exchange's one at a time). */
const SSE_ROWS_AT_ONCE = 8;

/** What a whole exchange's writer stored but could not do for it: read it as a model call, index it, pack its request. */
export type WholeFailureKind = 'understand' | 'index' | 'pack';
const FAILURE_NOTE = {
  understand: 'stored.understandFailed',
  index: 'stored.indexFailed',
  pack: 'stored.packFailed',
} as const;

/** One whole exchange, as its events describe it. */
export interface Whole {
  request: RequestHead;
  response: ResponseHead | null;
  streamKind: Exchange['streamKind'];
  notes: string[];
  requestSent: number | undefined;
  responseAt: number | undefined;
  chunks: Record<BodySide, Buffer[]>;
  sse: Extract<ExchangeEvent, { type: 'sse-event' }>['event'][];
  ws: Extract<ExchangeEvent, { type: 'ws-message' }>['message'][];
  end: End;
}

/** A whole exchange once its rows are written: what understanding and indexing it need. */
export interface Written {
  exchange: Exchange;
  bodies: HeldBodies;
  /** The split request body's skeleton and parts (each part's blob id and bytes), or null. */
  split: { skeleton: Buffer; parts: { id: number; bytes: Buffer }[] } | null;
}

/** Writes whole exchanges once, then understands and indexes them (in the caller's transaction). */
export class WholeWriter {
  private readonly blobs: Blobs;
  private readonly parts: PartIndex;
  private readonly stmts;

  constructor(
    db: Db,
    /** Stores what llm/ makes of the exchange (db/capture-store.ts understand). */
    private readonly understand: (exchange: Exchange, bodies: EndedEvidence) => unknown,
    /** Told of each failure that is not the database's (the exchange stays stored, with a note saying what was not done). */
    private readonly onFailure: (kind: WholeFailureKind, id: number, error: string) => void,
  ) {
    this.blobs = new Blobs(db);
    this.parts = new PartIndex(db);
    this.stmts = {
      // Capture's insertEnded, with the event count (an exchange of SSE events is written once too),
      // and taken already (to_index 0): it is understood and indexed in this same transaction, so a
      // crash leaves it whole or not at all, and the partial index of waiting rows never holds it.
      insert:
        db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, via, replay_of, secrets, imported, client, to_index,
        status, status_text, response_http_version, response_headers, stream_kind,
        state, error, timings, request_size, request_stored, request_truncated, request_encoding,
        response_size, response_stored, response_truncated, response_encoding, response_trailers, notes, event_count)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${TO_INDEX.done}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      body: db.prepare('INSERT INTO bodies (exchange_id, side, seq, data, codec) VALUES (?, ?, ?, ?, ?)'),
      sse: db.prepare(
        'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // SSE_ROWS_AT_ONCE events in one statement: a statement's run (bind, step, reset) cost as
      // much as packing an event (40 one at a time 58-75 µs, in fives of eight 37-40).
      sseRows: db.prepare(
        `INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES ${Array(SSE_ROWS_AT_ONCE).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      ),
      ws: db.prepare(
        'INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      search: db.prepare('INSERT INTO exchanges_search (rowid, url, request, response) VALUES (?, ?, ?, ?)'),
      note: db.prepare(`UPDATE exchanges SET notes = coalesce(notes || char(10), '') || ? WHERE id = ?`),
    };
  }

  /** Its row, its bodies packed (a request split into its parts), its SSE events and WebSocket messages. */
  write(whole: Whole): Written {
    const end = whole.end;
    // Built key by key, as capture builds them: an object spread into another makes a slow (dictionary) object.
    const seen: Timings = {};
    if (whole.requestSent !== undefined) seen.requestSent = whole.requestSent;
    if (whole.responseAt !== undefined) seen.responseHeaders = whole.responseAt;
    const timings = mergedTimings(seen, end.timings);
    const trailers = end.responseTrailers ?? null;
    const notes = end.notes ? boundNotes([...whole.notes, ...end.notes]) : whole.notes;
    const h = whole.request;
    const r = whole.response;
    const id = Number(
      this.stmts.insert.run(
        ...requestColumns(end.uid, h),
        clientOf(h.headers),
        r?.status ?? null,
        r?.statusText ?? null,
        r?.httpVersion ?? null,
        r ? JSON.stringify(r.headers) : null,
        whole.streamKind,
        ...endColumns(end, timings, trailers, notes),
        whole.sse.length + whole.ws.length,
      ).lastInsertRowid,
    );
    const request = joined(whole.chunks.request);
    const response = joined(whole.chunks.response);
    const split = this.writeRequest(id, request, whole.chunks.request, end.requestBody.encoding);
    writeRows(this.stmts.body, id, 'response', rowsOf(whole.chunks.response));
    // Each event as the reader gives it back (understood and indexed from these, never read back).
    const sse: SseEvent[] = [];
    const rows: unknown[] = [];
    for (const e of whole.sse) {
      const stored = asStoredEvent(e);
      sse.push(stored);
      const bytes = packed(Buffer.from(stored.data));
      rows.push(id, e.seq, e.offsetMs, e.event, e.id, bytes.codec ? bytes.data : e.data, bytes.codec);
      if (rows.length === SSE_ROWS_AT_ONCE * 7) {
        this.stmts.sseRows.run(rows);
        rows.length = 0;
      }
    }
    for (let at = 0; at < rows.length; at += 7) this.stmts.sse.run(rows.slice(at, at + 7));
    for (const m of whole.ws) {
      const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
      const stored = packed(payload);
      this.stmts.ws.run(id, m.seq, m.offsetMs, m.direction, m.opcode, stored.data, stored.codec);
    }
    const exchange: Exchange = {
      id,
      uid: end.uid,
      request: h,
      response: r && trailers ? withTrailers(r, trailers) : r,
      state: end.state,
      error: end.error,
      timings,
      requestBody: end.requestBody,
      responseBody: end.responseBody,
      streamKind: whole.streamKind,
      eventCount: whole.sse.length + whole.ws.length,
      call: null,
      diagnosis: null,
    };
    if (notes.length) exchange.notes = notes;
    return { exchange, bodies: new HeldBodies(exchange, { request, response }, sse, whole.ws), split };
  }

  /**
   * The request body as capture's packing leaves it: split into its parts (each stored once) when
   * it is a model call's JSON small enough to hold, else in rows as capture writes them, each packed.
   */
  private writeRequest(
    id: number,
    body: Buffer,
    chunks: Buffer[],
    encoding: string,
  ): { skeleton: Buffer; parts: { id: number; bytes: Buffer }[] } | null {
    let split: RequestSplit | null = null;
    let pack = true;
    try {
      split = body.length > 0 && body.length <= SPLIT_MAX_BYTES ? splitRequest(body, encoding, SPLIT_MAX_BYTES) : null;
    } catch (err) {
      if (isSqliteError(err)) throw err;
      // As capture's packing that fails: the rows stay as they came, and the exchange stored.
      this.failed('pack', id, err);
      pack = false;
    }
    if (!split) {
      writeRows(this.stmts.body, id, 'request', rowsOf(chunks), pack);
      return null;
    }
    const record = this.blobs.store(split);
    this.stmts.body.run(id, 'request', 0, record.data, record.codec);
    return {
      skeleton: split.skeleton,
      parts: split.parts.map((part, i) => ({ id: record.ids[i], bytes: part.bytes })),
    };
  }

  /** As capture's indexer does a finished exchange of this run: understood, then its search entry and its parts'. */
  understandAndIndex(one: Written): void {
    const id = one.exchange.id;
    // Its row was written taken: what understanding finds is written, or nothing is.
    this.guarded(id, 'understand', () => this.understand(one.exchange, one.bodies));
    this.guarded(id, 'index', () => this.index(one));
  }

  private index(one: Written): void {
    const { exchange, bodies } = one;
    // The parts of a split body, linked as the indexer links them, from the bytes held (not read back).
    if (one.split) {
      const held = new Map(one.split.parts.map((part) => [part.id, part.bytes]));
      this.parts.linkParts(
        exchange.id,
        one.split.parts.map((part) => part.id),
        (partId) => held.get(partId)!,
      );
    }
    const cut: Partial<Record<BodySide, number>> = {};
    const ws =
      exchange.streamKind === 'websocket' ? indexedMessagesText(bodies.messages, cut) : { send: '', receive: '' };
    const sse = exchange.streamKind === 'sse' && exchange.eventCount > 0;
    const side = (headers: Header[], rest: string) => indexedText(`${headerLines(headers)}\n${rest}`);
    const requestText = one.split
      ? boundedText(one.split.skeleton, 'request', cut)
      : bodyText(exchange, 'request', bodies, cut);
    const responseText = sse
      ? indexedEventsText(
          bodies.events.map((e) => e.data),
          exchange.responseBody.storedSize,
          cut,
        )
      : bodyText(exchange, 'response', bodies, cut);
    this.stmts.search.run(
      exchange.id,
      indexedText(readableUrl(exchangeUrl(exchange.request))),
      side(exchange.request.headers, `${requestText}\n${ws.send}`),
      side(exchange.response?.headers ?? [], `${responseText}\n${ws.receive}`),
    );
    for (const which of ['request', 'response'] as const) {
      const bytes = cut[which];
      if (bytes === undefined) continue;
      const key = which === 'request' ? 'stored.searchCutRequest' : 'stored.searchCutResponse';
      this.stmts.note.run(
        serverText('en', key, { kept: `${INDEX_TEXT_LIMIT / 1024 / 1024} MB`, bytes: bytes.toLocaleString('en-US') }),
        exchange.id,
      );
    }
  }

  /** One part of an exchange's work; a failure that is not the database's is noted, and the exchange stays stored. */
  private guarded(id: number, kind: WholeFailureKind, work: () => void): void {
    try {
      work();
    } catch (err) {
      if (isSqliteError(err)) throw err;
      this.failed(kind, id, err);
    }
  }

  /** A failure noted on the exchange itself (in the catalogue's stored English), and told to the writer's owner. */
  private failed(kind: WholeFailureKind, id: number, err: unknown): void {
    // One line, bounded: a stored note and a console line, not a stack.
    const error = String((err as Error).message)
      .split('\n')[0]
      .slice(0, 300);
    this.stmts.note.run(serverText('en', FAILURE_NOTE[kind], { error }), id);
    this.onFailure(kind, id, error);
  }
}

/** One exchange's events of a batch as a whole exchange (from its request to its end, nothing after), or null if they are not. */
export function wholeOf(own: ExchangeEvent[]): Whole | null {
  const first = boundEvent(own[0]);
  const last = own[own.length - 1];
  if (first.type !== 'request' || last.type !== 'end') return null;
  const whole: Whole = {
    request: first.head,
    response: null,
    streamKind: null,
    notes: first.head.notes ?? [],
    requestSent: undefined,
    responseAt: undefined,
    chunks: { request: [], response: [] },
    sse: [],
    ws: [],
    end: boundEvent(last) as End,
  };
  for (let i = 1; i < own.length - 1; i++) {
    const event = boundEvent(own[i]);
    switch (event.type) {
      case 'request':
      case 'end':
        return null;
      case 'request-sent':
        whole.requestSent = event.atMs;
        break;
      case 'response-head':
        whole.responseAt = event.atMs;
        whole.response = event.head;
        whole.streamKind = event.head.status === 101 ? 'websocket' : isEventStream(event.head.headers) ? 'sse' : null;
        if (event.head.notes) whole.notes = boundNotes([...whole.notes, ...event.head.notes]);
        break;
      case 'body-chunk':
        whole.chunks[event.side].push(Buffer.from(event.chunk.buffer, event.chunk.byteOffset, event.chunk.byteLength));
        break;
      case 'sse-event':
        whole.sse.push(event.event);
        break;
      case 'ws-message':
        whole.ws.push(event.message);
        break;
    }
  }
  return whole;
}

/** A body's rows as capture writes them (db/capture-store.ts flushPending): small chunks merged, large ones cut at ROW_BYTES. */
function rowsOf(chunks: Buffer[]): Buffer[] {
  const rows: Buffer[] = [];
  let small: Buffer[] = [];
  let smallSize = 0;
  const writeSmall = () => {
    if (small.length === 0) return;
    rows.push(small.length === 1 ? small[0] : Buffer.concat(small, smallSize));
    small = [];
    smallSize = 0;
  };
  for (const chunk of chunks) {
    if (chunk.length >= MERGE_BELOW) {
      writeSmall();
      for (let at = 0; at < chunk.length; at += ROW_BYTES) rows.push(chunk.subarray(at, at + ROW_BYTES));
    } else {
      small.push(chunk);
      smallSize += chunk.length;
      if (smallSize >= MERGE_BELOW) writeSmall();
    }
  }
  writeSmall();
  return rows;
}

/** Each row packed (db/compression.ts), as capture's packing leaves it. */
function writeRows(
  statement: { run(...args: unknown[]): unknown },
  id: number,
  side: BodySide,
  rows: Buffer[],
  pack = true,
): void {
  rows.forEach((row, seq) => {
    const stored = pack ? packed(row) : { codec: 0, data: row };
    statement.run(id, side, seq, stored.data, stored.codec);
  });
}

function joined(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** An SSE event as the reader gives it back once stored (itself, unless a text of it is not well-formed). */
function asStoredEvent(e: SseEvent): SseEvent {
  const data = asStoredText(e.data);
  const event = e.event === null ? null : asStoredText(e.event);
  const id = e.id === null ? null : asStoredText(e.id);
  if (data === e.data && event === e.event && id === e.id) return e;
  return { seq: e.seq, offsetMs: e.offsetMs, event, id, data };
}

/**
 * A text as SQLite gives it back once stored: better-sqlite3 writes a lone surrogate as its three
 * bytes (ED A0 80), which read back as three U+FFFD.
 */
function asStoredText(text: string): string {
  if ((text as string & { isWellFormed(): boolean }).isWellFormed()) return text;
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD\uFFFD\uFFFD');
}

/**
 * An exchange's bodies, held whole: each decoded at most once (db/indexer.ts OnceDecoded), and its
 * SSE events and WebSocket messages as stored: understood and indexed from memory, never read back.
 */
export class HeldBodies implements EndedEvidence {
  private readonly texts: Partial<Record<BodySide, string | null>> = {};

  constructor(
    private readonly exchange: Exchange,
    readonly whole: Record<BodySide, Buffer>,
    readonly events: SseEvent[],
    readonly messages: WsMessage[],
  ) {}

  sseEvents(): SseEvent[] {
    return this.events;
  }

  wsMessages(): WsMessage[] {
    return this.messages;
  }

  decoded(side: BodySide): string | null | undefined {
    return this.texts[side];
  }

  text(side: BodySide): string | null {
    if (!(side in this.texts)) {
      const info: BodyInfo = side === 'request' ? this.exchange.requestBody : this.exchange.responseBody;
      const headers = side === 'request' ? this.exchange.request.headers : (this.exchange.response?.headers ?? []);
      this.texts[side] = bodyViewOf(this.whole[side], info, headers).text;
    }
    return this.texts[side]!;
  }

  request(): string | null {
    return this.text('request');
  }

  response(): string | null {
    return this.text('response');
  }
}

/** At most INDEX_TEXT_LIMIT of a text body, as capture's indexer takes it, from the bodies in memory. */
function bodyText(
  exchange: Exchange,
  side: BodySide,
  bodies: HeldBodies,
  cut: Partial<Record<BodySide, number>>,
): string {
  return indexedBodyText(exchange, side, cut, {
    decoded: (s) => bodies.decoded(s),
    text: (s) => bodies.text(s),
    inMemory: (s) => bodies.whole[s].length <= KEEP_BODY_BYTES,
    head: (s) => bodies.whole[s],
  });
}
