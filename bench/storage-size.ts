// npm run bench (storage size, issue 28): the same generated traffic stored by today's store
// (db/capture-store.ts on schema 14: request bodies of model calls split into parts stored once,
// every row compressed) and by the store before it (schema 13's rows, written as it wrote them:
// bodies raw in rows as they came, SSE data as text), side by side in one run. Sizes are the
// tables' pages (dbstat), the search index left out of both (it is the same for both here and
// is its own slice of issue 28); the CPU each store spends per exchange is printed beside.
// Figures are printed, never asserted.
//   npx tsx bench/storage-size.ts [--quick]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { codexSession } from '../test/support/codex-session.ts';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const MB = 1024 * 1024;

/** One exchange as it crossed the wire: what both stores are given. */
interface Wire {
  path: string;
  request: Buffer;
  contentType: string;
  /** SSE events (the response body is their framing), or a plain response body. */
  events: { event: string | null; data: string }[];
  response: Buffer;
}

function* codexTurns(turns: number, seed: string): Generator<Wire> {
  for (const turn of codexSession(turns, seed))
    yield {
      path: '/v1/responses',
      request: turn.request,
      contentType: 'text/event-stream',
      events: turn.events,
      response: turn.responseBody,
    };
}

/** A chat-completions app (Cherry Studio, a CLI): the conversation resent each turn, answers streamed as chunks. */
function* chatTurns(turns: number, seed: string): Generator<Wire> {
  const messages: unknown[] = [
    { role: 'system', content: `You are a helpful assistant. ${'Answer briefly and precisely. '.repeat(20)}` },
  ];
  for (let turn = 0; turn < turns; turn++) {
    messages.push({
      role: 'user',
      content: `Question ${turn} of ${seed}: ${createHash('sha256').update(`${seed}${turn}`).digest('hex').repeat(8)}`,
    });
    const request = Buffer.from(JSON.stringify({ model: 'deepseek-chat', stream: true, messages }));
    const words = Array.from({ length: 120 }, (_, k) => ` word${(k * 7 + turn) % 50}`);
    const events = words.map((w, k) => ({
      event: null,
      data: JSON.stringify({
        id: `chatcmpl-${seed}${turn}`,
        object: 'chat.completion.chunk',
        created: 1764000000 + turn,
        model: 'deepseek-chat',
        choices: [{ index: 0, delta: { content: w }, finish_reason: k === words.length - 1 ? 'stop' : null }],
      }),
    }));
    events.push({ event: null, data: '[DONE]' });
    yield {
      path: '/v1/chat/completions',
      request,
      contentType: 'text/event-stream',
      events,
      response: Buffer.from(events.map((e) => `data: ${e.data}\n\n`).join('')),
    };
    messages.push({ role: 'assistant', content: words.join('') });
  }
}

/** Background calls: model lists and a telemetry POST (small, not model calls). */
function* background(n: number): Generator<Wire> {
  const models = Buffer.from(
    JSON.stringify({
      object: 'list',
      data: Array.from({ length: 40 }, (_, k) => ({ id: `model-${k}`, object: 'model', owned_by: 'relay' })),
    }),
  );
  for (let i = 0; i < n; i++)
    yield {
      path: i % 2 ? '/v1/models' : '/metrics',
      request:
        i % 2
          ? Buffer.alloc(0)
          : Buffer.from(
              JSON.stringify({ events: Array.from({ length: 20 }, (_, k) => ({ name: 'turn', at: i * 100 + k })) }),
            ),
      contentType: 'application/json',
      events: [],
      response: models,
    };
}

/** A week of a heavy agent user's traffic, interleaved as it would arrive. */
function* week(): Generator<Wire> {
  const scale = quick ? 0.2 : 1;
  const sources: Generator<Wire>[] = [];
  for (let s = 0; s < Math.round(20 * scale); s++) sources.push(codexTurns(120, `week-codex-${s}`));
  for (let s = 0; s < Math.round(20 * scale); s++) sources.push(chatTurns(40, `week-chat-${s}`));
  sources.push(background(Math.round(1000 * scale)));
  while (sources.length) {
    for (let k = sources.length - 1; k >= 0; k--) {
      const next = sources[k].next();
      if (next.done) sources.splice(k, 1);
      else yield next.value;
    }
  }
}

interface Stored {
  name: string;
  exchanges: number;
  wireBytes: number;
  /** Bytes of the tables' pages (dbstat), search index left out. */
  storedBytes: number;
  cpuMs: number;
  /** CPU after the commit (today's store: understanding, indexing and packing, in the storage thread's slices). */
  afterMs: number;
  /** Bytes by table (and index), largest first. */
  tables: string;
}

/** Pages of every table and index but the search index's, in bytes. */
function tableBytes(db: Db): { bytes: number; tables: string } {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const rows = (
    db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as {
      name: string;
      bytes: number;
    }[]
  ).filter((r) => !r.name.startsWith('exchanges_search') && !r.name.startsWith('exchanges_fts'));
  return {
    bytes: rows.reduce((n, r) => n + r.bytes, 0),
    tables: rows
      .slice(0, 5)
      .map((r) => `${r.name} ${(r.bytes / MB).toFixed(2)} MB`)
      .join(', '),
  };
}

/**
 * Today's store: the events the proxy emits, through CaptureStore, a batch per exchange, then the
 * slices that follow the commit as on the storage thread (understanding, the search index, and
 * packing: request bodies split into parts, rows compressed), their CPU apart.
 */
function storeNew(dir: string, traffic: Iterable<Wire>): Stored {
  const db = openDatabase(dir);
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  let n = 0;
  let wire = 0;
  let cpu = 0;
  let after = 0;
  for (const w of traffic) {
    const uid = `x${n++}`;
    const events: ExchangeEvent[] = [
      {
        type: 'request',
        uid,
        head: {
          startedAt: 1764000000000 + n,
          clientAddress: '127.0.0.1:1',
          method: 'POST',
          scheme: 'https',
          host: 'relay.example',
          port: 443,
          path: w.path,
          httpVersion: '1.1',
          headers: [['content-type', 'application/json']],
        },
      },
    ];
    for (let at = 0; at < w.request.length; at += 64 * 1024)
      events.push({ type: 'body-chunk', uid, side: 'request', chunk: w.request.subarray(at, at + 64 * 1024), atMs: 1 });
    events.push(
      { type: 'request-sent', uid, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: 2,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', w.contentType]] },
      },
    );
    if (w.events.length) {
      let _offset = 0;
      w.events.forEach((e, seq) => {
        const framed = Buffer.from(`${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`);
        events.push(
          { type: 'body-chunk', uid, side: 'response', chunk: framed, atMs: 3 + seq },
          { type: 'sse-event', uid, event: { seq, offsetMs: 3 + seq, event: e.event, id: null, data: e.data } },
        );
        _offset += framed.length;
      });
    } else if (w.response.length)
      events.push({ type: 'body-chunk', uid, side: 'response', chunk: w.response, atMs: 3 });
    const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
    events.push({
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { end: 300 },
      requestBody: info(w.request.length),
      responseBody: info(w.response.length),
    });
    wire += w.request.length + w.response.length;
    const started = process.cpuUsage();
    store.apply(events);
    const used = process.cpuUsage(started);
    cpu += (used.user + used.system) / 1000;
    const sliced = process.cpuUsage();
    store.indexWaiting('understand');
    const slices = process.cpuUsage(sliced);
    after += (slices.user + slices.system) / 1000;
  }
  const stored = tableBytes(db);
  db.close();
  return {
    name: 'today (parts + compressed)',
    exchanges: n,
    wireBytes: wire,
    storedBytes: stored.bytes,
    cpuMs: cpu,
    afterMs: after,
    tables: stored.tables,
  };
}

/** The store before schema 14: the same rows as it wrote them (bodies raw in rows of at least 16 KB, SSE data as text). */
function storeOld(dir: string, traffic: Iterable<Wire>): Stored {
  const db = openDatabase(dir, 13);
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, status, status_text, response_http_version, response_headers, state,
    request_size, request_stored, response_size, response_stored, stream_kind, event_count, timings) VALUES (?, ?, '127.0.0.1:1', 'POST', 'https', 'relay.example', 443, ?, '1.1', '[["content-type","application/json"]]', 200, 'OK', '1.1', ?, 'complete', ?, ?, ?, ?, ?, ?, '{"end":300}')`);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, ?, ?)');
  const sse = db.prepare(
    'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data) VALUES (?, ?, ?, ?, NULL, ?)',
  );
  let n = 0;
  let wire = 0;
  let cpu = 0;
  for (const w of traffic) {
    const started = process.cpuUsage();
    db.transaction(() => {
      const id = Number(
        insert.run(
          `x${n}`,
          1764000000000 + n,
          w.path,
          JSON.stringify([['content-type', w.contentType]]),
          w.request.length,
          w.request.length,
          w.response.length,
          w.response.length,
          w.events.length ? 'sse' : null,
          w.events.length,
        ).lastInsertRowid,
      );
      for (let at = 0, seq = 0; at < w.request.length; at += 64 * 1024)
        body.run(id, 'request', seq++, w.request.subarray(at, at + 64 * 1024));
      for (let at = 0, seq = 0; at < w.response.length; at += 16 * 1024)
        body.run(id, 'response', seq++, w.response.subarray(at, at + 16 * 1024));
      w.events.forEach((e, seq) => sse.run(id, seq, 3 + seq, e.event, e.data));
    })();
    const used = process.cpuUsage(started);
    cpu += (used.user + used.system) / 1000;
    n++;
    wire += w.request.length + w.response.length;
  }
  const stored = tableBytes(db);
  db.close();
  return {
    name: 'before (schema 13 rows)',
    exchanges: n,
    wireBytes: wire,
    storedBytes: stored.bytes,
    cpuMs: cpu,
    afterMs: 0,
    tables: stored.tables,
  };
}

function row(s: Stored): string {
  return `  ${s.name.padEnd(28)} ${String(s.exchanges).padStart(6)} exchanges  wire ${(s.wireBytes / MB).toFixed(1).padStart(8)} MB  stored ${(s.storedBytes / MB).toFixed(2).padStart(8)} MB (${((100 * s.storedBytes) / s.wireBytes).toFixed(2).padStart(6)}% of wire, ${Math.round(
    s.storedBytes / s.exchanges,
  )
    .toLocaleString('en-US')
    .padStart(
      8,
    )} B/exchange)  store CPU ${(s.cpuMs / s.exchanges).toFixed(2)} ms/exchange${s.afterMs ? `, after the commit (understand, index, pack) ${(s.afterMs / s.exchanges).toFixed(2)} ms/exchange` : ''}`;
}

function measure(title: string, traffic: () => Iterable<Wire>): void {
  const dirs = [
    fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-size-old-')),
    fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-size-new-')),
  ];
  try {
    const old = storeOld(dirs[0], traffic());
    const now = storeNew(dirs[1], traffic());
    console.log(title);
    console.log(row(old));
    console.log(row(now));
    console.log(`  largest tables, before: ${old.tables}\n  largest tables, today:  ${now.tables}`);
    console.log(`  today / before: ${((100 * now.storedBytes) / old.storedBytes).toFixed(1)}% of the bytes`);
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

const turns = quick ? 100 : 300;
measure(
  `Storage size: a ${turns}-turn Codex-shaped session (first request ${(codexSession(1).next().value!.request.length / 1024).toFixed(0)} KB, growing by tool outputs; 200-event SSE answers), search index left out`,
  () => codexTurns(turns, 'bench'),
);
measure(
  `Storage size: a mixed week${quick ? ' (a fifth of it)' : ''} (Codex sessions of 120 turns, chat apps of 40 turns, model lists and telemetry), search index left out`,
  week,
);
