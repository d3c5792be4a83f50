// What an agent loop did inside one answer besides text and the client's own tool calls: tools
// the provider ran itself (an MCP server, web search, file search, code), the approval it waits
// for, and the sources it cited for its text. Read by the dialect readers from the provider's own
// items and blocks; shown by viewer/app/components/AgentSteps.tsx.
import { arr, obj, str, type JsonObject } from './json.ts';
import type { Answer } from './model-call.ts';

/**
 * mcp-call: a tool on an MCP server, run by the provider; mcp-list-tools: the provider asked an
 * MCP server what it offers; mcp-approval: the model waits for the user to allow an MCP call;
 * web-search, web-fetch, file-search, code: the provider's built-in tools; server-tool: one it
 * named that none of these are.
 */
export type StepKind =
  | 'mcp-call'
  | 'mcp-list-tools'
  | 'mcp-approval'
  | 'web-search'
  | 'web-fetch'
  | 'file-search'
  | 'code'
  | 'server-tool';

export interface AgentStep {
  kind: StepKind;
  /** The provider's id for the step: a result names the call it answers by it. */
  id: string | null;
  /** The tool as the provider named it (an MCP tool, `web_search`, `code_execution`). */
  name: string | null;
  /** The MCP server that ran it: Responses `server_label`, Anthropic `server_name`. */
  server: string | null;
  /** What went in, as sent: arguments (JSON text), a query, code. */
  input: string;
  /** What came back, as text; null when no result arrived (yet). */
  output: string | null;
  /** The provider's own status for the step (completed, failed, searching). */
  status: string | null;
  /** The error the step reported, in the provider's words. */
  error: string | null;
}

export interface Citation {
  /** The part of the answer the source supports; empty when the provider did not say which. */
  text: string;
  /** Where it comes from: a URL, a file, a document. */
  source: string;
  title: string | null;
}

export function step(kind: StepKind, fields: Partial<Omit<AgentStep, 'kind'>>): AgentStep {
  return { kind, id: null, name: null, server: null, input: '', output: null, status: null, error: null, ...fields };
}

/** Text of a value a provider sent as a string, or as JSON written back as text. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The steps, citations and thinking an answer gained, set only when there are some (absent stays absent). */
export function withAgentParts(
  answer: Answer,
  steps: AgentStep[],
  citations: Citation[],
  redactedThinking = 0,
): Answer {
  if (steps.length) answer.steps = steps;
  if (citations.length) answer.citations = citations;
  if (redactedThinking > 0) answer.redactedThinking = redactedThinking;
  return answer;
}

/**
 * URL citations in the OpenAI shape, as the Responses API writes them (`{type: "url_citation",
 * url, title, start_index, end_index}`) and OpenRouter's chat nests them (`{type: "url_citation",
 * url_citation: {...}}`); file citations by file name or id. The text supported is the span of
 * `text` the indices mark, when they do.
 */
export function annotationCitations(annotations: unknown, text: string): Citation[] {
  return arr(annotations).flatMap((a) => {
    const outer = obj(a);
    const inner = obj(outer[str(outer.type) ?? ''] ?? outer.url_citation);
    const at: JsonObject = Object.keys(inner).length ? inner : outer;
    const source = str(at.url) ?? str(at.filename) ?? str(at.file_id);
    if (!source) return [];
    const start = typeof at.start_index === 'number' ? at.start_index : null;
    const end = typeof at.end_index === 'number' ? at.end_index : null;
    const supported = start !== null && end !== null && end > start ? text.slice(start, end) : '';
    return [{ text: supported, source, title: str(at.title) }];
  });
}
