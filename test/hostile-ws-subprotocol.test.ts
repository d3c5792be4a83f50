// A credential sent as a WebSocket subprotocol (RFC 6455 4.1, Sec-WebSocket-Protocol), the only
// place a browser WebSocket can carry one: OpenAI's Realtime API reads
// `openai-insecure-api-key.KEY` (the Agents SDK's useInsecureApiKey, relays that copy it),
// Kubernetes `base64url.bearer.authorization.k8s.io.TOKEN`, Deepgram the item after `token`.
// It was stored whole: in the database, the API, a HAR export.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { maskHeaders } from '../model/secrets.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

const protocolOf = (value: string) => maskHeaders([['Sec-WebSocket-Protocol', value]])[0][1];

describe('masking a subprotocol list', () => {
  it('masks the credential items, keeping the last four characters and every other item', () => {
    expect(protocolOf('realtime, openai-insecure-api-key.sk-proj-AbCdEfGhIjKlMnOp1234, openai-beta.realtime-v1')).toBe(
      'realtime, openai-insecure-api-key.****1234, openai-beta.realtime-v1',
    );
    expect(protocolOf('realtime,openai-insecure-api-key.ek_68af0123456789abcd')).toBe(
      'realtime,openai-insecure-api-key.****abcd',
    );
    expect(protocolOf('token, 0123456789abcdef0123456789abcdef01234567')).toBe('token, ****4567');
    expect(protocolOf('bearer,eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')).toBe('bearer,****dXJl');
    expect(protocolOf('base64url.bearer.authorization.k8s.io.ZXlKaGJHY2lPaUpTVXpJMU5p, base64.binary.k8s.io')).toBe(
      'base64url.bearer.****MU5p, base64.binary.k8s.io',
    );
    expect(protocolOf('openai-insecure-api-key.short')).toBe('openai-insecure-api-key.****');
  });

  it('leaves lists without a credential as they are', () => {
    for (const value of [
      'realtime',
      'chat, superchat',
      'realtime, openai-beta.realtime-v1',
      'openai-organization.org-AbCdEfGhIjKl, openai-project.proj_AbCdEfGhIjKl',
      'graphql-transport-ws',
      'token',
      'mqtt',
    ])
      expect(protocolOf(value)).toBe(value);
    expect(maskHeaders([['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits']])).toEqual([
      ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
    ]);
  });
});

describe('a browser-style Realtime client through the gateway', () => {
  const KEY = `sk-proj-WSPROTO${'q'.repeat(24)}9z8y`;
  let h: Harness;
  let upstream: http.Server;
  let wss: WebSocketServer;
  const offered: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    upstream = http.createServer((_req, res) => res.writeHead(404).end());
    wss = new WebSocketServer({ server: upstream });
    wss.on('headers', (_headers, req) => offered.push(String(req.headers['sec-websocket-protocol'])));
    wss.on('connection', (socket) =>
      socket.on('message', (data) => socket.send(JSON.stringify({ type: 'session.created', echo: String(data) }))),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const client of wss?.clients ?? []) client.terminate();
    await new Promise((r) => wss?.close(r));
    await new Promise((r) => upstream?.close(r));
    await h?.close();
  });

  it('sends the key to the upstream and keeps it out of everything wirelog stores or shows', async () => {
    const port = (upstream.address() as AddressInfo).port;
    const url = `ws://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/v1/realtime?model=gpt-realtime`;
    const ws = new WebSocket(url, ['realtime', `openai-insecure-api-key.${KEY}`, 'openai-beta.realtime-v1']);
    const answer = new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('realtime');
    ws.send(JSON.stringify({ type: 'session.update' }));
    expect(JSON.parse(await answer).type).toBe('session.created');
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await h.stored();
    // The upstream got the real list, key and all.
    expect(offered).toEqual([`realtime,openai-insecure-api-key.${KEY},openai-beta.realtime-v1`]);

    const stored = h.wirelog.reader.list({ limit: 10 }).map((e) => h.wirelog.reader.get(e.id)!);
    const upgrade = stored.find((e) => e.request.path.startsWith('/v1/realtime'))!;
    expect(upgrade.request.headers).toContainEqual([
      'Sec-WebSocket-Protocol',
      'realtime,openai-insecure-api-key.****9z8y,openai-beta.realtime-v1',
    ]);

    const viewer = h.wirelog.viewer!.url;
    const har = path.join(tempDir(), 'ws.har');
    expect((await runCli(['export', '--har', har, '--data-dir', h.dataDir])).code).toBe(0);
    const db = databasePath(h.dataDir);
    const places: [string, string][] = [
      ...[db, `${db}-wal`, `${db}-shm`]
        .filter((f) => fs.existsSync(f))
        .map((f): [string, string] => [path.basename(f), fs.readFileSync(f).toString('latin1')]),
      ['HAR export', fs.readFileSync(har, 'latin1')],
      ['the API', await (await fetch(`${viewer}/api/exchanges/${upgrade.id}`)).text()],
      ['copy as cURL', await (await fetch(`${viewer}/api/exchanges/${upgrade.id}/snippet?target=curl`)).text()],
    ];
    fs.rmSync(path.dirname(har), { recursive: true, force: true });
    const secretPart = KEY.slice(0, -4);
    expect(places.filter(([, text]) => text.includes(secretPart)).map(([place]) => place)).toEqual([]);
  });
});
