import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ExchangeEvent } from '../model/exchange.ts';
import { CaptureStore } from './capture-store.ts';
import { prune, type RetentionLimits } from './retention.ts';
import type { ToWorker, FromWorker } from './writer.ts';

const { file, flushIntervalMs, retention, pruneIntervalMs } = workerData as {
  file: string;
  flushIntervalMs: number;
  retention: RetentionLimits;
  pruneIntervalMs: number;
};

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
let queue: ExchangeEvent[] = [];
let timer: NodeJS.Timeout | null = null;
let failing = false;
let db: Database.Database | null = null;

function connect(): CaptureStore {
  if (store) return store;
  db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  store = new CaptureStore(db);
  return store;
}

function flush(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (queue.length === 0) return;
  const batch = queue;
  queue = [];
  try {
    const s = connect();
    const changed = s.apply(batch);
    if (failing) post({ kind: 'recovered' });
    failing = false;
    if (s.indexError) {
      post({ kind: 'warning', message: s.indexError });
      s.indexError = null;
    }
    if (changed.length) post({ kind: 'committed', ids: changed });
  } catch (err) {
    // Traffic keeps flowing; this batch is lost and said so, later batches try again.
    store?.forget(batch);
    if (!failing) post({ kind: 'error', message: (err as Error).message, lost: batch.filter((e) => e.type === 'request').length });
    failing = true;
  }
}

/** Retention runs on this thread too, between batches: forwarding never waits for it. */
function pruneNow(): void {
  try {
    connect();
    const deleted = prune(db!, retention);
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
    queue.push(...message.events);
    timer ??= setTimeout(flush, flushIntervalMs);
  } else if (message.kind === 'flush') {
    flush();
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'clear') {
    flush();
    try {
      connect().clear();
    } catch (err) {
      post({ kind: 'warning', message: `could not clear the captures: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  } else if (message.kind === 'close') {
    flush();
    try {
      const ids = store?.interruptOpen() ?? [];
      if (ids.length) post({ kind: 'committed', ids });
    } catch (err) {
      post({ kind: 'warning', message: `could not mark open exchanges as interrupted: ${(err as Error).message}` });
    }
    post({ kind: 'flushed', token: message.token });
  }
});
