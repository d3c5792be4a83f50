// Anthropic Messages: POST /v1/messages, streamed as message_start ... message_stop.
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';
import { asText, step, withAgentParts, type AgentStep, type Citation, type StepKind } from './agent-steps.ts';

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
  const steps: AgentStep[] = [];
  for (const b of arr(message.content)) {
    const block = obj(b);
    const type = str(block.type) ?? '';
    if (type === 'text') texts.push(str(block.text) ?? '');
    else if (type === 'tool_use')
      toolCalls.push({ id: str(block.id), name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) });
    else if (type === 'tool_result')
      turns.push({ role: 'tool', text: textOf(block.content), toolCallId: str(block.tool_use_id) });
    // The provider's own tools in an earlier turn, sent back with their results: the loop as it happened.
    else if (type === 'server_tool_use' || type === 'mcp_tool_use')
      steps.push(stepOfUse(block, JSON.stringify(block.input ?? {})));
    else if (RESULT_BLOCK.test(type)) addResult(steps, block);
  }
  if (texts.length || toolCalls.length || steps.length)
    turns.unshift({
      role,
      text: texts.join('\n'),
      ...(toolCalls.length ? { toolCalls } : {}),
      ...(steps.length ? { steps } : {}),
    });
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

/** Anthropic's server tools by name: web search and fetch, and the code execution family. */
function serverToolKind(name: string | null): StepKind {
  if (name === 'web_search') return 'web-search';
  if (name === 'web_fetch') return 'web-fetch';
  return name && /code_execution/.test(name) ? 'code' : 'server-tool';
}

/** A tool the provider runs itself (`server_tool_use`, `mcp_tool_use`) as a step, its result still to come. */
function stepOfUse(block: JsonObject, input: string): AgentStep {
  const name = str(block.name);
  const mcp = block.type === 'mcp_tool_use';
  return step(mcp ? 'mcp-call' : serverToolKind(name), {
    id: str(block.id),
    name,
    server: mcp ? str(block.server_name) : null,
    input,
  });
}

/** What a result block says: search hits, a fetched page, code output, an MCP tool's text, or its error. */
function resultOf(block: JsonObject): { output: string; error: string | null } {
  const content = block.content;
  const c = obj(content);
  const error = str(c.error_code) ?? (block.is_error === true ? 'is_error' : null);
  if (Array.isArray(content)) {
    // Search hits (url and title) or an MCP tool's text blocks.
    const lines = content
      .map((r) => obj(r))
      .map((r) => (r.type === 'text' ? (str(r.text) ?? '') : [str(r.title), str(r.url)].filter(Boolean).join(' ')));
    return { output: lines.join('\n'), error };
  }
  if (c.type === 'web_fetch_result') {
    // A fetched page's text is shown; a PDF comes as base64, which says nothing read as text.
    const source = obj(obj(c.content).source);
    return {
      output: [
        str(c.url),
        str(obj(c.content).title),
        source.type === 'text' ? str(source.data) : `[${str(source.media_type) ?? 'document'}]`,
      ]
        .filter(Boolean)
        .join('\n'),
      error,
    };
  }
  if (c.stdout !== undefined || c.stderr !== undefined) {
    const code = typeof c.return_code === 'number' ? `exit ${c.return_code}` : '';
    return {
      output: [str(c.stdout)?.replace(/\n$/, ''), str(c.stderr)?.replace(/\n$/, ''), code].filter(Boolean).join('\n'),
      error,
    };
  }
  return { output: typeof content === 'string' ? content : asText(content), error };
}

/** Result blocks name the step they answer by `tool_use_id`. */
const RESULT_BLOCK = /(_tool_result|^mcp_tool_result)$/;

/** A text block's citations: the text they support is the block's own text. */
function citationsOf(block: JsonObject, text: string): Citation[] {
  return arr(block.citations).flatMap((c) => citationOf(obj(c), text));
}

function citationOf(c: JsonObject, text: string): Citation[] {
  const source =
    str(c.url) ??
    str(c.source) ??
    str(c.document_title) ??
    (typeof c.document_index === 'number' ? `document ${c.document_index}` : null);
  if (!source) return [];
  return [{ text: text || (str(c.cited_text) ?? ''), source, title: str(c.title) ?? str(c.document_title) }];
}

/** The explanation a refusal came with (`stop_details: {type: "refusal", category, explanation}`). */
function stopDetailsOf(details: unknown): string | undefined {
  const d = obj(details);
  const said = [str(d.category), str(d.explanation)].filter(Boolean).join(': ');
  return said || undefined;
}

function answerOfContent(content: unknown[], stopReason: string | null, stopDetails: unknown): Answer {
  const answer = emptyAnswer();
  const steps: AgentStep[] = [];
  const citations: Citation[] = [];
  let redacted = 0;
  for (const b of content) {
    const block = obj(b);
    const type = str(block.type) ?? '';
    if (type === 'text') {
      const text = str(block.text) ?? '';
      answer.text += text;
      citations.push(...citationsOf(block, text));
    } else if (type === 'thinking')
      answer.reasoning += `${answer.reasoning ? THINKING_SEPARATOR : ''}${str(block.thinking) ?? ''}`;
    else if (type === 'redacted_thinking') redacted++;
    else if (type === 'tool_use') {
      answer.toolCalls.push({
        id: str(block.id),
        name: str(block.name) ?? '',
        arguments: JSON.stringify(block.input ?? {}),
      });
    } else if (type === 'server_tool_use' || type === 'mcp_tool_use')
      steps.push(stepOfUse(block, JSON.stringify(block.input ?? {})));
    else if (RESULT_BLOCK.test(type)) addResult(steps, block);
  }
  answer.finishReason = stopReason;
  if (stopReason === 'refusal') answer.refusal = answer.text;
  const details = stopDetailsOf(stopDetails);
  if (details) answer.stopDetails = details;
  return withAgentParts(answer, steps, citations, redacted);
}

/** A result joins the step it answers; one whose call was not seen is a step of its own. */
function addResult(steps: AgentStep[], block: JsonObject): void {
  const { output, error } = resultOf(block);
  const id = str(block.tool_use_id);
  const target = steps.find((s) => s.id !== null && s.id === id);
  if (target) {
    target.output = output;
    target.error = error;
    return;
  }
  const type = str(block.type) ?? '';
  steps.push(
    step(
      type === 'mcp_tool_result'
        ? 'mcp-call'
        : serverToolKind(type.replace(/_tool_result$/, '').replace(/^(bash|text_editor)_/, '')),
      { id, output, error },
    ),
  );
}

export function rebuildResponse(response: JsonObject): Rebuilt {
  return {
    respondedModel: str(response.model),
    answer: answerOfContent(arr(response.content), str(response.stop_reason), response.stop_details),
    usage: usageOf(response.usage),
    usageAsSent: response.usage,
    firstContentMs: null,
    ending: 'complete',
    endingReason: null,
  };
}

export function rebuildStream(items: StreamItem[]): Rebuilt {
  const answer = emptyAnswer();
  const blocks = new Map<
    number,
    { kind: string; call?: ToolCall; startInput?: unknown; step?: AgentStep; text?: string; citations?: JsonObject[] }
  >();
  const steps: AgentStep[] = [];
  let redacted = 0;
  let stopDetails: unknown;
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
      if (kind === 'tool_use') {
        const call = { id: str(block.id), name: str(block.name) ?? '', arguments: '' };
        answer.toolCalls.push(call);
        blocks.set(index, { kind, call, startInput: block.input });
      } else if (kind === 'server_tool_use' || kind === 'mcp_tool_use') {
        // Its input arrives as input_json_delta, like a tool call's.
        const ran = stepOfUse(block, '');
        steps.push(ran);
        blocks.set(index, { kind, step: ran });
      } else if (RESULT_BLOCK.test(kind)) {
        // Result blocks arrive whole in their content_block_start.
        addResult(steps, block);
        blocks.set(index, { kind });
      } else if (kind === 'redacted_thinking') {
        redacted++;
        blocks.set(index, { kind });
      } else if (kind === 'text') {
        blocks.set(index, { kind, text: '', citations: arr(block.citations).map(obj) });
      } else {
        // Each thinking block is a thought of its own: kept apart, not glued to the one before.
        if (kind === 'thinking' && answer.reasoning) answer.reasoning += THINKING_SEPARATOR;
        blocks.set(index, { kind });
      }
    } else if (type === 'content_block_delta') {
      const delta = obj(data.delta);
      const block = blocks.get(num(data.index) ?? -1);
      if (firstContentMs === null && delta.type !== 'signature_delta') firstContentMs = item.offsetMs;
      if (delta.type === 'text_delta') {
        answer.text += str(delta.text) ?? '';
        if (block?.text !== undefined) block.text += str(delta.text) ?? '';
      } else if (delta.type === 'thinking_delta') answer.reasoning += str(delta.thinking) ?? '';
      else if (delta.type === 'input_json_delta' && block?.call) block.call.arguments += str(delta.partial_json) ?? '';
      else if (delta.type === 'input_json_delta' && block?.step) block.step.input += str(delta.partial_json) ?? '';
      else if (delta.type === 'citations_delta' && block?.citations) block.citations.push(obj(delta.citation));
    } else if (type === 'message_delta') {
      answer.finishReason = str(obj(data.delta).stop_reason) ?? answer.finishReason;
      stopDetails = obj(data.delta).stop_details ?? data.stop_details ?? stopDetails;
      // message_delta carries cumulative counts; they replace the ones from message_start. Its
      // input and cache counts are optional, and some proxies send them as null: those say
      // nothing, and the counts of message_start stay (as the Anthropic SDKs' MessageStream does).
      for (const [name, value] of Object.entries(obj(data.usage)))
        if (value !== null && value !== undefined) usage[name] = value;
    } else if (type === 'message_stop') {
      stopped = true;
    } else if (type === 'error' || data.error) {
      // Also an event of no Messages type that carries an error object: a relay's own failure
      // chunk in the stream (new-api's relay_stream_error, sent when the upstream broke off).
      error = errorLine(data.error, 'error event');
    }
  }
  // A call's input starts as {} and arrives as input_json_delta; one whose start block already
  // held it (and no delta came) is that input, not an empty one.
  for (const b of blocks.values())
    if (b.call && b.call.arguments === '' && Object.keys(obj(b.startInput)).length)
      b.call.arguments = JSON.stringify(b.startInput);
  for (const call of answer.toolCalls) if (call.arguments === '') call.arguments = '{}';
  for (const b of blocks.values()) if (b.step && b.step.input === '') b.step.input = '{}';
  if (answer.finishReason === 'refusal') answer.refusal = answer.text;
  const details = stopDetailsOf(stopDetails);
  if (details) answer.stopDetails = details;
  const citations = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([, b]) => (b.citations ?? []).flatMap((c) => citationOf(c, b.text ?? '')));
  withAgentParts(answer, steps, citations, redacted);
  const ending = error ? 'error' : stopped ? 'complete' : 'truncated';
  return {
    respondedModel: model,
    answer,
    usage: usageOf(usage),
    ...(Object.keys(usage).length ? { usageAsSent: usage } : {}),
    firstContentMs,
    ending,
    endingReason: error ?? (stopped ? null : 'the stream ended without message_stop'),
  };
}
