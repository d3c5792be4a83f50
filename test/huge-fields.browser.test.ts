// The viewer shows an exchange stored cut (a field past its bound, model/head-bounds.ts): a mark
// on its list row, and in its detail the notes saying what was cut and how big it was.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExchangeEvent } from '../model/exchange.ts';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('marks a row stored cut, and its detail lists what was cut and how big it was', async () => {
  const events = finishedExchange(1);
  const request = (events[0] as Extract<ExchangeEvent, { type: 'request' }>).head;
  request.headers.push(
    ['x-foo', 'a'.repeat(20 * 1024 * 1024)],
    ...Array.from({ length: 3000 }, (_, i): [string, string] => [`x-many-${i}`, 'v']),
  );
  request.path = `/v1/chat/completions?q=${'u'.repeat(100_000)}`;
  const [cut] = await h.wirelog.writer.importEvents(events);
  const [whole] = await h.wirelog.writer.importEvents(finishedExchange(2));

  await page.goto(h.wirelog.viewer!.url);
  const row = (id: number) => page.locator(`[role="row"][data-id="${id}"]`);
  await expect.poll(() => row(cut).getByTestId('cut-badge').count()).toBe(1);
  expect(await row(whole).getByTestId('cut-badge').count()).toBe(0);
  expect(await row(cut).getByTestId('cut-badge').getAttribute('title')).toContain(
    'request URL path: 97.7 KB (100,023 bytes), stored the first 64 KB',
  );

  await row(cut).click();
  const notes = page.getByTestId('cut-notes');
  await expect
    .poll(() => notes.locator('li').allTextContents())
    .toEqual([
      'request URL path: 97.7 KB (100,023 bytes), stored the first 64 KB',
      'request header x-foo: 20 MB (20,971,520 bytes), stored the first 256 KB',
      expect.stringMatching(
        /^3,003 request headers: the first 2,000 stored \(\d+(\.\d)? KB\); at most 2,000 headers of a head are stored$/,
      ),
    ]);
  await page.screenshot({ path: path.join(ARTIFACTS, 'huge-fields-notes.png') });

  await row(whole).click();
  await expect.poll(() => page.locator('.detail-head .url').textContent()).toContain('n=2');
  expect(await page.getByTestId('cut-notes').count()).toBe(0);
});
