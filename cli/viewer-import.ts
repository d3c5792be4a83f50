// A HAR uploaded to the viewer (POST /api/import), imported off the forwarding thread: the upload
// is written to a file in the data dir as it arrives (a chunk at a time: memory does not grow with
// the file, and the HAR's unmasked secrets stay in an owner-only directory), then read by
// cli/import-worker.ts, whose batches the storage worker stores. Imports run one at a time.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { startTsWorker } from '../db/writer.ts';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, type ImportProgress, type ImportResult } from '../export/har-stream.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import type { ApiOptions } from '../viewer/api-app.ts';
import { serverText } from '../i18n/stored-text.ts';

export interface ImportWorkerData {
  file: string;
  source: string;
  keepSecrets: boolean;
  progressEveryMs: number;
  /** Progress at least every this much of the import (importFraction), however soon. */
  progressStep: number;
  /** Entries and body bytes per batch (absent: export/har-stream.ts's small ones, stored between live captures). */
  batch?: { entries: number; bytes: number };
  /** Below the storage thread's priority (the viewer's: capture first); `wirelog import` has nothing to yield to. */
  lowPriority: boolean;
}

export type FromImportWorker =
  | { kind: 'progress'; progress: ImportProgress }
  | { kind: 'batch'; token: number; events: ExchangeEvent[] }
  | { kind: 'done'; result: ImportResult }
  | { kind: 'failed'; message: string; refused: boolean; storage: boolean };

export type ToImportWorker =
  | { kind: 'stored'; token: number; ids: number[] }
  | { kind: 'store-failed'; token: number; message: string };

/** What the viewer's import route calls (see ApiOptions.importHar). */
export type HarUploadImport = NonNullable<ApiOptions['importHar']>;

export interface ViewerImportOptions {
  dataDir: string;
  keepSecrets: boolean;
  /** Stores a batch of whole exchanges in one transaction (the storage worker). */
  importEvents: (events: ExchangeEvent[]) => Promise<number[]>;
  progressEveryMs?: number;
}

const PROGRESS_EVERY_MS = 200;

/** What the viewer's import route calls. */
export function viewerImporter(options: ViewerImportOptions): HarUploadImport {
  let queue: Promise<unknown> = Promise.resolve();
  return (upload, name, progress) => {
    const run = queue.then(() => importUpload(upload, name, progress, options));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function importUpload(
  upload: ReadableStream<Uint8Array>,
  name: string,
  progress: (p: ImportProgress) => void,
  options: ViewerImportOptions,
): Promise<ImportResult> {
  const file = path.join(options.dataDir, `import-${randomBytes(6).toString('hex')}.har`);
  try {
    await receive(upload, file, progress, options.progressEveryMs ?? PROGRESS_EVERY_MS);
    const data: ImportWorkerData = {
      file,
      source: name,
      keepSecrets: options.keepSecrets,
      progressEveryMs: options.progressEveryMs ?? PROGRESS_EVERY_MS,
      // The viewer hears of every 5% at least, however fast the import goes: a few dozen lines in all.
      progressStep: 0.05,
      lowPriority: true,
    };
    return await importInWorker(data, progress, options.importEvents);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Writes the upload to `file` as it arrives, saying how much came. */
async function receive(
  upload: ReadableStream<Uint8Array>,
  file: string,
  progress: (p: ImportProgress) => void,
  everyMs: number,
): Promise<void> {
  let bytes = 0;
  let last = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - last >= everyMs) {
        last = now;
        progress({ phase: 'upload', bytes, totalBytes: 0, entries: 0, stored: 0 });
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(upload as NodeReadableStream<Uint8Array>),
      count,
      fs.createWriteStream(file, { mode: 0o600 }),
    );
  } catch (err) {
    throw new HarStorageError(
      serverText('en', 'api.uploadNotKept', { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }),
    );
  }
}

/**
 * Imports a HAR file on a thread of its own (cli/import-worker.ts: read, checked, masked,
 * converted), `importEvents` storing each batch it sends here, one batch waiting while the next
 * is made: the two run on two cores. The viewer's import and `wirelog import` both.
 */
export function importInWorker(
  data: ImportWorkerData,
  progress: (p: ImportProgress) => void,
  importEvents: (events: ExchangeEvent[]) => Promise<number[]> | number[],
  /** `wirelog import`: the thread keeps the process alive (the viewer's does not keep a stopping wirelog alive). */
  keepAlive = false,
): Promise<ImportResult> {
  const name = data.source;
  // Beside this module: import-worker.ts in the sources, import-worker.js in the dist/ bundle.
  const entry = new URL(import.meta.url.endsWith('.ts') ? './import-worker.ts' : './import-worker.js', import.meta.url);
  const worker = startTsWorker(entry, data);
  if (!keepAlive) worker.unref();
  return new Promise<ImportResult>((resolve, reject) => {
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      done();
      void worker.terminate();
    };
    worker.on('message', (message: FromImportWorker) => {
      switch (message.kind) {
        case 'progress':
          return progress(message.progress);
        case 'batch':
          // Handed on as it came: the storage worker stores it between live captures (the viewer's).
          Promise.resolve()
            .then(() => importEvents(message.events))
            .then(
              (ids) => worker.postMessage({ kind: 'stored', token: message.token, ids } satisfies ToImportWorker),
              (err: Error) =>
                worker.postMessage({
                  kind: 'store-failed',
                  token: message.token,
                  message: err.message,
                } satisfies ToImportWorker),
            );
          return;
        case 'done':
          return settle(() => resolve(message.result));
        case 'failed':
          return settle(() =>
            reject(
              message.refused
                ? new HarImportError(message.message)
                : message.storage
                  ? new HarStorageError(message.message)
                  : new Error(serverText('en', 'api.importFailed', { name, error: message.message })),
            ),
          );
      }
    });
    worker.on('error', (err) =>
      settle(() => reject(new Error(serverText('en', 'api.importThreadFailed', { error: err.message })))),
    );
    worker.on('exit', (code) => settle(() => reject(new Error(serverText('en', 'api.importThreadStopped', { code })))));
  });
}
