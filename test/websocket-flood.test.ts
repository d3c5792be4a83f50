// A WebSocket flood is bounded in what it costs the forwarding thread and in what it hands to
// storage: a turn decodes a slice and hands at most so many messages over (counted, not timed),
// messages past the connection's budget are counted in the exchange's notes (never silently
// dropped), and through the real proxy 200,000 messages leave every other client's requests
// answered and the counts reconciled: stored + counted = what the upstream sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import type { ExchangeEvent, RequestHead } from '../model/exchange.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { FLOOD_LIMITS, FrameTap } from '../proxy/websocket.ts';
import { startHarness, type Harness } from './support/harness.ts';

const wsSender = createRequire(import.meta.url)('ws').Sender as {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
  ): Buffer[];
};

/** Server frames of `count` small JSON text messages, then a close. */
function floodFrames(count: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++)
    frames.push(
      ...wsSender.frame(Buffer.from(JSON.stringify({ type: 'response.output_text.delta', delta: `word ${i} ` })), {
        fin: true,
        opcode: 1,
        mask: false,
        readOnly: true,
        rsv1: false,
      }),
    );
  frames.push(
    ...wsSender.frame(Buffer.from([0x03, 0xe8]), { fin: true, opcode: 8, mask: false, readOnly: true, rsv1: false }),
  );
  return Buffer.concat(frames);
}

function tapOf(limits = FLOOD_LIMITS): { tap: FrameTap; recorder: ExchangeRecorder; events: ExchangeEvent[] } {
  const events: ExchangeEvent[] = [];
  const head: RequestHead = {
    startedAt: 0,
    clientAddress: '',
    method: 'GET',
    scheme: 'ws',
    host: 'x',
    port: 80,
    path: '/',
    httpVersion: '1.1',
    headers: [],
  };
  const recorder = new ExchangeRecorder(
    {
      sink: { emit: (e) => events.push(e) },
      maxBodyBytes: 1 << 20,
      keepSecrets: false,
      onSinkError: (err) => {
        throw err;
      },
    },
    head,
  );
  return { tap: new FrameTap(recorder, [], limits), recorder, events };
}

/** A server's text frame compressed on its own (permessage-deflate, RSV1 set). */
function deflatedFrame(text: string): Buffer {
  const compressed = zlib
    .deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  const head =
    compressed.length < 126
      ? Buffer.from([0xc1, compressed.length])
      : Buffer.from([0xc1, 126, compressed.length >> 8, compressed.length & 255]);
  return Buffer.concat([head, compressed]);
}

const messagesIn = (events: ExchangeEvent[]) =>
  events.filter((e) => e.type === 'ws-message' && e.message.opcode === 1).length;
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('the frame tap under a flood', () => {
  it('hands at most a turn’s share of messages to storage per event-loop turn, and the rest in the next turns', async () => {
    const { tap, events } = tapOf();
    // 30,000 messages in one write, as a socket read loop delivers them (about 2 MB).
    tap.write('receive', floodFrames(30_000));
    expect(messagesIn(events)).toBeLessThanOrEqual(FLOOD_LIMITS.storedPerTurn);
    expect(messagesIn(events)).toBeGreaterThan(0);
    let turns = 0;
    while (!tap.closeSeen && turns < 10_000) {
      const before = messagesIn(events);
      await nextTurn();
      expect(messagesIn(events) - before).toBeLessThanOrEqual(FLOOD_LIMITS.storedPerTurn);
      turns++;
    }
    await tap.finish();
    // Stored within the budget (a burst, then a rate), the rest counted: 30,000 in all.
    const counted = tap.notes().reduce((n, note) => n + Number(/^([\d,]+)/.exec(note)![1].replace(/,/g, '')), 0);
    expect(messagesIn(events)).toBeGreaterThanOrEqual(FLOOD_LIMITS.burstMessages);
    expect(messagesIn(events) + counted).toBe(30_000);
    expect(turns).toBeGreaterThanOrEqual(FLOOD_LIMITS.burstMessages / FLOOD_LIMITS.storedPerTurn);
  });

  it('past the connection’s budget, messages are counted in a note, never silently left out; the close is stored', async () => {
    const { tap, recorder, events } = tapOf({ ...FLOOD_LIMITS, burstMessages: 1000, messagesPerSecond: 0 });
    tap.write('receive', floodFrames(5000));
    await tap.finish();
    expect(messagesIn(events)).toBe(1000);
    expect(events.filter((e) => e.type === 'ws-message' && e.message.opcode === 8)).toHaveLength(1);
    const notes = tap.notes();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^4,000 WebSocket message\(s\) received from the upstream, [\d,]+ bytes, not stored: the connection sent more than the storage keeps up with/,
    );
    recorder.end('complete', tap.decodeError, notes);
    const end = events.find((e) => e.type === 'end');
    expect(end?.type === 'end' && end.notes).toEqual(notes);
  });

  it('inflated messages past a turn’s share are handed over in the next turns while the connection stays open', async () => {
    const events: ExchangeEvent[] = [];
    const head: RequestHead = {
      startedAt: 0,
      clientAddress: '',
      method: 'GET',
      scheme: 'ws',
      host: 'x',
      port: 80,
      path: '/',
      httpVersion: '1.1',
      headers: [],
    };
    const recorder = new ExchangeRecorder(
      {
        sink: { emit: (e) => events.push(e) },
        maxBodyBytes: 1 << 20,
        keepSecrets: false,
        onSinkError: (err) => {
          throw err;
        },
      },
      head,
    );
    const tap = new FrameTap(recorder, [['Sec-WebSocket-Extensions', 'permessage-deflate']]);
    // Inflated on the thread pool, after the turn that wrote them: a Codex turn, then the connection stays idle.
    tap.write(
      'receive',
      Buffer.concat(
        Array.from({ length: 1000 }, (_, i) =>
          deflatedFrame(JSON.stringify({ type: 'response.output_text.delta', i })),
        ),
      ),
    );
    for (let waits = 0; messagesIn(events) < 1000 && waits < 500; waits++) await new Promise((r) => setTimeout(r, 10));
    expect(messagesIn(events)).toBe(1000);
  });

  it('within the budget every message is stored and nothing is noted', async () => {
    const { tap, events } = tapOf();
    tap.write('receive', floodFrames(5000));
    await tap.finish();
    expect(messagesIn(events)).toBe(5000);
    expect(tap.notes()).toEqual([]);
    expect(tap.decodeError).toBeNull();
  });
});

const FLOOD = 200_000;
let h: Harness;
let server: http.Server;
let wss: WebSocketServer;
let upstreamSent = 0;
beforeAll(async () => {
  h = await startHarness();
  server = http.createServer();
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      let i = 0;
      // As fast as the socket takes them, a batch a turn.
      const send = () => {
        while (i < FLOOD && ws.bufferedAmount < 4 * 1024 * 1024) {
          ws.send(JSON.stringify({ type: 'response.output_text.delta', delta: `word ${i} `, sequence_number: i }));
          i++;
          upstreamSent++;
        }
        if (i < FLOOD) setImmediate(send);
        else ws.close(1000);
      };
      send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  wss?.close();
  await new Promise((r) => server?.close(r));
  await h?.close();
});

describe('200,000 messages on one connection through the proxy', () => {
  it('other clients’ requests all complete, and the exchange ends with what it stored and a count of what it did not', async () => {
    const port = (server.address() as AddressInfo).port;
    const ws = new WebSocket(`ws://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/v1/flood`);
    let received = 0;
    const closed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the flood did not end within 120 s')), 120_000);
      ws.on('open', () => ws.send('{"type":"response.create"}'));
      ws.on('message', () => received++);
      ws.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.on('error', reject);
    });
    // Another client, one request after another while the flood runs.
    let flooding = true;
    void closed.finally(() => (flooding = false));
    let sent = 0;
    let answered = 0;
    const agent = h.agent();
    while (flooding || sent < 20) {
      sent++;
      const res = await request(`${h.upstream.httpsUrl}/v1/models`, { dispatcher: agent });
      await res.body.text();
      if (res.statusCode === 200) answered++;
    }
    await closed;
    expect(received).toBe(FLOOD);
    expect(answered).toBe(sent);
    await h.stored();
    const flood = h.wirelog.reader.list({ limit: 1000 }).find((e) => e.request.path === '/v1/flood')!;
    expect(flood.state).toBe('complete');
    const db = new Database(databasePath(h.dataDir), { readonly: true });
    const stored = (
      db
        .prepare(`SELECT count(*) AS n FROM ws_messages WHERE exchange_id = ? AND direction = 'receive' AND opcode = 1`)
        .get(flood.id) as { n: number }
    ).n;
    db.close();
    const note = (flood.notes ?? []).find((n) => /WebSocket message\(s\) received from the upstream/.test(n));
    const counted = note ? Number(/^([\d,]+) WebSocket/.exec(note)![1].replace(/,/g, '')) : 0;
    // Nothing silently lost: what the upstream sent is stored or counted.
    expect(stored + counted).toBe(upstreamSent);
    if (stored < upstreamSent)
      expect(note).toMatch(/not stored: the connection sent more than the storage keeps up with/);
  }, 180_000);
});
