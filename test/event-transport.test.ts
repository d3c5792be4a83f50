import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Backlog } from '../db/backlog.ts';
import {
  chunkInRing,
  decodeEvents,
  encodeEvents,
  eventsWithPayloads,
  payloadsOf,
  type EncodedEvents,
  type PostedEvent,
} from '../db/event-transport.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { finishedExchange } from './support/exchange-events.ts';

const roundTrip = (events: PostedEvent[]) => decodeEvents(structuredClone(encodeEvents(events)));

describe('events from the forwarding thread to storage', () => {
  it('arrive as they were sent, bodies byte for byte', () => {
    const events = finishedExchange(1, {
      via: 'gateway',
      replayOf: 7,
      secrets: [{ name: 'Authorization', fingerprint: 'f1' }],
    });
    const back = roundTrip(events);
    expect(back).toEqual(events.map((e) => (e.type === 'body-chunk' ? { ...e, chunk: new Uint8Array(e.chunk) } : e)));
  });

  it('send only the bytes of a chunk or payload that is a view into a larger buffer, packed in one buffer', () => {
    const pool = Buffer.from('....hello....world....');
    const chunk: ExchangeEvent = {
      type: 'body-chunk',
      uid: 'u',
      side: 'response',
      chunk: pool.subarray(4, 9),
      atMs: 1,
    };
    const ws: ExchangeEvent = {
      type: 'ws-message',
      uid: 'u',
      message: { seq: 0, offsetMs: 2, direction: 'receive', opcode: 2, payload: pool.subarray(13, 18) },
    };
    const encoded = encodeEvents([chunk, ws]);
    expect(encoded.buffers.map((b) => b.buffer.byteLength)).toEqual([10]);
    const [c, w] = decodeEvents(structuredClone(encoded));
    expect(c.type === 'body-chunk' && 'chunk' in c && Buffer.from(c.chunk).toString()).toBe('hello');
    expect(
      w.type === 'ws-message' && [Buffer.from(w.message.payload).toString(), w.message.opcode, w.message.direction],
    ).toEqual(['world', 2, 'receive']);
  });

  it('pack many small payloads and one huge one into one transferable buffer, each back exactly, in order', async () => {
    // A WebSocket flood's turn: thousands of small messages (empty ones too), a large body chunk among them.
    const huge = Buffer.alloc(3 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < huge.length; i += 4093) huge[i] = i % 251;
    const events: ExchangeEvent[] = [];
    for (let seq = 0; seq < 5000; seq++) {
      const payload =
        seq % 97 === 0
          ? Buffer.alloc(0)
          : Buffer.from(JSON.stringify({ type: 'response.output_text.delta', delta: `w${seq} `, n: seq }));
      events.push({
        type: 'ws-message',
        uid: `ws-${seq % 3}`,
        message: {
          seq,
          offsetMs: seq / 8,
          direction: seq % 2 ? 'send' : 'receive',
          opcode: seq % 5 === 0 ? 2 : 1,
          payload,
        },
      });
      if (seq === 2500) events.push({ type: 'body-chunk', uid: 'big', side: 'request', chunk: huge, atMs: 4 });
      if (seq % 1000 === 0)
        events.push({
          type: 'sse-event',
          uid: 'sse',
          event: { seq, offsetMs: 1, event: 'delta', id: null, data: `data ${seq}` },
        });
    }
    const encoded = encodeEvents(events);
    expect(encoded.buffers).toHaveLength(1);
    const total = events.reduce(
      (n, e) => n + (e.type === 'ws-message' ? e.message.payload.length : e.type === 'body-chunk' ? e.chunk.length : 0),
      0,
    );
    expect(encoded.buffers[0].buffer.byteLength).toBe(total);
    // As the worker gets it: the buffer transferred, not copied.
    const { port1, port2 } = new MessageChannel();
    const back = decodeEvents(
      await new Promise<EncodedEvents>((resolve) => {
        port2.once('message', resolve);
        port1.postMessage(
          encoded,
          encoded.buffers.map((b) => b.buffer as ArrayBuffer),
        );
      }),
    );
    port1.close();
    expect(encoded.buffers[0].byteLength).toBe(0);
    expect(back).toHaveLength(events.length);
    // Checked field by field (one expect per event is slow at this count): the indexes that differ.
    const differ = events.flatMap((e, i) => {
      const b = back[i];
      if (e.type === 'ws-message' && b.type === 'ws-message') {
        const [m, n] = [e.message, b.message];
        return b.uid === e.uid &&
          n.seq === m.seq &&
          n.offsetMs === m.offsetMs &&
          n.direction === m.direction &&
          n.opcode === m.opcode &&
          Buffer.from(n.payload.buffer, n.payload.byteOffset, n.payload.byteLength).equals(m.payload)
          ? []
          : [i];
      }
      if (e.type === 'body-chunk' && b.type === 'body-chunk' && 'chunk' in b) {
        return b.uid === e.uid &&
          b.side === e.side &&
          b.atMs === e.atMs &&
          Buffer.from(b.chunk.buffer, b.chunk.byteOffset, b.chunk.byteLength).equals(e.chunk)
          ? []
          : [i];
      }
      return JSON.stringify(b) === JSON.stringify(e) ? [] : [i];
    });
    expect(differ).toEqual([]);
  });

  it('send no buffer for a batch without payloads', () => {
    const encoded = encodeEvents([
      { type: 'sse-event', uid: 'u', event: { seq: 0, offsetMs: 0, event: null, id: null, data: 'x' } },
    ]);
    expect(encoded.buffers).toEqual([]);
    expect(decodeEvents(structuredClone(encoded))).toHaveLength(1);
  });

  it('carry empty payloads in a batch that has no other bytes (a close or ping frame alone, an empty chunk)', () => {
    const events: PostedEvent[] = [
      {
        type: 'ws-message',
        uid: 'u',
        message: { seq: 3, offsetMs: 5, direction: 'receive', opcode: 8, payload: new Uint8Array(0) },
      },
      { type: 'body-chunk', uid: 'v', side: 'request', chunk: new Uint8Array(0), atMs: 1 },
    ];
    const encoded = encodeEvents(events);
    expect(encoded.buffers).toEqual([]);
    const back = decodeEvents(structuredClone(encoded));
    expect(back).toHaveLength(2);
    const [close, chunk] = back as [
      Extract<ExchangeEvent, { type: 'ws-message' }>,
      Extract<ExchangeEvent, { type: 'body-chunk' }>,
    ];
    expect(close.message).toMatchObject({ seq: 3, opcode: 8 });
    expect(close.message.payload.byteLength).toBe(0);
    expect(chunk.chunk.byteLength).toBe(0);
  });

  it('give a payload that waits in a backlog bytes of its own, not a view keeping its whole batch', () => {
    const events: ExchangeEvent[] = Array.from({ length: 100 }, (_, seq) => ({
      type: 'ws-message',
      uid: 'u',
      message: { seq, offsetMs: 0, direction: 'receive', opcode: 1, payload: Buffer.alloc(1000, seq) },
    }));
    const back = decodeEvents(structuredClone(encodeEvents(events))) as ExchangeEvent[];
    const viewOf = (e: ExchangeEvent) => (e.type === 'ws-message' ? e.message.payload.buffer.byteLength : 0);
    expect(viewOf(back[0])).toBe(100_000);
    // Storage failed: the batch goes back to wait, each payload on its own bytes, the same bytes.
    const backlog = new Backlog(1024 * 1024, 'storage was failing');
    backlog.putBack(back);
    const waiting = backlog.take();
    expect(waiting.map(viewOf)).toEqual(events.map(() => 1000));
    expect(waiting).toEqual(
      events.map((e) =>
        e.type === 'ws-message' ? { ...e, message: { ...e.message, payload: new Uint8Array(e.message.payload) } } : e,
      ),
    );
    // Past its bound a backlog sheds the newest payloads: what it keeps owns its bytes too.
    const small = new Backlog(50 * (1000 + 256), 'storage was failing');
    small.add(decodeEvents(structuredClone(encodeEvents(events))) as ExchangeEvent[]);
    const kept = small.take();
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(100);
    expect(kept.map(viewOf)).toEqual(kept.map(() => 1000));
  });

  it('keep a chunk whose bytes wait in the ring as its span', () => {
    const ringChunk: PostedEvent = {
      type: 'body-chunk',
      uid: 'u',
      side: 'request',
      atMs: 3,
      ring: { at: 10, length: 20 },
    };
    expect(roundTrip([ringChunk])).toEqual([ringChunk]);
  });

  it('come back as emitted from the JSON posted and their payloads, bytes in the ring or packed alike (what a restarted thread is handed)', () => {
    const emitted: ExchangeEvent[] = [
      ...finishedExchange(1, { secrets: [{ name: 'Authorization', fingerprint: 'f1' }] }),
      {
        type: 'ws-message',
        uid: 'w',
        message: { seq: 0, offsetMs: 2, direction: 'send', opcode: 1, payload: Buffer.from('{"a":1}') },
      },
      { type: 'body-chunk', uid: 'w', side: 'response', atMs: 4, chunk: Buffer.from('in the ring') },
    ];
    // The last chunk went into the ring: the JSON names its span, not its bytes.
    const posted = emitted.map(
      (e, i): PostedEvent =>
        i === emitted.length - 1 && e.type === 'body-chunk' ? chunkInRing(e, { at: 100, length: e.chunk.length }) : e,
    );
    const { json } = encodeEvents(posted);
    const back = eventsWithPayloads(json, payloadsOf(emitted));
    expect(back).toEqual(emitted);
    const payloads = back.flatMap((e) =>
      e.type === 'body-chunk' ? [e.chunk] : e.type === 'ws-message' ? [e.message.payload] : [],
    );
    expect(payloads).toEqual(payloadsOf(emitted));
    expect(payloads.length).toBeGreaterThan(2);
  });

  it('keep texts exactly: non-ASCII, control characters, lone surrogates, and nulls', () => {
    const sse: ExchangeEvent = {
      type: 'sse-event',
      uid: 'u',
      event: { seq: 0, offsetMs: 0.25, event: null, id: null, data: 'naïve 你好 \u0000\u001f "quoted" \\ \ud800 end' },
    };
    const end: ExchangeEvent = {
      type: 'end',
      uid: 'u',
      state: 'upstream_error',
      error: 'reset: \ud83d\ude00',
      timings: { end: 1.5 },
      requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
      responseBody: { size: 9, storedSize: 3, truncated: true, encoding: 'gzip' },
    };
    expect(roundTrip([sse, end])).toEqual([sse, end]);
  });

  it('say which payload a batch lacks rather than store a chunk without bytes', () => {
    const encoded = encodeEvents([
      { type: 'body-chunk', uid: 'u', side: 'response', chunk: Buffer.from('x'), atMs: 1 },
    ]);
    expect(() => decodeEvents({ json: encoded.json, buffers: [] })).toThrow(/payload bytes 0-1 of 0/);
    expect(() => decodeEvents({ json: encoded.json, buffers: [new Uint8Array(0)] })).toThrow(/payload bytes 0-1 of 0/);
  });
});
