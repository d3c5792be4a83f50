// The viewer's start-up (issue 28: the first rows in under 300 ms at a million exchanges): a first
// page already in hand when the app renders is in its first render, with no empty list drawn
// before it (made certain by holding the Chinese catalogue back in the browser, not by timing);
// the app's files come whole and cached for good; a chunk that does not load says so.
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** A port nothing listens on: a call there fails, and is stored as an exchange. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

beforeAll(async () => {
  h = await startHarness();
  const answer = await request(`http://127.0.0.1:${await closedPort()}/v1/chat/completions`, {
    method: 'POST',
    body: '{}',
    dispatcher: h.agent(),
  });
  await answer.body.text();
  await h.stored();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
beforeEach(async () => {
  context = await browser.newContext({ locale: 'en-US' });
  page = await context.newPage();
});
afterEach(async () => {
  await context?.close();
});

// In a Chinese browser the app renders once its catalogue (a chunk of its own) is in: held back, it keeps the app from rendering.
const CATALOGUE_CHUNK = /\/assets\/zh-CN-[^/]+\.js$/;
const FIRST_PAGE = /\/api\/exchanges\?(?!.*cursor=)/;

/** Holds the Chinese catalogue's chunk in the browser until `release` is called (and always when the test ends). */
async function holdCatalogue(): Promise<() => void> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(CATALOGUE_CHUNK, async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  return release;
}

/** `promise`, or a failure naming what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe("the viewer's start-up", () => {
  it("sends the app's hashed files whole, kept by the browser for good, and nothing else from that path", async () => {
    const html = await (await fetch(h.wirelog.viewer!.url)).text();
    const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(files.length, 'index.html names no script or style').toBeGreaterThan(1);
    for (const file of files) {
      const answer = await fetch(`${h.wirelog.viewer!.url}${file}`);
      expect(answer.status, file).toBe(200);
      expect(answer.headers.get('cache-control'), file).toBe('public, max-age=31536000, immutable');
      expect(answer.headers.get('content-type'), file).toMatch(
        file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/,
      );
      expect(Number(answer.headers.get('content-length')), file).toBe((await answer.arrayBuffer()).byteLength);
    }
    const missing = await fetch(`${h.wirelog.viewer!.url}/assets/no-such-chunk.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBeNull();
  });

  it('draws a first page that arrived before the app rendered in its first render, with no empty list before it', async () => {
    await context.close();
    context = await browser.newContext({ locale: 'zh-CN' });
    page = await context.newPage();
    // What the list held the first time it was drawn: its rows then.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const list = document.querySelector('[data-testid="exchange-list"]');
        if (!list) return;
        (window as unknown as { rowsWhenFirstDrawn: number }).rowsWhenFirstDrawn =
          list.querySelectorAll('[role="row"][data-id]').length;
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    const release = await holdCatalogue();
    try {
      // The page itself holds the first page (viewer/first-page-html.ts); asked for when it does not.
      const answered = page.waitForEvent('requestfinished', {
        predicate: (r) => FIRST_PAGE.test(r.url()) || r.resourceType() === 'document',
        timeout: 0,
      });
      await page.goto(h.wirelog.viewer!.url, { waitUntil: 'commit' });
      await within(answered, 30_000, 'the first page was not answered');
    } finally {
      release();
    }
    await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 30_000 });
    const drawn = await page.evaluate(() => (window as unknown as { rowsWhenFirstDrawn?: number }).rowsWhenFirstDrawn);
    expect(drawn, 'the list was first drawn without the rows already in hand').toBeGreaterThan(0);
  });

  it("says so when the detail pane's code does not load (wirelog updated since the page was opened), and the list stays", async () => {
    // The chunk is gone, as after an update renamed it.
    await page.route(/\/assets\/ExchangeDetail-[^/]+\.js$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.goto(h.wirelog.viewer!.url);
    const row = page.locator('[role="row"][data-id]').first();
    await row.click({ timeout: 30_000 });
    const alert = page.locator('.detail-pane [role="alert"]');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/did not load .*Reload the page/);
    expect(await page.locator('[role="row"][data-id]').count()).toBeGreaterThan(0);
  });
});
