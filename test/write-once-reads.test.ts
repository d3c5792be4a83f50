// An exchange written once (db/whole-exchange.ts) is understood and indexed from what the batch
// holds in memory (issue 28): its SSE events and WebSocket messages are handed to the understanding
// (llm/stored-calls.ts modelCallOf, the same rule as for rows read back) and to the search index,
// never read back from the rows just written and inflated. Counted here: the reader's reads of
// events and messages, and every inflate, while a batch of streamed calls and a WebSocket is written.
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { KEEP_BODY_BYTES } from '../db/exchange-row.ts';
import { ExchangeReader } from '../db/reader.ts';
import { harToEvents } from '../export/har-import.ts';
import { modelCallOf, understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent, Header } from '../model/exchange.ts';
import { chatStreamEvents } from './support/exchange-events.ts';
import { mixedHar } from './support/mixed-har.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-write-once-reads-');

afterEach(() => {
  vi.restoreAllMocks();
});

/** A chat completion streamed as 40 SSE events (bench/storage-row-cost.ts --kind sse), its usage in the 39th. */
function streamedCall(i: number): ExchangeEvent[] {
  const uid = `stream-${i}`;
  const headers: Header[] = [
    ['host', 'api.openai.com'],
    ['content-type', 'application/json'],
  ];
  const request = Buffer.from(
    JSON.stringify({ model: 'gpt-made', stream: true, messages: [{ role: 'user', content: `question ${i}` }] }),
  );
  const events: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now(),
        clientAddress: '127.0.0.1:50000',
        method: 'POST',
        scheme: 'https',
        host: 'api.openai.com',
        port: 443,
        path: '/v1/chat/completions',
        httpVersion: '1.1',
        headers,
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 0.1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/event-stream']] },
    },
  ];
  const answer = chatStreamEvents(uid, i, { prompt_tokens: 40 + i, completion_tokens: 38, total_tokens: 78 + i });
  events.push(...answer.events);
  const size = answer.size;
  events.push({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { requestSent: 0.2, responseHeaders: 20, firstByte: 21, end: 61 },
    requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
    responseBody: { size, storedSize: size, truncated: false, encoding: '' },
  });
  return events;
}

/** The mixed HAR's exchanges small enough to be written once (its 2 MB body is stored as it comes, and read back). */
function mixedHeldWhole(): ExchangeEvent[] {
  const { events } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });
  const bodyBytes = new Map<string, number>();
  for (const e of events)
    if (e.type === 'body-chunk') bodyBytes.set(e.uid, (bodyBytes.get(e.uid) ?? 0) + e.chunk.byteLength);
  return events.filter((e) => (bodyBytes.get(e.uid) ?? 0) <= KEEP_BODY_BYTES);
}

describe('a batch written once', () => {
  it('is understood and indexed without reading back or inflating its events, messages or bodies', () => {
    const db = freshDb();
    const store = new CaptureStore(db, understandEnded);
    store.indexInSlices = true;
    expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
    const sseReads = vi.spyOn(ExchangeReader.prototype, 'sseEvents');
    const wsReads = vi.spyOn(ExchangeReader.prototype, 'wsMessages');
    const bodyReads = vi.spyOn(ExchangeReader.prototype, 'bodyChunks');
    const inflates = vi.spyOn(zlib, 'inflateRawSync');
    const brotli = vi.spyOn(zlib, 'brotliDecompressSync');

    const batch = [...Array.from({ length: 8 }, (_, i) => streamedCall(i)).flat(), ...mixedHeldWhole()];
    store.apply(batch);

    expect(store.indexError).toBeNull();
    const waiting = db.prepare('SELECT count(*) FROM exchanges WHERE to_index <> 0').pluck().get();
    expect(waiting).toBe(0);
    expect({
      sseEvents: sseReads.mock.calls.length,
      wsMessages: wsReads.mock.calls.length,
      bodyChunks: bodyReads.mock.calls.length,
      inflateRawSync: inflates.mock.calls.length,
      brotliDecompressSync: brotli.mock.calls.length,
    }).toEqual({ sseEvents: 0, wsMessages: 0, bodyChunks: 0, inflateRawSync: 0, brotliDecompressSync: 0 });

    // Understood from memory as from its rows: the streamed calls' model and tokens, found by search.
    const calls = db
      .prepare("SELECT uid, model, input_tokens, output_tokens FROM exchanges WHERE uid LIKE 'stream-%' ORDER BY id")
      .all();
    expect(calls).toEqual(
      Array.from({ length: 8 }, (_, i) => ({
        uid: `stream-${i}`,
        model: 'gpt-made',
        input_tokens: 40 + i,
        output_tokens: 38,
      })),
    );
    const found = db.prepare('SELECT count(*) FROM exchanges_search WHERE exchanges_search MATCH \'"word37"\'').pluck();
    expect(found.get()).toBe(8);

    // The same call read back from its rows (what the spies would have counted): the same answer.
    const reader = new ExchangeReader(db);
    const first = reader.list({ limit: 1000 }).find((e) => e.uid === 'stream-0');
    const fromRows = modelCallOf(reader, reader.get(first!.id)!);
    expect(sseReads.mock.calls.length).toBe(1);
    expect(inflates.mock.calls.length).toBeGreaterThan(0);
    expect(fromRows?.usage).toMatchObject({ input: 40, output: 38 });
    expect(fromRows?.answer.text).toBe(Array.from({ length: 39 }, (_, n) => ` word${n}`).join(''));
  });

  /**
   * A streamed exchange's request and half its events in one batch, the rest and its end in the
   * next (stored as they came, then understood, packed and indexed in the second batch's
   * transaction); `reads`: the reader's event reads and the inflates made for the second batch.
   */
  function storedAcrossBatches(call: ExchangeEvent[]) {
    const db = freshDb();
    const store = new CaptureStore(db, understandEnded);
    store.indexInSlices = true;
    expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
    store.apply(call.slice(0, 40));
    const sseReads = vi.spyOn(ExchangeReader.prototype, 'sseEvents');
    const inflates = vi.spyOn(zlib, 'inflateRawSync');
    store.apply(call.slice(40));
    expect(store.indexError).toBeNull();
    return { db, reads: () => ({ sseEvents: sseReads.mock.calls.length, inflateRawSync: inflates.mock.calls.length }) };
  }

  it('one that began in an earlier batch reads its events once, for understanding, and indexes them from that read, not inflated again', () => {
    const { db, reads } = storedAcrossBatches(streamedCall(0));
    expect(db.prepare('SELECT count(*) FROM exchanges WHERE to_index <> 0').pluck().get()).toBe(0);
    expect(reads()).toEqual({ sseEvents: 1, inflateRawSync: 0 });
    // Packed after it was read, and found by what its last events said.
    expect(db.prepare('SELECT count(*) FROM sse_events WHERE codec <> 0').pluck().get()).toBeGreaterThan(30);
    expect(db.prepare('SELECT output_tokens FROM exchanges').pluck().get()).toBe(38);
    const found = db.prepare('SELECT count(*) FROM exchanges_search WHERE exchanges_search MATCH \'"word37"\'').pluck();
    expect(found.get()).toBe(1);
  });

  it('a stream that is no model call, begun in an earlier batch, is indexed from its packed events without a zlib object per event', () => {
    // Not a model call: understanding reads none of its events, so the index reads them once packed.
    const { db, reads } = storedAcrossBatches(
      streamedCall(1).map((e) =>
        e.type === 'request' ? { ...e, head: { ...e.head, method: 'GET', path: '/v1/notifications' } } : e,
      ),
    );
    expect(db.prepare('SELECT count(*) FROM sse_events WHERE codec = 1').pluck().get()).toBeGreaterThan(30);
    expect(reads()).toEqual({ sseEvents: 0, inflateRawSync: 0 });
    const found = db.prepare('SELECT count(*) FROM exchanges_search WHERE exchanges_search MATCH \'"word37"\'').pluck();
    expect(found.get()).toBe(1);
  });
});
