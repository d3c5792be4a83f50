// The viewer's API (/api): one small Hono app per resource (viewer/routes/), mounted together
// here, with what they share (the request's language, the 400 naming each field, the same-origin
// rule) in viewer/routes/shared.ts. A handler that throws is answered by viewer/errors.ts.
import { Hono, type Context } from 'hono';
import type { ExchangeReader } from '../db/reader.ts';
import type { Replayer } from '../replay/replayer.ts';
import type { LiveFeed } from './live-fanout.ts';
import { createCompareApi } from './routes/compare-api.ts';
import { createExchangesApi } from './routes/exchanges-api.ts';
import { createExportApi } from './routes/export-api.ts';
import { createImportApi, type ImportHar } from './routes/import-api.ts';
import { createLiveApi } from './routes/live-api.ts';
import { createReplayApi } from './routes/replay-api.ts';
import { badRequest, refusal, requestLanguage } from './routes/shared.ts';
import { createStatusApi, type ViewerStatus } from './routes/status-api.ts';
import { createSessionsApi } from './sessions-api.ts';

export { requestLanguage } from './routes/shared.ts';
export { summaryIn } from './routes/in-language.ts';
export type { ViewerStatus } from './routes/status-api.ts';

export interface ApiOptions {
  reader: ExchangeReader;
  live: LiveFeed;
  status: () => ViewerStatus;
  /** Deletes every capture (done by the storage worker, off the forwarding thread). */
  clear: () => Promise<void>;
  /** Replays stored exchanges through the proxy; absent where nothing may be sent (tests of the API alone). */
  replayer?: Replayer;
  /**
   * Imports an uploaded HAR off the forwarding thread (cli/viewer-import.ts), reporting progress;
   * throws HarImportError for a bad file, HarStorageError when storing failed.
   */
  importHar?: ImportHar;
}

export function createApi(options: ApiOptions, ownOrigins: (c: Context) => ReadonlySet<string>): Hono {
  const { reader, live, status, replayer } = options;
  const api = new Hono();
  api.route('/status', createStatusApi(reader, status));
  api.route('/exchanges', createExchangesApi({ reader, live, clear: options.clear, replayer, ownOrigins }));
  api.route('/exchanges', createReplayApi(reader, replayer, ownOrigins));
  api.route('/import', createImportApi(options.importHar, ownOrigins));
  api.route('/compare', createCompareApi(reader));
  api.route(
    '/export.har',
    createExportApi(reader, () => status().version),
  );
  api.route('/live', createLiveApi(reader, live, status));
  api.route('/sessions', createSessionsApi(reader, requestLanguage, badRequest));
  api.all('*', (c) => c.json({ error: refusal(c, 'noRoute', { method: c.req.method, path: c.req.path }) }, 404));
  return api;
}
