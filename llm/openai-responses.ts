// OpenAI Responses: POST .../responses over SSE, or response.create over a WebSocket (Codex).
import { arr, costOf, defined, num, obj, parseJson, str, textOf, type JsonObject, errorLine } from './json.ts';
import { emptyAnswer, type Answer, type StreamItem, type ToolCall, type Turn, type Usage } from './model-call.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';
import { annotationCitations, asText, step, withAgentParts, type AgentStep, type Citation } from './agent-steps.ts';

/**
 * Tools the client runs that the Responses API calls by an item type of their own, not
 * `function_call`: the built-in local shell (`local_shell_call`), shell (`shell_call`), apply
 * patch (`apply_patch_call`) and computer use (`computer_call`). Their name, and the field
 * that holds what the model asked for.
 */
const CLIENT_CALLS = new Map([
  ['local_shell_call', { name: 'local_shell', field: 'action' }],
  ['shell_call', { name: 'shell', field: 'action' }],
  ['apply_patch_call', { name: 'apply_patch', field: 'operation' }],
  ['computer_call', { name: 'computer', field: 'action' }],
]);

/** Such an item as a tool call (what it asks for as JSON); null for any other item. */
function clientCallOf(item: JsonObject): ToolCall | null {
  const kind = CLIENT_CALLS.get(str(item.type) ?? '');
  if (!kind) return null;
  const asked = item[kind.field];
  return {
    id: str(item.call_id) ?? str(item.id),
    name: kind.name,
    arguments: asked === undefined || asked === null ? '' : JSON.stringify(asked),
  };
}

/** The results the client sends back for those calls, and for function and custom tool calls. */
const CALL_OUTPUTS = new Set([
  'function_call_output',
  'custom_tool_call_output',
  'local_shell_call_output',
  'shell_call_output',
  'apply_patch_call_output',
  'computer_call_output',
]);

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
      ...(typeof input === 'string'
        ? [{ role: 'user' as const, text: input }]
        : arr(input).flatMap((i) => turnOf(obj(i)))),
    ],
  };
}

function turnOf(item: JsonObject): Turn[] {
  const type = str(item.type) ?? (item.role ? 'message' : '');
  // An earlier turn's provider-run tools, sent back: the loop as it happened.
  const ran = stepOfItem(item);
  if (ran) return [{ role: 'assistant', text: '', steps: [ran] }];
  // The user's answer to an approval request, as sent ({approve, reason}), naming the request.
  if (type === 'mcp_approval_response')
    return [
      {
        role: 'user',
        text: JSON.stringify({ approve: item.approve, ...(item.reason ? { reason: item.reason } : {}) }),
        toolCallId: str(item.approval_request_id),
      },
    ];
  if (type === 'message') {
    const role =
      item.role === 'assistant' ? 'assistant' : item.role === 'system' || item.role === 'developer' ? 'system' : 'user';
    return [{ role, text: textOf(item.content) }];
  }
  if (type === 'function_call' || type === 'custom_tool_call') {
    return [
      {
        role: 'assistant',
        text: '',
        toolCalls: [
          {
            id: str(item.call_id),
            name: str(item.name) ?? '',
            arguments: str(item.arguments) ?? str(item.input) ?? '',
          },
        ],
      },
    ];
  }
  const clientCall = clientCallOf(item);
  if (clientCall) return [{ role: 'assistant', text: '', toolCalls: [clientCall] }];
  if (CALL_OUTPUTS.has(type)) {
    return [
      {
        role: 'tool',
        text: typeof item.output === 'string' ? item.output : JSON.stringify(item.output),
        toolCallId: str(item.call_id),
      },
    ];
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

/** Output items the provider ran itself (MCP, web and file search, code) as steps; null for any other item. */
export function stepOfItem(item: JsonObject): AgentStep | null {
  const common = {
    id: str(item.id),
    status: str(item.status),
    error: item.error ? asText(obj(item.error).message ?? item.error) : null,
  };
  switch (item.type) {
    case 'mcp_call':
      return step('mcp-call', {
        ...common,
        name: str(item.name),
        server: str(item.server_label),
        input: str(item.arguments) ?? '',
        output: item.output === undefined || item.output === null ? null : asText(item.output),
      });
    case 'mcp_list_tools':
      return step('mcp-list-tools', {
        ...common,
        server: str(item.server_label),
        output: arr(item.tools)
          .map((t) => str(obj(t).name) ?? '?')
          .join(', '),
      });
    case 'mcp_approval_request':
      return step('mcp-approval', {
        ...common,
        name: str(item.name),
        server: str(item.server_label),
        input: str(item.arguments) ?? '',
      });
    case 'web_search_call': {
      const action = obj(item.action);
      const sources = arr(action.sources)
        .map((s) => str(obj(s).url))
        .filter((u): u is string => !!u);
      // A search names its query (or queries); open_page and find_in_page name a URL.
      const input =
        str(action.query) ?? (arr(action.queries).map(str).filter(Boolean).join('\n') || str(action.url) || '');
      return step('web-search', {
        ...common,
        name: str(action.type),
        input: input || asText(item.action),
        output: sources.length ? sources.join('\n') : null,
      });
    }
    case 'file_search_call': {
      const results =
        item.results === null || item.results === undefined
          ? null
          : arr(item.results)
              .map((r) => `${str(obj(r).filename) ?? str(obj(r).file_id) ?? '?'}: ${str(obj(r).text) ?? ''}`.trim())
              .join('\n');
      return step('file-search', {
        ...common,
        input: arr(item.queries).map(str).filter(Boolean).join('\n'),
        output: results,
      });
    }
    case 'code_interpreter_call': {
      const outputs = arr(item.outputs).map(obj);
      // Images it drew are the call's images (llm/images.ts), shown as pictures: the step keeps the logs.
      const logs = outputs.map((o) => (o.type === 'logs' ? (str(o.logs) ?? '') : '')).filter(Boolean);
      return step('code', {
        ...common,
        name: 'code_interpreter',
        input: str(item.code) ?? '',
        output: outputs.length ? logs.join('\n') : null,
      });
    }
    default:
      return null;
  }
}

/** The answer as a finished response object carries it in `output`. */
function answerOfOutput(output: unknown[], status: string | null, incompleteReason: string | null): Answer {
  const answer = emptyAnswer();
  const steps: AgentStep[] = [];
  const citations: Citation[] = [];
  for (const entry of output) {
    const item = obj(entry);
    const ran = stepOfItem(item);
    if (ran) steps.push(ran);
    else if (item.type === 'message') {
      for (const p of arr(item.content)) {
        const part = obj(p);
        if (part.type === 'output_text') {
          // Annotation indices count within this part's own text.
          const text = str(part.text) ?? '';
          citations.push(...annotationCitations(part.annotations, text));
          answer.text += text;
        }
        if (part.type === 'refusal') answer.refusal += str(part.refusal) ?? '';
      }
    } else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      answer.toolCalls.push({
        id: str(item.call_id) ?? str(item.id),
        name: str(item.name) ?? '',
        arguments: str(item.arguments) ?? str(item.input) ?? '',
      });
    } else if (item.type === 'reasoning') {
      answer.reasoning += [textOf(item.summary), textOf(item.content)].filter(Boolean).join('\n');
    } else {
      const call = clientCallOf(item);
      if (call) answer.toolCalls.push(call);
    }
  }
  answer.finishReason = incompleteReason ?? status;
  return withAgentParts(answer, steps, citations);
}

export function rebuildResponse(response: JsonObject): Rebuilt {
  const answer = answerOfOutput(
    arr(response.output),
    str(response.status),
    str(obj(response.incomplete_details).reason),
  );
  return {
    respondedModel: str(response.model),
    responseId: str(response.id) ?? undefined,
    answer,
    usage: usageOf(response.usage),
    usageAsSent: response.usage,
    firstContentMs: null,
    ending: 'complete',
    endingReason: null,
  };
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
  const steps = new Map<string, AgentStep>();
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
    else if (type === 'response.reasoning_summary_text.delta' || type === 'response.reasoning_text.delta')
      deltas.reasoning += delta;
    else if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const added = obj(data.item);
      const ran = stepOfItem(added);
      if (ran) steps.set(str(added.id) ?? String(num(data.output_index)), ran);
      if (added.type === 'function_call' || added.type === 'custom_tool_call') {
        const key = str(added.id) ?? String(num(data.output_index));
        const call = calls.get(key) ?? { id: null, name: '', arguments: '' };
        call.id = str(added.call_id) ?? call.id;
        call.name = str(added.name) ?? call.name;
        if (type === 'response.output_item.done')
          call.arguments = str(added.arguments) ?? str(added.input) ?? call.arguments;
        calls.set(key, call);
      }
      const clientCall = clientCallOf(added);
      if (clientCall) {
        const key = str(added.id) ?? String(num(data.output_index));
        const seen = calls.get(key);
        calls.set(key, seen && clientCall.arguments === '' ? seen : clientCall);
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
    } else if (type === 'error' || data.error) {
      // Also an event of no Responses type that carries an error object: a relay's own failure
      // chunk in the stream (new-api's relay_stream_error, sent when the upstream broke off).
      error = errorLine(data.error ?? data, 'error event');
    }
  }
  // The terminal event carries the whole response; the deltas are the fallback for a cut stream.
  const fromFinal =
    final && arr(final.output).length
      ? answerOfOutput(arr(final.output), str(final.status), str(obj(final.incomplete_details).reason))
      : null;
  const answer: Answer =
    fromFinal ??
    withAgentParts(
      {
        ...deltas,
        toolCalls: [...calls.values()],
        finishReason: final ? (str(obj(final.incomplete_details).reason) ?? str(final.status)) : null,
      },
      [...steps.values()],
      [],
    );
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
