// A captured exchange understood as a model call: what was asked, what came back, how much
// and how fast. Derived from stored exchanges only; nothing here runs while forwarding.
import type { Usage } from '../model/token-usage.ts';
import type { ModelImage } from './images.ts';
import type { AgentStep, Citation } from './agent-steps.ts';

export const DIALECTS = [
  'openai-chat',
  'openai-responses',
  'anthropic-messages',
  'gemini',
  'openai-completions',
  'openai-images',
  'embeddings',
  'models',
] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface ToolCall {
  id: string | null;
  name: string;
  /** The arguments as the model wrote them (JSON text, assembled from its deltas). */
  arguments: string;
}

/** One turn of the conversation sent: system, user, assistant (with its tool calls) or a tool result. */
export interface Turn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  toolCalls?: ToolCall[];
  /** For tool results: the call they answer, and its name when the dialect says. */
  toolCallId?: string | null;
  /** Tools the provider ran in an earlier turn of the loop, sent back as history (MCP calls, searches, code). */
  steps?: AgentStep[];
}

export interface Answer {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  refusal: string;
  /** The provider's own words: "stop", "tool_calls", "end_turn", "STOP", "length"... */
  finishReason: string | null;
  /** Why it stopped, as the provider explained it (Anthropic's refusal `stop_details`). */
  stopDetails?: string;
  /** Tools the provider ran or waits to run in this answer (MCP, web search, code), in order (llm/agent-steps.ts). */
  steps?: AgentStep[];
  /** Sources the answer cites, with the text each supports. */
  citations?: Citation[];
  /** Thinking blocks the provider sent encrypted (Anthropic `redacted_thinking`, OpenRouter `reasoning.encrypted`). */
  redactedThinking?: number;
}

export type { Usage } from '../model/token-usage.ts';
export type { ImageLocator, ModelImage } from './images.ts';

export interface ModelCall {
  dialect: Dialect;
  requestedModel: string | null;
  /** The model the provider says answered (it may differ: aliases, routing). */
  respondedModel: string | null;
  stream: boolean;
  /** Messages (chat, Anthropic), input items (Responses) or contents (Gemini) sent. */
  inputCount: number | null;
  system: string | null;
  toolsOffered: string[];
  /** The input as turns, in order, system first. */
  conversation: Turn[];
  answer: Answer;
  /** Every choice, in order, when the provider returned more than one (`n`, `candidateCount`); `answer` is the first. */
  choices?: Answer[];
  usage: Usage;
  /** The usage object exactly as the provider sent it (the last one, for streams; Anthropic's two merged). */
  usageAsSent?: unknown;
  /** Milliseconds from the request to the first content (text, reasoning or tool arguments). */
  ttftMs: number | null;
  totalMs: number | null;
  /** A WebSocket turn: milliseconds from the socket's opening to its response.create, where ttftMs and totalMs count from. */
  turnStartMs?: number;
  outputTokensPerSecond: number | null;
  /**
   * complete: the terminal event arrived ([DONE], response.completed, message_stop, a
   * finish reason); truncated: the stream stopped without it; error: the provider said so.
   */
  ending: 'complete' | 'truncated' | 'error' | 'open';
  /** Why the call ended without its terminal event, or the provider's error message. */
  endingReason: string | null;
  /** Model ids a /models listing returned. */
  modelsListed?: string[];
  /** Images sent in the request and returned in the answer (llm/images.ts), in that order; absent: none. */
  images?: ModelImage[];
  /** The session the request names in its body (Gemini CLI's Code Assist request.session_id, Claude Code's metadata.user_id). */
  sessionId?: string;
  /** Responses API: this response's id, and the one the request continued from. */
  responseId?: string;
  previousResponseId?: string;
}

/** One event of a stream as the analysis sees it: SSE events and WebSocket messages alike. */
export interface StreamItem {
  /** The stored event's or message's seq, where the caller knows it (images are located by it). */
  seq?: number;
  offsetMs: number;
  event: string | null;
  data: string;
}

export function emptyAnswer(): Answer {
  return { text: '', reasoning: '', toolCalls: [], refusal: '', finishReason: null };
}
