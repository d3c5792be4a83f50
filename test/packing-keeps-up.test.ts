// Packing keeps up with capture, through the storage thread as wirelog runs it (db/writer.ts and
// db/writer-worker.ts, no flush asked for): Codex turns sent a few at a time, batch after batch,
// are all understood and packed by the slices that follow the commits (they gather the exchanges
// of several batches: INDEX_GATHER_MS), and every SSE event reads back as sent, in order, with its
// arrival time; the request bodies byte for byte.
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SPLIT } from '../db/blobs.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { CaptureWriter } from '../db/writer.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { codexSession } from './support/codex-session.ts';
import { eventually, tempDir } from './support/harness.ts';

const dataDir = tempDir();
openDatabase(dataDir).close();
const writer = new CaptureWriter(
  dataDir,
  {},
  { worker: new URL('../db/writer-worker.ts', import.meta.url), retention: { maxDbBytes: 1024 * 1024 * 1024 } },
);
afterAll(async () => {
  await writer.close();
});

const TURNS = 40;
const session = [...codexSession(TURNS)];

/** One turn as the proxy emits it: head, request body in 16 KB chunks, the answer's chunks and events, end. */
function turnEvents(uid: string, n: number): ExchangeEvent[] {
  const turn = session[n];
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
        path: `/v1/responses?turn=${n}`,
        httpVersion: '1.1',
        headers: [['content-type', 'application/json']],
      },
    },
  ];
  for (let at = 0; at < turn.request.length; at += 16 * 1024)
    events.push({
      type: 'body-chunk',
      uid,
      side: 'request',
      chunk: turn.request.subarray(at, at + 16 * 1024),
      atMs: 1,
    });
  events.push(
    { type: 'request-sent', uid, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 2,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/event-stream']] },
    },
  );
  turn.events.forEach((e, seq) =>
    events.push(
      {
        type: 'body-chunk',
        uid,
        side: 'response',
        chunk: Buffer.from(`event: ${e.event}\ndata: ${e.data}\n\n`),
        atMs: 3 + seq / 8,
      },
      { type: 'sse-event', uid, event: { seq, offsetMs: 3 + seq / 8, event: e.event, id: null, data: e.data } },
    ),
  );
  const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
  events.push({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { end: 300 },
    requestBody: info(turn.request.length),
    responseBody: info(turn.responseBody.length),
  });
  return events;
}

it('packs every ended exchange under a sustained load without being asked, and each event reads back in order with its time', async () => {
  // Two turns per event-loop turn, 5 ms apart: capture batches of a few exchanges each, as under load.
  for (let n = 0; n < TURNS; n += 2) {
    for (const e of [...turnEvents(`t${n}`, n), ...turnEvents(`t${n + 1}`, n + 1)]) writer.emit(e);
    await new Promise((r) => setTimeout(r, 5));
  }
  const db = new Database(databasePath(dataDir), { readonly: true });
  try {
    const left = db.prepare(
      `SELECT (SELECT count(*) FROM exchanges WHERE to_index > 0)
        + (SELECT count(*) FROM sse_events WHERE codec = 0 AND length(data) >= 24)
        + (SELECT count(*) FROM bodies WHERE codec = 0) AS n, (SELECT count(*) FROM exchanges) AS stored`,
    );
    // No flush: the slices after the commits do it by themselves.
    await eventually(
      () => {
        const { n, stored } = left.get() as { n: number; stored: number };
        return stored === TURNS && n === 0;
      },
      'every exchange stored, understood and packed',
      90_000,
    );
    const reader = new ExchangeReader(db);
    for (let n = 0; n < TURNS; n++) {
      const exchange = reader.byUid(`t${n}`)!;
      expect(exchange.state).toBe('complete');
      const events = reader.sseEvents(exchange.id);
      expect(events.map((e) => [e.seq, e.offsetMs, e.event, e.data])).toEqual(
        session[n].events.map((e, seq) => [seq, 3 + seq / 8, e.event, e.data]),
      );
      expect(reader.body(exchange.id, 'request').equals(session[n].request)).toBe(true);
    }
  } finally {
    db.close();
  }
}, 120_000);

it('packs a request body past 32 MB row by row, unsplit (it is not held whole), and it reads back byte for byte', () => {
  const dir = tempDir();
  const db = openDatabase(dir);
  try {
    const store = new CaptureStore(db);
    const large = Buffer.from(
      JSON.stringify({ model: 'gpt-5', input: [{ role: 'user', content: 'word '.repeat(7 * 1024 * 1024) }] }),
    );
    expect(large.length).toBeGreaterThan(32 * 1024 * 1024);
    const small = session[0].request;
    for (const [uid, body] of [
      ['large', large],
      ['small', small],
    ] as const) {
      const events = turnEvents(uid, 0).map((e): ExchangeEvent => {
        if (e.type === 'end')
          return { ...e, requestBody: { ...e.requestBody, size: body.length, storedSize: body.length } };
        return e;
      });
      const chunks: ExchangeEvent[] = [];
      for (let at = 0; at < body.length; at += 256 * 1024)
        chunks.push({ type: 'body-chunk', uid, side: 'request', chunk: body.subarray(at, at + 256 * 1024), atMs: 1 });
      store.apply([
        events[0],
        ...chunks,
        ...events.slice(1).filter((e) => !(e.type === 'body-chunk' && e.side === 'request')),
      ]);
    }
    store.indexWaiting();
    const reader = new ExchangeReader(db);
    const splitRows = (uid: string) =>
      db
        .prepare(`SELECT count(*) FROM bodies WHERE exchange_id = ? AND side = 'request' AND codec >= ${SPLIT}`)
        .pluck()
        .get(reader.byUid(uid)!.id);
    expect(splitRows('large')).toBe(0);
    expect(splitRows('small')).toBe(1);
    expect(reader.body(reader.byUid('large')!.id, 'request').equals(large)).toBe(true);
    expect(reader.body(reader.byUid('small')!.id, 'request').equals(small)).toBe(true);
  } finally {
    db.close();
  }
}, 120_000);
