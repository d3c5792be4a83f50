import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInstance, startWirelog, type Wirelog } from '../cli/instance.ts';
import { runCli } from './support/cli.ts';
import type { Exchange } from '../model/exchange.ts';
import { responsesStreamEvents } from './support/fake-upstream.ts';
import { responsesTurn } from './support/ws-turn.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

const GOOD_KEY = 'sk-good-key-000000000001';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A POST to the API as the viewer's own page sends it. */
async function api(
  w: Wirelog,
  route: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${w.viewer!.url}/api${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: w.viewer!.url, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function ended(w: Wirelog, id: number): Promise<Exchange> {
  await eventually(
    async () => {
      await w.writer.flush();
      const e = w.reader.get(id);
      return e && e.state !== 'pending' && e.state !== 'streaming' ? e : null;
    },
    `exchange ${id} to end`,
    15_000,
  );
  // Its end may have been stored after the flush answered (the reader has a connection of its
  // own): one more flush understands everything stored before it, this exchange included.
  await w.writer.flush();
  return w.reader.get(id)!;
}

function receivedKeys(): string[] {
  return h.upstream.received.map((r) => {
    const i = r.rawHeaders.findIndex((v, k) => k % 2 === 0 && v.toLowerCase() === 'authorization');
    return i < 0 ? '' : r.rawHeaders[i + 1];
  });
}

async function sendKeyedChat(body: object): Promise<number> {
  const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${GOOD_KEY}` },
    body: JSON.stringify(body),
  });
  expect(res.statusCode).toBe(200);
  await res.body.text();
  await h.stored();
  return h.wirelog.reader.list({ limit: 1 })[0].id;
}

describe('replay through wirelog itself', () => {
  it('resends an exchange unchanged: the masked key comes back from memory, the new exchange is linked both ways', async () => {
    const original = await sendKeyedChat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(h.wirelog.reader.get(original)!.request.headers.find(([n]) => n === 'authorization')![1]).toBe(
      'Bearer ****0001',
    );
    const before = h.upstream.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${original}/replay`, {});
    expect(status).toBe(200);
    const replay = await ended(h.wirelog, json.id as number);
    expect(replay.response?.status).toBe(200);
    expect(replay.request).toMatchObject({
      method: 'POST',
      host: 'localhost',
      path: '/keyed/v1/chat/completions',
      replayOf: original,
    });
    expect(replay.request.via).toBeUndefined();
    // What the upstream got: the real key, the same body, and no trace of the replay mark.
    const got = h.upstream.received[before];
    expect(receivedKeys()[before]).toBe(`Bearer ${GOOD_KEY}`);
    expect(JSON.parse(got.body.toString())).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(got.rawHeaders.map((v) => v.toLowerCase())).not.toContain('x-wirelog-replay');
    expect(replay.request.headers.map(([n]) => n.toLowerCase())).not.toContain('x-wirelog-replay');
    // The same key, so the same fingerprint; stored masked like any capture.
    expect(replay.request.secrets).toEqual(h.wirelog.reader.get(original)!.request.secrets);
    expect(replay.request.headers.find(([n]) => n === 'authorization')![1]).toBe('Bearer ****0001');
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${original}`)).json()) as {
      replays: number[];
    };
    expect(detail.replays).toEqual([replay.id]);
  });

  it('resends with edits: method, URL, headers added and removed, and a new body', async () => {
    const original = await sendKeyedChat({ model: 'gpt-4o', messages: [] });
    const stored = h.wirelog.reader.get(original)!;
    const headers = [
      ...stored.request.headers.filter(([n]) => n.toLowerCase() !== 'content-type'),
      ['content-type', 'application/json'],
      ['x-added', 'yes'],
    ];
    const before = h.upstream.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${original}/replay`, {
      url: `${h.upstream.httpsUrl}/keyed/v1/chat/completions?edited=1`,
      headers,
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'edited' }] }),
    });
    expect(status).toBe(200);
    const replay = await ended(h.wirelog, json.id as number);
    expect(replay.request.path).toBe('/keyed/v1/chat/completions?edited=1');
    const got = h.upstream.received[before];
    expect(got.url).toBe('/keyed/v1/chat/completions?edited=1');
    expect(JSON.parse(got.body.toString()).model).toBe('gpt-4o-mini');
    expect(got.rawHeaders).toContain('x-added');
    expect(receivedKeys()[before]).toBe(`Bearer ${GOOD_KEY}`);
  });

  it('refuses what cannot be sent, naming the cause: a bad URL, a header with a line break, a foreign origin', async () => {
    const original = h.wirelog.reader.list({ limit: 1 })[0].id;
    expect((await api(h.wirelog, `/exchanges/${original}/replay`, { url: 'not a url' })).json.error).toContain(
      'is not a URL',
    );
    expect((await api(h.wirelog, `/exchanges/${original}/replay`, { headers: [['x-a', 'b\r\nx-c: d']] })).status).toBe(
      400,
    );
    expect((await api(h.wirelog, `/exchanges/999999/replay`, {})).status).toBe(404);
    const foreign = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${original}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
  });

  it('a client cannot pass itself off as a replay: a foreign mark is taken off, not forwarded, not linked', async () => {
    const before = h.upstream.received.length;
    const res = await request(`${h.upstream.httpsUrl}/echo`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'x-wirelog-replay': `guessed 1 ${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}` },
      body: 'x',
    });
    await res.body.text();
    await h.stored();
    expect(h.upstream.received[before].rawHeaders.map((v) => v.toLowerCase())).not.toContain('x-wirelog-replay');
    const stored = h.wirelog.reader.list({ limit: 1 })[0];
    expect(stored.request.replayOf).toBeUndefined();
    expect(stored.request.headers.map(([n]) => n)).not.toContain('x-wirelog-replay');
  });

  it('replays a stream: the new exchange streams and is understood like any other', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'replayed-stream', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.body.text();
    await h.stored();
    const original = h.wirelog.reader.list({ limit: 1 })[0];
    const { json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {});
    const replay = await ended(h.wirelog, json.id as number);
    expect(replay.streamKind).toBe('sse');
    expect(replay.eventCount).toBe(original.eventCount);
    expect(replay.call).toMatchObject({ dialect: 'openai-chat', model: 'replayed-stream', outputTokens: 6 });
  });

  it('replays a WebSocket: the messages the client sent go out again on a new connection', async () => {
    const expected = responsesStreamEvents('ws-replay').length;
    const turn = await responsesTurn(h, 'ws-replay');
    const original = await eventually(
      () => h.wirelog.reader.list({ limit: 5 }).find((e) => e.streamKind === 'websocket' && e.state === 'complete'),
      'the WebSocket to be stored',
    );
    const upstreamBefore = h.upstream.wsReceived.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {});
    expect(status).toBe(200);
    const replay = await ended(h.wirelog, json.id as number);
    expect(replay.response?.status).toBe(101);
    expect(h.upstream.wsReceived.slice(upstreamBefore)).toEqual([turn]);
    const received = h.wirelog.reader.wsMessages(replay.id).filter((m) => m.direction === 'receive' && m.opcode === 1);
    expect(received.length).toBe(expected);
    expect(replay.call).toMatchObject({ dialect: 'openai-responses', model: 'ws-replay' });
  });
});

describe('try this fix', () => {
  it("the seed's 404 (base_url ending in /chat/completions): the fix replays to /v1/responses, and it answers 200", async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-codex-key-00000000042' },
      body: JSON.stringify({ model: 'gpt-5-codex', stream: true, input: 'hi' }),
    });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    await h.stored();
    const failed = h.wirelog.reader.list({ limit: 1 })[0];
    const before = h.upstream.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${failed.id}/replay`, { fix: true });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      rule: 'repeated-endpoint',
      action: { kind: 'url', url: `https://localhost:${h.upstream.httpsPort}/v1/responses` },
    });
    const fixed = await ended(h.wirelog, json.id as number);
    expect(fixed.response?.status).toBe(200);
    expect(h.upstream.received[before].url).toBe('/v1/responses');
    expect(receivedKeys()[before]).toBe('Bearer sk-codex-key-00000000042');
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${fixed.id}`)).json()) as {
      clientConfig: { codex: { toml: string } } | null;
    };
    expect(detail.clientConfig?.codex.toml).toContain(`base_url = "https://localhost:${h.upstream.httpsPort}/v1"`);
  });

  it('a 401 with no key: the fix adds the key a working call to the same host sent, or asks for it', async () => {
    const noKey = async () => {
      const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: { 'content-type': 'application/json' },
        body: '{"model":"gpt-4o","messages":[]}',
      });
      expect(res.statusCode).toBe(401);
      await res.body.text();
      await h.stored();
      return h.wirelog.reader.list({ limit: 1 })[0].id;
    };
    await sendKeyedChat({ model: 'gpt-4o', messages: [] });
    const failed = await noKey();
    const before = h.upstream.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${failed}/replay`, { fix: true });
    expect(status).toBe(200);
    expect(json.action).toEqual({ kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' });
    expect((await ended(h.wirelog, json.id as number)).response?.status).toBe(200);
    expect(receivedKeys()[before]).toBe(`Bearer ${GOOD_KEY}`);
    // Where no working call left a key in memory (the plain-HTTP port), the user is asked for it, by header name.
    const plain = await request(`${h.upstream.httpUrl}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4o","messages":[]}',
    });
    expect(plain.statusCode).toBe(401);
    await plain.body.text();
    await h.stored();
    const asks = await api(h.wirelog, `/exchanges/${h.wirelog.reader.list({ limit: 1 })[0].id}/replay`, { fix: true });
    expect(asks.status).toBe(409);
    expect(asks.json.missingSecrets).toEqual(['Authorization']);
    expect(asks.json.error).toContain('paste the key');
    const stored = h.wirelog.reader.get(failed)!;
    const pasted = await api(h.wirelog, `/exchanges/${failed}/replay`, {
      fix: true,
      headers: [...stored.request.headers, ['Authorization', `Bearer ${GOOD_KEY}`]],
    });
    expect((await ended(h.wirelog, pasted.json.id as number)).response?.status).toBe(200);
  });

  it('a model the provider does not offer: the fix uses the listed model most like it, and it answers 200', async () => {
    const listing = await request(`${h.upstream.httpsUrl}/v1/models`, { dispatcher: h.agent() });
    await listing.body.text();
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: '{"model":"missing-test-model","messages":[{"role":"user","content":"hi"}]}',
    });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    await h.stored();
    const failed = h.wirelog.reader.list({ limit: 1 })[0].id;
    const before = h.upstream.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${failed}/replay`, { fix: true });
    expect(status).toBe(200);
    expect(json).toMatchObject({ rule: 'model-unavailable', action: { kind: 'model', model: 'test-model' } });
    expect((await ended(h.wirelog, json.id as number)).response?.status).toBe(200);
    expect(JSON.parse(h.upstream.received[before].body.toString())).toEqual({
      model: 'test-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('wirelog replay ID [--fix] from the terminal: prints the new id, status and first line, exit 0 on 2xx', async () => {
    const unregister = registerInstance(h.dataDir, {
      pid: process.pid,
      proxyUrl: h.proxyUrl,
      proxyPort: h.wirelog.proxy.port,
      viewerUrl: h.wirelog.viewer!.url,
      startedAt: new Date().toISOString(),
    });
    try {
      const ok = await sendKeyedChat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'cli' }] });
      const plain = await runCli(['replay', String(ok), '--data-dir', h.dataDir]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(new RegExp(`^#\\d+ 200 OK  \\(replay of #${ok}\\)`));
      const removed = await runCli([
        'replay',
        String(ok),
        '--remove-header',
        'authorization',
        '--json',
        '--data-dir',
        h.dataDir,
      ]);
      expect(removed.code).toBe(1);
      const result = JSON.parse(removed.stdout) as { status: number; replayOf: number; diagnoses: { rule: string }[] };
      expect(result).toMatchObject({ status: 401, replayOf: ok });
      expect(result.diagnoses[0].rule).toBe('missing-key');
      const body = path.join(h.dataDir, 'body.json');
      fs.writeFileSync(body, JSON.stringify({ model: 'from-file', messages: [] }));
      const before = h.upstream.received.length;
      const edited = await runCli([
        'replay',
        String(ok),
        '--body-file',
        body,
        '--header',
        'X-Extra: 1',
        '--data-dir',
        h.dataDir,
      ]);
      expect(edited.code).toBe(0);
      expect(JSON.parse(h.upstream.received[before].body.toString()).model).toBe('from-file');
      expect(h.upstream.received[before].rawHeaders).toContain('X-Extra');
      const fixed = await runCli([
        'replay',
        String(result.replayOf === ok ? JSON.parse(removed.stdout).id : 0),
        '--fix',
        '--data-dir',
        h.dataDir,
      ]);
      expect(fixed.stdout).toContain('200 OK');
      expect(fixed.code).toBe(0);
    } finally {
      unregister();
    }
  });
});

describe('secrets for a replay never touch the disk', () => {
  it('after a restart the key is not in memory: the replay is refused naming the header, then sent with the key given by hand; no key reaches the database, its WAL or a HAR', async () => {
    const original = await sendKeyedChat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'restart' }] });
    const { dataDir, upstreamCaFile } = { dataDir: h.dataDir, upstreamCaFile: path.join(h.dataDir, 'upstream-ca.pem') };
    const config = { ...h.wirelog.config };
    // A second wirelog on the same data dir, after the first stops: its memory is empty.
    await h.wirelog.stop();
    const second = await startWirelog({ ...config, dataDir, upstreamCaFile, proxyPort: 0, uiPort: 0 });
    try {
      const refused = await api(second, `/exchanges/${original}/replay`, {});
      expect(refused.status).toBe(409);
      expect(refused.json.missingSecrets).toEqual(['authorization']);
      expect(refused.json.error).toContain('not in memory');
      const stored = second.reader.get(original)!;
      const before = h.upstream.received.length;
      const headers = stored.request.headers.map(([n, v]) =>
        n.toLowerCase() === 'authorization' ? [n, `Bearer ${GOOD_KEY}`] : [n, v],
      );
      const sent = await api(second, `/exchanges/${original}/replay`, { headers });
      expect(sent.status).toBe(200);
      const replay = await ended(second, sent.json.id as number);
      expect(replay.response?.status).toBe(200);
      expect(receivedKeys()[before]).toBe(`Bearer ${GOOD_KEY}`);
      const har = await (await fetch(`${second.viewer!.url}/api/export.har`)).text();
      expect(har).toContain('Bearer ****0001');
      expect(har).not.toContain(GOOD_KEY);
      await second.writer.flush();
      for (const file of fs.readdirSync(dataDir).filter((f) => f.startsWith('wirelog.sqlite'))) {
        expect(fs.readFileSync(path.join(dataDir, file)).includes(GOOD_KEY), file).toBe(false);
      }
      // The fingerprint matches the original's: the same key, compared without storing it.
      expect(replay.request.secrets).toEqual(stored.request.secrets);
      expect(fs.statSync(path.join(dataDir, 'fingerprint.key')).mode & 0o777).toBe(0o600);
    } finally {
      await second.stop();
    }
  });
});
