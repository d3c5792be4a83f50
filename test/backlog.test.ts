import { describe, expect, it } from 'vitest';
import { Backlog } from '../db/backlog.ts';
import type { ExchangeEvent } from '../model/exchange.ts';

const head = {
  startedAt: 0,
  clientAddress: '127.0.0.1',
  method: 'POST',
  scheme: 'https' as const,
  host: 'h',
  port: 443,
  path: '/',
  httpVersion: '1.1',
  headers: [],
};
const body = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });

function exchange(uid: string, chunks: number, chunkSize: number): ExchangeEvent[] {
  return [
    { type: 'request', uid, head },
    ...Array.from(
      { length: chunks },
      (): ExchangeEvent => ({ type: 'body-chunk', uid, side: 'response', chunk: new Uint8Array(chunkSize), atMs: 0 }),
    ),
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: {},
      requestBody: body(0),
      responseBody: body(chunks * chunkSize),
    },
  ];
}

describe('the storage backlog while the database fails', () => {
  it('keeps everything under its bound, in order', () => {
    const backlog = new Backlog(1024 * 1024);
    expect(backlog.add(exchange('a', 4, 1000))).toEqual({ exchanges: 0, bytes: 0, events: 0 });
    const events = backlog.take();
    expect(events.map((e) => e.type)).toEqual([
      'request',
      'body-chunk',
      'body-chunk',
      'body-chunk',
      'body-chunk',
      'end',
    ]);
    expect(backlog.bytes).toBe(0);
  });

  it('past its bound leaves payloads out first, and the end says the body is truncated', () => {
    const backlog = new Backlog(64 * 1024);
    const report = backlog.add(exchange('a', 10, 10_000));
    expect(report.exchanges).toBe(0);
    expect(report.bytes).toBeGreaterThanOrEqual(60_000);
    expect(backlog.bytes).toBeLessThanOrEqual(32 * 1024);
    const events = backlog.take();
    const end = events.find((e) => e.type === 'end')!;
    const kept = events.filter((e) => e.type === 'body-chunk').length * 10_000;
    expect(end.type === 'end' && end.responseBody).toEqual({
      size: 100_000,
      storedSize: kept,
      truncated: true,
      encoding: '',
    });
    expect(events[0].type).toBe('request');
  });

  it('keeps the beginning of a body it cuts: the newest payloads go first, and later chunks of that body are left out as they arrive', () => {
    const backlog = new Backlog(64 * 1024);
    const chunks = (from: number, n: number) =>
      Array.from(
        { length: n },
        (_, i): ExchangeEvent => ({
          type: 'body-chunk',
          uid: 'a',
          side: 'response',
          chunk: new Uint8Array(10_000).fill(from + i),
          atMs: 0,
        }),
      );
    backlog.add([{ type: 'request', uid: 'a', head }, ...chunks(0, 10)]);
    expect(backlog.add(chunks(10, 2)).bytes).toBe(20_000);
    backlog.add([
      {
        type: 'end',
        uid: 'a',
        state: 'complete',
        error: null,
        timings: {},
        requestBody: body(0),
        responseBody: body(120_000),
      },
    ]);
    const events = backlog.take();
    const kept = events.flatMap((e) => (e.type === 'body-chunk' ? [e.chunk[0]] : []));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    const end = events.find((e) => e.type === 'end')!;
    expect(end.type === 'end' && end.responseBody).toEqual({
      size: 120_000,
      storedSize: kept.length * 10_000,
      truncated: true,
      encoding: '',
    });
  });

  it('then whole exchanges, oldest first, and drops what arrives later for them', () => {
    const backlog = new Backlog(4 * 1024);
    const report = backlog.add(
      Array.from({ length: 40 }, (_, i) => ({ type: 'request', uid: `x${i}`, head }) as ExchangeEvent),
    );
    expect(report.exchanges).toBeGreaterThan(0);
    const dropped = report.exchanges;
    backlog.add([
      {
        type: 'end',
        uid: 'x0',
        state: 'complete',
        error: null,
        timings: {},
        requestBody: body(0),
        responseBody: body(0),
      },
    ]);
    const events = backlog.take();
    expect(events.some((e) => e.uid === 'x0')).toBe(false);
    expect(events.filter((e) => e.type === 'request').map((e) => e.uid)).toEqual(
      Array.from({ length: 40 - dropped }, (_, i) => `x${i + dropped}`),
    );
  });

  it('puts a failed batch back ahead of what arrived since', () => {
    const backlog = new Backlog(1024 * 1024);
    backlog.add(exchange('a', 1, 10));
    const batch = backlog.take();
    backlog.add(exchange('b', 1, 10));
    backlog.putBack(batch);
    expect(backlog.take().map((e) => e.uid)).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
  });
});
