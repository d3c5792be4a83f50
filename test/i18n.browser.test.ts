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

describe('the viewer in the browser language', () => {
  it('a zh-CN browser gets Chinese and <html lang="zh-CN">; the switch changes it and is remembered', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    try {
      const tab = await context.newPage();
      await tab.goto(h.wirelog.viewer!.url);
      await expect.poll(() => tab.evaluate(() => document.documentElement.lang), { timeout: 10_000 }).toBe('zh-CN');
      await expect.poll(() => tab.getByText('导出 HAR').count(), { timeout: 10_000 }).toBe(1);
      await tab.getByTestId('language').selectOption('en');
      await expect.poll(() => tab.getByText('Export HAR').count(), { timeout: 10_000 }).toBe(1);
      expect(await tab.evaluate(() => document.documentElement.lang)).toBe('en');
      await tab.reload();
      await expect.poll(() => tab.getByText('Export HAR').count(), { timeout: 10_000 }).toBe(1);
      expect(await tab.evaluate(() => document.documentElement.lang)).toBe('en');
    } finally {
      await context.close();
    }
  });

  it('an English browser gets English', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const tab = await context.newPage();
      await tab.goto(h.wirelog.viewer!.url);
      await expect.poll(() => tab.getByText('Export HAR').count(), { timeout: 10_000 }).toBe(1);
      expect(await tab.evaluate(() => document.documentElement.lang)).toBe('en');
    } finally {
      await context.close();
    }
  });
});
