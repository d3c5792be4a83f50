import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export interface AccessOptions {
  /** The port the viewer listens on (known once it is bound). */
  port: () => number;
  /**
   * Required from every request when the viewer listens beyond loopback; null on loopback,
   * where the Host check alone keeps other sites and machines out.
   */
  token: string | null;
}

const COOKIE = 'wirelog_token';

/** This machine's loopback names on our own port: what a page on another site cannot be (DNS rebinding). */
function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Origins of the viewer's own pages: loopback, or with a token, whatever name it was opened by. */
export function ownOrigins(c: Context, options: AccessOptions): Set<string> {
  const origins = new Set([...loopbackHosts(options.port())].map((host) => `http://${host}`));
  if (options.token !== null) origins.add(`http://${(c.req.header('host') ?? '').toLowerCase()}`);
  return origins;
}

/** A page on another site may link to the viewer, but never call its API. */
function crossSite(c: Context, options: AccessOptions): string | null {
  const site = c.req.header('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
  const origin = c.req.header('origin');
  if (origin !== undefined && !ownOrigins(c, options).has(origin)) return `Origin: ${origin}`;
  return null;
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may use the viewer: the Host check (loopback) or the token (beyond loopback), then no
 * cross-site API calls. The token arrives once in the URL printed on the console and is kept in
 * an HttpOnly, SameSite=Strict cookie; scripts may send it as a Bearer token instead.
 */
export function accessGuard(options: AccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    const { token } = options;
    if (token === null) {
      if (!loopbackHosts(options.port()).has(host)) {
        return c.text(
          `wirelog refuses requests for Host "${host}": open the viewer as http://127.0.0.1:${options.port()}\n`,
          403,
        );
      }
    } else {
      const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!sameSecret(getCookie(c, COOKIE), token) && !sameSecret(bearer, token)) {
        const url = new URL(c.req.url);
        if (c.req.method === 'GET' && sameSecret(url.searchParams.get('token') ?? undefined, token)) {
          setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
          url.searchParams.delete('token');
          // Off the address bar and out of the history: the URL is not where the token lives.
          // Only ever to a path here: "//evil.example/" would be another site.
          return c.redirect(`/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`, 303);
        }
        return c.text(
          'This wirelog viewer listens beyond this machine and needs its token: open the viewer URL printed on the console when wirelog started (…/?token=…), or send Authorization: Bearer TOKEN.\n',
          401,
        );
      }
    }
    if (c.req.path.startsWith('/api/')) {
      const refused = crossSite(c, options);
      if (refused)
        return c.json(
          { error: `cross-site request refused (${refused}): only the wirelog viewer itself may call its API` },
          403,
        );
    }
    await next();
  };
}
