// The viewer tab's list over a long day (issue 24): 20,000 exchanges arrive by the live feed of a
// real wirelog while the tab stays open. The tab holds the newest rows only (list-merge.ts
// ROWS_KEPT), the page keeps a bounded number of row elements, the newest exchange is shown and
// counted, and "load more" continues exactly after the last row kept. Counts and presence, not time.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROWS_KEPT } from '../viewer/app/list-merge.ts';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { listCall } from './support/list-calls.ts';

const ARRIVING = 20_000;
/** Exchanges stored (and announced by the feed) per transaction: fast, and still many live batches. */
const BATCH = 500;

let h: Harness;
let browser: Browser;
let page: Page;

const list = () => page.getByTestId('exchange-list');
/** How many rows the tab holds (the grid says it: aria-rowcount), and how many row elements the page has. */
const held = async () => Number(await list().getAttribute('aria-rowcount'));
const rowElements = () => page.locator('[role="row"][data-id]').count();
const shown = (id: number) => page.locator(`[role="row"][data-id="${id}"]`).count();

beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the live list over a long day', () => {
  it('holds the newest rows only while 20,000 arrive, shows and counts the newest, and pages on after the last kept', async () => {
    await page.goto(h.wirelog.viewer!.url);
    // One exchange first: once it is shown, the list is up and the tab is on the feed.
    let [newest] = await h.wirelog.writer.importEvents(listCall({ host: 'soak.example' }));
    await expect.poll(() => shown(newest)).toBe(1);
    for (let stored = 1; stored < ARRIVING; stored += BATCH) {
      const ids = await h.wirelog.writer.importEvents(
        Array.from({ length: Math.min(BATCH, ARRIVING - stored) }, () => listCall({ host: 'soak.example' })).flat(),
      );
      newest = Math.max(newest, ...ids);
    }
    // The newest exchange reaches the tab by the feed, on top, counted with all the others.
    await expect.poll(() => shown(newest)).toBe(1);
    await expect.poll(() => page.getByTestId('result-count').textContent()).toContain('20,000');
    expect(await held()).toBe(ROWS_KEPT);
    // The virtualiser draws what fits the screen and a margin, not the rows held.
    expect(await rowElements()).toBeLessThan(100);

    // The end of the list: the next page starts exactly after the last row kept (no gap, nothing twice).
    const lastKept = newest - ROWS_KEPT + 1;
    await list().evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(held).toBeGreaterThan(ROWS_KEPT);
    const rowHeight = await page
      .locator('[role="row"][data-id]')
      .first()
      .evaluate((el) => el.getBoundingClientRect().height);
    await list().evaluate((el, top) => el.scrollTo(0, top), (ROWS_KEPT - 5) * rowHeight);
    await expect.poll(() => shown(lastKept - 1)).toBe(1);
    const seam = await page
      .locator('[role="row"][data-id]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    // Consecutive ids across the seam, each once.
    const around = seam.filter((id) => id >= lastKept - 3 && id <= lastKept + 3).sort((a, b) => b - a);
    expect(around).toEqual([
      lastKept + 3,
      lastKept + 2,
      lastKept + 1,
      lastKept,
      lastKept - 1,
      lastKept - 2,
      lastKept - 3,
    ]);
  });
});
