// The session API (issue 27): recent sessions with their headers, a session's turns by page, one
// turn's context and the diff between two turns. Mounted by viewer/api-app.ts under /api/sessions.
// Each answer is made on a thread of its own (llm/session-answer.ts): a page of a long session
// parses a hundred request bodies, which must not hold the traffic wirelog forwards.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ExchangeReader } from '../db/reader.ts';
import type { Language } from '../i18n/languages.ts';
import { answerOffThread, type SessionQuestion } from '../llm/session-answer.ts';
import { createSessionExportApi } from './session-export-api.ts';

const keyParam = z.object({ key: z.string().min(1).max(200) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(30) });
const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const turnQuery = z.object({ turn: z.coerce.number().int().positive() });
const diffQuery = z.object({ a: z.coerce.number().int().positive().optional(), b: z.coerce.number().int().positive() });

/**
 * @param languageOf the language a request asked for (viewer/api-app.ts's requestLanguage)
 * @param badRequest the API's answer to a query that does not validate
 */
export function createSessionsApi(
  reader: ExchangeReader,
  languageOf: (c: Context) => Language,
  badRequest: (result: { success: boolean; error?: z.ZodError }, c: Context) => Response | undefined,
): Hono {
  const api = new Hono();
  const answer = async (c: Context, question: SessionQuestion) => {
    const { status, json } = await answerOffThread(reader, question, languageOf(c));
    return c.body(json, status, { 'content-type': 'application/json; charset=utf-8' });
  };

  api.get('/', zValidator('query', listQuery, badRequest), (c) =>
    answer(c, { kind: 'recent', limit: c.req.valid('query').limit }),
  );

  api.get('/:key', zValidator('param', keyParam, badRequest), zValidator('query', pageQuery, badRequest), (c) =>
    answer(c, { kind: 'page', key: c.req.valid('param').key, ...c.req.valid('query') }),
  );

  api.get('/:key/context', zValidator('param', keyParam, badRequest), zValidator('query', turnQuery, badRequest), (c) =>
    answer(c, { kind: 'context', key: c.req.valid('param').key, turn: c.req.valid('query').turn }),
  );

  api.get('/:key/diff', zValidator('param', keyParam, badRequest), zValidator('query', diffQuery, badRequest), (c) => {
    const { a, b } = c.req.valid('query');
    return answer(c, { kind: 'diff', key: c.req.valid('param').key, b, ...(a === undefined ? {} : { a }) });
  });

  // A session as one HTML page or a Markdown transcript to download (issue 27).
  api.route('/', createSessionExportApi(reader, languageOf, badRequest));

  return api;
}
