// `wirelog export --har` on a thread of its own (export/har-export-worker.ts), with V8 set for
// throughput: the CLI runs with a 2 MB young generation and --optimize-for-size (bin/wirelog.js),
// which suit a proxy's short-lived garbage but made a HAR export spend a third of its CPU in
// garbage collection and twice the CPU in all (bench/har-export-speed.ts). A young generation is
// sized when its thread starts: the worker gets a larger one, and the heuristics for speed. The
// worker reads and writes the HAR a megabyte at a time and hands each chunk here (moved, not
// copied), where it is written as before; a few chunks in flight at most, so memory stays flat and
// reading overlaps writing.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { ExchangeFilter } from '../db/reader.ts';
import type { HarWritten } from './har.ts';

/** What the worker is told: the database file, what to export, and the version the HAR names. */
export interface HarExportWorkerData {
  file: string;
  filter: HarFilter;
  version: string;
}

export type HarFilter = Omit<ExchangeFilter, 'before' | 'after' | 'limit' | 'sort'>;

/** From the worker: a chunk of the HAR (its bytes moved with it), the end, or why it stopped. */
export type FromHarWorker =
  | { type: 'chunk'; bytes: Uint8Array }
  | { type: 'done'; written: HarWritten }
  | { type: 'failed'; message: string };

/** To the worker: a chunk was written (it may send another). */
export type ToHarWorker = { type: 'written' };

/** Chunks (of a megabyte) handed over and not yet written: bounds the memory they take. */
export const CHUNKS_IN_FLIGHT = 4;

// The worker's V8: heuristics for speed, and a young generation of 8 MB a semi-space (a page's
// objects die young there instead of being promoted and marked). `export --har` of 100,001
// exchanges of the packed million-exchange store (384 MB), CPU seconds and peak RSS: 26.3 s and
// 124 MB with the CLI's flags on its main thread; 17.3 s, 165 MB without --optimize-for-size; on
// this worker 18.2 s, 226 MB with a 2 MB semi-space, 16.4 s, 233 MB with 4, 14.4 s, 255 MB with
// 8, 14.3 s, 258 MB with 16 (load average 14-18 on 2 cores).
const THROUGHPUT_FLAGS = '--max-semi-space-size=8 --no-optimize-for-size';

/** Thrown when the worker stops before the HAR is whole: the error it gave, or its exit code (said by the CLI, i18n harExport). */
export class HarExportError extends Error {
  constructor(
    readonly reason: string | null,
    readonly exitCode: number | null,
  ) {
    super(reason ?? `exit code ${exitCode}`);
  }
}

/**
 * The HAR of `file`'s exchanges written through `write` (awaited: backpressure), read on a worker
 * thread. The process's V8 flags are set for throughput first: call it from a command that does
 * nothing else (the flags apply to every thread started after).
 */
export function writeHarOffThread(
  file: string,
  filter: HarFilter,
  write: (chunk: Buffer) => unknown,
  version: string,
): Promise<HarWritten> {
  v8.setFlagsFromString(THROUGHPUT_FLAGS);
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './har-export-worker.ts' : './har-export-worker.js',
    import.meta.url,
  );
  const data: HarExportWorkerData = { file, filter, version };
  const worker = startWorker(entry, data);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null, written?: HarWritten) => {
      if (settled) return;
      settled = true;
      if (err) {
        void worker.terminate();
        reject(err);
      } else resolve(written as HarWritten);
    };
    // Chunks are written one after another, in the order they came.
    let writing: Promise<unknown> = Promise.resolve();
    worker.on('message', (message: FromHarWorker) => {
      if (message.type === 'chunk') {
        const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        writing = writing
          .then(() => write(bytes))
          .then(
            () => worker.postMessage({ type: 'written' } satisfies ToHarWorker),
            (err: Error) => settle(err),
          );
      } else if (message.type === 'done') writing.then(() => settle(null, message.written));
      else settle(new HarExportError(message.message, null));
    });
    worker.once('error', (err) => settle(err));
    worker.once('exit', (code) => writing.then(() => settle(new HarExportError(null, code))));
  });
}

/** A worker thread: the built .js as it is, a .ts source through tsx (as db/compare-reader.ts startWorker). */
function startWorker(file: URL, workerData: HarExportWorkerData): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData });
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
