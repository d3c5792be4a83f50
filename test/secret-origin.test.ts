// The rule of where a captured secret may go (replay/secret-origin.ts), and the request every
// replay path builds (replay/request.ts) with it applied: pure, no sockets.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Exchange, RequestHead } from '../model/exchange.ts';
import { fixEdits } from '../replay/fix.ts';
import { buildReplay, ReplayRefused, type ReplayRequest } from '../replay/request.ts';
import {
  canonicalHost,
  originOf,
  parseConsent,
  sameOrigin,
  secretMayGo,
  urlOrigin,
  type Origin,
} from '../replay/secret-origin.ts';

const origin = (url: string): Origin => urlOrigin(new URL(url));

describe('the origin of a secret', () => {
  it('is one spelling per host: case, a trailing dot, IDN in Unicode or punycode, IPv4 and IPv6 forms', () => {
    const same = [
      ['API.Example.COM', 'api.example.com'],
      ['api.example.com.', 'api.example.com'],
      ['api.example.com..', 'api.example.com'],
      ['BÜCHER.example', 'xn--bcher-kva.example'],
      ['bücher.example.', 'xn--bcher-kva.example'],
      ['example。com', 'example.com'],
      ['127.1', '127.0.0.1'],
      ['0x7f.0.0.1', '127.0.0.1'],
      ['[0:0::1]', '::1'],
      ['0:0:0:0:0:0:0:1', '::1'],
    ];
    for (const [spelled, canonical] of same) expect(canonicalHost(spelled), spelled).toBe(canonical);
    expect(canonicalHost('api.example.com')).not.toBe(canonicalHost('api.example.co'));
  });

  it('has the scheme and port with their defaults: wss is https, ws is http, 443 written or not is 443', () => {
    expect(origin('https://a.example/x')).toEqual({ scheme: 'https', host: 'a.example', port: 443 });
    expect(origin('HTTPS://A.EXAMPLE.:443/x')).toEqual({ scheme: 'https', host: 'a.example', port: 443 });
    expect(origin('http://a.example')).toEqual({ scheme: 'http', host: 'a.example', port: 80 });
    expect(originOf('wss', 'A.example', 443)).toEqual(origin('https://a.example'));
    expect(originOf('ws', 'a.example', 80)).toEqual(origin('http://a.example:80'));
    expect(sameOrigin(origin('https://a.example:8443'), origin('https://a.example'))).toBe(false);
    expect(() => originOf('ftp', 'a.example', 21)).toThrow(/ftp/);
  });
});

describe('the rule: may a secret captured for one origin go to another?', () => {
  const captured = origin('https://api.example.com');
  it('to its own origin, however spelled: yes', () => {
    expect(secretMayGo(captured, origin('https://API.example.com.:443/v2'), null)).toEqual({ send: true });
    expect(secretMayGo(origin('http://local.test:8080'), origin('http://local.test:8080/x'), null)).toEqual({
      send: true,
    });
  });

  it('to another host, port or scheme: only with consent naming exactly that host and port', () => {
    for (const target of [
      'https://api.example.com:8443',
      'https://evil.example',
      'https://api.example.com.evil.example',
      'https://127.0.0.1',
    ]) {
      expect(secretMayGo(captured, origin(target), null), target).toEqual({ send: false, reason: 'other-origin' });
      const t = origin(target);
      expect(secretMayGo(captured, t, { host: t.host, port: t.port }), target).toEqual({ send: true });
      expect(secretMayGo(captured, t, { host: 'api.example.com', port: 443 }), target).toEqual({
        send: false,
        reason: 'other-origin',
      });
    }
    // Plain HTTP up to HTTPS is another origin, not a downgrade.
    expect(secretMayGo(origin('http://api.example.com'), origin('https://api.example.com'), null)).toEqual({
      send: false,
      reason: 'other-origin',
    });
  });

  it('from HTTPS to plain HTTP: never, on the same host and port, and even with consent', () => {
    const sameHostPort = origin('http://api.example.com:443');
    expect(secretMayGo(captured, sameHostPort, null)).toEqual({ send: false, reason: 'downgrade' });
    expect(secretMayGo(captured, sameHostPort, { host: 'api.example.com', port: 443 })).toEqual({
      send: false,
      reason: 'downgrade',
    });
    expect(secretMayGo(captured, origin('http://api.example.com'), { host: 'api.example.com', port: 80 })).toEqual({
      send: false,
      reason: 'downgrade',
    });
    expect(secretMayGo(origin('wss://api.example.com'), origin('ws://api.example.com'), null)).toEqual({
      send: false,
      reason: 'downgrade',
    });
  });

  it('reads consent as HOST[:PORT], the port defaulting to the target scheme, and nothing else', () => {
    const https = origin('https://b.example');
    expect(parseConsent('b.example', https)).toEqual({ host: 'b.example', port: 443 });
    expect(parseConsent('B.Example.:8443', https)).toEqual({ host: 'b.example', port: 8443 });
    expect(parseConsent('bücher.example', https)).toEqual({ host: 'xn--bcher-kva.example', port: 443 });
    expect(parseConsent('[::1]:9000', https)).toEqual({ host: '::1', port: 9000 });
    expect(parseConsent('b.example', origin('http://b.example'))).toEqual({ host: 'b.example', port: 80 });
    for (const bad of [
      'https://b.example',
      'b.example/x',
      'b.example:0',
      'b.example:70000',
      'user@b.example',
      'a b',
      '',
      ':443',
    ])
      expect(parseConsent(bad, https), bad).toBeNull();
  });
});

function head(headers: RequestHead['headers'], extra: Partial<RequestHead> = {}): RequestHead {
  return {
    startedAt: 0,
    clientAddress: '127.0.0.1:1',
    method: 'POST',
    scheme: 'https',
    host: 'relay.example',
    port: 443,
    path: '/v1/chat/completions',
    httpVersion: '1.1',
    headers,
    ...extra,
  };
}

function exchange(request: RequestHead, encoding = ''): Exchange {
  return {
    id: 7,
    uid: 'u7',
    request,
    response: { status: 200, statusText: '', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: {},
    requestBody: { size: 2, storedSize: 2, truncated: false, encoding },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

const KEY = 'sk-real-key-ABCDEFGH-0001';
const QKEY = 'AIzaRealQueryKey-QQ42';
const BKEY = 'real-body-secret-BB77';

/** Every byte that would leave: URL, headers, body, messages. */
function wire(r: ReplayRequest): string {
  return [
    r.url.toString(),
    ...r.headers.flat(),
    r.body?.toString('latin1') ?? '',
    ...r.messages.map((m) => m.toString('latin1')),
  ].join('\n');
}

function leaks(r: ReplayRequest): string[] {
  return [KEY, QKEY, BKEY].flatMap((k) => [k, k.slice(-4)]).filter((piece) => wire(r).includes(piece));
}

describe('a replay built for another origin', () => {
  // Captured masked: the real values are in memory.
  const masked = exchange(
    head(
      [
        ['authorization', 'Bearer ****0001'],
        ['content-type', 'application/json'],
      ],
      {
        path: '/v1beta/models/m:generateContent?key=****QQ42&alt=sse',
        secrets: [
          { name: 'authorization', fingerprint: 'f' },
          { name: '?key', fingerprint: 'g' },
        ],
      },
    ),
  );
  const storedBody = Buffer.from('{"model":"m","api_key":"****BB77"}');
  const remembered = {
    headers: [['authorization', `Bearer ${KEY}`]] as [string, string][],
    path: `/v1beta/models/m:generateContent?key=${QKEY}&alt=sse`,
    body: Buffer.from(`{"model":"m","api_key":"${BKEY}"}`),
  };

  it('its own origin, however spelled, gets every real value back, as before', () => {
    for (const url of [undefined, 'https://RELAY.example.:443/v1beta/models/m:generateContent?key=****QQ42&alt=sse']) {
      const sent = buildReplay(masked, storedBody, remembered, { url });
      expect(sent.withheld).toEqual([]);
      expect(sent.headers).toContainEqual(['authorization', `Bearer ${KEY}`]);
      expect(sent.url.search).toBe(`?key=${QKEY}&alt=sse`);
      expect(sent.body?.toString()).toContain(BKEY);
    }
  });

  it('another host: the key header is dropped, the key parameter dropped, the body member masked; no byte of any key, not even a masked tail', () => {
    const sent = buildReplay(masked, storedBody, remembered, {
      url: 'https://other.example/v1beta/models/m:generateContent?key=****QQ42&alt=sse',
    });
    expect(leaks(sent)).toEqual([]);
    expect(sent.headers).toEqual([['content-type', 'application/json']]);
    expect(sent.url.toString()).toBe('https://other.example/v1beta/models/m:generateContent?alt=sse');
    expect(JSON.parse(sent.body!.toString())).toEqual({ model: 'm', api_key: '****' });
    expect(sent.withheld.map((w) => [w.name, w.reason, w.allowWith])).toEqual([
      ['authorization', 'other-origin', 'other.example:443'],
      ['?key', 'other-origin', 'other.example:443'],
      ['body:api_key', 'other-origin', 'other.example:443'],
    ]);
    expect(sent.withheld[0].message).toBe(
      'authorization withheld: it was captured for https://relay.example:443, and this replay goes to https://other.example:443; to send it there, confirm other.example:443 (--send-secrets-to other.example:443)',
    );
  });

  it('a key the user moved elsewhere (another header, the path, the body) is still that key', () => {
    const sent = buildReplay(masked, storedBody, remembered, {
      url: `https://other.example/bot${KEY}/send?q=${encodeURIComponent(QKEY)}`,
      headers: [
        ['x-custom', `token ${KEY}`],
        ['x-note', 'hello'],
      ],
      body: `{"text":"my key is ${KEY}","query":"${QKEY}"}`,
    });
    expect(leaks(sent)).toEqual([]);
    expect(sent.headers).toEqual([['x-note', 'hello']]);
    expect(sent.withheld.map((w) => w.name)).toEqual([
      'x-custom',
      '?q',
      'URL path',
      'body (authorization)',
      'body (?key)',
    ]);
  });

  it('with consent naming the target the real values go; consent naming anything else is refused', () => {
    const sent = buildReplay(masked, storedBody, remembered, {
      url: 'https://other.example:8443/v1beta/models/m:generateContent?key=****QQ42&alt=sse',
      sendSecretsTo: 'OTHER.example:8443',
    });
    expect(sent.withheld).toEqual([]);
    expect(wire(sent)).toContain(KEY);
    expect(sent.url.search).toBe(`?key=${QKEY}&alt=sse`);
    expect(() =>
      buildReplay(masked, storedBody, remembered, {
        url: 'https://other.example:8443/x',
        sendSecretsTo: 'other.example',
      }),
    ).toThrow(
      /names other\.example:443, but this replay goes to https:\/\/other\.example:8443: name exactly other\.example:8443/,
    );
    expect(() =>
      buildReplay(masked, storedBody, remembered, {
        url: 'https://other.example/x',
        sendSecretsTo: 'https://other.example',
      }),
    ).toThrow(ReplayRefused);
  });

  it('plain HTTP on the same host: withheld even with consent, and a missing key is not asked for', () => {
    for (const sendSecretsTo of [undefined, 'relay.example:80']) {
      const sent = buildReplay(masked, storedBody, null, {
        url: 'http://relay.example/v1beta/models/m:generateContent?key=****QQ42&alt=sse',
        sendSecretsTo,
      });
      expect(leaks(sent)).toEqual([]);
      expect(sent.withheld.map((w) => [w.name, w.reason, w.allowWith])).toEqual([
        ['authorization', 'downgrade', null],
        ['?key', 'downgrade', null],
        ['body:api_key', 'downgrade', null],
      ]);
      expect(sent.withheld[0].message).toBe(
        'authorization withheld: it was captured over HTTPS (https://relay.example:443), and a secret captured over HTTPS is never sent over plain HTTP (http://relay.example:80)',
      );
    }
  });

  it('secrets kept in storage (--keep-secrets, a HAR) count as captured for the exchange own origin, a compressed body included', () => {
    const body = Buffer.from(`{"model":"m","client_secret":{"value":"${BKEY}"}}`);
    const kept = exchange(
      head(
        [
          ['Authorization', `Bearer ${KEY}`],
          ['Cookie', `theme=dark; sid=${QKEY}`],
          ['content-type', 'application/json'],
          ['content-encoding', 'gzip'],
        ],
        { path: `/v1/x?api_key=${QKEY}` },
      ),
      'gzip',
    );
    const same = buildReplay(kept, zlib.gzipSync(body), null, {});
    expect(same.withheld).toEqual([]);
    expect(wire(same)).toContain(KEY);
    const other = buildReplay(kept, zlib.gzipSync(body), null, { url: `https://other.example/v1/x?api_key=${QKEY}` });
    expect(leaks(other)).toEqual([]);
    expect(other.headers).toEqual([['content-type', 'application/json']]); // decoded to be cleaned: sent as identity
    expect(JSON.parse(other.body!.toString())).toEqual({ model: 'm', client_secret: { value: '****' } });
    const broken = exchange(kept.request, 'br');
    expect(() => buildReplay(broken, Buffer.from('not brotli'), null, { url: 'https://other.example/v1/x' })).toThrow(
      /cannot take out the secrets captured for https:\/\/relay\.example:443/,
    );
  });

  it('a secret masked whole ("****") holds nothing of the key: its header is still dropped, but a body holding it is sent as it is', () => {
    const body = zlib.gzipSync(Buffer.from('{"model":"m","api_key":"****"}'));
    const short = exchange(
      head(
        [
          ['x-api-key', '****'],
          ['content-type', 'application/json'],
          ['content-encoding', 'gzip'],
        ],
        { secrets: [{ name: 'x-api-key', fingerprint: 'f' }] },
      ),
      'gzip',
    );
    const sent = buildReplay(short, body, null, { url: 'https://other.example/v1/chat/completions' });
    expect(sent.headers).toEqual([
      ['content-type', 'application/json'],
      ['content-encoding', 'gzip'],
    ]);
    expect(sent.body).toEqual(body);
    expect(sent.withheld.map((w) => w.name)).toEqual(['x-api-key']);
  });

  it("a WebSocket's client messages are cleaned like a body", () => {
    const ws = {
      ...exchange(head([['authorization', `Bearer ${KEY}`]], { scheme: 'wss', method: 'GET', path: '/v1/responses' })),
      streamKind: 'websocket' as const,
    };
    const messages = [
      Buffer.from(`{"type":"session.update","api_key":"${BKEY}"}`),
      Buffer.from(`{"type":"response.create","note":"${KEY}"}`),
    ];
    const other = buildReplay(ws, Buffer.alloc(0), null, { url: 'wss://other.example/v1/responses' }, messages);
    expect(leaks(other)).toEqual([]);
    expect(other.messages.map((m) => JSON.parse(m.toString()))).toEqual([
      { type: 'session.update', api_key: '****' },
      { type: 'response.create', note: '****' },
    ]);
    expect(
      buildReplay(ws, Buffer.alloc(0), null, { url: 'WSS://relay.example/v1/responses' }, messages).messages,
    ).toEqual(messages);
  });

  it('a fix that changes the URL: another path of the same origin keeps the key, another host or scheme does not get it', () => {
    const fix = (url: string) =>
      buildReplay(
        masked,
        storedBody,
        remembered,
        fixEdits(masked, { kind: 'url', url }, {}, { bodyText: null, workingKey: () => null }),
      );
    const samePath = fix('https://relay.example/v1/responses');
    expect(samePath.withheld).toEqual([]);
    expect(samePath.headers).toContainEqual(['authorization', `Bearer ${KEY}`]);
    for (const url of [
      'https://relay.example.evil.example/v1/responses',
      'https://relay.example:8443/v1/responses',
      'http://relay.example/v1/responses',
    ]) {
      const moved = fix(url);
      expect(leaks(moved), url).toEqual([]);
      expect(
        moved.withheld.map((w) => w.name),
        url,
      ).toContain('authorization');
    }
  });

  it("a fix's borrowed key is judged by the origin it was captured for, not the exchange's", () => {
    const plain = exchange(head([['content-type', 'application/json']], { scheme: 'http', port: 443 }));
    const working = {
      where: 'header' as const,
      name: 'Authorization',
      value: `Bearer ${KEY}`,
      origin: origin('https://relay.example'),
    };
    const edits = fixEdits(
      plain,
      { kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' },
      {},
      { bodyText: null, workingKey: () => working },
    );
    const sent = buildReplay(plain, Buffer.from('{}'), null, edits);
    expect(leaks(sent)).toEqual([]);
    expect(sent.withheld.map((w) => [w.name, w.reason])).toEqual([['Authorization', 'downgrade']]);
    // Over HTTPS to the host and port it was captured for, it goes.
    const https = exchange(head([['content-type', 'application/json']]));
    expect(
      wire(
        buildReplay(
          https,
          Buffer.from('{}'),
          null,
          fixEdits(
            https,
            { kind: 'header', name: 'Authorization', value: null },
            {},
            { bodyText: null, workingKey: () => working },
          ),
        ),
      ),
    ).toContain(KEY);
  });
});
