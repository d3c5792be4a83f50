// Bodies of any size, without freezing (issue 26): 1, 5 and 20 MB bodies (JSON, text,
// base64-heavy JSON) and a stream of 5,000 events open in Chromium with the page answering
// input again within a generous bound, and with a DOM that stays bounded whatever the size
// (counts, not times: the figures themselves are printed by `npm run bench`, bench/viewer.ts).
// Before: a 5 MB body's Response tab froze the tab for 89-140 s (one <pre>, or a tree of every node).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import {
  BODY_SHOWN,
  bigBody,
  bigExchange,
  domNodes,
  longStream,
  timeOpen,
  type BigKind,
} from './support/big-bodies.ts';
import { startHarness, type Harness } from './support/harness.ts';

/** A page frozen for longer than this has failed; the bound is far from any timing race (the old viewer took 89-140 s at 5 MB). */
const ANSWERS_WITHIN_MS = 30_000;
/** Elements in the whole page with a body open: the list, the detail, one screen of the body. */
const DOM_BOUND = 3000;

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
const ids = new Map<string, number>();

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  let i = 0;
  for (const kind of ['json', 'text', 'base64'] as BigKind[])
    for (const mb of [1, 5, 20]) {
      const [id] = await h.wirelog.writer.importEvents(bigExchange(i++, bigBody(kind, mb * 1024 * 1024)));
      ids.set(`${kind}-${mb}`, id);
    }
  const [stream] = await h.wirelog.writer.importEvents(longStream(i++, 5000));
  ids.set('stream', stream);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openResponse(key: string) {
  await page.goto(`${h.wirelog.viewer!.url}/exchanges/${ids.get(key)}`);
  await page.locator('.detail-head').waitFor();
  return timeOpen(page, cdp, () => page.getByRole('tab', { name: 'Response' }).click(), BODY_SHOWN, ANSWERS_WITHIN_MS);
}

describe('a large body opens without freezing the page, its DOM bounded', () => {
  for (const kind of ['json', 'text', 'base64'] as BigKind[])
    for (const mb of [1, 5, 20])
      it(`${kind}, ${mb} MB: the Response tab, then Raw`, async () => {
        const opened = await openResponse(`${kind}-${mb}`);
        expect(opened.answeredMs).toBeLessThan(ANSWERS_WITHIN_MS);
        expect(opened.domNodes).toBeLessThan(DOM_BOUND);
        if (kind !== 'text') {
          const raw = await timeOpen(
            page,
            cdp,
            () => page.getByRole('button', { name: 'Raw', exact: true }).click(),
            '.body-panel .raw-lines',
            ANSWERS_WITHIN_MS,
          );
          expect(raw.answeredMs).toBeLessThan(ANSWERS_WITHIN_MS);
          expect(raw.domNodes).toBeLessThan(DOM_BOUND);
        }
        // The tab answers a click on another tab.
        await page.getByRole('tab', { name: 'Request' }).click({ timeout: ANSWERS_WITHIN_MS });
        await expect.poll(() => page.locator('.body-panel').count()).toBe(1);
      });
});

it('shows the first rows of a 20 MB text body, and only the rows on screen are in the DOM', async () => {
  await openResponse('text-20');
  const lines = page.locator('.body-panel .raw-lines');
  expect(Number(await lines.getAttribute('data-rows'))).toBeGreaterThan(200_000);
  expect(await page.locator('.raw-line').count()).toBeLessThan(200);
  expect(await page.locator('.raw-line').first().textContent()).toMatch(/^0000000 /);
  // Scrolled to the end, the last line is there (and still only a screen of rows).
  await lines.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect.poll(() => page.locator('.raw-line').last().textContent()).toMatch(/^\d{7} /);
  const last = (
    bigBody('text', 20 * 1024 * 1024)
      .text.split('\n')
      .pop() ?? ''
  ).slice(0, 7);
  await expect.poll(() => page.locator('.raw-line', { hasText: last }).count()).toBe(1);
  expect(await page.locator('.raw-line').count()).toBeLessThan(200);
});

it('collapses base64 image data and embeddings, and opens or downloads them', async () => {
  await openResponse('base64-5');
  const run = page.getByTestId('base64-run').first();
  await expect.poll(() => run.textContent()).toMatch(/\[image\/png, 3\.\d MB\]/);
  // The tree shows embeddings as "1536 floats" until opened.
  await expect.poll(() => page.locator('.j-summary', { hasText: '1536 floats' }).count()).toBe(8);
  // Pretty-printed, the run is a row of its own with the same label.
  await page.getByRole('button', { name: 'Pretty', exact: true }).click();
  await expect.poll(() => page.locator('.raw-lines[data-done="true"]').count(), { timeout: ANSWERS_WITHIN_MS }).toBe(1);
  await expect.poll(() => page.locator('.raw-line [data-testid="base64-run"]').count()).toBe(1);
  const download = page.waitForEvent('download', { timeout: ANSWERS_WITHIN_MS });
  await page.locator('.raw-line [data-testid="base64-run"]').getByRole('button', { name: 'Download' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('body-part.png');
  const saved = fs.readFileSync((await file.path())!);
  expect([...saved.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // Expanded, its text shows in rows of its own.
  await page.locator('.raw-line [data-testid="base64-run"]').getByRole('button', { name: 'expand' }).click();
  await expect
    .poll(() => page.getByTestId('opened-run').locator('.raw-line').first().textContent())
    .toMatch(/^iVBORw0KGgo/);
  expect(await domNodes(page)).toBeLessThan(DOM_BOUND);
  await page.screenshot({ path: path.join(ARTIFACTS, 'big-body-base64.png') });
});

it('a stream of 5,000 events keeps only those on screen in the DOM, its JSON pretty-printed', async () => {
  await page.goto(`${h.wirelog.viewer!.url}/exchanges/${ids.get('stream')}`);
  await page.locator('.detail-head').waitFor();
  const opened = await timeOpen(
    page,
    cdp,
    () => page.getByRole('tab', { name: /Stream/ }).click(),
    '[data-testid="stream-events"] .event',
    ANSWERS_WITHIN_MS,
  );
  expect(opened.answeredMs).toBeLessThan(ANSWERS_WITHIN_MS);
  await expect.poll(() => page.locator('.stream-status').textContent()).toContain('5000 events');
  expect(await page.locator('.event').count()).toBeLessThan(100);
  expect(await domNodes(page)).toBeLessThan(DOM_BOUND);
  // It follows the tail: the last event is on screen, pretty-printed.
  await expect.poll(() => page.locator('.event').last().textContent()).toContain('[DONE]');
  const list = page.getByTestId('stream-events');
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect.poll(() => page.locator('.event[data-seq="0"] .event-data').textContent()).toContain('\n  "choices": [');
  await page.screenshot({ path: path.join(ARTIFACTS, 'big-body-stream.png') });
});
