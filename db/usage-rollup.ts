// Token figures of model calls summed in SQL over the stored columns (input_tokens, output_tokens,
// usage, model, host, dialect, thread_key, started_at, ttft_ms, timings): no body is read. Rows are
// summed per group and per what prices them (host, model, dialect, UTC day, where the figures come
// from), so llm/cost.ts prices a few hundred sums instead of every call.
import type { Db } from './schema.ts';
import type { Usage } from '../model/usage.ts';

export const ROLLUP_KEYS = ['session', 'model', 'host', 'day'] as const;
export type RollupKey = (typeof ROLLUP_KEYS)[number];

/**
 * How a group's key is read: the session is the thread key, the day the local calendar day the call
 * started (the day a user remembers; the process's time zone, TZ).
 */
const KEY_SQL: Record<RollupKey, string> = {
  session: 'thread_key',
  model: 'model',
  host: 'host',
  day: `strftime('%Y-%m-%d', started_at / 1000, 'unixepoch', 'localtime')`,
};

/** A usage figure, or NULL when the usage is not JSON or the figure is not a number (a damaged row never fails the sum). */
const figure = (name: keyof Usage) => `CASE WHEN json_valid(usage) AND json_type(usage, '$.${name}') IN ('integer', 'real') THEN json_extract(usage, '$.${name}') END`;

/** Where a call's cost can come from: its provider's figure, its tokens, part of them, or nothing reported (an error, a cut stream). */
const KIND_SQL = `CASE WHEN u_cost IS NOT NULL THEN 'provider'
  WHEN input_tokens IS NOT NULL AND (output_tokens IS NOT NULL OR dialect = 'embeddings') THEN 'tokens'
  WHEN input_tokens IS NULL AND output_tokens IS NULL AND u_cache_read IS NULL AND u_cache_write IS NULL AND u_reasoning IS NULL THEN 'none'
  ELSE 'partial' END`;

export type FiguresKind = 'provider' | 'tokens' | 'partial' | 'none';

/** The end of the call in ms after its start, NULL where timings are not a JSON object. */
const END_SQL = `CASE WHEN typeof(timings) = 'text' AND json_valid(timings) AND json_type(timings) = 'object' AND json_type(timings, '$.end') IN ('integer', 'real') THEN json_extract(timings, '$.end') END`;

/** Model calls (a model list is not one), not cleared by Clear all, started at or after `since`. */
const CALLS_SQL = `SELECT *, ${KIND_SQL} AS kind FROM (
  SELECT id, started_at, host, model, dialect, thread_key, input_tokens, output_tokens, ttft_ms, stream_kind,
    ${figure('cost')} AS u_cost, ${figure('cacheRead')} AS u_cache_read, ${figure('cacheCreation')} AS u_cache_write, ${figure('reasoning')} AS u_reasoning,
    ${END_SQL} AS end_ms
  FROM exchanges
  WHERE dialect IS NOT NULL AND dialect <> 'models' AND id > (SELECT clear_up_to FROM upkeep) AND started_at >= @since)`;

/** The calls of one group that one price applies to, summed. */
export interface Aggregate {
  key: string | null;
  host: string;
  model: string | null;
  dialect: string;
  /** UTC day (YYYY-MM-DD) the calls started: a price's start date is a UTC day. */
  priceDay: string;
  kind: FiguresKind;
  calls: number;
  firstAt: number;
  lastAt: number;
  input: number;
  output: number;
  cacheRead: number;
  /** Calls that reported a cache figure, read or write (0: none did). */
  cacheReadCalls: number;
  /** The prompt the hit rate divides by, over the calls that reported a cache figure. */
  cachedPrompt: number;
  cacheWrite: number;
  reasoning: number;
  reasoningCalls: number;
  providerCost: number;
  ttftSum: number;
  ttftCalls: number;
  /** Output tokens of streamed calls with a first token and an end, and the seconds they took after the first token. */
  streamedOutput: number;
  streamedSeconds: number;
}

const AGGREGATE_SQL = (by: RollupKey) => `SELECT ${KEY_SQL[by]} AS key, host, model, dialect, strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS priceDay, kind,
  count(*) AS calls, min(started_at) AS firstAt, max(started_at) AS lastAt,
  total(input_tokens) AS input, total(output_tokens) AS output,
  total(u_cache_read) AS cacheRead, count(coalesce(u_cache_read, u_cache_write)) AS cacheReadCalls,
  total(CASE WHEN coalesce(u_cache_read, u_cache_write) IS NOT NULL THEN CASE WHEN dialect = 'anthropic-messages' THEN input_tokens + coalesce(u_cache_read, 0) + coalesce(u_cache_write, 0) ELSE input_tokens END END) AS cachedPrompt,
  total(u_cache_write) AS cacheWrite, total(u_reasoning) AS reasoning, count(u_reasoning) AS reasoningCalls,
  total(u_cost) AS providerCost, total(ttft_ms) AS ttftSum, count(ttft_ms) AS ttftCalls,
  total(CASE WHEN stream_kind IS NOT NULL AND end_ms > ttft_ms THEN output_tokens END) AS streamedOutput,
  total(CASE WHEN stream_kind IS NOT NULL AND end_ms > ttft_ms AND output_tokens IS NOT NULL THEN (end_ms - ttft_ms) / 1000.0 END) AS streamedSeconds
FROM (${CALLS_SQL})
GROUP BY 1, host, model, dialect, priceDay, kind`;

/** Every group's sums, one row per price that applies within it. */
export function usageAggregates(db: Db, by: RollupKey, since = 0): Aggregate[] {
  return db.prepare(AGGREGATE_SQL(by)).all({ since }) as Aggregate[];
}

/** One call as a price needs it: for the groups whose price is not proportional to tokens (tiers, off-peak hours). */
export interface PricedRow {
  startedAt: number;
  usage: Usage;
}

/** The calls summed in one aggregate, one by one (only their figures). */
export function aggregateCalls(db: Db, by: RollupKey, since: number, aggregate: Aggregate): PricedRow[] {
  const sql = `SELECT started_at, input_tokens, output_tokens, u_cache_read, u_cache_write, u_reasoning FROM (${CALLS_SQL})
    WHERE ${KEY_SQL[by]} IS @key AND host = @host AND model IS @model AND dialect = @dialect AND strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') = @priceDay AND kind = @kind`;
  const rows = db.prepare(sql).all({ since, key: aggregate.key, host: aggregate.host, model: aggregate.model, dialect: aggregate.dialect, priceDay: aggregate.priceDay, kind: aggregate.kind }) as {
    started_at: number;
    input_tokens: number | null;
    output_tokens: number | null;
    u_cache_read: number | null;
    u_cache_write: number | null;
    u_reasoning: number | null;
  }[];
  const some = (value: number | null) => value ?? undefined;
  return rows.map((r) => ({
    startedAt: r.started_at,
    usage: Object.fromEntries(
      Object.entries({ input: some(r.input_tokens), output: some(r.output_tokens), cacheRead: some(r.u_cache_read), cacheCreation: some(r.u_cache_write), reasoning: some(r.u_reasoning) }).filter(([, v]) => v !== undefined),
    ) as Usage,
  }));
}
