// The list's first page inside the viewer's page (viewer/first-page-html.ts, issue 28): the same
// JSON /api/exchanges gives, in the browser's language, safe from a captured `</script>`; the
// page's head is handed to Node before the read holds the thread; the app shows those rows
// without asking for them, and asks when the page holds none or another language's.
import type http from 'node:http';
import net from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, BrowserContext } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PAGE_ELEMENT, pageWithFirstPage } from '../viewer/first-page-html.ts';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
/** A model name that would end the script element and open a comment if written as it is. */
const HOSTILE = '</script><!--<script>';

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
  // Refused calls are stored too: enough of them for rows, one naming the hostile model.
  const port = await closedPort();
  for (const model of ['gpt-5', HOSTILE, 'gpt-5-mini']) {
    const answer = await request(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      dispatcher: h.agent(),
    });
    await answer.body.text();
  }
  await h.stored();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const viewer = () => h.wirelog.viewer!.url;

/** The first page the viewer's page holds: its language and its JSON text; null when it holds none. */
async function pageIn(path: string, language: string): Promise<{ lang: string; json: string } | null> {
  const html = await (await fetch(`${viewer()}${path}`, { headers: { 'accept-language': language } })).text();
  const m = new RegExp(
    `<script type="application/json" id="${FIRST_PAGE_ELEMENT}" data-lang="([^"]+)">(.*?)</script>`,
    's',
  ).exec(html);
  return m && { lang: m[1], json: m[2] };
}

describe("the list's first page inside the viewer's page", () => {
  it('is what /api/exchanges answers for the list as it opens, in the browser language, with no `<` left in it', async () => {
    for (const [accept, lang] of [
      ['en-US,en;q=0.9', 'en'],
      ['zh-CN,zh;q=0.9', 'zh-CN'],
    ]) {
      const inPage = await pageIn('/', accept);
      expect(inPage, accept).not.toBeNull();
      expect(inPage!.lang).toBe(lang);
      expect(inPage!.json).not.toContain('<');
      const api = await (await fetch(`${viewer()}/api/exchanges?limit=200&lang=${lang}`)).json();
      expect(JSON.parse(inPage!.json)).toEqual(api);
      expect(JSON.stringify(api)).toContain(HOSTILE);
    }
    // An app path opens the list too; the session pages do not.
    expect(await pageIn('/exchanges/1', 'en')).not.toBeNull();
    expect(await pageIn('/sessions', 'en')).toBeNull();
    expect(await pageIn('/sessions/codex%3Aabc', 'en')).toBeNull();
  });

  it("hands the page's head to Node before the read starts, and leaves the page out when the read fails", async () => {
    const index =
      '<!doctype html><html><head><script type="module" src="/assets/a.js"></script></head><body><div id="root"></div></body></html>';
    const headSentAtRead: boolean[] = [];
    let fail = false;
    const app = new Hono<{ Bindings: { outgoing: http.ServerResponse } }>();
    app.get('*', (c) =>
      pageWithFirstPage(c, index, async () => {
        // The real read is synchronous: whatever Node has not been handed yet waits behind it.
        headSentAtRead.push(c.env.outgoing.headersSent);
        if (fail) throw new Error('the store is locked');
        return '{"exchanges":[],"nextCursor":null,"total":0}';
      }),
    );
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const whole = await (await fetch(`${base}/`)).text();
      expect(headSentAtRead).toEqual([true]);
      expect(whole).toBe(
        index.replace(
          '</body>',
          `<script type="application/json" id="${FIRST_PAGE_ELEMENT}" data-lang="en">{"exchanges":[],"nextCursor":null,"total":0}</script>\n</body>`,
        ),
      );
      fail = true;
      expect(await (await fetch(`${base}/`)).text()).toBe(index);
    } finally {
      await new Promise<void>((resolve) => {
        (server as http.Server).closeAllConnections();
        server.close(() => resolve());
      });
    }
  });

  /** The viewer opened in a browser speaking `locale`; `hold`: a first page the app asks for is never answered. */
  async function openViewer(locale: string, { remembered, hold }: { remembered?: string; hold: boolean }) {
    const context: BrowserContext = await browser.newContext({ locale });
    const page = await context.newPage();
    if (remembered) await page.addInitScript((lang) => localStorage.setItem('wirelog.language', lang), remembered);
    const asked: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(/\/api\/exchanges\?(?!.*cursor=)/, async (route) => {
      asked.push(route.request().url());
      if (hold) await held;
      await route.continue().catch(() => {});
    });
    // What the list held the first time it was drawn, and whether its rows were put into a list
    // already in the page (a second render: the virtualiser measuring the list first) rather than with it.
    await page.addInitScript(() => {
      const seen = window as unknown as { rowsWhenFirstDrawn: number; rowsAddedLater: boolean };
      seen.rowsAddedLater = false;
      new MutationObserver((records, observer) => {
        const list = document.querySelector('[data-testid="exchange-list"]');
        if (!list) return;
        seen.rowsAddedLater = records.some(
          (r) =>
            list.contains(r.target) &&
            [...r.addedNodes].some((n) => n instanceof Element && n.matches('[role="row"][data-id]')),
        );
        seen.rowsWhenFirstDrawn = list.querySelectorAll('[role="row"][data-id]').length;
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(viewer());
    await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 30_000 });
    const { drawn, later } = await page.evaluate(() => {
      const seen = window as unknown as { rowsWhenFirstDrawn?: number; rowsAddedLater: boolean };
      return { drawn: seen.rowsWhenFirstDrawn, later: seen.rowsAddedLater };
    });
    const rows = await page.locator('[role="row"][data-id]').count();
    const models = await page.locator('[role="row"][data-id]').allTextContents();
    const lang = await page.evaluate(() => document.documentElement.lang);
    const inPageLeft = await page.evaluate((id) => document.getElementById(id) !== null, FIRST_PAGE_ELEMENT);
    release();
    await context.close();
    return { asked, drawn, later, rows, models, lang, inPageLeft };
  }

  it('is drawn in the first render without the app asking for it, in English and in Chinese', async () => {
    for (const locale of ['en-US', 'zh-CN']) {
      // A page the app asked for would never come: the rows can only be the ones in the page.
      const seen = await openViewer(locale, { hold: true });
      expect(seen.drawn, locale).toBe(3);
      expect(seen.later, `${locale}: the list was drawn, then its rows put in`).toBe(false);
      expect(seen.rows, locale).toBe(3);
      expect(seen.lang, locale).toBe(locale === 'en-US' ? 'en' : 'zh-CN');
      expect(seen.models.join(' '), locale).toContain(HOSTILE);
      expect(seen.inPageLeft, locale).toBe(false);
    }
  });

  it('is asked for in the language chosen in the top bar when the page holds the browser language', async () => {
    const seen = await openViewer('en-US', { remembered: 'zh-CN', hold: false });
    expect(seen.lang).toBe('zh-CN');
    expect(seen.rows).toBe(3);
    expect(seen.asked.some((url) => url.includes('lang=zh-CN'))).toBe(true);
    expect(seen.asked.some((url) => url.includes('lang=en'))).toBe(false);
  });
});
