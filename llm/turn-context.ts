// One turn's request read as its context, in structure: what the model was told (system prompt or
// instructions), which tools it was offered (each with its full schema), the message history by
// message and block, its reasoning settings, Anthropic cache breakpoints and the Responses chain.
// The session view shows it and llm/turn-diff.ts compares two of them. Pure: request JSON in.
import { arr, obj, str, type JsonObject } from './json.ts';
import { codeAssistRequest } from './code-assist.ts';
import type { Dialect } from './model-call.ts';

export type BlockKind = 'text' | 'image' | 'tool-call' | 'tool-result' | 'reasoning' | 'other';

/** One block of a message: a text, an image, a tool call or result, reasoning, or a part of a kind not read here. */
export interface ContextBlock {
  kind: BlockKind;
  /**
   * The block as text: a string value as the provider received it after JSON decoding (escaped
   * newlines and quotes read), a tool call's arguments, an image's source; other parts as JSON.
   */
  text: string;
  /** The text is itself JSON (tool arguments, a structured result): the viewer may show it as a tree. */
  json?: boolean;
  /** Tool name (a call; a result where the dialect names it). */
  name?: string;
  /** The call a tool call is, or a result answers. */
  callId?: string;
  /** An Anthropic (or OpenRouter) cache_control breakpoint ends at this block. */
  cacheBreakpoint?: boolean;
  /** The part's own type as sent (input_text, tool_use, functionCall, ...). */
  type?: string;
}

export interface ContextMessage {
  /** user, assistant, tool, developer, system (inside the history), model (Gemini)... as sent. */
  role: string;
  blocks: ContextBlock[];
}

export interface ContextTool {
  name: string;
  /** function, custom, web_search, local_shell, googleSearch...: tools that are not functions have no schema. */
  type: string;
  description: string | null;
  /** The parameters' JSON schema as sent (parameters, input_schema, parametersJsonSchema), or null. */
  schema: unknown;
  cacheBreakpoint?: boolean;
}

export interface TurnContext {
  dialect: Dialect;
  model: string | null;
  /** System prompt or instructions, by block (Anthropic's system blocks keep their cache breakpoints). */
  system: ContextBlock[];
  tools: ContextTool[];
  messages: ContextMessage[];
  /** reasoning, reasoning_effort, thinking, thinkingConfig as sent; null: none. */
  reasoning: unknown;
  /** Other settings that change the answer (temperature, max tokens, tool_choice...), as sent. */
  settings: JsonObject;
  previousResponseId: string | null;
  /** Where cache breakpoints are: "system 1", "tool read_file", "message 4 block 2". */
  cacheBreakpoints: string[];
}

const SETTINGS = [
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'tool_choice',
  'parallel_tool_calls',
  'stream',
  'store',
  'n',
  'seed',
  'stop',
  'response_format',
  'text',
  'include',
  'truncation',
  'service_tier',
];

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
const looksJson = (text: string): boolean => /^\s*[[{]/.test(text);
const hasCache = (part: JsonObject): boolean => part.cache_control !== undefined && part.cache_control !== null;

function textBlock(text: string, part: JsonObject = {}, type?: string): ContextBlock {
  return { kind: 'text', text, ...(hasCache(part) ? { cacheBreakpoint: true } : {}), ...(type ? { type } : {}) };
}

function toolCallBlock(
  name: string,
  args: string,
  callId: string | null,
  type: string,
  part: JsonObject = {},
): ContextBlock {
  return {
    kind: 'tool-call',
    text: args,
    ...(looksJson(args) ? { json: true } : {}),
    name,
    ...(callId ? { callId } : {}),
    type,
    ...(hasCache(part) ? { cacheBreakpoint: true } : {}),
  };
}

function resultBlock(
  output: unknown,
  callId: string | null,
  type: string,
  part: JsonObject = {},
  name?: string,
): ContextBlock {
  // A result may be a string holding JSON (escaped inside the request): shown as the text it is.
  const text = typeof output === 'string' ? output : Array.isArray(output) ? partsText(output) : asText(output);
  return {
    kind: 'tool-result',
    text,
    ...(looksJson(text) ? { json: true } : {}),
    ...(callId ? { callId } : {}),
    ...(name ? { name } : {}),
    type,
    ...(hasCache(part) ? { cacheBreakpoint: true } : {}),
  };
}

/** Parts of a tool result's content (Anthropic, Responses): their texts joined, images named. */
function partsText(parts: unknown[]): string {
  return parts
    .map((p) => {
      const part = obj(p);
      return str(part.text) ?? (String(part.type ?? '').includes('image') ? `[${String(part.type)}]` : asText(p));
    })
    .join('\n');
}

function imageBlock(part: JsonObject, type: string): ContextBlock {
  const source = obj(part.source);
  const url = str(obj(part.image_url).url) ?? str(part.image_url) ?? str(source.url) ?? null;
  // A data: URL or base64 is the image itself: named by its type and size, not repeated.
  const mime =
    (url ? /^data:([\w.+-]+\/[\w.+-]+)/.exec(url)?.[1] : null) ??
    str(source.media_type) ??
    str(obj(part.inlineData).mimeType) ??
    'image';
  const described =
    url && !url.startsWith('data:')
      ? url
      : `${mime} (${(url ?? str(source.data) ?? str(obj(part.inlineData).data) ?? '').length} characters)`;
  return { kind: 'image', text: described, type, ...(hasCache(part) ? { cacheBreakpoint: true } : {}) };
}

/** A content part of Chat Completions, Responses or Anthropic. */
function partBlock(p: unknown): ContextBlock {
  if (typeof p === 'string') return textBlock(p);
  const part = obj(p);
  const type = str(part.type) ?? '';
  if (
    type === 'text' ||
    type === 'input_text' ||
    type === 'output_text' ||
    (type === '' && typeof part.text === 'string')
  )
    return textBlock(str(part.text) ?? '', part, type || undefined);
  if (type.includes('image')) return imageBlock(part, type);
  if (type === 'tool_use' || type === 'server_tool_use' || type === 'mcp_tool_use')
    return toolCallBlock(str(part.name) ?? '', asText(part.input), str(part.id), type, part);
  if (type === 'tool_result' || type.endsWith('_tool_result'))
    return resultBlock(part.content, str(part.tool_use_id), type, part);
  if (type === 'thinking' || type === 'redacted_thinking' || type === 'reasoning')
    return { kind: 'reasoning', text: str(part.thinking) ?? str(part.text) ?? `[${type}]`, type };
  if (type === 'refusal') return textBlock(str(part.refusal) ?? '', part, type);
  return { kind: 'other', text: asText(p), json: true, type, ...(hasCache(part) ? { cacheBreakpoint: true } : {}) };
}

function contentBlocks(content: unknown): ContextBlock[] {
  if (typeof content === 'string') return [textBlock(content)];
  if (Array.isArray(content)) return content.map(partBlock);
  return content === undefined || content === null ? [] : [partBlock(content)];
}

function chatContext(body: JsonObject): Pick<TurnContext, 'system' | 'messages' | 'tools'> {
  const system: ContextBlock[] = [];
  const messages: ContextMessage[] = [];
  for (const m of arr(body.messages)) {
    const message = obj(m);
    const role = str(message.role) ?? 'user';
    const blocks = contentBlocks(message.content);
    // Leading system/developer messages are the system prompt; one later in the history stays where it was.
    if ((role === 'system' || role === 'developer') && messages.length === 0) {
      system.push(...blocks);
      continue;
    }
    if (role === 'tool') {
      messages.push({
        role,
        blocks: [resultBlock(message.content, str(message.tool_call_id), 'tool', {}, str(message.name) ?? undefined)],
      });
      continue;
    }
    if (typeof message.reasoning_content === 'string' && message.reasoning_content)
      blocks.unshift({ kind: 'reasoning', text: message.reasoning_content, type: 'reasoning_content' });
    for (const c of arr(message.tool_calls)) {
      const call = obj(c);
      const fn = obj(call.function);
      blocks.push(
        toolCallBlock(
          str(fn.name) ?? '',
          str(fn.arguments) ?? asText(fn.arguments),
          str(call.id),
          str(call.type) ?? 'function',
        ),
      );
    }
    messages.push({ role, blocks });
  }
  const tools = arr(body.tools).map((t): ContextTool => {
    const tool = obj(t);
    const fn = obj(tool.function);
    return {
      name: str(fn.name) ?? str(tool.name) ?? str(tool.type) ?? '',
      type: str(tool.type) ?? 'function',
      description: str(fn.description) ?? str(tool.description),
      schema: fn.parameters ?? tool.parameters ?? null,
      ...(hasCache(tool) ? { cacheBreakpoint: true } : {}),
    };
  });
  return { system, messages, tools };
}

/** One Responses input item as a message: messages by role, function calls and outputs, reasoning, the rest as sent. */
function responsesItem(i: unknown): ContextMessage {
  if (typeof i === 'string') return { role: 'user', blocks: [textBlock(i)] };
  const item = obj(i);
  const type = str(item.type) ?? (item.role ? 'message' : '');
  if (type === 'message') return { role: str(item.role) ?? 'user', blocks: contentBlocks(item.content) };
  if (type === 'function_call' || type === 'custom_tool_call' || type === 'local_shell_call' || type === 'mcp_call') {
    return {
      role: 'assistant',
      blocks: [
        toolCallBlock(
          str(item.name) ?? type,
          str(item.arguments) ?? str(item.input) ?? asText(item.action),
          str(item.call_id) ?? str(item.id),
          type,
        ),
      ],
    };
  }
  if (type.endsWith('_call_output') || type === 'function_call_output')
    return { role: 'tool', blocks: [resultBlock(item.output, str(item.call_id), type)] };
  if (type === 'reasoning') {
    const summary = arr(item.summary)
      .map((s) => str(obj(s).text) ?? '')
      .join('\n');
    return {
      role: 'assistant',
      blocks: [{ kind: 'reasoning', text: summary || (item.encrypted_content ? '[encrypted]' : ''), type }],
    };
  }
  return { role: str(item.role) ?? 'other', blocks: [{ kind: 'other', text: asText(item), json: true, type }] };
}

function responsesContext(body: JsonObject): Pick<TurnContext, 'system' | 'messages' | 'tools'> {
  const system =
    typeof body.instructions === 'string' && body.instructions
      ? [textBlock(body.instructions, {}, 'instructions')]
      : [];
  const messages =
    typeof body.input === 'string'
      ? [{ role: 'user', blocks: [textBlock(body.input)] }]
      : arr(body.input).map(responsesItem);
  const tools = arr(body.tools).map((t): ContextTool => {
    const tool = obj(t);
    const type = str(tool.type) ?? 'function';
    return {
      name: str(tool.name) ?? str(tool.server_label) ?? type,
      type,
      description: str(tool.description),
      schema: tool.parameters ?? tool.format ?? null,
    };
  });
  return { system, messages, tools };
}

function anthropicContext(body: JsonObject): Pick<TurnContext, 'system' | 'messages' | 'tools'> {
  const system = typeof body.system === 'string' ? [textBlock(body.system)] : arr(body.system).map(partBlock);
  const messages = arr(body.messages).map((m) => ({
    role: str(obj(m).role) ?? 'user',
    blocks: contentBlocks(obj(m).content),
  }));
  const tools = arr(body.tools).map((t): ContextTool => {
    const tool = obj(t);
    return {
      name: str(tool.name) ?? '',
      type: str(tool.type) ?? 'custom',
      description: str(tool.description),
      schema: tool.input_schema ?? null,
      ...(hasCache(tool) ? { cacheBreakpoint: true } : {}),
    };
  });
  return { system, messages, tools };
}

function geminiPart(p: unknown): ContextBlock {
  const part = obj(p);
  if (typeof part.text === 'string')
    return part.thought ? { kind: 'reasoning', text: part.text, type: 'thought' } : textBlock(part.text);
  const call = obj(part.functionCall);
  if (part.functionCall)
    return toolCallBlock(str(call.name) ?? '', asText(call.args ?? {}), str(call.id), 'functionCall');
  const response = obj(part.functionResponse);
  if (part.functionResponse)
    return resultBlock(response.response, str(response.id), 'functionResponse', {}, str(response.name) ?? undefined);
  if (part.inlineData || part.fileData) return imageBlock(part, part.inlineData ? 'inlineData' : 'fileData');
  return { kind: 'other', text: asText(p), json: true };
}

function geminiContext(body: JsonObject): Pick<TurnContext, 'system' | 'messages' | 'tools'> {
  const instruction = body.systemInstruction ?? body.system_instruction;
  const system =
    typeof instruction === 'string' ? [textBlock(instruction)] : arr(obj(instruction).parts).map(geminiPart);
  const messages = arr(body.contents).map((c) => ({
    role: str(obj(c).role) ?? 'user',
    blocks: arr(obj(c).parts).map(geminiPart),
  }));
  const tools = arr(body.tools).flatMap((t): ContextTool[] => {
    const tool = obj(t);
    const declarations = arr(tool.functionDeclarations ?? tool.function_declarations);
    if (declarations.length) {
      return declarations.map((d) => {
        const fn = obj(d);
        return {
          name: str(fn.name) ?? '',
          type: 'function',
          description: str(fn.description),
          schema: fn.parameters ?? fn.parametersJsonSchema ?? null,
        };
      });
    }
    // googleSearch, codeExecution, urlContext: built-in tools, named by their key.
    return Object.keys(tool).map((key) => ({ name: key, type: key, description: null, schema: tool[key] ?? null }));
  });
  return { system, messages, tools };
}

function reasoningOf(dialect: Dialect, body: JsonObject): unknown {
  if (dialect === 'gemini') return obj(body.generationConfig).thinkingConfig ?? null;
  if (dialect === 'anthropic-messages') return body.thinking ?? null;
  const found = defined({
    reasoning: body.reasoning,
    reasoning_effort: body.reasoning_effort,
    thinking: body.thinking,
    enable_thinking: body.enable_thinking,
  });
  return Object.keys(found).length ? found : null;
}

function defined(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function breakpointsOf(context: Pick<TurnContext, 'system' | 'messages' | 'tools'>): string[] {
  const found: string[] = [];
  context.system.forEach((b, i) => b.cacheBreakpoint && found.push(`system ${i + 1}`));
  context.tools.forEach((t) => t.cacheBreakpoint && found.push(`tool ${t.name}`));
  context.messages.forEach((m, i) =>
    m.blocks.forEach((b, j) => b.cacheBreakpoint && found.push(`message ${i + 1} block ${j + 1}`)),
  );
  return found;
}

/**
 * The context a request sent, for the dialects that carry one; null for others (embeddings, model
 * lists). `request` is the request body parsed, or for a Responses WebSocket turn its response.create.
 */
export function turnContextOf(dialect: Dialect, request: unknown, path = ''): TurnContext | null {
  const body = obj(request);
  let parts: Pick<TurnContext, 'system' | 'messages' | 'tools'>;
  if (dialect === 'openai-chat') parts = chatContext(body);
  else if (dialect === 'openai-responses') parts = responsesContext(obj(body.response ?? body));
  else if (dialect === 'anthropic-messages') parts = anthropicContext(body);
  else if (dialect === 'gemini') parts = geminiContext(codeAssistRequest(body));
  else return null;
  const source = dialect === 'openai-responses' && body.response ? obj(body.response) : body;
  // Gemini's settings are in the request itself: inside Code Assist's envelope, when it has one.
  const inner = dialect === 'gemini' ? codeAssistRequest(body) : source;
  const settings = defined(Object.fromEntries(SETTINGS.map((key) => [key, source[key]])));
  if (dialect === 'gemini')
    Object.assign(settings, defined({ ...obj(inner.generationConfig), thinkingConfig: undefined }));
  const model = str(source.model) ?? /\/models\/([^/:]+)/.exec(path)?.[1] ?? null;
  return {
    dialect,
    model,
    ...parts,
    reasoning: reasoningOf(dialect, inner),
    settings,
    previousResponseId: str(source.previous_response_id),
    cacheBreakpoints: breakpointsOf(parts),
  };
}
