import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { accessGuard, ownOrigins, type AccessOptions } from './access.ts';
import type { ApiOptions } from './api-app.ts';
import { apiErrorHandler } from './errors.ts';
import { pageWithFirstPage } from './first-page-html.ts';

export type { ViewerStatus } from './api-app.ts';
export type ViewerOptions = ApiOptions;

/** The built React app: dist/viewer, beside the bundle or under the sources' dist/. */
export const VIEWER_ASSETS = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../dist/viewer/' : './viewer/', import.meta.url),
);

// Captured bodies are shown as text by the app; this is the second wall if one ever is not.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function createViewerApp(options: ViewerOptions, access: AccessOptions, api = lazyApi(options, access)): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    c.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });

  app.onError(apiErrorHandler());
  app.use('*', accessGuard(access));
  // Whoever opens the viewer asks for its page first: the API loads meanwhile, not on the list's first request.
  app.use('*', async (_c, next) => {
    api.prepare();
    await next();
  });
  app.all('/api', (c) => api.fetch(c.req.raw, c.env));
  app.all('/api/*', (c) => api.fetch(c.req.raw, c.env));

  app.use('/assets/*', builtAssets(), serveStatic({ root: VIEWER_ASSETS }));
  app.get('*', (c) => {
    const index = `${VIEWER_ASSETS}index.html`;
    if (!fs.existsSync(index)) {
      return c.text(
        `The wirelog viewer is not built: run \`npm run build\` (npm start does it for you).\nThe API is at /api/exchanges.\n`,
        503,
      );
    }
    // Every app path (/exchanges/42) is the one page; the app reads the path. The list's first page comes inside it.
    return pageWithFirstPage(c, fs.readFileSync(index, 'utf8'), async (apiPath) => {
      const answer = await api.fetch(new Request(new URL(apiPath, c.req.url)), c.env);
      return answer.ok ? answer.text() : null;
    });
  });

  return app;
}

interface LazyApi {
  fetch: Hono['fetch'];
  /** Starts loading it, when not loaded yet. */
  prepare(): void;
  /** Whether a request loaded it (and so may have started the session thread). */
  loaded(): boolean;
}

/**
 * The API's modules (the list, the detail, sessions and their price table, 3 MB of heap) are
 * loaded when the viewer is first asked for something, not at start: a wirelog nobody looks at
 * holds only what captures. Loading the price table at start also left glibc's malloc keeping
 * freed blocks below 1 MB in the heap (its mmap threshold rises to the largest block freed):
 * npx tsx bench/memory.ts, resident at idle 109 MB -> 97 (main malloc heap 13 -> 6).
 */
function lazyApi(options: ViewerOptions, access: AccessOptions): LazyApi {
  let mounted: Promise<Hono> | null = null;
  const load = async () => {
    const { createApi } = await import('./api-app.ts');
    const app = new Hono();
    app.onError(apiErrorHandler());
    return app.route(
      '/api',
      createApi(options, (c) => ownOrigins(c, access)),
    );
  };
  // A load that failed is tried again by the next request (the failing one answers with the error).
  const get = () =>
    (mounted ??= load().catch((err: unknown) => {
      mounted = null;
      throw err;
    }));
  return {
    fetch: async (request, env) => (await get()).fetch(request, env),
    prepare: () => void get().catch(() => undefined),
    loaded: () => mounted !== null,
  };
}

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The app's scripts and styles, named by their content (Vite's hashes): sent in one write and
 * kept by the browser for good. A file stream sends a chunk per turn of the event loop, so the
 * app's code waited behind the list's first page (a synchronous read of the store, asked for by
 * the start-up entry while the rest was still on its way). Anything else goes on to serveStatic.
 */
function builtAssets(): MiddlewareHandler {
  return async (c, next) => {
    const name = c.req.path.slice('/assets/'.length);
    const type = ASSET_TYPES[path.extname(name)];
    if (type === undefined || !/^[\w.-]+$/.test(name)) return next();
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(VIEWER_ASSETS, 'assets', name));
    } catch {
      // Not the app page in its place: a chunk of an older build (the page opened before an update) fails as missing.
      return c.notFound();
    }
    c.header('content-type', type);
    c.header('cache-control', 'public, max-age=31536000, immutable');
    return c.body(new Uint8Array(bytes));
  };
}

export interface RunningViewer {
  port: number;
  url: string;
  /** Required by the viewer beyond loopback, printed once on the console; null on loopback. */
  token: string | null;
  close(): Promise<void>;
}

/** token: required from every request (see access.ts); null when listening on loopback only. */
export function startViewer(
  options: ViewerOptions,
  host: string,
  port: number,
  token: string | null = null,
): Promise<RunningViewer> {
  let boundPort = port;
  const access = { port: () => boundPort, token };
  const api = lazyApi(options, access);
  const app = createViewerApp(options, access, api);
  // A session thread is started by the API only: none when it was never loaded.
  const closeSessions = async () => {
    if (!api.loaded()) return;
    const { closeSessionThread } = await import('../llm/session-answer.ts');
    await closeSessionThread(options.reader.file);
  };
  return new Promise((resolve, reject) => {
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      boundPort = info.port;
      server.off('error', reject);
      resolve({
        port: info.port,
        token,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => void closeSessions().then(done));
          }),
      });
    });
    server.once('error', reject);
  });
}
