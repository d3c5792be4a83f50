// GET /api/live: server-sent events for the open viewer: the status on each change, and the list
// rows of the exchanges that changed, in the reader's language (an EventSource sends its
// Accept-Language, or ?lang=).
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ExchangeReader } from '../../db/reader.ts';
import { withCost } from '../../llm/summary-cost.ts';
import type { LiveFeed } from '../live-fanout.ts';
import { summaryIn } from './in-language.ts';
import { requestLanguage } from './shared.ts';
import { statusNow, type ViewerStatus } from './status-api.ts';

// Rows a live update reads per query.
const LIVE_READ = 500;
const HEARTBEAT_MS = 15000;

export function createLiveApi(reader: ExchangeReader, live: LiveFeed, status: () => ViewerStatus): Hono {
  return new Hono().get('/', (c) =>
    streamSSE(c, async (out) => {
      const lang = requestLanguage(c);
      let closed = false;
      const unsubscribe = live.subscribe((message) => {
        if (closed) return;
        if (message.type === 'status')
          return void out.writeSSE({ event: 'status', data: JSON.stringify(statusNow(reader, status)) });
        if (message.type === 'cleared' || message.type === 'pruned')
          return void out.writeSSE({ event: message.type, data: '{}' });
        // List rows, as the list reads them: a whole exchange (its heads) is never read for a live update.
        for (let i = 0; i < message.ids.length; i += LIVE_READ) {
          const ids = message.ids.slice(i, i + LIVE_READ);
          for (const summary of reader.summaries({ ids, limit: ids.length }))
            void out.writeSSE({
              event: 'exchange',
              id: String(summary.id),
              data: JSON.stringify(summaryIn(withCost(summary), lang)),
            });
        }
      });
      await out.writeSSE({ event: 'hello', data: JSON.stringify(statusNow(reader, status)) });
      const heartbeat = setInterval(() => void out.write(': keep-alive\n\n'), HEARTBEAT_MS);
      await new Promise<void>((resolve) => out.onAbort(resolve));
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
    }),
  );
}
