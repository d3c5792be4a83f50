import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValue } from '../model/exchange.ts';
import { browserRefusal, gatewayResponseHeaders, parseHostHeader } from '../proxy/gateway.ts';
import { checkSelf, isThisMachine, literalAddress } from '../proxy/self-address.ts';
import { sendRaw, startHarness, type Harness } from './support/harness.ts';

describe('whether an address is this machine, however it is written', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['127.254.3.9', '127.254.3.9'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', '127.0.0.1'],
    ['::127.0.0.1', '127.0.0.1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['0:0:0:0:0:0:0:1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['0.0.0.0', '0.0.0.0'],
    ['0', '0.0.0.0'],
  ])('%s is %s, this machine', (written, canonical) => {
    expect(literalAddress(written)).toBe(canonical);
    expect(isThisMachine(written, new Set())).toBe(true);
  });

  it.each(['1.2.3.4', '::ffff:1.2.3.4', '2001:db8::1', '128.0.0.1', '10.0.0.1'])('%s is elsewhere', (written) => {
    expect(isThisMachine(written, new Set())).toBe(false);
  });

  it('an interface address of this machine is this machine', () => {
    expect(isThisMachine('192.168.7.7', new Set(['192.168.7.7']))).toBe(true);
  });

  it.each(['example.com', '256.0.0.1', '1.2.3.4.5', '4294967296', '127.0.0.1x', 'localhost'])(
    '%s is not an address',
    (written) => {
      expect(literalAddress(written)).toBeNull();
    },
  );
});

describe('checkSelf: wirelog own ports, decided by address and port', () => {
  const resolver = (table: Record<string, string[]>) => {
    const asked: string[] = [];
    const resolve = async (host: string) => {
      asked.push(host);
      if (!table[host]) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return table[host];
    };
    return { resolve, asked };
  };

  it('never resolves a name for a port that is not ours', async () => {
    const { resolve, asked } = resolver({});
    expect(await checkSelf('anything.example', 443, [8899, 8900], resolve)).toEqual({ self: false });
    expect(asked).toEqual([]);
  });

  it.each(['LOCALHOST', 'localhost.', 'api.localhost', '127.1', '[::1]', '0x7f000001'])(
    '%s on our port is us, without asking the resolver',
    async (host) => {
      const { resolve, asked } = resolver({});
      expect((await checkSelf(host, 8900, [8899, 8900], resolve)).self).toBe(true);
      expect(asked).toEqual([]);
    },
  );

  it('a name that resolves to this machine on our port is us; elsewhere, the checked address is the one to connect to', async () => {
    const { resolve } = resolver({ 'rebind.example': ['203.0.113.9', '127.0.0.1'], 'far.example': ['203.0.113.9'] });
    expect(await checkSelf('rebind.example', 8899, [8899], resolve)).toMatchObject({
      self: true,
      why: expect.stringContaining('127.0.0.1'),
    });
    expect(await checkSelf('far.example', 8899, [8899], resolve)).toEqual({ self: false, address: '203.0.113.9' });
  });

  it('a name that cannot be resolved on our port is refused: it could resolve to us on the next try', async () => {
    const { resolve } = resolver({});
    expect(await checkSelf('nowhere.example', 8899, [8899], resolve)).toMatchObject({
      self: true,
      why: expect.stringContaining('ENOTFOUND'),
    });
  });
});

describe('what the gateway lets a browser do', () => {
  it.each([
    [{ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
    [{ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }],
    [{ 'sec-fetch-mode': 'nested-navigate' }],
    [{ 'sec-fetch-mode': 'same-origin', 'sec-fetch-dest': 'worker' }],
    [{ 'sec-fetch-mode': 'same-origin', 'sec-fetch-dest': 'serviceworker' }],
    [{ 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'object' }],
    [{ 'upgrade-insecure-requests': '1', accept: 'text/html' }],
    [{ 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' }],
  ])('refuses %o', (headers) => {
    expect(browserRefusal(headers)).toMatch(/gateway/);
  });

  it.each([
    [{}],
    [{ 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'cross-site', origin: 'null' }],
    [
      {
        'sec-fetch-mode': 'cors',
        'sec-fetch-dest': 'empty',
        'sec-fetch-site': 'same-site',
        origin: 'http://127.0.0.1:3000',
      },
    ],
    [{ 'user-agent': 'codex_exec/0.171.0', accept: 'text/event-stream' }],
  ])('lets an API call through: %o', (headers) => {
    expect(browserRefusal(headers)).toBeNull();
  });

  it('drops cookies meant for 127.0.0.1, sandboxes every answer and keeps redirects in the gateway', () => {
    const target = {
      scheme: 'https' as const,
      host: 'api.example',
      port: 443,
      clientAddress: '',
      gateway: { base: 'http://127.0.0.1:8899/https/api.example', prefix: '/https/api.example' },
    };
    const out = gatewayResponseHeaders(
      [
        'Set-Cookie',
        'a=1',
        'set-cookie2',
        'b=2',
        'Clear-Site-Data',
        '"cookies"',
        'Location',
        'https://api.example/next',
        'Content-Type',
        'text/html',
      ],
      target,
    );
    expect(out).toEqual([
      'Location',
      'http://127.0.0.1:8899/https/api.example/next',
      'Content-Type',
      'text/html',
      'Content-Security-Policy',
      'sandbox',
      'X-Content-Type-Options',
      'nosniff',
    ]);
    // Not a gateway request: the upstream's head as it came.
    expect(gatewayResponseHeaders(['Set-Cookie', 'a=1'], { ...target, gateway: undefined })).toEqual([
      'Set-Cookie',
      'a=1',
    ]);
  });

  it('reads the Host a client sent, or nothing usable', () => {
    expect(parseHostHeader('127.0.0.1:8899')).toEqual({ host: '127.0.0.1', port: 8899 });
    expect(parseHostHeader('[::1]:8899')).toEqual({ host: '::1', port: 8899 });
    expect(parseHostHeader('localhost')).toEqual({ host: 'localhost', port: 80 });
    for (const bad of [undefined, '', 'a b', 'x:99999', 'x/y', 'x:0']) expect(parseHostHeader(bad)).toBeNull();
  });
});

// A name that resolves to this machine, as a DNS rebinding attacker's name would.
const lookup: LookupFunction = ((host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) => {
  const address = host === 'rebound.example' ? '127.0.0.1' : host === 'localhost' ? '127.0.0.1' : null;
  if (!address) return done(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
  if (options?.all) return done(null, [{ address, family: 4 }]);
  done(null, address, 4);
}) as unknown as LookupFunction;

let h: Harness;
let local: http.Server;
let localHits = 0;
beforeAll(async () => {
  h = await startHarness({ lookup });
  // Another service on this machine, which the gateway may still reach (a local model server).
  local = http.createServer((req, res) => {
    localHits++;
    res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'local_session=s3cr3t-local; HttpOnly' });
    res.end(`<script>document.title = 'ran'</script>${JSON.stringify(req.headers)}`);
  });
  await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => local?.close(r));
  await h?.close();
});

const curl = (args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(
      'curl',
      ['-s', '--noproxy', '*', '--max-time', '20', ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );

describe('the gateway never reaches wirelog itself, and never goes round', () => {
  const spellings = (port: number) => [
    `LOCALHOST:${port}`,
    `Localhost.:${port}`,
    `127.1:${port}`,
    `0x7f000001:${port}`,
    `2130706433:${port}`,
    `0177.0.0.1:${port}`,
    `[::ffff:127.0.0.1]:${port}`,
    `[::1]:${port}`,
    `127.9.9.9:${port}`,
    `rebound.example:${port}`,
    `wirelog.localhost:${port}`,
  ];

  it('refuses each spelling of the viewer and the proxy at the first hop: one exchange each, 508, and the viewer API never answers', async () => {
    const proxyPort = h.wirelog.proxy.port;
    const viewerPort = h.wirelog.viewer!.port;
    const before = h.wirelog.reader.list({ limit: 10_000 }).length;
    let sent = 0;
    for (const port of [viewerPort, proxyPort]) {
      for (const authority of spellings(port)) {
        const res = await curl(['-i', `http://127.0.0.1:${proxyPort}/http/${authority}/api/exchanges`]);
        sent++;
        expect(res.stdout, authority).toMatch(/^HTTP\/1\.1 508 /);
        expect(res.stdout).toMatch(/content-security-policy: sandbox/i);
        expect(res.stdout).not.toMatch(/"exchanges"|"items"/);
      }
    }
    await h.stored();
    const added = h.wirelog.reader.list({ limit: 10_000 }).length - before;
    expect(added).toBe(sent);
    const refused = h.wirelog.reader
      .list({ limit: 10_000 })
      .filter((e) => /points at wirelog itself/.test(e.error ?? ''));
    expect(refused).toHaveLength(sent);
    // Stored by the address the client used, which HAR readers can parse.
    for (const e of refused)
      expect(`${e.request.scheme}://${e.request.host}:${e.request.port}${e.request.path}`).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${proxyPort}/http/`),
      );
  });

  it('refuses the same through the proxy (absolute form, CONNECT) and a WebSocket upgrade through the gateway', async () => {
    const proxyPort = h.wirelog.proxy.port;
    const viewerPort = h.wirelog.viewer!.port;
    const absolute = await curl([
      '-i',
      '--proxy',
      `http://127.0.0.1:${proxyPort}`,
      '--noproxy',
      '',
      `http://127.1:${viewerPort}/api/status`,
    ]);
    expect(absolute.stdout).toMatch(/^HTTP\/1\.1 508 /);
    const connect = await sendRaw(
      proxyPort,
      `CONNECT rebound.example:${viewerPort} HTTP/1.1\r\nHost: rebound.example:${viewerPort}\r\n\r\n`,
    );
    expect(connect.toString()).toMatch(/^HTTP\/1\.1 508 /);
    const upgrade = await sendRaw(
      proxyPort,
      `GET /http/LOCALHOST:${proxyPort}/v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${proxyPort}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(upgrade.toString()).toMatch(/^HTTP\/1\.1 508 /);
  });

  it('still reaches another service on this machine, without its cookies either way, sandboxed', async () => {
    const port = (local.address() as AddressInfo).port;
    localHits = 0;
    const res = await curl([
      '-i',
      '-H',
      'Cookie: viewer_session=abc123; other=1',
      `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/page`,
    ]);
    expect(localHits).toBe(1);
    expect(res.stdout).toMatch(/^HTTP\/1\.1 200 /);
    const [head, body] = res.stdout.split('\r\n\r\n');
    expect(head).not.toMatch(/set-cookie/i);
    expect(head).toMatch(/content-security-policy: sandbox/i);
    expect(head).toMatch(/x-content-type-options: nosniff/i);
    expect(body).not.toContain('abc123');
    expect(body).not.toMatch(/"cookie"/);
    // What the upstream sent is still recorded, masked.
    await h.stored();
    const e = h.wirelog.reader.list({ limit: 100 }).find((x) => x.request.path === '/page')!;
    expect(headerValue(e.response!.headers, 'set-cookie')).toMatch(/^local_session=\*{4}/);
  });

  it('answers a browser navigation with what the gateway is for, without asking the upstream', async () => {
    const before = h.upstream.received.length;
    const res = await curl([
      '-i',
      '-H',
      'Sec-Fetch-Mode: navigate',
      '-H',
      'Sec-Fetch-Dest: document',
      '-H',
      'Sec-Fetch-Site: cross-site',
      `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/hostile.html`,
    ]);
    expect(res.stdout).toMatch(/^HTTP\/1\.1 403 /);
    expect(res.stdout).toMatch(/content-security-policy: sandbox/i);
    expect(res.stdout).toMatch(/for API clients/);
    expect(h.upstream.received.length).toBe(before);
    await h.stored();
    const refused = h.wirelog.reader.list({ limit: 100 }).find((x) => /for API clients/.test(x.error ?? ''))!;
    expect(refused.request).toMatchObject({
      host: '127.0.0.1',
      port: h.wirelog.proxy.port,
      path: `/https/localhost:${h.upstream.httpsPort}/hostile.html`,
    });
  });

  it('forwards no cookie to the upstream, and gives the client none of the upstream', async () => {
    const before = h.upstream.received.length;
    const res = await curl([
      '-i',
      '-H',
      'Cookie: local_session=s3cr3t-local',
      '-H',
      'Authorization: Bearer sk-kept-key-000011112222',
      `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/v1/models`,
    ]);
    expect(res.stdout).toMatch(/^HTTP\/1\.1 200 /);
    const received = h.upstream.received.slice(before);
    expect(received).toHaveLength(1);
    const names = received[0].rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).not.toContain('cookie');
    // The key the client chose to send still goes.
    expect(names).toContain('authorization');
  });
});

describe('what a refused loop is diagnosed as', () => {
  it('not as a failing relay: wirelog answered it itself', async () => {
    const { diagnose } = await import('../llm/diagnose.ts');
    const { harFlow } = await import('./support/exchange-factory.ts');
    const { exchange } = harFlow({
      request: { method: 'GET', scheme: 'http', host: '127.0.0.1', port: 8899, path: '/http/127.1:8900/api/exchanges' },
      response: { status: 508, statusText: 'Loop Detected', headers: [['Content-Type', 'text/plain; charset=utf-8']] },
      responseBody: [
        'wirelog: this request points at wirelog itself (127.0.0.1:8900 is this machine): a loop\n',
        'text/plain',
      ],
      exchange: {
        state: 'proxy_error',
        error: 'this request points at wirelog itself (127.0.0.1:8900 is this machine): a loop',
      },
    });
    const found = diagnose({
      exchange,
      call: null,
      responseText: 'wirelog: this request points at wirelog itself: a loop\n',
      earlier: [],
      modelsListed: null,
    });
    expect(found.map((d) => d.rule)).not.toContain('server-error');
  });
});
