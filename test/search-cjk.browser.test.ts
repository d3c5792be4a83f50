// Chinese search end to end: a call through wirelog (its storage thread indexes in slices after
// the batch), found in the viewer by a two-character word inside unspaced text; a search that
// finds nothing says 无结果 / no matches instead of an empty table.
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function send(text: string, path: string): Promise<void> {
  const res = await request(`${h.upstream.httpsUrl}${path}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] }),
  });
  await res.body.text();
}

describe('search in the viewer', () => {
  it('finds 令牌 and 渠道 inside unspaced Chinese, and says 无结果 / no matches when nothing matches', async () => {
    await send('请帮我检查令牌是否过期', '/echo?cjk=token');
    await send('这个渠道的分组倍率是多少', '/echo?cjk=channel');
    await h.stored();
    const context = await browser.newContext({ locale: 'zh-CN' });
    try {
      const tab = await context.newPage();
      await tab.goto(h.wirelog.viewer!.url);
      await expect.poll(() => tab.locator('[role="row"][data-id]').count()).toBe(2);
      const search = async (text: string) => {
        await tab.keyboard.press('Escape');
        await tab.locator('body').click();
        await tab.keyboard.press('/');
        await tab.keyboard.press('Control+A');
        await tab.keyboard.type(text);
      };
      await search('令牌');
      await expect
        .poll(() => tab.locator('[role="row"][data-id]').allTextContents())
        .toEqual([expect.stringContaining('cjk=token')]);
      await search('渠道');
      await expect
        .poll(() => tab.locator('[role="row"][data-id]').allTextContents())
        .toEqual([expect.stringContaining('cjk=channel')]);
      await search('余额不足');
      await expect.poll(() => tab.getByTestId('no-matches').textContent()).toBe('无结果');
      expect(await tab.locator('[role="row"][data-id]').count()).toBe(0);
      await tab.getByTestId('language').selectOption('en');
      await expect.poll(() => tab.getByTestId('no-matches').textContent()).toBe('no matches');
    } finally {
      await context.close();
    }
  });
});
