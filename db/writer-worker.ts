import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ExchangeEvent } from '../model/exchange.ts';
import { Backlog, type ShedReport } from './backlog.ts';
import type { SliceDone } from './indexer.ts';
import { RingReader, type RingSpan, type SharedRing } from './body-ring.ts';
import { CaptureStore, ENDING_NOW, INTERRUPTED, type UnderstandEnded } from './capture-store.ts';
import { CommitGather, arrivalOf } from './commit-gather.ts';
import { Upkeep, type RetentionLimits } from './retention.ts';
import { IndexBuild } from './index-build.ts';
import { chunkWith, decodeEvents, type PostedEvent } from './event-transport.ts';
import type { ToWorker, FromWorker } from './writer.ts';
import { createI18n } from '../i18n/index.ts';
import { cliLanguage } from '../i18n/languages.ts';

const {
  file,
  flushIntervalMs,
  retention,
  pruneIntervalMs,
  maxBacklogBytes,
  ring: sharedRing,
  restartedAfter,
} = workerData as {
  file: string;
  /** Set when this thread replaces one that stopped (db/writer.ts): why that one stopped. */
  restartedAfter?: string;
  ring: SharedRing;
  flushIntervalMs: number;
  retention: RetentionLimits;
  pruneIntervalMs: number;
  maxBacklogBytes: number;
};

// Waits between attempts while storage fails: soon at first, then every few seconds.
const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];
// What waited while storage failed is stored in batches that fit where little room came back (a
// disk that was full): the first of this many events and bytes, twice as many after each batch
// that commits, half after one that fails. Retrying the whole backlog in one transaction refilled
// the disk with its WAL each time, and stored nothing of it.
const FIRST_RETRY_EVENTS = 16;
const FIRST_RETRY_BYTES = 64 * 1024;

// This thread runs at the process's own priority. It used to lower itself to nice 10 so as to
// yield to forwarding; on a machine busy with builds and tests it then starved (bench/storage-lag.ts,
// two CPU burners on the 2 cores: a row seen a median 8.3 s after its exchange ended, 31 of 144
// probes never in 30 s, RSS 82 -> 236 MB; at nice 0: 0.08-0.25 s, none missing, 130 MB). Behind
// storage costs memory and, at a crash, everything it held.
const port = parentPort!;

// Named in /proc (Linux): `top -H` and the benchmark (bench/side-by-side.ts, CPU per recorded row)
// tell this thread from the forwarding thread and V8's and libuv's. Elsewhere it stays unnamed.
try {
  fs.writeFileSync('/proc/thread-self/comm', 'wirelog-storage');
} catch {
  // Not Linux, or /proc not mounted: nothing depends on the name.
}
const post = (message: FromWorker) => port.postMessage(message);

let store: CaptureStore | null = null;
const backlog = new Backlog(maxBacklogBytes, 'storage was failing');
let timer: NodeJS.Timeout | null = null;
// Posted batches are committed several at a time while they keep coming (db/commit-gather.ts):
// within GATHER_MS of the first, at once when none came for two of the writer's post gaps (it
// posts every flushIntervalMs while busy, a little later under load), at once past ENDING_NOW
// ended exchanges (each transaction understands that many), 1 MB waiting, or a quarter of the ring.
// A flush, clear, import or stop commits what waits first, as does the writer waiting for room.
const GATHER_MS = 100;
const gather = new CommitGather({
  maxWaitMs: GATHER_MS,
  quietMs: 2 * flushIntervalMs,
  maxEnds: ENDING_NOW,
  maxBytes: 1024 * 1024,
  maxRingBytes: sharedRing.data.byteLength / 4,
});
/** Consecutive failed attempts at a batch that will be retried; 0 while storage works. */
let failures = 0;
/** A failure was reported and storage has not worked since. */
let reported = false;
/** While recovering from a failure: how many events (and bytes) the next batch takes at most. */
let retryEvents = FIRST_RETRY_EVENTS;
let retryBytes = FIRST_RETRY_BYTES;
/** What became of what waited since storage started failing: exchanges stored, left out whole, discarded by a clear. */
let episode = { stored: 0, lost: 0, discarded: 0 };
/** The last message of events taken in: once the backlog is stored, everything up to it is. */
let receivedSeq = 0;
/** An indexing failure was said and indexing has not worked since. */
let indexWarned = false;

// Understanding and search indexing run after the batch that finished an exchange, a slice at a
// time between batches (db/indexer.ts): a slice takes this long or this many exchanges at most,
// and what waits to be stored is stored before each slice. After each batch, they held the next
// batch up: bench/storage-lag.ts with two CPU burners on a machine at load 11-16, the same build
// either way, alternately: a probe row seen p50 157-465 ms / p99 1.4-2.5 s late; in slices,
// p50 121-126 ms / p99 0.89-0.92 s.
const INDEX_SLICE_MS = 8;
const INDEX_SLICE_EXCHANGES = 64;
// A slice is done in the transaction of a batch, after its rows (applyWithSlice): each
// transaction writes every page it dirtied (the exchanges' ~17 indexes) whatever the rows in it,
// and a slice in a transaction of its own wrote many of those pages again. It waits until this
// long after the batch that ended its first exchange, or until a slice's worth have ended, so
// that it takes the exchanges of several batches: each slice also adds a search-index segment,
// and one per 20 ms batch cost more merging (bench/side-by-side.ts --recording-cost). With no
// batch to join (traffic stopped), it runs alone after that time. One that stops at its bound is
// followed by the next batch's, or at once if none waits.
const INDEX_GATHER_MS = 50;
/** When the first exchange still waiting for a slice was committed (null: none waits). */
let endedSince: number | null = null;
// After a slice that failed (a full disk), the next waits this long.
const INDEX_RETRY_MS = 1000;
// At a stop, this run's finished exchanges are understood for at most this long; the rest after the next start.
const INDEX_AT_CLOSE_MS = 1000;
let indexScheduled = false;
let indexRetry: NodeJS.Timeout | null = null;
/** Rows an earlier run or schema left out of the search index, while they are indexed: said at start and end. */
let reindexing: { count: number; startedAt: number } | null = null;
// The console's lines are in the user's language (WIRELOG_LANG, LC_ALL/LC_MESSAGES/LANG).
const t = createI18n(cliLanguage(process.env)).t;

// Exchanges an earlier wirelog left open (it was killed) are marked interrupted here, a slice of
// ids at a time between capture's batches, after the proxy listens. Done before listening, one
// UPDATE read every row of the table, and closing that connection checkpointed the WAL a kill
// left (bench/restart.ts, 20,000 Codex-shaped exchanges, 1.1 GB and a 118 MB WAL, page cache
// dropped: listening after 3.5 s, of which 0.9 s the scan; now 1.3 s, the leftovers marked 1.2 s later).
const LEFTOVER_SLICE = 1000;
let leftovers: { next: number; last: number; marked: number } | null = null;
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
  // What a clear or retention deletes is overwritten, not only unlinked (db/retention.ts).
  db.pragma('secure_delete = ON');
  store = new CaptureStore(db, (exchange, bodies, context) => understanding?.(exchange, bodies, context) ?? null);
  store.indexInSlices = true;
  return store;
}

function schedule(ms: number): void {
  timer ??= setTimeout(flush, ms);
}

/** What waits is committed in `ms`, unless more comes first (the gathering's next decision). */
function gatherFor(ms: number): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(flush, ms);
}

function reportShed(report: ShedReport): void {
  if (report.exchanges || report.bytes || report.events) post({ kind: 'shed', ...report });
  episode.lost += report.exchanges;
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
  return events.map((e) =>
    e.type === 'body-chunk' && e.chunk.buffer instanceof SharedArrayBuffer ? chunkWith(e, new Uint8Array(e.chunk)) : e,
  );
}

/**
 * Stores what waits: all of it while storage works; while it is recovering from a failure, a
 * batch that fits, then the next, growing. Returns false when a batch failed (it waits again).
 * A slice waiting to be done is done in the batch's transaction.
 */
function flush(sliceNow = false): boolean {
  if (timer) clearTimeout(timer);
  timer = null;
  if (backlog.length === 0) {
    releaseRing();
    return true;
  }
  const recovering = failures > 0;
  gather.taken();
  const batch = recovering ? backlog.takeFirst(retryEvents, retryBytes) : backlog.take();
  try {
    const s = connect();
    folded = null;
    const sliceToo = !recovering && !indexRetry && (sliceNow ? s.sliceHasWork('all') : sliceDue(s));
    const changed = sliceToo ? applyWithSlice(s, batch) : s.apply(batch);
    releaseRing();
    if (changed.length) post({ kind: 'committed', ids: changed });
    // An exchange written once (begun and ended in this batch) is understood and indexed in it: a failure to is said as a slice's.
    if (!folded && s.indexError) afterIndexing([]);
    if (folded) afterSlice(folded);
    // The exchanges this batch ended: in a later batch's slice, or alone after INDEX_GATHER_MS.
    else indexLater();
    if (endedSince === null && s.endedWaiting > 0) endedSince = performance.now();
    if (recovering) episode.stored += batch.reduce((n, e) => n + (e.type === 'end' ? 1 : 0), 0);
    if (backlog.length > 0) {
      // More of what waited: the next batch at once, twice as large.
      retryEvents *= 2;
      retryBytes *= 2;
      post({ kind: 'waiting', exchanges: backlog.waitingExchanges() });
      schedule(0);
      return true;
    }
    post({ kind: 'stored', seq: receivedSeq });
    if (reported) recovered();
    return true;
  } catch (err) {
    if (!isPassing(err)) {
      // Not a state of the disk that can pass: retrying would fail the same way and hold up
      // every later capture, so this batch is dropped and said so.
      const lost = batch.filter((e) => e.type === 'request').length;
      episode.lost += lost;
      post({ kind: 'error', message: (err as Error).message, waiting: backlog.waitingExchanges(), lost });
      reported = true;
      releaseRing();
      if (backlog.length > 0) schedule(RETRY_MS[0]);
      return false;
    }
    if (failures === 0) episode = { stored: 0, lost: 0, discarded: 0 };
    reportShed(backlog.putBack(owned(batch)));
    releaseRing();
    if (failures === 0) {
      post({ kind: 'error', message: (err as Error).message, waiting: backlog.waitingExchanges(), lost: 0 });
    } else post({ kind: 'waiting', exchanges: backlog.waitingExchanges() });
    retryEvents = failures === 0 ? FIRST_RETRY_EVENTS : Math.max(1, Math.floor(retryEvents / 2));
    retryBytes = failures === 0 ? FIRST_RETRY_BYTES : Math.max(4096, Math.floor(retryBytes / 2));
    reported = true;
    schedule(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
    failures++;
    return false;
  }
}

/** A slice is due with this batch: a slice's worth of exchanges ended, or the first of them INDEX_GATHER_MS ago. */
function sliceDue(s: CaptureStore): boolean {
  if (!s.sliceHasWork('understand')) return false;
  return (
    s.endedWaiting >= INDEX_SLICE_EXCHANGES ||
    (endedSince !== null && performance.now() - endedSince >= INDEX_GATHER_MS)
  );
}

/** What the slice done with the last batch did (null: none was). */
let folded: SliceDone | null = null;

/**
 * The batch and a slice in one transaction (bench/side-by-side.ts --recording-cost: a slice in
 * its own transaction cost the storage thread a commit that wrote the batch's pages again). If
 * that fails, the batch is tried alone at once: a slice that cannot be done never holds up capture.
 */
function applyWithSlice(s: CaptureStore, batch: ExchangeEvent[]): number[] {
  try {
    const { changed, done } = s.applyWithSlice(batch, 'all', INDEX_SLICE_MS, INDEX_SLICE_EXCHANGES);
    folded = done;
    return changed;
  } catch {
    folded = { understood: [], indexed: 0, more: true, failed: true };
    return s.apply(batch);
  }
}

/**
 * A slice of understanding and indexing runs after INDEX_GATHER_MS (`now`: at once, work is left
 * over), unless one is due already or storage is failing (its retry comes first).
 */
function indexLater(now = false): void {
  if (indexScheduled || indexRetry || !store) return;
  indexScheduled = true;
  if (now) setImmediate(indexStep);
  else setTimeout(indexStep, INDEX_GATHER_MS);
}

/**
 * One slice, after whatever waits to be stored (a new row is never held up by more than one
 * slice); the next slice follows while work is left. The live feed hears of the exchanges understood.
 */
function indexStep(): void {
  indexScheduled = false;
  if (!store || failures > 0) return;
  // Nothing to do: what is gathering waits for its own time (db/commit-gather.ts), not the slice's.
  if (!store.sliceHasWork('all')) return sayReindexed();
  // What waits to be stored is stored with the slice, in one transaction (flush goes on from there).
  if (backlog.length > 0) {
    folded = null;
    if (!flush(true) || folded) return;
  }
  // A slice that stopped at its bound just as the work ran out said "more": nothing is left, and
  // an upgrade's re-indexing is said to be done here (it was never said, at load, in CI).
  if (!store.sliceHasWork('all')) return sayReindexed();
  afterSlice(store.indexSlice('all', INDEX_SLICE_MS, INDEX_SLICE_EXCHANGES));
}

/** After a slice: the next follows at once while work is left, or later if it failed; the live feed hears of what it understood. */
function afterSlice(done: SliceDone): void {
  // Left over at its bound: the next batch's slice is due at once.
  endedSince = done.more ? 0 : store!.endedWaiting > 0 ? performance.now() : null;
  afterIndexing(done.understood);
  if (done.failed) {
    indexRetry = setTimeout(() => {
      indexRetry = null;
      indexLater();
    }, INDEX_RETRY_MS);
    return;
  }
  // More: the next batch takes it if one waits (its flush is due), else a slice at once.
  if (done.more) return indexLater(!timer);
  // The batch stored with the slice finished exchanges of its own: their slice follows as after any batch.
  if (store!.sliceHasWork('understand')) indexLater();
  else sayReindexed();
}

/** An upgrade's re-indexing, once no row is left out of the index, said done (paused, the index being merged, is not done). */
function sayReindexed(): void {
  if (!reindexing || store!.unindexedRows() > 0) return;
  post({
    kind: 'warning',
    message: t('searchIndex.console.built', {
      count: reindexing.count,
      seconds: ((performance.now() - reindexing.startedAt) / 1000).toFixed(1),
    }),
  });
  reindexing = null;
}

/** What a slice understood goes to the live feed; a failure to index is said once, not once per slice. */
function afterIndexing(understood: number[]): void {
  if (understood.length) post({ kind: 'committed', ids: understood });
  const error = store?.indexError;
  if (error) {
    if (!indexWarned) post({ kind: 'warning', message: t('searchIndex.console.failing', { error }) });
    indexWarned = true;
    store!.indexError = null;
  } else if (understood.length) indexWarned = false;
}

/** At start: rows an earlier run (killed) or an earlier schema left out of the search index are indexed in slices, said in one line. */
function indexLeftoversLater(): void {
  try {
    const count = connect().unindexedRows();
    // After a thread that stopped, its last rows are indexed without a word: nothing was upgraded.
    if (count > 0 && restartedAfter === undefined) {
      reindexing = { count, startedAt: performance.now() };
      post({ kind: 'warning', message: t('searchIndex.console.building', { count }) });
    }
    indexLater();
  } catch (err) {
    post({ kind: 'warning', message: t('searchIndex.console.failing', { error: (err as Error).message }) });
  }
}

/** Storage works again and nothing waits: what became of what waited is said, in counts. */
function recovered(): void {
  post({ kind: 'recovered', ...episode });
  reported = false;
  failures = 0;
  retryEvents = FIRST_RETRY_EVENTS;
  retryBytes = FIRST_RETRY_BYTES;
  episode = { stored: 0, lost: 0, discarded: 0 };
}

/** Stores everything that waits, batch after batch, until it is stored or a batch fails. */
function drain(): void {
  while (flush() && backlog.length > 0);
}

/** Locked, busy, full, read-only or failing I/O: conditions that end, after which the same batch stores. */
function isPassing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL)/.test(code);
}

/**
 * Every exchange stored before this run is swept, in slices: no other wirelog serves this
 * database, so whatever of them is still open was left by one that died. Called before the
 * first batch of this run is stored.
 */
function sweepLeftoversLater(): void {
  try {
    connect();
    // Two subqueries: each an end of the rowid (min and max together would read every row).
    const ids = db!
      .prepare('SELECT (SELECT min(id) FROM exchanges) AS first, (SELECT max(id) FROM exchanges) AS last')
      .get() as { first: number | null; last: number | null };
    if (ids.first === null || ids.last === null) return;
    leftovers = { next: ids.first, last: ids.last, marked: 0 };
    setImmediate(sweepLeftovers);
  } catch (err) {
    post({
      kind: 'warning',
      message: `could not look for exchanges an earlier run left open: ${(err as Error).message}`,
    });
  }
}

function sweepLeftovers(): void {
  const sweep = leftovers;
  if (!sweep) return;
  try {
    const to = Math.min(sweep.next + LEFTOVER_SLICE - 1, sweep.last);
    sweep.marked += db!
      .prepare(
        "UPDATE exchanges SET state = 'interrupted', error = ? WHERE id BETWEEN ? AND ? AND state IN ('pending', 'streaming')",
      )
      .run(INTERRUPTED, sweep.next, to).changes;
    sweep.next = to + 1;
  } catch (err) {
    // A locked or full database: the sweep waits, as captures do.
    if (isPassing(err)) return void setTimeout(sweepLeftovers, RETRY_MS[RETRY_MS.length - 1]).unref();
    leftovers = null;
    return post({
      kind: 'warning',
      message: `could not mark the exchanges an earlier run left open as interrupted: ${(err as Error).message}`,
    });
  }
  if (sweep.next <= sweep.last) return void setImmediate(sweepLeftovers);
  leftovers = null;
  if (sweep.marked && restartedAfter !== undefined)
    post({ kind: 'warning', message: t('storageThread.swept', { count: sweep.marked }) });
  else if (sweep.marked)
    post({
      kind: 'warning',
      message: `${sweep.marked} exchange(s) left open by an earlier run are now marked interrupted`,
    });
}

/**
 * Retention and Clear all run on this thread too, in steps of one short transaction with
 * capture's batches in between (setImmediate lets waiting messages in): forwarding never waits
 * for them, capture waits one step at most, and a stop is heard between two steps.
 */
const upkeep = new Upkeep(
  () => {
    connect();
    return db!;
  },
  retention,
  {
    later: (next) => setImmediate(next),
    purging: (on) => {
      if (!store) return;
      store.deferIndexing = on;
      if (!on) indexLater();
    },
    finished: ({ pruned, cleared }) => {
      if (pruned + cleared) post({ kind: 'pruned', deleted: pruned + cleared });
    },
    warn: (message) => post({ kind: 'warning', message }),
  },
);
function pruneNow(): void {
  upkeep.prune();
}
// Indexes an upgrade added, built one per step between capture's batches once wirelog listens
// (the writer says so), or at once on a thread replacing one that stopped (listening already).
const indexBuild = new IndexBuild(
  () => {
    connect();
    return db!;
  },
  t,
  {
    later: (next, ms) => void (ms ? setTimeout(next, ms).unref() : setImmediate(next)),
    storeWaiting: () => failures === 0 && (backlog.length === 0 || flush()),
    say: (message) => post({ kind: 'warning', message }),
  },
);
if (restartedAfter !== undefined) indexBuild.start();
sweepLeftoversLater();
indexLeftoversLater();
pruneNow();
setInterval(() => {
  // While storage fails, the retry timer decides when to try again.
  if (failures === 0) flush();
  pruneNow();
}, pruneIntervalMs).unref();

/**
 * Events the thread before this one had not said it stored, handed again: an exchange whose
 * request is stored already (that thread committed it and stopped before saying so) is skipped,
 * not stored twice (its uid is unique: the whole batch would fail). The writer has counted it as
 * cut, and the sweep marks it interrupted if it was still open.
 */
function notStoredYet(events: ExchangeEvent[]): ExchangeEvent[] {
  try {
    connect();
    const exists = db!.prepare('SELECT 1 FROM exchanges WHERE uid = ?').pluck();
    const skip = new Set<string>();
    for (const e of events) if (e.type === 'request' && exists.get(e.uid) !== undefined) skip.add(e.uid);
    return skip.size === 0 ? events : events.filter((e) => !skip.has(e.uid));
  } catch {
    // Storage failing: the batch is tried as it is, and waits like any other.
    return events;
  }
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'events') {
    receivedSeq = message.seq;
    const posted = decodeEvents(message);
    const events = received(posted, message.cost, failures > 0);
    // While storage fails, what arrives waits in the backlog, not in the ring the writer needs.
    reportShed(backlog.add(message.resent ? notStoredYet(events) : events));
    if (failures > 0) releaseRing();
    // While storage fails, the retry timer decides when to try again.
    if (failures > 0) return;
    const wait = gather.arrived(arrivalOf(posted, backlog.bytes), performance.now());
    if (wait === 0 || ring.writerWaits()) flush();
    else gatherFor(wait);
  } else if (message.kind === 'flush') {
    drain();
    // Flushed: what was stored is understood too (a replay reads its call; a test its diagnosis).
    if (failures === 0) store?.indexWaiting('understand', (done) => afterIndexing(done.understood));
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'clear') {
    drain();
    try {
      connect().clear();
      upkeep.resume();
      // Whatever still waits (storage was failing) was captured before the clear: it goes too,
      // and is said to have gone, not to have been stored.
      const discarded = backlog.waitingExchanges();
      backlog.take();
      if (discarded) {
        episode.discarded += discarded;
        post({ kind: 'discarded', exchanges: discarded });
      }
      post({ kind: 'stored', seq: receivedSeq });
      if (reported) recovered();
    } catch (err) {
      post({ kind: 'warning', message: `could not clear the captures: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'import') {
    drain();
    try {
      // One transaction: a HAR is stored whole or not at all.
      const ids = connect().apply(message.events);
      post({ kind: 'committed', ids });
      post({ kind: 'imported', token: message.token, ids, error: null });
      indexLater();
    } catch (err) {
      post({ kind: 'imported', token: message.token, ids: [], error: (err as Error).message });
    }
  } else if (message.kind === 'listening') {
    indexBuild.start();
  } else if (message.kind === 'close') {
    upkeep.stop();
    indexBuild.stop();
    drain();
    // This run's finished exchanges understood for a short while; what is left is done after the next start.
    if (failures === 0) store?.indexWaiting('understand', (done) => afterIndexing(done.understood), INDEX_AT_CLOSE_MS);
    if (backlog.length)
      post({
        kind: 'warning',
        message: `${backlog.waitingExchanges()} exchange(s) could not be stored before stopping: storage is still failing`,
      });
    try {
      const ids = store?.interruptOpen() ?? [];
      if (ids.length) post({ kind: 'committed', ids });
    } catch (err) {
      post({ kind: 'warning', message: `could not mark open exchanges as interrupted: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  }
});
