// An exchange (and its model call) as an OpenTelemetry span description: plain data, built
// where the exchange is understood and handed to the exporter thread. Pure, so the mapping to
// the semantic conventions is tested without a backend.
//
// HTTP attributes follow the stable HTTP semantic conventions (1.23+); GenAI attributes follow
// the GenAI semantic conventions as of semantic-conventions 1.37 (`gen_ai.provider.name`).
import { createHash } from 'node:crypto';
import type { Diagnosis } from '../llm/diagnose.ts';
import type { ModelCall } from '../llm/model-call.ts';
import { exchangeUrl, type Exchange } from '../model/exchange.ts';

export type SpanAttribute = string | number | boolean | string[];

export interface SpanRecord {
  name: string;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** 32 hex: the calls of one thread share it; otherwise one of its own per exchange. */
  traceId: string;
  attributes: Record<string, SpanAttribute>;
  events: { name: string; atMs: number }[];
  status: { error: boolean; message?: string };
}

export interface SpanOptions {
  /** Prompts and answers too (`--otlp-content`): off unless asked, as the GenAI conventions advise. */
  content: boolean;
}

const OPERATIONS: Record<string, string> = {
  'openai-chat': 'chat',
  'openai-responses': 'chat',
  'anthropic-messages': 'chat',
  gemini: 'generate_content',
  'openai-completions': 'text_completion',
  embeddings: 'embeddings',
};

/** The provider by host first (a relay speaks OpenAI's dialect for many), then by dialect. */
export function providerName(host: string, dialect: string): string {
  const h = host.toLowerCase();
  if (h.endsWith('openai.com')) return 'openai';
  if (h.endsWith('anthropic.com')) return 'anthropic';
  if (h.endsWith('generativelanguage.googleapis.com')) return 'gcp.gemini';
  if (h.endsWith('aiplatform.googleapis.com')) return 'gcp.vertex_ai';
  if (h.endsWith('openai.azure.com')) return 'azure.ai.openai';
  if (h.endsWith('deepseek.com')) return 'deepseek';
  if (h.endsWith('mistral.ai')) return 'mistral_ai';
  if (h.endsWith('groq.com')) return 'groq';
  if (h.endsWith('x.ai')) return 'x_ai';
  if (h.endsWith('openrouter.ai')) return 'openrouter';
  return dialect === 'anthropic-messages' ? 'anthropic' : dialect === 'gemini' ? 'gcp.gemini' : 'openai';
}

export function traceIdOf(threadKey: string | null, uid: string): string {
  return createHash('sha256')
    .update(threadKey ? `thread:${threadKey}` : `exchange:${uid}`)
    .digest('hex')
    .slice(0, 32);
}

function errorType(exchange: Exchange): string | null {
  const status = exchange.response?.status ?? null;
  if (status !== null && status >= 400) return String(status);
  return exchange.state === 'complete' ? null : exchange.state;
}

function modelAttributes(call: ModelCall, exchange: Exchange, options: SpanOptions): Record<string, SpanAttribute> {
  const attributes: Record<string, SpanAttribute> = {
    'gen_ai.operation.name': OPERATIONS[call.dialect] ?? call.dialect,
    'gen_ai.provider.name': providerName(exchange.request.host, call.dialect),
  };
  const set = (key: string, value: SpanAttribute | null | undefined) => {
    if (value !== null && value !== undefined) attributes[key] = value;
  };
  set('gen_ai.request.model', call.requestedModel);
  set('gen_ai.response.model', call.respondedModel);
  set('gen_ai.response.id', call.responseId);
  const reasons = (call.choices ?? [call.answer]).map((a) => a.finishReason).filter((r): r is string => r !== null);
  if (reasons.length) attributes['gen_ai.response.finish_reasons'] = reasons;
  // As the provider reported them: absent stays absent.
  set('gen_ai.usage.input_tokens', call.usage.input);
  set('gen_ai.usage.output_tokens', call.usage.output);
  set('wirelog.usage.cache_read_tokens', call.usage.cacheRead);
  set('wirelog.usage.cache_creation_tokens', call.usage.cacheCreation);
  set('wirelog.time_to_first_token_ms', call.ttftMs);
  set('wirelog.call.ending', call.ending);
  if (options.content) {
    attributes['gen_ai.input.messages'] = JSON.stringify(
      call.conversation.map((t) => ({ role: t.role, content: t.text })),
    );
    attributes['gen_ai.output.messages'] = JSON.stringify(
      (call.choices ?? [call.answer]).map((a) => ({
        role: 'assistant',
        content: a.text,
        finish_reason: a.finishReason,
      })),
    );
  }
  return attributes;
}

/** The span for one finished exchange; its stored form is what is sent (secrets already masked). */
export function spanOf(
  exchange: Exchange,
  call: ModelCall | null,
  diagnosis: Diagnosis | null,
  threadKey: string | null,
  options: SpanOptions,
): SpanRecord {
  const req = exchange.request;
  const startMs = req.startedAt;
  const endMs = startMs + (exchange.timings.end ?? 0);
  const attributes: Record<string, SpanAttribute> = {
    'http.request.method': req.method,
    'url.full': exchangeUrl(req),
    'server.address': req.host,
    'server.port': req.port,
    // The exchange in the viewer (/exchanges/ID); a backend can also tell a retried export by it.
    'wirelog.exchange.id': exchange.id,
  };
  if (exchange.response) attributes['http.response.status_code'] = exchange.response.status;
  const error = errorType(exchange);
  if (error) attributes['error.type'] = error;
  if (diagnosis) attributes['wirelog.diagnosis.rule'] = diagnosis.rule;
  if (threadKey) attributes['wirelog.thread'] = threadKey;
  if (req.replayOf !== undefined) attributes['wirelog.replay_of'] = req.replayOf;
  const events: SpanRecord['events'] = [];
  if (exchange.timings.firstByte !== undefined)
    events.push({ name: 'first_byte', atMs: startMs + exchange.timings.firstByte });
  if (call?.ttftMs !== null && call?.ttftMs !== undefined && call.stream)
    events.push({ name: 'gen_ai.first_token', atMs: startMs + (call.turnStartMs ?? 0) + call.ttftMs });
  const model = call ? modelAttributes(call, exchange, options) : {};
  const path = req.path.split('?')[0];
  const name =
    call && call.dialect !== 'models'
      ? `${model['gen_ai.operation.name']} ${call.requestedModel ?? call.respondedModel ?? ''}`.trim()
      : `${req.method} ${path}`;
  return {
    name,
    startMs,
    endMs,
    traceId: traceIdOf(threadKey, exchange.uid),
    attributes: { ...attributes, ...model },
    events,
    status:
      diagnosis?.severity === 'error' || error
        ? { error: true, message: diagnosis?.summary ?? error ?? undefined }
        : { error: false },
  };
}
