import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnosesOf, modelCallOf } from '../llm/stored-calls.ts';
import { headerValue, type Exchange } from '../model/exchange.ts';
import { CHAT_DELTAS, chatStreamEvents, responsesStreamEvents, zstdFrame } from './support/fake-upstream.ts';
import { curl, eventually, sendRaw, startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

function latest(filter: (e: Exchange) => boolean): Exchange {
  const found = h.wirelog.reader.list({ limit: 1000 }).find(filter);
  if (!found) throw new Error('exchange not stored');
  return h.wirelog.reader.get(found.id)!;
}

/** Resolves once the exchange the filter picks has an SSE event stored (its stream still open). */
function firstEventStored(filter: (e: Exchange) => boolean): Promise<unknown> {
  return eventually(() => {
    const found = h.wirelog.reader.list({ limit: 1000 }).find(filter);
    return found && h.wirelog.reader.sseEvents(found.id).length > 0;
  }, 'the first SSE event stored while the stream is open');
}

/**
 * Reads a stream whose upstream holds its last event back (x-test-hold-last): once the first
 * bytes are in and wirelog has stored the first event, waits a little, then lets the last
 * event go. `held` is when the first event was seen stored, `released` when the last was let
 * go: wirelog stamped the first event before `held` and the last after `released`, whatever
 * the machine's load, so the stamps are at least that far apart.
 */
async function readHoldingLast(
  stream: AsyncIterable<unknown>,
  firstStored: () => Promise<unknown>,
  release: () => void,
): Promise<{ body: Buffer; held: number; released: number }> {
  const chunks: Buffer[] = [];
  let held = 0;
  let released = 0;
  for await (const chunk of stream) {
    chunks.push(Buffer.from(chunk as Buffer));
    if (!held) {
      await firstStored();
      held = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 40));
      released = performance.now();
      release();
    }
  }
  return { body: Buffer.concat(chunks), held, released };
}

/** The first and last events' stamps are at least the client's hold apart (1 ms for rounding). */
function expectStampedApart(events: { offsetMs: number }[], heldMs: number): void {
  expect(events.length).toBeGreaterThan(3);
  expect(events[events.length - 1].offsetMs - events[0].offsetMs).toBeGreaterThanOrEqual(Math.floor(heldMs) - 1);
}

describe('capture through real clients', () => {
  it('curl over HTTPS: what the client got and what was stored match the upstream byte for byte', async () => {
    const result = await curl(h, [
      '-H',
      'X-Custom-Case: Kept',
      '-H',
      'x-trace: 1',
      `${h.upstream.httpsUrl}/v1/models?page=2`,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString()).data[0].id).toBe('test-model');
    await h.stored();
    const ex = latest((e) => e.request.path === '/v1/models?page=2');
    expect(ex.state).toBe('complete');
    expect(ex.request).toMatchObject({
      method: 'GET',
      scheme: 'https',
      host: 'localhost',
      port: h.upstream.httpsPort,
      httpVersion: '1.1',
    });
    expect(ex.request.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    // Header names keep their case and order.
    const names = ex.request.headers.map(([n]) => n);
    expect(names.indexOf('X-Custom-Case')).toBeGreaterThan(-1);
    expect(names.indexOf('X-Custom-Case')).toBeLessThan(names.indexOf('x-trace'));
    expect(ex.response?.status).toBe(200);
    expect(h.wirelog.reader.body(ex.id, 'response').equals(result.stdout)).toBe(true);
    // The first request opened the upstream connection: its connect and TLS times are known.
    expect(ex.timings.connected).toBeGreaterThan(0);
    expect(ex.timings.secured!).toBeGreaterThanOrEqual(ex.timings.connected!);
    expect(ex.timings.requestSent!).toBeGreaterThanOrEqual(ex.timings.secured!);
    expect(ex.timings.responseHeaders!).toBeGreaterThanOrEqual(ex.timings.requestSent!);
    expect(ex.timings.end!).toBeGreaterThanOrEqual(ex.timings.firstByte!);
    expect(ex.responseBody).toEqual({
      size: result.stdout.length,
      storedSize: result.stdout.length,
      truncated: false,
      encoding: '',
    });
  });

  it('a CONNECT to an address with a server name in the TLS hello gets a certificate for that name, and is recorded by it', async () => {
    const port = h.upstream.httpsPort;
    // curl resolves localhost itself and asks for a tunnel to 127.0.0.1, naming localhost in its hello.
    const result = await curl(h, [
      '-v',
      '--connect-to',
      `localhost:${port}:127.0.0.1:${port}`,
      `${h.upstream.httpsUrl}/v1/models?sni`,
    ]);
    expect(result.stderr).toContain(`CONNECT 127.0.0.1:${port}`);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString()).object).toBe('list');
    await h.stored();
    const ex = latest((e) => e.request.path === '/v1/models?sni');
    expect(ex.request).toMatchObject({ scheme: 'https', host: 'localhost', port });
  });

  it('a request on a kept-alive upstream connection has no connect or TLS time', async () => {
    // Its own first request leaves the upstream connection open (the upstream keeps it 30 s),
    // so the second reuses it whatever the tests before did.
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?first`]);
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?again`]);
    await h.stored();
    const ex = latest((e) => e.request.path === '/v1/models?again');
    expect(ex.timings.connected).toBeUndefined();
    expect(ex.timings.secured).toBeUndefined();
  });

  it('an HTTP/1.0 client over HTTPS (curl -0: ALPN offers only http/1.0) is answered and captured as 1.0', async () => {
    const result = await curl(h, ['-0', `${h.upstream.httpsUrl}/v1/models?http10`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString()).object).toBe('list');
    await h.stored();
    const ex = latest((e) => e.request.path === '/v1/models?http10');
    expect(ex.request.httpVersion).toBe('1.0');
    expect(ex.state).toBe('complete');
  });

  it("trailer fields after a chunked body reach the client, and a chunked request's reach the upstream", async () => {
    const res = await request(`${h.upstream.httpsUrl}/trailers`, { dispatcher: h.agent() });
    expect(await res.body.text()).toBe('first second');
    expect(res.trailers).toMatchObject({
      'x-checksum': 'sha256=abc123',
      'x-status': 'done',
      'x-session-token': 'tok-TRAILERSECRET-5678',
    });
    await h.stored();
    const stored = latest((e) => e.request.path === '/trailers');
    expect(stored.response?.trailers?.slice(0, 2)).toEqual([
      ['X-Checksum', 'sha256=abc123'],
      ['X-Status', 'done'],
    ]);
    // Masked as a header of that name would be.
    expect(stored.response?.trailers?.[2][0]).toBe('X-Session-Token');
    expect(JSON.stringify(stored)).not.toContain('TRAILERSECRET');
    // A chunked request with trailers, sent raw through the proxy in absolute form.
    const raw = (
      await sendRaw(
        h.wirelog.proxy.port,
        `POST ${h.upstream.httpUrl}/echo?request-trailers HTTP/1.1\r\nHost: 127.0.0.1:${h.upstream.httpPort}\r\nTransfer-Encoding: chunked\r\nTrailer: X-Digest\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Digest: md5=xyz\r\n\r\n`,
      )
    ).toString('latin1');
    const echoed = JSON.parse(raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1)) as {
      rawTrailers: string[];
      body: string;
    };
    expect(echoed.rawTrailers).toEqual(['X-Digest', 'md5=xyz']);
    expect(Buffer.from(echoed.body, 'base64').toString()).toBe('hello');
  });

  it('an HTTP/1.0 client gets a chunked upstream answer as a plain body ended by the close, not Transfer-Encoding it cannot read', async () => {
    for (const path of ['/json-stream?n=2&every=5', '/trailers']) {
      const raw = (await sendRaw(h.wirelog.proxy.port, `GET ${h.upstream.httpUrl}${path} HTTP/1.0\r\n\r\n`)).toString(
        'latin1',
      );
      const [head, body] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head).not.toMatch(/transfer-encoding/i);
      expect(body).toBe(path === '/trailers' ? 'first second' : '[{"text": "part 0"},{"text": "part 1"}]');
    }
  });

  it.each(['gzip', 'deflate', 'deflate-raw', 'br', 'zstd'])(
    'splits a %s-compressed SSE stream into its events as they arrive, and rebuilds the call from them',
    async (encoding) => {
      const body = JSON.stringify({
        model: `compressed-${encoding}`,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions?sse-encoding=${encoding}`, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: {
          'content-type': 'application/json',
          'x-test-sse-encoding': encoding,
          'x-test-hold-last': `compressed-${encoding}`,
        },
        body,
      });
      // The client gets the bytes as the upstream sent them, still encoded.
      expect(res.headers['content-encoding']).toBe(encoding === 'deflate-raw' ? 'deflate' : encoding);
      const path = `/v1/chat/completions?sse-encoding=${encoding}`;
      const { held, released } = await readHoldingLast(
        res.body,
        () => firstEventStored((e) => e.request.path === path),
        () => h.upstream.release(`compressed-${encoding}`),
      );
      await h.stored();
      // The exchange ends once its decoder has caught up, and is understood in a slice after that.
      const ex = await eventually(() => {
        const found = latest((e) => e.request.path === `/v1/chat/completions?sse-encoding=${encoding}`);
        return found.call && found;
      }, 'the compressed stream ended and understood');
      const events = h.wirelog.reader.sseEvents(ex.id);
      expect(events.map((e) => e.data)).toEqual(chatStreamEvents(`compressed-${encoding}`));
      // Each stamped as it arrived, not all at the end: the first arrived before the client held
      // the stream, the last was sent only after the client let it go.
      expectStampedApart(events, released - held);
      expect(ex.call?.dialect).toBe('openai-chat');
      const call = modelCallOf(h.wirelog.reader, ex);
      expect(call?.answer.text).toBe(CHAT_DELTAS.join(''));
      expect(diagnosesOf(h.wirelog.reader, ex, call).map((d) => d.rule)).not.toContain('truncated-stream');
    },
  );

  it('a 3 MB upload with Expect: 100-continue (curl sends it past 1 MB) reaches the upstream whole and is stored', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'a');
    const file = path.join(tempDir(), 'upload.bin');
    fs.writeFileSync(file, body);
    // curl waits up to 10 s for the 100 before it sends anyway: the 100 must come from wirelog.
    const result = await curl(h, [
      '-v',
      '--expect100-timeout',
      '10',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      `@${file}`,
      `${h.upstream.httpsUrl}/echo?continue`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
    expect(result.stderr).not.toMatch(/Done waiting for 100-continue/);
    expect(Buffer.from((JSON.parse(result.stdout.toString()) as { body: string }).body, 'base64').equals(body)).toBe(
      true,
    );
    await h.stored();
    const ex = latest((e) => e.request.path === '/echo?continue');
    expect(ex.requestBody.size).toBe(body.length);
    expect(h.wirelog.reader.body(ex.id, 'request').equals(body)).toBe(true);
  });

  it('plain HTTP absolute-form requests are captured too', async () => {
    const result = await curl(h, [
      '-X',
      'POST',
      '--data-binary',
      '{"model":"m1"}',
      '-H',
      'content-type: application/json',
      `${h.upstream.httpUrl}/v1/chat/completions`,
    ]);
    expect(result.code).toBe(0);
    await h.stored();
    const ex = latest((e) => e.request.scheme === 'http' && e.request.path === '/v1/chat/completions');
    expect(ex.request.port).toBe(h.upstream.httpPort);
    expect(h.wirelog.reader.body(ex.id, 'request').toString()).toBe('{"model":"m1"}');
    expect(h.wirelog.reader.body(ex.id, 'response').equals(result.stdout)).toBe(true);
  });

  it('plain HTTP inside a CONNECT tunnel is captured with its tunnel target', async () => {
    const result = await curl(h, ['--proxytunnel', `${h.upstream.httpUrl}/v1/models?tunnelled`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString()).object).toBe('list');
    await h.stored();
    const ex = latest((e) => e.request.path === '/v1/models?tunnelled');
    expect(ex.request).toMatchObject({ scheme: 'http', host: '127.0.0.1', port: h.upstream.httpPort });
  });

  it('masks secrets before storage, while the upstream gets them intact', async () => {
    const key = 'sk-test-SECRETSECRET-9f3a';
    const result = await curl(h, [
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${key}`,
      '-H',
      'x-api-key: anthropic-SECRET-KEY-77aa',
      '-H',
      'Cookie: sid=cookieSECRETvalue1234; theme=dark',
      '--data-binary',
      'hello',
      `${h.upstream.httpsUrl}/echo?key=AIzaSECRETgoogleKEY-x1y2&alt=sse`,
    ]);
    const echoed = JSON.parse(result.stdout.toString()) as { rawHeaders: string[] };
    expect(echoed.rawHeaders).toContain(`Bearer ${key}`);
    await h.stored();
    const ex = latest((e) => e.request.path.startsWith('/echo?'));
    expect(headerValue(ex.request.headers, 'authorization')).toBe('Bearer ****9f3a');
    expect(headerValue(ex.request.headers, 'x-api-key')).toBe('****77aa');
    expect(headerValue(ex.request.headers, 'cookie')).toBe('sid=****1234; theme=****');
    expect(ex.request.path).toBe('/echo?key=****x1y2&alt=sse');
    expect(headerValue(ex.response!.headers, 'set-cookie')).toBe('session=****1234; Path=/');
    expect(JSON.stringify(ex)).not.toContain('SECRET');
  });

  it('undici through ProxyAgent: an SSE chat stream arrives whole, and each event is stored with its arrival time', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', 'x-test-hold-last': 'sse-model' },
      body: JSON.stringify({ model: 'sse-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    // Chunk by chunk, not buffered: the client reads the first events while the upstream
    // still holds the last one back, which it sends only when the client says so.
    const { body, held, released } = await readHoldingLast(
      res.body,
      () =>
        firstEventStored((e) => e.streamKind === 'sse' && h.wirelog.reader.body(e.id, 'request').includes('sse-model')),
      () => h.upstream.release('sse-model'),
    );
    const expected = chatStreamEvents('sse-model');
    expect(body.toString()).toBe(expected.map((d) => `data: ${d}\n\n`).join(''));
    await h.stored();
    const ex = latest((e) => e.streamKind === 'sse' && h.wirelog.reader.body(e.id, 'request').includes('sse-model'));
    expect(ex.state).toBe('complete');
    const events = h.wirelog.reader.sseEvents(ex.id);
    expect(events.map((e) => e.data)).toEqual(expected);
    expect(ex.eventCount).toBe(expected.length);
    for (let i = 1; i < events.length; i++) expect(events[i].offsetMs).toBeGreaterThanOrEqual(events[i - 1].offsetMs);
    expectStampedApart(events, released - held);
    expect(h.wirelog.reader.body(ex.id, 'response').equals(body)).toBe(true);
  });

  it('the openai SDK streams chat completions and responses through wirelog', async () => {
    const client = new OpenAI({
      apiKey: 'sk-openai-sdk-key-123456',
      baseURL: `${h.upstream.httpsUrl}/v1`,
      fetchOptions: { dispatcher: h.agent() } as never,
    });
    let text = '';
    const chat = await client.chat.completions.create({
      model: 'sdk-chat',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    for await (const chunk of chat) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(CHAT_DELTAS.join(''));

    let responseText = '';
    let completedId = '';
    const stream = await client.responses.create({ model: 'sdk-responses', input: 'hello', stream: true });
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') responseText += event.delta;
      if (event.type === 'response.completed') completedId = event.response.id;
    }
    expect(responseText).toBe(CHAT_DELTAS.join(''));
    expect(completedId).toBe('resp_test1');

    await h.stored();
    const responses = latest((e) => e.request.path === '/v1/responses');
    const events = h.wirelog.reader.sseEvents(responses.id);
    expect(events.map((e) => e.event)).toEqual(responsesStreamEvents('sdk-responses').map((e) => e.event));
    expect(JSON.parse(events[events.length - 1].data).response.id).toBe('resp_test1');
    expect(headerValue(responses.request.headers, 'authorization')).toBe('Bearer ****3456');
    // Understood as a model call once it ended: Responses over SSE.
    expect(responses.call).toMatchObject({
      dialect: 'openai-responses',
      model: 'sdk-responses',
      inputTokens: 12,
      outputTokens: 6,
    });
    const chatCall = latest((e) => e.request.path === '/v1/chat/completions' && e.call?.model === 'sdk-chat');
    expect(chatCall.call).toMatchObject({ dialect: 'openai-chat', inputTokens: 12, outputTokens: 6 });
  });

  it.each(['gzip', 'br', 'deflate', 'zstd'])('stores %s bodies raw and serves them decoded', async (encoding) => {
    const res = await request(`${h.upstream.httpsUrl}/compressed?encoding=${encoding}`, { dispatcher: h.agent() });
    const raw = Buffer.from(await res.body.arrayBuffer());
    expect(res.headers['content-encoding']).toBe(encoding);
    await h.stored();
    const ex = latest((e) => e.request.path === `/compressed?encoding=${encoding}`);
    expect(ex.responseBody.encoding).toBe(encoding);
    expect(h.wirelog.reader.body(ex.id, 'response').equals(raw)).toBe(true);
    const api = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as {
      responseBody: { text: string; encoding: string };
    };
    expect(JSON.parse(api.responseBody.text).message).toBe('compressed hello');
  });

  it('records a final SSE event that arrived without its blank line, and the stream reads as complete', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions?unterminated`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', 'x-test-unterminated': '1' },
      body: JSON.stringify({ model: 'unterminated-model', stream: true, messages: [] }),
    });
    expect(await res.body.text()).toMatch(/data: \[DONE\]$/);
    await h.stored();
    const e = latest((x) => x.request.path === '/v1/chat/completions?unterminated');
    const events = h.wirelog.reader.sseEvents(e.id);
    expect(events[events.length - 1].data).toBe('[DONE]');
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${e.id}`)).json()) as {
      modelCall: { ending: string };
      diagnoses: unknown[];
    };
    expect(detail.modelCall.ending).toBe('complete');
    expect(detail.diagnoses).toEqual([]);
  });

  it('stores a JSON response without Content-Length as it comes, so it can be watched growing', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1beta/models/m:streamGenerateContent?n=20&every=50`, {
      dispatcher: h.agent(),
    });
    const chunks = res.body[Symbol.asyncIterator]();
    let seen = '';
    while (!seen.includes('part 2')) seen += ((await chunks.next()).value as Buffer).toString();
    await h.wirelog.writer.flush();
    const open = latest((e) => e.request.path.includes(':streamGenerateContent'));
    expect(open.state).toBe('streaming');
    expect(h.wirelog.reader.body(open.id, 'response').toString()).toContain('"part 1"');
    while (!(await chunks.next()).done);
  });

  it('decodes a zstd request body, as Codex sends when logged in with ChatGPT', async () => {
    const json = JSON.stringify({
      model: 'gpt-5-codex',
      input: [{ role: 'user', content: 'zstd prompt words' }],
      stream: false,
    });
    const compressed = zstdFrame(Buffer.from(json));
    const res = await request(`${h.upstream.httpsUrl}/echo`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
      body: compressed,
    });
    const echoed = (await res.body.json()) as { body: string };
    expect(Buffer.from(echoed.body, 'base64').equals(compressed)).toBe(true);
    await h.stored();
    const ex = latest((e) => e.request.path === '/echo' && e.requestBody.encoding === 'zstd');
    const api = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as {
      requestBody: { text: string };
    };
    expect(api.requestBody.text).toBe(json);
    const found = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges?q=zstd%20prompt`)).json()) as {
      exchanges: { id: number }[];
    };
    expect(found.exchanges.map((e) => e.id)).toContain(ex.id);
  });

  it('keeps a body beyond --max-body-mb out of storage but gives the client every byte', async () => {
    const small = await startHarness({ maxBodyMb: 1 });
    try {
      const size = 3 * 1024 * 1024 + 17;
      const res = await request(`${small.upstream.httpsUrl}/bytes?size=${size}`, { dispatcher: small.agent() });
      const got = Buffer.from(await res.body.arrayBuffer());
      expect(got.length).toBe(size);
      await small.stored();
      const ex = small.wirelog.reader.list()[0];
      expect(ex.responseBody).toEqual({ size, storedSize: 1024 * 1024, truncated: true, encoding: '' });
      expect(small.wirelog.reader.body(ex.id, 'response').length).toBe(1024 * 1024);
    } finally {
      await small.close();
    }
  });
});

describe('odd bytes', () => {
  const raw = (bytes: Buffer) => sendRaw(h.wirelog.proxy.port, bytes);

  it('non-UTF-8 bodies, invalid JSON that claims to be JSON and odd header bytes are stored byte-exact and shown as binary', async () => {
    const body = Buffer.concat([
      Buffer.from('{"broken": "'),
      Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x1b, 0x5b, 0x33, 0x31, 0x6d]),
    ]);
    // A tab and bytes beyond ASCII are legal in a header value (obs-text); they must not be rewritten.
    const odd = Buffer.from('a\tb\xe9\xff \x7e', 'latin1');
    const head = Buffer.from(
      `POST ${h.upstream.httpUrl}/echo?odd HTTP/1.1\r\nHost: localhost:${h.upstream.httpPort}\r\nContent-Type: application/json\r\nX-Odd: ${odd.toString('latin1')}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
    const answer = await raw(Buffer.concat([head, body]));
    expect(answer.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    const echoed = JSON.parse(answer.toString('utf8').split('\r\n\r\n')[1]) as { rawHeaders: string[]; body: string };
    expect(Buffer.from(echoed.body, 'base64').equals(body)).toBe(true);
    expect(Buffer.from(echoed.rawHeaders[echoed.rawHeaders.indexOf('X-Odd') + 1], 'latin1').equals(odd)).toBe(true);

    await h.stored();
    const ex = latest((e) => e.request.path === '/echo?odd');
    expect(h.wirelog.reader.body(ex.id, 'request').equals(body)).toBe(true);
    expect(Buffer.from(headerValue(ex.request.headers, 'x-odd')!, 'latin1').equals(odd)).toBe(true);
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as {
      requestBody: { text: string | null; base64: string | null };
    };
    // Not valid UTF-8, so not text, whatever its Content-Type says: the viewer shows hex.
    expect(detail.requestBody.text).toBeNull();
    expect(Buffer.from(detail.requestBody.base64!, 'base64').equals(body)).toBe(true);
  });

  it('forwards and stores every one of 1,500 request headers, plain and through a TLS tunnel', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => [`a${i}`, String(i)] as const);
    const sent = (rawHeaders: string[]) =>
      many.filter(([name, value]) => rawHeaders[rawHeaders.indexOf(name) + 1] === value).length;
    const plain = await raw(
      Buffer.from(
        `POST ${h.upstream.httpUrl}/echo?many-plain HTTP/1.1\r\nHost: x\r\n${many.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: 0\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(plain.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(sent((JSON.parse(plain.toString().split('\r\n\r\n')[1]) as { rawHeaders: string[] }).rawHeaders)).toBe(1500);
    const tunneled = await curl(h, [
      ...many.flatMap(([n, v]) => ['-H', `${n}: ${v}`]),
      `${h.upstream.httpsUrl}/echo?many-tls`,
    ]);
    expect(sent((JSON.parse(tunneled.stdout.toString()) as { rawHeaders: string[] }).rawHeaders)).toBe(1500);
    await h.stored();
    for (const path of ['/echo?many-plain', '/echo?many-tls']) {
      const ex = latest((e) => e.request.path === path);
      expect(sent(ex.request.headers.flat())).toBe(1500);
    }
  });

  it('relays and stores every one of 1,500 response headers', async () => {
    const result = await curl(h, ['-i', `${h.upstream.httpsUrl}/many-headers?n=1500`]);
    expect(result.stdout.toString().match(/^r\d+: \d+\r$/gm)).toHaveLength(1500);
    await h.stored();
    const ex = latest((e) => e.request.path === '/many-headers?n=1500');
    expect(ex.response!.headers.filter(([name]) => /^r\d+$/.test(name))).toHaveLength(1500);
  });

  it('relays a 60 KB response head (Node alone takes 16 KB), and names the cause past 256 KB', async () => {
    const result = await curl(h, ['-D', '-', `${h.upstream.httpsUrl}/big-head?kb=60`]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(new RegExp(`\\r\\nX-Big: v{${60 * 1024}}\\r\\n`));
    await h.stored();
    expect(headerValue(latest((e) => e.request.path === '/big-head?kb=60').response!.headers, 'x-big')).toHaveLength(
      60 * 1024,
    );
    const tooBig = await curl(h, ['-i', `${h.upstream.httpsUrl}/big-head?kb=300`]);
    expect(tooBig.stdout.toString()).toMatch(/HTTP\/1\.1 502 [\s\S]*sent a response head over 256 KB/);
  });

  it('gives an HTTP/1.0 request without Host the Host of its absolute URL or its tunnel', async () => {
    const absolute = await raw(Buffer.from(`GET ${h.upstream.httpUrl}/echo?http10 HTTP/1.0\r\n\r\n`));
    expect(absolute.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    const echoed = JSON.parse(absolute.toString().split('\r\n\r\n')[1]) as { rawHeaders: string[] };
    expect(echoed.rawHeaders.slice(0, 2)).toEqual(['Host', `127.0.0.1:${h.upstream.httpPort}`]);
    // Inside a plain CONNECT tunnel: the host is the tunnel's target.
    const tunnel = await raw(
      Buffer.from(
        `CONNECT 127.0.0.1:${h.upstream.httpPort} HTTP/1.1\r\nHost: 127.0.0.1:${h.upstream.httpPort}\r\n\r\nGET /echo?http10-tunnel HTTP/1.0\r\n\r\n`,
      ),
    );
    const inner = tunnel.toString().split('\r\n\r\n');
    expect(inner[1]).toMatch(/^HTTP\/1\.1 200 /);
    expect((JSON.parse(inner[2]) as { rawHeaders: string[] }).rawHeaders.slice(0, 2)).toEqual([
      'Host',
      `127.0.0.1:${h.upstream.httpPort}`,
    ]);
    await h.stored();
    // Stored as the client sent it: without a Host.
    expect(latest((e) => e.request.path === '/echo?http10').request.headers).toEqual([]);
  });

  it('refuses control characters in a header value with 400, and records why', async () => {
    const answer = await raw(
      Buffer.from(`GET ${h.upstream.httpUrl}/echo?ctl HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n`, 'latin1'),
    );
    expect(answer.toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
    await h.stored();
    const ex = h.wirelog.reader.list({ limit: 1000, state: 'proxy_error' })[0];
    expect(ex.error).toMatch(/malformed request/i);
  });
});
