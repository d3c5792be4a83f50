// A database stored by schema 13 (bodies raw, SSE data as text, WebSocket payloads raw) is
// upgraded in place to schema 14 and packed after start (db/blobs.ts compactSlice, run by
// db/retention.ts's Upkeep): a slice per step, newest first, capture batches stored between
// steps; everything reads back byte for byte before, during and after, the request bodies of
// model calls end as parts stored once, and a database from a newer wirelog is still refused.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ENCODED_SPLIT, SPLIT, compactionLeft } from '../db/blobs.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { Upkeep, type UpkeepStep } from '../db/retention.ts';
import { DatabaseOpenError, SCHEMA_VERSION, openDatabase, type Db } from '../db/schema.ts';
import { codexSession } from './support/codex-session.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

interface Original {
  id: number;
  request: Buffer;
  response: Buffer;
  events: string[];
  ws: Buffer[];
}

/**
 * Exchanges as schema 13 stored them: 3 Codex sessions of 12 turns with their SSE answers, two gzip requests
 * (one zlib's defaults rebuild exactly, one they do not), a form, a WebSocket.
 */
function schema13(dir: string): Original[] {
  const db = openDatabase(dir, 13);
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, status, status_text, state,
    request_size, request_stored, request_encoding, response_size, response_stored, stream_kind, event_count, to_index) VALUES (?, 1, '127.0.0.1:1', 'POST', 'https', 'relay.example', 443, ?, '1.1', '[]', 200, 'OK', 'complete', ?, ?, ?, ?, ?, ?, ?, 0)`);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, ?, ?)');
  const sse = db.prepare(
    'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data) VALUES (?, ?, ?, ?, NULL, ?)',
  );
  const ws = db.prepare(
    "INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload) VALUES (?, ?, 1, 'send', 1, ?)",
  );
  const out: Original[] = [];
  const add = (
    path: string,
    request: Buffer,
    encoding: string,
    response: Buffer,
    events: { event: string; data: string }[],
    messages: Buffer[] = [],
  ) => {
    const kind = events.length ? 'sse' : messages.length ? 'websocket' : null;
    const id = Number(
      insert.run(
        `old-${out.length}`,
        path,
        request.length,
        request.length,
        encoding,
        response.length,
        response.length,
        kind,
        events.length + messages.length,
      ).lastInsertRowid,
    );
    // As the old store wrote them: chunks as they came (here 16 KB rows).
    for (let at = 0, seq = 0; at < request.length; at += 16 * 1024)
      body.run(id, 'request', seq++, request.subarray(at, at + 16 * 1024));
    for (let at = 0, seq = 0; at < response.length; at += 16 * 1024)
      body.run(id, 'response', seq++, response.subarray(at, at + 16 * 1024));
    events.forEach((e, seq) => sse.run(id, seq, seq, e.event, e.data));
    messages.forEach((m, seq) => ws.run(id, seq, m));
    out.push({ id, request, response, events: events.map((e) => e.data), ws: messages });
  };
  db.transaction(() => {
    for (const session of ['a', 'b', 'c'])
      for (const turn of codexSession(12, `old-${session}`))
        add('/v1/responses', turn.request, '', turn.responseBody, turn.events);
    const [first] = [...codexSession(1, 'gz')];
    add('/v1/responses?gz', zlib.gzipSync(first.request), 'gzip', Buffer.from('{"ok":true}'), []);
    add('/v1/responses?gz-other', zlib.gzipSync(first.request, { memLevel: 2 }), 'gzip', Buffer.from('{}'), []);
    add('/form', Buffer.from(`a=${'b'.repeat(3000)}`), '', Buffer.alloc(0), []);
    add(
      '/v1/responses?ws',
      Buffer.alloc(0),
      '',
      Buffer.alloc(0),
      [],
      [Buffer.from(JSON.stringify({ type: 'response.create', input: 'x'.repeat(500) })), Buffer.from([0, 1, 2, 255])],
    );
  })();
  db.close();
  return out;
}

/** Every original reads back as it was stored, bodies, events and messages. */
function readsBack(reader: ExchangeReader, originals: Original[]): void {
  for (const o of originals) {
    expect(reader.body(o.id, 'request').equals(o.request), `request of ${o.id}`).toBe(true);
    expect(reader.body(o.id, 'response').equals(o.response), `response of ${o.id}`).toBe(true);
    expect(reader.sseEvents(o.id).map((e) => e.data)).toEqual(o.events);
    expect(reader.wsMessages(o.id).map((m) => Buffer.from(m.payload).toString('base64'))).toEqual(
      o.ws.map((m) => m.toString('base64')),
    );
  }
}

const storedBytes = (db: Db) =>
  (
    db
      .prepare(
        'SELECT (SELECT coalesce(sum(length(data)), 0) FROM bodies) + (SELECT coalesce(sum(length(data)), 0) FROM sse_events) + (SELECT coalesce(sum(length(data)), 0) FROM blobs) AS n',
      )
      .get() as { n: number }
  ).n;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('storage upgrade to schema 14', () => {
  it('packs a schema-13 database after start, a slice a step with capture between, reading back byte for byte throughout', () => {
    const dir = tempDir();
    dirs.push(dir);
    const originals = schema13(dir);
    const db = openDatabase(dir);
    db.pragma('secure_delete = ON');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const reader = new ExchangeReader(db);
    // Upgraded, not packed yet: the migration itself rewrote no row.
    expect(compactionLeft(db)).toBe(originals.length);
    readsBack(reader, originals);
    const before = storedBytes(db);

    const store = new CaptureStore(db);
    const queue: (() => void)[] = [];
    const steps: UpkeepStep[] = [];
    const upkeep = new Upkeep(
      () => db,
      { maxDbBytes: 1024 ** 4 },
      {
        later: (next) => queue.push(next),
        purging: (on) => (store.deferIndexing = on),
        stepped: (s) => steps.push(s),
        finished: () => undefined,
        warn: (m) => steps.push({ kind: 'warning', m } as never),
      },
    );
    upkeep.resume();
    const left: number[] = [];
    let captured = 0;
    for (let k = 0; queue.length && k < 200; k++) {
      // A capture batch before each step: capture never waits for the whole upgrade.
      store.apply(finishedExchange(1000 + captured++));
      queue.shift()!();
      left.push(compactionLeft(db));
      // Halfway too, what is packed and what is not read back the same.
      if (k === 1) readsBack(reader, originals);
    }
    expect(queue.length).toBe(0);
    expect(steps.filter((s) => (s.kind as string) === 'warning')).toEqual([]);
    const compacted = steps.filter((s) => s.kind === 'compacted') as { kind: 'compacted'; exchanges: number }[];
    // Several steps, each a slice; progress goes down to none.
    expect(compacted.length).toBeGreaterThanOrEqual(2);
    expect(compacted.reduce((n, s) => n + s.exchanges, 0)).toBe(originals.length);
    expect(left.at(-1)).toBe(0);
    expect([...left].sort((a, b) => b - a)).toEqual(left);
    expect(steps.at(-1)!.kind).toBe('checkpoint');

    readsBack(reader, originals);
    // The Codex requests are parts now, and the gzip one zlib's defaults rebuild byte for byte (split decoded);
    // the gzip one another deflate setting made and the form stay whole; fewer stored bytes.
    const split = db
      .prepare(`SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= ${SPLIT}`)
      .pluck()
      .get() as number;
    expect(split).toBe(37);
    const requestCodecs = (path: string) =>
      db
        .prepare(
          "SELECT codec FROM bodies b JOIN exchanges e ON e.id = b.exchange_id WHERE e.path = ? AND side = 'request'",
        )
        .pluck()
        .all(path) as number[];
    expect(requestCodecs('/v1/responses?gz')).toEqual([expect.any(Number)]);
    expect(requestCodecs('/v1/responses?gz')[0]).toBeGreaterThanOrEqual(ENCODED_SPLIT);
    expect(requestCodecs('/v1/responses?gz-other').length).toBeGreaterThan(0);
    expect(requestCodecs('/v1/responses?gz-other').every((c) => c < SPLIT)).toBe(true);
    const after = storedBytes(db);
    expect(after).toBeLessThan(before / 5);
    // What was captured during the upgrade is there too.
    expect(reader.list({ limit: 1000 }).length).toBe(originals.length + captured);
    db.close();
  });

  it('refuses a database from a newer wirelog, as before', () => {
    const dir = tempDir();
    dirs.push(dir);
    openDatabase(dir).close();
    const db = openDatabase(dir);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(dir)).toThrow(DatabaseOpenError);
  });
});
