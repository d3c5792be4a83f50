// Search finds Chinese words inside unspaced text (issue 25): 令牌, 渠道, 额度 and 快速排序 as
// substrings of longer runs, in a body, an SSE event, a WebSocket message and a header; mixed
// Chinese/English queries; English words and prefixes as before; base64 runs are not indexed.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { indexedText, searchQuery } from '../db/search-text.ts';
import type { ExchangeEvent, Header } from '../model/exchange.ts';
import { tempDir } from './support/harness.ts';

const BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg'.repeat(
  4,
);

interface Made {
  path: string;
  requestHeaders?: Header[];
  requestBody?: string;
  responseHeaders?: Header[];
  responseBody?: string;
  status?: number;
  sse?: string[];
  ws?: { direction: 'send' | 'receive'; text: string }[];
}

/** The events of one finished exchange, as the proxy emits them. */
function made(m: Made): ExchangeEvent[] {
  const uid = `${m.path}-${Math.random().toString(36).slice(2)}`;
  const request = Buffer.from(m.requestBody ?? '');
  const response = Buffer.from(m.responseBody ?? '');
  const events: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now(),
        clientAddress: '127.0.0.1:1',
        method: 'POST',
        scheme: 'https',
        host: 'relay.example.cn',
        port: 443,
        path: m.path,
        httpVersion: '1.1',
        headers: [['Host', 'relay.example.cn'], ['Content-Type', 'application/json'], ...(m.requestHeaders ?? [])],
      },
    },
  ];
  if (request.length) events.push({ type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 });
  const sse = m.sse !== undefined;
  events.push({
    type: 'response-head',
    uid,
    atMs: 2,
    head: {
      status: m.status ?? (m.ws ? 101 : 200),
      statusText: 'OK',
      httpVersion: '1.1',
      headers: [['Content-Type', sse ? 'text/event-stream' : 'application/json'], ...(m.responseHeaders ?? [])],
    },
  });
  if (response.length) events.push({ type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 3 });
  m.sse?.forEach((data, seq) =>
    events.push({ type: 'sse-event', uid, event: { seq, offsetMs: 3 + seq, event: 'message', id: null, data } }),
  );
  m.ws?.forEach((w, seq) =>
    events.push({
      type: 'ws-message',
      uid,
      message: { seq, offsetMs: 3 + seq, direction: w.direction, opcode: 1, payload: Buffer.from(w.text) },
    }),
  );
  events.push({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { end: 10 },
    requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
    responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
  });
  return events;
}

const dir = tempDir();
const db = openDatabase(dir);
const store = new CaptureStore(db);
const reader = new ExchangeReader(db);
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

store.apply([
  // A request body: the user's words, unspaced, inside JSON.
  ...made({
    path: '/v1/chat/completions',
    requestBody: JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: '请检查令牌是否过期，请用gpt-4o模型回答' }],
    }),
    responseBody: '{"ok":true}',
  }),
  // An SSE stream: the relay's error inside an event (no body stored: only the event says it).
  ...made({
    path: '/v1/responses',
    sse: ['{"type":"response.created"}', '{"type":"error","message":"当前分组上游额度已用尽"}'],
  }),
  // A WebSocket turn: the question in a message sent, the answer in one received.
  ...made({
    path: '/v1/responses/ws',
    ws: [
      { direction: 'send', text: '{"type":"response.create","input":"帮我写一个快速排序"}' },
      { direction: 'receive', text: '{"type":"response.completed","text":"好的，这是实现"}' },
    ],
  }),
  // A header: a relay's group header, as new-api relays send them.
  ...made({ path: '/v1/models', requestHeaders: [['X-Relay-Group', '默认渠道分组']], responseBody: '{"data":[]}' }),
  // A body as Python's json.dumps writes it (ensure_ascii): 余额不足 as \u escapes.
  ...made({
    path: '/v1/embeddings',
    status: 402,
    responseBody: '{"error":{"message":"\\u4f59\\u989d\\u4e0d\\u8db3"}}',
  }),
  // English, and an image inline as base64.
  ...made({
    path: '/v1/images',
    requestBody: JSON.stringify({ prompt: 'draw a quicksort diagram', image: `data:image/png;base64,${BASE64}` }),
    responseBody: '{"ok":true}',
  }),
]);

const found = (text: string) =>
  reader
    .list({ text, limit: 50 })
    .map((e) => e.request.path)
    .sort();

describe('Chinese words inside unspaced text', () => {
  it('are found in a request body, an SSE event, a WebSocket message, a header and an escaped JSON body', () => {
    expect(found('令牌')).toEqual(['/v1/chat/completions']);
    expect(found('额度')).toEqual(['/v1/responses']);
    expect(found('快速排序')).toEqual(['/v1/responses/ws']);
    expect(found('渠道')).toEqual(['/v1/models']);
    expect(found('余额')).toEqual(['/v1/embeddings']);
  });

  it('are found as any substring of two or more characters, and one character as well', () => {
    expect(found('速排')).toEqual(['/v1/responses/ws']);
    expect(found('上游额度已用')).toEqual(['/v1/responses']);
    expect(found('这是实现')).toEqual(['/v1/responses/ws']);
    expect(found('令')).toEqual(['/v1/chat/completions']);
    expect(found('序')).toEqual(['/v1/responses/ws']);
    // Characters that are there, but not in this order, are no match.
    expect(found('牌令')).toEqual([]);
    expect(found('排序快速')).toEqual([]);
  });

  it('are found with English in one query: words apart, or glued in one word', () => {
    expect(found('令牌 gpt-4o')).toEqual(['/v1/chat/completions']);
    expect(found('gpt-4o模型')).toEqual(['/v1/chat/completions']);
    expect(found('用gpt')).toEqual(['/v1/chat/completions']);
    expect(found('令牌 quicksort')).toEqual([]);
  });
});

describe('English search', () => {
  it('finds words as before, prefixes with *, and no word by a part of it without *', () => {
    expect(found('quicksort')).toEqual(['/v1/images']);
    expect(found('QuickSort diagram')).toEqual(['/v1/images']);
    expect(found('quick*')).toEqual(['/v1/images']);
    expect(found('quick')).toEqual([]);
    expect(found('relay.example.cn')).toHaveLength(6);
    // Typed FTS5 syntax is searched as text, never parsed.
    expect(found('"quicksort" OR NEAR(')).toEqual([]);
  });

  it('does not index base64 runs as text', () => {
    expect(found(BASE64)).toEqual([]);
    expect(found(BASE64.slice(0, 40))).toEqual([]);
    expect(found('image png')).toEqual(['/v1/images']);
  });
});

describe('the text indexed and the query, from the same cut', () => {
  it('writes an unspaced CJK run as its overlapping pairs and its last character, apart from Latin words', () => {
    expect(indexedText('检查令牌')).toBe(' 检查 查令 令牌 牌 ');
    expect(indexedText('用gpt模型').split(/\s+/).filter(Boolean)).toEqual(['用', 'gpt', '模型', '型']);
    expect(indexedText('"\\u4ee4\\u724c\\nnext"').split(/\s+/).filter(Boolean)).toEqual(['"', '令牌', '牌', 'next"']);
    expect(indexedText(`x ${BASE64} y`).replace(/\s+/g, ' ')).toBe('x y');
  });

  it('asks for the pairs as one phrase, a single character as a prefix, and quotes everything typed', () => {
    expect(searchQuery('快速排序')).toBe('"快速 速排 排序"');
    expect(searchQuery('令')).toBe('"令"*');
    expect(searchQuery('gpt-4o模型 quick*')).toBe('"gpt-4o" "模型" "quick"*');
    expect(searchQuery('a"b')).toBe('"a""b"');
    expect(searchQuery('  - ')).toBe('');
  });
});
