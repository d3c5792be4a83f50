// The session view in Chromium (issue 27): a generated session of 500 turns opens with the page
// answering and its DOM bounded (a screenful of rows, whatever the length), scrolls to its last
// turn (pages loaded as it nears the end), shows the last turn's diff (exactly the two items it
// added) and its context (a thousand messages, virtualized), and the agent loop pairs calls with
// results; "Open session" from an exchange opens its session. Counts, not times.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { eventually, startHarness, within, type Harness } from './support/harness.ts';
import { generatedSession, sessionEvents } from './support/session-store.ts';

/** Elements in the whole page with a session open; a page listing every turn of 500 would hold tens of thousands. */
const DOM_BOUND = 2500;
const TURNS = 500;
/**
 * The wait for one page of turns: the session worker runs at low priority (nice 15), so on two
 * cores loaded by a whole test run its tenth of a second of work can take seconds. A page that
 * never comes fails here; what a page reads is counted, not timed, in test/session-page-tail.test.ts.
 */
const PAGE_WAIT_MS = 60_000;

let h: Harness;
let browser: Browser;
let page: Page;
let smallIds: number[];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  await h.wirelog.writer.importEvents(sessionEvents('big', generatedSession(TURNS)));
  smallIds = await h.wirelog.writer.importEvents(sessionEvents('small', generatedSession(3)));
  // Understanding (the thread key) follows storage in slices.
  await eventually(
    () =>
      h.wirelog.reader.count({ thread: 'session:big' }) === TURNS &&
      h.wirelog.reader.count({ thread: 'session:small' }) === 3,
    'both sessions understood',
    120_000,
  );
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const domCount = () => page.evaluate(() => document.getElementsByTagName('*').length);
/** The page runs script again: a frozen tab never answers, and the wait ends in a failure naming it. */
const answers = () =>
  within(
    page.evaluate(() => 1 + 1),
    'the page to answer',
    30_000,
  );

describe('a session of 500 turns opens without freezing', () => {
  it('the header and a screenful of rows, the DOM bounded', async () => {
    await page.goto(`${h.wirelog.viewer!.url}/sessions/${encodeURIComponent('session:big')}`);
    // The first question also starts the session worker.
    await page.getByTestId('session-header').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await answers()).toBe(2);
    await expect.poll(() => page.getByTestId('session-calls').textContent()).toBe('500 calls');
    await expect.poll(() => page.getByTestId('session-header').textContent()).toContain('Codex 0.171.0');
    await page.locator('[data-turn="1"]').waitFor();
    const rows = await page.getByTestId('turn-row').count();
    expect(rows).toBeGreaterThan(3);
    expect(rows).toBeLessThan(40);
    expect(await domCount()).toBeLessThan(DOM_BOUND);
    expect(await page.locator('[data-turn="1"]').textContent()).toContain('Read every part file and summarise them.');
  });

  it(
    'scrolled to the end, the last turn is there (pages loaded on the way), the DOM still bounded',
    async () => {
      const list = page.getByTestId('session-turns');
      const asked: number[] = [];
      page.on('response', (response) => {
        const offset = /\/api\/sessions\/[^/?]+\?offset=(\d+)&/.exec(response.url())?.[1];
        if (offset !== undefined && response.status() === 200) asked.push(Number(offset));
      });
      const scrolledUntil = (done: () => boolean | Promise<boolean>, what: string) =>
        expect
          .poll(
            async () => {
              // A list not there (an error shown instead) is not scrolled: the wait fails naming what it waited for.
              await list
                .evaluate((el) => (el.scrollTop = el.scrollHeight), undefined, { timeout: 5_000 })
                .catch(() => undefined);
              return done();
            },
            { message: what, timeout: PAGE_WAIT_MS },
          )
          .toBe(true);
      // Page after page as the list nears its end, each with its own bound: a page is the worker's
      // work on the page's own turns (at low priority on a loaded machine), the same late as early.
      for (let offset = 100; offset < TURNS; offset += 100)
        await scrolledUntil(() => asked.includes(offset), `the page of turns from ${offset} answered`);
      await scrolledUntil(
        async () => (await page.locator(`[data-turn="${TURNS}"]`).count()) === 1,
        'the last turn shown',
      );
      // Each page asked for once, in order.
      expect(asked).toEqual([100, 200, 300, 400]);
      expect(await answers()).toBe(2);
      expect(await page.getByTestId('turn-row').count()).toBeLessThan(40);
      expect(await domCount()).toBeLessThan(DOM_BOUND);
      expect(await page.locator(`[data-turn="${TURNS}"]`).textContent()).toContain(`All ${TURNS - 1} parts read.`);
    },
    5 * PAGE_WAIT_MS,
  );

  it("the last turn's diff: the call and its output it added, every earlier message unchanged", async () => {
    await page.locator(`[data-turn="${TURNS}"]`).getByRole('button', { name: 'Diff with previous' }).click();
    const diff = page.getByTestId('turn-diff');
    await diff.waitFor({ timeout: PAGE_WAIT_MS });
    expect(await diff.getByRole('heading', { level: 3 }).textContent()).toBe(`Turn ${TURNS} against turn ${TURNS - 1}`);
    expect(await diff.getByTestId('diff-message').count()).toBe(2);
    expect(await diff.locator('[data-change="added"]').count()).toBe(2);
    expect(await diff.textContent()).toContain(`${1 + 2 * (TURNS - 2)} messages unchanged`);
    expect(await diff.getByTestId('compaction').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'session-diff.png') });
    expect(await domCount()).toBeLessThan(DOM_BOUND);
  });

  it('against the first turn: every call between them, shown a hundred at a time', async () => {
    await page.getByTestId('diff-against').fill('1');
    const diff = page.getByTestId('turn-diff');
    await expect
      .poll(() => diff.getByRole('heading', { level: 3 }).textContent(), { timeout: PAGE_WAIT_MS })
      .toBe(`Turn ${TURNS} against turn 1`);
    expect(await diff.getByTestId('diff-message').count()).toBe(100);
    expect(await answers()).toBe(2);
    expect(await domCount()).toBeLessThan(DOM_BOUND * 2);
  });

  it("the last turn's context: tools with their schema, a thousand messages virtualized", async () => {
    await page.locator(`[data-turn="${TURNS}"]`).getByRole('button', { name: 'Context' }).click();
    const context = page.getByTestId('turn-context');
    await context.waitFor({ timeout: PAGE_WAIT_MS });
    expect(await context.textContent()).toContain(`${1 + 2 * (TURNS - 1)} messages`);
    await context.getByText('shell', { exact: true }).first().click();
    expect(await context.textContent()).toContain('Runs a shell command and returns its output');
    const shown = await context.getByTestId('context-messages').locator('.ctx-message').count();
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    await page.screenshot({ path: path.join(ARTIFACTS, 'session-context.png') });
    expect(await domCount()).toBeLessThan(DOM_BOUND);
  });

  it('the agent loop: each call with the result the next turn sent back', async () => {
    await page.getByRole('tab', { name: 'Agent loop' }).click();
    const first = page.locator('[data-call="call_gen_0"]');
    await first.waitFor();
    expect(await first.getByTestId('loop-result').textContent()).toContain('line one of part 0');
    expect(await first.textContent()).toContain('client took 100 ms');
    expect(await page.getByTestId('loop-row').count()).toBeLessThan(40);
    await page.screenshot({ path: path.join(ARTIFACTS, 'session-loop.png') });
  });
});

describe('Open session from a call', () => {
  it('opens the session the exchange belongs to, and Back to the list returns', async () => {
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${smallIds[0]}`);
    await page.getByRole('link', { name: 'Open session' }).click();
    await expect.poll(() => page.getByTestId('session-calls').textContent()).toBe('3 calls');
    expect(new URL(page.url()).pathname).toBe(`/sessions/${encodeURIComponent('session:small')}`);
    expect(await page.getByTestId('turn-row').count()).toBe(3);
    await page.getByRole('button', { name: /Back to the list/ }).click();
    await page.getByTestId('exchange-list').waitFor();
  });
});
