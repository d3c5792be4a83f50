// The viewer from the keyboard alone (issue 30, the a11y findings mended): every control whose
// element changed is reached with Tab and worked with Enter or Space, with the same effect as
// the click: the detail's tabs, an event's text opening as a tree and back, a JSON node, an
// image shown full size (the focus on its Close button, Escape closing it and not the pane),
// Import HAR, and the separator between the panes. A file dropped on the page still imports.
// Counts and states only: no timed assertions.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { fixtures, sendThrough, startFixtureServer, type FixtureServer } from './support/fixture-server.ts';
import { eventually, startHarness, tempDir, type Harness } from './support/harness.ts';
import { generatedSession, sessionEvents } from './support/session-store.ts';

let h: Harness;
let server: FixtureServer;
let browser: Browser;
let page: Page;
let imageCall = 0;

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

beforeAll(async () => {
  h = await startHarness();
  server = await startFixtureServer();
  // A streamed Gemini call: JSON events (shown as text that opens as a tree) and images.
  imageCall = await captured('gemini-image-vertex-sse.json');
  await captured('chat-json.json');
  // A session of 3 turns, each with a tool call: its turns and its agent loop are lists.
  await h.wirelog.writer.importEvents(sessionEvents('keys', generatedSession(3)));
  await eventually(() => h.wirelog.reader.count({ thread: 'session:keys' }) === 3, 'the session understood', 120_000);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await h?.close();
});

const focused = (target: Locator) => target.evaluate((el) => el === document.activeElement);
/** A few words on what has the focus: its tag and classes. */
const focusedElement = () =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}` : '';
  });

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus, at most `max` times; what had the
 * focus on the way. Fails when Tab never reaches it: the control is not in the Tab order.
 */
async function tabTo(target: Locator, { back = false, max = 300 } = {}): Promise<string[]> {
  const visited: string[] = [];
  for (let n = 0; n < max; n++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await focused(target)) return visited;
    visited.push(await focusedElement());
  }
  throw new Error(`Tab did not reach the control after ${max} presses; last focused: ${visited.slice(-5).join(', ')}`);
}

/** The detail of the image call, opened by its URL, the focus at the top of the page. */
async function openImageCall(): Promise<void> {
  await page.goto(`${h.wirelog.viewer!.url}/exchanges/${imageCall}`);
  await page.locator('.detail [role="tablist"]').waitFor();
}

/** Tabs to a detail tab and selects it with `key`; the tab is selected afterwards. */
async function chooseTab(name: RegExp, key: 'Enter' | 'Space'): Promise<void> {
  const tab = page.getByRole('tab', { name });
  await tabTo(tab);
  await page.keyboard.press(key);
  await expect.poll(() => tab.getAttribute('aria-selected')).toBe('true');
}

describe('the viewer from the keyboard alone', () => {
  it('a stream event opens as a tree with Enter and goes back to text with Space; the focus follows', async () => {
    await openImageCall();
    await chooseTab(/^Stream \(\d+ events?\)$/, 'Enter');
    const event = page
      .locator('.event')
      .filter({ has: page.locator('.event-as-tree') })
      .first();
    const seq = await event.getAttribute('data-seq');
    const thisEvent = page.locator(`.event[data-seq="${seq}"]`);
    const pretty = await thisEvent.locator('.event-as-tree').textContent();
    expect(pretty).toContain('"candidates"');

    await tabTo(thisEvent.locator('.event-as-tree'));
    await page.keyboard.press('Enter');
    await expect.poll(() => thisEvent.locator('.json-tree').count()).toBe(1);
    expect(await thisEvent.locator('.event-as-tree').count()).toBe(0);
    // The button that was pressed is gone: the focus is on the one that turns it back.
    expect(await focused(thisEvent.locator('.event-as-text'))).toBe(true);
    expect(await thisEvent.locator('.event-as-text').getAttribute('aria-expanded')).toBe('true');

    await page.keyboard.press('Space');
    await expect.poll(() => thisEvent.locator('.event-as-tree').count()).toBe(1);
    expect(await thisEvent.locator('.json-tree').count()).toBe(0);
    expect(await thisEvent.locator('.event-as-tree').textContent()).toBe(pretty);
    expect(await focused(thisEvent.locator('.event-as-tree'))).toBe(true);

    // The click does the same.
    await thisEvent.locator('.event-as-tree').click();
    await expect.poll(() => thisEvent.locator('.json-tree').count()).toBe(1);
  });

  it('a closed JSON node opens from its toggle with Enter, as a click on its summary does; the summary is not a second Tab stop', async () => {
    await openImageCall();
    await chooseTab(/^Stream \(\d+ events?\)$/, 'Enter');
    const seq = await page
      .locator('.event')
      .filter({ has: page.locator('.event-as-tree') })
      .first()
      .getAttribute('data-seq');
    const event = page.locator(`.event[data-seq="${seq}"]`);
    await event.locator('.event-as-tree').click();
    const tree = event.locator('.json-tree');
    await tree.waitFor();
    // A closed node of the tree, marked so it is found again once open (React keeps its element).
    const closed = tree.locator('.j-node:has(> .j-toggle[aria-expanded="false"])');
    expect(await closed.count()).toBeGreaterThan(0);
    await closed.first().evaluate((el) => el.setAttribute('data-under-test', ''));
    const node = tree.locator('.j-node[data-under-test]');
    const toggle = node.locator('> .j-toggle');

    const visited = await tabTo(toggle);
    expect(visited.filter((el) => el.includes('j-summary'))).toEqual([]);
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await node.locator('> .j-summary').count()).toBe(0);
    const openedByKey = await node.locator('> .j-children').innerText();
    expect(openedByKey.length).toBeGreaterThan(0);

    // Shut again, then opened by a click on its summary: the same children.
    await page.keyboard.press('Space');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await node.locator('> .j-children').count()).toBe(0);
    // From the toggle, Tab goes past the summary beside it: one stop per node.
    await page.keyboard.press('Tab');
    expect(await focused(node.locator('> .j-summary'))).toBe(false);
    await node.locator('> .j-summary').click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await node.locator('> .j-children').innerText()).toBe(openedByKey);
  });

  it('an image opens full size with Enter, the focus on Close; Escape closes it and leaves the pane open; Space closes it too', async () => {
    await openImageCall();
    await chooseTab(/^Model call$/, 'Space');
    const thumb = page.getByTestId('images-returned').getByRole('button', { name: /Open full size: image\/png/ });
    await expect.poll(() => thumb.count()).toBe(2);
    const full = page.locator('dialog[open][data-testid="image-full"]');

    await tabTo(thumb.nth(1));
    await page.keyboard.press('Enter');
    await expect.poll(() => full.count()).toBe(1);
    expect(await focused(full.getByRole('button', { name: 'Close' }))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => full.count()).toBe(0);
    // Escape closed the image, not the detail pane behind it; the focus is back on the thumbnail.
    expect(await page.locator('.detail').count()).toBe(1);
    expect(await focused(thumb.nth(1))).toBe(true);

    await page.keyboard.press('Space');
    await expect.poll(() => full.count()).toBe(1);
    expect(await focused(full.getByRole('button', { name: 'Close' }))).toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => full.count()).toBe(0);
    expect(await page.locator('.detail').count()).toBe(1);

    // A click beside the image (on the backdrop) closes it as well.
    await thumb.nth(1).click();
    await expect.poll(() => full.count()).toBe(1);
    await page.mouse.click(3, 3);
    await expect.poll(() => full.count()).toBe(0);
  });

  // Before the imports below, which bring the session's calls in again.
  it("a session's tabs are chosen with Enter; its turns and its loop are lists whose items say their place", async () => {
    await page.goto(`${h.wirelog.viewer!.url}/sessions/${encodeURIComponent('session:keys')}`);
    await expect.poll(() => page.getByTestId('session-calls').textContent()).toBe('3 calls');
    const turns = page.getByTestId('session-turns').getByRole('listitem');
    await expect.poll(() => turns.count()).toBe(3);
    expect(await turns.evaluateAll((items) => items.map((li) => [li.ariaSetSize, li.ariaPosInSet]))).toEqual([
      ['3', '1'],
      ['3', '2'],
      ['3', '3'],
    ]);

    const loopTab = page.getByRole('tab', { name: 'Agent loop' });
    await tabTo(loopTab);
    await page.keyboard.press('Enter');
    await expect.poll(() => loopTab.getAttribute('aria-selected')).toBe('true');
    const loop = page.getByTestId('agent-loop').getByRole('listitem');
    await expect.poll(() => loop.count()).toBeGreaterThan(0);
    const count = await loop.count();
    // Every turn is read, so the loop knows how many calls it has.
    expect(await loop.evaluateAll((items) => items.map((li) => li.ariaSetSize))).toEqual(
      Array(count).fill(String(count)),
    );
  });

  it('Import HAR is reached by Tab and opens the file picker with Enter; a file dropped on the page imports too', async () => {
    const dir = tempDir();
    const har = await (await fetch(`${h.wirelog.viewer!.url}/api/export.har`)).text();
    const file = path.join(dir, 'by-keyboard.har');
    fs.writeFileSync(file, har);
    await page.goto(h.wirelog.viewer!.url);
    const notice = () =>
      page
        .getByTestId('notice')
        .textContent()
        .catch(() => '');

    const button = page.getByRole('button', { name: 'Import HAR' });
    // Waited for before the Tabs: Playwright starts catching file pickers only once the page has
    // been told to, and a picker opened before that is never reported.
    const chooser = page.waitForEvent('filechooser', { timeout: 30_000 });
    await tabTo(button);
    await page.keyboard.press('Enter');
    await (await chooser).setFiles(file);
    await expect.poll(notice).toMatch(/^Imported \d+ exchange\(s\) from by-keyboard\.har$/);

    const count = h.wirelog.reader.count({});
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'dropped.har', { type: 'application/json' }));
      for (const type of ['dragover', 'drop'])
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }, har);
    await expect.poll(notice).toMatch(/^Imported \d+ exchange\(s\) from dropped\.har$/);
    expect(h.wirelog.reader.count({})).toBeGreaterThan(count);
  });

  it('the separator between the panes is an <hr> reached by Tab and moved by the arrow keys', async () => {
    await openImageCall();
    const separator = page.getByRole('separator');
    expect(await separator.evaluate((el) => el.tagName)).toBe('HR');
    await tabTo(separator);
    const before = Number(await separator.getAttribute('aria-valuenow'));
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => Number(await separator.getAttribute('aria-valuenow'))).toBe(before - 2);
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => Number(await separator.getAttribute('aria-valuenow'))).toBe(before);
  });

  it('the filters are the search landmark and the timings a named figure', async () => {
    await openImageCall();
    expect(await page.getByRole('search').evaluate((el) => el.tagName)).toBe('SEARCH');
    await expect.poll(() => page.getByRole('figure', { name: 'Timings' }).count()).toBe(1);
  });
});
