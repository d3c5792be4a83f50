// GET /api/export.har: the exchanges the filters select (or one, ?id=), as a HAR file streamed
// while it is written. Damaged rows are left out, and counted in the file's log.comment and
// log._wirelog (export/har.ts).
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { ExchangeReader } from '../../db/reader.ts';
import { writeHar } from '../../export/har.ts';
import { exportQuery, filterOf } from './filters.ts';
import { badRequest } from './shared.ts';

/** `version`: wirelog's, written as the HAR's creator. */
export function createExportApi(reader: ExchangeReader, version: () => string): Hono {
  return new Hono().get('/', zValidator('query', exportQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${q.id ? `wirelog-${q.id}` : 'wirelog'}.har"`);
    return stream(c, async (out) => {
      await writeHar(
        reader,
        { ...filterOf(q), id: q.id, since: q.since ? Date.parse(q.since) : undefined },
        (text) => out.write(text),
        version(),
      );
    });
  });
}
