// Every screen of the viewer in a zh-CN Chromium: no text a user reads inside the converted
// components is left in English. Captured data (headers, bodies, JSON, URLs, model names, event
// names) is marked data-captured, commands and config lines translate="no": both are skipped;
// what is left must be Chinese, or only terms developers write as they are (HTTP, JSON, SSE…).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { sendThrough, startFixtureServer, talkThrough, type FixtureServer } from './support/fixture-server.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let fixtureServer: FixtureServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  fixtureServer = await startFixtureServer();
  browser = await launchBrowser();
  context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await fixtureServer?.close();
  await h?.close();
});

/** The converted components, by the marks they already carry. */
const SCREENS = [
  'search', // FilterBar (the <search> element)
  'main.panes', // App: the list and the detail
  '.detail', // ExchangeDetail: its head, tabs, Request and Response tabs
  '.overview', // ExchangeOverview
  '[data-testid="compare"]', // CompareView
  '[data-testid="empty-state"]',
  '[data-testid="exchange-list"]',
  '[data-testid="model-call"]',
  '.stream', // StreamView
  '.waterfall',
  '.body-panel',
  '[data-testid="no-headers"]',
  '.copy-snippet',
  '[data-testid="replay-editor"]',
  '[data-testid="try-fix"]',
].join(', ');

/**
 * English that reaches these screens from others' code, each with who owns it; anything else
 * English fails. Empty now: the list's titles, recorded errors and notes, the snippet API's
 * refusals (the copy button's title) and the fixes' config lines (shown as code, FixText) all
 * come in Chinese. Keep it empty: a selector added here hides English from the check.
 */
const NOT_YET = {
  titles: [] as string[],
  texts: [] as string[],
  nodes: [] as string[],
};

/**
 * Runs in the page: every text node and user-facing attribute under the screens that reads as
 * English: with no Chinese at all, or with two English words in a row beside Chinese (a sentence
 * left half translated). A single name inside a Chinese sentence (a host, a header) is fine.
 */
function englishLeft({ screens, notYet }: { screens: string; notYet: typeof NOT_YET }): string[] {
  // Terms a Chinese developer writes as they are; numbers and units go too.
  const TERMS =
    /(HTTPS?|JSON|SSE|HAR|URL|API|base_url|cURL|curl|fetch|JavaScript|Python|requests|openai|SDK|WebSocket|TLS|CA|SHA-256|Base64|Codex|Cherry Studio|VS Code|CLI|wirelog|ping|pong|keep-alive|OPENAI_API_KEY|tokens?|Token|Header|MB|KB|ms|B|s|k|M)(?![A-Za-z])/g;
  const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;
  const english = (text: string | null) => {
    if (!text || notYet.texts.includes(text)) return false;
    const words = text.replace(TERMS, ' ');
    return CJK.test(text) ? /[A-Za-z]{2,}\s+[A-Za-z]{2,}/.test(words) : /[A-Za-z]{2,}/.test(words);
  };
  const skipped = (el: Element | null) =>
    !!el?.closest(['[data-captured], [translate="no"], code', ...notYet.nodes].join(', '));
  const found: string[] = [];
  // Each screen once: a screen inside another (the overview inside the detail) is walked with it.
  const roots = [...document.querySelectorAll(screens)].filter((root) => !root.parentElement?.closest(screens));
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!skipped(node.parentElement) && english(node.textContent))
        found.push(`${node.parentElement?.className || node.parentElement?.tagName}: "${node.textContent}"`);
    }
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (skipped(el)) continue;
      for (const attr of ['title', 'aria-label', 'placeholder', 'alt']) {
        if (attr === 'title' && notYet.titles.some((selector) => el.matches(selector))) continue;
        if (english(el.getAttribute(attr)))
          found.push(`${el.tagName.toLowerCase()}[${attr}]: "${el.getAttribute(attr)}"`);
      }
    }
  }
  return found;
}

const untranslated = () => page.evaluate(englishLeft, { screens: SCREENS, notYet: NOT_YET });
/** How many of the screens are on the page now: a check over nothing must not pass. */
const screensShown = () => page.locator(SCREENS).count();
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `zh-${name}.png`) });
const row = (id: number) => page.locator(`[role="row"][data-id="${id}"]`);
const latestId = () => h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
/** The detail's tabs by position (their labels are in the viewer's language). */
const tabs = () => page.locator('nav.tabs [role="tab"]');

async function capture(file: string): Promise<number> {
  await sendThrough(h, fixtureServer.origin, file);
  await h.stored();
  return latestId();
}

/** Opens every tab of an exchange, in order, and says what reads as English on each. */
async function everyTab(id: number): Promise<Record<string, string[]>> {
  await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
  await expect.poll(() => tabs().count(), { timeout: 10_000 }).toBeGreaterThan(2);
  const found: Record<string, string[]> = {};
  const count = await tabs().count();
  for (let i = 0; i < count; i++) {
    await tabs().nth(i).click();
    await expect.poll(() => tabs().nth(i).getAttribute('aria-selected'), { timeout: 10_000 }).toBe('true');
    // The tab's own component has rendered (a stream's events arrive after the tab opens).
    await expect.poll(() => page.locator('.tab-body').locator(SCREENS).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    if ((await page.locator('.stream').count()) > 0)
      await expect.poll(() => page.locator('.stream .event').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const english = await untranslated();
    if (english.length) found[`#${id} tab ${i} (${await tabs().nth(i).textContent()})`] = english;
  }
  return found;
}

describe('the viewer in zh-CN: no English left on the converted screens', () => {
  it('the empty state and the filters', async () => {
    await page.goto(h.wirelog.viewer!.url);
    await page.getByTestId('empty-state').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect(await screensShown()).toBe(3);
    expect(await untranslated()).toEqual([]);
    // The recipes' commands are kept as they are.
    expect(await page.getByTestId('empty-state').textContent()).toContain('wirelog run -- codex exec');
    expect(await page.getByTestId('empty-state').textContent()).toContain('还没有抓到任何请求');
    await shot('empty-state');
  });

  it('the list, then every tab of a streamed model call, its tools, reasoning, choices, usage, a cut stream and a WebSocket', async () => {
    const ids: number[] = [];
    for (const file of [
      'chat-stream-tools-usage.json',
      'chat-stream-reasoning.json',
      'chat-n2-stream.json',
      'anthropic-cache-usage.json',
      'chat-stream-cut.json',
      'chat-error-401.json',
    ])
      ids.push(await capture(file));
    await talkThrough(h, fixtureServer.origin, 'responses-websocket.json');
    await h.stored();
    ids.push(latestId());

    await page.goto(h.wirelog.viewer!.url);
    await expect.poll(() => page.locator('[role="row"][data-id]').count(), { timeout: 10_000 }).toBe(ids.length);
    await expect.poll(() => row(ids[0]).textContent()).toContain('个事件');
    expect(await untranslated()).toEqual([]);
    await shot('list');

    const found: Record<string, string[]> = {};
    for (const id of ids) Object.assign(found, await everyTab(id));
    expect(found).toEqual({});
  });

  it('a failed call: Try this fix and its verdict, copy as code, and the replay editor with its key warnings', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-codex-000000000099' },
      body: '{"model":"gpt-5-codex","input":"hi","stream":true}',
    });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    await h.stored();
    const id = latestId();
    expect(await everyTab(id)).toEqual({});

    await tabs().first().click();
    const tryFix = page.getByTestId('try-fix');
    await tryFix.locator('button').click();
    await expect.poll(() => page.getByTestId('fix-verdict').textContent(), { timeout: 15_000 }).toContain('修复有效');
    expect(await untranslated()).toEqual([]);
    await shot('try-fix');

    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
    await page.getByRole('button', { name: '编辑后重发' }).click();
    const editor = page.getByTestId('replay-editor');
    await editor.waitFor({ timeout: 10_000 });
    expect(await untranslated()).toEqual([]);
    // Another origin over plain HTTP: the keys never go; over HTTPS: they go once ticked.
    const url = editor.locator('input.url-input');
    await url.fill('http://127.0.0.1:9/v1/responses');
    await page.getByTestId('secrets-downgrade').waitFor({ timeout: 10_000 });
    expect(await untranslated()).toEqual([]);
    await url.fill('https://127.0.0.2:9/v1/responses');
    await page.getByTestId('secrets-consent').waitFor({ timeout: 10_000 });
    await editor.locator('textarea').fill('{"model": ');
    await page.getByTestId('json-problem').waitFor({ timeout: 10_000 });
    expect(await untranslated()).toEqual([]);
    expect(await page.getByTestId('json-problem').textContent()).toContain('请求体不是合法的 JSON');
    await shot('replay-editor');
  });

  it('a call that got no response: its overview and Response tab; then a comparison with the last call that worked, and with #id', async () => {
    // A port that refuses: the exchange ends as an upstream error with no response.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await request(`http://127.0.0.1:${port}/v1/models`, { dispatcher: h.agent() });
    expect(refused.statusCode).toBe(502);
    await refused.body.text();
    await h.stored();
    const unanswered = latestId();
    expect(h.wirelog.reader.get(unanswered)?.response).toBeNull();
    expect(await everyTab(unanswered)).toEqual({});
    await page.getByRole('tab', { name: '响应', exact: true }).click();
    await expect.poll(() => page.locator('.tab-body').textContent(), { timeout: 10_000 }).toContain('拒绝了连接');
    await shot('no-response');

    const post = async (url: string, headers: Record<string, string>, body: string) => {
      const res = await request(url, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      await res.body.text();
      return res.statusCode;
    };
    expect(
      await post(
        `${h.upstream.httpsUrl}/v1/chat/completions`,
        { authorization: 'Bearer sk-cherry-000000000007' },
        '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}',
      ),
    ).toBe(200);
    await h.stored();
    const working = latestId();
    expect(
      await post(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {}, '{"model":"gpt-5-codex","input":"hi"}'),
    ).toBe(404);
    await h.stored();
    const failing = latestId();

    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${failing}`);
    await page.getByRole('button', { name: '与这个主机上次成功的调用对比' }).click();
    const compare = page.getByTestId('compare');
    await expect.poll(() => compare.textContent(), { timeout: 10_000 }).toContain('左边没有密钥');
    // Every section is there, found by its test id, whatever the language of its title.
    for (const part of ['request-headers', 'request-body', 'response-headers', 'response-body'])
      expect(await compare.getByTestId(part).count(), part).toBe(1);
    expect(await page.getByTestId('request-body-diff').locator('caption').textContent()).toBe('请求体');
    expect(await tabs().last().textContent()).toBe('对比（上次成功）');
    expect(await untranslated()).toEqual([]);
    await shot('compare');

    await tabs().first().click();
    await page.getByRole('textbox', { name: '与哪条请求对比' }).fill(String(working));
    await page.getByRole('button', { name: '对比', exact: true }).click();
    await expect.poll(() => tabs().last().textContent(), { timeout: 10_000 }).toBe(`与 #${working} 对比`);
    await expect.poll(() => compare.textContent(), { timeout: 10_000 }).toContain(`#${failing} 与 #${working} 对比`);
    expect(await untranslated()).toEqual([]);
  });
});
