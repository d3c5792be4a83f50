// The viewer tab's live list across a wirelog restart: what was stored while the tab was cut off
// appears once it is back, including when something other than wirelog's event stream answered
// on the viewer's port meanwhile (the browser's EventSource gives up for good after such an
// answer; the soak's tab missed probe rows after a kill and restart).
import http from 'node:http';
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWirelog, type Wirelog } from '../cli/instance.ts';
import { launchBrowser } from './support/browser.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let page: Page;
/** The wirelog serving now: the harness's first, then the restarted ones (same data dir and ports). */
let current: Wirelog;
const agents: ProxyAgent[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A request through the wirelog serving now; its exchange's id once stored. */
async function capture(marker: string): Promise<number> {
  const agent = new ProxyAgent({ uri: current.proxy.url, requestTls: { ca: current.ca.certPem } });
  agents.push(agent);
  const res = await request(`${h.upstream.httpsUrl}/v1/models?marker=${marker}`, { dispatcher: agent });
  await res.body.text();
  await current.writer.flush();
  const found = current.reader.list({ limit: 50 }).find((e) => e.request.path.includes(`marker=${marker}`));
  if (!found) throw new Error(`the exchange ${marker} was not stored`);
  return found.id;
}

const shown = (id: number) => page.locator(`[role="row"][data-id="${id}"]`).count();

async function restart(): Promise<void> {
  current = await startWirelog(current.config);
}

beforeAll(async () => {
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  h = await startHarness({ proxyPort, uiPort });
  current = h.wirelog;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  // The harness stops the wirelog it started; a restarted one is this file's to stop.
  if (current !== h?.wirelog) await current?.stop();
  await h?.close();
});

describe('the live list after wirelog restarts', () => {
  it('shows what was stored while the tab was cut off, once wirelog is back', async () => {
    await page.goto(current.viewer!.url);
    const before = await capture('before-restart');
    await expect.poll(() => shown(before)).toBe(1);
    await current.stop();
    await restart();
    // Stored before the tab has reconnected: only catching up after the reconnect brings it.
    const during = await capture('while-cut-off');
    await expect.poll(() => shown(during)).toBe(1);
    // And live again: a row stored from now on arrives by the feed.
    const after = await capture('after-reconnect');
    await expect.poll(() => shown(after)).toBe(1);
  });

  it('reconnects after something else answered on the viewer port while wirelog was down', async () => {
    await page.goto(current.viewer!.url);
    const first = await capture('first');
    await expect.poll(() => shown(first)).toBe(1);
    const uiPort = current.viewer!.port;
    await current.stop();
    // Another program on the port for a moment (a proxy's error page, a crash handler): the live
    // stream's reconnection gets a 503, not the event stream.
    let liveAsked = 0;
    const standIn = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/live')) liveAsked++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('restarting');
    });
    await new Promise<void>((resolve) => standIn.listen(uiPort, '127.0.0.1', resolve));
    try {
      await eventually(() => liveAsked > 0, 'the tab to ask the stand-in for the live stream');
    } finally {
      standIn.closeAllConnections();
      await new Promise((resolve) => standIn.close(resolve));
    }
    await restart();
    const later = await capture('after-stand-in');
    await expect.poll(() => shown(later)).toBe(1);
  });
});
