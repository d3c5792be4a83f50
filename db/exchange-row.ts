// How an exchange's row and body rows are written, shared by the capture store (db/capture-store.ts)
// and the write-once path (db/whole-exchange.ts), which each build rows from the same heads.
import type {
  ExchangeEvent,
  Header,
  RequestHead,
  ResponseHead,
  SseEvent,
  Timings,
  WsMessage,
} from '../model/exchange.ts';
import { sendingClient } from '../llm/working-config.ts';

/** A finished exchange's bodies as text, each decoded at most once, on first use (null: not text). */
export interface EndedBodies {
  request(): string | null;
  response(): string | null;
}

/**
 * What a finished exchange is understood from: its bodies, and its SSE events and WebSocket
 * messages as stored when they are held in memory (written just now: db/whole-exchange.ts), so
 * nothing just written is read back and inflated; absent, they are read from its rows.
 */
export interface EndedEvidence extends EndedBodies {
  sseEvents?(): SseEvent[];
  wsMessages?(): WsMessage[];
}

// Chunks smaller than this are merged into rows of about this size.
export const MERGE_BELOW = 16 * 1024;

// A body up to this size is kept in memory until its exchange ends, for the analysis and the
// index, within a budget for all open exchanges (700 open streams must not hold 700 MB).
export const KEEP_BODY_BYTES = 1024 * 1024;
// Rows are written as they come, as they are (codec 0): splitting a request body into its parts
// and compressing rows (db/blobs.ts Packer) costs about 4 times what storing does, so it is done
// after the exchange ended, in the indexer's slices between capture batches (db/indexer.ts);
// an exchange that begins and ends in one batch is written packed at once instead (wholesOf).
// Done here, with request bodies held until sent whole to be split, bench/storage-lag.ts (two
// CPU burners, machine load 10-14, the two builds alternately) saw a probe row p99 2.3-5.0 s late
// and wirelog's RSS peak at 216-236 MB; packed after the commit, p99 0.52-1.07 s and 159-163 MB.
// A stored body is written in rows of at most this many bytes (each packed on its own later): a
// reader streams a large body a row at a time.
export const ROW_BYTES = 256 * 1024;

/** A request head's columns as `insert` and `insertEnded` take them first (uid to imported). */
export function requestColumns(uid: string, h: RequestHead) {
  return [
    uid,
    h.startedAt,
    h.clientAddress,
    h.method,
    h.scheme,
    h.host,
    h.port,
    h.path,
    h.httpVersion,
    JSON.stringify(h.headers),
    h.via ?? null,
    h.replayOf ?? null,
    h.secrets ? JSON.stringify(h.secrets) : null,
    h.imported ?? null,
  ] as const;
}

/** An end's columns as `end`, `responseAndEnd` and `insertEnded` take them last (state to notes). */
export function endColumns(
  event: Extract<ExchangeEvent, { type: 'end' }>,
  timings: Timings,
  trailers: Header[] | null,
  notes: string[],
) {
  const req = event.requestBody;
  const res = event.responseBody;
  return [
    event.state,
    event.error,
    JSON.stringify(timings),
    req.size,
    req.storedSize,
    req.truncated ? 1 : 0,
    req.encoding,
    res.size,
    res.storedSize,
    res.truncated ? 1 : 0,
    res.encoding,
    trailers && JSON.stringify(trailers),
    notesText(notes),
  ] as const;
}

/** The app that sent a request, for the list's client column (a label derived from its head, which is stored whole: a longer one is only shortened). */
export function clientOf(headers: Header[]): string | null {
  const label = sendingClient(headers).label;
  return label === null ? null : label.slice(0, CLIENT_LABEL_CHARS);
}
const CLIENT_LABEL_CHARS = 200;

/** Notes as stored: one per line (null: none). A note is one line: names in it are shown without control characters. */
export function notesText(notes: string[]): string | null {
  return notes.length ? notes.map((note) => note.replace(/[\r\n]+/g, ' ')).join('\n') : null;
}

/** The response head with the trailer fields its end brought, built key by key. */
export function withTrailers(head: ResponseHead, trailers: Header[]): ResponseHead {
  return {
    status: head.status,
    statusText: head.statusText,
    httpVersion: head.httpVersion,
    headers: head.headers,
    trailers,
  };
}

/** The proxy's timings, then the end's: one object built key by key (two spreads make a slow object). */
export function mergedTimings(seen: Timings, atEnd: Timings): Timings {
  const out: Timings = {};
  for (const key in seen) out[key as keyof Timings] = seen[key as keyof Timings];
  for (const key in atEnd) out[key as keyof Timings] = atEnd[key as keyof Timings];
  return out;
}
