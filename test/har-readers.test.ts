// wirelog's HAR export read by tools nobody here wrote: Playwright's routeFromHAR (in Debian's
// Chromium), fetch-har, httpsnippet, har-to-k6 and pagexray.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { fetch as undiciFetch, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { readBody } from './support/fake-upstream.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

const require = createRequire(import.meta.url);
const pagexray = require('pagexray') as { convert(har: unknown): { url: string }[] };
const { liHARToK6Script } = require('har-to-k6') as { liHARToK6Script(har: unknown): Promise<{ main: string }> };
const { HTTPSnippet } = require('httpsnippet') as {
  HTTPSnippet: new (request: unknown) => { convert(target: string, client?: string): string };
};
const fetchHAR = require('fetch-har') as (har: unknown) => Promise<Response>;

type HarEntry = {
  request: {
    url: string;
    method: string;
    headers: { name: string; value: string }[];
    postData?: { text: string; params?: unknown[] };
  };
  response: { status: number; redirectURL: string };
};
type Har = { log: { entries: HarEntry[]; pages: { id: string }[] } };

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const BOUNDARY = '----wirelogBoundary7MA4YWxk';
const MULTIPART = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="train.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n{"prompt":"héllo","completion":"wörld"}\n\r\n--${BOUNDARY}--\r\n`,
);

let h: Harness;
let har: Har;
let harFile: string;
beforeAll(async () => {
  h = await startHarness();
  const send = async (url: string, method: string, headers: Record<string, string>, body?: Buffer | string) => {
    const res = await request(url, { method: method as 'POST', dispatcher: h.agent(), headers, body });
    await res.body.text();
  };
  await send(
    `${h.upstream.httpsUrl}/echo?form=1`,
    'POST',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'model=gpt-4o&prompt=two+words&x=%C3%A9',
  );
  await send(`${h.upstream.httpsUrl}/echo?binary=1`, 'POST', { 'content-type': 'application/octet-stream' }, BINARY);
  await send(
    `${h.upstream.httpsUrl}/echo?multipart=1`,
    'POST',
    { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    MULTIPART,
  );
  await send(`${h.upstream.httpsUrl}/redirect`, 'GET', {});
  await h.stored();
  const text = await (await fetch(`${h.wirelog.viewer!.url}/api/export.har`)).text();
  har = JSON.parse(text) as Har;
  harFile = path.join(tempDir(), 'capture.har');
  fs.writeFileSync(harFile, text);
});
afterAll(() => h?.close());

const entry = (part: string) => har.log.entries.find((e) => e.request.url.includes(part))!;

describe('readers of wirelog HAR', () => {
  it('pagexray reads it: entries refer to the pages it lists', () => {
    expect(har.log.pages.length).toBeGreaterThan(0);
    const pages = pagexray.convert(har);
    expect(pages.length).toBe(har.log.pages.length);
  });

  it('httpsnippet and har-to-k6 send the form body from params', async () => {
    const form = entry('form=1');
    expect(form.request.postData?.params).toEqual([
      { name: 'model', value: 'gpt-4o' },
      { name: 'prompt', value: 'two words' },
      { name: 'x', value: 'é' },
    ]);
    const curl = new HTTPSnippet(form.request).convert('shell', 'curl');
    expect(curl).toContain('model=gpt-4o');
    const { main } = await liHARToK6Script({ log: { entries: [form] } });
    expect(main).toContain('gpt-4o');
    expect(main).toContain('two words');
  });

  it('the redirect names where it went', () => {
    expect(entry('/redirect').response).toMatchObject({ status: 302 });
    expect(entry('/redirect').response.redirectURL).toMatch(/^https:\/\/localhost:\d+\/v1\/models$/);
  });

  it('fetch-har replays the multipart body byte for byte (its text is the body as sent)', async () => {
    const got: Buffer[] = [];
    const server = http.createServer(async (req, res) => {
      got.push(await readBody(req));
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Node 20's built-in fetch dispatches through the npm undici Agent once this process has
    // loaded undici 7 (the harness does), and that pairing rejects fetch's own content-length:
    // fetch-har gets undici's fetch here, as it would get Node's in a process of its own.
    const builtin = globalThis.fetch;
    globalThis.fetch = undiciFetch as unknown as typeof fetch;
    try {
      const multipart = structuredClone(entry('multipart=1'));
      multipart.request.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
      const res = await fetchHAR({ log: { entries: [multipart] } });
      expect(res.status).toBe(200);
      expect(got[0].equals(MULTIPART)).toBe(true);
    } finally {
      globalThis.fetch = builtin;
      await new Promise((r) => server.close(r));
    }
  });

  it("Playwright's routeFromHAR in Chromium matches the binary and the multipart POST byte for byte, and answers with what was recorded", async () => {
    let browser: Browser | null = null;
    try {
      browser = await launchBrowser();
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      // Only the captured POSTs come from the HAR (a body that differs by one byte is aborted); the page itself from the network.
      await context.routeFromHAR(harFile, { url: /\/echo\?/, notFound: 'abort' });
      const page = await context.newPage();
      await page.goto(`${h.upstream.httpsUrl}/chat.html`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent?.startsWith('answer:'), undefined, {
        timeout: 10_000,
      });
      const post = (url: string, type: string, bytes: number[]) =>
        page.evaluate(
          async ([u, t, b]) => {
            try {
              const res = await fetch(u as string, {
                method: 'POST',
                headers: { 'content-type': t as string },
                body: new Uint8Array(b as number[]),
              });
              return `${res.status} ${JSON.parse(await res.text()).body}`;
            } catch (err) {
              return `failed: ${(err as Error).message}`;
            }
          },
          [url, type, bytes],
        );
      const before = h.upstream.received.length;
      expect(await post('/echo?binary=1', 'application/octet-stream', [...BINARY])).toBe(
        `200 ${BINARY.toString('base64')}`,
      );
      expect(await post('/echo?multipart=1', `multipart/form-data; boundary=${BOUNDARY}`, [...MULTIPART])).toBe(
        `200 ${MULTIPART.toString('base64')}`,
      );
      // One byte off: not in the HAR, so aborted (and the upstream never asked).
      expect(await post('/echo?binary=1', 'application/octet-stream', [...BINARY.subarray(1)])).toMatch(/^failed/);
      expect(h.upstream.received.length).toBe(before);
    } finally {
      await browser?.close();
    }
  });
});
