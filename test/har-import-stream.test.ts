// HAR import read as a stream, off the forwarding thread: traffic keeps flowing through a running
// wirelog while a large HAR imports in its viewer, the import reports progress, a body nested
// 500,000 levels deep imports as text, and an entry with a bad method, header or oversized field
// is refused by number, URL and field.
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { MAX_ENTRY_DEPTH, MAX_HEADERS, MAX_URL_BYTES } from '../export/har-import.ts';
import { HarEntryReader, importFraction } from '../export/har-stream.ts';
import type { ImportAnswer, ImportLine } from '../viewer/contract.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

type Entry = Record<string, unknown>;

const chatEntry = (
  i: number,
  body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `question ${i}` }] }),
): Entry => ({
  startedDateTime: new Date(Date.UTC(2026, 11, 1, 10) + i * 1000).toISOString(),
  request: {
    method: 'POST',
    url: `https://api.example/v1/chat/completions?n=${i}`,
    headers: [{ name: 'content-type', value: 'application/json' }],
    postData: { mimeType: 'application/json', text: body },
  },
  response: {
    status: 200,
    headers: [{ name: 'content-type', value: 'application/json' }],
    content: {
      text: JSON.stringify({
        id: `c${i}`,
        model: 'm',
        choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      }),
    },
  },
});

function writeHar(name: string, entries: Entry[]): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, JSON.stringify({ log: { version: '1.2', entries } }));
  return file;
}

/** POSTs a file to the viewer's import, following its progress lines; every line in order. */
async function importThroughViewer(
  file: string,
  onLine: (line: ImportLine) => void = () => undefined,
): Promise<ImportLine[]> {
  const res = await request(`${h.wirelog.viewer!.url}/api/import?name=${encodeURIComponent(path.basename(file))}`, {
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin', accept: 'application/x-ndjson', 'content-type': 'application/json' },
    body: fs.createReadStream(file),
  });
  expect(res.statusCode).toBe(200);
  const lines: ImportLine[] = [];
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const text of parts.filter(Boolean)) {
      const line = JSON.parse(text) as ImportLine;
      lines.push(line);
      onLine(line);
    }
  }
  return lines;
}

const outcome = (lines: ImportLine[]) => lines[lines.length - 1];

describe('a large HAR imported in the running viewer', () => {
  it('proxied requests keep completing while the import advances, and it ends with every entry stored', async () => {
    const count = 5000;
    const file = writeHar(
      'big.har',
      Array.from({ length: count }, (_, i) => chatEntry(i)),
    );
    const before = h.wirelog.reader.count({});
    // What happened, in order: a progress line (how far the import was, 0 to 1: checking is the
    // first half, storing the second), or 'R': a proxied request completed.
    const timeline: (number | 'R')[] = [];
    let finished = false;
    const agent = h.agent();
    const traffic = (async () => {
      for (let i = 0; i < 20_000 && !finished; i++) {
        const res = await request(`${h.upstream.httpsUrl}/echo?during=${i}`, {
          method: 'POST',
          dispatcher: agent,
          body: 'x',
        });
        await res.body.text();
        expect(res.statusCode).toBe(200);
        timeline.push('R');
      }
    })();
    const lines = await importThroughViewer(file, (line) => {
      if ('progress' in line) timeline.push(importFraction(line.progress));
    });
    finished = true;
    await traffic;

    const done = outcome(lines) as { done: ImportAnswer };
    expect(done.done).toMatchObject({ imported: count, name: 'big.har', notes: [] });
    expect(h.wirelog.reader.count({})).toBeGreaterThanOrEqual(before + count);
    // Traffic went on while the import advanced: requests completed between its first report and
    // its last, and the import never went far (a quarter of its work; it reports every 5%) from
    // one completed request to the next. An import that held the forwarding thread would show
    // its whole check, or its whole store, between two requests.
    const first = timeline.findIndex((t) => t !== 'R');
    const last = timeline.length - 1 - [...timeline].reverse().findIndex((t) => t !== 'R');
    expect(timeline.slice(first, last).filter((t) => t === 'R').length).toBeGreaterThan(20);
    let reached = 0;
    let atRequest = 0;
    let longestWithoutTraffic = 0;
    for (const t of timeline) {
      if (t !== 'R') reached = Math.max(reached, t);
      else {
        longestWithoutTraffic = Math.max(longestWithoutTraffic, reached - atRequest);
        atRequest = reached;
      }
    }
    expect(longestWithoutTraffic).toBeLessThan(0.25);
    // Progress was reported while it ran, checking then storing, the stored count rising.
    const stored = lines.flatMap((l) => ('progress' in l && l.progress.phase === 'store' ? [l.progress.stored] : []));
    expect(stored.length).toBeGreaterThan(1);
    expect(stored).toEqual([...stored].sort((a, b) => a - b));
    expect(stored[stored.length - 1]).toBe(count);
  }, 120_000);
});

describe('a body nested 500,000 levels deep', () => {
  const deep = '['.repeat(500_000) + ']'.repeat(500_000);
  const body = `{"model":"deep-model","api_key":"sk-deep-secret-0000000042","messages":[{"role":"user","content":"hi"}],"extra":${deep}}`;

  it('imports through the viewer: stored as text with a note, read and compared without a 500, its secret masked', async () => {
    const entry = chatEntry(1, body);
    (entry.response as Entry).content = { text: `{"choices":${deep}}` };
    // A relay's error whose details nest that deep: diagnosis quotes such details (Azure's innererror, OpenRouter's metadata.raw).
    const failed = chatEntry(2);
    (failed.response as Entry).status = 429;
    (failed.response as Entry).content = {
      text: `{"error":{"message":"slow down","innererror":${deep},"metadata":{"raw":${deep}}}}`,
    };
    const lines = await importThroughViewer(writeHar('deep.har', [entry, failed]));
    const done = (outcome(lines) as { done: ImportAnswer }).done;
    expect(done.imported).toBe(2);
    expect(done.notes.join('\n')).toContain(
      'entry 1 (POST https://api.example/v1/chat/completions?n=1): its request body is JSON nested more than 1000 levels deep',
    );
    expect(done.notes.join('\n')).toContain('its response body is JSON nested more than 1000 levels deep');
    const id = done.ids[0];
    const detail = await request(`${h.wirelog.viewer!.url}/api/exchanges/${id}`);
    expect(detail.statusCode).toBe(200);
    const shown = (await detail.body.json()) as { requestBody: { text: string }; responseBody: { text: string } };
    expect(shown.requestBody.text.length).toBe(body.length - 'sk-deep-secret-0000000042'.length + '****0042'.length);
    expect(shown.requestBody.text).toContain('"api_key":"****0042"');
    expect(shown.responseBody.text).toContain('[[[[');
    const compared = await request(`${h.wirelog.viewer!.url}/api/compare?a=${id}&b=${id}`);
    expect(compared.statusCode).toBe(200);
    await compared.body.text();
    const error = await request(`${h.wirelog.viewer!.url}/api/exchanges/${done.ids[1]}`);
    expect(error.statusCode).toBe(200);
    expect(((await error.body.json()) as { responseBody: { text: string } }).responseBody.text).toContain(
      '"innererror":[[[[',
    );
  }, 60_000);

  it('imports with `wirelog import` too', async () => {
    const dataDir = tempDir();
    const result = await runCli(['import', writeHar('deep-cli.har', [chatEntry(1, body)]), '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'its request body is JSON nested more than 1000 levels deep: stored, and read as text',
    );
    const db = openDatabase(dataDir);
    try {
      expect(new ExchangeReader(db).list({}).length).toBe(1);
    } finally {
      db.close();
    }
  }, 60_000);

  it('an entry whose own JSON is nested that deep is refused, naming it', async () => {
    const entry = { ...chatEntry(1), _extra: JSON.parse('[1]') as unknown };
    const text = JSON.stringify({ log: { entries: [chatEntry(0), entry] } }).replace(
      '"_extra":[1]',
      `"_extra":${deep}`,
    );
    const file = path.join(tempDir(), 'deep-entry.har');
    fs.writeFileSync(file, text);
    const lines = await importThroughViewer(file);
    expect(outcome(lines)).toEqual({
      error: expect.stringContaining(`entry 2 (POST https://api.example/v1/chat/completions?n=1): _extra`),
    });
    expect((outcome(lines) as { error: string }).error).toContain(`nested more than ${MAX_ENTRY_DEPTH} levels deep`);
    expect((outcome(lines) as { error: string }).error).toContain('nothing was');
  }, 60_000);
});

describe('bad fields are refused, naming the entry, its URL and the field', () => {
  const bad = (mutate: (e: Entry & { request: Entry & { headers: unknown[] } }) => void): Entry => {
    const e = chatEntry(7) as Entry & { request: Entry & { headers: unknown[] } };
    mutate(e);
    return e;
  };
  const cases: [string, Entry, string][] = [
    [
      'a method with a space',
      bad((e) => (e.request.method = 'GET /admin')),
      'request.method "GET /admin" is not an HTTP method',
    ],
    [
      'a method that is shell',
      bad((e) => (e.request.method = 'GET$(id)')),
      'request.method "GET$(id)" is not an HTTP method',
    ],
    [
      'a header name with a colon',
      bad((e) => e.request.headers.push({ name: 'x-a:b', value: '1' })),
      'request.headers.1.name "x-a:b" is not a header name',
    ],
    [
      'a header name with a line break',
      bad((e) => e.request.headers.push({ name: 'x-a\r\nInjected', value: '1' })),
      'request.headers.1.name "x-a??Injected" is not a header name',
    ],
    [
      'a header value with a line break',
      bad((e) => e.request.headers.push({ name: 'x-a', value: '1\r\nInjected: yes' })),
      'request.headers.1.value holds a line break or NUL',
    ],
    [
      'a response header name',
      bad((e) => ((e.response as { headers: unknown[] }).headers = [{ name: 'bad name', value: '1' }])),
      'response.headers.0.name "bad name" is not a header name',
    ],
    [
      'a 20 MB method',
      bad((e) => (e.request.method = 'G'.repeat(20 * 1024 * 1024))),
      'request.method is 20.0 MB, over the 1.0 MB wirelog imports for such a field',
    ],
    [
      'a 20 MB URL',
      bad((e) => (e.request.url = `https://api.example/${'a'.repeat(20 * 1024 * 1024)}`)),
      'request.url is 20.0 MB, over the 1.0 MB wirelog imports for such a field',
    ],
    [
      'a 200 KB URL',
      bad((e) => (e.request.url = `https://api.example/${'a'.repeat(200 * 1024)}`)),
      `request.url is 200 KB, over the ${MAX_URL_BYTES / 1024} KB wirelog imports`,
    ],
    [
      'a 300 KB header value',
      bad((e) => e.request.headers.push({ name: 'x-big', value: 'v'.repeat(300 * 1024) })),
      'request.headers.1.value is 300 KB, over the 256 KB a header value may have',
    ],
    [
      'a 10 KB header name',
      bad((e) => e.request.headers.push({ name: 'x'.repeat(10 * 1024), value: '1' })),
      'request.headers.1.name is 10 KB, over the 8 KB a header name may have',
    ],
    [
      'a 100-byte method',
      bad((e) => (e.request.method = 'G'.repeat(100))),
      'request.method is 100 bytes, over the 64 bytes a method may have',
    ],
    [
      'a 20 MB header value',
      bad((e) => e.request.headers.push({ name: 'x-big', value: 'v'.repeat(20 * 1024 * 1024) })),
      'request.headers.1.value is 20.0 MB, over the 1.0 MB wirelog imports for such a field',
    ],
    [
      '100,000 headers',
      bad((e) => (e.request.headers = Array.from({ length: 100_000 }, (_, i) => ({ name: `x-h${i}`, value: '1' })))),
      `request.headers has 100000 headers, over the ${MAX_HEADERS} wirelog imports`,
    ],
  ];

  it.each(cases)(
    '%s: `wirelog import` refuses the file and stores nothing',
    async (_what, entry, field) => {
      const dataDir = tempDir();
      const result = await runCli(['import', writeHar('bad.har', [chatEntry(1), entry]), '--data-dir', dataDir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('bad.har cannot be imported, nothing was:');
      const url = (entry.request as { url: string }).url;
      expect(result.stderr).toContain(`entry 2 (`);
      expect(result.stderr).toContain(url.length > 120 ? `${url.slice(0, 120)}…): ${field}` : `${url}): ${field}`);
      expect(
        fs.existsSync(path.join(dataDir, 'wirelog.sqlite')) ? new ExchangeReader(openDatabase(dataDir)).count({}) : 0,
      ).toBe(0);
    },
    60_000,
  );

  it('the viewer refuses them the same way: one error naming each, nothing stored', async () => {
    const count = h.wirelog.reader.count({});
    const lines = await importThroughViewer(writeHar('bad-viewer.har', [chatEntry(1), cases[0][1], cases[2][1]]));
    const error = (outcome(lines) as { error: string }).error;
    expect(error).toContain('bad-viewer.har cannot be imported, nothing was:');
    expect(error).toContain(
      'entry 2 (GET /admin https://api.example/v1/chat/completions?n=7): request.method "GET /admin" is not an HTTP method',
    );
    expect(error).toContain(
      'entry 3 (POST https://api.example/v1/chat/completions?n=7): request.headers.1.name "x-a:b" is not a header name',
    );
    expect(h.wirelog.reader.count({})).toBe(count);
    // Without asking for progress lines: one JSON answer, 400.
    const plain = await request(`${h.wirelog.viewer!.url}/api/import?name=bad.har`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
      body: fs.readFileSync(writeHar('bad.har', [cases[0][1]])),
    });
    expect(plain.statusCode).toBe(400);
    expect(((await plain.body.json()) as { error: string }).error).toContain(
      'request.method "GET /admin" is not an HTTP method',
    );
  }, 60_000);
});

describe('`wirelog import` of a large file', () => {
  it('prints progress lines on stderr and the final count on stdout', async () => {
    const count = 3000;
    const file = writeHar(
      'many.har',
      Array.from({ length: count }, (_, i) => chatEntry(i)),
    );
    const dataDir = tempDir();
    const result = await runCli(['import', file, '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const megabytes = (fs.statSync(file).size / 1024 ** 2).toFixed(1);
    const progress = result.stderr.split('\n').filter((l) => l.startsWith('wirelog: '));
    expect(progress).toContain(`wirelog: checking many.har: ${count} entries, ${megabytes} of ${megabytes} MB read`);
    expect(progress).toContain(`wirelog: storing many.har: ${count} of ${count} entries stored`);
    expect(progress.findIndex((l) => l.includes('checking'))).toBeLessThan(
      progress.findIndex((l) => l.includes('storing')),
    );
    expect(result.stdout).toBe(
      `imported ${count} exchange(s) from many.har: #1-#${count} (see \`wirelog list\`, \`wirelog doctor\` or the viewer)\n`,
    );
  }, 60_000);

  it('stores the entries oldest first whatever their order in the file', async () => {
    const entries = [3, 1, 2, 0].map((i) => chatEntry(i));
    const dataDir = tempDir();
    expect((await runCli(['import', writeHar('unsorted.har', entries), '--data-dir', dataDir])).code).toBe(0);
    const db = openDatabase(dataDir);
    try {
      const paths = new ExchangeReader(db)
        .list({})
        .sort((a, b) => a.id - b.id)
        .map((e) => e.request.path);
      expect(paths).toEqual([0, 1, 2, 3].map((i) => `/v1/chat/completions?n=${i}`));
    } finally {
      db.close();
    }
  });
});

describe('the entry reader', () => {
  it('reads the same entries whatever the chunks the file arrives in, skipping everything else', () => {
    const entries = [
      chatEntry(1),
      { ...chatEntry(2), _sseEvents: [{ data: 'ü€😀 "quoted" \\ back' }] },
      'not an object',
      42,
      chatEntry(3),
    ];
    const text = JSON.stringify({
      pages: [{ id: 'p', deep: [[[{ x: 1 }]]] }],
      log: { creator: { name: 'x' }, entries, pages: [] },
      after: { y: [1, 2] },
    });
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      const reader = new HarEntryReader('t.har');
      const read = [];
      for (let at = 0; at < bytes.length; at += size) read.push(...reader.push(bytes.subarray(at, at + size)));
      read.push(...reader.finish());
      expect(read.map((r) => r.value)).toEqual(entries);
      expect(read.map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('refuses what is not a HAR document, and names where JSON breaks', () => {
    const finish = (...chunks: string[]) => {
      const reader = new HarEntryReader('t.har');
      for (const chunk of chunks) reader.push(Buffer.from(chunk));
      return reader.finish();
    };
    expect(() => finish('[1,2]')).toThrow('there is no log.entries array');
    expect(() => finish('{"log":{"entries":{}}}')).toThrow('there is no log.entries array');
    expect(() => finish('{"log":{"entries":[{"a":1},', '{"b" 2}]}}')).toThrow(
      /t\.har is not JSON \(in or after entry 1, in its first 37 bytes: Parser cannot parse input: expected ':'\)/,
    );
    expect(() => finish('{"log":{"entries":[{"a":1}')).toThrow('the file ends before its JSON does');
  });
});
