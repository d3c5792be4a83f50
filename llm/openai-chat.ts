// OpenAI Chat Completions (and the many relays that speak it): POST .../chat/completions.
import { arr, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

export function describeRequest(request: JsonObject): RequestFacts {
  const messages = arr(request.messages);
  const system = messages
    .map(obj)
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .join('\n');
  return {
    model: str(request.model),
    stream: request.stream === true,
    inputCount: messages.length,
    system: system || null,
    tools: arr(request.tools).map((t) => str(obj(obj(t).function).name) ?? str(obj(t).name) ?? '?'),
    conversation: messages.map(obj).map((m): Turn => {
      const role = m.role === 'system' || m.role === 'developer' ? 'system' : m.role === 'assistant' ? 'assistant' : m.role === 'tool' || m.role === 'function' ? 'tool' : 'user';
      const toolCalls = arr(m.tool_calls).map((c) => ({ id: str(obj(c).id), name: str(obj(obj(c).function).name) ?? '', arguments: str(obj(obj(c).function).arguments) ?? '' }));
      return { role, text: textOf(m.content), ...(toolCalls.length ? { toolCalls } : {}), ...(role === 'tool' ? { toolCallId: str(m.tool_call_id) } : {}) };
    }),
  };
}

export function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.prompt_tokens),
    output: num(u.completion_tokens),
    cached: num(obj(u.prompt_tokens_details).cached_tokens),
    reasoning: num(obj(u.completion_tokens_details).reasoning_tokens),
    total: num(u.total_tokens),
  });
}

/** Reasoning text under the names relays use for it (DeepSeek, OpenRouter, vLLM). */
/**
 * Reasoning as the OpenAI-compatible providers send it: `reasoning_content` (DeepSeek),
 * `reasoning` (OpenRouter, Groq), or Mistral's `thinking` parts inside a `content` array
 * (`{"type": "thinking", "thinking": [{"type": "text", "text": "…"}]}`).
 */
function reasoningOf(message: JsonObject): string {
  const named = str(message.reasoning_content) ?? str(message.reasoning);
  if (named !== null) return named;
  return arr(message.content)
    .map((part) => obj(part))
    .filter((part) => part.type === 'thinking')
    .map((part) => (typeof part.thinking === 'string' ? part.thinking : textOf(part.thinking)))
    .join('');
}

/** The answer's text: a string, or the text parts of a content array (thinking parts are reasoning). */
function contentText(content: unknown): string {
  return Array.isArray(content) ? textOf(content.filter((part) => obj(part).type !== 'thinking')) : textOf(content);
}

export function rebuildResponse(response: JsonObject): Rebuilt {
  const choice = obj(arr(response.choices)[0]);
  const message = obj(choice.message);
  const answer: Answer = {
    text: contentText(message.content),
    reasoning: reasoningOf(message),
    toolCalls: arr(message.tool_calls).map((c) => {
      const call = obj(c);
      return { id: str(call.id), name: str(obj(call.function).name) ?? '', arguments: str(obj(call.function).arguments) ?? '' };
    }),
    refusal: str(message.refusal) ?? '',
    finishReason: str(choice.finish_reason),
  };
  return { respondedModel: str(response.model), answer, usage: usageOf(response.usage), firstContentMs: null, ending: 'complete', endingReason: null };
}

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const answer = emptyAnswer();
  const calls = new Map<number, ToolCall>();
  let usage: Usage = {};
  let model: string | null = null;
  let firstContentMs: number | null = null;
  let done = false;
  let error: string | null = null;
  for (const item of items) {
    if (item.data.trim() === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = obj(parseJson(item.data));
    if (chunk.error) error = errorLine(chunk.error, JSON.stringify(chunk.error));
    model = str(chunk.model) ?? model;
    if (chunk.usage) usage = usageOf(chunk.usage);
    for (const c of arr(chunk.choices)) {
      const choice = obj(c);
      const delta = obj(choice.delta);
      const before = answer.text.length + answer.reasoning.length + answer.refusal.length;
      answer.text += contentText(delta.content);
      answer.reasoning += reasoningOf(delta);
      answer.refusal += str(delta.refusal) ?? '';
      let toolDelta = false;
      for (const t of arr(delta.tool_calls)) {
        const part = obj(t);
        const index = num(part.index) ?? calls.size;
        const call = calls.get(index) ?? { id: null, name: '', arguments: '' };
        call.id = str(part.id) ?? call.id;
        call.name += str(obj(part.function).name) ?? '';
        call.arguments += str(obj(part.function).arguments) ?? '';
        calls.set(index, call);
        toolDelta = true;
      }
      if (firstContentMs === null && (toolDelta || answer.text.length + answer.reasoning.length + answer.refusal.length > before)) firstContentMs = item.offsetMs;
      answer.finishReason = str(choice.finish_reason) ?? answer.finishReason;
    }
  }
  answer.toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  const ending = error ? 'error' : done ? 'complete' : 'truncated';
  return { respondedModel: model, answer, usage, firstContentMs, ending, endingReason: error ?? (done ? null : 'the stream ended without data: [DONE]') };
}
