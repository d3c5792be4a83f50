// An OAuth token request is a form (RFC 6749 6 and 2.3.1: `grant_type=refresh_token&
// refresh_token=…&client_secret=…`, application/x-www-form-urlencoded), sent by an agent logged
// in with an account (Gemini CLI's Google login refreshes through google-auth-library), and
// GitHub's token endpoint answers one (`access_token=…&scope=…`). Only JSON bodies were masked:
// the refresh token, the client secret and the access token were stored whole.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { importHarFile } from '../export/har-stream.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { maskBodyText } from '../model/secrets.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

const REFRESH = `1//0gFORMREFRESH${'r'.repeat(20)}k3j2`;
const CLIENT_SECRET = `GOCSPX-FORMCLIENT${'c'.repeat(12)}m5n4`;
const ACCESS = `gho_FORMACCESS${'a'.repeat(20)}p8o7`;
const SECRETS = [REFRESH, CLIENT_SECRET, ACCESS];
const tokenRequest = new URLSearchParams({
  client_id: '681255809395-example.apps.googleusercontent.com',
  client_secret: CLIENT_SECRET,
  refresh_token: REFRESH,
  grant_type: 'refresh_token',
}).toString();
const tokenAnswer = `access_token=${ACCESS}&scope=repo%2Cgist&token_type=bearer`;
const notIn = (places: [string, string][]) =>
  places.filter(([, text]) => SECRETS.some((s) => text.includes(s.slice(0, -4)))).map(([place]) => place);

describe('masking a form body', () => {
  it('masks its secret parameters as a query is, keeping the rest byte for byte', () => {
    expect(maskBodyText(tokenRequest, true)).toBe(
      'client_id=681255809395-example.apps.googleusercontent.com&client_secret=****m5n4&refresh_token=****k3j2&grant_type=refresh_token',
    );
    expect(maskBodyText(tokenAnswer, true)).toBe('access_token=****p8o7&scope=repo%2Cgist&token_type=bearer');
  });

  it('leaves a form without secrets alone, and masks JSON sent under a form type as JSON', () => {
    expect(maskBodyText('model=gpt-4o&prompt=hello+world', true)).toBeNull();
    expect(maskBodyText('{"api_key":"sk-abcdefghijklmnop1234"}', true)).toBe('{"api_key":"****1234"}');
    // A JSON body is never read as a form.
    expect(maskBodyText(tokenRequest, false)).toBeNull();
  });
});

describe('an OAuth token refresh through the proxy', () => {
  let h: Harness;
  let upstream: http.Server;
  const received: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    upstream = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        received.push(Buffer.concat(parts).toString());
        res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' });
        res.end(tokenAnswer);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => upstream?.close(r));
    await h?.close();
  });

  it('sends and answers the real values, and stores none of them', async () => {
    const port = (upstream.address() as AddressInfo).port;
    const res = await request(`http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenRequest,
    });
    expect(await res.body.text()).toBe(tokenAnswer);
    expect(received).toEqual([tokenRequest]);
    await h.stored();

    const id = h.wirelog.reader.list({ limit: 1 })[0].id;
    const viewer = h.wirelog.viewer!.url;
    const detail = await (await fetch(`${viewer}/api/exchanges/${id}`)).text();
    const shown = JSON.parse(detail) as { requestBody: { text: string }; responseBody: { text: string } };
    expect(shown.requestBody.text).toBe(maskBodyText(tokenRequest, true));
    expect(shown.responseBody.text).toBe(maskBodyText(tokenAnswer, true));

    const dir = tempDir();
    const har = path.join(dir, 'form.har');
    expect((await runCli(['export', '--har', har, '--data-dir', h.dataDir])).code).toBe(0);
    const db = databasePath(h.dataDir);
    const places: [string, string][] = [
      ...[db, `${db}-wal`, `${db}-shm`]
        .filter((f) => fs.existsSync(f))
        .map((f): [string, string] => [path.basename(f), fs.readFileSync(f).toString('latin1')]),
      ['HAR export', fs.readFileSync(har, 'latin1')],
      ['the API', detail],
      ['copy as cURL', await (await fetch(`${viewer}/api/exchanges/${id}/snippet?target=curl`)).text()],
    ];
    fs.rmSync(dir, { recursive: true, force: true });
    expect(notIn(places)).toEqual([]);
  });
});

describe('an imported OAuth token refresh', () => {
  it('is stored masked, request and answer', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'oauth.har');
    const form = [{ name: 'Content-Type', value: 'application/x-www-form-urlencoded' }];
    fs.writeFileSync(
      file,
      JSON.stringify({
        log: {
          entries: [
            {
              startedDateTime: '2026-12-01T10:00:00.000Z',
              request: {
                method: 'POST',
                url: 'https://oauth2.googleapis.com/token',
                headers: form,
                postData: { mimeType: 'application/x-www-form-urlencoded', text: tokenRequest },
              },
              response: { status: 200, headers: form, content: { text: tokenAnswer } },
            },
          ],
        },
      }),
    );
    const events: ExchangeEvent[] = [];
    await importHarFile(file, {
      source: 'oauth.har',
      keepSecrets: false,
      store: (batch) => {
        events.push(...batch);
        return [1];
      },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const bodies = events.flatMap((e) =>
      e.type === 'body-chunk' ? [[e.side, Buffer.from(e.chunk).toString()] as [string, string]] : [],
    );
    expect(bodies).toEqual([
      ['request', maskBodyText(tokenRequest, true)],
      ['response', maskBodyText(tokenAnswer, true)],
    ]);
    expect(notIn(bodies)).toEqual([]);
  });
});
