// What the floor proxy does with --record: the least a recording proxy can store, to show in
// the benchmark what storing alone costs on this machine. One row per exchange (method, URL,
// status, both heads as JSON, both bodies up to 1 MB each), batched to a worker thread every
// 10 ms and written there in one transaction per batch, WAL, synchronous=NORMAL, as wirelog
// stores. No events per chunk, no search index, no analysis, no masking.
import { Worker } from 'node:worker_threads';

export interface FloorRecord {
  method: string;
  url: string;
  status: number;
  requestHeaders: string;
  responseHeaders: string;
  requestBody: Buffer;
  responseBody: Buffer;
  startedAt: number;
  endedAt: number;
}

// Plain JavaScript so that the worker needs no TypeScript loader.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
// Named as wirelog names its storage thread, for the benchmark to count its CPU apart.
try { require('node:fs').writeFileSync('/proc/thread-self/comm', 'floor-storage'); } catch {}
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS exchanges (id INTEGER PRIMARY KEY, method TEXT, url TEXT, status INTEGER, request_headers TEXT, response_headers TEXT, request_body BLOB, response_body BLOB, started_at REAL, ended_at REAL)');
const insert = db.prepare('INSERT INTO exchanges (method, url, status, request_headers, response_headers, request_body, response_body, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
const store = db.transaction((rows) => {
  for (const r of rows) insert.run(r.method, r.url, r.status, r.requestHeaders, r.responseHeaders, r.requestBody, r.responseBody, r.startedAt, r.endedAt);
});
parentPort.on('message', store);
`;

export function startFloorRecorder(file: string, betterSqlite3: string): { record(r: FloorRecord): void } {
  const worker = new Worker(WORKER, { eval: true, workerData: { file, betterSqlite3 } });
  worker.unref();
  // A floor that stops storing would measure nothing: end the process, saying why.
  worker.on('error', (err) => {
    console.error(`floor recorder: ${err.message}`);
    process.exit(1);
  });
  let pending: FloorRecord[] = [];
  let _timer: NodeJS.Timeout | null = null;
  const flush = () => {
    _timer = null;
    worker.postMessage(pending);
    pending = [];
  };
  return {
    record(r) {
      pending.push(r);
      _timer ??= setTimeout(flush, 10);
    },
  };
}

/** A body's first bytes, kept while it passes. */
export function bodyKeeper(limit = 1024 * 1024): { add(chunk: Buffer): void; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk) {
      if (size >= limit) return;
      const part = chunk.subarray(0, limit - size);
      chunks.push(Buffer.from(part));
      size += part.length;
    },
    bytes: () => Buffer.concat(chunks, size),
  };
}
