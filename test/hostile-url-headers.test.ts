// A key in a URL that travels in a header rather than in the request line: a redirect repeats
// the request's query (`?key=AIza…`, an http:// relay sending the client to https://), an OAuth
// answer puts `#access_token=…` in Location, a browser sends its page's query in Referer, RFC
// 8288 links carry URLs in `<…>`. The request line's `?key=` was masked; these were stored whole.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { maskHeaders } from '../model/secrets.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

const masked = (name: string, value: string) => maskHeaders([[name, value]])[0][1];

describe('headers whose value is a URL', () => {
  it('mask the secret parameters of the URL, keeping the rest byte for byte', () => {
    expect(
      masked('Location', 'https://relay.example/v1beta/models/g:generateContent?key=AIzaSyAbCdEfGh1234&alt=sse'),
    ).toBe('https://relay.example/v1beta/models/g:generateContent?key=****1234&alt=sse');
    expect(masked('location', 'https://app.example/cb#access_token=ya29.AbCdEfGhIjKl5678&token_type=Bearer')).toBe(
      'https://app.example/cb#access_token=****5678&token_type=Bearer',
    );
    expect(masked('Content-Location', '/v1/files/1?sig=AbCdEfGhIjKlMnOp9abc')).toBe('/v1/files/1?sig=****9abc');
    expect(masked('Referer', 'http://localhost:3000/chat?api_key=sk-AbCdEfGhIjKl0000')).toBe(
      'http://localhost:3000/chat?api_key=****0000',
    );
    expect(masked('Refresh', '0; url=https://x.example/?token=AbCdEfGhIjKl4321')).toBe(
      '0; url=https://x.example/?token=****4321',
    );
    expect(masked('Location', 'https://alice:hunter2hunter2@proxy.example/')).toBe('https://alice:****@proxy.example/');
    expect(masked('Link', '<https://x.example/v1/models?key=AIzaLinkSecret8765&page=2>; rel="next"')).toBe(
      '<https://x.example/v1/models?key=****8765&page=2>; rel="next"',
    );
  });

  it('leave URLs without a secret as they are', () => {
    for (const [name, value] of [
      ['Location', 'https://api.example/v1/chat/completions?model=gpt-4o&stream=true'],
      ['Location', '/v1/messages'],
      ['Referer', 'https://cherry-ai.com/'],
      ['Link', '</style.css>; rel=preload; as=style'],
      ['Content-Type', 'text/html; charset=utf-8'],
      ['X-Request-Id', 'req_123?key=notaurl-but-kept'],
    ])
      expect(masked(name, value)).toBe(value);
  });
});

describe('a redirect that repeats ?key= through the gateway', () => {
  const KEY = `AIzaSyREDIRECT${'w'.repeat(20)}7q6r`;
  let h: Harness;
  let upstream: http.Server;
  beforeAll(async () => {
    h = await startHarness();
    // An http:// relay that sends every request to its https:// address, query and all (nginx's `return 301 https://$host$request_uri`).
    upstream = http.createServer((req, res) => {
      req.resume();
      res.writeHead(301, {
        Location: `https://relay.example${req.url}`,
        Link: `<https://relay.example${req.url}>; rel="canonical"`,
        'Content-Type': 'text/html',
      });
      res.end('<html>moved</html>');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => upstream?.close(r));
    await h?.close();
  });

  it('gives the client its Location and stores none of the key', async () => {
    const port = (upstream.address() as AddressInfo).port;
    const gatewayPath = `/http/127.0.0.1:${port}/v1beta/models/gemini-2.5-flash:generateContent?key=${KEY}`;
    const res = await request(`http://127.0.0.1:${h.wirelog.proxy.port}${gatewayPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', referer: `http://localhost:5173/?key=${KEY}` },
      body: '{"contents":[]}',
    });
    await res.body.text();
    expect(res.statusCode).toBe(301);
    // The client is redirected where the upstream said (its own URL, not the gateway's: another host).
    expect(res.headers.location).toBe(
      `https://relay.example/v1beta/models/gemini-2.5-flash:generateContent?key=${KEY}`,
    );
    await h.stored();

    const exchange = h.wirelog.reader.get(h.wirelog.reader.list({ limit: 1 })[0].id)!;
    expect(exchange.response?.headers).toContainEqual([
      'Location',
      'https://relay.example/v1beta/models/gemini-2.5-flash:generateContent?key=****7q6r',
    ]);
    expect(exchange.request.headers).toContainEqual(['referer', 'http://localhost:5173/?key=****7q6r']);

    const viewer = h.wirelog.viewer!.url;
    const dir = tempDir();
    const har = path.join(dir, 'redirect.har');
    expect((await runCli(['export', '--har', har, '--data-dir', h.dataDir])).code).toBe(0);
    const db = databasePath(h.dataDir);
    const places: [string, string][] = [
      ...[db, `${db}-wal`, `${db}-shm`]
        .filter((f) => fs.existsSync(f))
        .map((f): [string, string] => [path.basename(f), fs.readFileSync(f).toString('latin1')]),
      ['HAR export', fs.readFileSync(har, 'latin1')],
      ['the API', await (await fetch(`${viewer}/api/exchanges/${exchange.id}`)).text()],
      ['copy as cURL', await (await fetch(`${viewer}/api/exchanges/${exchange.id}/snippet?target=curl`)).text()],
    ];
    fs.rmSync(dir, { recursive: true, force: true });
    expect(places.filter(([, text]) => text.includes(KEY.slice(0, -4))).map(([place]) => place)).toEqual([]);
  });
});
