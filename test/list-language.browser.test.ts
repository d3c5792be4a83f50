// The list follows the language chosen in the viewer at once: its rows' titles (a failed call's
// recorded error, rendered by the server) come in the new language without a reload, from the
// list fetched again and from the live feed alike.
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
  context = await browser.newContext({ locale: 'en-US' });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

/** A port nothing listens on: a call there fails with "connection refused". */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A call through wirelog to a closed port; resolves with the new exchange's id. */
async function failedCall(port: number): Promise<number> {
  const answer = await request(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    body: '{}',
    dispatcher: h.agent(),
  });
  await answer.body.text();
  expect(answer.statusCode).toBe(502);
  await h.stored();
  return h.wirelog.reader.list({ limit: 1 })[0].id;
}

// The recorded error as the row writes it (its title adds the state's label before it).
const errorTitle = (id: number) =>
  page.locator(`[role="row"][data-id="${id}"] .state.bad .reason`).textContent({ timeout: 10_000 });

describe('the list in the language chosen in the viewer', () => {
  it('switching to zh-CN renders the rows already shown, and the ones that arrive live, in Chinese', async () => {
    const first = await closedPort();
    const before = await failedCall(first);
    await page.goto(h.wirelog.viewer!.url);
    await expect.poll(() => errorTitle(before)).toBe(`connection refused by 127.0.0.1:${first}`);

    await page.evaluate(() => Object.assign(window, { beforeSwitch: true }));
    await page.getByTestId('language').selectOption('zh-CN');
    await expect.poll(() => errorTitle(before)).toBe(`127.0.0.1:${first} 拒绝了连接`);

    const second = await closedPort();
    const after = await failedCall(second);
    await expect.poll(() => errorTitle(after)).toBe(`127.0.0.1:${second} 拒绝了连接`);
    // Not a reload: the choice was applied in the page as it was.
    expect(await page.evaluate(() => 'beforeSwitch' in window)).toBe(true);
  });
});
