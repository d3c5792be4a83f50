// The figures of every model call for `wirelog usage`, read in one pass over the stored columns
// (host, model, dialect, thread_key, started_at, input_tokens, output_tokens, usage, ttft_ms,
// stream_kind, timings): no body is read. Summing and pricing happen in llm/cost.ts (rollUp):
// parsing the small usage JSON in JavaScript costs less than SQLite's json functions per figure.
import type { Db } from './schema.ts';
import type { RolledCall } from '../llm/cost.ts';

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

/** One model call as a rollup reads it: the shape llm/cost.ts prices (its stored columns, usage and timings as JSON text). */
export type CallFigures = RolledCall;

/** Model calls (a model list is not one) not cleared by Clear all, started at or after `since`. */
export function usageCalls(db: Db, by: RollupKey, since = 0): CallFigures[] {
  const sql = `SELECT ${KEY_SQL[by]} AS key, host, model, dialect, started_at AS startedAt, input_tokens AS inputTokens, output_tokens AS outputTokens,
      CASE WHEN typeof(usage) = 'text' AND octet_length(usage) <= 2048 THEN usage END AS usage, ttft_ms AS ttftMs, stream_kind IS NOT NULL AS streamed,
      CASE WHEN typeof(timings) = 'text' AND octet_length(timings) <= 2048 THEN timings END AS timings
    FROM exchanges
    WHERE dialect IS NOT NULL AND dialect <> 'models' AND id > (SELECT clear_up_to FROM upkeep) AND started_at >= @since`;
  return (db.prepare(sql).all({ since }) as (Omit<CallFigures, 'streamed'> & { streamed: number })[]).map((row) => ({
    ...row,
    streamed: row.streamed === 1,
  }));
}
