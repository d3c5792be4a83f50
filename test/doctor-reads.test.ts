// Issue 28: `wirelog doctor --last 500` in under a second. Its cost was rows read whole: the
// diagnosis of each Responses call read the 20 exchanges before it (for the websocket-fallback
// rule, which looks only for a refused WebSocket), and each failure's comparison read the host's
// newest 500 exchanges to find one call that worked. Counted here in rows read whole
// (ExchangeReader.list), never in time; and the findings stay what they were.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctorCommand } from '../cli/doctor.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { lastWorkingCall } from '../db/compare-reader.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { diagnosesOf, modelCallOf, understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { chatStream, responsesStream, storedCallEvents, type StoredCall } from './support/every-diagnosis-store.ts';

const HOST = 'relay.example';
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function store(): { db: Db; capture: CaptureStore } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-doctor-reads-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  return { db, capture: new CaptureStore(db, understandEnded) };
}

/** One exchange's events: a Responses POST (status as given), or a WebSocket upgrade answered `status`. */
function exchange(uid: string, startedAt: number, status: number, webSocket = false): ExchangeEvent[] {
  const request = Buffer.from(
    JSON.stringify({
      model: 'gpt-5-codex',
      input: [{ role: 'user', content: [{ type: 'input_text', text: uid }] }],
      stream: false,
    }),
  );
  const response = Buffer.from(
    status === 200
      ? JSON.stringify({
          id: `resp_${uid}`,
          object: 'response',
          model: 'gpt-5-codex',
          output: [],
          usage: { input_tokens: 10, output_tokens: 2 },
        })
      : JSON.stringify({ error: { message: 'no' } }),
  );
  const headers: [string, string][] = [
    ['host', HOST],
    ['content-type', 'application/json'],
    ['user-agent', 'codex_exec/0.171.0'],
    ['authorization', 'Bearer sk-test-0000000000000000'],
  ];
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt,
        clientAddress: '127.0.0.1:5000',
        method: webSocket ? 'GET' : 'POST',
        scheme: webSocket ? 'wss' : 'https',
        host: HOST,
        port: 443,
        path: '/v1/responses',
        httpVersion: '1.1',
        headers,
      },
    },
    ...(webSocket ? [] : [{ type: 'body-chunk' as const, uid, side: 'request' as const, chunk: request, atMs: 1 }]),
    {
      type: 'response-head',
      uid,
      atMs: 50,
      head: { status, statusText: '', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 60 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 50, firstByte: 60, end: 70 },
      requestBody: {
        size: webSocket ? 0 : request.length,
        storedSize: webSocket ? 0 : request.length,
        truncated: false,
        encoding: '',
      },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

/** Rows ExchangeReader.list read whole from now on. */
function countRowsRead(reader: ExchangeReader): () => number {
  let rows = 0;
  const list = reader.list.bind(reader);
  vi.spyOn(reader, 'list').mockImplementation((filter) => {
    const read = list(filter);
    rows += read.length;
    return read;
  });
  return () => rows;
}

describe('doctor reads few rows whole', () => {
  it('diagnosing a session of Responses calls reads no earlier row whole when none of them is a WebSocket', () => {
    const { db, capture } = store();
    const t0 = 1_700_000_000_000;
    capture.apply(Array.from({ length: 120 }, (_, i) => exchange(`c${i}`, t0 + i * 1000, 200)).flat());
    const reader = new ExchangeReader(db);
    const calls = reader.list({ limit: 100 });
    const rowsRead = countRowsRead(reader);
    for (const e of calls) diagnosesOf(reader, e, modelCallOf(reader, e));
    expect(rowsRead()).toBe(0);
    db.close();
  });

  it('still says a Responses POST came after a refused WebSocket', () => {
    const { db, capture } = store();
    const t0 = 1_700_000_000_000;
    capture.apply([
      ...Array.from({ length: 10 }, (_, i) => exchange(`c${i}`, t0 + i * 1000, 200)).flat(),
      ...exchange('ws', t0 + 20_000, 426, true),
      ...exchange('after', t0 + 21_000, 200),
    ]);
    const reader = new ExchangeReader(db);
    const after = reader.list({ limit: 1 })[0];
    expect(after.request.method).toBe('POST');
    expect(diagnosesOf(reader, after, modelCallOf(reader, after)).map((d) => d.rule)).toContain('websocket-fallback');
    db.close();
  });

  it("a failure's working call is found in the host's newest working calls, a page of them, not 500 rows", () => {
    const { db, capture } = store();
    const t0 = 1_700_000_000_000;
    // 600 calls to one host, one in five refused; then a refusal to compare.
    capture.apply(
      Array.from({ length: 600 }, (_, i) => exchange(`c${i}`, t0 + i * 1000, i % 5 === 4 ? 429 : 200)).flat(),
    );
    capture.apply(exchange('failed', t0 + 700_000, 429));
    const reader = new ExchangeReader(db);
    const failed = reader.list({ limit: 1 })[0];
    const rowsRead = countRowsRead(reader);
    const working = lastWorkingCall(reader, failed);
    // The newest call that worked (c598: c599 was refused), from the same client with the same key.
    expect(working?.request.headers).toEqual(failed.request.headers);
    expect(working?.response?.status).toBe(200);
    expect(working?.id).toBe(failed.id - 2);
    expect(rowsRead()).toBeLessThanOrEqual(25);
    db.close();
  });

  it('events are read only of the streams that were answered, answers only of the calls refused, requests only of those compared', () => {
    const { db, capture } = store();
    const t0 = 1_700_000_000_000;
    // Refused streams: a relay's 429 and 500 sent as event streams, each with its error event.
    const refusedStream = (status: number): StoredCall => ({
      ...chatStream(HOST, 'stop'),
      status,
      events: [JSON.stringify({ error: { message: `refused with ${status}` } }), '[DONE]'],
    });
    // A stream that is not a model call (a server's own event feed), answered and refused.
    const feed = (status: number): StoredCall => ({
      method: 'GET',
      host: HOST,
      path: '/api/events',
      status,
      events: ['{"tick":1}', '{"tick":2}'],
    });
    const calls: StoredCall[] = Array.from(
      { length: 60 },
      (_, i) =>
        [chatStream(HOST), responsesStream(HOST), refusedStream(429), refusedStream(500), feed(200), feed(503)][i % 6],
    );
    calls.forEach((call, i) => capture.apply(storedCallEvents(`s${i}`, t0 + i * 1000, call)));
    const reader = new ExchangeReader(db);
    const listed = reader.list({ limit: calls.length });
    const answered = listed.filter((e) => e.call && (e.response?.status ?? 0) < 400);
    const refused = listed.filter((e) => (e.response?.status ?? 0) >= 400);
    const workingCalls = refused.map((e) => lastWorkingCall(reader, e)).filter((e) => e !== null);
    const ids = (exchanges: { id: number }[]) => [...new Set(exchanges.map((e) => e.id))].sort((a, b) => a - b);
    db.close();

    let eventsRead = 0;
    const read = { events: new Set<number>(), bodies: new Set<number>(), requests: new Set<number>() };
    const sseEvents = ExchangeReader.prototype.sseEvents;
    const pageEvents = ExchangeReader.prototype.pageEvents;
    const body = ExchangeReader.prototype.body;
    vi.spyOn(ExchangeReader.prototype, 'sseEvents').mockImplementation(function (this: ExchangeReader, id) {
      const events = sseEvents.call(this, id);
      eventsRead += events.length;
      if (events.length) read.events.add(id);
      return events;
    });
    vi.spyOn(ExchangeReader.prototype, 'pageEvents').mockImplementation(function (this: ExchangeReader, ids) {
      const page = pageEvents.call(this, ids);
      for (const [id, events] of page) {
        eventsRead += events.length;
        if (events.length) read.events.add(id);
      }
      return page;
    });
    vi.spyOn(ExchangeReader.prototype, 'body').mockImplementation(function (this: ExchangeReader, id, side, parts) {
      read.bodies.add(id);
      if (side === 'request') read.requests.add(id);
      return body.call(this, id, side, parts);
    });
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    doctorCommand(['--last', String(calls.length), '--json', '--data-dir', db.name.replace(/\/wirelog\.sqlite$/, '')]);
    const groups = JSON.parse(printed.join('\n')) as { ids: number[]; difference: string | null }[];

    // Every refusal diagnosed; answered calls are not (no rule fires on them).
    expect(groups.flatMap((g) => g.ids).sort((a, b) => a - b)).toEqual(ids(refused));
    // The events of the answered model calls' streams, each once, and no other.
    expect([...read.events].sort((a, b) => a - b)).toEqual(ids(answered));
    expect(eventsRead).toBe(answered.reduce((n, e) => n + e.eventCount, 0));
    // Bodies: the refused calls' answers, and the requests only of the calls compared (each group's newest and its working call).
    expect([...read.bodies].sort((a, b) => a - b)).toEqual(ids([...refused, ...workingCalls]));
    const newest = groups.map((g) => ({ id: g.ids[g.ids.length - 1] }));
    expect([...read.requests].sort((a, b) => a - b)).toEqual(ids([...newest, ...workingCalls]));
  });
});
