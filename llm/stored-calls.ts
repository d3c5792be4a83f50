// Stored exchanges understood: decoded bodies and stream events in, a ModelCall and its
// diagnoses out, and the columns storage keeps for the list (wired into storage by the CLI).
import { bodyView } from '../db/body-view.ts';
import { decodeBody } from '../db/decode.ts';
import type { EndedContext, EndedEvidence, EndedFacts } from '../db/capture-store.ts';
import type { ExchangeReader } from '../db/reader.ts';
import {
  headerValue,
  type BodySide,
  type CallFacts,
  type Exchange,
  type SseEvent,
  type WsMessage,
} from '../model/exchange.ts';
import { analyzeExchange, type WsText } from './analyze.ts';
import { diagnose, worst, type Diagnosis } from './diagnose.ts';
import type { Lang } from './diagnosis-text.ts';
import { detectDialect } from './dialect.ts';
import { returnedImageCount } from './images.ts';
import { formFieldsText } from './openai-images.ts';
import type { Dialect, ModelCall } from './model-call.ts';
import { threadKeyOf } from './thread.ts';

/**
 * Bodies already decoded by the caller, so one read decodes each body once; and, when the caller
 * holds them as stored (an exchange written just now, db/whole-exchange.ts), its SSE events and
 * WebSocket messages, so they are not read back and inflated: absent, they are read from its rows.
 */
export interface BodyTexts {
  request: string | null;
  response: string | null;
  sseEvents?: SseEvent[];
  wsMessages?: WsMessage[];
}

/** The one rule for a stored exchange as a model call, whether its evidence is read from its rows or handed in from memory. */
export function modelCallOf(reader: ExchangeReader, exchange: Exchange, texts?: BodyTexts): ModelCall | null {
  if (!detectDialect(exchange.request.method, exchange.request.path)) return null;
  return analyzeExchange({
    exchange,
    requestText: formRequestText(reader, exchange, texts ? texts.request : bodyView(reader, exchange, 'request').text),
    responseText: texts ? texts.response : bodyView(reader, exchange, 'response').text,
    sseEvents: exchange.streamKind === 'sse' ? (texts?.sseEvents ?? reader.sseEvents(exchange.id)) : [],
    wsMessages:
      exchange.streamKind === 'websocket' ? textMessages(texts?.wsMessages ?? reader.wsMessages(exchange.id)) : [],
  });
}

/**
 * The request as the analysis reads it: an Images API edit or variation is a multipart/form-data
 * form (llm/openai-images.ts), read as its text fields; its uploaded images make it binary, so
 * its bytes are read for them. Any other request: its text as stored.
 */
function formRequestText(reader: ExchangeReader, exchange: Exchange, text: string | null): string | null {
  const type = headerValue(exchange.request.headers, 'content-type') ?? '';
  if (!/^multipart\/form-data/i.test(type.trim())) return text;
  if (detectDialect(exchange.request.method, exchange.request.path) !== 'openai-images') return text;
  // The stored bytes, decoded from their Content-Encoding (not copied through base64: an upload can be 50 MB).
  const bytes =
    text !== null
      ? Buffer.from(text)
      : decodeBody(reader.body(exchange.id, 'request'), exchange.requestBody.encoding).data;
  return formFieldsText(type, bytes) ?? text;
}

/** A WebSocket's text messages, as the analysis reads them. */
function textMessages(messages: WsMessage[]): WsText[] {
  return messages
    .filter((m) => m.opcode === 1)
    .map((m) => ({
      seq: m.seq,
      direction: m.direction,
      offsetMs: m.offsetMs,
      text: Buffer.from(m.payload).toString('utf8'),
    }));
}

/** A stored exchange's bodies (decoded to text) and SSE events, each asked for only when a diagnosis looks at it. */
export interface StoredEvidence {
  text(side: BodySide): string | null;
  sseEvents(): SseEvent[];
}

/**
 * Whether diagnosing this exchange looks at its SSE events: a model call's stream answered below
 * 400 (or not answered). A refused call is understood from its status and its error body
 * (llm/analyze.ts stops there), and the rules look at no stream of an exchange that is not a model call.
 */
export function eventsLookedAt(exchange: Exchange): boolean {
  const status = exchange.response?.status ?? null;
  return (
    exchange.streamKind === 'sse' &&
    (status === null || status < 400) &&
    detectDialect(exchange.request.method, exchange.request.path) !== null
  );
}

/** The dialects llm/analyze.ts rebuilds from their stream's events alone, never reading the response body beside them. */
const REBUILT_FROM_EVENTS: ReadonlySet<Dialect> = new Set([
  'openai-chat',
  'openai-responses',
  'anthropic-messages',
  'gemini',
  'openai-completions',
  'openai-images',
]);

/** What llm/analyze.ts takes from a call's request (all the rest comes from its answer and its row). */
const FROM_THE_REQUEST = [
  'requestedModel',
  'stream',
  'inputCount',
  'system',
  'toolsOffered',
  'conversation',
  'images',
  'previousResponseId',
] as const satisfies readonly (keyof ModelCall)[];

/**
 * The model call as the rules see it, reading only what they look at: an answered stream is
 * understood from its events alone (not its response body beside them), and the request is read
 * only when a rule asks for what it decides (the model asked for when a refusal names a model,
 * whether a failed call streamed): most never do. test/doctor-same-findings.test.ts holds this
 * to what modelCallOf gives the rules.
 */
function callToDiagnose(reader: ExchangeReader, exchange: Exchange, evidence: StoredEvidence): ModelCall | null {
  const dialect = detectDialect(exchange.request.method, exchange.request.path);
  if (!dialect) return null;
  const status = exchange.response?.status ?? null;
  const fromEvents =
    (status === null || status < 400) && exchange.streamKind !== null && REBUILT_FROM_EVENTS.has(dialect);
  const responseText = fromEvents ? null : evidence.text('response');
  const sseEvents = eventsLookedAt(exchange) ? evidence.sseEvents() : [];
  const wsMessages = exchange.streamKind === 'websocket' ? textMessages(reader.wsMessages(exchange.id)) : [];
  const analyzed = (requestText: string | null) =>
    analyzeExchange({ exchange, requestText, responseText, sseEvents, wsMessages });
  const call = analyzed(null);
  if (!call) return null;
  // The request's fields, from the call analysed again with its request, when first asked for.
  let whole: ModelCall | null | undefined;
  const withRequest = () => (whole ??= analyzed(formRequestText(reader, exchange, evidence.text('request'))));
  for (const field of FROM_THE_REQUEST)
    Object.defineProperty(call, field, { get: () => withRequest()?.[field], enumerable: true, configurable: true });
  return call;
}

/**
 * An exchange's diagnoses, the same as diagnosesOf(reader, exchange, modelCallOf(reader, exchange))
 * gives, reading of it only what the rules look at (callToDiagnose): `wirelog doctor` reads the
 * events of many calls in one query and hands them in. `webSocketNear`: whether a WebSocket is
 * among the exchanges to a host just before an id, answered for many calls at once (webSocketsNear).
 */
export function diagnosedFromEvidence(
  reader: ExchangeReader,
  exchange: Exchange,
  evidence: StoredEvidence,
  webSocketNear?: WebSocketNear,
): Diagnosis[] {
  const call = callToDiagnose(reader, exchange, evidence);
  return diagnosesWith(reader, exchange, call, { responseText: () => evidence.text('response'), webSocketNear });
}

/** The exchanges before a call that websocket-fallback looks over: the newest to the same host. */
const EARLIER_WINDOW = 20;

/** Whether a WebSocket exchange is among the EARLIER_WINDOW exchanges to `host` before `id`. */
export type WebSocketNear = (host: string, id: number) => boolean;

/**
 * WebSocketNear for the calls among `exchanges`: one query per host for all of them (the host's
 * exchanges from the window before its oldest call to its newest, db/reader.ts hostWindow),
 * not one per call; any other id is asked of the reader alone.
 */
export function webSocketsNear(reader: ExchangeReader, exchanges: Exchange[]): WebSocketNear {
  const spans = new Map<string, { from: number; to: number }>();
  for (const e of exchanges) {
    const span = spans.get(e.request.host);
    if (!span) spans.set(e.request.host, { from: e.id, to: e.id });
    else [span.from, span.to] = [Math.min(span.from, e.id), Math.max(span.to, e.id)];
  }
  const windows = new Map<string, { ids: number[]; webSocket: boolean[]; any: boolean }>();
  return (host, id) => {
    const span = spans.get(host);
    if (!span || id < span.from || id > span.to) return reader.webSocketAmong(host, id, EARLIER_WINDOW);
    let window = windows.get(host);
    if (!window) {
      const rows = reader.hostWindow(host, span.from, span.to + 1, EARLIER_WINDOW);
      window = {
        ids: rows.map((r) => r.id),
        webSocket: rows.map((r) => r.webSocket),
        any: rows.some((r) => r.webSocket),
      };
      windows.set(host, window);
    }
    if (!window.any) return false;
    // The first row at or after `id`: the window is the EARLIER_WINDOW rows before it.
    let low = 0;
    let high = window.ids.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (window.ids[mid] < id) low = mid + 1;
      else high = mid;
    }
    return window.webSocket.slice(Math.max(0, low - EARLIER_WINDOW), low).includes(true);
  };
}

export function callFacts(call: ModelCall): CallFacts {
  const images = call.images ? returnedImageCount(call.images) : 0;
  return {
    dialect: call.dialect,
    model: call.respondedModel ?? call.requestedModel,
    inputTokens: call.usage.input ?? null,
    outputTokens: call.usage.output ?? null,
    usage: call.usage,
    ttftMs: call.ttftMs,
    threadKey: null,
    ...(images ? { images } : {}),
  };
}

/**
 * Worth running the rules on: every model call (an answer cut at its output limit or stopped by a
 * filter ends 200 and complete), and any other exchange that failed or did not complete.
 */
function mayNeedDiagnosis(exchange: Exchange, call: ModelCall | null): boolean {
  return call !== null || (exchange.response?.status ?? 0) >= 400 || exchange.state !== 'complete';
}

export function diagnosesOf(
  reader: ExchangeReader,
  exchange: Exchange,
  call: ModelCall | null,
  responseText?: string | null,
  lang: Lang = 'en',
): Diagnosis[] {
  return diagnosesWith(
    reader,
    exchange,
    call,
    {
      responseText: () => (responseText === undefined ? bodyView(reader, exchange, 'response').text : responseText),
    },
    lang,
  );
}

function diagnosesWith(
  reader: ExchangeReader,
  exchange: Exchange,
  call: ModelCall | null,
  reads: { responseText: () => string | null; webSocketNear?: WebSocketNear },
  lang: Lang = 'en',
): Diagnosis[] {
  if (!mayNeedDiagnosis(exchange, call)) return [];
  let earlier: Exchange[] | undefined;
  let modelsListed: string[] | null | undefined;
  let body: string | null | undefined;
  const { host } = exchange.request;
  return diagnose(
    {
      exchange,
      call,
      // Read only by the rules that need them (a refusal's body, a Responses POST after a refused WebSocket,
      // a refused model): every model call is diagnosed, and most never look.
      get responseText() {
        return body === undefined ? (body = reads.responseText()) : body;
      },
      get earlier() {
        // The one rule that reads them (websocket-fallback) looks for a refused WebSocket: a window
        // without any is not read whole (20 rows with their heads for every Codex call).
        const near = reads.webSocketNear ?? ((h, id) => reader.webSocketAmong(h, id, EARLIER_WINDOW));
        return (earlier ??= near(host, exchange.id)
          ? reader.list({ before: exchange.id, host, limit: EARLIER_WINDOW })
          : []);
      },
      get modelsListed() {
        if (modelsListed === undefined) {
          const listing = reader.list({ host: exchange.request.host, dialect: 'models', limit: 1 })[0];
          modelsListed = listing ? (modelCallOf(reader, listing)?.modelsListed ?? null) : null;
        }
        return modelsListed;
      },
      lang,
    },
    lang,
  );
}

/** A finished exchange understood: its model call, its worst diagnosis, and the columns storage keeps. */
export interface EndedAnalysis {
  facts: EndedFacts | null;
  call: ModelCall | null;
  worst: Diagnosis | null;
}

export function analyzeEnded(exchange: Exchange, bodies: EndedEvidence, context: EndedContext): EndedAnalysis {
  const dialect = detectDialect(exchange.request.method, exchange.request.path);
  // A model list is read when someone asks (a diagnosis, the detail); it has no figures to list.
  if (dialect === 'models' && (exchange.response?.status ?? 0) < 400)
    return {
      facts: { dialect, call: null, threadKey: null, responseId: null, diagnosis: null },
      call: null,
      worst: null,
    };
  const { reader } = context;
  const call = dialect
    ? modelCallOf(reader, exchange, {
        request: bodies.request(),
        response: bodies.response(),
        // Asked for only where they are read (a reader's query each otherwise).
        sseEvents: exchange.streamKind === 'sse' ? bodies.sseEvents?.() : undefined,
        wsMessages: exchange.streamKind === 'websocket' ? bodies.wsMessages?.() : undefined,
      })
    : null;
  const first = worst(
    diagnosesOf(reader, exchange, call, call || mayNeedDiagnosis(exchange, null) ? bodies.response() : null),
  );
  if (!call && !first) return { facts: null, call: null, worst: null };
  const continued = call?.previousResponseId ? context.threadOfResponse(call.previousResponseId) : null;
  const facts: EndedFacts = {
    dialect: call?.dialect ?? dialect ?? '',
    call: call ? callFacts(call) : null,
    threadKey: call ? threadKeyOf(exchange, call, continued) : null,
    responseId: call?.responseId ?? null,
    diagnosis: first
      ? { severity: first.severity, summary: first.summary, ...(first.message ? { message: first.message } : {}) }
      : null,
    closedAfterAnswer:
      exchange.state === 'aborted' && call?.ending === 'complete' && (exchange.response?.status ?? 0) < 400,
  };
  return { facts, call, worst: first };
}

/** The storage hook: what a finished exchange was as a model call, and its worst diagnosis. */
export function understandEnded(exchange: Exchange, bodies: EndedEvidence, context: EndedContext): EndedFacts | null {
  return analyzeEnded(exchange, bodies, context).facts;
}
