// Gemini: POST .../models/{model}:generateContent, or :streamGenerateContent as SSE (alt=sse)
// or as one JSON array that grows while it streams.
import { arr, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

export function modelFromPath(path: string): string | null {
  const m = /\/models\/([^/:?]+):/.exec(path);
  return m ? decodeURIComponent(m[1]) : null;
}

export function describeRequest(request: JsonObject, path: string): RequestFacts {
  return {
    model: modelFromPath(path),
    stream: /:streamGenerateContent/i.test(path),
    inputCount: arr(request.contents).length,
    system: textOf(obj(request.systemInstruction ?? request.system_instruction).parts) || null,
    tools: arr(request.tools).flatMap((t) => arr(obj(t).functionDeclarations ?? obj(t).function_declarations).map((f) => str(obj(f).name) ?? '?')),
    conversation: [
      ...(textOf(obj(request.systemInstruction ?? request.system_instruction).parts) ? [{ role: 'system' as const, text: textOf(obj(request.systemInstruction ?? request.system_instruction).parts) }] : []),
      ...arr(request.contents).flatMap((c) => turnsOf(obj(c))),
    ],
  };
}

function turnsOf(content: JsonObject): Turn[] {
  const role = content.role === 'model' ? 'assistant' : 'user';
  const parts = arr(content.parts).map(obj);
  const results = parts.filter((p) => p.functionResponse).map((p): Turn => ({ role: 'tool', text: JSON.stringify(obj(p.functionResponse).response ?? {}), toolCallId: str(obj(p.functionResponse).name) }));
  const toolCalls = parts.filter((p) => p.functionCall).map((p) => ({ id: str(obj(p.functionCall).id), name: str(obj(p.functionCall).name) ?? '', arguments: JSON.stringify(obj(p.functionCall).args ?? {}) }));
  const text = parts.map((p) => (p.thought === true ? '' : (str(p.text) ?? ''))).filter(Boolean).join('\n');
  return [...(text || toolCalls.length ? [{ role, text, ...(toolCalls.length ? { toolCalls } : {}) } as Turn] : []), ...results];
}

function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.promptTokenCount),
    output: num(u.candidatesTokenCount),
    cached: num(u.cachedContentTokenCount),
    reasoning: num(u.thoughtsTokenCount),
    total: num(u.totalTokenCount),
  });
}

/** Adds one GenerateContentResponse (a whole answer, or one streamed chunk) to the answer. */
function addChunk(answer: Answer, chunk: JsonObject): boolean {
  let content = false;
  const candidate = obj(arr(chunk.candidates)[0]);
  for (const p of arr(obj(candidate.content).parts)) {
    const part = obj(p);
    const text = str(part.text);
    if (text !== null) {
      if (part.thought === true) answer.reasoning += text;
      else answer.text += text;
      content ||= text.length > 0;
    }
    if (part.functionCall) {
      const call = obj(part.functionCall);
      answer.toolCalls.push({ id: str(call.id), name: str(call.name) ?? '', arguments: JSON.stringify(call.args ?? {}) });
      content = true;
    }
  }
  answer.finishReason = str(candidate.finishReason) ?? answer.finishReason;
  // A blocked prompt is the provider's answer, not a cut stream: it ends the call.
  const blocked = str(obj(chunk.promptFeedback).blockReason);
  if (blocked) {
    answer.refusal = `prompt blocked: ${blocked}`;
    answer.finishReason ??= `prompt blocked (${blocked})`;
  }
  return content;
}

/** `cutOff`: the body was a JSON array that stopped partway; `response` holds its complete elements. */
export function rebuildResponse(response: unknown, cutOff = false): Rebuilt {
  // A JSON-array stream (no alt=sse) is read whole, once it is stored.
  const chunks = Array.isArray(response) ? response.map(obj) : [obj(response)];
  const answer = emptyAnswer();
  let usage: Usage = {};
  let model: string | null = null;
  for (const chunk of chunks) {
    addChunk(answer, chunk);
    if (chunk.usageMetadata) usage = usageOf(chunk.usageMetadata);
    model = str(chunk.modelVersion) ?? model;
  }
  const complete = !cutOff && (answer.finishReason !== null || !Array.isArray(response));
  const reason = cutOff ? 'the JSON array stream was cut off partway' : 'the stream ended without a finishReason';
  return { respondedModel: model, answer, usage, firstContentMs: null, ending: complete ? 'complete' : 'truncated', endingReason: complete ? null : reason };
}

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const answer = emptyAnswer();
  let usage: Usage = {};
  let model: string | null = null;
  let firstContentMs: number | null = null;
  let error: string | null = null;
  for (const item of items) {
    const chunk = obj(parseJson(item.data));
    if (chunk.error) error = errorLine(chunk.error, 'error');
    if (addChunk(answer, chunk) && firstContentMs === null) firstContentMs = item.offsetMs;
    if (chunk.usageMetadata) usage = usageOf(chunk.usageMetadata);
    model = str(chunk.modelVersion) ?? model;
  }
  const finished = answer.finishReason !== null;
  const ending = error ? 'error' : finished ? 'complete' : 'truncated';
  return { respondedModel: model, answer, usage, firstContentMs, ending, endingReason: error ?? (finished ? null : 'the stream ended without a finishReason') };
}
