import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { serverText } from '../i18n/stored-text.ts';
import { requestLanguage } from './routes/shared.ts';

/**
 * What the API answers when a handler throws: JSON naming the request and the cause, never a
 * bare "Internal Server Error". A capture wirelog cannot read is a bug of wirelog's, not the
 * user's; the message says which call failed so it can be reported, and the viewer shows it,
 * in the request's language (server.api.apiFault; the console's line stays English for the report).
 */
export function apiErrorHandler(log: (message: string) => void = () => undefined): ErrorHandler {
  return (err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    const where = `${c.req.method} ${new URL(c.req.url).pathname}`;
    const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log(`wirelog viewer: ${where} failed: ${cause}`);
    return c.json(
      { error: serverText(requestLanguage(c), 'api.apiFault', { where, cause: cause.slice(0, 500) }) },
      500,
    );
  };
}
