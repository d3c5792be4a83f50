// db/import-store.ts stores what capture's path stores (rows written as they come, packed and
// indexed after: db/capture-store.ts and db/indexer.ts, as `wirelog import` did before it), row
// for row: the same exchanges, body rows, SSE events, WebSocket messages, parts, references and
// search entries (each FTS5 token at its place), for a HAR of every kind of entry, in batches
// that share parts across them.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ImportStore } from '../db/import-store.ts';
import type { Db } from '../db/schema.ts';
import { harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-import-store-');

const started = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
const json = [{ name: 'content-type', value: 'application/json' }];

function entry(i: number, request: Record<string, unknown>, response: Record<string, unknown>, extra = {}) {
  return {
    startedDateTime: started(i),
    time: 100,
    request: { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', headers: json, ...request },
    response: { status: 200, statusText: 'OK', headers: json, ...response },
    timings: { send: 1, wait: 90, receive: 9 },
    ...extra,
  };
}

function chatBody(i: number, user: string): string {
  return JSON.stringify({
    model: 'gpt-test',
    messages: [
      { role: 'system', content: 'You are helpful. '.repeat(100) },
      { role: 'user', content: `${user} ${i} ${'lorem ipsum 令牌 '.repeat(80)}` },
    ],
  });
}

const answer = (i: number) =>
  JSON.stringify({
    id: `chatcmpl-${i}`,
    object: 'chat.completion',
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content: `answer ${i} 渠道` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 500, completion_tokens: 80, total_tokens: 580 },
  });

/** A HAR of every kind of entry the import meets. */
function mixedHar(): string {
  const entries: unknown[] = [];
  let i = 0;
  // Chat calls whose system prompt is one part shared by all (split request bodies).
  for (let k = 0; k < 4; k++)
    entries.push(
      entry(
        i++,
        {
          headers: [...json, { name: 'authorization', value: `Bearer sk-test-00000000000${k}` }],
          postData: { mimeType: 'application/json', text: chatBody(k, 'question') },
        },
        { content: { mimeType: 'application/json', text: answer(k) } },
      ),
    );
  // A stream with its events listed (one with a lone surrogate), and one whose body holds them.
  const sse = 'text/event-stream';
  entries.push(
    entry(
      i++,
      { postData: { mimeType: 'application/json', text: chatBody(9, 'stream') } },
      {
        headers: [{ name: 'content-type', value: sse }],
        content: { mimeType: sse, text: 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n' },
      },
      {
        _sseEvents: [
          { time: Date.parse(started(i)) / 1000 + 0.05, data: '{"choices":[{"delta":{"content":"hi \ud800 令牌"}}]}' },
          { time: Date.parse(started(i)) / 1000 + 0.06, event: 'done', id: '7', data: '[DONE]' },
        ],
      },
    ),
  );
  const events = Array.from({ length: 30 }, (_, n) => `data: {"choices":[{"delta":{"content":"word${n}"}}]}\n\n`);
  entries.push(
    entry(
      i++,
      { postData: { mimeType: 'application/json', text: chatBody(10, 'stream') } },
      { headers: [{ name: 'content-type', value: sse }], content: { mimeType: sse, text: events.join('') } },
    ),
  );
  // A WebSocket: text each way, binary, empty.
  const at = Date.parse(started(i)) / 1000;
  entries.push({
    ...entry(i++, {}, { status: 101, statusText: 'Switching Protocols', headers: [] }),
    request: { method: 'GET', url: 'wss://api.openai.com/v1/responses', headers: [] },
    _webSocketMessages: [
      {
        type: 'send',
        time: at + 0.01,
        opcode: 1,
        data: JSON.stringify({ type: 'response.create', input: 'x'.repeat(3000) }),
      },
      { type: 'receive', time: at + 0.02, opcode: 1, data: '{"type":"response.completed","response":{"id":"resp_1"}}' },
      { type: 'receive', time: at + 0.03, opcode: 2, data: Buffer.from([1, 2, 3, 250]).toString('base64') },
      { type: 'send', time: at + 0.04, opcode: 1, data: '' },
    ],
  });
  // Binary, a gzip-encoded request, a body past what capture keeps in memory, rows of 256 KB, small.
  entries.push(
    entry(
      i++,
      { method: 'GET', url: 'https://example.com/logo.png', headers: [] },
      {
        headers: [{ name: 'content-type', value: 'image/png' }],
        content: { encoding: 'base64', text: Buffer.alloc(5000, 7).toString('base64') },
      },
    ),
  );
  entries.push(
    entry(
      i++,
      {
        headers: [...json, { name: 'content-encoding', value: 'gzip' }],
        postData: {
          mimeType: 'application/json',
          encoding: 'base64',
          text: zlib.gzipSync(Buffer.from(chatBody(11, 'gzipped'))).toString('base64'),
        },
      },
      { content: { mimeType: 'application/json', text: answer(11) } },
    ),
  );
  entries.push(
    entry(
      i++,
      { method: 'GET', url: 'https://example.com/two-mb', headers: [] },
      { headers: [], content: { text: 'plain words 中转站 '.repeat(110_000) } },
    ),
  );
  entries.push(
    entry(
      i++,
      { headers: [{ name: 'content-type', value: 'text/plain' }], postData: { text: 'plain request '.repeat(3000) } },
      { headers: [{ name: 'content-type', value: 'text/plain' }], content: { text: 'r'.repeat(600 * 1024) } },
    ),
  );
  entries.push(
    entry(i++, { postData: { text: '{}' } }, { content: { text: 'ok' }, _trailers: [{ name: 'x-t', value: '1' }] }),
  );
  entries.push(entry(i++, {}, { status: 0, headers: [] }, { _error: 'net::ERR_CONNECTION_REFUSED' }));
  // The first calls again: their parts are known, indexed already.
  for (let k = 0; k < 2; k++)
    entries.push(
      entry(
        i++,
        { postData: { mimeType: 'application/json', text: chatBody(k, 'question') } },
        { content: { mimeType: 'application/json', text: answer(k) } },
      ),
    );
  return JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } });
}

/** Whole exchanges, `size` to a batch, as export/har-stream.ts hands them over. */
function batches(events: ExchangeEvent[], size: number): ExchangeEvent[][] {
  const out: ExchangeEvent[][] = [];
  let batch: ExchangeEvent[] = [];
  const uids = new Set<string>();
  for (const event of events) {
    if (!uids.has(event.uid) && uids.size === size) {
      out.push(batch);
      batch = [];
      uids.clear();
    }
    uids.add(event.uid);
    batch.push(event);
  }
  if (batch.length) out.push(batch);
  return out;
}

/** Every stored row, in a fixed order (FTS5 tables as their tokens: they keep no text). */
function rowsOf(db: Db): Record<string, unknown[][]> {
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.own_words USING fts5vocab(main, 'exchanges_search', 'instance')");
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.part_words USING fts5vocab(main, 'part_search', 'instance')");
  const queries = {
    exchanges: 'SELECT * FROM exchanges ORDER BY id',
    bodies: 'SELECT exchange_id, side, seq, codec, typeof(data), data FROM bodies ORDER BY exchange_id, side, seq',
    sse: 'SELECT exchange_id, seq, offset_ms, event, event_id, typeof(data), data, codec FROM sse_events ORDER BY exchange_id, seq',
    ws: 'SELECT exchange_id, seq, offset_ms, direction, opcode, typeof(payload), payload, codec FROM ws_messages ORDER BY exchange_id, seq',
    blobs: 'SELECT * FROM blobs ORDER BY id',
    partRefs: 'SELECT * FROM part_refs ORDER BY part_id, exchange_id',
    ownWords: 'SELECT * FROM temp.own_words ORDER BY term, doc, col, offset',
    partWords: 'SELECT * FROM temp.part_words ORDER BY term, doc, col, offset',
  };
  return Object.fromEntries(
    Object.entries(queries).map(([name, sql]) => [name, db.prepare(sql).raw().all() as unknown[][]]),
  );
}

describe('ImportStore', () => {
  it('stores a HAR of every kind of entry as capture and its indexer did, row for row', () => {
    const { events, entries } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });
    expect(entries).toBe(15);

    // Before: each batch applied as a capture batch, then understood, packed and indexed in slices.
    const before = freshDb();
    const capture = new CaptureStore(before, understandEnded);
    capture.indexInSlices = true;
    const beforeIds: number[] = [];
    for (const batch of batches(events, 3)) {
      beforeIds.push(...capture.apply(batch));
      while (capture.indexSlice('understand', Number.POSITIVE_INFINITY, 4000).more);
    }
    expect(capture.indexError).toBeNull();

    const after = freshDb();
    const store = new ImportStore(after, understandEnded);
    const afterIds = batches(events, 3).flatMap((batch) => store.store(batch));
    expect(store.error).toBeNull();

    expect(afterIds).toEqual(beforeIds);
    const was = rowsOf(before);
    const is = rowsOf(after);
    // What the HAR holds of each kind is there (the comparison is not of empty tables).
    expect(was.sse.length).toBe(32);
    expect(was.ws.length).toBe(4);
    expect(was.blobs.length).toBeGreaterThan(4);
    for (const table of Object.keys(was)) expect({ table, rows: is[table] }).toEqual({ table, rows: was[table] });
  });

  it('writes each body row once, packed, and never rewrites one', () => {
    const { events } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });
    const db = freshDb();
    db.exec(`CREATE TEMP TABLE body_writes (what TEXT);
      CREATE TEMP TRIGGER bodies_updated AFTER UPDATE ON main.bodies BEGIN INSERT INTO body_writes VALUES ('update'); END;
      CREATE TEMP TRIGGER bodies_deleted AFTER DELETE ON main.bodies BEGIN INSERT INTO body_writes VALUES ('delete'); END;
      CREATE TEMP TRIGGER sse_deleted AFTER DELETE ON main.sse_events BEGIN INSERT INTO body_writes VALUES ('delete'); END;
      CREATE TEMP TRIGGER ws_deleted AFTER DELETE ON main.ws_messages BEGIN INSERT INTO body_writes VALUES ('delete'); END;`);
    const store = new ImportStore(db, understandEnded);
    for (const batch of batches(events, 3)) store.store(batch);
    expect(db.prepare('SELECT count(*) FROM body_writes').pluck().get()).toBe(0);
  });
});
