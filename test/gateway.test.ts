import OpenAI from 'openai';
import WebSocket from 'ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValue, type Exchange } from '../model/exchange.ts';
import { runCli } from './support/cli.ts';
import { CHAT_DELTAS, responsesStreamEvents } from './support/fake-upstream.ts';
import { eventually, sendRaw, startHarness, within, type Harness } from './support/harness.ts';
import { execFile } from 'node:child_process';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** The gateway form of the fake upstream's HTTPS origin: what a user sets as the base URL. */
const gateway = () => `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}`;
const latest = (filter: (e: Exchange) => boolean) => h.wirelog.reader.list({ limit: 1000 }).find(filter)!;
const lastReceived = () => h.upstream.received[h.upstream.received.length - 1];
const curl = (args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile('curl', ['-s', '--noproxy', '*', ...args], (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );

describe('gateway mode: a base URL with the upstream in its path, no proxy setting, no CA', () => {
  it('the openai SDK streams chat completions and responses with only its baseURL changed', async () => {
    const client = new OpenAI({ apiKey: 'sk-gateway-sdk-key-123456', baseURL: `${gateway()}/v1` });
    let text = '';
    const chat = await client.chat.completions.create({
      model: 'gw-chat',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    for await (const chunk of chat) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(CHAT_DELTAS.join(''));
    let responseText = '';
    const stream = await client.responses.create({ model: 'gw-responses', input: 'hello', stream: true });
    for await (const event of stream) if (event.type === 'response.output_text.delta') responseText += event.delta;
    expect(responseText).toBe(CHAT_DELTAS.join(''));
    await h.stored();
    // Stored with the upstream's URL, marked as coming through the gateway, understood, secrets masked.
    const responses = latest((e) => e.request.path === '/v1/responses' && e.call?.model === 'gw-responses');
    expect(responses.request).toMatchObject({
      scheme: 'https',
      host: 'localhost',
      port: h.upstream.httpsPort,
      via: 'gateway',
    });
    expect(h.wirelog.reader.sseEvents(responses.id).map((e) => e.event)).toEqual(
      responsesStreamEvents('gw-responses').map((e) => e.event),
    );
    expect(responses.call).toMatchObject({ dialect: 'openai-responses', inputTokens: 12, outputTokens: 6 });
    expect(headerValue(responses.request.headers, 'authorization')).toBe('Bearer ****3456');
    // The upstream sees its own Host and nothing that names wirelog.
    const received = lastReceived()
      .rawHeaders.map((v, i, all) => (i % 2 === 0 ? `${v.toLowerCase()}: ${all[i + 1]}` : ''))
      .filter(Boolean);
    expect(received).toContain(`host: localhost:${h.upstream.httpsPort}`);
    expect(received.filter((line) => /^(via|x-forwarded-|forwarded)/.test(line))).toEqual([]);
    // The HAR says how it came.
    const har = (await (await fetch(`${h.wirelog.viewer!.url}/api/export.har?id=${responses.id}`)).json()) as {
      log: { entries: { _wirelog: { via: string }; request: { url: string } }[] };
    };
    expect(har.log.entries[0]._wirelog.via).toBe('gateway');
    expect(har.log.entries[0].request.url).toBe(`https://localhost:${h.upstream.httpsPort}/v1/responses`);
  });

  it('relays a WebSocket on ws://…/https/… to the upstream over wss, permessage-deflate messages stored decoded both ways', async () => {
    const ws = new WebSocket(`${gateway().replace('http:', 'ws:')}/v1/responses`, { perMessageDeflate: true });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.extensions).toContain('permessage-deflate');
    const expected = responsesStreamEvents('gw-ws').length;
    const received: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d) => received.push(d.toString()) === expected && resolve()),
    );
    ws.send(JSON.stringify({ type: 'response.create', model: 'gw-ws', input: [] }));
    await done;
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await h.stored();
    // The exchange ends once its permessage-deflate decoder has caught up (zlib runs on libuv's
    // pool, behind the bytes): on a busy machine that is after the client's close is stored.
    const e = await eventually(() => {
      const ws = h.wirelog.reader
        .list({ limit: 1000 })
        .find((x) => x.streamKind === 'websocket' && x.request.via === 'gateway');
      return ws !== undefined && ws.state !== 'streaming' && ws.state !== 'pending' && ws;
    }, 'the WebSocket exchange ended');
    expect(e.request).toMatchObject({ scheme: 'wss', host: 'localhost', path: '/v1/responses' });
    const messages = h.wirelog.reader.wsMessages(e.id).filter((m) => m.opcode === 1);
    expect(
      messages.filter((m) => m.direction === 'send').map((m) => JSON.parse(Buffer.from(m.payload).toString()).model),
    ).toEqual(['gw-ws']);
    expect(messages.filter((m) => m.direction === 'receive')).toHaveLength(expected);
  });

  it('curl, an upstream over plain http, a redirect kept in the gateway, and a client abort that releases the upstream', async () => {
    const plain = await curl([
      `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${h.upstream.httpPort}/v1/models?plain`,
    ]);
    expect(JSON.parse(plain.stdout).object).toBe('list');
    for (const form of ['absolute', 'path']) {
      const head = await curl(['-i', `${gateway()}/redirect?to=/v1/models&${form === 'absolute' ? 'absolute' : 'p'}`]);
      expect(head.stdout).toMatch(
        new RegExp(
          `\\r\\nlocation: ${form === 'absolute' ? `http://127\\.0\\.0\\.1:${h.wirelog.proxy.port}` : ''}/https/localhost:${h.upstream.httpsPort}/v1/models\\r\\n`,
          'i',
        ),
      );
    }
    const followed = await curl(['-L', `${gateway()}/redirect?to=/v1/models%3Ffollowed&absolute`]);
    expect(JSON.parse(followed.stdout).object).toBe('list');
    const controller = new AbortController();
    const res = await request(`${gateway()}/v1/endless`, { signal: controller.signal });
    for await (const chunk of res.body) if (chunk.length) break;
    controller.abort();
    // /v1/endless never ends and the idle timeout is 600 s: only the abort, passed on, closes it.
    await within(h.upstream.endlessClosed, 'the upstream stream to be cancelled');
    await h.stored();
    expect(latest((e) => e.request.path === '/v1/models?plain').request).toMatchObject({
      scheme: 'http',
      via: 'gateway',
    });
    expect(latest((e) => e.request.path === '/v1/models?followed').request.via).toBe('gateway');
    expect(latest((e) => e.request.path === '/v1/endless').state).toBe('aborted');
  });

  it('refuses a foreign Host (DNS rebinding), a loop to wirelog itself, and says why', async () => {
    const foreign = await sendRaw(
      h.wirelog.proxy.port,
      `GET /https/localhost:${h.upstream.httpsPort}/v1/models HTTP/1.1\r\nHost: attacker.example:${h.wirelog.proxy.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(foreign.toString()).toMatch(/^HTTP\/1\.1 403 [\s\S]*loopback address/);
    for (const port of [h.wirelog.proxy.port, h.wirelog.viewer!.port]) {
      const loop = await curl(['-i', `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/api/status`]);
      expect(loop.stdout).toMatch(/^HTTP\/1\.1 508 /);
    }
    await h.stored();
    expect(
      h.wirelog.reader
        .list({ limit: 1000, state: 'proxy_error' })
        .filter((e) => /loopback address|a loop/.test(e.error ?? '')),
    ).toHaveLength(3);
  });

  it('the doctor and codex-config print every base_url in the gateway form, so the fix keeps the capture', async () => {
    // Sent as Codex sends them: the fix is then written for Codex (a base_url), not for curl.
    const codex = ['-A', 'codex_exec/0.171.0 (Debian 12; x86_64) xterm-256color', '-H', 'originator: codex_exec'];
    const wrong = await curl([
      '-X',
      'POST',
      ...codex,
      '-H',
      'authorization: Bearer sk-gw-doctor-000011112222',
      '-d',
      '{"model":"m","input":"hi"}',
      `${gateway()}/v1/chat/completions/responses`,
    ]);
    expect(wrong.code).toBe(0);
    const keyless = await curl([
      '-X',
      'POST',
      ...codex,
      '-d',
      '{"model":"m","messages":[]}',
      `${gateway()}/keyed/v1/chat/completions`,
    ]);
    expect(keyless.stdout).toContain('未提供令牌');
    await h.stored();
    const doctor = await runCli(['doctor', '--last', '50', '--data-dir', h.dataDir]);
    expect(doctor.stdout).toContain(`base_url = "${gateway()}/v1"`);
    expect(doctor.stdout).not.toContain(`base_url = "https://localhost:${h.upstream.httpsPort}`);
    expect(doctor.stdout).toMatch(/\[error\] 401: the request carried no API key/);
    // A call that worked, of this test's own (not one an earlier test left).
    const ok = await curl([
      '-X',
      'POST',
      ...codex,
      '-H',
      'authorization: Bearer sk-gw-doctor-000011112222',
      '-H',
      'content-type: application/json',
      '-d',
      '{"model":"gw-worked","input":"hi"}',
      `${gateway()}/v1/responses`,
    ]);
    expect(ok.code).toBe(0);
    await h.stored();
    const worked = latest(
      (e) => e.request.path === '/v1/responses' && e.request.via === 'gateway' && e.call?.model === 'gw-worked',
    );
    expect((await runCli(['codex-config', String(worked.id), '--data-dir', h.dataDir])).stdout).toContain(
      `base_url = "${gateway()}/v1"`,
    );
    // A call that came through the proxy, in the gateway form on request.
    const proxied = await request(`${h.upstream.httpsUrl}/v1/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-proxy', input: 'hi', stream: true }),
    });
    await proxied.body.text();
    await h.stored();
    const viaProxy = latest(
      (e) => e.request.path === '/v1/responses' && e.request.via === undefined && e.call?.model === 'via-proxy',
    );
    const plain = await runCli(['codex-config', String(viaProxy.id), '--data-dir', h.dataDir]);
    expect(plain.stdout).toContain(`base_url = "https://localhost:${h.upstream.httpsPort}/v1"`);
    const asGateway = await runCli(['codex-config', String(viaProxy.id), '--gateway', '--data-dir', h.dataDir]);
    expect(asGateway.stdout).toMatch(
      new RegExp(`base_url = "http://127\\.0\\.0\\.1:\\d+/https/localhost:${h.upstream.httpsPort}/v1"`),
    );
  });

  it('wirelog url prints the gateway form of a base URL', async () => {
    const out = await runCli(['url', 'https://openrouter.ai/api/v1', '--proxy-port', '8899', '--data-dir', h.dataDir]);
    expect(out.stdout.trim()).toBe('http://127.0.0.1:8899/https/openrouter.ai/api/v1');
    expect(
      (await runCli(['url', 'https://x666.me:8443/v1', '--proxy-port', '8899', '--data-dir', h.dataDir])).stdout.trim(),
    ).toBe('http://127.0.0.1:8899/https/x666.me:8443/v1');
    expect((await runCli(['url', 'not a url', '--data-dir', h.dataDir])).code).toBe(2);
  });
});

describe('gateway mode beyond loopback', () => {
  it('needs the token printed at start in the path, instead of proxy credentials', async () => {
    const open = await startHarness({ host: '0.0.0.0', proxyAuth: 'alice:s3cret' });
    try {
      const token = open.wirelog.gatewayToken!;
      expect(token).toMatch(/^[\w-]{24}$/);
      const base = `http://127.0.0.1:${open.wirelog.proxy.port}`;
      const upstream = `https/localhost:${open.upstream.httpsPort}/v1/models`;
      expect((await curl(['-i', `${base}/${upstream}`])).stdout).toMatch(
        /^HTTP\/1\.1 403 [\s\S]*token printed at start/,
      );
      expect((await curl(['-i', `${base}/t/wrong-token-of-24-chars/${upstream}`])).stdout).toMatch(/^HTTP\/1\.1 403 /);
      const ok = await curl([`${base}/t/${token}/${upstream}`]);
      expect(JSON.parse(ok.stdout).object).toBe('list');
      await open.stored();
      // The token is not kept with the refused requests.
      expect(JSON.stringify(open.wirelog.reader.list())).not.toContain(token);
    } finally {
      await open.close();
    }
  });
});
