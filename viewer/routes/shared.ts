// What every resource app of the API shares (viewer/api-app.ts mounts them): the language a request
// asked for, refusals in it from the catalogue (`server.api.*`), the 400 that names each field it
// could not take (`server.request.*`), and the same-origin rule for state changes. A handler
// that throws is answered by viewer/errors.ts, installed once on the viewer's app.
import type { Context } from 'hono';
import type { z } from 'zod';
import { damagedRefusal } from '../../db/stored-values.ts';
import { isLanguage, languageOf, type Language } from '../../i18n/languages.ts';
import { localized, serverText } from '../../i18n/stored-text.ts';
import type { Exchange } from '../../model/exchange.ts';

/** What a resource app is given to tell the viewer's own page from another site (viewer/access.ts). */
export type OwnOrigins = (c: Context) => ReadonlySet<string>;

/** The hook zValidator calls with a query, a parameter or a body it checked: a 400 when it did not validate. */
export type BadRequest = (result: { success: boolean; error?: z.ZodError }, c: Context) => Response | undefined;

/**
 * The language a request asked for: `?lang=zh-CN` (the viewer's own choice), else the first of
 * Accept-Language's that wirelog speaks (a browser's, an EventSource's), else English.
 */
export function requestLanguage(c: Context): Language {
  const param = c.req.query('lang');
  if (param && isLanguage(param)) return param;
  const tags = (c.req.header('accept-language') ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...options] = part.trim().split(';');
      const q = Number(/q=([\d.]+)/.exec(options.join(';'))?.[1] ?? 1);
      return { tag, q: Number.isNaN(q) ? 0 : q, i };
    })
    .filter((t) => t.tag && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of tags) {
    const language = languageOf(tag);
    if (language) return language;
  }
  return 'en';
}

/** An API refusal in the request's language, from the catalogue (`server.api.*`). */
export function refusal(c: Context, key: string, params: Record<string, string | number> = {}): string {
  return serverText(requestLanguage(c), `api.${key}`, params);
}

/** A damaged row opens (what could be read, and what not) but is not compared, copied as code or replayed: 422 naming the damage. */
export function refuseDamaged(c: Context, exchange: Exchange, what: string) {
  const refused = damagedRefusal(exchange, what);
  return refused === null ? null : c.json({ error: localized(refused, requestLanguage(c)) }, 422);
}

// Schema messages are keys of the catalogue's `server.request` (fixMethod...), said in the request's language.
const FIX_KEY = /^fix[A-Z]\w*$/;

/** How to write a field the API could not take, in `lang`: the schema's own fix, else one for zod's kind of problem. */
function fixOf(issue: z.ZodIssue, lang: Language): string {
  const say = (key: string, params: Record<string, string | number> = {}) => serverText(lang, `request.${key}`, params);
  if (FIX_KEY.test(issue.message)) return say(issue.message);
  switch (issue.code) {
    case 'invalid_enum_value':
      return say('fixOneOf', { values: issue.options.join(', ') });
    case 'unrecognized_keys':
      return say('fixUnknown');
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'integer'
        ? say('fixNumber')
        : say('fixType', { expected: issue.expected, received: issue.received });
    case 'too_small':
      return issue.type === 'string' ? say('fixNotEmpty') : say('fixAtLeast', { min: Number(issue.minimum) });
    case 'too_big':
      return issue.type === 'string'
        ? say('fixTextAtMost', { max: Number(issue.maximum) })
        : say('fixAtMost', { max: Number(issue.maximum) });
    case 'invalid_union':
      return issue.path[0] === 'b' ? say('fixCompareWith') : issue.message;
    default:
      return issue.message;
  }
}

/** A request the API cannot take: 400 naming each field and how to write it, in the request's language. */
export const badRequest: BadRequest = (result, c) => {
  if (!result.success) {
    const lang = requestLanguage(c);
    const message = result
      .error!.issues.map((issue) => {
        const field =
          issue.code === 'unrecognized_keys'
            ? issue.keys.join(', ')
            : issue.path.join('.') || serverText(lang, 'request.query');
        return serverText(lang, 'request.badField', { field, fix: fixOf(issue, lang) });
      })
      .join(lang === 'zh-CN' ? '；' : '; ');
    return c.json({ error: message }, 400);
  }
};

/** State changes must come from our own page: a site open in another tab cannot clear captures. */
export function sameOrigin(c: Context, ownOrigins: ReadonlySet<string>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  return origin === undefined ? site === 'same-origin' : ownOrigins.has(origin);
}
