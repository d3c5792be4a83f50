import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

// Distinctive values, so a match anywhere on disk can only be a leak.
const SECRETS = {
  bearer: 'sk-LEAKCHECK-bearer-000111222333',
  apiKey: 'LEAKCHECK-x-api-key-444555666',
  azure: 'LEAKCHECK-api-key-777888999',
  google: 'AIzaLEAKCHECKgoogle0000111122',
  cookie: 'LEAKCHECKcookie0123456789',
  query: 'LEAKCHECKquerykey9876543210',
  ws: 'sk-LEAKCHECK-websocket-55554444',
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('with default settings, no secret from a request reaches the disk', () => {
  it('not in the database file, its WAL, or a HAR export', async () => {
    // /v1/models answers without echoing the request, so only the request could leak them.
    const res = await request(`${h.upstream.httpsUrl}/v1/models?key=${SECRETS.query}&api_key=${SECRETS.query}&alt=sse`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        authorization: `Bearer ${SECRETS.bearer}`,
        'x-api-key': SECRETS.apiKey,
        'api-key': SECRETS.azure,
        'x-goog-api-key': SECRETS.google,
        cookie: `session=${SECRETS.cookie}`,
        'content-type': 'application/json',
      },
      body: '{"hello":"world"}',
    });
    await res.body.text();
    // The upstream got every secret: masking is for storage only.
    const received = JSON.stringify(h.upstream.received[h.upstream.received.length - 1]);
    for (const secret of Object.values(SECRETS).filter((s) => s !== SECRETS.ws)) expect(received).toContain(secret);

    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
      ca: h.caPem,
      headers: { Authorization: `Bearer ${SECRETS.ws}` },
    });
    await new Promise((r) => ws.once('open', r));
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await h.stored();

    const harFile = path.join(tempDir(), 'leak.har');
    expect((await runCli(['export', '--har', harFile, '--data-dir', h.dataDir])).code).toBe(0);
    const files = [databasePath(h.dataDir), `${databasePath(h.dataDir)}-wal`, harFile].filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(bytes.includes(Buffer.from(secret)), `${name} found in ${path.basename(file)}`).toBe(false);
      }
    }
    // What is stored instead: the last four characters, to tell keys apart.
    const stored = h.wirelog.reader.list().find((e) => e.request.path.startsWith('/v1/models'))!;
    expect(stored.request.headers).toContainEqual(['authorization', 'Bearer ****2333']);
    expect(stored.request.path).toBe('/v1/models?key=****3210&api_key=****3210&alt=sse');
  });
});
