// The session API (issue 27): recent sessions with their headers, a session's turns by page, one
// turn's context and the diff between two turns. Mounted by viewer/api.ts under /api/sessions.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import type { i18n } from 'i18next';
import { z } from 'zod';
import type { ExchangeReader } from '../db/reader.ts';
import { createI18n } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { recentSessions, sessionPage, SessionQuestionError, turnContext, turnDiff } from '../llm/session-read.ts';

const translators = new Map<Language, i18n>();

function sessionText(lang: Language, key: string, params: Record<string, string | number> = {}): string {
  let instance = translators.get(lang);
  if (!instance) translators.set(lang, (instance = createI18n(lang)));
  return instance.t(`sessions.api.${key}`, params);
}

const keyParam = z.object({ key: z.string().min(1).max(200) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(30) });
const pageQuery = z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(100) });
const turnQuery = z.object({ turn: z.coerce.number().int().positive() });
const diffQuery = z.object({ a: z.coerce.number().int().positive().optional(), b: z.coerce.number().int().positive() });

/**
 * @param languageOf the language a request asked for (viewer/api.ts's requestLanguage)
 * @param badRequest the API's answer to a query that does not validate
 */
export function createSessionsApi(reader: ExchangeReader, languageOf: (c: Context) => Language, badRequest: (result: { success: boolean; error?: z.ZodError }, c: Context) => Response | undefined): Hono {
  const api = new Hono();
  const answer = <T>(c: Context, work: () => T) => {
    try {
      return c.json(work() as object);
    } catch (err) {
      if (!(err instanceof SessionQuestionError)) throw err;
      return c.json({ error: sessionText(languageOf(c), err.reason, err.params) }, err.reason === 'noSession' || err.reason === 'notInSession' ? 404 : 422);
    }
  };

  api.get('/', zValidator('query', listQuery, badRequest), (c) => c.json({ sessions: recentSessions(reader, c.req.valid('query').limit) }));

  api.get('/:key', zValidator('param', keyParam, badRequest), zValidator('query', pageQuery, badRequest), (c) => {
    const { offset, limit } = c.req.valid('query');
    return answer(c, () => sessionPage(reader, c.req.valid('param').key, offset, limit));
  });

  api.get('/:key/context', zValidator('param', keyParam, badRequest), zValidator('query', turnQuery, badRequest), (c) => answer(c, () => turnContext(reader, c.req.valid('param').key, c.req.valid('query').turn)));

  api.get('/:key/diff', zValidator('param', keyParam, badRequest), zValidator('query', diffQuery, badRequest), (c) => {
    const { a, b } = c.req.valid('query');
    return answer(c, () => turnDiff(reader, c.req.valid('param').key, b, a));
  });

  return api;
}
