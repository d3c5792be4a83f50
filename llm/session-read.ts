// A session read from storage: its calls in order (list rows, no body read), a page of them read
// whole as model calls, one turn's context, two turns' diff. The reading side of llm/session.ts,
// through the same readers as the exchange detail (db/reader.ts, llm/stored-calls.ts).
import { bodyView } from '../db/body-view.ts';
import type { ExchangeReader } from '../db/reader.ts';
import type { StoredRequests } from '../db/request-outline.ts';
import type { Exchange } from '../model/exchange.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import { sendingClient } from './working-config.ts';
import { detectDialect } from './dialect.ts';
import { obj, parseJson } from './json.ts';
import type { Turn } from './model-call.ts';
import { sessionCallOf } from './request-tail.ts';
import { sessionHeader, sessionTurns, type SessionHeader, type SessionTurn, type StoredTurn } from './session.ts';
import { modelCallOf } from './stored-calls.ts';
import { turnContextOf, type TurnContext } from './turn-context.ts';
import { continuation, diffTurns, type TurnDiff } from './turn-diff.ts';

/** Calls of one session read at most (a session past it is shown up to here, and says so). */
export const SESSION_CALLS_READ = 20_000;
/** List rows scanned for the recent sessions. */
const RECENT_ROWS_SCANNED = 2_000;

export interface SessionPage {
  header: SessionHeader;
  turns: SessionTurn[];
  /** Index of the first turn of this page, and how many turns the session has. */
  offset: number;
  total: number;
  /** The session had more calls than were read (SESSION_CALLS_READ). */
  cut: boolean;
}

export interface TurnContextAnswer {
  id: number;
  index: number;
  context: TurnContext | null;
  usage: NonNullable<Exchange['call']>['usage'];
}

export interface TurnDiffAnswer {
  a: { id: number; index: number; inputTokens: number | null };
  b: { id: number; index: number; inputTokens: number | null };
  diff: TurnDiff;
}

/** Why a session question has no answer: no such session, a turn not in it, or a turn without a context to compare. */
export class SessionQuestionError extends Error {
  constructor(
    readonly reason: 'noSession' | 'notInSession' | 'noContext' | 'sameTurn' | 'requestCut',
    readonly params: Record<string, string | number>,
  ) {
    super(reason);
  }
}

/** Every call of a session as list rows, oldest first (bounded: SESSION_CALLS_READ). */
export function sessionRows(reader: ExchangeReader, key: string): ExchangeSummary[] {
  return reader.summaries({ thread: key, after: 0, limit: SESSION_CALLS_READ });
}

function headerOf(reader: ExchangeReader, key: string, rows: ExchangeSummary[]): SessionHeader | null {
  if (rows.length === 0) return null;
  const first = reader.get(rows[0].id);
  return sessionHeader(key, rows, sendingClient(first?.request.headers ?? []));
}

/** The most recent sessions, newest first, each with its header. */
export function recentSessions(reader: ExchangeReader, limit: number): SessionHeader[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const row of reader.summaries({ limit: RECENT_ROWS_SCANNED })) {
    const key = row.call?.threadKey;
    // A key the list row clipped is not the stored one: its session is named by a full read.
    if (!key || seen.has(key) || key.endsWith('…')) continue;
    seen.add(key);
    keys.push(key);
    if (keys.length === limit) break;
  }
  return keys.flatMap((key) => headerOf(reader, key, sessionRows(reader, key)) ?? []);
}

/**
 * The page's turns read, oldest first. With `requests` (the same database's split request bodies),
 * each conversation is read from its end only as far as its row needs (llm/request-tail.ts): the
 * turn before tells how many tool results to look for. Without, each body is read whole.
 */
function storedTurns(reader: ExchangeReader, exchanges: Exchange[], requests?: StoredRequests): StoredTurn[] {
  const items = new Map<number, Turn[]>();
  const turns: StoredTurn[] = [];
  for (const exchange of exchanges) {
    // The first turn's results belong to the turn before the page, which is not shown.
    const previousCalls = turns.length ? (turns[turns.length - 1].call?.answer.toolCalls.length ?? 0) : 0;
    const call = exchange.damaged
      ? null
      : requests
        ? sessionCallOf(reader, requests, exchange, previousCalls, items)
        : modelCallOf(reader, exchange);
    turns.push({ exchange, call });
  }
  return turns;
}

/** A page of a session's turns; the turn after the page is read too, to pair the last turn's tool calls with their results. */
export function sessionPage(
  reader: ExchangeReader,
  key: string,
  offset: number,
  limit: number,
  requests?: StoredRequests,
): SessionPage {
  const rows = sessionRows(reader, key);
  const header = headerOf(reader, key, rows);
  if (!header) throw new SessionQuestionError('noSession', { key });
  const ids = rows.slice(offset, offset + limit + 1).map((r) => r.id);
  const exchanges = ids.length ? reader.list({ ids, after: 0, limit: ids.length }) : [];
  const turns = sessionTurns(
    storedTurns(reader, exchanges, requests),
    offset,
    Math.min(limit, Math.max(0, rows.length - offset)),
  );
  return { header, turns, offset, total: rows.length, cut: rows.length === SESSION_CALLS_READ };
}

/** The request a turn sent, parsed: its body, or for a Responses WebSocket turn its last response.create. */
export function requestJson(reader: ExchangeReader, exchange: Exchange): unknown {
  if (exchange.streamKind === 'websocket') {
    const creates = reader
      .wsMessages(exchange.id)
      .filter((m) => m.direction === 'send' && m.opcode === 1)
      .map((m) => obj(parseJson(Buffer.from(m.payload).toString('utf8'))))
      .filter((m) => m.type === 'response.create');
    return creates[creates.length - 1];
  }
  return parseJson(bodyView(reader, exchange, 'request').text);
}

function turnOf(
  reader: ExchangeReader,
  key: string,
  rows: ExchangeSummary[],
  id: number,
): { exchange: Exchange; index: number } {
  const index = rows.findIndex((r) => r.id === id);
  const exchange = index < 0 ? null : reader.get(id);
  if (!exchange) throw new SessionQuestionError('notInSession', { id, key });
  return { exchange, index };
}

/** Why a turn's request cannot be read as its context: stored cut (--max-body-mb); null when it can. */
function cutRequest(exchange: Exchange): SessionQuestionError | null {
  const body = exchange.requestBody;
  return body.truncated && exchange.streamKind !== 'websocket'
    ? new SessionQuestionError('requestCut', { id: exchange.id, size: body.size, stored: body.storedSize })
    : null;
}

/** A turn's context; a request stored cut is refused (its history would read as every message dropped). */
function contextOf(reader: ExchangeReader, exchange: Exchange): TurnContext | null {
  const cut = cutRequest(exchange);
  if (cut) throw cut;
  const dialect = detectDialect(exchange.request.method, exchange.request.path);
  return dialect ? turnContextOf(dialect, requestJson(reader, exchange), exchange.request.path) : null;
}

export function turnContext(reader: ExchangeReader, key: string, id: number): TurnContextAnswer {
  const rows = sessionRows(reader, key);
  if (rows.length === 0) throw new SessionQuestionError('noSession', { key });
  const { exchange, index } = turnOf(reader, key, rows, id);
  return { id, index, context: contextOf(reader, exchange), usage: exchange.call?.usage ?? {} };
}

/** Earlier turns a diff looks through for the last turn of its own conversation, at most. */
export const DIFF_LOOKBACK = 32;

type ReadTurn = { exchange: Exchange; index: number; context: TurnContext | null };

/**
 * A turn of the session by its place, with its context parsed; a request stored cut is refused
 * (requestCut), or with `skipCut` given as null: no turn to compare with.
 */
function contextAt(reader: ExchangeReader, key: string, rows: ExchangeSummary[], index: number): ReadTurn;
function contextAt(
  reader: ExchangeReader,
  key: string,
  rows: ExchangeSummary[],
  index: number,
  skipCut: true,
): ReadTurn | null;
function contextAt(
  reader: ExchangeReader,
  key: string,
  rows: ExchangeSummary[],
  index: number,
  skipCut = false,
): ReadTurn | null {
  const turn = turnOf(reader, key, rows, rows[index].id);
  if (skipCut && cutRequest(turn.exchange)) return null;
  return { ...turn, context: contextOf(reader, turn.exchange) };
}

/**
 * The turn a diff compares turn `later` with when none is asked for: the last earlier turn of the
 * same conversation (same system prompt and first message; else the last with the same system
 * prompt) among the DIFF_LOOKBACK before it, else the turn just before. A session can hold two
 * conversations (Claude Code's subagents share its session header), and a turn compared with the
 * other one's would show every message dropped. In a session of one conversation the turn before
 * (`before`, read already; null when its request was stored cut) is the answer: the diff still
 * parses two bodies. A turn stored cut is passed over; if nothing else is found, the turn before
 * is refused for it.
 */
function defaultEarlier(
  reader: ExchangeReader,
  key: string,
  rows: ExchangeSummary[],
  later: number,
  before: ReadTurn | null,
  cb: TurnContext | null,
): ReadTurn {
  if (before && (!cb || !before.context)) return before;
  const first = before?.context && cb ? continuation(before.context, cb) : 0;
  if (first === 2) return before!;
  // A Responses turn continuing a stored response sends only what is new: the turn before, of the same instructions, is its own.
  if (first === 1 && cb!.previousResponseId !== null) return before!;
  let fallback = first === 1 ? before : null;
  for (let index = later - 2; cb && index >= Math.max(0, later - DIFF_LOOKBACK); index--) {
    const turn = contextAt(reader, key, rows, index, true);
    const match = turn?.context ? continuation(turn.context, cb) : 0;
    if (match === 2) return turn!;
    if (match === 1 && !fallback) fallback = turn;
  }
  return fallback ?? before ?? contextAt(reader, key, rows, later - 1);
}

/** What turn `b` sent differently from turn `a` (default: the last turn of b's conversation, see defaultEarlier). */
export function turnDiff(reader: ExchangeReader, key: string, b: number, a?: number): TurnDiffAnswer {
  const rows = sessionRows(reader, key);
  if (rows.length === 0) throw new SessionQuestionError('noSession', { key });
  const later = turnOf(reader, key, rows, b);
  if (a === undefined && later.index === 0) throw new SessionQuestionError('noContext', { id: b });
  const asked = a === undefined ? later.index - 1 : rows.findIndex((r) => r.id === a);
  if (asked < 0) throw new SessionQuestionError('notInSession', { id: a!, key });
  if (rows[asked].id === later.exchange.id) throw new SessionQuestionError('sameTurn', { id: b });
  let earlier: ReadTurn;
  let cb: TurnContext | null;
  if (a === undefined) {
    // The turn before is read first (a request stored cut is passed over): it is nearly always the answer.
    const before = contextAt(reader, key, rows, asked, true);
    cb = contextOf(reader, later.exchange);
    earlier = defaultEarlier(reader, key, rows, later.index, before, cb);
  } else {
    earlier = contextAt(reader, key, rows, asked);
    cb = contextOf(reader, later.exchange);
  }
  const ca = earlier.context;
  if (!ca) throw new SessionQuestionError('noContext', { id: earlier.exchange.id });
  if (!cb) throw new SessionQuestionError('noContext', { id: later.exchange.id });
  const side = (t: { exchange: Exchange; index: number }) => ({
    id: t.exchange.id,
    index: t.index,
    inputTokens: t.exchange.call?.usage.input ?? null,
  });
  return { a: side(earlier), b: side(later), diff: diffTurns(ca, cb) };
}
