import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatStreamEvents, responsesStreamEvents } from './support/fake-upstream.ts';
import { runCli } from './support/cli.ts';
import { curl, startHarness, tempDir, within, type Harness } from './support/harness.ts';

// Resolves with the document when it is valid HAR 1.2, rejects with the schema errors otherwise.
const harValidator = createRequire(import.meta.url)('har-validator') as { har(data: unknown): Promise<unknown> };

let h: Harness;
let api: string;
beforeAll(async () => {
  h = await startHarness();
  api = h.wirelog.viewer!.url;
  // One of each kind of exchange.
  await curl(h, [
    '-H',
    'Authorization: Bearer sk-har-secret-key-zz99',
    `${h.upstream.httpsUrl}/v1/models?key=AIzaHARsecretKEY-q7`,
  ]);
  const sse = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'har-model',
      stream: true,
      messages: [{ role: 'user', content: 'unique-har-prompt' }],
    }),
  });
  await sse.body.text();
  const bin = await request(`${h.upstream.httpsUrl}/bytes?size=300`, { dispatcher: h.agent() });
  await bin.body.arrayBuffer();
  await curl(h, [`${h.upstream.httpsUrl}/compressed?encoding=br`]);
  await curl(h, ['https://127.0.0.1:1/refused']);
  const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
    agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
    ca: h.caPem,
  });
  await new Promise((r) => ws.once('open', r));
  let count = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => ++count === responsesStreamEvents('x').length && resolve());
    ws.send(JSON.stringify({ type: 'response.create', model: 'ws-har' }));
  });
  ws.close();
  await new Promise((r) => ws.once('close', r));
  // Waits until the WebSocket exchange has ended and is stored.
  await h.stored();
});
afterAll(() => h?.close());

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

type Summary = { id: number; url: string; status: number | null; state: string; streamKind: string | null };

describe('JSON API', () => {
  it('lists newest first with filters, text search and a cursor', async () => {
    const all = await getJson<{ exchanges: Summary[]; nextCursor: number | null }>(`${api}/api/exchanges`);
    expect(all.body.exchanges.length).toBe(6);
    const ids = all.body.exchanges.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const page1 = await getJson<{ exchanges: Summary[]; nextCursor: number }>(`${api}/api/exchanges?limit=4`);
    const page2 = await getJson<{ exchanges: Summary[]; nextCursor: number | null }>(
      `${api}/api/exchanges?limit=4&cursor=${page1.body.nextCursor}`,
    );
    expect([...page1.body.exchanges, ...page2.body.exchanges].map((e) => e.id)).toEqual(ids);
    expect(page2.body.nextCursor).toBeNull();

    const errors = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?state=upstream_error`);
    expect(errors.body.exchanges.map((e) => e.url)).toEqual(['https://127.0.0.1:1/refused']);
    const ok = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?status=2xx&method=post`);
    expect(ok.body.exchanges).toHaveLength(1);
    const byHost = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?host=127.0.0.1`);
    expect(byHost.body.exchanges).toHaveLength(1);
    const found = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?q=unique-har-prompt`);
    expect(found.body.exchanges.map((e) => e.streamKind)).toEqual(['sse']);
    const compressed = await getJson<{ exchanges: Summary[] }>(
      `${api}/api/exchanges?q=${encodeURIComponent('compressed hello')}`,
    );
    expect(compressed.body.exchanges).toHaveLength(1);
  });

  it('returns one exchange whole, and its stream events', async () => {
    const list = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges`);
    const sse = list.body.exchanges.find((e) => e.streamKind === 'sse')!;
    const detail = await getJson<{
      exchange: { request: { headers: [string, string][] } };
      requestBody: { text: string };
      responseBody: { text: string };
    }>(`${api}/api/exchanges/${sse.id}`);
    expect(JSON.parse(detail.body.requestBody.text).model).toBe('har-model');
    expect(detail.body.responseBody.text).toContain('data: [DONE]');
    const events = await getJson<{ kind: string; sseEvents: { data: string; offsetMs: number }[] }>(
      `${api}/api/exchanges/${sse.id}/events`,
    );
    expect(events.body.sseEvents.map((e) => e.data)).toEqual(chatStreamEvents('har-model'));

    const ws = list.body.exchanges.find((e) => e.streamKind === 'websocket')!;
    const wsEvents = await getJson<{ wsMessages: { direction: string; text: string | null }[] }>(
      `${api}/api/exchanges/${ws.id}/events`,
    );
    expect(wsEvents.body.wsMessages[0]).toMatchObject({
      direction: 'send',
      text: JSON.stringify({ type: 'response.create', model: 'ws-har' }),
    });

    const binary = list.body.exchanges.find((e) => e.url.includes('/bytes'))!;
    const binaryDetail = await getJson<{ responseBody: { text: string | null; base64: string } }>(
      `${api}/api/exchanges/${binary.id}`,
    );
    expect(binaryDetail.body.responseBody.text).toBeNull();
    expect(Buffer.from(binaryDetail.body.responseBody.base64, 'base64').length).toBe(300);
  });

  it('validates input at the edge: 400 with a message, 404 for unknown ids', async () => {
    const bad = await getJson<{ error: string }>(`${api}/api/exchanges?limit=0&status=abc`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('limit');
    expect(bad.body.error).toContain('status must be a code like 404 or a class like 4xx');
    expect((await getJson(`${api}/api/exchanges?state=bogus`)).status).toBe(400);
    expect((await getJson(`${api}/api/exchanges/abc`)).status).toBe(400);
    expect((await getJson(`${api}/api/exchanges/999999`)).status).toBe(404);
    expect((await getJson(`${api}/api/export.har?since=yesterday`)).status).toBe(400);
  });

  it('refuses requests whose Host is not this machine (DNS rebinding)', async () => {
    const port = h.wirelog.viewer!.port;
    const status = await new Promise<number>((resolve) => {
      http.get(
        { host: '127.0.0.1', port, path: '/api/exchanges', headers: { Host: `attacker.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
    });
    expect(status).toBe(403);
    expect((await fetch(`http://localhost:${port}/api/status`)).status).toBe(200);
  });

  it('pushes new and updated exchanges on /api/live', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api}/api/live`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (wanted: string) => {
      while (!text.includes(wanted)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    // The feed says hello once it is subscribed: an exchange stored after that is on it.
    await within(readUntil('event: hello'), 'the live feed to say hello');
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?live=1`]);
    await within(readUntil('/v1/models?live=1'), 'the new exchange on the live feed');
    controller.abort();
    expect(text).toContain('event: hello');
    expect(text).toMatch(/event: exchange\ndata: \{[^\n]*\/v1\/models\?live=1/);
  });
});

describe('model calls', () => {
  type Detail = { exchange: { call: Record<string, unknown> | null }; modelCall: Record<string, any> | null };
  it('are understood when they end: dialect, model, tokens and TTFT in the list, the rebuilt answer in the detail', async () => {
    const list = await getJson<{ exchanges: (Summary & { call: Record<string, unknown> | null })[] }>(
      `${api}/api/exchanges`,
    );
    const sse = list.body.exchanges.find((e) => e.streamKind === 'sse')!;
    expect(sse.call).toMatchObject({ dialect: 'openai-chat', model: 'har-model', inputTokens: 12, outputTokens: 6 });
    expect(sse.call!.ttftMs).toBeGreaterThan(0);
    const detail = await getJson<Detail>(`${api}/api/exchanges/${sse.id}`);
    expect(detail.body.modelCall).toMatchObject({
      requestedModel: 'har-model',
      stream: true,
      inputCount: 1,
      answer: { text: 'Hello from the fake upstream', finishReason: 'stop' },
      ending: 'complete',
    });

    const ws = list.body.exchanges.find((e) => e.streamKind === 'websocket')!;
    expect(ws.call).toMatchObject({ dialect: 'openai-responses', model: 'ws-har', inputTokens: 12, outputTokens: 6 });

    const models = list.body.exchanges.find((e) => e.url.includes('/v1/models?key'))!;
    const modelsDetail = await getJson<Detail>(`${api}/api/exchanges/${models.id}`);
    expect(modelsDetail.body.modelCall).toMatchObject({ dialect: 'models', modelsListed: ['test-model'] });

    const binary = list.body.exchanges.find((e) => e.url.includes('/bytes'))!;
    expect(binary.call).toBeNull();

    // Sorted by a figure, largest first, calls without it last; pages go by the last row's value and id.
    type Sorted = { exchanges: (Summary & { call: { ttftMs: number | null } | null })[]; nextCursor: string | null };
    const all = (await getJson<Sorted>(`${api}/api/exchanges?sort=ttft&limit=1000`)).body.exchanges;
    const ttfts = all.map((e) => e.call?.ttftMs ?? null);
    const known = ttfts.filter((t): t is number => t !== null);
    expect(ttfts.slice(0, known.length)).toEqual([...known].sort((a, b) => b - a));
    expect(ttfts.slice(known.length).every((t) => t === null)).toBe(true);
    const pageOne = (await getJson<Sorted>(`${api}/api/exchanges?sort=ttft&limit=3`)).body;
    const pageTwo = (await getJson<Sorted>(`${api}/api/exchanges?sort=ttft&limit=1000&cursor=${pageOne.nextCursor}`))
      .body;
    expect([...pageOne.exchanges, ...pageTwo.exchanges].map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect((await getJson(`${api}/api/exchanges?sort=cost`)).status).toBe(400);

    const byModel = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?model=har-model`);
    expect(byModel.body.exchanges.map((e) => e.id)).toEqual([sse.id]);
    const byDialect = await getJson<{ exchanges: Summary[] }>(`${api}/api/exchanges?dialect=openai-responses`);
    expect(byDialect.body.exchanges.map((e) => e.id)).toEqual([ws.id]);
  });
});

describe('HAR export', () => {
  async function checkHar(har: { log: { entries: Record<string, any>[] } }) {
    await expect(harValidator.har(har)).resolves.toBe(har);
    // The validator does reject: the same document without a required field fails.
    const broken = structuredClone(har);
    delete broken.log.entries[0].request.method;
    await expect(harValidator.har(broken)).rejects.toThrow();
    const text = JSON.stringify(har);
    expect(text).not.toContain('sk-har-secret-key');
    expect(text).not.toContain('AIzaHARsecretKEY');
    const entries = har.log.entries;
    const sse = entries.find((e) => e._sseEvents)!;
    expect(sse.request.postData.mimeType).toBe('application/json');
    expect(JSON.parse(sse.request.postData.text).model).toBe('har-model');
    expect(sse._sseEvents.map((e: { data: string }) => e.data)).toEqual(chatStreamEvents('har-model'));
    expect(sse._sseEvents[0]).toMatchObject({ event: 'message', id: '' });
    expect(typeof sse._sseEvents[0].time).toBe('number');
    const ws = entries.find((e) => e._webSocketMessages)!;
    expect(ws._webSocketMessages[0]).toMatchObject({
      type: 'send',
      opcode: 1,
      data: JSON.stringify({ type: 'response.create', model: 'ws-har' }),
    });
    expect(
      ws._webSocketMessages.filter((m: { type: string; opcode: number }) => m.type === 'receive' && m.opcode === 1),
    ).toHaveLength(responsesStreamEvents('x').length);
    const binary = entries.find((e) => e.request.url.includes('/bytes'))!;
    expect(binary.response.content).toMatchObject({
      encoding: 'base64',
      mimeType: 'application/octet-stream',
      size: 300,
    });
    const br = entries.find((e) => e.request.url.includes('encoding=br'))!;
    expect(JSON.parse(br.response.content.text).message).toBe('compressed hello');
    const models = entries.find((e) => e.request.url.includes('/v1/models'))!;
    expect(models.request.headers).toContainEqual({ name: 'Authorization', value: 'Bearer ****zz99' });
    expect(models.request.queryString).toContainEqual({ name: 'key', value: '****Y-q7' });
    // The first request to the upstream opened the connection: HAR counts TLS inside connect.
    const first = entries[0];
    expect(first.timings.connect).toBeGreaterThan(0);
    expect(first.timings.ssl).toBeGreaterThanOrEqual(0);
    expect(first.timings.connect).toBeGreaterThanOrEqual(first.timings.ssl);
    expect(first.time).toBeCloseTo(
      first.timings.connect + first.timings.send + first.timings.wait + first.timings.receive,
      5,
    );
    const refused = entries.find((e) => e.request.url.includes('/refused'))!;
    expect(refused.response).toMatchObject({ status: -1, _error: expect.stringContaining('connection refused') });
    expect(refused.comment).toContain('connection refused');
    // Oldest first, as HAR viewers expect.
    const times = entries.map((e) => Date.parse(e.startedDateTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  }

  it('from the API', async () => {
    const res = await fetch(`${api}/api/export.har`);
    expect(res.headers.get('content-disposition')).toContain('wirelog.har');
    const har = (await res.json()) as { log: { entries: Record<string, any>[] } };
    expect(har.log.entries.length).toBeGreaterThanOrEqual(6);
    await checkHar(har);
    const filtered = (await (await fetch(`${api}/api/export.har?host=127.0.0.1`)).json()) as {
      log: { entries: unknown[] };
    };
    expect(filtered.log.entries).toHaveLength(1);
  });

  it('from the command line, with --host and --since', async () => {
    const file = path.join(tempDir(), 'out.har');
    const result = await runCli(['export', '--har', file, '--data-dir', h.dataDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/wrote \d+ exchange\(s\)/);
    await checkHar(JSON.parse(fs.readFileSync(file, 'utf8')));
    const future = await runCli(['export', '--har', '-', '--since', '2999-01-01T00:00:00Z', '--data-dir', h.dataDir]);
    expect(JSON.parse(future.stdout).log.entries).toEqual([]);
    const host = await runCli(['export', '--har', '-', '--host', '127.0.0.1', '--data-dir', h.dataDir]);
    expect(JSON.parse(host.stdout).log.entries).toHaveLength(1);
    const list = await runCli(['list', '--json', '--limit', '2', '--data-dir', h.dataDir]);
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    const table = await runCli(['list', '--data-dir', h.dataDir]);
    expect(table.stdout).toMatch(
      /GET +200 +\d+ms +\d+(\.\d)?[KM]?B +https:\/\/localhost:\d+\/v1\/models\?key=\*\*\*\*Y-q7$/m,
    );
  });
});
