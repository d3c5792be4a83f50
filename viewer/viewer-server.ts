import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { accessGuard, ownOrigins, type AccessOptions } from './access.ts';
import { closeSessionThread } from '../llm/session-answer.ts';
import { createApi, type ApiOptions } from './api-app.ts';
import { apiErrorHandler } from './errors.ts';

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

export function createViewerApp(options: ViewerOptions, access: AccessOptions): Hono {
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
  app.route(
    '/api',
    createApi(options, (c) => ownOrigins(c, access)),
  );

  app.use('/assets/*', serveStatic({ root: VIEWER_ASSETS }));
  app.get('*', (c) => {
    const index = `${VIEWER_ASSETS}index.html`;
    if (!fs.existsSync(index)) {
      return c.text(
        `The wirelog viewer is not built: run \`npm run build\` (npm start does it for you).\nThe API is at /api/exchanges.\n`,
        503,
      );
    }
    // Every app path (/exchanges/42) is the one page; the app reads the path.
    return c.html(fs.readFileSync(index, 'utf8'));
  });

  return app;
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
  const app = createViewerApp(options, { port: () => boundPort, token });
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
            server.close(() => void closeSessionThread(options.reader.file).then(done));
          }),
      });
    });
    server.once('error', reject);
  });
}
