// A HAR written by HTTP Toolkit, imported. Its shape is HTTP Toolkit's own export
// (httptoolkit-ui, src/model/http/har.ts, generateHarRequest): a request body that is not UTF-8
// goes in `request._content: { text, size, encoding: 'base64' }` with `_requestBodyStatus:
// 'discarded:not-representable'` and no postData; a body it leaves out is only marked
// `discarded:too-large` (with a comment) or `discarded:not-decodable`. The binary body is stored
// byte for byte; a body the file does not hold is named in the import's notes and on the exchange.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { importHarFile } from '../export/har-stream.ts';
import { localized } from '../i18n/stored-text.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-htk-'));
  dirs.push(dir);
  return dir;
}

// Every byte value, and sequences that are not UTF-8 (what makes HTTP Toolkit write _content).
const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x80]),
]);

const entry = (n: number, request: Record<string, unknown>) => ({
  pageref: 'curl',
  startedDateTime: new Date(Date.UTC(2026, 0, 5, 9, 0, n)).toISOString(),
  time: 12.5,
  request: {
    method: 'POST',
    url: `https://api.example/v1/upload?n=${n}`,
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: [
      { name: 'host', value: 'api.example' },
      { name: 'content-type', value: 'application/octet-stream' },
    ],
    queryString: [{ name: 'n', value: String(n) }],
    headersSize: -1,
    bodySize: BINARY.length,
    ...request,
  },
  response: {
    status: 200,
    statusText: 'OK',
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: [{ name: 'content-type', value: 'application/json' }],
    content: { mimeType: 'application/json', size: 11, text: '{"ok":true}' },
    redirectURL: '',
    headersSize: -1,
    bodySize: 11,
  },
  cache: {},
  timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 1, wait: 10, receive: 1.5 },
});

function httpToolkitHar(entries: unknown[]): string {
  return JSON.stringify({
    log: {
      version: '1.2',
      creator: { name: 'HTTP Toolkit', version: '1.19.0' },
      pages: [{ id: 'curl', title: 'curl', startedDateTime: '2026-01-05T09:00:00.000Z', pageTimings: {} }],
      entries,
      _tlsErrors: [],
    },
  });
}

async function imported(entries: unknown[]) {
  const dir = freshDir();
  const file = path.join(dir, 'httptoolkit.har');
  fs.writeFileSync(file, httpToolkitHar(entries));
  const db = openDatabase(path.join(dir, 'data'));
  try {
    const store = new CaptureStore(db);
    const result = await importHarFile(file, {
      source: 'httptoolkit.har',
      keepSecrets: false,
      store: (events) => store.apply(events),
    });
    const reader = new ExchangeReader(db);
    const exchanges = result.ids.map((id) => reader.get(id)!);
    const bodies = result.ids.map((id) => reader.body(id, 'request'));
    return { result, exchanges, bodies };
  } finally {
    db.close();
  }
}

describe('an HTTP Toolkit HAR', () => {
  it('stores a binary request body from request._content byte for byte, with nothing to note', async () => {
    const { result, exchanges, bodies } = await imported([
      entry(1, {
        _requestBodyStatus: 'discarded:not-representable',
        _content: { text: BINARY.toString('base64'), size: BINARY.length, encoding: 'base64' },
      }),
    ]);
    expect(result.entries).toBe(1);
    expect(result.notes).toEqual([]);
    expect(bodies[0].equals(BINARY)).toBe(true);
    expect(exchanges[0].requestBody).toMatchObject({
      size: BINARY.length,
      storedSize: BINARY.length,
      truncated: false,
    });
    expect(exchanges[0].notes ?? []).toEqual([]);
  });

  it('names each request body the file does not hold, in the notes and on the exchange', async () => {
    const { result, exchanges, bodies } = await imported([
      entry(1, {
        _requestBodyStatus: 'discarded:too-large',
        comment: 'Body discarded during HAR generation: longer than limit of 500000 bytes',
      }),
      entry(2, { _content: { text: BINARY.toString('hex'), size: BINARY.length, encoding: 'hex' } }),
      entry(3, {
        postData: {
          mimeType: 'application/x-www-form-urlencoded',
          params: [
            { name: 'a', value: '1' },
            { name: 'b', value: '2' },
          ],
        },
      }),
    ]);
    expect(result.entries).toBe(3);
    expect(result.notes).toEqual([
      'entry 1 (POST https://api.example/v1/upload?n=1): its request body is not stored: the tool that wrote the HAR left it out (_requestBodyStatus "discarded:too-large")',
      'entry 2 (POST https://api.example/v1/upload?n=2): its request body is not stored: request._content.encoding is "hex", an encoding wirelog does not read (base64 or none)',
      'entry 3 (POST https://api.example/v1/upload?n=3): its request body is not stored: the HAR gives it only as 2 form fields (postData.params), not as its bytes',
    ]);
    exchanges.forEach((ex, i) => expect(ex.notes).toEqual([result.notes[i]]));
    expect(bodies.map((b) => b.length)).toEqual([0, 0, 0]);
    // Said in the reader's language, as every stored note is.
    expect(localized(result.notes[0], 'zh-CN')).toBe(
      '第 1 条（POST https://api.example/v1/upload?n=1）：请求体没有保存：导出 HAR 的工具没有把它写进去（_requestBodyStatus 为 "discarded:too-large"）',
    );
    expect(localized(result.notes[1], 'zh-CN')).toContain('request._content.encoding 是 "hex"');
    expect(localized(result.notes[2], 'zh-CN')).toContain('只有 2 个表单字段');
  });
});
