// The exchange list at length (issue 28, "every screen fast at a million calls"; issue 30's
// keyboard): a store of a few thousand rows, scrolled to its end a screen at a time, shows every
// row the API lists exactly once and in its order (none lost between pages, none drawn twice),
// with a bounded number of row elements however many rows are loaded; and the grid is worked by
// the keyboard: one tab stop, arrow keys move the selection and the focus, Enter opens the
// detail. Counts and orderings, not time.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { listCall } from './support/list-calls.ts';

/** More than a first page (200) and two further pages (1,000 each): the seams between pages are crossed. */
const STORED = 3200;
/** Row elements the page may hold: a screen (800 px of 28 px rows) and a margin, whatever the rows loaded. */
const MOST_ROW_ELEMENTS = 80;

let h: Harness;
let browser: Browser;
let page: Page;
/** The ids the list API gives, page after page, newest first. */
let apiIds: number[];

const list = () => page.getByTestId('exchange-list');

/** Every id the API lists for the unfiltered list, following its keyset cursor to the end. */
async function idsFromApi(viewer: string): Promise<number[]> {
  const ids: number[] = [];
  let cursor: number | string | null = null;
  do {
    const res = await fetch(`${viewer}/api/exchanges?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`);
    const body = (await res.json()) as { exchanges: { id: number }[]; nextCursor: number | string | null };
    ids.push(...body.exchanges.map((e) => e.id));
    cursor = body.nextCursor;
  } while (cursor !== null);
  return ids;
}

/** The rows drawn now: each row element's id and its place in the list (from its offset in the list's body). */
function drawnRows(): Promise<{ id: number; index: number }[]> {
  return list().evaluate((el) => {
    const body = el.querySelector('.list-body')!;
    const top = body.getBoundingClientRect().top;
    return [...body.querySelectorAll<HTMLElement>('[role="row"][data-id]')].map((row) => ({
      id: Number(row.dataset.id),
      index: Math.round((row.getBoundingClientRect().top - top) / row.getBoundingClientRect().height),
    }));
  });
}

beforeAll(async () => {
  h = await startHarness();
  for (let stored = 0; stored < STORED; stored += 400)
    await h.wirelog.writer.importEvents(
      Array.from({ length: 400 }, (_, i) => listCall({ host: `h${(stored + i) % 7}.example` })).flat(),
    );
  apiIds = await idsFromApi(h.wirelog.viewer!.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the list scrolled to its end', () => {
  it('shows every row the API lists exactly once, in its order, with a bounded number of row elements', async () => {
    expect(apiIds.length).toBe(STORED);
    expect(new Set(apiIds).size).toBe(STORED);
    await page.goto(h.wirelog.viewer!.url);
    await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 30_000 });
    // Place in the list -> id, as drawn at any moment of the scroll: one id per place, one place per id.
    const atPlace = new Map<number, number>();
    const placeOf = new Map<number, number>();
    let mostElements = 0;
    for (let step = 0; step < 2000 && atPlace.size < STORED; step++) {
      const drawn = await drawnRows();
      mostElements = Math.max(mostElements, drawn.length);
      for (const { id, index } of drawn) {
        expect(atPlace.get(index) ?? id, `place ${index} drew two ids`).toBe(id);
        expect(placeOf.get(id) ?? index, `id ${id} drawn at two places`).toBe(index);
        atPlace.set(index, id);
        placeOf.set(id, index);
      }
      // A screen down; at the loaded end, wait for the next page (the grid's row count grows) before going on.
      const moved = await list().evaluate((el) => {
        const before = el.scrollTop;
        el.scrollTop += el.clientHeight;
        return el.scrollTop !== before;
      });
      if (!moved) {
        const held = Number(await list().getAttribute('aria-rowcount'));
        if (held >= STORED) continue;
        await expect
          .poll(async () => Number(await list().getAttribute('aria-rowcount')), { timeout: 20_000 })
          .toBeGreaterThan(held);
      }
      // The rows of the new scroll position are drawn (a frame later) before they are read.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    const drawnInOrder = [...atPlace.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id);
    expect(drawnInOrder.length).toBe(STORED);
    expect(drawnInOrder).toEqual(apiIds);
    expect(mostElements).toBeLessThanOrEqual(MOST_ROW_ELEMENTS);
    expect(Number(await list().getAttribute('aria-rowcount'))).toBe(STORED);
  });
});

describe('the list by keyboard', () => {
  it('has one tab stop, moves the selection and the focus with the arrow keys, and opens the detail with Enter', async () => {
    await page.goto(h.wirelog.viewer!.url);
    await page.locator(`[role="row"][data-id="${apiIds[0]}"]`).waitFor({ timeout: 30_000 });
    // One row is the list's tab stop (the cursor's); the others are reached by the arrow keys.
    expect(await page.locator('[role="row"][data-id][tabindex="0"]').count()).toBe(1);
    expect(await page.locator(`[role="row"][data-id="${apiIds[0]}"]`).getAttribute('tabindex')).toBe('0');

    await list().focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    const focusedId = () => page.evaluate(() => Number((document.activeElement as HTMLElement | null)?.dataset.id));
    await expect.poll(focusedId).toBe(apiIds[3]);
    expect(await page.locator('.row.cursor').getAttribute('data-id')).toBe(String(apiIds[3]));
    await page.keyboard.press('ArrowUp');
    await expect.poll(focusedId).toBe(apiIds[2]);
    expect(await page.locator('[role="row"][data-id][tabindex="0"]').getAttribute('data-id')).toBe(String(apiIds[2]));

    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/exchanges/${apiIds[2]}`);
    await page.locator('.detail-head').waitFor({ timeout: 10_000 });
    expect(await page.locator(`[role="row"][data-id="${apiIds[2]}"]`).getAttribute('aria-selected')).toBe('true');

    // Far down by keyboard (past what one screen draws), then Enter opens the row the cursor is on.
    await page.locator(`[role="row"][data-id="${apiIds[2]}"]`).focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('PageDown');
    const far = await page.locator('.row.cursor').getAttribute('data-id');
    expect(apiIds.indexOf(Number(far))).toBeGreaterThan(40);
    await expect.poll(focusedId).toBe(Number(far));
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/exchanges/${far}`);
  });
});
