// Hostile HAR files given to `wirelog import` (and the viewer's import, which reads them the same
// way, export/har-stream.ts). HAR 1.2 (W3C draft, "Encoding"): a HAR file is UTF-8, other
// encodings are forbidden, and a reader ignores a byte order mark. RFC 9110 15: a status code is
// three digits. Figures JSON reads as Infinity (1e400) or that overflow once counted in
// microseconds (1e308 ms) were stored and read back as a damaged row.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarImportError, MAX_TIMING_MS } from '../export/har-import.ts';
import { importHarFile } from '../export/har-stream.ts';
import { localized } from '../i18n/stored-text.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { runCli } from './support/cli.ts';
import { tempDir } from './support/harness.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('wirelog-hostile-har-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Entry = Record<string, unknown>;

const entry = (i: number, url = `https://api.example/v1/chat/completions?n=${i}`): Entry => ({
  startedDateTime: new Date(Date.UTC(2026, 11, 1, 10) + i * 1000).toISOString(),
  time: 12,
  request: {
    method: 'POST',
    url,
    headers: [{ name: 'content-type', value: 'application/json' }],
    postData: { mimeType: 'application/json', text: `{"q":"问题 ${i}"}` },
  },
  response: {
    status: 200,
    headers: [{ name: 'content-type', value: 'application/json' }],
    content: { mimeType: 'application/json', text: `{"a":"答 ${i}"}` },
  },
  timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 1, wait: 10, receive: 1 },
});

const harText = (entries: Entry[]) => JSON.stringify({ log: { version: '1.2', entries } });

let files = 0;
function write(bytes: Buffer | string): string {
  const file = path.join(dir, `f${++files}.har`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Imports `file` into memory: the events of each stored batch, and what the import said. */
async function importFile(file: string): Promise<{ events: ExchangeEvent[]; ids: number[]; notes: string[] }> {
  const events: ExchangeEvent[] = [];
  let next = 0;
  const result = await importHarFile(file, {
    source: path.basename(file),
    keepSecrets: false,
    store: (batch) => {
      events.push(...batch);
      return batch.filter((e) => e.type === 'request').map(() => ++next);
    },
  });
  return { events, ids: result.ids, notes: result.notes };
}

/** The refusal of `file`, after checking nothing was stored. */
async function refusalOf(file: string): Promise<string> {
  let stored = 0;
  const error = await importHarFile(file, {
    source: path.basename(file),
    keepSecrets: false,
    store: (batch) => {
      stored += batch.length;
      return [];
    },
  }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(stored).toBe(0);
  expect(error).toBeInstanceOf(HarImportError);
  return (error as Error).message;
}

const requestBodies = (events: ExchangeEvent[]) =>
  events.flatMap((e) =>
    e.type === 'body-chunk' && e.side === 'request' ? [Buffer.from(e.chunk).toString('utf8')] : [],
  );

describe('the encoding of a HAR file', () => {
  it('ignores a UTF-8 byte order mark, as HAR 1.2 asks of readers', async () => {
    const file = write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(harText([entry(1)]))]));
    const { ids, events } = await importFile(file);
    expect(ids).toEqual([1]);
    expect(requestBodies(events)).toEqual(['{"q":"问题 1"}']);
  });

  it('refuses UTF-16 (with a byte order mark or without) naming it and how to convert it', async () => {
    const text = harText([entry(1)]);
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), le, be]) {
      const message = await refusalOf(write(bytes));
      expect(message).toMatch(/^f\d+\.har is UTF-16 text, and a HAR file is UTF-8 \(HAR 1\.2\): convert it first/);
      expect(message).toContain('iconv -f UTF-16 -t UTF-8');
      expect(localized(message, 'zh-CN')).toMatch(/是 UTF-16 文本，而 HAR 文件必须是 UTF-8/);
    }
  });

  it('refuses bytes that are not UTF-8 (a GBK body) instead of storing U+FFFD for each character', async () => {
    const utf8 = Buffer.from(harText([entry(1), entry(2)]));
    // 问题 in GBK (B4 CA CC E2) where the UTF-8 of 问题 was: not UTF-8.
    const at = utf8.indexOf(Buffer.from('问题 2'));
    const gbk = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xce, 0xca, 0xcc, 0xe2]), utf8.subarray(at + 6)]);
    const message = await refusalOf(write(gbk));
    expect(message).toMatch(/is not UTF-8 text \(in its first \d+ bytes\), and a HAR file is UTF-8/);
    expect(message).toContain('iconv -f GBK -t UTF-8');
    expect(localized(message, 'zh-CN')).toMatch(/不是 UTF-8 文本（在前 \d+ 字节内）/);
  });
});

describe('figures a stored exchange cannot hold', () => {
  const cases: [string, (e: Entry) => void, RegExp][] = [
    [
      'a status of more than three digits',
      (e) => ((e.response as Entry).status = 99_999_999),
      /response\.status 99999999 is not an HTTP status code/,
    ],
    ['a status of 1e300', (e) => ((e.response as Entry).status = 1e300), /response\.status 1e\+300 is not an HTTP/],
    ['a status under 100', (e) => ((e.response as Entry).status = 42), /response\.status 42 is not an HTTP/],
    [
      'a timing of 1e308 ms',
      (e) => ((e.timings as Entry).wait = 1e308),
      /timings\.wait is 1e\+308: not a time in milliseconds/,
    ],
    [
      'a timing over a year',
      (e) => ((e.timings as Entry).receive = MAX_TIMING_MS + 1),
      /timings\.receive is \d+: not a time in milliseconds/,
    ],
    [
      'a WebSocket message at 1e308 s',
      (e) => (e._webSocketMessages = [{ type: 'send', time: 1e308, opcode: 1, data: 'hi' }]),
      /_webSocketMessages\.0\.time is 1e\+308: not a time in seconds since 1970/,
    ],
    [
      'an SSE event at -1e308 s',
      (e) => (e._sseEvents = [{ time: 1.7e9 }, { time: -1e308, data: 'x' }].map((x) => ({ data: '', ...x }))),
      /_sseEvents\.1\.time is -1e\+308: not a time in seconds since 1970/,
    ],
  ];
  it.each(cases)('refuses %s, naming the entry and the field', async (_name, spoil, expected) => {
    const bad = entry(2);
    spoil(bad);
    const message = await refusalOf(write(harText([entry(1), bad])));
    expect(message).toMatch(/cannot be imported, nothing was:\n {2}entry 2 \(POST https:\/\/api\.example\//);
    expect(message).toMatch(expected);
    expect(localized(message, 'zh-CN')).toMatch(/无法导入/);
  });

  it('refuses 1e400, which JSON reads as Infinity', async () => {
    const text = harText([entry(1)]).replace('"wait":10', '"wait":1e400');
    expect(text).toContain('1e400');
    expect(await refusalOf(write(text))).toMatch(/timings\.wait is Infinity: not a time in milliseconds/);
  });

  it('keeps what HAR tools write: status 0 or -1 with no response, -1 for a phase, a year-long phase', async () => {
    const none = entry(1);
    (none.response as Entry).status = 0;
    const failed = entry(2);
    (failed.response as Entry).status = -1;
    const long = entry(3);
    long.timings = { send: MAX_TIMING_MS, wait: MAX_TIMING_MS, receive: MAX_TIMING_MS, connect: MAX_TIMING_MS };
    const { ids, events } = await importFile(write(harText([none, failed, long])));
    expect(ids).toEqual([1, 2, 3]);
    const ends = events.filter((e) => e.type === 'end');
    expect(ends.map((e) => e.state)).toEqual(['upstream_error', 'upstream_error', 'complete']);
    for (const end of ends) for (const ms of Object.values(end.timings)) expect(Number.isFinite(ms)).toBe(true);
  });
});

describe('entries that are not HTTP or WebSocket exchanges', () => {
  it('skips data:, blob:, javascript: and extension entries, keeps the others in time order, and says so', async () => {
    const entries = [
      entry(3),
      entry(1, 'data:image/png;base64,iVBORw0KGgo='),
      entry(2, 'wss://api.example/v1/realtime'),
      entry(4, 'blob:https://app.example/5f0c'),
      entry(5, 'javascript:alert(1)'),
      entry(6, 'chrome-extension://abcdef/page.js'),
      entry(0, 'http://127.0.0.1:3000/v1/models'),
    ];
    const { ids, events, notes } = await importFile(write(harText(entries)));
    expect(ids).toEqual([1, 2, 3]);
    const heads = events.flatMap((e) => (e.type === 'request' ? [`${e.head.scheme}://${e.head.host}`] : []));
    expect(heads).toEqual(['http://127.0.0.1', 'wss://api.example', 'https://api.example']);
    expect(notes[0]).toBe(
      'skipped 4 entry(s) that are not HTTP or WebSocket exchanges (data, blob, javascript, chrome-extension URLs, which a browser lists beside its requests); the others were imported',
    );
    expect(localized(notes[0], 'zh-CN')).toMatch(/^跳过了 4 条不是 HTTP 或 WebSocket 请求的条目/);
  });

  it('says a file of such entries only imported nothing, and why', async () => {
    const { ids, notes } = await importFile(write(harText([entry(1, 'data:text/plain,hi')])));
    expect(ids).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^skipped 1 entry\(s\) that are not HTTP or WebSocket exchanges \(data URLs/);
  });
});

describe('wirelog import says its refusals and notes in the language asked for', () => {
  it('refuses a bad file in Chinese with --lang zh-CN', async () => {
    const bad = entry(1);
    (bad.request as Entry).method = 'PO ST';
    const file = write(harText([bad]));
    const dataDir = tempDir();
    try {
      const zh = await runCli(['import', file, '--data-dir', dataDir, '--lang', 'zh-CN']);
      expect(zh.code).toBe(1);
      expect(zh.stderr).toMatch(/无法导入，什么都没有导入：\n {2}第 1 条（PO ST https:\/\/api\.example\//);
      expect(zh.stderr).toContain('request.method "PO ST" 不是 HTTP 方法');
      const en = await runCli(['import', write(harText([entry(1, 'data:,x'), entry(2)])), '--data-dir', dataDir]);
      expect(en.code).toBe(0);
      expect(en.stderr).toContain('note: skipped 1 entry(s) that are not HTTP or WebSocket exchanges (data URLs');
      const zhNote = await runCli([
        'import',
        write(harText([entry(1, 'data:,x')])),
        '--data-dir',
        dataDir,
        '--lang',
        'zh-CN',
      ]);
      expect(zhNote.stderr).toContain('跳过了 1 条不是 HTTP 或 WebSocket 请求的条目（data 地址');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
