// proxy/gateway.ts: the gateway URL form (`/https/HOST[:PORT]/PATH`, `/t/TOKEN/...` beyond
// loopback), read against the rules it relies on: a URI scheme is case-insensitive and a host
// may be a bracketed IPv6 literal (RFC 3986 3.1, 3.2.2); a client may percent-encode the `:` of
// the authority segment; Host is uri-host [":" port] (RFC 9110 7.2); Location and
// Content-Location are resolved against the request's URL (RFC 9110 10.2.2, RFC 3986 5), so a
// redirect rewritten into the gateway form must resolve to the gateway form of where the
// upstream sent the client; browsers mark navigations with Fetch Metadata (Sec-Fetch-Mode,
// -Dest, -Site) or, without it, Upgrade-Insecure-Requests.
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Target } from '../proxy/forward-types.ts';
import {
  browserRefusal,
  GATEWAY_SAFETY_HEADERS,
  gatewayAuthority,
  gatewayBase,
  gatewayResponseHeaders,
  gatewayRoute,
  isGatewayPath,
  parseHostHeader,
  type GatewayRefusal,
  type GatewayRoute,
} from '../proxy/gateway.ts';

const PORT = 8899;

/** A request as the gateway sees it: its URL and Node's lower-cased headers. */
function request(url: string, headers: http.IncomingHttpHeaders = { host: `127.0.0.1:${PORT}` }): http.IncomingMessage {
  return { url, headers } as http.IncomingMessage;
}

function route(url: string, headers?: http.IncomingHttpHeaders, token: string | null = null): GatewayRoute {
  const answer = gatewayRoute(request(url, headers), PORT, token, '127.0.0.1:50000');
  if ('status' in answer) throw new Error(`refused ${answer.status}: ${answer.reason}`);
  return answer;
}

function refusal(url: string, headers?: http.IncomingHttpHeaders, token: string | null = null): GatewayRefusal {
  const answer = gatewayRoute(request(url, headers), PORT, token, '127.0.0.1:50000');
  if (!('status' in answer)) throw new Error(`routed to ${answer.target.host}${answer.path}`);
  return answer;
}

const where = (r: GatewayRoute) => `${r.target.scheme}://${r.target.host}:${r.target.port}${r.path}`;

describe('where a gateway URL goes', () => {
  it.each([
    ['/https/api.openai.com/v1/chat/completions', 'https://api.openai.com:443/v1/chat/completions'],
    ['/http/relay.example/v1/models', 'http://relay.example:80/v1/models'],
    ['/https/relay.example:8443/v1/models?limit=5', 'https://relay.example:8443/v1/models?limit=5'],
    ['/https/relay.example', 'https://relay.example:443/'],
    ['/https/relay.example?x=1', 'https://relay.example:443/?x=1'],
    ['/HTTPS/Relay.Example/v1', 'https://Relay.Example:443/v1'],
    ['/https/[::1]:8443/v1', 'https://::1:8443/v1'],
    ['/https/localhost%3A8443/v1', 'https://localhost:8443/v1'],
    ['/https/%5B%3A%3A1%5D%3A8443/v1', 'https://::1:8443/v1'],
    ['/https/relay.example/a%20b/c?q=%2F', 'https://relay.example:443/a%20b/c?q=%2F'],
  ])('%s -> %s', (url, expected) => {
    expect(where(route(url))).toBe(expected);
  });

  it('the fragment, which no client sends, is not part of the path form', () => {
    expect(refusal('/https/relay.example/v1#top').status).toBe(400);
  });

  it('a redirect back into the gateway keeps the form the client wrote, encoded or not', () => {
    expect(route('/https/localhost%3A8443/v1').target.gateway).toEqual({
      base: `http://127.0.0.1:${PORT}/https/localhost%3A8443`,
      prefix: '/https/localhost%3A8443',
    });
  });

  it('the client address is carried on', () => {
    expect(route('/https/relay.example/v1').target.clientAddress).toBe('127.0.0.1:50000');
  });

  it.each([
    ['/ftp/relay.example/x', 400],
    ['/https/', 400],
    ['/https/user@relay.example/x', 400],
    ['/https/relay.example:0/x', 400],
    ['/https/relay.example:65536/x', 400],
    ['/https/relay.example:123456/x', 400],
    ['/https/relay%ZZ.example/x', 400],
    ['/https/rel ay.example/x', 400],
  ])('%s is refused %d, with the form it should have', (url, status) => {
    const answer = refusal(url);
    expect(answer.status).toBe(status);
    expect(answer.reason).toMatch(/gateway URL/);
  });
});

describe('which paths are in the gateway form', () => {
  it.each([
    ['/https/relay.example/v1', true],
    ['/HTTP/relay.example', true],
    ['/t/abc/https/relay.example/v1', true],
    ['/v1/chat/completions', false],
    ['/httpsx/relay.example', false],
    ['http://relay.example/v1', false],
    [undefined, false],
  ])('%s: %s', (url, expected) => {
    expect(isGatewayPath(url)).toBe(expected);
  });
});

describe('the authority segment', () => {
  it.each([
    ['relay.example', { host: 'relay.example', rawPort: undefined }],
    ['relay.example:8443', { host: 'relay.example', rawPort: '8443' }],
    ['[2001:db8::1]:443', { host: '[2001:db8::1]', rawPort: '443' }],
    ['127.0.0.1%3a9000', { host: '127.0.0.1', rawPort: '9000' }],
  ])('%s', (segment, expected) => {
    expect(gatewayAuthority(segment)).toEqual(expected);
  });

  it.each([['a%'], ['user:pw@relay.example'], ['relay.example:port'], ['[::1'], ['a b'], ['a\\b'], ['']])(
    '%s is not host[:port]',
    (segment) => {
      expect(gatewayAuthority(segment)).toBeNull();
    },
  );
});

describe('the Host field (RFC 9110 7.2)', () => {
  it.each([
    ['127.0.0.1:8899', { host: '127.0.0.1', port: 8899 }],
    ['localhost', { host: 'localhost', port: 80 }],
    ['[::1]:8899', { host: '::1', port: 8899 }],
    ['api.example.com:443', { host: 'api.example.com', port: 443 }],
  ])('%s', (value, expected) => {
    expect(parseHostHeader(value)).toEqual(expected);
  });

  it.each([[undefined], [''], ['a b'], ['host:0'], ['host:65536'], ['[::1'], ['::1'], ['host:80:80'], ['u@host']])(
    '%s is not one',
    (value) => {
      expect(parseHostHeader(value)).toBeNull();
    },
  );
});

describe('who may use the gateway', () => {
  it.each([['127.0.0.1'], ['127.0.0.2'], ['localhost'], ['LOCALHOST'], ['[::1]']])(
    'on loopback, a request whose Host is %s with this port',
    (name) => {
      expect(where(route('/https/relay.example/v1', { host: `${name}:${PORT}` }))).toBe('https://relay.example:443/v1');
    },
  );

  it.each([
    [`relay.example:${PORT}`],
    [`attacker.example:${PORT}`],
    [`127.0.0.1:${PORT + 1}`],
    ['127.0.0.1'],
    [`10.0.0.5:${PORT}`],
  ])('on loopback, not one whose Host is %s (a page reached by DNS rebinding names its own host)', (host) => {
    const answer = refusal('/https/relay.example/v1', { host });
    expect(answer.status).toBe(403);
    expect(answer.reason).toContain(host);
  });

  it('on loopback, not one without a Host', () => {
    expect(refusal('/https/relay.example/v1', {}).reason).toMatch(/Host missing/);
  });

  it('beyond loopback, the path carries the token, and any Host will do', () => {
    const r = route('/t/s3cret/https/relay.example/v1', { host: '192.168.1.9:8899' }, 's3cret');
    expect(where(r)).toBe('https://relay.example:443/v1');
    expect(r.target.gateway).toEqual({
      base: 'http://192.168.1.9:8899/t/s3cret/https/relay.example',
      prefix: '/t/s3cret/https/relay.example',
    });
  });

  it.each([['/https/relay.example/v1'], ['/t/wrong!/https/relay.example/v1'], ['/t/s3cre/https/relay.example/v1']])(
    'beyond loopback, %s is refused 403',
    (url) => {
      expect(refusal(url, { host: '192.168.1.9:8899' }, 's3cret').status).toBe(403);
    },
  );
});

describe('browsers', () => {
  const api = { host: `127.0.0.1:${PORT}` };

  it.each([
    [{ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
    [{ 'sec-fetch-mode': 'nested-navigate' }],
    [{ 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'iframe' }],
    [{ 'sec-fetch-dest': 'worker' }],
    [{ 'sec-fetch-dest': 'serviceworker' }],
    [{ 'upgrade-insecure-requests': '1' }],
    [{ 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'empty' }],
  ])('are refused a page, or a call from a page served by the gateway: %o', (fetchMetadata) => {
    const answer = refusal('/https/relay.example/v1', { ...api, ...fetchMetadata });
    expect(answer.status).toBe(403);
  });

  it.each([
    [{ 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'empty' }],
    [{ 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'none', 'sec-fetch-dest': 'empty' }],
    [{ 'sec-fetch-mode': 'cors', 'upgrade-insecure-requests': '1' }],
    [{}],
  ])('pass for an API call from their own origin, or without Fetch Metadata: %o', (fetchMetadata) => {
    expect(browserRefusal(fetchMetadata)).toBeNull();
    expect(where(route('/https/relay.example/v1', { ...api, ...fetchMetadata }))).toBe('https://relay.example:443/v1');
  });

  it('Fetch Metadata values are matched whatever their case', () => {
    expect(browserRefusal({ 'sec-fetch-mode': 'Navigate' })).not.toBeNull();
    expect(browserRefusal({ 'sec-fetch-site': 'Same-Origin' })).not.toBeNull();
  });
});

describe("the gateway's base URL", () => {
  it.each([
    ['127.0.0.1', 8899, null, 'http://127.0.0.1:8899'],
    ['0.0.0.0', 8899, 'tok', 'http://127.0.0.1:8899/t/tok'],
    ['::', 8899, null, 'http://127.0.0.1:8899'],
    ['::1', 8899, null, 'http://[::1]:8899'],
    ['192.168.1.9', 80, 'tok', 'http://192.168.1.9:80/t/tok'],
  ])('%s:%d, token %s: %s', (host, port, token, expected) => {
    expect(gatewayBase(host, port, token)).toBe(expected);
  });
});

describe('response headers through the gateway', () => {
  const UPSTREAM_URL = 'https://relay.example/v1/models?page=1';
  const GATEWAY_URL = `http://127.0.0.1:${PORT}/https/relay.example/v1/models?page=1`;
  const target = (over: Partial<Target> = {}): Target => ({
    scheme: 'https',
    host: 'relay.example',
    port: 443,
    clientAddress: '127.0.0.1:1',
    gateway: { base: `http://127.0.0.1:${PORT}/https/relay.example`, prefix: '/https/relay.example' },
    ...over,
  });
  /** Where a client that follows a Location lands: resolved against the URL it asked for, then routed by the gateway. */
  const landing = (rewritten: string) => {
    const landed = new URL(rewritten, GATEWAY_URL);
    if (landed.origin !== `http://127.0.0.1:${PORT}`) return landed.href;
    const r = route(`${landed.pathname}${landed.search}`);
    return new URL(`${r.target.scheme}://${r.target.host}:${r.target.port}${r.path}`).href;
  };
  const location = (value: string, t = target()) => {
    const out = gatewayResponseHeaders(['Location', value], t);
    return out[1];
  };

  // Where the client lands (the rewritten Location resolved against the URL it asked the
  // gateway for, then routed) must be where the upstream sent it (the Location resolved against
  // the upstream URL); a redirect to the same upstream goes through the gateway, to be captured.
  it.each([
    ['https://relay.example/v2/models'],
    ['https://relay.example'],
    ['https://relay.example?page=2'],
    ['https://relay.example:443/v2'],
    ['HTTPS://RELAY.EXAMPLE/v2'],
    ['/v2/models'],
    ['/'],
    ['models?page=2'],
    ['../v2/models'],
    ['?page=2'],
    ['https://elsewhere.example/v1'],
    ['https://relay.example.evil.example/v1'],
    ['http://relay.example/v1'],
    ['//elsewhere.example/v1'],
    ['//relay.example/v2'],
  ])('Location %s lands where the upstream meant', (value) => {
    const rewritten = location(value);
    expect(landing(rewritten)).toBe(new URL(value, UPSTREAM_URL).href);
    const sameUpstream = new URL(value, UPSTREAM_URL).origin === 'https://relay.example';
    expect(new URL(rewritten, GATEWAY_URL).origin === `http://127.0.0.1:${PORT}`).toBe(sameUpstream);
  });

  it('an upstream on a port of its own is matched with that port only', () => {
    const t = target({
      port: 8443,
      gateway: { base: `http://127.0.0.1:${PORT}/https/relay.example:8443`, prefix: '/https/relay.example:8443' },
    });
    expect(location('https://relay.example:8443/v2', t)).toBe(`http://127.0.0.1:${PORT}/https/relay.example:8443/v2`);
    expect(location('https://relay.example/v2', t)).toBe('https://relay.example/v2');
  });

  it('an IPv6 upstream is matched in its bracketed form', () => {
    const t = target({ host: '::1', gateway: { base: 'http://127.0.0.1:8899/https/[::1]', prefix: '/https/[::1]' } });
    expect(location('https://[::1]/v2', t)).toBe('http://127.0.0.1:8899/https/[::1]/v2');
  });

  it('Content-Location is rewritten as Location is', () => {
    expect(gatewayResponseHeaders(['Content-Location', '/v1/x'], target()).slice(0, 2)).toEqual([
      'Content-Location',
      '/https/relay.example/v1/x',
    ]);
  });

  it('cookies and Clear-Site-Data for 127.0.0.1 are dropped; the rest kept in order; the safety fields added', () => {
    const flat = [
      'Content-Type',
      'application/json',
      'Set-Cookie',
      'session=1; Path=/',
      'set-cookie2',
      'x=1',
      'Clear-Site-Data',
      '"cookies"',
      'X-Request-Id',
      'r1',
    ];
    expect(gatewayResponseHeaders(flat, target())).toEqual([
      'Content-Type',
      'application/json',
      'X-Request-Id',
      'r1',
      ...GATEWAY_SAFETY_HEADERS,
    ]);
    expect(GATEWAY_SAFETY_HEADERS).toEqual(['Content-Security-Policy', 'sandbox', 'X-Content-Type-Options', 'nosniff']);
  });

  it('a request that did not come through the gateway gets its headers as they are', () => {
    const flat = ['Set-Cookie', 'a=1', 'Location', '/x'];
    expect(gatewayResponseHeaders(flat, target({ gateway: undefined }))).toBe(flat);
  });
});
