import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { stream, streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { bodyView } from '../db/body-view.ts';
import type { ExchangeReader } from '../db/reader.ts';
import { writeHar } from '../export/har.ts';
import { EXCHANGE_STATES, type ExchangeState } from '../model/exchange.ts';
import { summarize } from '../model/summary.ts';
import type { LiveFeed } from './live.ts';

export interface ViewerStatus {
  version: string;
  proxyUrl: string;
  caPath: string;
  caFingerprint: string;
  /** The current storage failure, or null while captures are stored. */
  storageError: string | null;
}

export interface ViewerOptions {
  reader: ExchangeReader;
  live: LiveFeed;
  status: () => ViewerStatus;
}

const listQuery = z.object({
  host: z.string().min(1).optional(),
  method: z.string().regex(/^[A-Za-z]+$/, 'method must be letters, e.g. POST').optional(),
  status: z.string().regex(/^([1-5]xx|\d{3})$/i, 'status must be a code like 404 or a class like 4xx').optional(),
  state: z.enum(EXCHANGE_STATES as [ExchangeState, ...ExchangeState[]]).optional(),
  q: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().positive().optional(),
});

const exportQuery = listQuery.pick({ host: true, method: true, status: true, state: true, q: true }).extend({
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'since must be an ISO date such as 2026-11-24T10:00:00Z')
    .optional(),
});

const idParam = z.object({ id: z.coerce.number().int().positive() });

function badRequest(result: { success: boolean; error?: z.ZodError }, c: Context) {
  if (!result.success) {
    const message = result.error!.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
    return c.json({ error: message }, 400);
  }
}

/** Only this machine's loopback names on our own port: a page on another site cannot reach us by DNS rebinding. */
function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function createViewerApp(options: ViewerOptions, port: () => number): Hono {
  const { reader, live } = options;
  const app = new Hono();

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (!allowedHosts(port()).has(host.toLowerCase())) {
      return c.text(`wirelog refuses requests for Host "${host}": open the viewer as http://127.0.0.1:${port()}\n`, 403);
    }
    await next();
  });

  app.get('/api/status', (c) => c.json(options.status()));

  app.get('/api/exchanges', zValidator('query', listQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    const exchanges = reader.list({ host: q.host, method: q.method, status: q.status, state: q.state, text: q.q, before: q.cursor, limit: q.limit });
    const nextCursor = exchanges.length === q.limit ? exchanges[exchanges.length - 1].id : null;
    return c.json({ exchanges: exchanges.map(summarize), nextCursor });
  });

  app.get('/api/exchanges/:id', zValidator('param', idParam, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: 'no exchange with this id' }, 404);
    return c.json({ exchange, requestBody: bodyView(reader, exchange, 'request'), responseBody: bodyView(reader, exchange, 'response') });
  });

  app.get('/api/exchanges/:id/events', zValidator('param', idParam, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: 'no exchange with this id' }, 404);
    const sse = reader.sseEvents(exchange.id);
    const ws = reader.wsMessages(exchange.id).map((m) => {
      const payload = Buffer.from(m.payload);
      const text = m.opcode === 1 || m.opcode === 8;
      return { seq: m.seq, offsetMs: m.offsetMs, direction: m.direction, opcode: m.opcode, text: text ? payload.toString('utf8') : null, base64: text ? null : payload.toString('base64') };
    });
    return c.json({ kind: exchange.streamKind, sseEvents: sse, wsMessages: ws });
  });

  app.get('/api/export.har', zValidator('query', exportQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', 'attachment; filename="wirelog.har"');
    return stream(c, async (out) => {
      await writeHar(
        reader,
        { host: q.host, method: q.method, status: q.status, state: q.state, text: q.q, since: q.since ? Date.parse(q.since) : undefined },
        (text) => out.write(text),
        options.status().version,
      );
    });
  });

  app.get('/api/live', (c) =>
    streamSSE(c, async (out) => {
      let closed = false;
      const unsubscribe = live.subscribe((ids) => {
        for (const id of ids) {
          const exchange = reader.get(id);
          if (exchange && !closed) void out.writeSSE({ event: 'exchange', id: String(id), data: JSON.stringify(summarize(exchange)) });
        }
      });
      await out.writeSSE({ event: 'hello', data: JSON.stringify(options.status()) });
      const heartbeat = setInterval(() => void out.write(': keep-alive\n\n'), 15000);
      await new Promise<void>((resolve) => out.onAbort(resolve));
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
    }),
  );

  app.get('/', (c) =>
    c.text(`wirelog is running.\nProxy: ${options.status().proxyUrl}\nAPI: /api/exchanges, /api/exchanges/:id, /api/exchanges/:id/events, /api/export.har, /api/live\n`),
  );

  return app;
}

export interface RunningViewer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export function startViewer(options: ViewerOptions, host: string, port: number): Promise<RunningViewer> {
  let boundPort = port;
  const app = createViewerApp(options, () => boundPort);
  return new Promise((resolve, reject) => {
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      boundPort = info.port;
      server.off('error', reject);
      resolve({
        port: info.port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}
