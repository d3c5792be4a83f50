// GET /api/compare?a=ID&b=ID|working: two exchanges side by side. Made on a thread of its own
// (db/compare-reader.ts): reading, decoding and parsing two large bodies here would hold every client's traffic.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { compareOffThread } from '../../db/compare-reader.ts';
import type { ExchangeReader } from '../../db/reader.ts';
import { badRequest, requestLanguage } from './shared.ts';

const compareQuery = z.object({
  a: z.coerce.number().int().positive(),
  /** An id, or "working": the newest model call to a's host that worked. */
  b: z.union([z.literal('working'), z.coerce.number().int().positive()]),
});

export function createCompareApi(reader: ExchangeReader): Hono {
  return new Hono().get('/', zValidator('query', compareQuery, badRequest), async (c) => {
    const q = c.req.valid('query');
    const answer = await compareOffThread(reader, q.a, q.b, requestLanguage(c));
    return c.body(answer.json, answer.status, { 'content-type': 'application/json; charset=utf-8' });
  });
}
