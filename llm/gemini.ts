// Gemini: POST .../models/{model}:generateContent, or :streamGenerateContent as SSE (alt=sse)
// or as one JSON array that grows while it streams.
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import { StreamedArguments } from './partial-args.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';
import { asText, step, withAgentParts, type AgentStep, type Citation } from './agent-steps.ts';
import { percentDecoded } from '../model/percent.ts';
import { codeAssistRequest, codeAssistResponse } from './code-assist.ts';

export function modelFromPath(path: string): string | null {
  const m = /\/models\/([^/:?]+):/.exec(path);
  return m ? percentDecoded(m[1]) : null;
}

export function describeRequest(envelope: JsonObject, path: string): RequestFacts {
  // Code Assist (Gemini CLI signed in with Google) names the model in its envelope, not the path.
  const request = codeAssistRequest(envelope);
  return {
    model: modelFromPath(path) ?? str(envelope.model),
    stream: /:streamGenerateContent/i.test(path),
    inputCount: arr(request.contents).length,
    system: textOf(obj(request.systemInstruction ?? request.system_instruction).parts) || null,
    tools: arr(request.tools).flatMap((t) =>
      arr(obj(t).functionDeclarations ?? obj(t).function_declarations).map((f) => str(obj(f).name) ?? '?'),
    ),
    conversation: [
      ...(textOf(obj(request.systemInstruction ?? request.system_instruction).parts)
        ? [
            {
              role: 'system' as const,
              text: textOf(obj(request.systemInstruction ?? request.system_instruction).parts),
            },
          ]
        : []),
      ...arr(request.contents).flatMap((c) => turnsOf(obj(c))),
    ],
  };
}

function turnsOf(content: JsonObject): Turn[] {
  const role = content.role === 'model' ? 'assistant' : 'user';
  const parts = arr(content.parts).map(obj);
  const results = parts
    .filter((p) => p.functionResponse)
    .map(
      (p): Turn => ({
        role: 'tool',
        text: JSON.stringify(obj(p.functionResponse).response ?? {}),
        toolCallId: str(obj(p.functionResponse).name),
      }),
    );
  const toolCalls = parts
    .filter((p) => p.functionCall)
    .map((p) => ({
      id: str(obj(p.functionCall).id),
      name: str(obj(p.functionCall).name) ?? '',
      arguments: JSON.stringify(obj(p.functionCall).args ?? {}),
    }));
  const text = parts
    .map((p) => (p.thought === true ? '' : (str(p.text) ?? '')))
    .filter(Boolean)
    .join('\n');
  // Code the model ran in an earlier turn, sent back with its result: the loop as it happened.
  const ran: CandidateState = { answer: emptyAnswer(), open: null, code: [], grounding: null };
  for (const p of parts) if (p.executableCode || p.codeExecutionResult) addPart(ran, p);
  const steps = ran.code;
  return [
    ...(text || toolCalls.length || steps.length
      ? [{ role, text, ...(toolCalls.length ? { toolCalls } : {}), ...(steps.length ? { steps } : {}) } as Turn]
      : []),
    ...results,
  ];
}

function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.promptTokenCount),
    output: num(u.candidatesTokenCount),
    cacheRead: num(u.cachedContentTokenCount),
    reasoning: num(u.thoughtsTokenCount),
    total: num(u.totalTokenCount),
    cost: costOf(u),
  });
}

/** One candidate being rebuilt, and the function call whose arguments are still arriving (Vertex). */
interface CandidateState {
  answer: Answer;
  open: { call: ToolCall; args: StreamedArguments } | null;
  /** Code the model ran (executableCode parts), each with its codeExecutionResult once it came. */
  code: AgentStep[];
  /** The candidate's last groundingMetadata: a stream repeats or completes it, never splits it. */
  grounding: JsonObject | null;
}

/**
 * Google Search grounding as a step (the queries the model searched, the pages it used) and as
 * citations: each groundingSupport's segment of the answer with the chunks that support it.
 */
function groundingParts(grounding: JsonObject | null): { steps: AgentStep[]; citations: Citation[] } {
  if (!grounding) return { steps: [], citations: [] };
  const chunks = arr(grounding.groundingChunks).map((c) => obj(obj(c).web ?? obj(c).retrievedContext));
  const queries = arr(grounding.webSearchQueries)
    .map(str)
    .filter((q): q is string => !!q);
  const pages = chunks.map((c) => [str(c.title), str(c.uri)].filter(Boolean).join(' ')).filter(Boolean);
  const steps =
    queries.length || pages.length
      ? [
          step('web-search', {
            name: 'google_search',
            input: queries.join('\n'),
            output: pages.length ? pages.join('\n') : null,
          }),
        ]
      : [];
  const citations = arr(grounding.groundingSupports).flatMap((s) => {
    const support = obj(s);
    const text = str(obj(support.segment).text) ?? '';
    return arr(support.groundingChunkIndices).flatMap((i) => {
      const chunk = typeof i === 'number' ? chunks[i] : undefined;
      const source = chunk ? (str(chunk.uri) ?? str(chunk.title)) : null;
      return source ? [{ text, source, title: str(chunk!.title) }] : [];
    });
  });
  return { steps, citations };
}

/** Rebuilds every candidate from whole responses or streamed chunks, in the order they come. */
class Candidates {
  private readonly byIndex = new Map<number, CandidateState>();
  usageAsSent: unknown;
  model: string | null = null;
  error: string | null = null;
  blocked: string | null = null;

  /** Adds one GenerateContentResponse; true when it carried content (text or a function call). */
  add(received: JsonObject): boolean {
    const chunk = codeAssistResponse(received);
    if (chunk.error) this.error = errorLine(chunk.error, 'error');
    if (chunk.usageMetadata) this.usageAsSent = chunk.usageMetadata;
    this.model = str(chunk.modelVersion) ?? this.model;
    // A blocked prompt is the provider's answer, not a cut stream: it ends the call.
    this.blocked = str(obj(chunk.promptFeedback).blockReason) ?? this.blocked;
    let content = false;
    arr(chunk.candidates).forEach((c, position) => {
      const candidate = obj(c);
      const index = num(candidate.index) ?? position;
      const state = this.byIndex.get(index) ?? { answer: emptyAnswer(), open: null, code: [], grounding: null };
      this.byIndex.set(index, state);
      for (const p of arr(obj(candidate.content).parts)) content = addPart(state, obj(p)) || content;
      state.answer.finishReason = str(candidate.finishReason) ?? state.answer.finishReason;
      if (candidate.groundingMetadata) state.grounding = obj(candidate.groundingMetadata);
    });
    return content;
  }

  answers(): Pick<Rebuilt, 'answer' | 'choices'> {
    const ordered = [...this.byIndex.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, state]) => {
        const grounded = groundingParts(state.grounding);
        return withAgentParts(state.answer, [...state.code, ...grounded.steps], grounded.citations);
      });
    const first = ordered[0] ?? emptyAnswer();
    if (ordered.length === 0) ordered.push(first);
    if (this.blocked) {
      first.refusal = `prompt blocked: ${this.blocked}`;
      first.finishReason ??= `prompt blocked (${this.blocked})`;
    }
    return { answer: first, ...(ordered.length > 1 ? { choices: ordered } : {}) };
  }
}

function addPart(state: CandidateState, part: JsonObject): boolean {
  const { answer } = state;
  if (part.executableCode) {
    const code = obj(part.executableCode);
    state.code.push(
      step('code', {
        id: str(code.id),
        name: str(code.language)?.toLowerCase() ?? 'code',
        input: str(code.code) ?? '',
      }),
    );
    return true;
  }
  if (part.codeExecutionResult) {
    // The result follows the code it ran; one with no code before it is a step of its own.
    const result = obj(part.codeExecutionResult);
    const ran =
      state.code.findLast((c) => c.output === null) ??
      state.code[state.code.push(step('code', { id: str(result.id) })) - 1];
    ran.output = str(result.output) ?? asText(result.output);
    ran.status = str(result.outcome);
    if (ran.status && ran.status !== 'OUTCOME_OK') ran.error = ran.status;
    return true;
  }
  const text = str(part.text);
  if (text !== null) {
    if (part.thought === true) answer.reasoning += text;
    else answer.text += text;
  }
  if (!part.functionCall) return (text ?? '').length > 0;
  const fc = obj(part.functionCall);
  const name = str(fc.name);
  // A nameless piece (or one repeating the name) continues the call its predecessor left open.
  if (!state.open || (name !== null && name !== state.open.call.name)) {
    state.open = { call: { id: str(fc.id), name: name ?? '', arguments: '{}' }, args: new StreamedArguments() };
    answer.toolCalls.push(state.open.call);
  }
  const { call, args } = state.open;
  call.id ??= str(fc.id);
  args.add(fc);
  call.arguments = args.text();
  if (fc.willContinue !== true) state.open = null;
  return true;
}

/** The call as rebuilt from every chunk: complete when `complete`, else truncated for `reason`, unless the provider sent an error. */
function rebuilt(
  candidates: Candidates,
  firstContentMs: number | null,
  complete: (answer: Answer) => boolean,
  reason: string,
): Rebuilt {
  const { answer, choices } = candidates.answers();
  const done = complete(answer);
  return {
    respondedModel: candidates.model,
    answer,
    ...(choices ? { choices } : {}),
    usage: usageOf(candidates.usageAsSent),
    usageAsSent: candidates.usageAsSent,
    firstContentMs,
    ending: candidates.error ? 'error' : done ? 'complete' : 'truncated',
    endingReason: candidates.error ?? (done ? null : reason),
  };
}

/** `cutOff`: the body was a JSON array that stopped partway; `response` holds its complete elements. */
export function rebuildResponse(response: unknown, cutOff = false): Rebuilt {
  // A JSON-array stream (no alt=sse) is read whole, once it is stored.
  const candidates = new Candidates();
  for (const chunk of Array.isArray(response) ? response.map(obj) : [obj(response)]) candidates.add(chunk);
  const reason = cutOff ? 'the JSON array stream was cut off partway' : 'the stream ended without a finishReason';
  return rebuilt(
    candidates,
    null,
    (answer) => !cutOff && (answer.finishReason !== null || !Array.isArray(response)),
    reason,
  );
}

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const candidates = new Candidates();
  let firstContentMs: number | null = null;
  for (const item of items) {
    if (candidates.add(obj(parseJson(item.data))) && firstContentMs === null) firstContentMs = item.offsetMs;
  }
  return rebuilt(
    candidates,
    firstContentMs,
    (answer) => answer.finishReason !== null,
    'the stream ended without a finishReason',
  );
}
