// The viewer's tools (issue 30): copy buttons that put on the clipboard exactly the text shown
// beside them (a header line, the whole header table, a body as Raw shows it, the Codex block and
// the Cherry Studio address a fix offers), read back from Chromium's clipboard; and the separator
// between the list and the detail, moved by keyboard and by pointer, its place remembered across
// a reload. Counts and orderings only: no timed assertions.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';
import { CHERRY, CODEX } from './support/list-calls.ts';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids = { codex: 0, codexFailed: 0, cherryFailed: 0 };

const viewer = () => h.wirelog.viewer!.url;
const newest = () => h.wirelog.reader.list({ limit: 1 })[0].id;

beforeAll(async () => {
  h = await startHarness();
  const gateway = `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}`;
  const post = async (path: string, headers: [string, string][], body: unknown) => {
    const res = await fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: [['content-type', 'application/json'], ...headers],
      body: JSON.stringify(body),
    });
    await res.text();
    await h.stored();
    return res.status;
  };
  expect(
    await post('/v1/responses', [...CODEX, ['authorization', 'Bearer sk-tools-000011112222']], {
      model: 'gpt-5-codex',
      input: 'list the files',
      stream: true,
    }),
  ).toBe(200);
  ids.codex = newest();
  // Codex with a base_url ending in /chat/completions: the fix gives a Codex block.
  expect(
    await post('/v1/chat/completions/responses', [...CODEX, ['authorization', 'Bearer sk-tools-333344445555']], {
      model: 'gpt-5-codex',
      input: 'hi',
      stream: true,
    }),
  ).toBe(404);
  ids.codexFailed = newest();
  // Cherry Studio with /v1 typed into its address: the fix gives a Cherry Studio address.
  expect(
    await post('/v1/v1/chat/completions', [...CHERRY, ['authorization', 'Bearer sk-tools-666677778888']], {
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    }),
  ).toBe(404);
  ids.cherryFailed = newest();
  await eventually(
    () => h.wirelog.reader.get(ids.codexFailed)?.diagnosis && h.wirelog.reader.get(ids.cherryFailed)?.diagnosis,
    'the failures diagnosed',
    60_000,
  );
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: viewer() });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
/** Something else on the clipboard first, so a copy that did nothing is seen. */
const clearClipboard = () => page.evaluate(() => navigator.clipboard.writeText('(nothing copied)'));

async function openTab(id: number, tab: string): Promise<void> {
  await page.goto(`${viewer()}/exchanges/${id}`);
  await page.getByRole('tab', { name: tab, exact: true }).click();
}

describe('copy buttons', () => {
  it('a header line and the whole header table, as the table shows them', async () => {
    await openTab(ids.codex, 'Request');
    const rows = page.locator('table.headers tr');
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => `${tr.querySelector('th')!.textContent}: ${tr.querySelector('td')!.textContent}`),
    );
    expect(shown.length).toBeGreaterThan(3);
    expect(shown).toContain('originator: codex_exec');
    // The key is shown masked, and copied masked.
    const auth = shown.find((line) => line.toLowerCase().startsWith('authorization: '))!;
    expect(auth).not.toContain('sk-tools-000011112222');

    await clearClipboard();
    await page.getByTestId('copy-headers').first().click();
    await expect.poll(clipboard).toBe(shown.join('\n'));

    const index = shown.indexOf('originator: codex_exec');
    await clearClipboard();
    await rows.nth(index).hover();
    await rows.nth(index).getByTestId('copy-header-line').click();
    await expect.poll(clipboard).toBe('originator: codex_exec');
  });

  it('a body as the Raw view shows it, line for line', async () => {
    await openTab(ids.codex, 'Request');
    await page.locator('.body-panel').getByRole('button', { name: 'Raw', exact: true }).click();
    const lines = page.locator('.body-panel [data-testid="raw-lines"] .raw-line');
    await lines.first().waitFor();
    const shown = (await lines.allTextContents()).join('\n');
    expect(JSON.parse(shown)).toMatchObject({ model: 'gpt-5-codex', input: 'list the files' });
    await clearClipboard();
    await page.getByTestId('copy-body').click();
    await expect.poll(clipboard).toBe(shown);

    // The SSE answer: many lines.
    await page.getByRole('tab', { name: 'Response', exact: true }).click();
    const answer = page.locator('.body-panel [data-testid="raw-lines"] .raw-line');
    await expect.poll(() => answer.count()).toBeGreaterThan(5);
    const answerShown = (await answer.allTextContents()).join('\n');
    await clearClipboard();
    await page.getByTestId('copy-body').click();
    // The body as it came: the rows show it line by line, a line longer than 200 characters on
    // rows of its own (body-rows.ts WRAP), so the same characters in the same order.
    await expect.poll(clipboard).toContain('event: response.completed');
    const copied = await clipboard();
    expect(copied.replace(/\n/g, '')).toBe(answerShown.replace(/\n/g, ''));
    expect(copied.split('\n').filter(Boolean).length).toBeLessThan(answerShown.split('\n').length);
  });

  it('the Codex block of a fix that worked, as shown', async () => {
    await openTab(ids.codexFailed, 'Overview');
    await page.getByRole('button', { name: 'Try this fix' }).click();
    await expect
      .poll(() => page.getByTestId('fix-verdict').textContent(), { timeout: 30_000 })
      .toContain('The fix works: 200');
    const block = await page.getByTestId('codex-block').textContent();
    // Through the gateway, the gateway's form of the base URL.
    expect(block).toContain(
      `base_url = "http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/v1"`,
    );
    await clearClipboard();
    await page.getByTestId('copy-codex').click();
    await expect.poll(clipboard).toBe(block);
  });

  it('the Cherry Studio address of a fix that worked, as shown', async () => {
    await openTab(ids.cherryFailed, 'Overview');
    await page.getByRole('button', { name: 'Try this fix' }).click();
    await expect
      .poll(() => page.getByTestId('fix-verdict').textContent(), { timeout: 30_000 })
      .toContain('The fix works: 200');
    const address = await page.getByTestId('cherry-settings').locator('code').textContent();
    expect(address).toMatch(/\/v1\/chat\/completions#$/);
    expect(address).not.toContain('/v1/v1/');
    await clearClipboard();
    await page.getByTestId('copy-cherry').click();
    await expect.poll(clipboard).toBe(address);
  });
});

describe('the separator between the list and the detail', () => {
  const listWidth = () => page.locator('.list-pane').evaluate((el) => el.getBoundingClientRect().width);
  const separator = () => page.getByRole('separator');

  it('moves with the arrow keys, Home and End, and is remembered across a reload', async () => {
    await page.goto(`${viewer()}/exchanges/${ids.codex}`);
    await page.evaluate(() => localStorage.removeItem('wirelog.listPercent'));
    await page.reload();
    await page.locator('.detail .tabs').waitFor();
    expect(await separator().getAttribute('aria-valuenow')).toBe('45');
    expect(await separator().getAttribute('aria-orientation')).toBe('vertical');
    const before = await listWidth();
    await separator().focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await separator().getAttribute('aria-valuenow')).toBe('49');
    expect(await listWidth()).toBeGreaterThan(before);
    await page.keyboard.press('Shift+ArrowLeft');
    expect(await separator().getAttribute('aria-valuenow')).toBe('39');
    expect(await listWidth()).toBeLessThan(before);
    await page.keyboard.press('End');
    expect(await separator().getAttribute('aria-valuenow')).toBe('80');
    await page.keyboard.press('Home');
    expect(await separator().getAttribute('aria-valuenow')).toBe('20');
    await page.keyboard.press('ArrowRight');
    await page.reload();
    await page.locator('.detail .tabs').waitFor();
    expect(await separator().getAttribute('aria-valuenow')).toBe('22');
  });

  it('follows the pointer when dragged', async () => {
    await page.goto(`${viewer()}/exchanges/${ids.codex}`);
    await page.locator('.detail .tabs').waitFor();
    const box = (await separator().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(640, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    expect(await separator().getAttribute('aria-valuenow')).toBe('50');
    expect(Math.round(await listWidth())).toBe(640);
    expect(await page.evaluate(() => localStorage.getItem('wirelog.listPercent'))).toBe('50');
  });
});
