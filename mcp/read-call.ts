// read_call: one call whole as stored (headers masked as storage masked them), its bodies decoded
// and cut to what the caller can take, the model call rebuilt from the stream, its diagnoses.
import { z } from 'zod';
import { bodyView } from '../db/body-view.ts';
import type { ExchangeReader } from '../db/reader.ts';
import { modelCallOf } from '../llm/stored-calls.ts';
import type { ModelCall, ToolCall } from '../llm/model-call.ts';
import { exchangeUrl, type BodySide, type Exchange } from '../model/exchange.ts';
import { t } from '../cli/language.ts';
import { callId } from './arguments.ts';
import { diagnosesIn } from './diagnose-tool.ts';
import { ToolError, tool, trimmed } from './tool.ts';

function body(reader: ExchangeReader, exchange: Exchange, side: BodySide, max: number) {
  const view = bodyView(reader, exchange, side);
  return {
    size: view.size,
    ...(view.encoding ? { encoding: view.encoding } : {}),
    ...(view.mimeType ? { type: view.mimeType } : {}),
    ...(view.truncated ? { truncated: 'wirelog stored only the first part of this body' } : {}),
    ...(view.decodeError ? { decodeError: view.decodeError } : {}),
    ...(view.text !== null
      ? { text: trimmed(view.text, max) }
      : view.base64 !== null
        ? { binary: `${view.decodedSize} bytes, not text` }
        : {}),
  };
}

const toolCalls = (calls: ToolCall[], max: number) =>
  calls.map((c) => ({ id: c.id, name: c.name, arguments: trimmed(c.arguments, max) }));

/** The model call's parts an agent asks about, each text cut to `max`. */
function modelCallPart(call: ModelCall, max: number) {
  const lastUser = [...call.conversation].reverse().find((turn) => turn.role === 'user');
  return {
    dialect: call.dialect,
    requestedModel: call.requestedModel,
    respondedModel: call.respondedModel,
    stream: call.stream,
    inputCount: call.inputCount,
    toolsOffered: call.toolsOffered,
    ...(call.system ? { system: trimmed(call.system, max) } : {}),
    ...(lastUser ? { lastUserMessage: trimmed(lastUser.text, max) } : {}),
    answer: {
      text: trimmed(call.answer.text, max),
      ...(call.answer.reasoning ? { reasoning: trimmed(call.answer.reasoning, max) } : {}),
      ...(call.answer.toolCalls.length ? { toolCalls: toolCalls(call.answer.toolCalls, max) } : {}),
      ...(call.answer.refusal ? { refusal: trimmed(call.answer.refusal, max) } : {}),
      finishReason: call.answer.finishReason,
    },
    usage: call.usage,
    ttftMs: call.ttftMs,
    totalMs: call.totalMs,
    ending: call.ending,
    ...(call.endingReason ? { endingReason: call.endingReason } : {}),
    ...(call.previousResponseId ? { previousResponseId: call.previousResponseId } : {}),
  };
}

export const readCall = tool({
  name: 'read_call',
  description:
    'Read one captured call: the request (method, URL, headers with keys masked, body), the response (status, headers, body), the model call rebuilt from the stream (model, answer text, tool calls, usage, time to first token, how it ended) and what wirelog diagnosed. Bodies are cut to maxBodyChars characters.',
  input: z.object({
    id: callId,
    maxBodyChars: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(2000)
      .describe('Characters of each body and long text to include, 0 to 1,000,000 (default 2,000)'),
  }),
  run({ id, maxBodyChars }, { database }) {
    const { reader } = database.open();
    return database.read(() => {
      const exchange = reader.get(id);
      if (!exchange) throw new ToolError(t('mcp.errors.noExchange', { id }));
      const call = exchange.damaged ? null : modelCallOf(reader, exchange);
      return {
        id: exchange.id,
        at: new Date(exchange.request.startedAt).toISOString(),
        state: exchange.state,
        ...(exchange.error ? { error: exchange.error } : {}),
        ...(exchange.request.replayOf ? { replayOf: exchange.request.replayOf } : {}),
        request: {
          method: exchange.request.method,
          url: exchangeUrl(exchange.request),
          headers: exchange.request.headers,
          body: body(reader, exchange, 'request', maxBodyChars),
        },
        response: exchange.response
          ? {
              status: exchange.response.status,
              statusText: exchange.response.statusText,
              headers: exchange.response.headers,
              body: body(reader, exchange, 'response', maxBodyChars),
            }
          : null,
        timings: exchange.timings,
        ...(exchange.streamKind ? { stream: { kind: exchange.streamKind, events: exchange.eventCount } } : {}),
        modelCall: call ? modelCallPart(call, maxBodyChars) : null,
        diagnoses: exchange.damaged ? [] : diagnosesIn(reader, exchange, call),
        ...(exchange.notes ? { notes: exchange.notes } : {}),
        ...(exchange.damaged ? { damaged: exchange.damaged } : {}),
      };
    });
  },
});
