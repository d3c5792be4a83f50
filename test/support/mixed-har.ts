// A HAR of every kind of entry capture and import meet (chat calls sharing a split request's
// parts, streams, a WebSocket, binary, gzip, a body past what capture keeps in memory, trailers,
// a failure), its events in batches, and every stored row read in a fixed order: for tests that
// compare two write paths row for row (test/import-store.test.ts, test/capture-write-once.test.ts).
import zlib from 'node:zlib';
import type { CaptureStore } from '../../db/capture-store.ts';
import type { Db } from '../../db/schema.ts';
import type { ExchangeEvent } from '../../model/exchange.ts';

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
export function mixedHar(): string {
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
export function batches(events: ExchangeEvent[], size: number): ExchangeEvent[][] {
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
export function rowsOf(db: Db): Record<string, unknown[][]> {
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

/**
 * A batch through capture's path for exchanges open across batches (rows written as they come,
 * then understood, packed and indexed in slices): each exchange's request in a batch of its own
 * first. Applied whole, an exchange that begins and ends in a batch while nothing waits is
 * written once (db/whole-exchange.ts), the path being compared with this one.
 */
export function applyAcrossBatches(capture: CaptureStore, batch: ExchangeEvent[]): number[] {
  const requests = batch.filter((event) => event.type === 'request');
  const ids = capture.apply(requests);
  capture.apply(batch.filter((event) => event.type !== 'request'));
  return ids;
}
