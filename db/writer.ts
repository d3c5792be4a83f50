import type { Worker, MessagePort, Transferable } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { BodyRoom, ExchangeEvent, ExchangeSink } from '../model/exchange.ts';
import { Backlog, EVENT_OVERHEAD, costOf, payloadBytes, type ShedReport } from './backlog.ts';
import { RingWriter, createRing, type RingSpan, type SharedRing } from './body-ring.ts';
import {
  chunkInRing,
  chunkWith,
  encodeEvents,
  eventsWithPayloads,
  type EncodedEvents,
  type PostedEvent,
} from './event-transport.ts';
import { boundEvent } from '../model/head-bounds.ts';
import type { RetentionLimits } from './retention.ts';
import { databasePath } from './schema.ts';
import { StorageNews, type BehindFigures } from './storage-news.ts';
import { createI18n } from '../i18n/index.ts';
import { cliLanguage } from '../i18n/languages.ts';
import { threadCause } from './thread-cause.ts';
import { startModuleWorker } from './module-worker.ts';

/** `resent`: events a thread that stopped had not stored, handed to its successor (which skips an exchange already stored). */
export type ToWorker =
  | ({ kind: 'events'; cost: number; seq: number; resent?: boolean } & EncodedEvents)
  | { kind: 'flush' | 'clear' | 'close'; token: number }
  | { kind: 'import'; token: number; events: ExchangeEvent[] }
  | { kind: 'listening' };
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
  /** How long a body waits for room before its rest is left out (STORAGE_WAIT_MS; tests that prove a body is stored whole lengthen it). */
  storageWaitMs?: number;
}

// A body waits this long at most for storage to make room before its remaining bytes are left out.
export const STORAGE_WAIT_MS = 1000;
// 2 MB: bench/memory.ts peak 2-3 MB lower than with 4 (the ring is touched whole by a large
// body), its 300 MB and 1 GB bodies as fast (issue 28).
const RING_BYTES = 2 * 1024 * 1024;
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
// Batches go to the worker at most this often (see schedulePost): as often as the worker commits
// (its flushIntervalMs, 20 ms), so a busy commit's events come in one message, not about four.
const POST_GAP_MS = 20;
// A storage thread that stopped (an uncaught error, out of memory, a module that failed to load)
// is started again after these waits, one per attempt in a row; an attempt in a row is one made
// before the new thread stored anything. Past the last, it is not started again and says so.
const RESTART_AFTER_MS = [100, 500, 2000, 5000];
// Batches handed to the worker are kept here, their payloads by reference, until the worker says
// they are stored, to be handed to a new thread if it stops first; at most this many bytes (as
// backlogs count them). Past it (storage failing for long), the oldest are no longer kept and,
// should the thread stop, their exchanges are counted as lost.
const MAX_KEPT_BYTES = 32 * 1024 * 1024;

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
  /** Exchanges open when the storage thread stopped: stored up to there and marked interrupted; the rest of their events left out (counted in bytes and events). */
  cut: number;
  /** Times the storage thread stopped and was started again. */
  restarts: number;
};

/**
 * A batch handed to the worker and not known to be stored: its JSON as posted, with the payloads
 * in the order the JSON names them, or its events when it could not be encoded. Not the event
 * objects: a batch waits here for its commit, 20-60 ms, long enough for V8 to copy its every
 * head, header pair and string through the young generation twice and into the old one (28-188
 * KB a scavenge at ~1,400 GET/s, 2-5 KB kept this way); the JSON is one flat string, which costs
 * a copy and no tracing. Nor the Buffers of chunks that went into the ring: their place there
 * (`ringFrom`: the first, which the ring does not reuse from until the batch is stored). Kept,
 * those Buffers outlived two scavenges and waited for a full collection: the forwarding thread's
 * malloc heap 20-24 MB through bench/memory.ts's large bodies, 16-18 this way (issue 28).
 */
type KeptBatch = { seq: number; cost: number } & (
  | { json: string; payloads: (Uint8Array | RingSpan)[]; ringFrom: number | null }
  | { events: ExchangeEvent[] }
);

/**
 * The ExchangeSink that stores captures. Events are handed to a worker thread in batches
 * (one postMessage per event-loop turn); the worker writes them in transactions, so no
 * SQLite call ever runs on the thread that forwards traffic.
 */
export class CaptureWriter implements ExchangeSink {
  private worker: Worker;
  /** Events not posted yet: a body chunk in the ring as its place there (the worker has not seen it, so it is not released). */
  private batch: PostedEvent[] = [];
  private ring: RingWriter;
  private readonly ringBytes: number;
  private readonly storageWaitMs: number;
  private readonly workerFile: URL;
  private readonly workerData: Record<string, unknown>;
  private readonly spansPort: MessagePort | undefined;
  /** Batches posted and not stored yet, oldest first, kept to be handed to a new thread. */
  private kept: KeptBatch[] = [];
  private keptBytes = 0;
  /** Batches posted and not stored yet that are no longer kept: the exchanges they began. */
  private unkept: { seq: number; uids: string[] }[] = [];
  /** Exchanges whose request was posted and whose end was not. */
  private readonly open = new Set<string>();
  /** Exchanges cut by a thread that stopped: what comes of them until their end is left out, counted. */
  private readonly cutOff = new Set<string>();
  /** Why the thread stopped, while a new one is being started (events wait in the held backlog). */
  private restarting: string | null = null;
  /** The status's storage error while restarting: cleared once the new thread works, unless another took its place. */
  private restartError: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Attempts in a row: reset once a new thread stored what it was handed. */
  private attempts = 0;
  /** The thread stopped too often: nothing is stored any more, every exchange is counted as lost. */
  private gaveUp = false;
  /** After a restart, until the new thread stored what it was handed: the figures of its line. */
  private restartNews: { resent: number; cut: number; lost: number; token: number } | null = null;
  /** The thread is stopped on purpose (close): its exit is not a failure. */
  private stopping = false;
  private readonly t = createI18n(cliLanguage(process.env)).t;
  private waiters: RoomWaiter[] = [];
  private waitTimer: NodeJS.Timeout | null = null;
  /** A wait for room ran out: until the ring is half empty again, bodies that do not fit are left out at once. */
  private behind = false;
  private scheduled = false;
  private lastPostAt = -Infinity;
  private nextToken = 0;
  private readonly waiting = new Map<number, { kind: 'flush' | 'clear' | 'close'; resolve: () => void }>();
  private readonly imports = new Map<number, { resolve: (ids: number[]) => void; reject: (err: Error) => void }>();
  private closed = false;
  /** The current storage failure, or null while captures are being stored. */
  lastError: string | null = null;
  readonly losses: StorageLosses = { exchanges: 0, bytes: 0, events: 0, bodies: 0, discarded: 0, cut: 0, restarts: 0 };
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

  constructor(
    dataDir: string,
    private readonly callbacks: WriterCallbacks,
    options: WriterOptions,
  ) {
    this.ringBytes = options.ringBytes ?? RING_BYTES;
    this.storageWaitMs = options.storageWaitMs ?? STORAGE_WAIT_MS;
    this.maxInFlight = options.maxInFlightBytes ?? MAX_IN_FLIGHT;
    this.held = new Backlog(this.maxInFlight, 'storage was too far behind');
    this.news = new StorageNews((line) => this.callbacks.onWarning?.(line), this.t);
    this.tick = setInterval(() => this.checkBehind(), TICK_MS).unref();
    this.workerFile = options.worker;
    this.spansPort = options.spans?.port;
    this.workerData = {
      file: databasePath(dataDir),
      flushIntervalMs: options.flushIntervalMs ?? 20,
      retention: options.retention,
      pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
      maxBacklogBytes: options.maxBacklogBytes ?? 128 * 1024 * 1024,
      ...(options.spans ? { spans: options.spans.port, spanContent: options.spans.content } : {}),
    };
    const ring = createRing(this.ringBytes);
    this.ring = new RingWriter(ring);
    this.worker = this.startWorker(ring, null);
  }

  /**
   * A storage thread on this ring. `restartedAfter`: the cause its predecessor stopped with (it
   * marks what that one left open as interrupted, and says so in those words). The span port
   * goes to the first thread only: a transferred port cannot be handed again, so after a restart
   * finished exchanges are no longer exported as spans.
   */
  private startWorker(ring: SharedRing, restartedAfter: string | null): Worker {
    const first = restartedAfter === null;
    const data = first ? { ...this.workerData, ring } : { ...this.workerData, ring, spans: undefined, restartedAfter };
    const worker = startTsWorker(this.workerFile, data, first && this.spansPort ? [this.spansPort] : []);
    let cause: string | null = null;
    worker.on('message', (message: FromWorker) => {
      if (worker === this.worker) this.onMessage(message);
    });
    worker.on('error', (err) => {
      // A phrase of the catalogue (a malformed batch, db/event-transport.ts) in the console's language; else the error's own words.
      cause ??= threadCause(err, cliLanguage(process.env));
    });
    worker.on('exit', (code) => {
      if (worker === this.worker && !this.stopping) this.stopped(cause ?? this.t('storageThread.exited', { code }));
    });
    return worker;
  }

  emit(event: ExchangeEvent): void {
    if (this.closed) return;
    if (this.cutOff.size > 0 && this.cutOff.has(event.uid)) return this.leaveOutCut(event);
    if (this.gaveUp) return this.loseAfterGivingUp(event);
    // Past the bound, while an exchange has content shed here, or while a new thread is started, events go through the held backlog.
    if (this.inFlight > this.maxInFlight || this.held.length > 0 || this.held.adjusting || this.restarting !== null) {
      this.heldSince ??= performance.now();
      this.reportShed(this.held.add([event]));
      if (this.inFlight <= this.maxInFlight && this.restarting === null) this.release();
      return;
    }
    this.batch.push(event.type === 'body-chunk' ? this.handOver(event) : event);
    this.schedulePost();
  }

  room(bytes: number, stored: number, ready: (ok: boolean) => void): BodyRoom {
    // While a new thread is started (or none will be), chunks wait in the held backlog, bounded: nothing waits for room.
    if (this.closed || this.restarting !== null || this.gaveUp || bytes > this.ring.size / 2 || this.ring.fits(bytes)) {
      if (this.behind && this.ring.used() <= this.ring.size / 2) this.behind = false;
      return 'now';
    }
    if (stored + bytes <= SMALL_BODY_BYTES && this.copiedInFlight + bytes <= MAX_COPIED_BYTES) return 'now';
    // A worker that is failing or gone may never release: nothing waits for it.
    if (this.behind || this.lastError !== null) {
      this.losses.bodies++;
      this.news.shed(
        { bodies: 1 },
        this.lastError !== null
          ? this.t('storageNews.why.failing')
          : this.t('storageNews.why.noRoom', { seconds: this.storageWaitMs / 1000 }),
      );
      return 'skip';
    }
    this.ring.askForRoom();
    // The worker may have released everything just before it was asked.
    if (this.ring.fits(bytes)) return 'now';
    this.waiters.push({ bytes, ready, deadline: performance.now() + this.storageWaitMs });
    this.waitTimer ??= setTimeout(() => this.expireWaits(), this.storageWaitMs).unref();
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
    this.news.shed(
      { bodies: expired.length },
      this.t('storageNews.why.noRoom', { seconds: this.storageWaitMs / 1000 }),
    );
    this.losses.bodies += expired.length;
    for (const w of expired) w.ready(false);
    if (this.waiters.length > 0)
      this.waitTimer = setTimeout(() => this.expireWaits(), Math.max(1, this.waiters[0].deadline - now)).unref();
  }

  private stopWaitTimer(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
  }

  /** wirelog listens: the storage thread starts what start-up must not wait for (db/index-build.ts). */
  listening(): void {
    this.worker.postMessage({ kind: 'listening' } satisfies ToWorker);
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
    if (this.restarting !== null || this.gaveUp)
      return Promise.reject(
        new Error(this.lastError ?? this.t('storageThread.importRefused', { cause: this.restarting ?? '' })),
      );
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
    // A thread being started again stores what waits first; one that is not started again has nothing to store it with.
    if (!this.gaveUp) await this.request('close');
    this.closed = true;
    this.stopping = true;
    clearInterval(this.tick);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.stopWaitTimer();
    for (const w of this.waiters.splice(0)) w.ready(false);
    await this.worker.terminate();
  }

  private request(kind: 'flush' | 'clear' | 'close'): Promise<void> {
    if (this.gaveUp) return Promise.resolve();
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.waiting.set(token, { kind, resolve });
      // While a new thread is started, the request is made of it once it has what waited.
      if (this.restarting === null) this.ask(kind, token);
    });
  }

  private ask(kind: 'flush' | 'clear' | 'close', token: number): void {
    // Asked to store everything so far: what waits here goes too, whatever is in flight.
    this.release();
    this.post();
    this.worker.postMessage({ kind, token } satisfies ToWorker);
  }

  private post(resent = false): void {
    this.scheduled = false;
    if (this.batch.length === 0 || this.restarting !== null) return;
    this.lastPostAt = performance.now();
    const events = this.batch;
    this.batch = [];
    let cost = 0;
    let ends = 0;
    for (const e of events) {
      cost += 'ring' in e ? EVENT_OVERHEAD + e.ring.length : costOf(e);
      if (e.type === 'request') this.open.add(e.uid);
      else if (e.type === 'end') {
        ends++;
        this.open.delete(e.uid);
      }
    }
    this.inFlight += cost;
    const seq = ++this.seq;
    this.unstored.push({ seq, at: performance.now(), ends });
    let encoded: EncodedEvents;
    try {
      encoded = encodeEvents(events);
    } catch (err) {
      this.keep({ seq, cost, events: events.map((e) => this.emitted(e)) });
      return this.fail(`could not hand captures to the storage worker: ${(err as Error).message}`);
    }
    const { json, buffers } = encoded;
    this.keep(this.keptOf(seq, cost, json, events));
    try {
      // The packed payloads are a copy of their own: handed over, not copied again.
      this.worker.postMessage(
        { kind: 'events', json, buffers, cost, seq, ...(resent ? { resent } : {}) } satisfies ToWorker,
        buffers.map((b) => b.buffer as ArrayBuffer),
      );
    } catch (err) {
      this.fail(`could not hand captures to the storage worker: ${(err as Error).message}`);
    }
  }

  /** What waits here joins the next batch. */
  private release(): void {
    if (this.held.length === 0) return;
    if (this.restarting !== null) return;
    for (const event of this.held.take()) {
      if (this.cutOff.size > 0 && this.cutOff.has(event.uid)) {
        this.leaveOutCut(event);
        continue;
      }
      this.batch.push(event.type === 'body-chunk' ? this.handOver(event) : event);
    }
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
   * about 11 events each, 760-950 with a 5 ms gap; postMessage's time 430-620 ms, 140-250 with it.
   * A post with the worker's answer that it took it costs the forwarding thread about 60 µs: GET
   * exchanges at 2,000/s, recorded and handed to a storage thread that stores nothing, took 29
   * instead of 35 µs each with a 20 ms gap instead of 5 (alternated, load 3). A quiet proxy's
   * exchange still goes at once: the gap counts from the last post.
   */
  private schedulePost(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastPostAt + POST_GAP_MS - performance.now();
    if (wait <= 0) setImmediate(() => this.post());
    else setTimeout(() => this.post(), wait);
  }

  private reportShed(report: ShedReport): void {
    this.countShed(report, this.t('storageNews.why.fellBehind', { size: sizeText(this.maxInFlight) }));
  }

  /** Content a backlog left out (here, or the worker's while storage failed): counted, and said once as it starts. */
  private countShed(report: ShedReport, why: string): void {
    if (report.exchanges === 0 && report.bytes === 0 && report.events === 0) return;
    this.losses.exchanges += report.exchanges;
    this.losses.bytes += report.bytes;
    this.losses.events += report.events;
    this.news.shed(report, why);
  }

  /**
   * A posted batch as kept: chunks in the ring by their place there, other payloads by
   * reference; while storage fails (the worker copies what it takes and releases the ring), as
   * copies, so that the ring is not held for a commit that may be long in coming.
   */
  private keptOf(seq: number, cost: number, json: string, events: PostedEvent[]): KeptBatch {
    const copy = this.lastError !== null;
    const payloads: (Uint8Array | RingSpan)[] = [];
    let ringFrom: number | null = null;
    for (const e of events) {
      if (e.type === 'ws-message') payloads.push(e.message.payload);
      else if (e.type !== 'body-chunk') continue;
      else if (!('ring' in e)) payloads.push(e.chunk);
      else if (copy) payloads.push(this.ring.copyOf(e.ring));
      else {
        ringFrom ??= e.ring.at;
        payloads.push(e.ring);
      }
    }
    return { seq, cost, json, payloads, ringFrom };
  }

  /** An event as emitted: a chunk in the ring with a copy of its bytes there. */
  private emitted(event: PostedEvent): ExchangeEvent {
    return 'ring' in event ? chunkWith(event, this.ring.copyOf(event.ring)) : event;
  }

  /** A kept batch's events as they were emitted (a restart hands them to the new thread). */
  private keptEvents(batch: KeptBatch): ExchangeEvent[] {
    if ('events' in batch) return batch.events;
    const payloads = batch.payloads.map((p) => (p instanceof Uint8Array ? p : this.ring.copyOf(p)));
    return eventsWithPayloads(batch.json, payloads);
  }

  /** The ring is not reused from the first chunk a kept batch still points to. */
  private holdRing(): void {
    let from: number | null = null;
    for (const b of this.kept) {
      if ('ringFrom' in b && b.ringFrom !== null) {
        from = b.ringFrom;
        break;
      }
    }
    this.ring.keepFrom(from);
  }

  /** Storage fails: kept batches get copies of their chunks, and the ring is free for what comes. */
  private copyKeptOutOfRing(): void {
    for (const b of this.kept) {
      if (!('ringFrom' in b) || b.ringFrom === null) continue;
      b.payloads = b.payloads.map((p) => (p instanceof Uint8Array ? p : this.ring.copyOf(p)));
      b.ringFrom = null;
    }
    this.ring.keepFrom(null);
    if (this.waiters.length > 0) this.wake();
  }

  /** A batch posted: kept until stored, within MAX_KEPT_BYTES (the oldest are let go first). */
  private keep(batch: KeptBatch): void {
    this.kept.push(batch);
    this.keptBytes += batch.cost;
    while (this.keptBytes > MAX_KEPT_BYTES && this.kept.length > 1) {
      const old = this.kept.shift()!;
      this.keptBytes -= old.cost;
      this.unkept.push({ seq: old.seq, uids: requestUids(old) });
    }
    this.holdRing();
  }

  /** Everything up to batch `seq` is stored: no need to keep it any more (nor the ring bytes it pointed to). */
  private forgetKept(seq: number): void {
    let n = 0;
    while (n < this.kept.length && this.kept[n].seq <= seq) this.keptBytes -= this.kept[n++].cost;
    if (n > 0) this.kept = this.kept.slice(n);
    if (this.unkept.length > 0) this.unkept = this.unkept.filter((u) => u.seq > seq);
    this.holdRing();
    if (this.waiters.length > 0) this.wake();
  }

  /** An event of an exchange a stopped thread cut: left out, counted. */
  private leaveOutCut(event: ExchangeEvent): void {
    if (event.type === 'end') this.cutOff.delete(event.uid);
    const bytes = payloadBytes(event);
    this.losses.bytes += bytes;
    if (event.type === 'sse-event' || event.type === 'ws-message') this.losses.events++;
  }

  /** Nothing is stored any more: each exchange is counted as lost as it begins, its content as left out. */
  private loseAfterGivingUp(event: ExchangeEvent): void {
    if (event.type === 'request') this.losses.exchanges++;
    this.losses.bytes += payloadBytes(event);
    if (event.type === 'sse-event' || event.type === 'ws-message') this.losses.events++;
  }

  /**
   * The storage thread stopped without being asked to: what it had not stored is kept here (the
   * batches it was handed and the one not posted yet; what waits in the held backlog stays
   * there), and a new thread is started after a wait, or, after too many attempts in a row,
   * none: then everything is counted as lost, and the status says so.
   */
  private stopped(cause: string): void {
    this.attempts++;
    this.stopWaitTimer();
    // What the thread held is gone with it: nothing is in flight any more.
    this.inFlight = 0;
    this.copiedInFlight = 0;
    this.unstored = [];
    // Copied out of the ring, which a new thread does not share.
    const events: ExchangeEvent[] = [];
    for (const b of this.kept) for (const e of this.keptEvents(b)) events.push(e);
    for (const e of this.batch) events.push(this.emitted(e));
    const handover = handOverAfterStop({ events, lost: this.unkept.flatMap((u) => u.uids) }, this.open);
    this.kept = [];
    this.keptBytes = 0;
    this.unkept = [];
    this.batch = [];
    this.ring.keepFrom(null);
    this.open.clear();
    for (const uid of handover.cut) this.cutOff.add(uid);
    for (const uid of handover.lost) this.cutOff.add(uid);
    this.losses.cut += handover.cut.size;
    this.losses.exchanges += handover.lost.size;
    // What came of cut and lost exchanges after the thread's last stored batch: left out, counted.
    const resend = handover.resend;
    for (const e of events) if (this.cutOff.has(e.uid)) this.leaveOutCut(e);
    for (const pending of this.imports.values())
      pending.reject(new Error(this.t('storageThread.importRefused', { cause })));
    this.imports.clear();
    const news = this.restartNews ?? { resent: 0, cut: 0, lost: 0, token: -1 };
    news.cut += handover.cut.size;
    news.lost += handover.lost.size;
    news.resent = new Set(resend.filter((e) => e.type === 'request').map((e) => e.uid)).size;
    this.restartNews = news;
    const max = RESTART_AFTER_MS.length;
    if (this.attempts > max) return this.giveUp(cause, resend);
    const wait = RESTART_AFTER_MS[this.attempts - 1];
    this.restarting = cause;
    this.lastError = this.t('storageThread.restarting', { cause, attempt: this.attempts, max });
    this.restartError = this.lastError;
    this.news.failed();
    this.callbacks.onWarning?.(
      this.t('storageThread.stopped', { cause, seconds: wait / 1000, attempt: this.attempts, max }),
    );
    this.callbacks.onState?.();
    this.restartTimer = setTimeout(() => this.restart(cause, resend), wait);
  }

  /** A new thread on a new ring (the old one's may hold bytes never released); what the old one had not stored goes to it first, then what waited here. */
  private restart(cause: string, resend: ExchangeEvent[]): void {
    this.restartTimer = null;
    const ring = createRing(this.ringBytes);
    this.ring = new RingWriter(ring);
    this.behind = false;
    this.worker = this.startWorker(ring, cause);
    this.restarting = null;
    for (const e of resend) this.batch.push(e.type === 'body-chunk' ? this.handOver(e) : e);
    this.post(true);
    this.release();
    this.post();
    this.wake();
    for (const [token, pending] of this.waiting)
      this.worker.postMessage({ kind: pending.kind, token } satisfies ToWorker);
    // Once the new thread has stored all that, it works: said with its figures.
    const token = this.nextToken++;
    this.restartNews!.token = token;
    this.waiting.set(token, { kind: 'flush', resolve: () => this.restarted(token) });
    this.worker.postMessage({ kind: 'flush', token } satisfies ToWorker);
  }

  private restarted(token: number): void {
    const news = this.restartNews;
    if (!news || news.token !== token) return;
    this.restartNews = null;
    this.attempts = 0;
    this.losses.restarts++;
    // The new thread may be failing for a reason of its own (a full disk): that stays said.
    if (this.lastError === this.restartError) this.lastError = null;
    this.restartError = null;
    this.news.recovered();
    this.callbacks.onRecovered?.(
      this.t('storageThread.restarted', { resent: news.resent, cut: news.cut, lost: news.lost }),
    );
    this.callbacks.onState?.();
  }

  private giveUp(cause: string, resend: ExchangeEvent[]): void {
    this.gaveUp = true;
    this.restarting = null;
    const lost = new Set<string>();
    for (const e of resend) if (e.type === 'request') lost.add(e.uid);
    for (const e of this.held.take()) if (e.type === 'request') lost.add(e.uid);
    this.losses.exchanges += lost.size;
    const message = this.t('storageThread.gaveUp', { attempts: this.attempts, cause, lost: this.losses.exchanges });
    this.lastError = message;
    this.news.failed();
    this.callbacks.onError?.(message);
    this.callbacks.onState?.();
    for (const w of this.waiters.splice(0)) w.ready(false);
    for (const pending of this.waiting.values()) pending.resolve();
    this.waiting.clear();
  }

  private fail(message: string): void {
    const first = this.lastError === null;
    // Set first: the callback reads the status.
    this.lastError = message;
    this.copyKeptOutOfRing();
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
        this.waiting.get(message.token)?.resolve();
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
        this.countShed(message, this.t('storageNews.why.failingTooLong'));
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
        if (message.discarded)
          fates.push(`${message.discarded} were discarded by Clear all before they could be stored`);
        this.news.recovered();
        this.callbacks.onRecovered?.(`storing captures works again: ${fates.join(', ')}`);
        break;
      }
      case 'stored':
        this.unstored = this.unstored.filter((posted) => posted.seq > message.seq);
        this.forgetKept(message.seq);
        break;
      case 'waiting':
        if (message.exchanges !== this.waitingExchanges) {
          this.waitingExchanges = message.exchanges;
          this.callbacks.onState?.();
        }
        break;
      case 'discarded':
        this.losses.discarded += message.exchanges;
        this.callbacks.onWarning?.(
          `Clear all discarded ${message.exchanges} exchange(s) that were waiting to be stored: they are not stored`,
        );
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

// What a stopped storage thread leaves: its successor gets what it had not stored.
export interface Handover {
  /** Events of batches it had not stored, then of the batch not posted yet, in order. */
  events: ExchangeEvent[];
  /** Exchanges begun in batches it had not stored and that were no longer kept here: lost whole. */
  lost: string[];
}

/** Splits what a stopped thread leaves into what goes to its successor and the exchanges it cut (their head stored, their end not). */
export function handOverAfterStop(
  handover: Handover,
  open: Iterable<string>,
): { resend: ExchangeEvent[]; cut: Set<string>; lost: Set<string> } {
  const heads = new Set<string>();
  for (const e of handover.events) if (e.type === 'request') heads.add(e.uid);
  const lost = new Set(handover.lost);
  const cut = new Set<string>();
  for (const uid of open) if (!heads.has(uid) && !lost.has(uid)) cut.add(uid);
  const resend: ExchangeEvent[] = [];
  for (const e of handover.events) {
    if (heads.has(e.uid)) resend.push(e);
    else if (!lost.has(e.uid)) cut.add(e.uid);
  }
  return { resend, cut, lost };
}

/** The exchanges a kept batch begins. */
function requestUids(batch: KeptBatch): string[] {
  const events = 'events' in batch ? batch.events : (JSON.parse(batch.json) as { type: string; uid: string }[]);
  return events.filter((e) => e.type === 'request').map((e) => e.uid);
}

function sizeText(bytes: number): string {
  return bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** A worker thread from a module: the built .js as it is, a .ts source through tsx (db/module-worker.ts). */
export function startTsWorker(file: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  return startModuleWorker(file, { workerData, transferList });
}
