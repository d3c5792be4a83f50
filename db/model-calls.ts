// Feeds stored exchanges to llm/: decoded bodies and stream events in, a ModelCall out.
import { analyzeExchange } from '../llm/analyze.ts';
import { diagnose, type Diagnosis } from '../llm/diagnose.ts';
import { detectDialect } from '../llm/dialect.ts';
import type { ModelCall } from '../llm/model-call.ts';
import type { CallFacts, Exchange } from '../model/exchange.ts';
import { bodyView } from './body-view.ts';
import type { ExchangeReader } from './reader.ts';

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
            .map((m) => ({ direction: m.direction, offsetMs: m.offsetMs, text: Buffer.from(m.payload).toString('utf8') }))
        : [],
  });
}

export function callFacts(call: ModelCall): CallFacts {
  return {
    dialect: call.dialect,
    model: call.respondedModel ?? call.requestedModel,
    inputTokens: call.usage.input ?? null,
    outputTokens: call.usage.output ?? null,
    usage: call.usage,
    ttftMs: call.ttftMs,
    threadKey: null,
  };
}

/** Worth running the rules on: failures, cut streams, streams that failed after 200, and Responses POSTs (WebSocket fallback). */
function mayNeedDiagnosis(exchange: Exchange, call: ModelCall | null): boolean {
  const status = exchange.response?.status ?? 0;
  return status >= 400 || exchange.state !== 'complete' || call?.ending === 'truncated' || call?.ending === 'error' || (call?.answer.refusal ?? '') !== '' || (exchange.request.method === 'POST' && /\/responses$/.test(exchange.request.path.split('?')[0]));
}

export function diagnosesOf(reader: ExchangeReader, exchange: Exchange, call: ModelCall | null, responseText?: string | null): Diagnosis[] {
  if (!mayNeedDiagnosis(exchange, call)) return [];
  const earlier = reader.list({ before: exchange.id, host: exchange.request.host, limit: 20 });
  const listing = reader.list({ host: exchange.request.host, dialect: 'models', limit: 1 })[0];
  const modelsListed = listing ? (modelCallOf(reader, listing)?.modelsListed ?? null) : null;
  return diagnose({ exchange, call, responseText: responseText === undefined ? bodyView(reader, exchange, 'response').text : responseText, earlier, modelsListed });
}
