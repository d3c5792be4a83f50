import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ExchangeEvent } from '../model/exchange.ts';
import { Backlog, type ShedReport } from './backlog.ts';
import { RingReader, type RingSpan, type SharedRing } from './body-ring.ts';
import { CaptureStore, type UnderstandEnded } from './capture-store.ts';
import { prune, type RetentionLimits } from './retention.ts';
import { chunkWith, decodeEvents, type PostedEvent } from './event-transport.ts';
import type { ToWorker, FromWorker } from './writer.ts';

const { file, flushIntervalMs, retention, pruneIntervalMs, maxBacklogBytes, ring: sharedRing } = workerData as {
  file: string;
  ring: SharedRing;
  flushIntervalMs: number;
  retention: RetentionLimits;
  pruneIntervalMs: number;
  maxBacklogBytes: number;
};

// Waits between attempts while storage fails: soon at first, then every few seconds.
const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

// On Linux a thread has its own nice value and pid 0 means "this thread": storage yields the
// CPU to the thread that forwards traffic whenever both want it.
try {
  os.setPriority(0, 10);
} catch {
  // not permitted or not supported here: storage runs at normal priority
}
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

let store: CaptureStore | null = null;
const backlog = new Backlog(maxBacklogBytes);
let timer: NodeJS.Timeout | null = null;
/** Consecutive failed attempts at a batch that will be retried; 0 while storage works. */
let failures = 0;
/** A failure was reported and storage has not worked since. */
let reported = false;
let db: Database.Database | null = null;
let understanding: UnderstandEnded | null = null;
const ring = new RingReader(sharedRing);
/** The furthest ring bytes received and not released yet: released once what holds them is stored. */
let unreleased: RingSpan | null = null;

/**
 * What finished exchanges are understood with (llm/, through the worker entry the CLI starts):
 * set by that entry as it loads, before any message arrives.
 */
export function setUnderstanding(understand: UnderstandEnded): void {
  understanding = understand;
}

function connect(): CaptureStore {
  if (store) return store;
  db = new Database(file);
  db.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection; appending rows needs
  // little of it (SQLite's own default, 2 MB: npm run bench, about 13 MB less peak memory).
  db.pragma('cache_size = -2000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // What a clear or retention deletes is overwritten, not only unlinked (see CaptureStore.clear);
  // FTS5's own option removes a deleted row's words from the index at once, not at a later merge.
  db.pragma('secure_delete = ON');
  db.prepare(`INSERT INTO exchanges_fts (exchanges_fts, rank) VALUES ('secure-delete', 1)`).run();
  store = new CaptureStore(db, (exchange, bodies, context) => understanding?.(exchange, bodies, context) ?? null);
  return store;
}

function schedule(ms: number): void {
  timer ??= setTimeout(flush, ms);
}

function reportShed(report: ShedReport): void {
  if (report.exchanges || report.bytes) post({ kind: 'shed', ...report });
}

/** Body chunks whose bytes wait in the ring get a view of them, or a copy when they must outlive this turn (storage is failing). */
function received(events: PostedEvent[], cost: number, copy: boolean): ExchangeEvent[] {
  let copies = 0;
  const taken = events.map((event): ExchangeEvent => {
    if (!('ring' in event)) {
      if (event.type === 'body-chunk') copies += event.chunk.byteLength;
      return event;
    }
    unreleased = event.ring;
    const view = ring.view(event.ring);
    return chunkWith(event, copy ? new Uint8Array(view) : view);
  });
  // Held by the worker from here on (its backlog is bounded on its own): the writer may hand over more.
  post({ kind: 'took', cost, copies });
  return taken;
}

/** Ring bytes are stored or copied: the writer may reuse them (and hears of it when it waits). */
function releaseRing(): void {
  if (!unreleased) return;
  const asked = ring.release(unreleased);
  unreleased = null;
  if (asked) post({ kind: 'room' });
}

/** Events that go back to wait in the backlog keep their own bytes, not the ring's. */
function owned(events: ExchangeEvent[]): ExchangeEvent[] {
  return events.map((e) => (e.type === 'body-chunk' && e.chunk.buffer instanceof SharedArrayBuffer ? chunkWith(e, new Uint8Array(e.chunk)) : e));
}

function flush(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (backlog.length === 0) return releaseRing();
  const batch = backlog.take();
  try {
    const s = connect();
    const changed = s.apply(batch);
    releaseRing();
    if (reported) post({ kind: 'recovered' });
    reported = false;
    failures = 0;
    if (s.indexError) {
      post({ kind: 'warning', message: s.indexError });
      s.indexError = null;
    }
    if (changed.length) post({ kind: 'committed', ids: changed });
  } catch (err) {
    if (!isPassing(err)) {
      // Not a state of the disk that can pass: retrying would fail the same way and hold up
      // every later capture, so this batch is dropped and said so.
      post({ kind: 'error', message: (err as Error).message, waiting: 0, lost: batch.filter((e) => e.type === 'request').length });
      reported = true;
      return releaseRing();
    }
    reportShed(backlog.putBack(owned(batch)));
    releaseRing();
    if (failures === 0) post({ kind: 'error', message: (err as Error).message, waiting: backlog.waitingExchanges(), lost: 0 });
    reported = true;
    schedule(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
    failures++;
  }
}

/** Locked, busy, full, read-only or failing I/O: conditions that end, after which the same batch stores. */
function isPassing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL)/.test(code);
}

/** Retention runs on this thread too, between batches: forwarding never waits for it. */
function pruneNow(): void {
  try {
    connect();
    const deleted = prune(db!, retention);
    // The WAL still holds the deleted rows' older versions until it is checkpointed and reset.
    if (deleted) db!.pragma('wal_checkpoint(TRUNCATE)');
    if (deleted) post({ kind: 'pruned', deleted });
  } catch (err) {
    post({ kind: 'warning', message: `pruning old captures failed: ${(err as Error).message}` });
  }
}
pruneNow();
setInterval(() => {
  flush();
  pruneNow();
}, pruneIntervalMs).unref();

port.on('message', (message: ToWorker) => {
  if (message.kind === 'events') {
    // While storage fails, what arrives waits in the backlog, not in the ring the writer needs.
    reportShed(backlog.add(received(decodeEvents(message), message.cost, failures > 0)));
    if (failures > 0) releaseRing();
    // While storage fails, the retry timer decides when to try again.
    if (failures === 0 && ring.writerWaits()) flush();
    else if (failures === 0) schedule(flushIntervalMs);
  } else if (message.kind === 'flush') {
    flush();
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'clear') {
    flush();
    try {
      connect().clear();
      // Whatever still waits (storage was failing) was captured before the clear: it goes too.
      backlog.take();
    } catch (err) {
      post({ kind: 'warning', message: `could not clear the captures: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'import') {
    flush();
    try {
      // One transaction: a HAR is stored whole or not at all.
      const ids = connect().apply(message.events);
      post({ kind: 'committed', ids });
      post({ kind: 'imported', token: message.token, ids, error: null });
    } catch (err) {
      post({ kind: 'imported', token: message.token, ids: [], error: (err as Error).message });
    }
  } else if (message.kind === 'close') {
    flush();
    if (backlog.length) post({ kind: 'warning', message: `${backlog.waitingExchanges()} exchange(s) could not be stored before stopping: storage is still failing` });
    try {
      const ids = store?.interruptOpen() ?? [];
      if (ids.length) post({ kind: 'committed', ids });
    } catch (err) {
      post({ kind: 'warning', message: `could not mark open exchanges as interrupted: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  }
});
