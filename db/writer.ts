import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type MessagePort, type Transferable } from 'node:worker_threads';
import type { ExchangeEvent, ExchangeSink } from '../model/exchange.ts';
import type { ShedReport } from './backlog.ts';
import type { RetentionLimits } from './retention.ts';
import { databasePath } from './schema.ts';

export type ToWorker = { kind: 'events'; events: ExchangeEvent[] } | { kind: 'flush' | 'clear' | 'close'; token: number } | { kind: 'import'; token: number; events: ExchangeEvent[] };
export type FromWorker =
  | { kind: 'committed'; ids: number[] }
  | { kind: 'flushed'; token: number }
  | { kind: 'imported'; token: number; ids: number[]; error: string | null }
  | { kind: 'error'; message: string; waiting: number; lost: number }
  | ({ kind: 'shed' } & ShedReport)
  | { kind: 'recovered' }
  | { kind: 'warning'; message: string }
  | { kind: 'pruned'; deleted: number };

export interface WriterCallbacks {
  /** Exchanges whose stored rows changed, after their batch committed. */
  onCommitted?: (ids: number[]) => void;
  /** Storage failed; called once until it works again. */
  onError?: (message: string) => void;
  onRecovered?: () => void;
  onWarning?: (message: string) => void;
  /** Retention deleted this many old exchanges. */
  onPruned?: (deleted: number) => void;
}

export interface WriterOptions {
  /** The worker's entry module: db/writer-worker.ts, or one that imports it and sets its understanding (the CLI's). */
  worker: URL;
  /** Where the worker's entry posts a span for each finished exchange (OTLP export), and whether with content. */
  spans?: { port: MessagePort; content: boolean };
  retention: RetentionLimits;
  /** How often retention runs (and pending captures are flushed regardless). */
  pruneIntervalMs?: number;
  flushIntervalMs?: number;
  /** Bytes of captures held while storage fails, before the oldest payloads are left out. */
  maxBacklogBytes?: number;
}

/** What storage left out since wirelog started, because it was failing for too long. */
export type StorageLosses = ShedReport;

/**
 * The ExchangeSink that stores captures. Events are handed to a worker thread in batches
 * (one postMessage per event-loop turn); the worker writes them in transactions, so no
 * SQLite call ever runs on the thread that forwards traffic.
 */
export class CaptureWriter implements ExchangeSink {
  private readonly worker: Worker;
  private batch: ExchangeEvent[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;
  private nextToken = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly imports = new Map<number, { resolve: (ids: number[]) => void; reject: (err: Error) => void }>();
  private closed = false;
  /** The current storage failure, or null while captures are being stored. */
  lastError: string | null = null;
  readonly losses: StorageLosses = { exchanges: 0, bytes: 0 };

  constructor(dataDir: string, private readonly callbacks: WriterCallbacks, options: WriterOptions) {
    this.worker = startTsWorker(options.worker, {
      file: databasePath(dataDir),
      flushIntervalMs: options.flushIntervalMs ?? 20,
      retention: options.retention,
      pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
      maxBacklogBytes: options.maxBacklogBytes ?? 128 * 1024 * 1024,
      ...(options.spans ? { spans: options.spans.port, spanContent: options.spans.content } : {}),
    }, options.spans ? [options.spans.port] : []);
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (err) => {
      this.fail(`the storage worker crashed: ${err.message}`);
      for (const resolve of this.waiting.values()) resolve();
      this.waiting.clear();
      for (const pending of this.imports.values()) pending.reject(new Error(`the storage worker crashed: ${err.message}`));
      this.imports.clear();
    });
  }

  emit(event: ExchangeEvent): void {
    if (this.closed) return;
    if (event.type === 'body-chunk') {
      // Exactly these bytes in a buffer of their own, handed over without another copy:
      // cloning a Buffer copies its whole backing pool, often several times its size.
      const chunk = new Uint8Array(event.chunk);
      this.transfer.push(chunk.buffer);
      event = { ...event, chunk };
    }
    this.batch.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.post());
    }
  }

  /** Resolves once every event emitted so far is committed (or has failed). */
  flush(): Promise<void> {
    return this.request('flush');
  }

  /** Deletes every capture, after storing what is pending (so nothing stored later refers to them). */
  clear(): Promise<void> {
    return this.request('clear');
  }

  /** Stores whole exchanges (a HAR import) in one transaction: all of them, or none and the reason. */
  importEvents(events: ExchangeEvent[]): Promise<number[]> {
    this.post();
    const token = this.nextToken++;
    return new Promise((resolve, reject) => {
      this.imports.set(token, { resolve, reject });
      this.worker.postMessage({ kind: 'import', token, events } satisfies ToWorker);
    });
  }

  /** Stores what is pending, marks exchanges still open as interrupted, and stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.request('close');
    this.closed = true;
    await this.worker.terminate();
  }

  private request(kind: 'flush' | 'clear' | 'close'): Promise<void> {
    this.post();
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.waiting.set(token, resolve);
      this.worker.postMessage({ kind, token } satisfies ToWorker);
    });
  }

  private post(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const events = this.batch;
    const transfer = this.transfer;
    this.batch = [];
    this.transfer = [];
    try {
      this.worker.postMessage({ kind: 'events', events } satisfies ToWorker, transfer);
    } catch (err) {
      this.fail(`could not hand captures to the storage worker: ${(err as Error).message}`);
    }
  }

  private fail(message: string): void {
    const first = this.lastError === null;
    // Set first: the callback reads the status.
    this.lastError = message;
    if (first) this.callbacks.onError?.(message);
  }

  private onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'committed':
        this.callbacks.onCommitted?.(message.ids);
        break;
      case 'flushed':
        this.waiting.get(message.token)?.();
        this.waiting.delete(message.token);
        break;
      case 'imported': {
        const pending = this.imports.get(message.token);
        this.imports.delete(message.token);
        if (message.error === null) pending?.resolve(message.ids);
        else pending?.reject(new Error(message.error));
        break;
      }
      case 'error':
        this.losses.exchanges += message.lost;
        this.fail(
          message.lost
            ? `storing captures failed: ${message.message} (${message.lost} exchange(s) not stored; traffic still flows)`
            : `storing captures failed: ${message.message} (${message.waiting} exchange(s) waiting, retrying; traffic still flows)`,
        );
        break;
      case 'shed':
        this.losses.exchanges += message.exchanges;
        this.losses.bytes += message.bytes;
        this.callbacks.onWarning?.(
          `storage has been failing for too long: left out ${message.exchanges} exchange(s) and ${message.bytes} body byte(s) to bound memory (their bodies are marked truncated)`,
        );
        break;
      case 'recovered':
        this.lastError = null;
        this.callbacks.onRecovered?.();
        break;
      case 'warning':
        this.callbacks.onWarning?.(message.message);
        break;
      case 'pruned':
        this.callbacks.onPruned?.(message.deleted);
        break;
    }
  }
}

/** Starts a worker from a .ts file under tsx (which registers itself per thread), or a .js file directly. */
/** A worker thread from a module: the built .js as it is, a .ts source through tsx. */
export function startTsWorker(file: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData, transferList });
  // The ESM build of tsx's API: its CommonJS build cannot register the loader from a worker.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}
