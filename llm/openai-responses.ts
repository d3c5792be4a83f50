// OpenAI Responses: POST .../responses over SSE, or response.create over a WebSocket (Codex).
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

export function describeRequest(request: JsonObject): RequestFacts {
  const input = request.input;
  return {
    model: str(request.model),
    stream: request.stream === true,
    inputCount: typeof input === 'string' ? 1 : Array.isArray(input) ? input.length : null,
    system: str(request.instructions),
    tools: arr(request.tools).map((t) => str(obj(t).name) ?? str(obj(t).type) ?? '?'),
    conversation: [
      ...(str(request.instructions) ? [{ role: 'system' as const, text: str(request.instructions)! }] : []),
      ...(typeof input === 'string' ? [{ role: 'user' as const, text: input }] : arr(input).flatMap((i) => turnOf(obj(i)))),
    ],
  };
}

function turnOf(item: JsonObject): Turn[] {
  const type = str(item.type) ?? (item.role ? 'message' : '');
  if (type === 'message') {
    const role = item.role === 'assistant' ? 'assistant' : item.role === 'system' || item.role === 'developer' ? 'system' : 'user';
    return [{ role, text: textOf(item.content) }];
  }
  if (type === 'function_call' || type === 'custom_tool_call') {
    return [{ role: 'assistant', text: '', toolCalls: [{ id: str(item.call_id), name: str(item.name) ?? '', arguments: str(item.arguments) ?? str(item.input) ?? '' }] }];
  }
  if (type === 'function_call_output' || type === 'custom_tool_call_output') {
    return [{ role: 'tool', text: typeof item.output === 'string' ? item.output : JSON.stringify(item.output), toolCallId: str(item.call_id) }];
  }
  return [];
}

function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.input_tokens),
    output: num(u.output_tokens),
    cacheRead: num(obj(u.input_tokens_details).cached_tokens),
    reasoning: num(obj(u.output_tokens_details).reasoning_tokens),
    total: num(u.total_tokens),
    cost: costOf(u),
  });
}

/** The answer as a finished response object carries it in `output`. */
function answerOfOutput(output: unknown[], status: string | null, incompleteReason: string | null): Answer {
  const answer = emptyAnswer();
  for (const entry of output) {
    const item = obj(entry);
    if (item.type === 'message') {
      for (const p of arr(item.content)) {
        const part = obj(p);
        if (part.type === 'output_text') answer.text += str(part.text) ?? '';
        if (part.type === 'refusal') answer.refusal += str(part.refusal) ?? '';
      }
    } else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      answer.toolCalls.push({ id: str(item.call_id) ?? str(item.id), name: str(item.name) ?? '', arguments: str(item.arguments) ?? str(item.input) ?? '' });
    } else if (item.type === 'reasoning') {
      answer.reasoning += [textOf(item.summary), textOf(item.content)].filter(Boolean).join('\n');
    }
  }
  answer.finishReason = incompleteReason ?? status;
  return answer;
}

export function rebuildResponse(response: JsonObject): Rebuilt {
  const answer = answerOfOutput(arr(response.output), str(response.status), str(obj(response.incomplete_details).reason));
  return { respondedModel: str(response.model), responseId: str(response.id) ?? undefined, answer, usage: usageOf(response.usage), usageAsSent: response.usage, firstContentMs: null, ending: 'complete', endingReason: null };
}

const CONTENT_DELTAS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
]);

/** Events as SSE (event name + data) or WebSocket messages (the type inside the data). */
export function rebuildStream(items: StreamItem[]): Rebuilt {
  const deltas = emptyAnswer();
  const calls = new Map<string, ToolCall>();
  let final: JsonObject | null = null;
  let model: string | null = null;
  let responseId: string | undefined;
  let firstContentMs: number | null = null;
  let terminal: string | null = null;
  let error: string | null = null;
  for (const item of items) {
    const data = obj(parseJson(item.data));
    const type = str(data.type) ?? item.event ?? '';
    if (type === 'response.create') continue; // the client's own request, on a WebSocket
    const response = obj(data.response);
    model = str(response.model) ?? model;
    responseId = str(response.id) ?? responseId;
    if (CONTENT_DELTAS.has(type) && firstContentMs === null) firstContentMs = item.offsetMs;
    const delta = str(data.delta) ?? '';
    if (type === 'response.output_text.delta') deltas.text += delta;
    else if (type === 'response.refusal.delta') deltas.refusal += delta;
    else if (type === 'response.reasoning_summary_text.delta' || type === 'response.reasoning_text.delta') deltas.reasoning += delta;
    else if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const added = obj(data.item);
      if (added.type === 'function_call' || added.type === 'custom_tool_call') {
        const key = str(added.id) ?? String(num(data.output_index));
        const call = calls.get(key) ?? { id: null, name: '', arguments: '' };
        call.id = str(added.call_id) ?? call.id;
        call.name = str(added.name) ?? call.name;
        if (type === 'response.output_item.done') call.arguments = str(added.arguments) ?? str(added.input) ?? call.arguments;
        calls.set(key, call);
      }
    } else if (type === 'response.function_call_arguments.delta' || type === 'response.custom_tool_call_input.delta') {
      const key = str(data.item_id) ?? String(num(data.output_index));
      const call = calls.get(key) ?? { id: null, name: '', arguments: '' };
      call.arguments += delta;
      calls.set(key, call);
    } else if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      terminal = type;
      final = response;
      // An `error` event usually came first and says more; response.failed repeats it.
      if (type === 'response.failed') error ??= errorLine(response.error, 'response.failed');
    } else if (type === 'error') {
      error = errorLine(data.error ?? data, 'error event');
    }
  }
  // The terminal event carries the whole response; the deltas are the fallback for a cut stream.
  const fromFinal = final && arr(final.output).length ? answerOfOutput(arr(final.output), str(final.status), str(obj(final.incomplete_details).reason)) : null;
  const answer: Answer = fromFinal ?? { ...deltas, toolCalls: [...calls.values()], finishReason: final ? str(final.status) : null };
  const ending = error ? 'error' : terminal ? 'complete' : 'truncated';
  return {
    respondedModel: model,
    responseId,
    answer,
    usage: final ? usageOf(final.usage) : {},
    usageAsSent: final?.usage,
    firstContentMs,
    ending,
    endingReason: error ?? (terminal ? null : 'the stream ended without response.completed'),
  };
}
