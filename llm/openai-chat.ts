// OpenAI Chat Completions (and the many relays that speak it): POST .../chat/completions.
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';
import { annotationCitations, withAgentParts, type Citation } from './agent-steps.ts';

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
      const role =
        m.role === 'system' || m.role === 'developer'
          ? 'system'
          : m.role === 'assistant'
            ? 'assistant'
            : m.role === 'tool' || m.role === 'function'
              ? 'tool'
              : 'user';
      const toolCalls = [
        ...arr(m.tool_calls).map((c) => ({
          id: str(obj(c).id),
          name: str(obj(obj(c).function).name) ?? '',
          arguments: str(obj(obj(c).function).arguments) ?? '',
        })),
        ...legacyCall(m),
      ];
      return {
        role,
        text: textOf(m.content),
        ...(toolCalls.length ? { toolCalls } : {}),
        ...(role === 'tool' ? { toolCallId: str(m.tool_call_id) } : {}),
      };
    }),
  };
}

/**
 * The one function call of the deprecated functions API (`function_call` on the message or the
 * delta, finish reason "function_call"), which still reaches relays from older clients; it has no id.
 */
function legacyCall(message: JsonObject): ToolCall[] {
  if (message.function_call === undefined || message.function_call === null) return [];
  const call = obj(message.function_call);
  return [{ id: null, name: str(call.name) ?? '', arguments: str(call.arguments) ?? '' }];
}

export function usageOf(value: unknown): Usage {
  const u = obj(value);
  const prompt = obj(u.prompt_tokens_details);
  return defined({
    input: num(u.prompt_tokens),
    output: num(u.completion_tokens),
    // DeepSeek reports its cache hits beside the prompt, not inside its details.
    cacheRead: num(prompt.cached_tokens) ?? num(u.prompt_cache_hit_tokens),
    cacheCreation: num(prompt.cache_write_tokens) ?? num(prompt.cache_creation_tokens),
    // Azure AI Foundry's model inference API reports them beside the counts, not in their details.
    reasoning: num(obj(u.completion_tokens_details).reasoning_tokens) ?? num(u.reasoning_tokens),
    total: num(u.total_tokens),
    cost: costOf(u),
  });
}

/**
 * Reasoning as the OpenAI-compatible providers send it: `reasoning_content` (DeepSeek),
 * `reasoning` (OpenRouter, Groq), or Mistral's `thinking` parts inside a `content` array
 * (`{"type": "thinking", "thinking": [{"type": "text", "text": "…"}]}`).
 */
function reasoningOf(message: JsonObject): string {
  const named = nonEmpty(message.reasoning_content) ?? nonEmpty(message.reasoning);
  if (named !== null) return named;
  // OpenRouter (and Snowflake) may send it only as structured details: text and summaries are readable, encrypted ones are not.
  const details = arr(message.reasoning_details).map(obj);
  if (details.length) return details.map((d) => str(d.text) ?? str(d.summary) ?? '').join('');
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

/** Reasoning a provider sent encrypted (OpenRouter's `reasoning.encrypted` details): there, but not readable. */
function encryptedReasoning(message: JsonObject): number {
  return arr(message.reasoning_details).filter((d) => obj(d).type === 'reasoning.encrypted').length;
}

/** Sources as Perplexity lists them beside the choices: `citations` (URLs) or `search_results` ({title, url}). */
function responseCitations(body: JsonObject): Citation[] {
  const results = arr(body.search_results).map(obj);
  if (results.length)
    return results.flatMap((r) => (str(r.url) ? [{ text: '', source: str(r.url)!, title: str(r.title) }] : []));
  return arr(body.citations).flatMap((c) => (str(c) ? [{ text: '', source: str(c)!, title: null }] : []));
}

function messageAnswer(choice: JsonObject, sources: Citation[] = []): Answer {
  const message = obj(choice.message);
  const text = contentText(message.content);
  return withAgentParts(
    messageFields(choice, message, text),
    [],
    [...annotationCitations(message.annotations, text), ...sources],
    encryptedReasoning(message),
  );
}

function messageFields(choice: JsonObject, message: JsonObject, text: string): Answer {
  return {
    text,
    reasoning: reasoningOf(message),
    toolCalls: [
      ...arr(message.tool_calls).map((c) => {
        const call = obj(c);
        return {
          id: str(call.id),
          name: str(obj(call.function).name) ?? '',
          arguments: str(obj(call.function).arguments) ?? '',
        };
      }),
      ...legacyCall(message),
    ],
    refusal: str(message.refusal) ?? '',
    finishReason: str(choice.finish_reason),
  };
}

/** Choices in their own order (`index`), the first as the answer; all of them when `n` asked for more than one. */
function byIndex(answers: Map<number, Answer>): Pick<Rebuilt, 'answer' | 'choices'> {
  const ordered = [...answers.entries()].sort(([a], [b]) => a - b).map(([, answer]) => answer);
  return { answer: ordered[0] ?? emptyAnswer(), ...(ordered.length > 1 ? { choices: ordered } : {}) };
}

/**
 * A choice that ended with an error (OpenRouter: finish_reason "error", the error beside it in
 * the choice, `{code, message}`): its words, or null for a choice that did not.
 */
export function choiceError(choice: JsonObject): string | null {
  if (choice.error) return errorLine(choice.error, JSON.stringify(choice.error));
  return choice.finish_reason === 'error' ? CHOICE_ERROR : null;
}

/** Why a call failed whose choice ended with finish_reason "error" and said nothing more. */
export const CHOICE_ERROR = 'the answer ended with finish_reason "error"';

export function rebuildResponse(response: JsonObject): Rebuilt {
  const sources = responseCitations(response);
  const answers = new Map(
    arr(response.choices).map((c, i) => [num(obj(c).index) ?? i, messageAnswer(obj(c), sources)] as const),
  );
  const error = arr(response.choices)
    .map((c) => choiceError(obj(c)))
    .find((e) => e !== null);
  return {
    respondedModel: str(response.model),
    ...byIndex(answers),
    usage: usageOf(response.usage),
    usageAsSent: response.usage,
    firstContentMs: null,
    ending: error ? 'error' : 'complete',
    endingReason: error ?? null,
  };
}

/** One choice being streamed: its answer so far and its tool calls by their index. */
interface StreamedChoice {
  answer: Answer;
  calls: Map<number, ToolCall>;
  /** OpenRouter's url_citation annotations, as deltas carry them. */
  annotations: unknown[];
  encrypted: number;
}

/** A later delta's empty field (DashScope repeats `"id": ""` on every piece of a call) says nothing: the value seen stays. */
function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Where a choice keeps its deprecated function_call among its tool calls (before them: they never come together). */
const LEGACY_CALL = -1;

/** Adds one choice's delta; true when it carried content (text, reasoning, refusal or tool arguments). */
function addDelta(target: StreamedChoice, choice: JsonObject): boolean {
  const { answer, calls } = target;
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
    call.id = nonEmpty(part.id) ?? call.id;
    call.name += str(obj(part.function).name) ?? '';
    call.arguments += str(obj(part.function).arguments) ?? '';
    calls.set(index, call);
    toolDelta = true;
  }
  // The deprecated function_call streams its name and arguments in pieces too: one call, no index.
  for (const piece of legacyCall(delta)) {
    const call = calls.get(LEGACY_CALL) ?? { id: null, name: '', arguments: '' };
    call.name += piece.name;
    call.arguments += piece.arguments;
    calls.set(LEGACY_CALL, call);
    toolDelta = true;
  }
  target.annotations.push(...arr(delta.annotations));
  target.encrypted += encryptedReasoning(delta);
  answer.finishReason = nonEmpty(choice.finish_reason) ?? answer.finishReason;
  return toolDelta || answer.text.length + answer.reasoning.length + answer.refusal.length > before;
}

/** Why a stream closed with [DONE] is cut all the same: its answer never got a finish_reason. */
export const DONE_WITHOUT_FINISH = 'the stream ended with data: [DONE] but the answer has no finish_reason';

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const choices = new Map<number, StreamedChoice>();
  let usageAsSent: unknown;
  let model: string | null = null;
  let firstContentMs: number | null = null;
  let done = false;
  let error: string | null = null;
  let sources: Citation[] = [];
  for (const item of items) {
    if (item.data.trim() === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = obj(parseJson(item.data));
    if (chunk.error) error = errorLine(chunk.error, JSON.stringify(chunk.error));
    model = str(chunk.model) ?? model;
    // Perplexity repeats the whole list on every chunk: the last one holds.
    if (chunk.citations || chunk.search_results) sources = responseCitations(chunk);
    // Groq reports a stream's usage in its last chunk's x_groq (top-level usage only with stream_options).
    if (chunk.usage) usageAsSent = chunk.usage;
    else if (obj(chunk.x_groq).usage) usageAsSent = obj(chunk.x_groq).usage;
    arr(chunk.choices).forEach((c, position) => {
      const choice = obj(c);
      const index = num(choice.index) ?? position;
      const target = choices.get(index) ?? { answer: emptyAnswer(), calls: new Map(), annotations: [], encrypted: 0 };
      choices.set(index, target);
      if (addDelta(target, choice) && firstContentMs === null) firstContentMs = item.offsetMs;
      // A chunk's own error (read above) says more than its choice's finish_reason "error".
      error ??= choiceError(choice);
    });
  }
  for (const { answer, calls, annotations, encrypted } of choices.values()) {
    answer.toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    withAgentParts(answer, [], [...annotationCitations(annotations, answer.text), ...sources], encrypted);
  }
  const answers = new Map([...choices.entries()].map(([index, c]) => [index, c.answer] as const));
  // [DONE] closes the stream; a choice's finish_reason ends its answer. A relay that lost its
  // upstream partway may still close with [DONE] (new-api#7059): an answer with no finish_reason is cut.
  const unfinished = [...answers.values()].some((a) => a.finishReason === null);
  const ending = error ? 'error' : done && !unfinished ? 'complete' : 'truncated';
  return {
    respondedModel: model,
    ...byIndex(answers),
    usage: usageOf(usageAsSent),
    usageAsSent,
    firstContentMs,
    ending,
    endingReason: error ?? (!done ? 'the stream ended without data: [DONE]' : unfinished ? DONE_WITHOUT_FINISH : null),
  };
}
