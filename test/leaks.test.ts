import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import type { ExchangeDetail } from '../viewer/app/api-client.ts';
import { runCli } from './support/cli.ts';
import { sendRaw, startHarness, tempDir, type Harness } from './support/harness.ts';

// Every value is distinctive: a match anywhere can only be a leak. Each ends in its own four
// characters, which are the part the masked form may show.
let n = 0;
const secret = (what: string) => `LEAK${what}${'x'.repeat(8)}${String(n++).padStart(4, '0')}`;
const S = {
  bearer: secret('bearer'),
  headers: Object.fromEntries(
    [
      'x-api-key',
      'api-key',
      'x-goog-api-key',
      'x-auth-token',
      'Helicone-Auth',
      'cf-aig-authorization',
      'x-portkey-api-key',
      'Ocp-Apim-Subscription-Key',
      'X-Amz-Security-Token',
      'X-Relay-Token',
    ].map((h) => [h, secret(h.replace(/\W/g, ''))]),
  ),
  cookieNamed: secret('cookienamed'),
  cookieBare: secret('cookiebare'),
  setCookieBare: secret('setcookiebare'),
  basicPassword: secret('basicpassword'),
  params: Object.fromEntries(
    ['key', 'api_key', 'token', 'x-api-key', 'auth', 'sig', 'client_secret', 'access_token', 'key[]'].map((p) => [
      p,
      secret(p.replace(/\W/g, '')),
    ]),
  ),
  matrix: secret('matrix'),
  semicolonPair: secret('semicolonpair'),
  encodedName: secret('encodedname'),
  userinfo: secret('userinfo'),
  bodyKey: secret('bodykey'),
  answerKey: secret('answerkey'),
  wsHeader: secret('wsheader'),
  wsMessage: secret('wsmessage'),
  splitBearer: secret('splitbearer'),
  splitOversize: secret('splitoversize'),
  bareLf: secret('barelf'),
  http10: secret('httpten'),
  viewerToken: secret('viewertoken'),
};
const ALL: string[] = [
  S.bearer,
  ...Object.values(S.headers),
  S.cookieNamed,
  S.cookieBare,
  S.setCookieBare,
  S.basicPassword,
  ...Object.values(S.params),
  S.matrix,
  S.semicolonPair,
  S.encodedName,
  S.userinfo,
  S.bodyKey,
  S.answerKey,
  S.wsHeader,
  S.wsMessage,
  S.splitBearer,
  S.splitOversize,
  S.bareLf,
  S.http10,
  S.viewerToken,
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const query = () =>
  Object.entries(S.params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${v}`)
    .join('&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a request head in pieces, pausing between them, as a slow network splits it. */
function sendInSegments(pieces: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(h.wirelog.proxy.port, '127.0.0.1', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        // The pause is the scenario (segments apart, as a slow network sends them); a busy
        // machine that joins them only tests the unsplit case, which must not leak either.
        await sleep(60);
      }
    });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

describe('no secret from any place AI stacks put them reaches the disk or leaves through wirelog', () => {
  it('headers, cookies, Basic credentials, query and matrix parameters, user info, JSON bodies, WebSocket, refused and split requests, HTTP/1.0', async () => {
    // https through a tunnel: headers, cookies, Basic, every query form, and a JSON body with a key; the answer holds one too.
    const res = await request(
      `${h.upstream.httpsUrl}/v1/keys;key=${S.matrix}?${query()}&a=1;key=${S.semicolonPair}&%41PI-KEY=${S.encodedName}`,
      {
        method: 'POST',
        dispatcher: h.agent(),
        headers: {
          authorization: `Bearer ${S.bearer}`,
          ...S.headers,
          cookie: `session=${S.cookieNamed}; ${S.cookieBare}`,
          'x-return-key': S.answerKey,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'm', api_key: S.bodyKey, max_tokens: 5 }),
      },
    );
    expect(((await res.body.json()) as { data: { key: string }[] }).data[0].key).toBe(S.answerKey);
    // The upstream got every secret as sent: masking is for what wirelog keeps, not what it forwards.
    const forwarded = h.upstream.received[h.upstream.received.length - 1];
    const forwardedHead = JSON.stringify([forwarded.url, forwarded.rawHeaders]);
    for (const value of [
      S.bearer,
      ...Object.values(S.headers),
      S.cookieNamed,
      S.cookieBare,
      ...Object.values(S.params),
      S.matrix,
    ])
      expect(forwardedHead).toContain(value);
    expect(forwarded.body.toString()).toContain(S.bodyKey);
    // Plain http, absolute form with user info, as a Set-Cookie without a name comes back.
    const plain = await sendRaw(
      h.wirelog.proxy.port,
      `GET http://user:${S.userinfo}@127.0.0.1:${h.upstream.httpPort}/v1/models?token=${S.viewerToken} HTTP/1.1\r\nHost: 127.0.0.1:${h.upstream.httpPort}\r\nCookie: ${S.cookieBare}\r\nAuthorization: Basic ${Buffer.from(`alice:${S.basicPassword}`).toString('base64')}\r\nConnection: close\r\n\r\n`,
    );
    expect(plain.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    // HTTP/1.0, no Host.
    const old = await sendRaw(
      h.wirelog.proxy.port,
      `GET http://127.0.0.1:${h.upstream.httpPort}/v1/models?key=${S.http10} HTTP/1.0\r\nAuthorization: Bearer ${S.http10}\r\n\r\n`,
    );
    expect(old.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    // A valid request whose Authorization value arrives in another segment is masked as usual.
    const split = await sendInSegments([
      `GET http://127.0.0.1:${h.upstream.httpPort}/v1/models?split HTTP/1.1\r\nHost: x\r\nAuthorization: `,
      `Bearer ${S.splitBearer}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(split).toMatch(/^HTTP\/1\.1 200 /);
    // Refused requests, their heads split: a bad header after a key, an oversize head, bare LF lines.
    const refusedSplit = await sendInSegments([
      `GET http://127.0.0.1:1/ HTTP/1.1\r\nAuthorization: `,
      `Bearer ${S.splitBearer}\r\nBad Header\r\n\r\n`,
    ]);
    expect(refusedSplit).toMatch(/^HTTP\/1\.1 400 /);
    const oversize = await sendInSegments([
      `GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(15_000)}\r\n`,
      `x-api-key: ${S.splitOversize}${'y'.repeat(4000)}\r\n\r\n`,
    ]);
    expect(oversize).toMatch(/^HTTP\/1\.1 431 /);
    const bareLf = await sendInSegments([
      `GET /v1/models\nX-Api-Key: ${S.bareLf}\nAuthorization: Bearer ${S.bareLf}\n\n`,
    ]);
    expect(bareLf).toMatch(/^HTTP\/1\.1 400 /);
    // WebSocket: the key on the upgrade and inside a message.
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
      ca: h.caPem,
      headers: { Authorization: `Bearer ${S.wsHeader}` },
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'response.create', model: 'm', session: { api_key: S.wsMessage } }));
    await new Promise((r) => ws.once('message', r));
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await h.stored();

    // Everything that leaves wirelog, and everything it keeps.
    const har = path.join(tempDir(), 'leak.har');
    expect((await runCli(['export', '--har', har, '--data-dir', h.dataDir])).code).toBe(0);
    const listed = await runCli(['list', '--json', '--limit', '1000', '--data-dir', h.dataDir]);
    const viewer = h.wirelog.viewer!.url;
    const api: string[] = [await (await fetch(`${viewer}/api/exchanges?limit=1000`)).text()];
    const copied: string[] = [];
    for (const e of h.wirelog.reader.list({ limit: 1000 })) {
      const detail = (await (await fetch(`${viewer}/api/exchanges/${e.id}`)).json()) as ExchangeDetail;
      api.push(JSON.stringify(detail), await (await fetch(`${viewer}/api/exchanges/${e.id}/events`)).text());
      for (const target of ['curl', 'fetch', 'python'])
        copied.push(await (await fetch(`${viewer}/api/exchanges/${e.id}/snippet?target=${target}`)).text());
    }
    const db = databasePath(h.dataDir);
    const places: [string, string][] = [
      ...[db, `${db}-wal`, `${db}-shm`]
        .filter((f) => fs.existsSync(f))
        .map((f): [string, string] => [path.basename(f), fs.readFileSync(f).toString('latin1')]),
      ['HAR export', fs.readFileSync(har, 'latin1')],
      ['list --json', listed.stdout],
      ['the API', api.join('\n')],
      ['the code snippets', copied.join('\n')],
    ];
    const leaks: string[] = [];
    for (const [place, text] of places)
      for (const s of ALL) if (text.includes(s) || text.includes(s.slice(0, -4))) leaks.push(`${s} in ${place}`);
    expect(leaks).toEqual([]);
    // What is stored instead: the last four characters, to tell keys apart; Basic shows the user.
    const tunneled = h.wirelog.reader.list().find((e) => e.request.path.startsWith('/v1/keys'))!;
    expect(tunneled.request.headers).toContainEqual(['authorization', `Bearer ****${S.bearer.slice(-4)}`]);
    const basic = h.wirelog.reader.list().find((e) => e.request.path.includes('/v1/models?token='))!;
    expect(basic.request.headers).toContainEqual(['Authorization', 'Basic alice:****']);
    expect(
      h.wirelog.reader
        .list()
        .filter((e) => e.state === 'proxy_error')
        .map((e) => [e.request.method, e.request.path]),
    ).not.toContainEqual(['Bearer', expect.anything()]);
  });
});
