// A Gemini image call (ZenMux's Vertex AI path) captured through the proxy and looked at in
// Chromium: its list row is marked, the Model call tab shows each image as a thumbnail decoded in
// the page from the stored event or body (a blob: URL, the image data never in the page's HTML),
// and a thumbnail opens the image full size.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { fixtures, sendThrough, startFixtureServer, type FixtureServer } from './support/fixture-server.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let server: FixtureServer;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  server = await startFixtureServer();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await h?.close();
});

/** Captures one fixture through the proxy; its stored id. */
async function captured(file: string): Promise<number> {
  const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
  await sendThrough(h, server.origin, file);
  await h.stored();
  const path = fixtures.get(file)!.exchange.path;
  return (
    await eventually(
      () => h.wirelog.reader.list({ limit: 5 }).find((e) => e.id > before && e.request.path === path),
      `${file} stored`,
    )
  ).id;
}

/** The size the browser decoded an image to, once it has loaded (0 x 0 before). */
function naturalSize(selector: string) {
  return page.evaluate((s) => {
    const img = document.querySelector<HTMLImageElement>(s);
    return img?.complete ? `${img.naturalWidth}x${img.naturalHeight} ${img.src.slice(0, 5)}` : null;
  }, selector);
}

describe('images of a model call in the viewer', () => {
  it('marks the row of a streamed Gemini image call, shows its images as thumbnails and opens one full size', async () => {
    const id = await captured('gemini-image-vertex-sse.json');
    const text = await captured('chat-json.json');
    await page.goto(h.wirelog.viewer!.url);
    const row = (n: number) => page.locator(`[role="row"][data-id="${n}"]`);
    await expect.poll(() => row(id).getByTestId('image-mark').getAttribute('title')).toBe('returned 1 image');
    expect(await row(text).getByTestId('image-mark').count()).toBe(0);

    await row(id).click();
    await page.getByRole('tab', { name: 'Model call' }).click();
    const returned = page.getByTestId('images-returned');
    // The draft drawn while thinking (12x8) and the answer's image (48x32), each decoded from its SSE event.
    await expect
      .poll(() => naturalSize('[data-testid="images-returned"] figure:nth-of-type(1) img'))
      .toBe('12x8 blob:');
    await expect
      .poll(() => naturalSize('[data-testid="images-returned"] figure:nth-of-type(2) img'))
      .toBe('48x32 blob:');
    expect(await returned.locator('figcaption').allTextContents()).toEqual([
      expect.stringMatching(
        /^image\/png · \d+ B · candidate 0 · part 0 · event #1 · draft, drawn while thinking · Download$/,
      ),
      expect.stringMatching(/^image\/png · [\d.]+ (B|KB) · candidate 0 · part 0 · event #3 · Download$/),
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'images-thumbnails.png') });

    await returned
      .getByRole('button', { name: /Open full size: image\/png/ })
      .nth(1)
      .click();
    const full = page.locator('dialog[open][data-testid="image-full"]');
    await expect.poll(() => full.count()).toBe(1);
    expect(
      await full
        .locator('img')
        .evaluate((img: HTMLImageElement) => [
          img.naturalWidth,
          img.naturalHeight,
          img.getBoundingClientRect().width > 0,
        ]),
    ).toEqual([48, 32, true]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'images-full-size.png') });
    await full.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => full.count()).toBe(0);

    // Decoded in the page, never inlined: the image's base64 is nowhere in the document.
    const events = fixtures.get('gemini-image-vertex-sse.json')!.events!;
    const base64 = (
      JSON.parse(events[3].data) as { candidates: { content: { parts: { inlineData: { data: string } }[] } }[] }
    ).candidates[0].content.parts[0].inlineData.data;
    expect(await page.evaluate((b) => document.documentElement.outerHTML.includes(b), base64.slice(0, 200))).toBe(
      false,
    );
    expect(cspViolations).toEqual([]);
  });

  it('shows the image sent and the one returned by a call that was not streamed, each read from its body', async () => {
    const id = await captured('gemini-image-vertex-json.json');
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
    await page.getByRole('tab', { name: 'Model call' }).click();
    await expect.poll(() => naturalSize('[data-testid="images-sent"] img')).toBe('24x16 blob:');
    await expect.poll(() => naturalSize('[data-testid="images-returned"] img')).toBe('16x16 blob:');
    expect(await page.getByTestId('images-sent').locator('figcaption').textContent()).toMatch(
      /^image\/jpeg · \d+ B · content 0 · part 1 · Download$/,
    );
    expect(cspViolations).toEqual([]);
  });

  it('says it in Chinese for a zh-CN browser: the list mark, the labels and where each image sits', async () => {
    const id = await captured('openrouter-chat-images.json');
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
    try {
      const zh = await context.newPage();
      await zh.goto(h.wirelog.viewer!.url);
      await expect
        .poll(() => zh.locator(`[role="row"][data-id="${id}"]`).getByTestId('image-mark').getAttribute('title'))
        .toBe('返回了 1 张图片');
      await zh.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
      await zh.getByRole('tab', { name: '模型调用' }).click();
      await expect
        .poll(() => zh.getByTestId('images-sent').locator('.bubble-role').textContent())
        .toBe('发送了 1 张图片');
      await expect
        .poll(() => zh.getByTestId('images-returned').locator('figcaption').textContent())
        .toMatch(/^image\/png · [\d.]+ (B|KB) · 第 0 个 choice · 第 0 个 part · 下载$/);
      expect(await zh.getByTestId('images-sent').locator('figcaption').textContent()).toMatch(
        /^image\/jpeg · [\d.]+ (B|KB) · 第 0 条消息 · 第 1 个 part · 下载$/,
      );
      await zh
        .getByTestId('images-returned')
        .getByRole('button', { name: /^查看原图：image\/png/ })
        .click();
      await expect.poll(() => zh.locator('dialog[open]').getByRole('button', { name: '关闭' }).count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
