// Bodies are packed after the commit, not on it (issues 24 and 28): capture stores rows as they
// come (codec 0: nothing split or compressed in the batch, nothing held back), and each ended
// exchange is packed in the indexer's slice that understands it (db/indexer.ts, db/blobs.ts
// Packer), bounded as those slices are. An exchange still open is never packed; what a killed run
// left unpacked is packed after the next start. Everything reads back byte for byte throughout.
import { afterEach, describe, expect, it } from 'vitest';
import { SPLIT } from '../db/blobs.ts';
import { CaptureStore, interruptLeftovers } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { codexSession, type CodexTurn } from './support/codex-session.ts';
import { tempDir } from './support/harness.ts';

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
});

function open(dir: string): { db: Db; store: CaptureStore; reader: ExchangeReader } {
  const db = openDatabase(dir);
  dbs.push(db);
  const store = new CaptureStore(db);
  // As on the storage thread: a batch only stores; the slices understand, index and pack.
  store.indexInSlices = true;
  return { db, store, reader: new ExchangeReader(db) };
}

interface Sent {
  uid: string;
  request: Buffer;
  events: string[];
  ws: Buffer[];
}

/** A Codex turn's events up to its end (`ended` false: the answer still streaming); its request body in 16 KB chunks. */
function turnEvents(uid: string, turn: CodexTurn, ended: boolean): ExchangeEvent[] {
  const events: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt: 1764000000000,
        clientAddress: '127.0.0.1:1',
        method: 'POST',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path: '/v1/responses',
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
  const shown = ended ? turn.events : turn.events.slice(0, 20);
  shown.forEach((e, seq) => {
    events.push(
      {
        type: 'body-chunk',
        uid,
        side: 'response',
        chunk: Buffer.from(`event: ${e.event}\ndata: ${e.data}\n\n`),
        atMs: 3 + seq,
      },
      { type: 'sse-event', uid, event: { seq, offsetMs: 3 + seq, event: e.event, id: null, data: e.data } },
    );
  });
  if (ended) {
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
  }
  return events;
}

/** A WebSocket exchange (Codex's Responses over a socket): text and binary messages both ways, ended. */
function webSocketEvents(uid: string, messages: Buffer[]): ExchangeEvent[] {
  const events: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt: 1764000000000,
        clientAddress: '127.0.0.1:1',
        method: 'GET',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path: '/v1/responses?ws',
        httpVersion: '1.1',
        headers: [['upgrade', 'websocket']],
      },
    },
    {
      type: 'response-head',
      uid,
      atMs: 2,
      head: { status: 101, statusText: 'Switching Protocols', httpVersion: '1.1', headers: [['upgrade', 'websocket']] },
    },
  ];
  messages.forEach((payload, seq) =>
    events.push({
      type: 'ws-message',
      uid,
      message: {
        seq,
        offsetMs: 3 + seq,
        direction: seq % 2 ? 'receive' : 'send',
        opcode: payload[0] === 0 ? 2 : 1,
        payload,
      },
    }),
  );
  const none = { size: 0, storedSize: 0, truncated: false, encoding: '' };
  events.push({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { end: 50 },
    requestBody: none,
    responseBody: none,
  });
  return events;
}

/** How an exchange's rows are stored now: 'raw' (none packed), 'packed' (some packed, and no row over 100 bytes left as it came: those all compress), or 'mixed'. */
function storedAs(db: Db, reader: ExchangeReader, uid: string): 'raw' | 'packed' | 'mixed' {
  const id = reader.byUid(uid)!.id;
  const rows = db
    .prepare(
      'SELECT codec, length(data) AS size FROM bodies WHERE exchange_id = ? UNION ALL SELECT codec, length(data) FROM sse_events WHERE exchange_id = ? UNION ALL SELECT codec, length(payload) FROM ws_messages WHERE exchange_id = ?',
    )
    .all(id, id, id) as { codec: number; size: number }[];
  const packedRows = rows.filter((r) => r.codec !== 0).length;
  const largeRaw = rows.filter((r) => r.codec === 0 && r.size > 100).length;
  if (packedRows === 0) return 'raw';
  return largeRaw === 0 ? 'packed' : 'mixed';
}

/** Every exchange sent reads back as it crossed the wire: request body, SSE data, WebSocket payloads. */
function readsBack(reader: ExchangeReader, sent: Sent[]): void {
  for (const s of sent) {
    const id = reader.byUid(s.uid)!.id;
    expect(reader.body(id, 'request').equals(s.request), `request of ${s.uid}`).toBe(true);
    expect(
      Buffer.concat([...reader.bodyChunks(id, 'request')]).equals(s.request),
      `request of ${s.uid} in chunks`,
    ).toBe(true);
    expect(
      reader.sseEvents(id).map((e) => e.data),
      `events of ${s.uid}`,
    ).toEqual(s.events);
    expect(
      reader.wsMessages(id).map((m) => Buffer.from(m.payload).equals(s.ws[m.seq])),
      `messages of ${s.uid}`,
    ).toEqual(s.ws.map(() => true));
  }
}

describe('bodies packed after the commit', () => {
  it('stores rows as they come, packs each ended exchange in the slices, never an open one, and a killed run is packed after the next start', () => {
    const dir = tempDir('wirelog-pack-');
    let { db, store, reader } = open(dir);
    const turns = [...codexSession(6, 'pack')];
    const sent: Sent[] = [];
    // Five ended turns in one batch each, the sixth still streaming; a WebSocket exchange.
    for (let i = 0; i < 5; i++) {
      store.apply(turnEvents(`turn-${i}`, turns[i], true));
      sent.push({ uid: `turn-${i}`, request: turns[i].request, events: turns[i].events.map((e) => e.data), ws: [] });
    }
    store.apply(turnEvents('open', turns[5], false));
    sent.push({
      uid: 'open',
      request: turns[5].request,
      events: turns[5].events.slice(0, 20).map((e) => e.data),
      ws: [],
    });
    const ws = [
      Buffer.from(JSON.stringify({ type: 'response.create', input: 'x'.repeat(3000) })),
      Buffer.from(JSON.stringify({ type: 'response.output_text.delta', delta: 'y'.repeat(400) })),
      Buffer.from([0, 1, 2, 255]),
    ];
    store.apply(webSocketEvents('ws', ws));
    sent.push({ uid: 'ws', request: Buffer.alloc(0), events: [], ws });

    // Committed as they came: nothing packed in the batch, no part stored yet, all readable.
    expect(sent.map((s) => storedAs(db, reader, s.uid))).toEqual(sent.map(() => 'raw'));
    expect(db.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(0);
    readsBack(reader, sent);

    // One slice of two exchanges: the first two to end are packed, the rest wait.
    expect(store.indexSlice('all', 60_000, 2)).toMatchObject({ indexed: 2, more: true });
    expect(sent.map((s) => storedAs(db, reader, s.uid))).toEqual([
      'packed',
      'packed',
      'raw',
      'raw',
      'raw',
      'raw',
      'raw',
    ]);
    const splitRequests = () =>
      db.prepare(`SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= ${SPLIT}`).pluck().get();
    expect(splitRequests()).toBe(2);
    readsBack(reader, sent);

    // Killed here (the open turn never ended): the next start packs what waited, in slices.
    db.close();
    ({ db, store, reader } = open(dir));
    let slices = 0;
    while (store.indexSlice('all', 60_000, 2).more && slices < 50) slices++;
    expect(slices).toBeGreaterThanOrEqual(1);
    expect(sent.map((s) => storedAs(db, reader, s.uid))).toEqual([
      'packed',
      'packed',
      'packed',
      'packed',
      'packed',
      'raw',
      'packed',
    ]);
    expect(splitRequests()).toBe(5);
    readsBack(reader, sent);

    // Once marked interrupted (the storage thread's sweep at start), the open one is packed too.
    expect(interruptLeftovers(db)).toBe(1);
    // What an earlier run left waiting is read from the rows (a fresh store looks there first).
    ({ db, store, reader } = open(dir));
    while (store.indexSlice('all', 60_000, 16).more && slices < 100) slices++;
    expect(storedAs(db, reader, 'open')).toBe('packed');
    expect(splitRequests()).toBe(6);
    readsBack(reader, sent);
    // Parts stored once: the six turns resend the conversation, so the parts are far fewer than the references.
    const parts = db.prepare('SELECT count(*) AS n, sum(refs) AS refs FROM blobs').get() as { n: number; refs: number };
    expect(parts.refs).toBeGreaterThan(parts.n * 2);
  });

  it('a request body too large to keep in memory is read back and split when its exchange is packed', () => {
    const dir = tempDir('wirelog-pack-large-');
    const { db, store, reader } = open(dir);
    // About 1.5 MB of conversation: past what a slice is handed in memory (1 MB a side).
    const messages = Array.from({ length: 300 }, (_, k) => ({
      role: k % 2 ? 'assistant' : 'user',
      content: `message ${k} ${'lorem ipsum dolor sit amet '.repeat(180)}`,
    }));
    const request = Buffer.from(JSON.stringify({ model: 'deepseek-chat', stream: true, messages }));
    expect(request.length).toBeGreaterThan(1024 * 1024);
    const turn: CodexTurn = {
      request,
      events: [{ event: 'message', data: '{"choices":[{"delta":{"content":"ok"}}]}' }],
      responseBody: Buffer.alloc(0),
    };
    store.apply(turnEvents('large', turn, true));
    expect(storedAs(db, reader, 'large')).toBe('raw');
    store.indexWaiting('understand');
    expect(db.prepare(`SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= ${SPLIT}`).pluck().get()).toBe(
      1,
    );
    expect(reader.body(reader.byUid('large')!.id, 'request').equals(request)).toBe(true);
  });
});
