import { describe, expect, it } from 'vitest';
import { decodeEvents, encodeEvents, type PostedEvent } from '../db/event-transport.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { finishedExchange } from './support/exchange-events.ts';

const roundTrip = (events: PostedEvent[]) => decodeEvents(structuredClone(encodeEvents(events)));

describe('events from the forwarding thread to storage', () => {
  it('arrive as they were sent, bodies byte for byte', () => {
    const events = finishedExchange(1, { via: 'gateway', replayOf: 7, secrets: [{ name: 'Authorization', fingerprint: 'f1' }] });
    const back = roundTrip(events);
    expect(back).toEqual(events.map((e) => (e.type === 'body-chunk' ? { ...e, chunk: new Uint8Array(e.chunk) } : e)));
  });

  it('send only the bytes of a chunk or payload that is a view into a larger buffer', () => {
    const pool = Buffer.from('....hello....world....');
    const chunk: ExchangeEvent = { type: 'body-chunk', uid: 'u', side: 'response', chunk: pool.subarray(4, 9), atMs: 1 };
    const ws: ExchangeEvent = { type: 'ws-message', uid: 'u', message: { seq: 0, offsetMs: 2, direction: 'receive', opcode: 2, payload: pool.subarray(13, 18) } };
    const encoded = encodeEvents([chunk, ws]);
    expect(encoded.buffers.map((b) => b.buffer.byteLength)).toEqual([5, 5]);
    const [c, w] = decodeEvents(structuredClone(encoded));
    expect(c.type === 'body-chunk' && 'chunk' in c && Buffer.from(c.chunk).toString()).toBe('hello');
    expect(w.type === 'ws-message' && [Buffer.from(w.message.payload).toString(), w.message.opcode, w.message.direction]).toEqual(['world', 2, 'receive']);
  });

  it('keep a chunk whose bytes wait in the ring as its span', () => {
    const ringChunk: PostedEvent = { type: 'body-chunk', uid: 'u', side: 'request', atMs: 3, ring: { at: 10, length: 20 } };
    expect(roundTrip([ringChunk])).toEqual([ringChunk]);
  });

  it('keep texts exactly: non-ASCII, control characters, lone surrogates, and nulls', () => {
    const sse: ExchangeEvent = { type: 'sse-event', uid: 'u', event: { seq: 0, offsetMs: 0.25, event: null, id: null, data: 'naïve 你好 \u0000\u001f "quoted" \\ \ud800 end' } };
    const end: ExchangeEvent = { type: 'end', uid: 'u', state: 'upstream_error', error: 'reset: \ud83d\ude00', timings: { end: 1.5 }, requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' }, responseBody: { size: 9, storedSize: 3, truncated: true, encoding: 'gzip' } };
    expect(roundTrip([sse, end])).toEqual([sse, end]);
  });

  it('say which payload a batch lacks rather than store a chunk without bytes', () => {
    const encoded = encodeEvents([{ type: 'body-chunk', uid: 'u', side: 'response', chunk: Buffer.from('x'), atMs: 1 }]);
    expect(() => decodeEvents({ json: encoded.json, buffers: [] })).toThrow(/payload 0 of 0/);
  });
});
