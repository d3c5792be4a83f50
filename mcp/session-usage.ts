// session_usage: an agent session's tokens, cache and cost, summed as `wirelog usage --by session`
// sums them (db/usage-rollup.ts read, llm/cost.ts priced): the provider's cost where it says one,
// an estimate from the price table otherwise, unknown said, never guessed.
import { z } from 'zod';
import { usageCalls } from '../db/usage-rollup.ts';
import { PRICE_TABLE, rollUp } from '../llm/cost.ts';
import { t } from '../cli/language.ts';
import { callId } from './arguments.ts';
import { ToolError, tool } from './tool.ts';

export const sessionUsage = tool({
  name: 'session_usage',
  description:
    "Tokens (input, output, cache read and write, reasoning), cache hit rate and cost in USD of one agent session: the session given, else the session of the call given (id), else the newest session. Cost is the provider's figure when it reported one, else estimated from a public price table (costSource says which; null cost: unknown, e.g. a relay's own prices).",
  input: z.object({
    session: z.string().min(1).optional().describe("A session key (list_calls gives each call's session)"),
    id: callId.optional().describe('Or: the session of this call'),
  }),
  run(args, { database }) {
    const { db, reader } = database.open();
    return database.read(() => {
      let session = args.session;
      if (session === undefined && args.id !== undefined) {
        const exchange = reader.get(args.id);
        if (!exchange) throw new ToolError(t('mcp.errors.noExchange', { id: args.id }));
        session = exchange.call?.threadKey ?? undefined;
        if (!session) throw new ToolError(t('mcp.errors.noSessionOfCall', { id: args.id }));
      }
      if (session === undefined) {
        const newest = db
          .prepare(
            `SELECT thread_key AS key FROM exchanges WHERE thread_key IS NOT NULL AND id > (SELECT clear_up_to FROM upkeep) ORDER BY id DESC LIMIT 1`,
          )
          .get() as { key: string } | undefined;
        if (!newest) throw new ToolError(t('mcp.errors.noSessions'));
        session = newest.key;
      }
      // Read from the session's first call on (thread_key is indexed), not every call ever stored.
      const first = (
        db
          .prepare(
            'SELECT min(started_at) AS at FROM exchanges WHERE thread_key = ? AND id > (SELECT clear_up_to FROM upkeep)',
          )
          .get(session) as { at: number | null }
      ).at;
      if (first === null) throw new ToolError(t('mcp.errors.noSession', { session }));
      const group = rollUp(usageCalls(db, 'session', first).filter((c) => c.key === session))[0];
      if (!group) throw new ToolError(t('mcp.errors.noSession', { session }));
      const { key, prices, ...figures } = group;
      return {
        session: key,
        ...figures,
        pricesUsed: prices,
        priceTable: `${PRICE_TABLE.name} ${PRICE_TABLE.version} (${PRICE_TABLE.date})`,
      };
    });
  },
});
