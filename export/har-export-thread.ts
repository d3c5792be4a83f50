// `wirelog export --har` on threads of their own (export/har-export-worker.ts), with V8 set for
// throughput: the CLI runs with a 2 MB young generation and --optimize-for-size (bin/wirelog.js's
// flags then; since, --heap-growing-percent=30, which keeps the old generation near as small),
// which suit a proxy's short-lived garbage but made a HAR export spend a third of its CPU in
// garbage collection and twice the CPU in all (bench/har-export-speed.ts). A young generation is
// sized when its thread starts: the workers get a larger one, and the heuristics for speed.
//
// One core writes some 29 MB of HAR a CPU-second: two workers share the export. This thread fixes
// the ranges of ids first (RANGE_EXCHANGES of the keyset the export walks, read as ids alone, each
// range fixed before it is handed out, so a row that arrives or changes meanwhile is in one range
// or none, as in one walk), hands range k to worker k % 2, and writes the ranges strictly in order:
// the HAR's head, each range's entries, its tail. A worker writes a range's entries a megabyte at a
// time and hands each chunk here (moved, not copied); it waits when CHUNKS_IN_FLIGHT of its chunks
// are not yet written, so memory stays flat whatever the writer's speed. The bytes are those
// writeHar writes on one thread (test/har-export-thread.test.ts): a range's first entry comes after
// `\n`, and a `,` is written here before it when an earlier range had entries.
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type ExchangeFilter, ExchangeReader } from '../db/reader.ts';
import { addSkipped, type HarPages, type HarWritten, harHead, harTail } from './har.ts';
import { startModuleWorker } from '../db/module-worker.ts';

/** What a worker is told: the database file and what to export. */
export interface HarExportWorkerData {
  file: string;
  filter: HarFilter;
}

export type HarFilter = Omit<ExchangeFilter, 'before' | 'after' | 'limit' | 'sort'>;

/** Ids above `after` and, unless it is the last range, below `before`: the `index`-th range of the export. */
export interface HarRange {
  index: number;
  after: number;
  before?: number;
}

/** From a worker: a chunk of a range (its bytes moved with it), a range's end with what it wrote, or why it stopped. */
export type FromHarWorker =
  | { type: 'chunk'; range: number; bytes: Uint8Array }
  | { type: 'range'; range: number; written: HarWritten; pages: [string, number][] }
  | { type: 'failed'; message: string };

/**
 * To a worker: a chunk was written (it may send another; `bytes`, the chunk's memory given back to
 * be filled again, when the writer keeps nothing), a range to write, or no more ranges (it closes and ends).
 */
export type ToHarWorker =
  | { type: 'written'; bytes?: ArrayBuffer }
  | { type: 'range'; range: HarRange }
  | { type: 'end' };

/**
 * Chunks (of a megabyte at most) a worker has handed over and that are not yet written: bounds the
 * memory they take. Two keep the writer busy while the worker fills the next; with 4, two workers'
 * peak on 200,000 exchanges of the packed store was some 5 MB higher (188-191 MB against 194-197,
 * load 8-9) for no less CPU.
 */
export const CHUNKS_IN_FLIGHT = 2;

/** Exchanges a range holds (the last may hold fewer): some 1.5 MB of HAR at the packed store's 3.8 KB an entry. */
export const RANGE_EXCHANGES = 400;

/** Ranges handed out ahead of the one being written, per worker: a worker finishes a small range and goes on. */
const RANGES_AHEAD = 4;

/** The most workers an export uses (on a machine with two cores or more, unless WIRELOG_HAR_WORKERS=1). */
const MAX_WORKERS = 2;

// The workers' V8: heuristics for speed, and a young generation of 8 MB a semi-space (a page's
// objects die young there instead of being promoted and marked). `export --har` of 100,001
// exchanges of the packed million-exchange store (384 MB), CPU seconds and peak RSS: 26.3 s and
// 124 MB with the CLI's old flags on its main thread; 17.3 s, 165 MB without --optimize-for-size; on
// this worker 18.2 s, 226 MB with a 2 MB semi-space, 16.4 s, 233 MB with 4, 14.4 s, 255 MB with
// 8, 14.3 s, 258 MB with 16 (load average 14-18 on 2 cores).
const THROUGHPUT_FLAGS = '--max-semi-space-size=8 --no-optimize-for-size';

// The workers' chunks arrive here as moved ArrayBuffers, written and dropped; this thread makes
// almost no garbage of its own, so V8 collects them only once their external memory passes its
// own limit (about 64 MB): the export's peak rose with the first tens of MB it wrote (test/
// har-scale.test.ts: 180 -> 241 MB from 800 to 3,200 exchanges). Collecting every COLLECT_EVERY
// bytes written keeps what waits to be freed bounded (a collection of this thread's small heap
// takes a few ms: some 120 for a million exchanges' 3.8 GB).
const COLLECT_EVERY = 8 * 1024 * 1024;
let collector: (() => void) | null = null;
function collectWrittenChunks(): void {
  if (!collector) {
    v8.setFlagsFromString('--expose-gc');
    collector = vm.runInNewContext('gc') as () => void;
  }
  collector();
}

/** Thrown when a worker stops before the HAR is whole: the error it gave, or its exit code (said by the CLI, i18n harExport). */
export class HarExportError extends Error {
  constructor(
    readonly reason: string | null,
    readonly exitCode: number | null,
  ) {
    super(reason ?? `exit code ${exitCode}`);
  }
}

/** How an export is shared out: tests make ranges small, and watch the chunks in flight. */
export interface HarThreadOptions {
  workers?: number;
  rangeExchanges?: number;
  /** Called as each chunk arrives: each worker's chunks handed over and not yet written. */
  inFlight?: (perWorker: readonly number[]) => void;
  /**
   * False where the process does other work (the viewer's export, on the forwarding thread's
   * process): V8's flags are left as they are for the threads it starts later, and written chunks
   * are not collected by hand (a full collection of a proxy's heap would stall its traffic).
   */
  tuneProcess?: boolean;
  /**
   * `write`'s promise settles only once the chunk's bytes are written out and it holds none of
   * them (the CLI's waits for each write's callback): each chunk's memory then goes back to its
   * worker to be filled again, so no chunk is garbage here and none is allocated there.
   */
  writesOut?: boolean;
  /**
   * The export as one open range on one worker, which walks its keys itself: nothing is read on
   * this thread (the viewer's, which forwards traffic: a range's ids of a common word or of a
   * filter few rows match took 0.2-1.2 s to read at a million).
   */
  oneRange?: boolean;
  /**
   * Aborted: the export stops at once and its workers are terminated (the viewer's client went
   * away). Without it a walk that finds nothing to write would not notice before its end: a filter
   * few rows match walks the whole store.
   */
  signal?: AbortSignal;
}

/** The export was stopped by its signal. */
export class HarExportCancelled extends Error {}

/**
 * Two workers where the machine has two cores or more, unless WIRELOG_HAR_WORKERS=1 asks for one.
 * Two wrote the million store's HAR 1.0-1.8x as fast on this shared two-core machine (only as fast
 * as the second core was free: 69 MB/s against 44 at load 1-4) for some 10% more CPU. Their memory
 * was what kept them off by default (245 MB against 166, growing with the export's first thousands
 * of exchanges): it was SQLite's page cache, 16 MB a connection once filled (EXPORT_CACHE_KIB).
 * Bounded, two peak at 183-189 MB on the million, one at 135-142 (load 6-11).
 */
function defaultWorkers(): number {
  const asked = Number(process.env.WIRELOG_HAR_WORKERS);
  const cores = os.availableParallelism();
  return Math.max(1, Math.min(MAX_WORKERS, cores, Number.isInteger(asked) && asked > 0 ? asked : MAX_WORKERS));
}

// better-sqlite3 builds SQLite with a page cache of 16 MB a connection (SQLITE_DEFAULT_CACHE_SIZE
// =-16000 in its deps/defines.gypi), filled as pages are read and never given back: an export reads
// each page of the store once, so each of its connections (this thread's keys and each worker's)
// grew by 16 MB over its first 16 MB read and kept them, the peak growing with the export's first
// thousands of exchanges (test/har-scale.test.ts). The pages read more than once are the indexes'
// upper levels and the parts sessions share (kept decompressed apart, export/har.ts RecentParts):
// 2 MB holds them.
export const EXPORT_CACHE_KIB = 2048;

/** A read-only connection to `file` for an export: its page cache bounded (EXPORT_CACHE_KIB). */
export function openExportDatabase(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${EXPORT_CACHE_KIB}`);
  return db;
}

/**
 * The HAR of `file`'s exchanges written through `write` (awaited: backpressure), read on worker
 * threads. The process's V8 flags are set for throughput first: call it from a command that does
 * nothing else (the flags apply to every thread started after).
 */
export async function writeHarOffThread(
  file: string,
  filter: HarFilter,
  write: (chunk: Buffer) => unknown,
  version: string,
  options: HarThreadOptions = {},
): Promise<HarWritten> {
  if (options.tuneProcess !== false) v8.setFlagsFromString(THROUGHPUT_FLAGS);
  let keys: Database.Database;
  try {
    keys = openExportDatabase(file);
  } catch (err) {
    throw new HarExportError((err as Error).message, null);
  }
  try {
    return await new RangeExport(new ExchangeReader(keys), file, filter, write, version, options).run();
  } finally {
    keys.close();
  }
}

/** One export's ranges, workers and writing (writeHarOffThread). */
class RangeExport {
  private readonly rangeExchanges: number;
  private readonly workerCount: number;
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[] = [];
  private readonly ended = new Set<Worker>();
  // Ranges handed out; where the next one starts; whether the last (open) one is out.
  private handed = 0;
  private nextAfter = 0;
  private lastHanded = false;
  // The range being written, whether its first chunk is out, and messages of ranges not written yet.
  private current = 0;
  private currentStarted = false;
  private readonly waiting = new Map<number, FromHarWorker[]>();
  private readonly written: HarWritten = { entries: 0, skipped: 0, skippedIds: [] };
  private readonly pages: HarPages = new Map();
  private pumping = false;
  private sinceCollected = 0;
  private settled = false;
  private resolve!: (written: HarWritten) => void;
  private reject!: (err: Error) => void;

  constructor(
    private readonly keys: ExchangeReader,
    private readonly file: string,
    private readonly filter: HarFilter,
    private readonly write: (chunk: Buffer) => unknown,
    private readonly version: string,
    private readonly options: HarThreadOptions,
  ) {
    this.rangeExchanges = options.rangeExchanges ?? RANGE_EXCHANGES;
    this.workerCount = options.oneRange ? 1 : (options.workers ?? defaultWorkers());
  }

  run(): Promise<HarWritten> {
    const done = new Promise<HarWritten>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const { signal } = this.options;
    if (signal) {
      const stop = () => this.fail(new HarExportCancelled());
      if (signal.aborted) stop();
      else {
        signal.addEventListener('abort', stop, { once: true });
        const forget = () => signal.removeEventListener('abort', stop);
        done.then(forget, forget);
      }
    }
    this.start().catch((err: Error) => this.fail(err));
    return done;
  }

  private async start(): Promise<void> {
    if (this.settled) return;
    await this.write(Buffer.from(harHead(this.version)));
    // --since: the first range's ids read from the first exchange that can match, not from the first id.
    if (this.filter.since !== undefined && !this.options.oneRange) {
      try {
        this.nextAfter = this.keys.firstIdSince(this.filter.since) - 1;
      } catch (err) {
        throw new HarExportError((err as Error).message, null);
      }
    }
    this.handOut();
  }

  /**
   * The next range, its end fixed now from the keyset (ids alone): the last range has no end, so a
   * row stored meanwhile past the others is in it, as a single walk would reach it.
   */
  private nextRange(): HarRange | null {
    if (this.lastHanded) return null;
    if (this.options.oneRange) {
      this.lastHanded = true;
      return { index: this.handed++, after: 0 };
    }
    let ids: number[];
    try {
      ids = this.keys.listIds({ ...this.filter, after: this.nextAfter, limit: this.rangeExchanges });
    } catch (err) {
      // The database read here as a worker reads it: its error said the same way.
      throw new HarExportError((err as Error).message, null);
    }
    // From just before its first match: a worker does not walk again the rows before it that do not
    // match (the first range of a --since of the newest tenth walked 900,000 rows here and there).
    const range: HarRange = { index: this.handed++, after: ids.length ? ids[0] - 1 : this.nextAfter };
    if (ids.length < this.rangeExchanges) this.lastHanded = true;
    else {
      const last = ids[ids.length - 1];
      range.before = last + 1;
      this.nextAfter = last;
    }
    return range;
  }

  /** Ranges handed out up to RANGES_AHEAD a worker past the one being written; a worker started at its first. */
  private handOut(): void {
    while (!this.settled && this.handed < this.current + RANGES_AHEAD * this.workerCount) {
      const range = this.nextRange();
      if (!range) return;
      this.workerOf(range.index).postMessage({ type: 'range', range } satisfies ToHarWorker);
    }
  }

  private workerOf(range: number): Worker {
    const k = range % this.workerCount;
    this.workers[k] ??= this.startWorker(k);
    return this.workers[k];
  }

  private startWorker(k: number): Worker {
    const entry = new URL(
      import.meta.url.endsWith('.ts') ? './har-export-worker.ts' : './har-export-worker.js',
      import.meta.url,
    );
    const worker = startWorker(entry, { file: this.file, filter: this.filter });
    this.inFlight[k] = 0;
    worker.on('message', (message: FromHarWorker) => {
      if (message.type === 'failed') return this.fail(new HarExportError(message.message, null));
      if (message.type === 'chunk') {
        this.inFlight[k]++;
        this.options.inFlight?.(this.inFlight);
      }
      const queue = this.waiting.get(message.range) ?? [];
      queue.push(message);
      this.waiting.set(message.range, queue);
      this.pump();
    });
    worker.once('error', (err) => this.fail(err));
    worker.once('exit', (code) => {
      if (!this.ended.has(worker)) this.fail(new HarExportError(null, code));
    });
    return worker;
  }

  /** Writes what has come of the range being written, range after range, one write at a time. */
  private pump(): void {
    if (this.pumping || this.settled) return;
    this.pumping = true;
    this.drain()
      .then(() => {
        this.pumping = false;
      })
      .catch((err: Error) => this.fail(err));
  }

  private async drain(): Promise<void> {
    for (let message = this.nextMessage(); message && !this.settled; message = this.nextMessage()) {
      if (message.type === 'chunk') {
        // Entries before this range's first: its `\n` becomes `,\n`, as in one walk.
        if (!this.currentStarted && this.written.entries > 0) await this.write(Buffer.from(','));
        this.currentStarted = true;
        const { bytes } = message;
        await this.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        if (this.options.writesOut) {
          // Written out: the chunk's memory goes back to be filled again, no garbage made here.
          this.inFlight[message.range % this.workerCount]--;
          const memory = bytes.buffer as ArrayBuffer;
          this.workerOf(message.range).postMessage({ type: 'written', bytes: memory } satisfies ToHarWorker, [memory]);
          continue;
        }
        this.sinceCollected += bytes.byteLength;
        if (this.sinceCollected >= COLLECT_EVERY && this.options.tuneProcess !== false) {
          this.sinceCollected = 0;
          collectWrittenChunks();
        }
        const worker = this.workerOf(message.range);
        this.inFlight[message.range % this.workerCount]--;
        worker.postMessage({ type: 'written' } satisfies ToHarWorker);
      } else if (message.type === 'range') {
        this.written.entries += message.written.entries;
        addSkipped(this.written, message.written);
        for (const [page, startedAt] of message.pages) if (!this.pages.has(page)) this.pages.set(page, startedAt);
        this.waiting.delete(this.current);
        this.current++;
        this.currentStarted = false;
        if (this.lastHanded && this.current === this.handed) return this.finish();
        this.handOut();
      }
    }
  }

  private nextMessage(): FromHarWorker | undefined {
    return this.waiting.get(this.current)?.shift();
  }

  private async finish(): Promise<void> {
    await this.write(Buffer.from(harTail(this.written, this.pages)));
    await this.stopWorkers(false);
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.written);
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    void this.stopWorkers(true);
    this.reject(err);
  }

  /** Each worker told there is no more (it closes its database and ends), or stopped at once after a failure. */
  private async stopWorkers(now: boolean): Promise<void> {
    await Promise.all(
      this.workers.map((worker) => {
        this.ended.add(worker);
        if (now) return worker.terminate();
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.postMessage({ type: 'end' } satisfies ToHarWorker);
        return exited;
      }),
    );
  }
}

/** A worker thread (db/module-worker.ts). */
function startWorker(file: URL, workerData: HarExportWorkerData): Worker {
  return startModuleWorker(file, { workerData });
}
