import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_DELTAS } from './support/fake-upstream.ts';
import { launchBrowser } from './support/browser.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let page: http.Server;
beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
  // A web app of its own origin, as a browser-based client (Cherry Studio's renderer) is.
  page = http.createServer((_req, res) => res.end('<!doctype html><title>client</title>'));
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await browser?.close();
  page?.close();
  await h?.close();
});

describe('gateway mode from a browser', () => {
  it('a page on another origin streams a chat completion through the gateway: the preflight passes through, events are stored as they come', async () => {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
    const url = `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/v1/chat/completions`;
    await tab.evaluate(async (target) => {
      const w = window as unknown as { text: string; done: boolean };
      w.text = '';
      w.done = false;
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk-browser-key-000011112222',
          'x-test-delay-ms': '250',
        },
        body: JSON.stringify({ model: 'gw-browser', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const reader = res.body!.getReader();
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          w.text += new TextDecoder().decode(value);
        }
        w.done = true;
      })();
    }, url);
    // Stored while the page is still reading the stream.
    await eventually(
      async () => {
        await h.wirelog.writer.flush();
        const e = h.wirelog.reader
          .list({ limit: 100 })
          .find(
            (x) =>
              x.request.path === '/v1/chat/completions' && x.request.via === 'gateway' && x.request.method === 'POST',
          );
        return e && h.wirelog.reader.sseEvents(e.id).length > 0;
      },
      'the first events to be stored',
      10_000,
    );
    expect(await tab.evaluate(() => (window as unknown as { done: boolean }).done)).toBe(false);
    await tab.waitForFunction(() => (window as unknown as { done: boolean }).done, null, { timeout: 15_000 });
    const text = await tab.evaluate(() => (window as unknown as { text: string }).text);
    for (const delta of CHAT_DELTAS) expect(text).toContain(JSON.stringify(delta).slice(1, -1));
    await h.stored();
    const preflight = h.wirelog.reader
      .list({ limit: 100 })
      .find((x) => x.request.method === 'OPTIONS' && x.request.via === 'gateway');
    expect(preflight?.response?.status).toBe(204);
    expect(h.upstream.received.some((r) => r.method === 'OPTIONS' && r.url === '/v1/chat/completions')).toBe(true);
    // The viewer shows how it came.
    const call = h.wirelog.reader
      .list({ limit: 100 })
      .find((x) => x.request.method === 'POST' && x.request.via === 'gateway')!;
    await tab.goto(`${h.wirelog.viewer!.url}/exchanges/${call.id}`);
    await expect.poll(() => tab.getByText('through the gateway').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await tab.close();
  });
});
