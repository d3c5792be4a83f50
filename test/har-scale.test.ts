// HAR export and import at scale (issue 28), seen from outside: a store whose request bodies are
// packed into shared parts exports to a HAR that `wirelog import` turns back into the very bytes
// the test's upstream received and sent; `wirelog export --har` holds the same memory for 4N
// exchanges as for N (its peak RSS, sampled while it runs); `wirelog import` of N entries stores
// exactly N exchanges, understood, indexed and packed like captured traffic, printing progress.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT } from '../db/blobs.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS, runCli } from './support/cli.ts';
import { codexSession } from './support/codex-session.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** What the client got back (the upstream's answer, as it sent it). */
async function post(url: string, body: Buffer, contentType: string): Promise<Buffer> {
  const res = await request(`${h.upstream.httpsUrl}${url}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': contentType, accept: 'text/event-stream' },
    body,
  });
  return Buffer.from(await res.body.arrayBuffer());
}

describe('HAR export of packed bodies, imported again', () => {
  it('gives back byte for byte what the upstream received and sent', async () => {
    const sent: { url: string; request: Buffer; response: Buffer }[] = [];
    for (const [i, turn] of [...codexSession(8, 'har-scale')].entries()) {
      const url = `/v1/responses?har-scale=${i}`;
      sent.push({ url, request: turn.request, response: await post(url, turn.request, 'application/json') });
    }
    // Text past the 64 KB the export escapes at a time: characters of 3 and 4 bytes across each
    // slice's edge, quotes, backslashes and control characters JSON escapes.
    const text = Buffer.from(
      JSON.stringify({
        model: 'm',
        messages: Array.from({ length: 40 }, (_, i) => ({
          role: 'user',
          content: `${i} 中文字符🙂 "quoted" back\\slash \t tab \u0001 ${'汉字'.repeat(1500 + i)}`,
        })),
      }),
    );
    sent.push({
      url: '/echo?har-scale=text',
      request: text,
      response: await post('/echo?har-scale=text', text, 'application/json'),
    });
    // Bytes that are not text: base64 in the HAR, both ways.
    const binary = randomBytes(150_000);
    sent.push({
      url: '/bytes?size=200000&varied=1&har-scale=binary',
      request: binary,
      response: await post('/bytes?size=200000&varied=1&har-scale=binary', binary, 'application/octet-stream'),
    });
    await h.stored();
    for (const s of sent)
      expect(
        h.upstream.received.find((r) => r.url === s.url)?.body.equals(s.request),
        `${s.url}: the upstream received what was sent`,
      ).toBe(true);

    // The store holds split records and shared parts, not the bodies' bytes.
    const db = new Database(databasePath(h.dataDir), { readonly: true });
    try {
      const split = db
        .prepare(`SELECT count(*) AS n FROM bodies WHERE side = 'request' AND codec >= ${SPLIT}`)
        .get() as {
        n: number;
      };
      expect(split.n).toBeGreaterThanOrEqual(9);
    } finally {
      db.close();
    }

    // Exported through the viewer's API (the same writer as `wirelog export --har`), imported by the CLI.
    const har = path.join(tempDir(), 'round-trip.har');
    const res = await request(`${h.wirelog.viewer!.url}/api/export.har`, {
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(res.statusCode).toBe(200);
    fs.writeFileSync(har, Buffer.from(await res.body.arrayBuffer()));
    const dataDir = tempDir();
    const imported = await runCli(['import', har, '--data-dir', dataDir, '--keep-secrets']);
    expect(imported.code, imported.stderr).toBe(0);

    const again = openDatabase(dataDir);
    try {
      const reader = new ExchangeReader(again);
      const rows = reader.list({ limit: 10_000 });
      for (const s of sent) {
        const row = rows.find((e) => e.request.path === s.url);
        expect(row, s.url).toBeDefined();
        expect(reader.body(row!.id, 'request').equals(s.request), `${s.url}: request`).toBe(true);
        expect(reader.body(row!.id, 'response').equals(s.response), `${s.url}: response`).toBe(true);
      }
    } finally {
      again.close();
    }
  });
});

/** N exchanges with 20 KB bodies each way, straight into a store (no proxy, nothing understood). */
function storeOf(count: number): string {
  const dataDir = tempDir();
  const db = openDatabase(dataDir);
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  const filler = randomBytes(15_000).toString('base64');
  for (let from = 0; from < count; from += 200) {
    const events: ExchangeEvent[] = [];
    for (let i = from; i < Math.min(count, from + 200); i++) {
      const uid = `flat-${i}`;
      const body = Buffer.from(JSON.stringify({ model: 'm', n: i, text: filler }));
      events.push(
        {
          type: 'request',
          uid,
          head: {
            startedAt: Date.UTC(2026, 11, 1) + i * 1000,
            clientAddress: '127.0.0.1',
            method: 'POST',
            scheme: 'https',
            host: 'api.example',
            port: 443,
            path: `/v1/chat/completions?n=${i}`,
            httpVersion: '1.1',
            headers: [['content-type', 'application/json']],
          },
        },
        { type: 'body-chunk', uid, side: 'request', chunk: body, atMs: 1 },
        {
          type: 'response-head',
          uid,
          atMs: 5,
          head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
        },
        { type: 'body-chunk', uid, side: 'response', chunk: body, atMs: 6 },
        {
          type: 'end',
          uid,
          state: 'complete',
          error: null,
          timings: { requestSent: 1, responseHeaders: 5, end: 9 },
          requestBody: { size: body.length, storedSize: body.length, truncated: false, encoding: '' },
          responseBody: { size: body.length, storedSize: body.length, truncated: false, encoding: '' },
        },
      );
    }
    store.apply(events);
  }
  db.close();
  return dataDir;
}

/** `wirelog export --har` of a store on `workers` threads: its highest RSS (VmHWM, read from /proc every 10 ms while it runs) and the file's size. */
async function exportPeak(dataDir: string, workers: number): Promise<{ peakMb: number; fileMb: number }> {
  const file = path.join(dataDir, `out-${workers}.har`);
  const child = spawn(
    process.execPath,
    [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, 'export', '--har', file, '--data-dir', dataDir],
    {
      env: { ...process.env, WIRELOG_LANG: 'en', WIRELOG_HAR_WORKERS: String(workers) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peakKb = 0;
  const sample = () => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // ended between two samples
    }
  };
  const timer = setInterval(sample, 10);
  const code = await new Promise<number | null>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (c) => {
      clearTimeout(killer);
      resolve(c);
    });
  });
  clearInterval(timer);
  expect(code, stderr).toBe(0);
  const fileMb = fs.statSync(file).size / 1024 ** 2;
  fs.rmSync(file);
  return { peakMb: peakKb / 1024, fileMb };
}

describe('export --har memory', () => {
  // On one worker and on two (the default where there are two cores): each worker's SQLite page
  // cache filled to 16 MB as it read on (export/har-export-thread.ts EXPORT_CACHE_KIB), 151 -> 184 MB with two.
  let small: string;
  let large: string;
  beforeAll(() => {
    small = storeOf(800);
    large = storeOf(4 * 800);
  });
  it.each([1, 2])(
    'is flat on %i worker(s): 4N exchanges take no more than N do, give or take a bound that does not grow with N',
    async (workers) => {
      const n = await exportPeak(small, workers);
      const fourN = await exportPeak(large, workers);
      // The file grows by some 75 MB: memory that followed the output would grow with it.
      expect(fourN.fileMb - n.fileMb).toBeGreaterThan(60);
      expect(n.peakMb).toBeGreaterThan(0);
      expect(fourN.peakMb - n.peakMb, `peak RSS ${n.peakMb.toFixed(0)} -> ${fourN.peakMb.toFixed(0)} MB`).toBeLessThan(
        30,
      );
    },
  );
});

describe('wirelog import of N entries', () => {
  it('stores exactly N exchanges, understood, searchable and packed, and prints its progress', async () => {
    const count = 1500;
    const system = 'You are a careful assistant who answers in one short sentence. '.repeat(4);
    const entries = Array.from({ length: count }, (_, i) => ({
      startedDateTime: new Date(Date.UTC(2026, 11, 1, 10) + i * 1000).toISOString(),
      request: {
        method: 'POST',
        url: `https://api.example/v1/chat/completions?n=${i}`,
        headers: [{ name: 'content-type', value: 'application/json' }],
        postData: {
          mimeType: 'application/json',
          text: JSON.stringify({
            model: 'm',
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: `question number${i} please` },
            ],
          }),
        },
      },
      response: {
        status: 200,
        headers: [{ name: 'content-type', value: 'application/json' }],
        content: {
          text: JSON.stringify({
            id: `c${i}`,
            model: 'm',
            choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
          }),
        },
      },
    }));
    const file = path.join(tempDir(), 'n.har');
    fs.writeFileSync(file, JSON.stringify({ log: { version: '1.2', entries } }));
    const dataDir = tempDir();
    const result = await runCli(['import', file, '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`imported ${count} exchange(s)`);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('wirelog: '));
    expect(lines.some((l) => l.includes('checking n.har'))).toBe(true);
    expect(lines.some((l) => l.includes('storing n.har'))).toBe(true);
    expect(lines.filter((l) => l.includes('storing n.har')).pop()).toContain(`${count} of ${count}`);

    const db = openDatabase(dataDir);
    try {
      const reader = new ExchangeReader(db);
      expect(reader.count({})).toBe(count);
      const counts = db
        .prepare(
          `SELECT count(*) AS n, sum(to_index > 0) AS waiting, sum(dialect IS NOT NULL) AS understood,
           (SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= ${SPLIT}) AS split,
           (SELECT count(*) FROM blobs) AS parts FROM exchanges`,
        )
        .get() as { n: number; waiting: number; understood: number; split: number; parts: number };
      expect(counts).toMatchObject({ n: count, waiting: 0, understood: count, split: count });
      // The system prompt is one part, stored once for all of them.
      expect(counts.parts).toBeLessThan(10);
      const found = reader.list({ text: 'number777', limit: 10 });
      expect(found.map((e) => e.request.path)).toEqual(['/v1/chat/completions?n=777']);
    } finally {
      db.close();
    }
  });
});
