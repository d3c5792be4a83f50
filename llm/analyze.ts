import type { Exchange, SseEvent } from '../model/exchange.ts';
import * as anthropic from './anthropic.ts';
import { codeAssistSession } from './code-assist.ts';
import { claudeCodeSession } from './thread.ts';
import { detectDialect } from './dialect.ts';
import * as gemini from './gemini.ts';
import { requestImages, responseImages, streamImages, withExchange } from './images.ts';
import { arr, errorLine, obj, parseJson, partialJsonArray, str, textOf, type JsonObject } from './json.ts';
import { emptyAnswer, type Dialect, type ModelCall, type StreamItem } from './model-call.ts';
import * as chat from './openai-chat.ts';
import * as images from './openai-images.ts';
import * as responses from './openai-responses.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

export interface WsText {
  /** The stored message's seq, where known (images are located by it). */
  seq?: number;
  direction: 'send' | 'receive';
  offsetMs: number;
  text: string;
}

/** A stored exchange with its bodies decoded to text and its stream events. */
export interface AnalysisInput {
  exchange: Exchange;
  requestText: string | null;
  responseText: string | null;
  sseEvents: SseEvent[];
  wsMessages: WsText[];
}

const FINAL_STATES = new Set(['complete', 'aborted', 'upstream_error', 'proxy_error', 'interrupted']);

function describe(dialect: Dialect, request: JsonObject, path: string): RequestFacts {
  switch (dialect) {
    case 'openai-chat':
    case 'openai-completions':
      if (dialect === 'openai-chat') return chat.describeRequest(request);
      return {
        ...chat.describeRequest(request),
        inputCount: null,
        conversation: [{ role: 'user', text: textOf(request.prompt) }],
      };
    case 'openai-responses':
      return responses.describeRequest(request);
    case 'openai-images':
      return images.describeRequest(request);
    case 'anthropic-messages': {
      const facts = anthropic.describeRequest(request);
      // On Vertex AI the model is named by the path (…/models/claude-sonnet-4@20250514:streamRawPredict), not the body.
      return facts.model === null ? { ...facts, model: gemini.modelFromPath(path) } : facts;
    }
    case 'gemini':
      return gemini.describeRequest(request, path);
    case 'embeddings': {
      const input = request.input ?? request.content ?? request.requests;
      return {
        model: str(request.model) ?? gemini.modelFromPath(path),
        stream: false,
        inputCount: Array.isArray(input) ? input.length : input === undefined ? null : 1,
        system: null,
        tools: [],
        conversation: [],
      };
    }
    case 'models':
      return { model: null, stream: false, inputCount: null, system: null, tools: [], conversation: [] };
  }
}

/** Legacy completions: choices[].text, in one response or in chunks. */
function rebuildCompletions(chunks: JsonObject[], items: StreamItem[] | null): Rebuilt {
  const answer = emptyAnswer();
  let firstContentMs: number | null = null;
  let usageAsSent: unknown;
  let error: string | null = null;
  let answered = false;
  chunks.forEach((chunk, i) => {
    // Errors as in Chat Completions: the chunk's own, or its choice's (OpenRouter's finish_reason "error").
    if (chunk.error) error = errorLine(chunk.error, JSON.stringify(chunk.error));
    const choice = obj(arr(chunk.choices)[0]);
    answered ||= arr(chunk.choices).length > 0;
    const text = str(choice.text) ?? '';
    answer.text += text;
    if (text && firstContentMs === null && items) firstContentMs = items[i].offsetMs;
    answer.finishReason = str(choice.finish_reason) || answer.finishReason;
    if (chunk.usage) usageAsSent = chunk.usage;
    error ??= chat.choiceError(choice);
  });
  const done = !items || items.some((i) => i.data.trim() === '[DONE]');
  // Streamed, [DONE] closes the stream and finish_reason ends the answer, as in Chat Completions.
  const unfinished = items !== null && answered && answer.finishReason === null;
  return {
    respondedModel: str(chunks[0]?.model),
    answer,
    usage: chat.usageOf(usageAsSent),
    usageAsSent,
    firstContentMs,
    ending: error ? 'error' : done && !unfinished ? 'complete' : 'truncated',
    endingReason:
      error ?? (!done ? 'the stream ended without data: [DONE]' : unfinished ? chat.DONE_WITHOUT_FINISH : null),
  };
}

function rebuild(
  dialect: Dialect,
  response: unknown,
  items: StreamItem[] | null,
  responseText: string | null,
): Rebuilt & { modelsListed?: string[] } {
  if (items) {
    switch (dialect) {
      case 'openai-chat':
        return chat.rebuildStream(items);
      case 'openai-responses':
        return responses.rebuildStream(items);
      case 'anthropic-messages':
        return anthropic.rebuildStream(items);
      case 'gemini':
        return gemini.rebuildStream(items);
      case 'openai-images':
        return images.rebuildStream(items);
      case 'openai-completions':
        return rebuildCompletions(
          items.filter((i) => i.data.trim() !== '[DONE]').map((i) => obj(parseJson(i.data))),
          items,
        );
      default:
        break;
    }
  }
  const body = obj(response);
  switch (dialect) {
    case 'openai-chat':
      return chat.rebuildResponse(body);
    case 'openai-responses':
      return responses.rebuildResponse(body);
    case 'anthropic-messages':
      return anthropic.rebuildResponse(body);
    case 'gemini': {
      // A streamed JSON array that stopped partway does not parse: keep what arrived whole.
      const partial = response === undefined && responseText ? partialJsonArray(responseText) : null;
      return partial ? gemini.rebuildResponse(partial, true) : gemini.rebuildResponse(response);
    }
    case 'openai-completions':
      return rebuildCompletions([body], null);
    case 'openai-images':
      return images.rebuildResponse(body);
    case 'embeddings':
      return {
        respondedModel: str(body.model),
        answer: emptyAnswer(),
        usage: chat.usageOf(body.usage),
        usageAsSent: body.usage,
        firstContentMs: null,
        ending: 'complete',
        endingReason: null,
      };
    case 'models': {
      const listed = [
        ...arr(body.data).map((m) => str(obj(m).id)),
        ...arr(body.models).map((m) => str(obj(m).name)),
      ].filter((id): id is string => id !== null);
      return {
        respondedModel: null,
        answer: emptyAnswer(),
        usage: {},
        firstContentMs: null,
        ending: 'complete',
        endingReason: null,
        modelsListed: listed,
      };
    }
  }
}

/** A JSON answer that is an error (`{"error": {...}}`, Anthropic's `{"type": "error"}`, a failed Responses object), whatever its status. */
function errorInBody(body: unknown): boolean {
  const first = Array.isArray(body) && body.length === 1 ? obj(body[0]) : obj(body);
  const error = first.error;
  return (error !== undefined && error !== null && error !== false && error !== '') || first.type === 'error';
}

/** The provider's own error message from an error body, whatever its dialect. */
export function providerError(text: string | null): string | null {
  const body = parseJson(text);
  const first = Array.isArray(body) ? obj(body[0]) : obj(body);
  const error = first.error;
  const message = str(obj(error).message) ?? str(error) ?? str(first.message) ?? str(first.detail);
  return message ?? (text ? text.trim().slice(0, 500) : null);
}

/** Understands one stored exchange as a model call; null when it is not one. */
export function analyzeExchange(input: AnalysisInput): ModelCall | null {
  const { exchange } = input;
  const dialect = detectDialect(exchange.request.method, exchange.request.path);
  if (!dialect) return null;

  let request = obj(parseJson(input.requestText));
  let items: StreamItem[] | null = null;
  // Where the request is stored, for locating the images it sent: its body, or the WebSocket message.
  let requestStored: { source: 'request-body' | 'ws-message'; seq?: number } = { source: 'request-body' };
  // Where this call began, in milliseconds from the exchange's start: a WebSocket turn's response.create.
  let turnStartMs = 0;
  if (exchange.streamKind === 'websocket') {
    // Each turn is a response.create from the client; the last one is the call being answered,
    // and what came back after it is its answer: an earlier turn's events (an `error` such as
    // previous_response_not_found, after which the client sends the whole input again on the
    // same socket) are that turn's, not this one's.
    const creates = input.wsMessages
      .map((m, at) => ({
        at,
        seq: m.seq,
        offsetMs: m.offsetMs,
        sent: m.direction === 'send',
        create: obj(parseJson(m.text)),
      }))
      .filter((m) => m.sent && m.create.type === 'response.create');
    const last = creates[creates.length - 1];
    request = last?.create ?? {};
    requestStored = { source: 'ws-message', seq: last?.seq };
    // Its times count from its own response.create, not from the socket's opening (many turns ago).
    if (last) turnStartMs = last.offsetMs;
    items = input.wsMessages
      .slice(last ? last.at + 1 : 0)
      .filter((m) => m.direction === 'receive')
      .map((m) => ({ seq: m.seq, offsetMs: m.offsetMs, event: null, data: m.text }));
  } else if (exchange.streamKind === 'sse') {
    items = input.sseEvents.map((e) => ({ seq: e.seq, offsetMs: e.offsetMs, event: e.event, data: e.data }));
  }
  const facts = describe(dialect, request, exchange.request.path);
  const sessionId =
    dialect === 'gemini'
      ? codeAssistSession(request)
      : dialect === 'anthropic-messages'
        ? claudeCodeSession(request)
        : null;
  const status = exchange.response?.status ?? null;
  const sent = requestImages(dialect, request, requestStored.source, requestStored.seq);
  const base = {
    dialect,
    requestedModel: facts.model,
    stream: facts.stream || items !== null,
    inputCount: facts.inputCount,
    system: facts.system,
    toolsOffered: facts.tools,
    conversation: facts.conversation,
    ...(sent.length ? { images: withExchange(sent, exchange.id) } : {}),
  };

  if (status !== null && status >= 400) {
    return {
      ...base,
      respondedModel: null,
      answer: emptyAnswer(),
      usage: {},
      ttftMs: null,
      totalMs: exchange.timings.end ?? null,
      outputTokensPerSecond: null,
      ending: 'error',
      endingReason: providerError(input.responseText),
    };
  }
  const response = parseJson(input.responseText);
  const rebuilt = rebuild(dialect, response, items, input.responseText);
  // A Gemini JSON-array stream cut partway does not parse: the images of its whole elements were returned all the same.
  const cutArray =
    response === undefined && dialect === 'gemini' && input.responseText ? partialJsonArray(input.responseText) : null;
  const returned = items
    ? streamImages(dialect, items, exchange.streamKind === 'websocket' ? 'ws-message' : 'sse-event')
    : responseImages(dialect, cutArray ?? response);
  const open = !FINAL_STATES.has(exchange.state);
  let ending = rebuilt.ending;
  let endingReason = rebuilt.endingReason;
  if (items === null && response === undefined && status !== null && status < 400 && exchange.state !== 'complete') {
    // An answer not streamed whose exchange did not end cleanly (or has not ended) and whose body
    // does not parse: its body stopped partway. What arrived is no evidence of a whole answer.
    if (ending === 'complete') {
      ending = 'truncated';
      endingReason = 'the answer ended before its JSON body did';
    }
  }
  if (items === null && status !== null && rebuilt.ending !== 'error' && errorInBody(response)) {
    // A relay (one-api, new-api) or a gateway that answers 200 with an error body: the call failed.
    ending = 'error';
    endingReason = providerError(input.responseText);
  } else if (status === null) {
    ending = open ? 'open' : 'error';
    endingReason = open ? null : (exchange.error ?? 'no response');
  } else if (ending === 'truncated') {
    if (open) {
      ending = 'open';
      endingReason = null;
    } else if (exchange.state !== 'complete') {
      endingReason = `${endingReason}: ${exchange.state.replace('_', ' ')}${exchange.error ? ` (${exchange.error})` : ''}`;
    }
  }

  // Lists and embeddings generate no tokens: they have no time to first token.
  const generates = dialect !== 'models' && dialect !== 'embeddings';
  const firstMs = !generates ? null : items ? rebuilt.firstContentMs : (exchange.timings.firstByte ?? null);
  const ttftMs = firstMs === null ? null : Math.max(0, firstMs - turnStartMs);
  const totalMs = callTotalMs(exchange, items, rebuilt.ending, turnStartMs);
  const output = rebuilt.usage.output;
  const generating = ttftMs !== null && totalMs !== null ? (totalMs - ttftMs) / 1000 : 0;
  return {
    ...base,
    respondedModel: rebuilt.respondedModel,
    answer: rebuilt.answer,
    ...(rebuilt.choices ? { choices: rebuilt.choices } : {}),
    usage: rebuilt.usage,
    ...(rebuilt.usageAsSent !== undefined && rebuilt.usageAsSent !== null ? { usageAsSent: rebuilt.usageAsSent } : {}),
    ttftMs,
    totalMs,
    outputTokensPerSecond:
      items && output !== undefined && generating > 0 ? Math.round((output / generating) * 10) / 10 : null,
    ending,
    endingReason,
    ...(rebuilt.modelsListed ? { modelsListed: rebuilt.modelsListed } : {}),
    ...(sent.length || returned.length ? { images: withExchange([...sent, ...returned], exchange.id) } : {}),
    ...(rebuilt.responseId ? { responseId: rebuilt.responseId } : {}),
    ...(typeof request.previous_response_id === 'string' ? { previousResponseId: request.previous_response_id } : {}),
    ...(sessionId ? { sessionId } : {}),
    ...(turnStartMs > 0 ? { turnStartMs } : {}),
  };
}

/**
 * How long the call took. A WebSocket turn (several share one socket) runs from its
 * response.create to its own last event when it ended with one; the socket closes whenever the
 * client likes after that, so its close is no end of the turn. A turn that did not end by its own
 * event (cut, still open) runs to the socket's end.
 */
function callTotalMs(
  exchange: Exchange,
  items: StreamItem[] | null,
  ending: Rebuilt['ending'],
  turnStartMs: number,
): number | null {
  const end = exchange.timings.end ?? null;
  if (exchange.streamKind !== 'websocket') return end;
  const last = items?.[items.length - 1];
  const turnEnd = last && ending !== 'truncated' ? last.offsetMs : end;
  return turnEnd === null ? null : Math.max(0, turnEnd - turnStartMs);
}
