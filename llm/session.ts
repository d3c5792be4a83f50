// An agent session as the unit a user reads: its header (client, hosts, models, start, duration,
// calls, tokens and cost summed) from the list's rows, and one row per turn from the stored calls:
// what the user or a tool said last, what the model answered, its figures and diagnosis, and its
// tool calls paired with the results the client sent back in the next turn. Pure: the reading is
// done by the caller (viewer/sessions-api.ts through db/reader.ts and llm/stored-calls.ts).
import type { Exchange } from '../model/exchange.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import type { Usage } from '../model/token-usage.ts';
import { groupSource, type CallCost, type CostSource } from './cost.ts';
import { storedCallCost } from './summary-cost.ts';
import type { SendingClient } from './working-config.ts';
import type { ModelCall, Turn } from './model-call.ts';

/** Characters of a text a turn row carries at most (the whole text is in the turn's context and the exchange). */
export const TURN_TEXT_LIMIT = 2000;
/** Trailing inputs (user messages, tool results) a turn row names at most. */
export const TURN_INPUTS_SHOWN = 8;

const clip = (text: string, max = TURN_TEXT_LIMIT): string => (text.length > max ? `${text.slice(0, max)}…` : text);

export interface SessionHeader {
  key: string;
  /** The app that sent the first call (its User-Agent and client headers). */
  client: SendingClient;
  hosts: string[];
  models: string[];
  dialects: string[];
  startedAt: number;
  /** From the first call's start to the last one's end (or start, while it is open). */
  durationMs: number;
  calls: number;
  /** Calls that failed (4xx/5xx, or did not complete). */
  failed: number;
  /** Sums of what the providers reported; null where no call reported the figure. */
  tokens: {
    input: number | null;
    output: number | null;
    cacheRead: number | null;
    cacheWrite: number | null;
    reasoning: number | null;
  };
  /** The sum of the calls' costs; null when any call's cost is unknown (then `pricedUsd` sums the rest). */
  cost: { usd: number | null; pricedUsd: number; source: CostSource };
  /** Ids of the first and last call. */
  firstId: number;
  lastId: number;
}

export interface TurnInput {
  role: Turn['role'];
  text: string;
  toolCallId?: string;
}

/** A tool call of this turn's answer, with what the client sent back for it in the next turn. */
export interface ToolPair {
  callId: string | null;
  name: string;
  arguments: string;
  /** The result as the next turn sent it (clipped); null when the next turn sent none for this call. */
  result: string | null;
  /** The turn that carried the result, or null (no later turn, or none answered it). */
  resultTurnId: number | null;
  /** Milliseconds from this turn's end to the next turn's start: the client's time running the tool. */
  clientDelayMs: number | null;
}

export interface SessionTurn {
  id: number;
  /** Position in the session, from 0. */
  index: number;
  startedAt: number;
  durationMs: number | null;
  status: number | null;
  state: Exchange['state'];
  dialect: string | null;
  model: string | null;
  /** The last things said before the answer (after the last assistant message): user messages, tool results. */
  inputs: TurnInput[];
  /** How many trailing inputs there were (more than shown past TURN_INPUTS_SHOWN). */
  inputCount: number;
  answer: {
    text: string;
    reasoningChars: number;
    toolCalls: { id: string | null; name: string; arguments: string }[];
    images: number;
    finishReason: string | null;
    ending: ModelCall['ending'] | null;
  };
  usage: Usage;
  ttftMs: number | null;
  outputTokensPerSecond: number | null;
  diagnosis: Exchange['diagnosis'];
  cost: CallCost | null;
  tools: ToolPair[];
  /** The exchange could not be read as a model call (a damaged or cut body): the row says only what the list knows. */
  unread?: boolean;
  /** The request body was stored cut (--max-body-mb): its bytes and those stored; its inputs cannot be read. */
  requestCut?: { size: number; stored: number };
}

/**
 * One stored call of the session, read: the exchange, and its model call when it is one. A page
 * may hold only the conversation's tail in `call.conversation` (enough for tailSuffices), its
 * system and tools unread: a row reads no further back.
 */
export interface StoredTurn {
  exchange: Exchange;
  call: ModelCall | null;
}

function endOf(exchange: Pick<Exchange, 'request' | 'timings'>): number | null {
  return exchange.timings.end === undefined ? null : exchange.request.startedAt + exchange.timings.end;
}

const failed = (s: Pick<ExchangeSummary, 'status' | 'state'>) =>
  (s.status ?? 0) >= 400 || (s.state !== 'complete' && s.state !== 'streaming' && s.state !== 'pending');

/**
 * The header of a session from its list rows (oldest first; db/reader.ts summaries, no body read)
 * and the first call's client. Sums are of what providers reported, never estimated.
 */
export function sessionHeader(key: string, rows: ExchangeSummary[], client: SendingClient): SessionHeader | null {
  if (rows.length === 0) return null;
  const hosts = new Set<string>();
  const models = new Set<string>();
  const dialects = new Set<string>();
  const sums: Record<keyof SessionHeader['tokens'], number | null> = {
    input: null,
    output: null,
    cacheRead: null,
    cacheWrite: null,
    reasoning: null,
  };
  const add = (name: keyof SessionHeader['tokens'], value: number | undefined) => {
    if (value !== undefined) sums[name] = (sums[name] ?? 0) + value;
  };
  const sources: CostSource[] = [];
  let priced = 0;
  let end = rows[0].startedAt;
  for (const row of rows) {
    hosts.add(row.host);
    if (row.call?.model) models.add(row.call.model);
    if (row.call?.dialect) dialects.add(row.call.dialect);
    end = Math.max(end, row.startedAt + (row.durationMs ?? 0));
    if (!row.call) continue;
    const usage = row.call.usage;
    add('input', usage.input);
    add('output', usage.output);
    add('cacheRead', usage.cacheRead);
    add('cacheWrite', usage.cacheCreation);
    add('reasoning', usage.reasoning);
    // The list row's cost: a call that reported no figure (a 429, a cut call) has none, as in the list and `wirelog usage`.
    const cost = storedCallCost(row.host, row.startedAt, row.call);
    if (!cost) continue;
    sources.push(cost.source);
    if (cost.usd !== null) priced += cost.usd;
  }
  const source = groupSource(sources);
  return {
    key,
    client,
    hosts: [...hosts],
    models: [...models],
    dialects: [...dialects],
    startedAt: rows[0].startedAt,
    durationMs: end - rows[0].startedAt,
    calls: rows.length,
    failed: rows.filter(failed).length,
    tokens: sums,
    cost: { usd: source === 'unknown' ? null : priced, pricedUsd: priced, source },
    firstId: rows[0].id,
    lastId: rows[rows.length - 1].id,
  };
}

/** The trailing inputs of a conversation: what came after the model's last message. */
function trailingInputs(conversation: Turn[]): Turn[] {
  let start = conversation.length;
  while (start > 0 && (conversation[start - 1].role === 'user' || conversation[start - 1].role === 'tool')) start--;
  return conversation.slice(start);
}

/**
 * The tool calls of `turn`'s answer paired with the results `next` sent: by call id, or (Gemini)
 * by the function's name in order. Only the next turn is looked at: an agent sends a call's result in
 * the very next request, and looking further would make one row cost the whole session.
 */
export function pairTools(turn: StoredTurn, next: StoredTurn | null): ToolPair[] {
  const calls = turn.call?.answer.toolCalls ?? [];
  if (calls.length === 0) return [];
  const results = next?.call ? trailingResults(next.call.conversation, calls.length) : [];
  const used = new Set<number>();
  const end = endOf(turn.exchange);
  const delay = next && end !== null ? Math.max(0, next.exchange.request.startedAt - end) : null;
  return calls.map((call) => {
    let found = call.id ? results.findIndex((r, i) => !used.has(i) && r.toolCallId === call.id) : -1;
    // Gemini's functionResponse names the function, not the call (read as the result's toolCallId): matched by name, in order.
    if (found < 0) found = results.findIndex((r, i) => !used.has(i) && (r.toolCallId === call.name || !r.toolCallId));
    if (found >= 0) used.add(found);
    const result = found >= 0 ? results[found] : null;
    return {
      callId: call.id,
      name: call.name,
      arguments: clip(call.arguments),
      result: result ? clip(result.text) : null,
      resultTurnId: result ? next!.exchange.id : null,
      clientDelayMs: delay,
    };
  });
}

/** Turns at the end of the next turn's conversation its results for `calls` tool calls are looked for in (none for none). */
function resultWindow(calls: number): number {
  return calls === 0 ? 0 : calls * 4 + 16;
}

/** Tool results near the end of a conversation: a result answers one of the last calls, so only the tail is searched. */
function trailingResults(conversation: Turn[], calls: number): Turn[] {
  const tail = conversation.slice(Math.max(0, conversation.length - resultWindow(calls)));
  return tail.filter((t) => t.role === 'tool');
}

/**
 * Whether the last turns of a conversation hold all a turn's row reads of it: its trailing inputs
 * with the turn before them, and the window the previous turn's `previousCalls` results are looked
 * for in. A page reads each conversation from its end until this holds (llm/request-tail.ts).
 */
export function tailSuffices(tail: Turn[], previousCalls: number): boolean {
  return trailingInputs(tail).length < tail.length && tail.length >= resultWindow(previousCalls);
}

/** One row of the session: this turn read, its tools paired with the next turn's results. */
export function sessionTurn(turn: StoredTurn, index: number, next: StoredTurn | null): SessionTurn {
  const { exchange, call } = turn;
  const inputs = call ? trailingInputs(call.conversation) : [];
  const facts = exchange.call;
  const cost = storedCallCost(exchange.request.host, exchange.request.startedAt, facts);
  return {
    id: exchange.id,
    index,
    startedAt: exchange.request.startedAt,
    durationMs: exchange.timings.end ?? null,
    status: exchange.response?.status ?? null,
    state: exchange.state,
    dialect: call?.dialect ?? facts?.dialect ?? null,
    model: call?.respondedModel ?? call?.requestedModel ?? facts?.model ?? null,
    inputs: inputs
      .slice(-TURN_INPUTS_SHOWN)
      .map((t) => ({ role: t.role, text: clip(t.text), ...(t.toolCallId ? { toolCallId: t.toolCallId } : {}) })),
    inputCount: inputs.length,
    answer: {
      text: clip(call?.answer.text ?? ''),
      reasoningChars: call?.answer.reasoning.length ?? 0,
      toolCalls: (call?.answer.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: clip(c.arguments) })),
      images: facts?.images ?? 0,
      finishReason: call?.answer.finishReason ?? null,
      ending: call?.ending ?? null,
    },
    usage: call?.usage ?? facts?.usage ?? {},
    ttftMs: call?.ttftMs ?? facts?.ttftMs ?? null,
    outputTokensPerSecond: call?.outputTokensPerSecond ?? null,
    diagnosis: exchange.diagnosis,
    cost,
    tools: pairTools(turn, next),
    ...(call ? {} : { unread: true }),
    ...(exchange.requestBody.truncated
      ? { requestCut: { size: exchange.requestBody.size, stored: exchange.requestBody.storedSize } }
      : {}),
  };
}

/**
 * The turn that sent back turn i's tool results: the first later turn (of those read) whose
 * trailing results answer one of its calls by id, else the next turn. Two conversations share a
 * session (Claude Code's subagent runs between the main agent's Task call and the turn that
 * sends its result, under the same session header): the very next call may be the other one's.
 */
function resultTurn(turns: StoredTurn[], i: number): StoredTurn | null {
  const next = turns[i + 1] ?? null;
  const ids = new Set((turns[i].call?.answer.toolCalls ?? []).flatMap((c) => (c.id ? [c.id] : [])));
  if (ids.size === 0 || !next) return next;
  for (let j = i + 1; j < turns.length; j++) {
    const call = turns[j].call;
    if (call && trailingResults(call.conversation, ids.size).some((r) => r.toolCallId && ids.has(r.toolCallId)))
      return turns[j];
  }
  return next;
}

/** Rows for turns[from..to) of a session; `turns` holds them and the one after (for pairing), oldest first. */
export function sessionTurns(turns: StoredTurn[], firstIndex: number, count: number): SessionTurn[] {
  const rows: SessionTurn[] = [];
  for (let i = 0; i < Math.min(count, turns.length); i++)
    rows.push(sessionTurn(turns[i], firstIndex + i, resultTurn(turns, i)));
  return rows;
}
