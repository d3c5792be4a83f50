// HAR files written by others (Chromium through Playwright's recordHar, mitmproxy's har_dump
// example) and by wirelog itself, imported: every entry an exchange, understood and diagnosed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { modelCallOf } from '../llm/stored-calls.ts';
import type { Exchange } from '../model/exchange.ts';
import { launchBrowser } from './support/browser.ts';
import { CHAT_DELTAS, responsesStreamEvents } from './support/fake-upstream.ts';
import { runCli } from './support/cli.ts';
import { curl, eventually, startHarness, tempDir, type Harness } from './support/harness.ts';

type Har = { log: { entries: Record<string, unknown>[]; pages: unknown[] } };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

function withDb<T>(dataDir: string, read: (reader: ExchangeReader) => T): T {
  const db = openDatabase(dataDir);
  try {
    return read(new ExchangeReader(db));
  } finally {
    db.close();
  }
}

const stored = (dataDir: string): Exchange[] => withDb(dataDir, (r) => r.list({ limit: 10_000 }));

async function exportHar(dataDir: string): Promise<Har> {
  const { stdout, code } = await runCli(['export', '--har', '-', '--data-dir', dataDir]);
  expect(code).toBe(0);
  return JSON.parse(stdout) as Har;
}

/** What an entry says about the exchange, without what only the capturing instance knows (its ids, the client's address). */
function comparable(entry: Record<string, unknown>): Record<string, unknown> {
  const { _wirelog: _w, ...rest } = entry;
  return rest;
}

describe("wirelog's own HAR", () => {
  it('export, import into a fresh data dir, export again: the same entries', async () => {
    const agent = h.agent();
    const send = async (
      url: string,
      init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
    ) => {
      const res = await request(url, {
        method: (init.method ?? 'GET') as 'GET',
        dispatcher: agent,
        headers: init.headers,
        body: init.body,
      });
      await res.body.text();
    };
    await send(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-roundtrip-000000000009' },
      body: JSON.stringify({ model: 'rt-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await send(`${h.upstream.httpsUrl}/echo?form=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'a=1' },
      body: 'x=1&y=two',
    });
    await send(`${h.upstream.httpsUrl}/echo?bin=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 254, 255]),
    });
    await send(`${h.upstream.httpsUrl}/redirect`);
    await send(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-5-codex","input":"hi"}',
    });
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
      ca: h.caPem,
    });
    let messages = 0;
    const done = new Promise<void>((r) =>
      ws.on('message', () => ++messages === responsesStreamEvents('x').length && r()),
    );
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'response.create', model: 'ws-rt', input: [] }));
    await done;
    ws.close(1000);
    await new Promise((r) => ws.once('close', r));
    await eventually(
      () => h.wirelog.reader.list().some((e) => e.streamKind === 'websocket' && e.state === 'complete'),
      'the WebSocket to end',
    );
    await h.stored();

    const first = await exportHar(h.dataDir);
    const file = path.join(tempDir(), 'first.har');
    fs.writeFileSync(file, JSON.stringify(first));
    const fresh = tempDir();
    const imported = await runCli(['import', file, '--data-dir', fresh]);
    expect(imported.stdout).toMatch(
      new RegExp(
        `^imported ${first.log.entries.length} exchange\\(s\\) from first.har: #1-#${first.log.entries.length}`,
      ),
    );
    const second = await exportHar(fresh);
    expect(second.log.entries.map(comparable)).toEqual(first.log.entries.map(comparable));
    expect(second.log.pages).toEqual(first.log.pages);
    // Understood and diagnosed like captures: the model call, the diagnosis, marked as imported.
    const exchanges = stored(fresh);
    expect(exchanges.every((e) => e.request.imported === 'first.har')).toBe(true);
    const chat = exchanges.find((e) => e.request.path === '/v1/chat/completions')!;
    expect(chat.call).toMatchObject({ dialect: 'openai-chat', model: 'rt-model', outputTokens: 6 });
    expect(exchanges.find((e) => e.request.path.endsWith('/chat/completions/responses'))!.diagnosis?.summary).toContain(
      'base_url already ends in /chat/completions',
    );
  });
});

describe('HAR from other tools', () => {
  it('Chromium through Playwright recordHar: the streamed chat completion is rebuilt from the body Chrome kept', async () => {
    const browser = await launchBrowser();
    const harFile = path.join(tempDir(), 'chromium.har');
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, recordHar: { path: harFile } });
      const page = await context.newPage();
      await page.goto(`${h.upstream.httpsUrl}/chat.html`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent?.startsWith('answer:'), undefined, {
        timeout: 10_000,
      });
      await context.close();
    } finally {
      await browser.close();
    }
    const dataDir = tempDir();
    const result = await runCli(['import', harFile, '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const chat = stored(dataDir).find((e) => e.request.path === '/v1/chat/completions')!;
    expect(chat).toMatchObject({
      streamKind: 'sse',
      state: 'complete',
      request: { method: 'POST', imported: 'chromium.har' },
    });
    expect(chat.eventCount).toBeGreaterThan(CHAT_DELTAS.length);
    const call = withDb(dataDir, (r) => modelCallOf(r, chat));
    expect(call?.answer.text).toBe(CHAT_DELTAS.join(''));
  });

  const HAR_DUMP = '/usr/share/doc/mitmproxy/examples/contrib/har_dump.py';
  it.skipIf(!fs.existsSync(HAR_DUMP))(
    "mitmproxy's har_dump example (Debian's mitmproxy): its HAR imports, the call understood",
    async () => {
      const port = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const harFile = path.join(tempDir(), 'mitm.har');
      const confdir = tempDir();
      const mitm = spawn(
        'mitmdump',
        [
          '-q',
          '--listen-host',
          '127.0.0.1',
          '--listen-port',
          String(port),
          '--set',
          `confdir=${confdir}`,
          '--ssl-insecure',
          '-s',
          HAR_DUMP,
          '--set',
          `hardump=${harFile}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      mitm.stdout.on('data', (d) => (output += d));
      mitm.stderr.on('data', (d) => (output += d));
      try {
        await eventually(
          () =>
            new Promise<boolean>((resolve) => {
              const socket = net.connect(port, '127.0.0.1', () => {
                socket.destroy();
                resolve(true);
              });
              socket.on('error', () => resolve(false));
            }),
          `mitmdump to listen (${output})`,
          // Python's start, which a busy machine stretches well past 20 s.
          90_000,
        );
        const body = JSON.stringify({ model: 'mitm-model', stream: true, messages: [{ role: 'user', content: 'hi' }] });
        const sent = await curl(
          h,
          [
            '-sk',
            '--proxy',
            `http://127.0.0.1:${port}`,
            '-H',
            'content-type: application/json',
            '-H',
            'authorization: Bearer sk-mitm-secret-000000000042',
            '--data',
            body,
            `${h.upstream.httpsUrl}/v1/chat/completions`,
          ],
          { trustCa: false },
        );
        expect(sent.stdout.toString()).toContain('data: [DONE]');
      } finally {
        mitm.kill('SIGTERM');
        await new Promise((r) => mitm.once('exit', r));
      }
      const dataDir = tempDir();
      const result = await runCli(['import', harFile, '--data-dir', dataDir]);
      expect(result.code, `${result.stderr}${output}`).toBe(0);
      const chat = stored(dataDir).find((e) => e.request.path === '/v1/chat/completions')!;
      expect(chat).toMatchObject({ streamKind: 'sse', request: { imported: 'mitm.har' } });
      expect(chat.request.headers.find(([n]) => n.toLowerCase() === 'authorization')?.[1]).toBe('Bearer ****0042');
      expect(withDb(dataDir, (r) => modelCallOf(r, chat))?.answer.text).toBe(CHAT_DELTAS.join(''));
    },
    180_000,
  );
});

describe('bad HAR input gets a clear error, and nothing is half-imported', () => {
  const attempt = async (name: string, contents: string | null, sparseBytes?: number) => {
    const file = path.join(tempDir(), name);
    if (sparseBytes !== undefined) {
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, sparseBytes);
      fs.closeSync(fd);
    } else fs.writeFileSync(file, contents ?? '');
    const dataDir = tempDir();
    const result = await runCli(['import', file, '--data-dir', dataDir]);
    return { ...result, stored: fs.existsSync(path.join(dataDir, 'wirelog.sqlite')) ? stored(dataDir).length : 0 };
  };
  const entry = (url: unknown) => ({
    startedDateTime: '2026-12-01T10:00:00Z',
    request: { method: 'GET', url, headers: [] },
    response: { status: 200, headers: [], content: { text: 'ok' } },
  });

  it('not JSON, not HAR, a bad entry among good ones, 2 GB of zeros', async () => {
    const notJson = await attempt('broken.har', '{"log": {');
    expect([notJson.code, notJson.stored]).toEqual([1, 0]);
    expect(notJson.stderr).toContain('broken.har is not JSON');
    const notHar = await attempt('other.json', '{"hello": "world"}');
    expect(notHar.stderr).toContain('there is no log.entries array');
    const badEntry = await attempt(
      'mixed.har',
      JSON.stringify({
        log: {
          entries: [
            entry('https://a.example/ok'),
            entry('not a url'),
            { startedDateTime: 'x', request: { method: 'POST', url: 'https://b.example/v1' } },
          ],
        },
      }),
    );
    expect([badEntry.code, badEntry.stored]).toEqual([1, 0]);
    expect(badEntry.stderr).toContain('nothing was');
    expect(badEntry.stderr).toContain('entry 2 (GET not a url): request.url is not an absolute URL');
    expect(badEntry.stderr).toContain('entry 3 (POST https://b.example/v1): startedDateTime is not a date');
    expect(badEntry.stderr).toContain('entry 3 (POST https://b.example/v1): request.headers is missing');
    // Read as a stream: refused at its first bytes, not for its size.
    const huge = await attempt('huge.har', null, 2 * 1024 ** 3);
    expect([huge.code, huge.stored]).toEqual([1, 0]);
    expect(huge.stderr).toContain(
      'huge.har is not JSON (in its first 65536 bytes: Parser cannot parse input: expected a value)',
    );
  });

  it('masks secrets of an imported HAR as it masks live captures', async () => {
    const secretEntry = {
      ...entry('https://api.example/v1/models?key=AIzaSyA-secret-value-123456'),
      request: {
        method: 'GET',
        url: 'https://api.example/v1/models?key=AIzaSyA-secret-value-123456',
        headers: [{ name: 'Authorization', value: 'Bearer sk-live-abcdefghijklmnop1234' }],
      },
    };
    const file = path.join(tempDir(), 'secret.har');
    fs.writeFileSync(file, JSON.stringify({ log: { entries: [secretEntry] } }));
    const dataDir = tempDir();
    expect((await runCli(['import', file, '--data-dir', dataDir])).code).toBe(0);
    const [e] = stored(dataDir);
    expect(e.request.headers).toContainEqual(['Authorization', 'Bearer ****1234']);
    expect(e.request.path).not.toContain('secret-value');
    for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith('wirelog.sqlite')))
      expect(fs.readFileSync(path.join(dataDir, f)).includes('sk-live-abcdefghijklmnop1234')).toBe(false);
  });
});

describe('importing in the viewer', () => {
  it('opening a .har file imports it, opens the newest entry and says where it came from', async () => {
    const file = path.join(tempDir(), 'colleague.har');
    fs.writeFileSync(file, JSON.stringify(await exportHar(h.dataDir)));
    const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(h.wirelog.viewer!.url);
      await page.getByTestId('import-har').setInputFiles(file);
      await expect
        .poll(() =>
          page
            .getByTestId('notice')
            .textContent()
            .catch(() => ''),
        )
        .toMatch(/^Imported \d+ exchange\(s\) from colleague.har$/);
      await expect
        .poll(() =>
          page
            .getByTestId('imported')
            .textContent()
            .catch(() => ''),
        )
        .toContain('imported from colleague.har');
      expect(h.wirelog.reader.list({ limit: 1 })[0].id).toBeGreaterThan(before);
      // A broken file: the error, and nothing stored.
      const broken = path.join(tempDir(), 'broken.har');
      fs.writeFileSync(broken, '{"log":');
      const count = h.wirelog.reader.count({});
      await page.getByTestId('import-har').setInputFiles(broken);
      await expect
        .poll(() =>
          page
            .locator('.banner.error')
            .textContent()
            .catch(() => ''),
        )
        .toContain('broken.har is not JSON');
      expect(h.wirelog.reader.count({})).toBe(count);
    } finally {
      await browser.close();
    }
  });
});
