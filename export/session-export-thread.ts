// A session exported for the viewer's download (issue 27) off the thread that forwards traffic:
// a long session reads and parses every turn's body (a 500-turn Codex session: seconds of work),
// so a worker (export/session-export-worker.ts) opens the database read-only and hands back the
// page in pieces, which the API streams to the browser. A database in memory (tests of the API
// alone) is exported on the caller's thread.
import type { Worker } from 'node:worker_threads';
import type { ExchangeReader } from '../db/reader.ts';
import { createI18n } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { VERSION } from '../cli/version.ts';
import { resolveSessionKey, SessionExportError, writeSession, type SessionRenderer } from './session-export.ts';
import { SessionHtml } from './session-html.ts';
import { SessionMarkdown } from './session-markdown.ts';
import { startModuleWorker } from '../db/module-worker.ts';

export type SessionExportFormat = 'html' | 'markdown';

export interface SessionExportJob {
  key: string;
  format: SessionExportFormat;
  lang: Language;
  exportedAt: number;
}

export interface SessionExportWorkerData extends SessionExportJob {
  file: string;
}

/** What the export says as it goes: the session found (or refused), pieces of the page, its end. */
export type SessionExportMessage =
  | { type: 'start'; key: string }
  | { type: 'refused'; error: string }
  | { type: 'chunk'; text: string }
  | { type: 'end'; turns: number }
  | { type: 'failed'; error: string };

// The worker's heap at most: a page of parsed turns and one body at a time fit well inside.
const EXPORT_HEAP_MB = 512;
/** Text gathered before it is handed over: one message per turn would cost more than the turn. */
const CHUNK_CHARS = 256 * 1024;

export function rendererFor(job: Pick<SessionExportJob, 'format' | 'lang' | 'exportedAt'>): SessionRenderer {
  const { t } = createI18n(job.lang);
  return job.format === 'html'
    ? new SessionHtml(t, job.lang, VERSION, job.exportedAt)
    : new SessionMarkdown(t, job.lang, VERSION, job.exportedAt);
}

/** The export run here, each message handed to `say` (the worker posts them; a database in memory calls this directly). */
export async function runSessionExport(
  reader: ExchangeReader,
  job: SessionExportJob,
  say: (message: SessionExportMessage) => void,
): Promise<void> {
  let key: string;
  try {
    key = resolveSessionKey(reader, job.key);
  } catch (err) {
    if (!(err instanceof SessionExportError)) throw err;
    say({ type: 'refused', error: createI18n(job.lang).t('sessions.api.noSession', { key: job.key }) });
    return;
  }
  say({ type: 'start', key });
  let pending = '';
  const turns = await writeSession(reader, key, rendererFor(job), (text) => {
    pending += text;
    if (pending.length >= CHUNK_CHARS) {
      say({ type: 'chunk', text: pending });
      pending = '';
    }
  });
  if (pending) say({ type: 'chunk', text: pending });
  say({ type: 'end', turns });
}

/**
 * The export as a stream of messages: on a worker of its own for a database file, here for one
 * in memory. `say` is called with each message in order; the promise settles after the last.
 */
export function exportOffThread(
  reader: ExchangeReader,
  job: SessionExportJob,
  say: (message: SessionExportMessage) => void,
): Promise<void> {
  const file = reader.file;
  if (file === null)
    return runSessionExport(reader, job, say).catch((err: Error) => say({ type: 'failed', error: err.message }));
  // Beside this module: session-export-worker.ts in the sources, session-export-worker.js in the dist/ bundle.
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './session-export-worker.ts' : './session-export-worker.js',
    import.meta.url,
  );
  return new Promise((resolve) => {
    let done = false;
    const finish = (message?: SessionExportMessage) => {
      if (done) return;
      if (message) say(message);
      done = true;
      resolve();
    };
    const worker = startWorker(entry, { ...job, file });
    worker.on('message', (message: SessionExportMessage) => {
      if (done) return;
      if (message.type === 'end' || message.type === 'refused' || message.type === 'failed') finish(message);
      else say(message);
    });
    worker.once('error', (err: NodeJS.ErrnoException) =>
      finish({
        type: 'failed',
        error:
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `exporting session "${job.key}" needed more than the ${EXPORT_HEAP_MB} MB it may take`
            : `exporting session "${job.key}" failed: ${err.message}`,
      }),
    );
    worker.once('exit', (code) =>
      finish({ type: 'failed', error: `exporting session "${job.key}" stopped (exit code ${code}) before it ended` }),
    );
  });
}

/** A worker thread with a bounded heap (db/module-worker.ts). */
function startWorker(file: URL, workerData: SessionExportWorkerData): Worker {
  return startModuleWorker(file, { workerData, resourceLimits: { maxOldGenerationSizeMb: EXPORT_HEAP_MB } });
}
