// The storage thread's CPU per recorded row, alone in one process (issue 28): the side-by-side
// bench (bench/side-by-side.ts --recording-cost) measures it through a live proxy, where a busy
// machine moves a round by 20-40 µs a row; here the same work without sockets moves less. Each
// round stores WARM exchanges into a fresh store (schema's every index), then ROWS more, timed:
// batches of 32 exchanges decoded as the worker decodes them (db/event-transport.ts), each
// written in one transaction, with a slice of understanding, indexing and packing folded in
// once 64 ended (as db/writer-worker.ts does), and at the end every slice still due. CPU of
// this thread (process.cpuUsage: the store runs on it alone) per row; best and median of rounds.
//
//   npx tsx bench/storage-row-cost.ts [--kind get|call|sse] [--rows 3000] [--rounds 5] [--store DIR] [--cache KB] [--batch 32] [--wal-autocheckpoint 1000]
//
// --store DIR: each round appends to the store in DIR (a copy of a large one, never the original:
// it is written to) instead of a fresh one, to see what a store's size costs a row (its indexes'
// pages read and dirtied where a fresh store's fit in the cache).
//
// get: GET /v1/models answered with a 1.4 KB JSON list (side-by-side's row); call: a chat
// completion answered with JSON (an understood model call); sse: a chat completion streamed as
// 40 SSE events in 40 chunks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { CaptureStore } from '../db/capture-store.ts';
import { decodeEvents, encodeEvents, type EncodedEvents } from '../db/event-transport.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { analyzeEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent, Header, RequestHead } from '../model/exchange.ts';
import { timeOrderedUid } from '../proxy/recorder.ts';
import { chatStreamEvents } from '../test/support/exchange-events.ts';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'get' },
    rows: { type: 'string', default: '3000' },
    warm: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    store: { type: 'string' },
    // The writer's page cache in KB (db/writer-worker.ts sets 2,000): what a larger one saves a row.
    cache: { type: 'string', default: '2000' },
    // Exchanges per transaction: the writer posts about 20 ms of events at a time (32 here).
    batch: { type: 'string', default: '32' },
    // SQLite's wal_autocheckpoint in pages (its default, 1,000; 0: none): what checkpoints cost a row.
    'wal-autocheckpoint': { type: 'string', default: '1000' },
  },
});
const KIND = values.kind as 'get' | 'call' | 'sse';
const ROWS = Number(values.rows);
const WARM = Number(values.warm);
const ROUNDS = Number(values.rounds);
const KEPT = values.store;
const BATCH = Number(values.batch);

const MODELS = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: Array.from({ length: 12 }, (_, i) => ({
      id: `model-${i}`,
      object: 'model',
      created: 1700000000 + i,
      owned_by: 'relay',
    })),
  }),
);

function head(method: string, path: string, headers: Header[]): RequestHead {
  return {
    startedAt: Date.now(),
    clientAddress: '127.0.0.1:50000',
    method,
    scheme: 'https',
    host: 'localhost',
    port: 8443,
    path,
    httpVersion: '1.1',
    headers,
  };
}

function ending(uid: string, request: number, response: number): ExchangeEvent {
  return {
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { requestSent: 0.2, responseHeaders: 1.1, firstByte: 1.2, end: 1.4 },
    requestBody: { size: request, storedSize: request, truncated: false, encoding: '' },
    responseBody: { size: response, storedSize: response, truncated: false, encoding: '' },
  };
}

/** One exchange's events, as the recorder emits them. */
function exchange(i: number): ExchangeEvent[] {
  const uid = timeOrderedUid();
  const client: Header[] = [
    ['host', 'localhost:8443'],
    ['authorization', 'Bearer sk-***'],
    ['user-agent', 'bench/1.0'],
  ];
  if (KIND === 'get') {
    return [
      { type: 'request', uid, head: head('GET', '/v1/models', client) },
      {
        type: 'response-head',
        uid,
        atMs: 1.1,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
      },
      { type: 'body-chunk', uid, side: 'response', chunk: MODELS, atMs: 1.2 },
      ending(uid, 0, MODELS.length),
    ];
  }
  const request = Buffer.from(
    JSON.stringify({
      model: 'gpt-made',
      stream: KIND === 'sse',
      messages: [{ role: 'user', content: `question ${i} ${'about the weather '.repeat(20)}` }],
    }),
  );
  const post = head('POST', '/v1/chat/completions', [...client, ['content-type', 'application/json']]);
  if (KIND === 'call') {
    const answer = Buffer.from(
      JSON.stringify({
        id: `chatcmpl-${i}`,
        object: 'chat.completion',
        model: 'gpt-made',
        choices: [{ index: 0, message: { role: 'assistant', content: `answer ${i}` }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 40 + (i % 7), completion_tokens: 9, total_tokens: 49 + (i % 7) },
      }),
    );
    return [
      { type: 'request', uid, head: post },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 0.1 },
      {
        type: 'response-head',
        uid,
        atMs: 20,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
      },
      { type: 'body-chunk', uid, side: 'response', chunk: answer, atMs: 25 },
      ending(uid, request.length, answer.length),
    ];
  }
  const events: ExchangeEvent[] = [
    { type: 'request', uid, head: post },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 0.1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/event-stream']] },
    },
  ];
  const answer = chatStreamEvents(uid, i, { prompt_tokens: 40, completion_tokens: 38, total_tokens: 78 });
  events.push(...answer.events);
  const size = answer.size;
  events.push(ending(uid, request.length, size));
  return events;
}

/** Batches as the writer posts them: BATCH exchanges each, encoded. */
function batches(from: number, count: number): EncodedEvents[] {
  const out: EncodedEvents[] = [];
  for (let i = from; i < from + count; i += BATCH) {
    const events: ExchangeEvent[] = [];
    for (let j = i; j < Math.min(from + count, i + BATCH); j++) events.push(...exchange(j));
    out.push(encodeEvents(events));
  }
  return out;
}

/** As db/writer-worker.ts connects. */
function connect(dataDir: string): { db: Database.Database; store: CaptureStore } {
  openDatabase(dataDir).close();
  const db = new Database(databasePath(dataDir));
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${Number(values.cache)}`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = ON');
  db.pragma(`wal_autocheckpoint = ${Number(values['wal-autocheckpoint'])}`);
  const store = new CaptureStore(db, (exchange, bodies, context) => analyzeEnded(exchange, bodies, context).facts);
  store.indexInSlices = true;
  // As at start: a first slice finds no row an earlier run left; from then on ended exchanges are queued.
  store.indexWaiting('all');
  return { db, store };
}

/** Stores the batches as the worker does: a slice folded into a batch's transaction once 64 ended. */
function store(s: CaptureStore, posted: EncodedEvents[]): void {
  for (const message of posted) {
    const events = decodeEvents(message) as ExchangeEvent[];
    if (s.endedWaiting >= 64) s.applyWithSlice(events, 'all', 8, 64);
    else s.apply(events);
  }
  s.indexWaiting('all');
}

/** CPU ms of this process's main thread (the store's), from /proc: process.cpuUsage counts every thread, V8's helpers too. */
function threadCpuMs(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const perRow: number[] = [];
const threadPerRow: number[] = [];
/** With no checkpoints (--wal-autocheckpoint 0): pages the timed rows wrote to the WAL, per row (each commit writes each page it dirtied). */
const framesPerRow: number[] = [];
const NO_CHECKPOINTS = Number(values['wal-autocheckpoint']) === 0;
for (let round = 0; round < ROUNDS; round++) {
  const dataDir = KEPT ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-row-cost-'));
  const { db, store: s } = connect(dataDir);
  const last = db.prepare('SELECT coalesce(max(id), 0) FROM exchanges').pluck().get() as number;
  store(s, batches(0, WARM));
  const timed = batches(WARM, ROWS);
  if (NO_CHECKPOINTS) db.pragma('wal_checkpoint(TRUNCATE)');
  const c0 = process.cpuUsage();
  const t0 = threadCpuMs();
  store(s, timed);
  const c = process.cpuUsage(c0);
  perRow.push((c.user + c.system) / ROWS);
  threadPerRow.push(((threadCpuMs() - t0) * 1000) / ROWS);
  if (NO_CHECKPOINTS) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    framesPerRow.push((fs.statSync(`${databasePath(dataDir)}-wal`).size - 32) / (pageSize + 24) / ROWS);
  }
  const count = db.prepare('SELECT count(*) FROM exchanges WHERE id > ? AND to_index = 0').pluck().get(last) as number;
  if (count !== WARM + ROWS) throw new Error(`${count} rows done of ${WARM + ROWS}`);
  db.close();
  if (!KEPT) fs.rmSync(dataDir, { recursive: true, force: true });
}
const figures = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `best ${sorted[0].toFixed(1)} µs, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} µs (rounds ${values.map((x) => x.toFixed(1)).join(', ')})`;
};
console.log(
  `storage CPU per row (${KIND}, ${ROWS} rows after ${WARM}, ${BATCH} a transaction, wal_autocheckpoint ${values['wal-autocheckpoint']}, ${ROUNDS} rounds, node ${process.execArgv.filter((a) => /^--(max-semi|heap|optimize|no-opt)/.test(a)).join(' ') || 'defaults'}): all threads ${figures(perRow)}; the store's thread ${figures(threadPerRow)}${NO_CHECKPOINTS ? `; WAL pages per row ${framesPerRow.map((x) => x.toFixed(2)).join(', ')}` : ''}; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
