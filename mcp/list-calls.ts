// list_calls: recent calls as compact rows (the list's bounded summaries, no head, no body).
import { z } from 'zod';
import type { ExchangeSummary } from '../model/summary.ts';
import { sinceMs, statusFilter } from './arguments.ts';
import { tool } from './tool.ts';

/** One call in as few fields as tell it apart: what was asked, how it ended, what wirelog found. */
export function compactRow(s: ExchangeSummary) {
  return {
    id: s.id,
    at: new Date(s.startedAt).toISOString(),
    method: s.method,
    url: s.url,
    status: s.status ?? s.state,
    ...(s.error ? { error: s.error } : {}),
    ...(s.durationMs !== null ? { ms: Math.round(s.durationMs) } : {}),
    ...(s.call?.model ? { model: s.call.model } : {}),
    ...(s.call && (s.call.inputTokens !== null || s.call.outputTokens !== null)
      ? { tokens: { input: s.call.inputTokens, output: s.call.outputTokens } }
      : {}),
    ...(s.call?.threadKey ? { session: s.call.threadKey } : {}),
    ...(s.diagnosis ? { diagnosis: `${s.diagnosis.severity}: ${s.diagnosis.summary}` } : {}),
    ...(s.damaged ? { damaged: s.damaged } : {}),
  };
}

export const listCalls = tool({
  name: 'list_calls',
  description:
    'List recent HTTP calls wirelog captured (newest first), as compact rows: id, time, method, URL, status, model, tokens, session, and the diagnosis of a failed call. Filter by host, status (404 or 4xx), session, model or start time. Use the ids with read_call, diagnose and compare_with_working.',
  input: z.object({
    host: z.string().min(1).optional().describe('Only calls to this host, e.g. api.openai.com'),
    status: z.string().min(1).optional().describe('An HTTP status (404) or a class (4xx, 5xx)'),
    session: z.string().min(1).optional().describe("Only the calls of this agent session (a row's session field)"),
    model: z.string().min(1).optional().describe('Only model calls to or from this model'),
    since: z
      .string()
      .min(1)
      .optional()
      .describe('Only calls started at or after this ISO date or time (2026-11-24 or 2026-11-24T10:00:00Z)'),
    before: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Only calls with an id below this one (the next page: the last id seen)'),
    limit: z.number().int().min(1).max(200).default(20).describe('How many rows, 1 to 200 (default 20)'),
  }),
  run(args, { database }) {
    const { reader } = database.open();
    const filter = {
      host: args.host,
      status: args.status === undefined ? undefined : statusFilter(args.status),
      thread: args.session,
      model: args.model,
      since: args.since === undefined ? undefined : sinceMs(args.since),
      before: args.before,
    };
    const rows = database.read(() => reader.summaries({ ...filter, limit: args.limit + 1 }));
    return { calls: rows.slice(0, args.limit).map(compactRow), more: rows.length > args.limit };
  },
});
