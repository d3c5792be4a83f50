// Anthropic Messages: POST /v1/messages, streamed as message_start ... message_stop.
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

export function describeRequest(request: JsonObject): RequestFacts {
  return {
    model: str(request.model),
    stream: request.stream === true,
    inputCount: arr(request.messages).length,
    system: textOf(request.system) || null,
    tools: arr(request.tools).map((t) => str(obj(t).name) ?? '?'),
    conversation: [
      ...(textOf(request.system) ? [{ role: 'system' as const, text: textOf(request.system) }] : []),
      ...arr(request.messages).flatMap((m) => turnsOf(obj(m))),
    ],
  };
}

/** A message's blocks as turns: tool results become tool turns, tool_use blocks tool calls. */
function turnsOf(message: JsonObject): Turn[] {
  const role = message.role === 'assistant' ? 'assistant' : 'user';
  if (typeof message.content === 'string') return [{ role, text: message.content }];
  const turns: Turn[] = [];
  const texts: string[] = [];
  const toolCalls = [];
  for (const b of arr(message.content)) {
    const block = obj(b);
    if (block.type === 'text') texts.push(str(block.text) ?? '');
    else if (block.type === 'tool_use') toolCalls.push({ id: str(block.id), name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) });
    else if (block.type === 'tool_result') turns.push({ role: 'tool', text: textOf(block.content), toolCallId: str(block.tool_use_id) });
  }
  if (texts.length || toolCalls.length) turns.unshift({ role, text: texts.join('\n'), ...(toolCalls.length ? { toolCalls } : {}) });
  return turns;
}

/** Anthropic reports no total, and its input excludes cache reads and writes: each is kept as its own figure. */
function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.input_tokens),
    output: num(u.output_tokens),
    cacheRead: num(u.cache_read_input_tokens),
    cacheCreation: num(u.cache_creation_input_tokens),
    cost: costOf(u),
  });
}

/** Between two thinking blocks of one message (interleaved thinking sends several). */
const THINKING_SEPARATOR = '\n\n';

function answerOfContent(content: unknown[], stopReason: string | null): Answer {
  const answer = emptyAnswer();
  for (const b of content) {
    const block = obj(b);
    if (block.type === 'text') answer.text += str(block.text) ?? '';
    else if (block.type === 'thinking') answer.reasoning += `${answer.reasoning ? THINKING_SEPARATOR : ''}${str(block.thinking) ?? ''}`;
    else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      answer.toolCalls.push({ id: str(block.id), name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  answer.finishReason = stopReason;
  if (stopReason === 'refusal') answer.refusal = answer.text;
  return answer;
}

export function rebuildResponse(response: JsonObject): Rebuilt {
  return {
    respondedModel: str(response.model),
    answer: answerOfContent(arr(response.content), str(response.stop_reason)),
    usage: usageOf(response.usage),
    usageAsSent: response.usage,
    firstContentMs: null,
    ending: 'complete',
    endingReason: null,
  };
}

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const answer = emptyAnswer();
  const blocks = new Map<number, { kind: string; call?: ToolCall }>();
  let usage: JsonObject = {};
  let model: string | null = null;
  let firstContentMs: number | null = null;
  let stopped = false;
  let error: string | null = null;
  for (const item of items) {
    const data = obj(parseJson(item.data));
    const type = str(data.type) ?? item.event ?? '';
    if (type === 'message_start') {
      const message = obj(data.message);
      model = str(message.model);
      usage = { ...obj(message.usage) };
    } else if (type === 'content_block_start') {
      const block = obj(data.content_block);
      const index = num(data.index) ?? blocks.size;
      const kind = str(block.type) ?? '';
      if (kind === 'tool_use' || kind === 'server_tool_use') {
        const call = { id: str(block.id), name: str(block.name) ?? '', arguments: '' };
        answer.toolCalls.push(call);
        blocks.set(index, { kind, call });
      } else {
        // Each thinking block is a thought of its own: kept apart, not glued to the one before.
        if (kind === 'thinking' && answer.reasoning) answer.reasoning += THINKING_SEPARATOR;
        blocks.set(index, { kind });
      }
    } else if (type === 'content_block_delta') {
      const delta = obj(data.delta);
      const block = blocks.get(num(data.index) ?? -1);
      if (firstContentMs === null && delta.type !== 'signature_delta') firstContentMs = item.offsetMs;
      if (delta.type === 'text_delta') answer.text += str(delta.text) ?? '';
      else if (delta.type === 'thinking_delta') answer.reasoning += str(delta.thinking) ?? '';
      else if (delta.type === 'input_json_delta' && block?.call) block.call.arguments += str(delta.partial_json) ?? '';
    } else if (type === 'message_delta') {
      answer.finishReason = str(obj(data.delta).stop_reason) ?? answer.finishReason;
      // message_delta carries cumulative counts; they replace the ones from message_start.
      usage = { ...usage, ...obj(data.usage) };
    } else if (type === 'message_stop') {
      stopped = true;
    } else if (type === 'error') {
      error = errorLine(data.error, 'error event');
    }
  }
  for (const call of answer.toolCalls) if (call.arguments === '') call.arguments = '{}';
  if (answer.finishReason === 'refusal') answer.refusal = answer.text;
  const ending = error ? 'error' : stopped ? 'complete' : 'truncated';
  return { respondedModel: model, answer, usage: usageOf(usage), ...(Object.keys(usage).length ? { usageAsSent: usage } : {}), firstContentMs, ending, endingReason: error ?? (stopped ? null : 'the stream ended without message_stop') };
}
