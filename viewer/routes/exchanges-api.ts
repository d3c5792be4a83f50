// /api/exchanges: the list (filtered, sorted, by page), clearing it, one exchange in detail, its
// stream's events and its request copied as code. Answers are in the reader's language.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { bodyView } from '../../db/body-view.ts';
import { parseSortCursor, sortCursorText, type ExchangeReader } from '../../db/reader.ts';
import { snippetOf } from '../../export/snippet-of.ts';
import { SNIPPET_TARGETS, SnippetError } from '../../export/snippets.ts';
import { localized } from '../../i18n/stored-text.ts';
import { clientConfigOf, gatewayOfReplayed } from '../../llm/working-config.ts';
import { diagnosesOf, modelCallOf } from '../../llm/stored-calls.ts';
import { summaryCost, withCost } from '../../llm/summary-cost.ts';
import { summarize, type ExchangeSummary } from '../../model/summary.ts';
import type { Replayer } from '../../replay/replayer.ts';
import type { ExchangeDetail, ExchangeListAnswer, StreamEvents } from '../contract.ts';
import type { LiveFeed } from '../live-fanout.ts';
import { filterOf, listQuery } from './filters.ts';
import { clientConfigIn, exchangeIn, summaryIn } from './in-language.ts';
import { badRequest, refusal, refuseDamaged, requestLanguage, sameOrigin, type OwnOrigins } from './shared.ts';

const idParam = z.object({ id: z.coerce.number().int().positive() });
const snippetQuery = z.object({ target: z.enum(SNIPPET_TARGETS).default('curl') });
const eventsQuery = z.object({ after: z.coerce.number().int().min(-1).default(-1) });

export interface ExchangesApiOptions {
  reader: ExchangeReader;
  live: LiveFeed;
  /** Deletes every capture (done by the storage worker, off the forwarding thread). */
  clear: () => Promise<void>;
  /** Says which secrets a replay would lack; absent: none are named. */
  replayer?: Replayer;
  ownOrigins: OwnOrigins;
}

export function createExchangesApi({ reader, live, clear, replayer, ownOrigins }: ExchangesApiOptions): Hono {
  const api = new Hono();

  api.get('/', zValidator('query', listQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    const filter = { ...filterOf(q), limit: q.limit };
    // List rows only (db/reader.ts summaries): no head or body is read, each text is clipped in SQL.
    let exchanges: ExchangeSummary[];
    let nextCursor: number | string | null;
    if (q.sort) {
      const page = reader.sortedSummaries({
        ...filter,
        sort: q.sort,
        sortAfter: q.cursor === undefined ? undefined : parseSortCursor(q.cursor)!,
      });
      exchanges = page.summaries;
      nextCursor = page.next && sortCursorText(page.next);
    } else {
      exchanges = reader.summaries({ ...filter, before: Number(q.cursor) || undefined });
      nextCursor = exchanges.length === q.limit ? exchanges[exchanges.length - 1].id : null;
    }
    const lang = requestLanguage(c);
    // The first page says how many match, counted up to a bound (db/filter-plan.ts): a lower bound past it.
    const total = q.cursor === undefined ? reader.countUpTo(filter) : undefined;
    return c.json({
      exchanges: exchanges.map((summary) => summaryIn(withCost(summary), lang)),
      nextCursor,
      ...(total === undefined ? {} : { total: total.count, ...(total.atLeast ? { totalAtLeast: true } : {}) }),
    } satisfies ExchangeListAnswer);
  });

  api.delete('/', async (c) => {
    if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'clearOwnOnly') }, 403);
    await clear();
    live.publish({ type: 'cleared' });
    return c.json({ cleared: true });
  });

  api.get('/:id', zValidator('param', idParam, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
    const requestBody = bodyView(reader, exchange, 'request');
    const responseBody = bodyView(reader, exchange, 'response');
    // Rebuilt on every read, so an open stream's answer grows as it arrives.
    const modelCall = modelCallOf(reader, exchange, { request: requestBody.text, response: responseBody.text });
    const lang = requestLanguage(c);
    // Priced from the stored figures, as its list row is (the same cost in both places).
    const cost = modelCall ? summaryCost(summarize(exchange)) : null;
    return c.json({
      exchange: exchangeIn(exchange, lang),
      requestBody,
      responseBody,
      modelCall: modelCall && cost ? { ...modelCall, cost } : modelCall,
      // A damaged row is not diagnosed: what was read in place of its damaged columns would mislead.
      diagnoses: exchange.damaged ? [] : diagnosesOf(reader, exchange, modelCall, responseBody.text, lang),
      threadSize: exchange.call?.threadKey ? reader.count({ thread: exchange.call.threadKey }) : 0,
      replays: reader.replaysOf(exchange.id),
      clientConfig: clientConfigIn(
        clientConfigOf(
          exchange,
          modelCall,
          gatewayOfReplayed(exchange, (id) => reader.get(id)),
        ),
        lang,
      ),
      missingSecrets: replayer?.missingSecrets(exchange) ?? [],
    } satisfies ExchangeDetail);
  });

  api.get(
    '/:id/snippet',
    zValidator('param', idParam, badRequest),
    zValidator('query', snippetQuery, badRequest),
    (c) => {
      const exchange = reader.get(c.req.valid('param').id);
      if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
      const damaged = refuseDamaged(c, exchange, 'copied as code');
      if (damaged) return damaged;
      try {
        return c.text(snippetOf(reader, exchange, c.req.valid('query').target));
      } catch (err) {
        if (err instanceof SnippetError) return c.json({ error: localized(err.message, requestLanguage(c)) }, 422);
        throw err;
      }
    },
  );

  api.get(
    '/:id/events',
    zValidator('param', idParam, badRequest),
    zValidator('query', eventsQuery, badRequest),
    (c) => {
      const exchange = reader.get(c.req.valid('param').id);
      if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
      const after = c.req.valid('query').after;
      const sse = reader.sseEvents(exchange.id).filter((e) => e.seq > after);
      const ws = reader
        .wsMessages(exchange.id)
        .filter((m) => m.seq > after)
        .map((m) => {
          const payload = Buffer.from(m.payload);
          const text = m.opcode === 1;
          return {
            seq: m.seq,
            offsetMs: m.offsetMs,
            direction: m.direction,
            opcode: m.opcode,
            text: text ? payload.toString('utf8') : null,
            base64: text ? null : payload.toString('base64'),
          };
        });
      return c.json({
        kind: exchange.streamKind,
        state: exchange.state,
        sseEvents: sse,
        wsMessages: ws,
      } satisfies StreamEvents);
    },
  );

  return api;
}
