// A Chinese reader's catalogue chunk is fetched with the app's scripts (viewer/catalogue-preload.ts):
// the page the server answers names it in a <link rel="modulepreload"> for a zh-CN request and
// not for an English one, and Chromium takes the chunk from that preload (one request, not made
// by the app's import once its code has run). What the reader sees is the same.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const viewer = () => h.wirelog.viewer!.url;
const PRELOAD = /<link rel="modulepreload" crossorigin href="(\/assets\/[^"]+\.js)">/g;

async function preloadsIn(path: string, language: string): Promise<{ preloads: string[]; html: string }> {
  const html = await (await fetch(`${viewer()}${path}`, { headers: { 'accept-language': language } })).text();
  return { preloads: [...html.matchAll(PRELOAD)].map((m) => m[1]), html };
}

describe("the reader's catalogue, preloaded", () => {
  it('a zh-CN page names the Chinese chunk, an English one does not; no marker comment is left in either', async () => {
    const zh = await preloadsIn('/', 'zh-CN,zh;q=0.9');
    const en = await preloadsIn('/', 'en-US,en;q=0.9');
    const chunk = zh.preloads.filter((src) => !en.preloads.includes(src));
    expect(chunk).toHaveLength(1);
    expect(chunk[0]).toMatch(/^\/assets\/zh-CN-[\w-]+\.js$/);
    expect((await fetch(`${viewer()}${chunk[0]}`)).status).toBe(200);
    for (const { html } of [zh, en]) expect(html).not.toContain('wirelog-catalogue');
    // The session pages (no first page inside) get it too.
    expect((await preloadsIn('/sessions', 'zh-CN')).preloads).toContain(chunk[0]);
    // ?lang= wins over the header, as for the first page.
    expect((await preloadsIn('/?lang=zh-CN', 'en-US')).preloads).toContain(chunk[0]);
  });

  for (const [locale, heading] of [
    ['zh-CN', '语言'],
    ['en-US', 'Language'],
  ] as const) {
    it(`Chromium in ${locale}: the Chinese chunk comes from the preload only when the page is Chinese, and the viewer speaks ${locale}`, async () => {
      const context = await browser.newContext({ locale });
      try {
        const page = await context.newPage();
        await page.goto(viewer());
        await page.getByLabel(heading, { exact: true }).waitFor({ timeout: 30_000 });
        const fetched = await page.evaluate(() =>
          (window.performance.getEntriesByType('resource') as PerformanceResourceTiming[])
            .filter((e) => /\/assets\/zh-CN-[\w-]+\.js$/.test(e.name))
            .map((e) => e.initiatorType),
        );
        // An import by the app's code is initiated by 'script'; Chromium names its preload's 'other'.
        // The English viewer fetches the chunk too, by import, after its first render (the language menu).
        if (locale === 'zh-CN') {
          expect(fetched).toHaveLength(1);
          expect(fetched[0]).not.toBe('script');
        } else expect(fetched).not.toContain('other');
        expect(await page.evaluate(() => document.documentElement.lang)).toBe(locale === 'zh-CN' ? 'zh-CN' : 'en');
      } finally {
        await context.close();
      }
    });
  }
});
