import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type MessagePort, type Transferable } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { BodyRoom, ExchangeEvent, ExchangeSink } from '../model/exchange.ts';
import { Backlog, EVENT_OVERHEAD, costOf, type ShedReport } from './backlog.ts';
import { RingWriter, createRing } from './body-ring.ts';
import { chunkInRing, encodeEvents, type EncodedEvents, type PostedEvent } from './event-transport.ts';
import { boundEvent } from '../model/head-bounds.ts';
import type { RetentionLimits } from './retention.ts';
import { databasePath } from './schema.ts';
import { StorageNews, type BehindFigures } from './storage-news.ts';

export type ToWorker = ({ kind: 'events'; cost: number; seq: number } & EncodedEvents) | { kind: 'flush' | 'clear' | 'close'; token: number } | { kind: 'import'; token: number; events: ExchangeEvent[] };
export type FromWorker =
  | { kind: 'committed'; ids: number[] }
  | { kind: 'flushed'; token: number }
  | { kind: 'imported'; token: number; ids: number[]; error: string | null }
  | { kind: 'error'; message: string; waiting: number; lost: number }
  | ({ kind: 'shed' } & ShedReport)
  /** Storage works again and nothing waits: of what waited, exchanges stored, left out whole, discarded by a clear. */
  | { kind: 'recovered'; stored: number; lost: number; discarded: number }
  /** Everything up to the message of events `seq` is stored. */
  | { kind: 'stored'; seq: number }
  /** While recovering: exchanges with something still waiting. */
  | { kind: 'waiting'; exchanges: number }
  /** A clear discarded these exchanges, which waited to be stored. */
  | { kind: 'discarded'; exchanges: number }
  /** The worker released ring bytes the writer was waiting for. */
  | { kind: 'room' }
  /** The worker took in a message of events: their cost, and the body bytes among them that came as copies. */
  | { kind: 'took'; cost: number; copies: number }
  | { kind: 'warning'; message: string }
  | { kind: 'pruned'; deleted: number };

export interface WriterCallbacks {
  /** Exchanges whose stored rows changed, after their batch committed. */
  onCommitted?: (ids: number[]) => void;
  /** Storage failed; called once until it works again. */
  onError?: (message: string) => void;
  /** Storage works again: the line says what became of what waited. */
  onRecovered?: (message: string) => void;
  /** A line for the console: storage's condition changed (behind, caught up, leaving out...), or a warning. */
  onWarning?: (message: string) => void;
  /** Figures of the status changed without a line (how far behind, how many wait): viewers may fetch it again. */
  onState?: () => void;
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
  /** Body bytes on their way to the worker at most (the shared ring's size). */
  ringBytes?: number;
  /** Events (as backlogs count them) handed to the worker and not taken in yet, at most; as much again waits here. */
  maxInFlightBytes?: number;
}

// A body waits this long at most for storage to make room before its remaining bytes are left out.
export const STORAGE_WAIT_MS = 1000;
const RING_BYTES = 4 * 1024 * 1024;
// While the ring is full, the first MB of each body goes as a copy of its own and never waits:
// many small exchanges at once (a storage thread short of CPU) flow at full speed, within this
// bound for all such copies in flight. Bodies past their first MB wait for the ring.
const SMALL_BODY_BYTES = 1024 * 1024;
const MAX_COPIED_BYTES = 64 * 1024 * 1024;
// Events handed to the worker and not taken in yet (a storage thread short of CPU for long) count
// up to this; past it, new ones wait on this side in a backlog of the same bound, which sheds
// payloads first, then whole exchanges, as the worker's does while storage fails.
const MAX_IN_FLIGHT = 64 * 1024 * 1024;
// Storage is behind once an ended exchange handed to it has waited this long to be stored.
export const BEHIND_AFTER_MS = 1000;
const TICK_MS = 250;
// Batches go to the worker at most this often (see schedulePost).
const POST_GAP_MS = 5;

interface RoomWaiter {
  bytes: number;
  ready: (ok: boolean) => void;
  deadline: number;
}

/** What storage left out since wirelog started: while it was failing for too long, and while it was too far behind. */
export type StorageLosses = ShedReport & {
  /** Exchanges that waited while storage failed and were discarded by a clear before they could be stored. */
  discarded: number;
  /** Bodies whose rest was left out because storage had no room for them for STORAGE_WAIT_MS. */
  bodies: number;
};

/**
 * The ExchangeSink that stores captures. Events are handed to a worker thread in batches
 * (one postMessage per event-loop turn); the worker writes them in transactions, so no
 * SQLite call ever runs on the thread that forwards traffic.
 */
export class CaptureWriter implements ExchangeSink {
  private readonly worker: Worker;
  private batch: PostedEvent[] = [];
  private readonly ring: RingWriter;
  private waiters: RoomWaiter[] = [];
  private waitTimer: NodeJS.Timeout | null = null;
  /** A wait for room ran out: until the ring is half empty again, bodies that do not fit are left out at once. */
  private behind = false;
  private scheduled = false;
  private lastPostAt = -Infinity;
  private nextToken = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly imports = new Map<number, { resolve: (ids: number[]) => void; reject: (err: Error) => void }>();
  private closed = false;
  /** The current storage failure, or null while captures are being stored. */
  lastError: string | null = null;
  readonly losses: StorageLosses = { exchanges: 0, bytes: 0, events: 0, bodies: 0, discarded: 0 };
  /** While storage fails or recovers: exchanges with something waiting to be stored. */
  waitingExchanges = 0;
  private readonly news: StorageNews;
  /** Messages of events posted and not known to be stored: when, and how many exchanges ended in them. */
  private unstored: { seq: number; at: number; ends: number }[] = [];
  private seq = 0;
  /** When events started waiting on this side (the held backlog), or null. */
  private heldSince: number | null = null;
  private readonly tick: NodeJS.Timeout;
  private lastState = '';
  /** Body bytes handed over as copies of their own because the ring had no room (small bodies, callers that could not wait). */
  copiedBodyBytes = 0;
  /** Of those, the bytes the worker has not taken in yet. */
  private copiedInFlight = 0;
  /** What the worker has not taken in yet, counted as backlogs count (db/backlog.ts). */
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Events waiting on this side while too much is in flight. */
  private readonly held: Backlog;

  constructor(dataDir: string, private readonly callbacks: WriterCallbacks, options: WriterOptions) {
    const ring = createRing(options.ringBytes ?? RING_BYTES);
    this.ring = new RingWriter(ring);
    this.maxInFlight = options.maxInFlightBytes ?? MAX_IN_FLIGHT;
    this.held = new Backlog(this.maxInFlight, 'storage was too far behind');
    this.news = new StorageNews((line) => this.callbacks.onWarning?.(line));
    this.tick = setInterval(() => this.checkBehind(), TICK_MS).unref();
    this.worker = startTsWorker(options.worker, {
      ring,
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
      this.stopWaitTimer();
      for (const w of this.waiters.splice(0)) w.ready(false);
      for (const resolve of this.waiting.values()) resolve();
      this.waiting.clear();
      for (const pending of this.imports.values()) pending.reject(new Error(`the storage worker crashed: ${err.message}`));
      this.imports.clear();
    });
  }

  emit(event: ExchangeEvent): void {
    if (this.closed) return;
    // Past the bound, or while an exchange has content shed here, events go through the held backlog.
    if (this.inFlight > this.maxInFlight || this.held.length > 0 || this.held.adjusting) {
      this.heldSince ??= performance.now();
      this.reportShed(this.held.add([event]));
      if (this.inFlight <= this.maxInFlight) this.release();
      return;
    }
    this.batch.push(event.type === 'body-chunk' ? this.handOver(event) : event);
    this.schedulePost();
  }

  room(bytes: number, stored: number, ready: (ok: boolean) => void): BodyRoom {
    if (this.closed || bytes > this.ring.size / 2 || this.ring.fits(bytes)) {
      if (this.behind && this.ring.used() <= this.ring.size / 2) this.behind = false;
      return 'now';
    }
    if (stored + bytes <= SMALL_BODY_BYTES && this.copiedInFlight + bytes <= MAX_COPIED_BYTES) return 'now';
    // A worker that is failing or gone may never release: nothing waits for it.
    if (this.behind || this.lastError !== null) {
      this.losses.bodies++;
      this.news.shed({ bodies: 1 }, this.lastError !== null ? 'storage is failing' : `storage had no room for more body bytes for ${STORAGE_WAIT_MS / 1000} s`);
      return 'skip';
    }
    this.ring.askForRoom();
    // The worker may have released everything just before it was asked.
    if (this.ring.fits(bytes)) return 'now';
    this.waiters.push({ bytes, ready, deadline: performance.now() + STORAGE_WAIT_MS });
    this.waitTimer ??= setTimeout(() => this.expireWaits(), STORAGE_WAIT_MS).unref();
    // What fills the ring must reach the worker for it to be released.
    this.post();
    return 'wait';
  }

  /** Body bytes into the shared ring; a chunk that does not fit (a caller that could not wait) as a copy of its own. */
  private handOver(event: Extract<ExchangeEvent, { type: 'body-chunk' }>): PostedEvent {
    const span = this.ring.put(event.chunk);
    if (span) return chunkInRing(event, span);
    // Copied into the batch's packed buffer as the batch is posted (encodeEvents).
    this.copiedBodyBytes += event.chunk.length;
    this.copiedInFlight += event.chunk.length;
    return event;
  }

  /** The worker released ring bytes: the oldest waiters go first, as long as there is room. */
  private wake(): void {
    while (this.waiters.length > 0 && this.ring.fits(this.waiters[0].bytes)) this.waiters.shift()!.ready(true);
    if (this.waiters.length > 0) this.ring.askForRoom();
    else this.stopWaitTimer();
  }

  private expireWaits(): void {
    this.waitTimer = null;
    const now = performance.now();
    const expired = this.waiters.filter((w) => w.deadline <= now);
    this.waiters = this.waiters.filter((w) => w.deadline > now);
    // Traffic is not held back for storage until the ring is half empty again; the rest of these bodies is left out (marked truncated).
    if (expired.length > 0) this.behind = true;
    this.news.shed({ bodies: expired.length }, `storage had no room for more body bytes for ${STORAGE_WAIT_MS / 1000} s`);
    this.losses.bodies += expired.length;
    for (const w of expired) w.ready(false);
    if (this.waiters.length > 0) this.waitTimer = setTimeout(() => this.expireWaits(), Math.max(1, this.waiters[0].deadline - now)).unref();
  }

  private stopWaitTimer(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
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
    this.release();
    this.post();
    const token = this.nextToken++;
    return new Promise((resolve, reject) => {
      this.imports.set(token, { resolve, reject });
      // Heads bounded before they are copied to the worker: a 20 MB header is not cloned to be cut there.
      this.worker.postMessage({ kind: 'import', token, events: events.map(boundEvent) } satisfies ToWorker);
    });
  }

  /** Stores what is pending, marks exchanges still open as interrupted, and stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.request('close');
    this.closed = true;
    clearInterval(this.tick);
    this.stopWaitTimer();
    for (const w of this.waiters.splice(0)) w.ready(false);
    await this.worker.terminate();
  }

  private request(kind: 'flush' | 'clear' | 'close'): Promise<void> {
    // Asked to store everything so far: what waits here goes too, whatever is in flight.
    this.release();
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
    this.lastPostAt = performance.now();
    const events = this.batch;
    this.batch = [];
    let cost = 0;
    let ends = 0;
    for (const e of events) {
      cost += 'ring' in e ? EVENT_OVERHEAD + e.ring.length : costOf(e);
      if (e.type === 'end') ends++;
    }
    this.inFlight += cost;
    const seq = ++this.seq;
    this.unstored.push({ seq, at: performance.now(), ends });
    try {
      const { json, buffers } = encodeEvents(events);
      // The packed payloads are a copy of their own: handed over, not copied again.
      this.worker.postMessage({ kind: 'events', json, buffers, cost, seq } satisfies ToWorker, buffers.map((b) => b.buffer as ArrayBuffer));
    } catch (err) {
      this.fail(`could not hand captures to the storage worker: ${(err as Error).message}`);
    }
  }

  /** What waits here joins the next batch. */
  private release(): void {
    if (this.held.length === 0) return;
    for (const event of this.held.take()) this.batch.push(event.type === 'body-chunk' ? this.handOver(event) : event);
    this.heldSince = null;
    this.schedulePost();
  }

  /**
   * How far behind storage is: ended exchanges handed over (or waiting on this side) and not
   * stored yet, and how long the oldest of them has waited; null under BEHIND_AFTER_MS.
   */
  behindNow(now = performance.now()): BehindFigures | null {
    let exchanges = this.held.waitingEnds();
    let oldest = exchanges > 0 && this.heldSince !== null ? this.heldSince : Infinity;
    for (const posted of this.unstored) {
      if (posted.ends === 0) continue;
      exchanges += posted.ends;
      oldest = Math.min(oldest, posted.at);
    }
    const waited = now - oldest;
    return exchanges > 0 && waited >= BEHIND_AFTER_MS ? { exchanges, seconds: Math.round(waited / 100) / 10 } : null;
  }

  /** On a timer: the console hears when storage falls behind and catches up; viewers when its figures change. */
  private checkBehind(): void {
    // While storage fails, that is what is said (and how many wait), not how far behind it is.
    if (this.lastError !== null) return;
    const behind = this.behindNow();
    this.news.update(behind);
    const state = behind ? `${behind.exchanges} ${Math.round(behind.seconds)}` : '';
    if (state !== this.lastState) this.callbacks.onState?.();
    this.lastState = state;
  }

  /** How far behind storage is, as last checked (null: it keeps up, or it is failing). */
  get behindBy(): BehindFigures | null {
    return this.lastError === null ? this.news.behind : null;
  }

  /**
   * One post per event-loop turn, with everything emitted in it, and at most one every
   * POST_GAP_MS: each post costs both threads a message (the batch, and the worker's answer that
   * it took it) whatever it holds, and a busy proxy turns its event loop hundreds of times a
   * second. A 200,000-message WebSocket flood (bench/websocket-flood.ts): 4,100-4,400 posts of
   * about 11 events each, 760-950 with the gap; postMessage's time 430-620 ms, 140-250 with it.
   */
  private schedulePost(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastPostAt + POST_GAP_MS - performance.now();
    if (wait <= 0) setImmediate(() => this.post());
    else setTimeout(() => this.post(), wait);
  }

  private reportShed(report: ShedReport): void {
    this.countShed(report, `storage fell behind by more than ${sizeText(this.maxInFlight)} of captures`);
  }

  /** Content a backlog left out (here, or the worker's while storage failed): counted, and said once as it starts. */
  private countShed(report: ShedReport, why: string): void {
    if (report.exchanges === 0 && report.bytes === 0 && report.events === 0) return;
    this.losses.exchanges += report.exchanges;
    this.losses.bytes += report.bytes;
    this.losses.events += report.events;
    this.news.shed(report, why);
  }

  private fail(message: string): void {
    const first = this.lastError === null;
    // Set first: the callback reads the status.
    this.lastError = message;
    if (first) {
      this.news.failed();
      this.callbacks.onError?.(message);
    }
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
        this.waitingExchanges = message.waiting;
        this.fail(
          message.lost
            ? `storing captures failed: ${message.message} (${message.lost} exchange(s) not stored; traffic still flows)`
            : `storing captures failed: ${message.message} (${message.waiting} exchange(s) waiting, retrying; traffic still flows)`,
        );
        break;
      case 'shed':
        this.countShed(message, 'storage has been failing for too long');
        break;
      case 'room':
        this.wake();
        break;
      case 'took':
        this.inFlight -= message.cost;
        this.copiedInFlight -= message.copies;
        if (this.inFlight <= this.maxInFlight / 2) this.release();
        break;
      case 'recovered': {
        this.lastError = null;
        this.waitingExchanges = 0;
        const fates = [`${message.stored} exchange(s) that waited are stored`];
        if (message.lost) fates.push(`${message.lost} were left out whole to bound memory`);
        if (message.discarded) fates.push(`${message.discarded} were discarded by Clear all before they could be stored`);
        this.news.recovered();
        this.callbacks.onRecovered?.(`storing captures works again: ${fates.join(', ')}`);
        break;
      }
      case 'stored':
        this.unstored = this.unstored.filter((posted) => posted.seq > message.seq);
        break;
      case 'waiting':
        if (message.exchanges !== this.waitingExchanges) {
          this.waitingExchanges = message.exchanges;
          this.callbacks.onState?.();
        }
        break;
      case 'discarded':
        this.losses.discarded += message.exchanges;
        this.callbacks.onWarning?.(`Clear all discarded ${message.exchanges} exchange(s) that were waiting to be stored: they are not stored`);
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

function sizeText(bytes: number): string {
  return bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** A worker thread from a module: the built .js as it is, a .ts source through tsx. */
export function startTsWorker(file: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData, transferList });
  // The ESM build of tsx's API: its CommonJS build cannot register the loader from a worker.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}
