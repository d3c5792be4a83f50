// The one shape of a captured exchange. The proxy emits ExchangeEvents, the
// database stores them and returns Exchange records, and the viewer and the
// HAR export read those records. Nothing else defines what an exchange is.

import type { Usage } from './token-usage.ts';

/** A header as it was on the wire: name case and order are kept. */
export type Header = [name: string, value: string];

export type ExchangeState =
  | 'pending' // request seen, no response head yet
  | 'streaming' // response head sent to the client, body still flowing
  | 'complete'
  | 'aborted' // the client went away before the response ended
  | 'upstream_error' // the upstream could not be reached, or failed mid-response
  | 'proxy_error' // wirelog itself refused the request (malformed, oversize headers)
  | 'interrupted'; // wirelog stopped while the exchange was open

export const EXCHANGE_STATES: readonly ExchangeState[] = [
  'pending',
  'streaming',
  'complete',
  'aborted',
  'upstream_error',
  'proxy_error',
  'interrupted',
];

export type BodySide = 'request' | 'response';

/**
 * Headers that belong to one connection or one sending of a body, which whatever sends the
 * request again (a replay, a code snippet) computes itself: copying them would break it.
 */
export const CONNECTION_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** The classes a status filter takes besides an exact status (1xx: a WebSocket's 101). */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** A status filter ("404", or a class such as "4xx") as the statuses it takes, [low, high). */
export function statusRange(filter: string): [number, number] | null {
  const cls = STATUS_CLASSES.indexOf(filter.toLowerCase() as (typeof STATUS_CLASSES)[number]);
  if (cls >= 0) return [(cls + 1) * 100, (cls + 2) * 100];
  return /^\d{3}$/.test(filter) ? [Number(filter), Number(filter) + 1] : null;
}

export interface RequestHead {
  /** Epoch milliseconds when the request line arrived. */
  startedAt: number;
  clientAddress: string;
  method: string;
  scheme: 'http' | 'https' | 'ws' | 'wss';
  host: string;
  port: number;
  /** Path and query, secrets in the query already masked. */
  path: string;
  httpVersion: string;
  headers: Header[];
  /** Set when it came to wirelog's gateway URL form (/https/HOST/...), not as a proxy request. */
  via?: 'gateway';
  /** Sent by wirelog itself, replaying the exchange with this id (edited or not). */
  replayOf?: number;
  /** Keyed fingerprints (HMAC) of the secrets masked in it: same fingerprint, same key. */
  secrets?: SecretFingerprint[];
  /** Read from a HAR file (its name), not captured by this wirelog. */
  imported?: string;
  /** What was cut of this head to store it, and how big it was (model/head-bounds.ts). */
  notes?: string[];
}

/** `name` is the header's name as sent, or `?name` for a query parameter. */
export interface SecretFingerprint {
  name: string;
  fingerprint: string;
}

export interface ResponseHead {
  status: number;
  statusText: string;
  httpVersion: string;
  headers: Header[];
  /** Trailer fields that came after a chunked body, known once it ended (absent: none). */
  trailers?: Header[];
  /** What was cut of this head to store it, and how big it was (model/head-bounds.ts). */
  notes?: string[];
}

/** Milliseconds after RequestHead.startedAt; absent when the stage never happened. */
export interface Timings {
  /** TCP connection to the upstream made; absent when a kept-alive connection was reused. */
  connected?: number;
  /** TLS handshake with the upstream done; absent for plain HTTP and reused connections. */
  secured?: number;
  requestSent?: number;
  /** The request was sent again on a new connection: the kept-alive one was closed by the upstream as it was reused. */
  retried?: number;
  responseHeaders?: number;
  firstByte?: number;
  end?: number;
}

export interface BodyInfo {
  /** Bytes that crossed the proxy, whether or not they were stored. */
  size: number;
  /** Bytes stored: equal to size unless the body was larger than --max-body-mb. */
  storedSize: number;
  truncated: boolean;
  /** Content-Encoding as sent, e.g. "gzip" or "zstd"; empty for identity. */
  encoding: string;
}

export interface SseEvent {
  seq: number;
  /** Milliseconds after the request started when the event was complete. */
  offsetMs: number;
  event: string | null;
  id: string | null;
  data: string;
}

export type WsDirection = 'send' | 'receive';

export interface WsMessage {
  seq: number;
  offsetMs: number;
  /** send = client to server, receive = server to client (Chrome DevTools' naming). */
  direction: WsDirection;
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** Payload after permessage-deflate inflation. */
  payload: Uint8Array;
}

/** Stages of an exchange, in the order the proxy sees them. */
export type ExchangeEvent =
  | { type: 'request'; uid: string; head: RequestHead }
  | { type: 'request-sent'; uid: string; atMs: number }
  | { type: 'response-head'; uid: string; head: ResponseHead; atMs: number }
  | { type: 'body-chunk'; uid: string; side: BodySide; chunk: Uint8Array; atMs: number }
  | { type: 'sse-event'; uid: string; event: SseEvent }
  | { type: 'ws-message'; uid: string; message: WsMessage }
  | {
      type: 'end';
      uid: string;
      state: Exclude<ExchangeState, 'pending' | 'streaming' | 'interrupted'>;
      error: string | null;
      timings: Timings;
      requestBody: BodyInfo;
      responseBody: BodyInfo;
      /** The response's trailer fields, when it had any. */
      responseTrailers?: Header[];
      /** What was cut of the fields this event carries (error, trailers), and how big they were. */
      notes?: string[];
    };

/** What storage can take of a body chunk now: see ExchangeSink.room. */
export type BodyRoom = 'now' | 'wait' | 'skip';

/** Where the proxy sends what it sees. Implementations must never throw into the forwarding path. */
export interface ExchangeSink {
  emit(event: ExchangeEvent): void;
  /**
   * Whether `bytes` more of a body that has `stored` bytes so far can be stored now. 'wait': not
   * yet, and `ready` is called once they can (true) or once storage has been behind for too long
   * (false); 'skip': storage is too far behind to wait for, the bytes are left out. A sink that
   * takes everything at once has none.
   */
  room?(bytes: number, stored: number, ready: (ok: boolean) => void): BodyRoom;
}

/** What the exchange was as a model call, once it ended (see llm/); null when it is not one. */
export interface CallFacts {
  dialect: string;
  /** The model that answered, or else the one requested. */
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Every figure the provider reported (model/token-usage.ts); input and output are the two above. */
  usage: Usage;
  ttftMs: number | null;
  /** The agent session it belongs to (llm/thread.ts): same key, same thread. */
  threadKey: string | null;
  /** Images the model returned (llm/images.ts), for the list's mark; absent or 0: none. */
  images?: number;
}

/** A stored exchange, as the database returns it. */
export interface Exchange {
  id: number;
  uid: string;
  request: RequestHead;
  response: ResponseHead | null;
  state: ExchangeState;
  error: string | null;
  timings: Timings;
  requestBody: BodyInfo;
  responseBody: BodyInfo;
  /** 'sse' when the response is text/event-stream, 'websocket' after an upgrade. */
  streamKind: 'sse' | 'websocket' | null;
  eventCount: number;
  call: CallFacts | null;
  /** The most severe diagnosis (llm/diagnose.ts) found when it ended, for a badge in lists. */
  diagnosis: {
    severity: 'error' | 'warning' | 'info';
    summary: string;
    message?: { id: string; params: Record<string, string> };
  } | null;
  /** What was cut to store it (a field past its bound: model/head-bounds.ts), and how big it was; absent: nothing. */
  notes?: string[];
  /** Columns of its row that did not hold what wirelog writes (db/stored-values.ts), each with what was read instead; absent: none. */
  damaged?: string[];
}

export function exchangeUrl(request: Pick<RequestHead, 'scheme' | 'host' | 'port' | 'path'>): string {
  const defaultPort = request.scheme === 'https' || request.scheme === 'wss' ? 443 : 80;
  const host = request.host.includes(':') ? `[${request.host}]` : request.host;
  const port = request.port === defaultPort ? '' : `:${request.port}`;
  return `${request.scheme}://${host}${port}${request.path}`;
}

/**
 * Where a client's base URL starts for this request: the upstream's origin, or its gateway form
 * (`http://127.0.0.1:8899/https/x666.me`) when it came through the gateway, or when `gateway`
 * (the proxy's own origin) is given. A fix printed in the bare form would silently end capture.
 */
export function clientOrigin(request: RequestHead, gateway?: string): string {
  const scheme = request.scheme === 'wss' ? 'https' : request.scheme === 'ws' ? 'http' : request.scheme;
  return inClientForm(exchangeUrl({ ...request, scheme, path: '' }), request, gateway);
}

/** An upstream URL as the client that sent `request` must write it (see clientOrigin). */
export function inClientForm(upstreamUrl: string, request: RequestHead, gateway?: string): string {
  const base =
    gateway ??
    (request.via === 'gateway' ? `http://${headerValue(request.headers, 'host') ?? '127.0.0.1:8899'}` : null);
  return base === null ? upstreamUrl : `${base}/${upstreamUrl.replace('://', '/')}`;
}

export function headerValue(headers: Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  // Lengths first: most names differ in length, and are not lower-cased (an allocation each) to find out.
  for (const [key, value] of headers) if (key.length === lower.length && key.toLowerCase() === lower) return value;
  return undefined;
}

/** A Server-Sent Events response, by its Content-Type. */
export function isEventStream(headers: Header[]): boolean {
  return /^\s*text\/event-stream\b/i.test(headerValue(headers, 'content-type') ?? '');
}
