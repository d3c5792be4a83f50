// The list's agent columns in Chromium at 1280 px (issue 27, "The list, too"), in English and in a
// zh-CN browser: the client, the session, the failure reason written in the row, the cost with its
// source in the title; sorting by time, tokens, duration and size in the server's order; the
// count; Esc closes the detail pane (not while typing in the search); a session's cell lists its
// calls; the Model call tab shows the call's cost. Orders and counts, no times.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';
import { CHERRY, CODEX, CURL, listCall } from './support/list-calls.ts';

let h: Harness;
let browser: Browser;
const ids: Record<string, number> = {};
let total = 0;

const SESSION: [string, string] = ['session-id', 'sess-7f3a9c21e4'];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  const calls = {
    // Codex on OpenAI's own API, two turns of one session: estimated from the price table.
    codex1: listCall({
      host: 'api.openai.com',
      responses: true,
      headers: [...CODEX, SESSION],
      model: 'gpt-4o',
      usage: { input_tokens: 52_000, output_tokens: 900, input_tokens_details: { cached_tokens: 48_000 } },
      endMs: 4200,
    }),
    codex2: listCall({
      host: 'api.openai.com',
      responses: true,
      headers: [...CODEX, SESSION],
      model: 'gpt-4o',
      usage: { input_tokens: 61_000, output_tokens: 300, input_tokens_details: { cached_tokens: 52_000 } },
      endMs: 2100,
    }),
    // OpenRouter says what the call cost.
    openrouter: listCall({
      host: 'openrouter.ai',
      path: '/api/v1/chat/completions',
      headers: CHERRY,
      model: 'openai/gpt-4o',
      usage: { prompt_tokens: 14, completion_tokens: 2, cost: 0.000096 },
      endMs: 800,
      pad: 3000,
    }),
    // A relay sets its own prices.
    relay: listCall({
      host: 'relay.example.cn',
      headers: CHERRY,
      usage: { prompt_tokens: 1200, completion_tokens: 40 },
      endMs: 1500,
    }),
    // Cherry Studio's key refused: the diagnosis is the reason.
    refusedKey: listCall({ host: 'relay.example.cn', headers: CHERRY, status: 401, usage: null, endMs: 90 }),
    // The upstream refused the connection: the recorded error is the reason.
    refusedConnection: listCall({
      host: 'down.example',
      headers: CURL,
      refused: 'connect ECONNREFUSED 10.9.8.7:443 (the upstream refused the connection)',
      endMs: 12,
    }),
  };
  for (const [name, events] of Object.entries(calls)) [ids[name]] = await h.wirelog.writer.importEvents(events);
  total = Object.keys(calls).length;
  // Understanding (client, thread, tokens, diagnosis) follows storage in slices.
  await eventually(
    () =>
      h.wirelog.reader.count({ thread: 'session:sess-7f3a9c21e4' }) === 2 &&
      h.wirelog.reader.get(ids.refusedKey)?.diagnosis !== null,
    'the calls understood',
    60_000,
  );
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openList(locale: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale })).newPage();
  await page.goto(h.wirelog.viewer!.url);
  await page.locator(`[role="row"][data-id="${ids.codex1}"]`).waitFor();
  return page;
}

const row = (page: Page, name: string) => page.locator(`[role="row"][data-id="${ids[name]}"]`);
const rowIds = (page: Page) =>
  page.locator('[role="row"][data-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
const apiOrder = async (sort: string) =>
  (
    (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges?sort=${sort}`)).json()) as {
      exchanges: { id: number }[];
    }
  ).exchanges.map((e) => e.id);

/** Every header cell laid out inside the row (none pushed out of the 1280 px window), and no horizontal scrolling. */
async function fits(page: Page): Promise<{ overflow: number; hidden: string[] }> {
  return page.locator('.row.head').evaluate((head) => {
    const box = head.getBoundingClientRect();
    const hidden = [...head.children].filter((c) => {
      const r = c.getBoundingClientRect();
      return r.width < 20 || r.right > box.right + 1;
    });
    return {
      overflow: document.querySelector('.list')!.scrollWidth - document.querySelector('.list')!.clientWidth,
      hidden: hidden.map((c) => c.textContent ?? ''),
    };
  });
}

describe.each([
  {
    locale: 'en-US',
    words: {
      client: 'client',
      session: 'session',
      cost: 'cost',
      count: `${6} exchanges`,
      unknown: 'price unknown',
      relayWhy: 'a relay or gateway sets its own prices',
      estimated: 'estimated from @pydantic/genai-prices',
      upstream: 'upstream error',
      duration: 'duration',
      size: 'size',
      tokensIn: 'in',
      time: 'time',
      threadCount: '2 exchanges',
      key: 'Incorrect API key',
      costLabel: 'cost',
    },
  },
  {
    locale: 'zh-CN',
    words: {
      client: '客户端',
      session: '会话',
      cost: '费用',
      count: `共 ${6} 条`,
      unknown: '价格未知',
      relayWhy: '中转站',
      estimated: '@pydantic/genai-prices',
      upstream: '上游',
      duration: '耗时',
      size: '大小',
      tokensIn: '输入',
      time: '时间',
      threadCount: '共 2 条',
      key: 'key',
      costLabel: '费用',
    },
  },
])('the list at 1280 px ($locale)', ({ locale, words }) => {
  let page: Page;
  beforeAll(async () => {
    page = await openList(locale);
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('shows the count, and the client, session, reason and cost columns, all inside the window', async () => {
    expect(total).toBe(6);
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(words.count);
    const head = await page.locator('.row.head').textContent();
    for (const word of [words.client, words.session, words.cost]) expect(head).toContain(word);
    expect(await fits(page)).toEqual({ overflow: 0, hidden: [] });
    expect(await row(page, 'codex1').getByTestId('client').textContent()).toBe('Codex 0.171.0');
    expect(await row(page, 'relay').getByTestId('client').textContent()).toBe('Cherry Studio 1.5.7');
    expect(await row(page, 'codex1').getByTestId('session-cell').textContent()).toBe('sess-7f3a9');
    expect(await row(page, 'codex1').getByTestId('session-cell').getAttribute('title')).toContain(
      'session:sess-7f3a9c21e4',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, `list-columns-${locale}.png`) });
  });

  it('says why a call failed in the row itself, not only in a title', async () => {
    const connection = row(page, 'refusedConnection').getByTestId('failure-reason');
    expect(await connection.innerText()).toContain(words.upstream);
    expect(await connection.innerText()).toContain('ECONNREFUSED 10.9.8.7:443');
    expect(await connection.locator('.reason').isVisible()).toBe(true);
    const key = row(page, 'refusedKey').getByTestId('failure-reason');
    expect((await key.innerText()).length).toBeGreaterThan(5);
    expect(await key.getAttribute('title')).toContain('401');
    // A call that worked has no reason.
    expect(await row(page, 'codex1').getByTestId('failure-reason').count()).toBe(0);
  });

  it("shows each call's cost with its source: the provider's, estimated (price and date on hover), unknown and why", async () => {
    const provider = row(page, 'openrouter').getByTestId('cost');
    expect(await provider.textContent()).toBe('$0.000096');
    expect(await provider.getAttribute('data-source')).toBe('provider');
    const estimated = row(page, 'codex1').getByTestId('cost');
    expect(await estimated.textContent()).toMatch(/^~\$\d/);
    expect(await estimated.getAttribute('title')).toContain(words.estimated);
    expect(await estimated.getAttribute('title')).toMatch(/\d{4}-\d{2}-\d{2}/);
    const unknown = row(page, 'relay').getByTestId('cost');
    expect(await unknown.textContent()).toBe(words.unknown);
    expect(await unknown.getAttribute('title')).toContain(words.relayWhy);
    // A call that reported no usage has no cost to show.
    expect(await row(page, 'refusedKey').getByTestId('cost').count()).toBe(0);
    // Tokens in/out with the cache read.
    expect(await row(page, 'codex1').getByTestId('tokens').textContent()).toBe('52k/900 +48k');
  });

  it('sorts by duration, size, input tokens and time in the order the server gives, and back to newest first', async () => {
    const newestFirst = await rowIds(page);
    expect(newestFirst).toEqual([...newestFirst].sort((a, b) => b - a));
    for (const [label, sort] of [
      [words.duration, 'duration'],
      [words.size, 'size'],
      [words.tokensIn, 'tokens_in'],
      [words.time, 'time'],
    ] as const) {
      await page.locator(`.row.head [data-sort="${sort}"]`).click();
      expect(await page.locator(`.row.head [data-sort="${sort}"]`).textContent()).toContain(label);
      const expected = await apiOrder(sort);
      await expect.poll(() => rowIds(page), { timeout: 10_000 }).toEqual(expected);
      // Sorting keeps the count.
      expect(await page.getByTestId('result-count').textContent()).toBe(words.count);
    }
    expect((await apiOrder('duration')).slice(0, 2)).toEqual([ids.codex1, ids.codex2]);
    expect((await apiOrder('size'))[0]).toBe(ids.openrouter);
    // The same header again: newest first.
    await page.locator('.row.head [data-sort="time"]').click();
    await expect.poll(() => rowIds(page), { timeout: 10_000 }).toEqual(newestFirst);
  });

  it('Esc closes the detail pane, but only leaves the search field while typing there', async () => {
    await row(page, 'codex1').click();
    const detail = page.locator('.detail-pane');
    await detail.waitFor();
    // Beside the detail, the list still fits.
    expect((await fits(page)).overflow).toBe(0);
    await page.getByRole('search').locator('input[type="search"]').focus();
    await page.keyboard.press('Escape');
    expect(await detail.count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => detail.count(), { timeout: 10_000 }).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('beside the detail pane, where the figures give way, the sort menu still sorts', async () => {
    await row(page, 'relay').click();
    await page.locator('.detail-pane').waitFor();
    await page.getByTestId('sort-select').selectOption('size');
    await expect.poll(() => rowIds(page), { timeout: 10_000 }).toEqual(await apiOrder('size'));
    await page.getByTestId('sort-select').selectOption('');
    await expect.poll(() => rowIds(page), { timeout: 10_000 }).toEqual((await rowIds(page)).sort((a, b) => b - a));
    await page.locator('[data-testid="exchange-list"]').focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.detail-pane').count(), { timeout: 10_000 }).toBe(0);
  });

  it("the Model call tab shows the call's cost, labelled", async () => {
    await row(page, 'openrouter').click();
    await page.locator('.detail-pane [role="tab"]').nth(1).click();
    const cost = page.getByTestId('model-call').getByTestId('cost');
    await expect.poll(() => cost.textContent(), { timeout: 10_000 }).toBe(`${words.costLabel} $0.000096`);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.detail-pane').count(), { timeout: 10_000 }).toBe(0);
  });

  it("a session's cell lists only its calls, and the count says how many", async () => {
    await row(page, 'codex2').getByTestId('session-cell').click();
    await expect
      .poll(() => page.getByTestId('result-count').textContent(), { timeout: 10_000 })
      .toBe(words.threadCount);
    expect((await rowIds(page)).sort()).toEqual([ids.codex1, ids.codex2].sort());
    // The detail did not open: the click was the session's.
    expect(await page.locator('.detail-pane').count()).toBe(0);
  });
});
