// Agent loops in the Model call tab, in Chromium: an MCP approval request shown as the model
// waiting for the user (the answer panel was empty), MCP and built-in tool steps with their
// server, input and result, citations with the text they support, and a refusal's explanation,
// in English and in a zh-CN browser. The calls are fixtures captured through the proxy.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyView } from '../db/body-view.ts';
import { launchBrowser } from './support/browser.ts';
import { fixtures, sendThrough, startFixtureServer, type FixtureServer } from './support/fixture-server.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let server: FixtureServer;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  server = await startFixtureServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await h?.close();
});

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

/** Opens an exchange's Model call tab in a page of the given locale. */
async function modelCall(page: Page, id: number, tab: string): Promise<void> {
  await page.goto(h.wirelog.viewer!.url);
  await page.locator(`[role="row"][data-id="${id}"]`).click();
  await page.getByRole('tab', { name: tab }).click();
  await page.getByTestId('model-call').waitFor({ timeout: 30_000 });
}

describe('agent loops in the Model call tab', () => {
  it('an MCP approval request is the model waiting for the user; tool steps show server, input and result; citations the text they support', async () => {
    const approval = await captured('responses-mcp-approval-stream.json');
    const tools = await captured('responses-builtin-tools.json');
    const mcp = await captured('responses-mcp-call.json');
    const refusal = await captured('anthropic-refusal-stop-details.json');
    const approved = await captured('responses-mcp-approved-followup.json');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await modelCall(page, approval, 'Model call');
      await expect
        .poll(() => page.getByTestId('awaiting-approval').textContent())
        .toContain('The model is waiting for the user: it asks to run 1 MCP tool call');
      const waiting = page.getByTestId('agent-step');
      expect(await waiting.getAttribute('data-kind')).toBe('mcp-approval');
      expect(await waiting.getByTestId('step-server').textContent()).toBe('dmcp');
      expect(await waiting.textContent()).toContain('Not run: the model asks the user first.');

      await modelCall(page, mcp, 'Model call');
      const steps = page.getByTestId('agent-step');
      await expect.poll(() => steps.count()).toBe(2);
      expect(await steps.nth(1).textContent()).toContain('MCP tool call');
      expect(await steps.nth(1).getByTestId('step-output').textContent()).toContain('4');
      expect(await page.getByTestId('awaiting-approval').count()).toBe(0);

      await modelCall(page, tools, 'Model call');
      await expect
        .poll(() => page.getByTestId('agent-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))))
        .toEqual(['web-search', 'file-search', 'code']);
      expect(await page.getByTestId('agent-step').nth(2).getByTestId('step-input').textContent()).toContain(
        'print(2**10)',
      );
      expect(await page.getByTestId('cited-text').textContent()).toBe('a new park opened in Oslo.');
      expect(await page.getByTestId('citation').textContent()).toContain(
        'Oslo opens a park · https://news.example/oslo-park',
      );
      // A source the provider named is shown as text: never a link the captured answer chose.
      expect(await page.getByTestId('citations').locator('a, [href]').count()).toBe(0);

      // The follow-up: the request answered sits in the history, the call it allowed in the answer; nobody waits.
      await modelCall(page, approved, 'Model call');
      await expect
        .poll(() =>
          page.locator('[data-role="assistant"]:not(.answer) [data-testid="agent-step"]').getAttribute('data-kind'),
        )
        .toBe('mcp-approval');
      expect(await page.locator('[data-role="answer"] [data-testid="agent-step"]').getAttribute('data-kind')).toBe(
        'mcp-call',
      );
      expect(await page.getByTestId('awaiting-approval').count()).toBe(0);

      await modelCall(page, refusal, 'Model call');
      await expect
        .poll(() => page.getByTestId('stop-details').textContent())
        .toContain('cyber: The request asks for working ransomware.');
    } finally {
      await page.close();
    }

    // The same screens in a zh-CN browser: the words are the catalogue's, the captured values as sent.
    const context = await browser.newContext({ locale: 'zh-CN' });
    try {
      const zh = await context.newPage();
      await modelCall(zh, approval, '模型调用');
      await expect.poll(() => zh.getByTestId('awaiting-approval').textContent()).toContain('模型在等用户');
      expect(await zh.getByTestId('agent-step').textContent()).toContain('等待批准的 MCP 调用');
      await modelCall(zh, tools, '模型调用');
      await expect.poll(() => zh.getByTestId('citations').locator('summary').textContent()).toBe('引用了 1 个来源');
    } finally {
      await context.close();
    }
  });

  it('Try this fix on a Gemini answer cut at MAX_TOKENS: sends twice the limit in generationConfig, and a replay cut again is not "the fix works"', async () => {
    const cut = await captured('gemini-max-tokens.json');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${h.wirelog.viewer!.url}/exchanges/${cut}`);
      await page.getByRole('button', { name: 'Try this fix' }).click();
      // The fixture answers MAX_TOKENS whatever it is asked: a 200 that is still cut.
      await expect
        .poll(() => page.getByTestId('fix-verdict').textContent(), { timeout: 30_000 })
        .toContain('Still failing: 200');
      expect(await page.getByTestId('fix-verdict').textContent()).toContain('output token limit');
      await h.stored();
      const replay = h.wirelog.reader
        .list({ limit: 5 })
        .find((e) => e.id > cut && e.request.path === fixtures.get('gemini-max-tokens.json')!.exchange.path)!;
      expect(JSON.parse(bodyView(h.wirelog.reader, replay, 'request').text!).generationConfig).toEqual({
        maxOutputTokens: 2000,
      });
    } finally {
      await page.close();
    }
  });
});
