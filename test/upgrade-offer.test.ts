import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValue } from '../model/exchange.ts';
import { headWithoutUpgradeOffer, offersWebSocket } from '../proxy/upgrade-offer.ts';
import { sendRaw, startHarness, type Harness } from './support/harness.ts';

type Req = Parameters<typeof offersWebSocket>[0];
const request = (rawHeaders: string[]): Req => {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i].toLowerCase()] = rawHeaders[i + 1];
  return { method: 'POST', url: '/v1/chat/completions', httpVersion: '1.1', rawHeaders, headers } as unknown as Req;
};

describe('which upgrade offers are a WebSocket', () => {
  it.each([['websocket'], ['WebSocket'], ['h2c, websocket'], ['websocket/13']])('%s is', (upgrade) => {
    expect(offersWebSocket(request(['Upgrade', upgrade]))).toBe(true);
  });
  it.each([['h2c'], ['HTTP/2.0'], ['TLS/1.2'], ['']])('%s is not', (upgrade) => {
    expect(offersWebSocket(request(['Upgrade', upgrade]))).toBe(false);
  });

  it('the head without the offer keeps every other field, its case and order', () => {
    const head = headWithoutUpgradeOffer(
      request([
        'Host',
        'x',
        'Connection',
        'Upgrade, HTTP2-Settings, keep-alive',
        'Upgrade',
        'h2c',
        'HTTP2-Settings',
        'AAMA',
        'X-Codex-Turn-Metadata',
        '{"a":"é"}',
        'content-length',
        '2',
      ]),
    );
    expect(head.toString('latin1')).toBe(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nX-Codex-Turn-Metadata: {"a":"é"}\r\ncontent-length: 2\r\n\r\n',
    );
  });
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const curl = (args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile('curl', ['-s', '-i', '--max-time', '20', ...args], (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );

describe('an h2c upgrade offer is answered as HTTP/1.1 (Java HttpClient, curl --http2), never taken for a WebSocket', () => {
  const body = JSON.stringify({ model: 'h2c-model', messages: [{ role: 'user', content: 'hi' }] });
  const post = ['--http2', '-H', 'content-type: application/json', '-d', body];

  it.each([
    [
      'the gateway',
      () => [
        '--noproxy',
        '*',
        ...post,
        `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${h.upstream.httpPort}/echo`,
      ],
    ],
    [
      'the proxy',
      () => ['--proxy', h.proxyUrl, '--noproxy', '', ...post, `http://127.0.0.1:${h.upstream.httpPort}/echo`],
    ],
    [
      'a CONNECT tunnel',
      () => [
        '--proxy',
        h.proxyUrl,
        '--noproxy',
        '',
        '--proxytunnel',
        ...post,
        `http://127.0.0.1:${h.upstream.httpPort}/echo`,
      ],
    ],
  ])('through %s', async (_, args) => {
    const before = h.upstream.received.length;
    const res = await curl(args());
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/HTTP\/1\.1 200 /);
    const received = h.upstream.received.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0].body.toString()).toBe(body);
    expect(received[0].rawHeaders.map((x) => x.toLowerCase())).not.toContain('upgrade');
    await h.stored();
    const e = h.wirelog.reader.list({ limit: 10 })[0];
    expect(e).toMatchObject({
      state: 'complete',
      request: { scheme: 'http', method: 'POST', path: '/echo' },
      response: { status: 200 },
    });
    // Recorded as the HTTP/1.1 request it was answered as: the declined offer is not part of it.
    expect(headerValue(e.request.headers, 'upgrade')).toBeUndefined();
  });

  it('a raw offer with a body and a pipelined request after it: both answered in turn', async () => {
    const port = h.wirelog.proxy.port;
    const path = `/http/127.0.0.1:${h.upstream.httpPort}/echo`;
    const answer = await sendRaw(
      port,
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nfirst` +
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond`,
    );
    const text = answer.toString();
    expect(text.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(text).toContain(Buffer.from('first').toString('base64'));
    expect(text).toContain(Buffer.from('second').toString('base64'));
  });
});
