// Stored exchanges understood: decoded bodies and stream events in, a ModelCall and its
// diagnoses out, and the columns storage keeps for the list (wired into storage by the CLI).
import { bodyView } from '../db/body-view.ts';
import type { EndedBodies, EndedContext, EndedFacts } from '../db/capture-store.ts';
import type { ExchangeReader } from '../db/reader.ts';
import type { CallFacts, Exchange } from '../model/exchange.ts';
import { analyzeExchange } from './analyze.ts';
import { diagnose, worst, type Diagnosis } from './diagnose.ts';
import type { Lang } from './diagnosis-text.ts';
import { detectDialect } from './dialect.ts';
import { returnedImageCount } from './images.ts';
import type { ModelCall } from './model-call.ts';
import { threadKeyOf } from './thread.ts';

/** Bodies already decoded by the caller, so one read decodes each body once. */
export interface BodyTexts {
  request: string | null;
  response: string | null;
}

export function modelCallOf(reader: ExchangeReader, exchange: Exchange, texts?: BodyTexts): ModelCall | null {
  if (!detectDialect(exchange.request.method, exchange.request.path)) return null;
  return analyzeExchange({
    exchange,
    requestText: texts ? texts.request : bodyView(reader, exchange, 'request').text,
    responseText: texts ? texts.response : bodyView(reader, exchange, 'response').text,
    sseEvents: exchange.streamKind === 'sse' ? reader.sseEvents(exchange.id) : [],
    wsMessages:
      exchange.streamKind === 'websocket'
        ? reader
            .wsMessages(exchange.id)
            .filter((m) => m.opcode === 1)
            .map((m) => ({
              seq: m.seq,
              direction: m.direction,
              offsetMs: m.offsetMs,
              text: Buffer.from(m.payload).toString('utf8'),
            }))
        : [],
  });
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
  if (!mayNeedDiagnosis(exchange, call)) return [];
  let earlier: Exchange[] | undefined;
  let modelsListed: string[] | null | undefined;
  let body = responseText;
  return diagnose(
    {
      exchange,
      call,
      // Read only by the rules that need them (a refusal's body, a Responses POST after a refused WebSocket,
      // a refused model): every model call is diagnosed, and most never look.
      get responseText() {
        return body === undefined ? (body = bodyView(reader, exchange, 'response').text) : body;
      },
      get earlier() {
        // The one rule that reads them (websocket-fallback) looks for a refused WebSocket: a window
        // without any is not read whole (20 rows with their heads for every Codex call).
        return (earlier ??= reader.webSocketAmong(exchange.request.host, exchange.id, 20)
          ? reader.list({ before: exchange.id, host: exchange.request.host, limit: 20 })
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

export function analyzeEnded(exchange: Exchange, bodies: EndedBodies, context: EndedContext): EndedAnalysis {
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
    ? modelCallOf(reader, exchange, { request: bodies.request(), response: bodies.response() })
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
export function understandEnded(exchange: Exchange, bodies: EndedBodies, context: EndedContext): EndedFacts | null {
  return analyzeEnded(exchange, bodies, context).facts;
}
