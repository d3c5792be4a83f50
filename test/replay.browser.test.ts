import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { startDualUpstream } from './support/dual-upstream.ts';
import { startHarness, type Harness } from './support/harness.ts';

const GOOD_KEY = 'sk-good-key-000000000001';
let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const latestId = () => h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;

async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await res.body.text();
  await h.stored();
  return res.statusCode;
}

describe('replay, fix and compare in Chromium', () => {
  it('edit and resend: the body is checked as JSON, a header row is added, and the replay opens linked to the original', async () => {
    expect(
      await post(
        `${h.upstream.httpsUrl}/keyed/v1/chat/completions`,
        { authorization: `Bearer ${GOOD_KEY}` },
        '{"model":"gpt-4o","messages":[]}',
      ),
    ).toBe(200);
    const original = latestId();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${original}`);
    await page.getByRole('button', { name: 'Edit and resend' }).click();
    const body = page.getByLabel('body');
    await body.fill('{"model": "edited-in-browser", "messages": [');
    await expect.poll(() => page.getByTestId('json-problem').textContent()).toContain('not valid JSON');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await body.fill('{"model": "edited-in-browser", "messages": []}');
    await page.getByRole('button', { name: 'Add header' }).click();
    const rows = await page.locator('.header-editor tr').count();
    await page.getByLabel(`header ${rows} name`).fill('x-browser');
    await page.getByLabel(`header ${rows} value`).fill('1');
    await shot('replay-editor');
    const before = h.upstream.received.length;
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.url()).not.toContain(`/exchanges/${original}`);
    const replay = Number(/exchanges\/(\d+)/.exec(page.url())![1]);
    await expect.poll(() => page.getByTestId('replay-links').textContent()).toContain(`replay of #${original}`);
    const got = h.upstream.received[before];
    expect(JSON.parse(got.body.toString()).model).toBe('edited-in-browser');
    expect(got.rawHeaders).toContain('x-browser');
    expect(got.rawHeaders).toContain(`Bearer ${GOOD_KEY}`);
    await page
      .getByTestId('replay-links')
      .getByRole('button', { name: `#${original}` })
      .click();
    await expect.poll(() => page.getByTestId('replay-links').textContent()).toContain(`replayed as #${replay}`);
  });

  it('edit and resend to another host: the key goes there only once a box naming that host and port is ticked; over plain HTTP never', async () => {
    // Another origin (its own port) with the same certificate, which wirelog trusts.
    const other = await startDualUpstream(GOOD_KEY, h.upstream.cert);
    try {
      expect(
        await post(
          `${h.upstream.httpsUrl}/keyed/v1/chat/completions`,
          { authorization: `Bearer ${GOOD_KEY}` },
          '{"model":"gpt-4o","messages":[]}',
        ),
      ).toBe(200);
      const original = latestId();
      await page.goto(`${h.wirelog.viewer!.url}/exchanges/${original}`);
      await page.getByRole('button', { name: 'Edit and resend' }).click();
      const url = page.getByLabel('URL');
      await url.fill(`http://localhost:${other.port}/keyed/v1/chat/completions`);
      await expect
        .poll(() => page.getByTestId('secrets-downgrade').textContent({ timeout: 10_000 }))
        .toContain('never sent over plain HTTP');
      expect(await page.getByTestId('secrets-consent').count()).toBe(0);
      await url.fill(`https://localhost:${other.port}/keyed/v1/chat/completions`);
      const consent = page.getByTestId('secrets-consent');
      await expect.poll(() => consent.textContent({ timeout: 10_000 })).toContain(`to localhost:${other.port}`);
      expect(await consent.textContent()).toContain(`captured for https://localhost:${h.upstream.httpsPort}`);
      await shot('replay-secrets-consent');
      // Not ticked: it goes without the key, and the editor says so, naming the host.
      const mark = other.mark();
      const count = other.received.length;
      await page.getByRole('button', { name: 'Send' }).click();
      await expect
        .poll(() => page.getByTestId('secrets-withheld').textContent({ timeout: 10_000 }))
        .toContain(`confirm localhost:${other.port}`);
      await expect.poll(() => other.received.length).toBe(count + 1);
      expect(other.since(mark)).not.toContain(GOOD_KEY);
      expect(other.since(mark)).not.toContain(GOOD_KEY.slice(-4));
      // Ticked: the key goes there.
      await consent.getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => page.url()).not.toContain(`/exchanges/${original}`);
      await expect.poll(() => other.received.length).toBe(count + 2);
      expect(other.received[count + 1].rawHeaders).toContain(`Bearer ${GOOD_KEY}`);
    } finally {
      await other.close();
    }
  });

  it("try this fix on the seed's 404: the verdict says it works, with the Codex block for what worked", async () => {
    expect(
      await post(
        `${h.upstream.httpsUrl}/v1/chat/completions/responses`,
        { authorization: 'Bearer sk-codex-000000000099' },
        '{"model":"gpt-5-codex","input":"hi","stream":true}',
      ),
    ).toBe(404);
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await page.getByRole('button', { name: 'Try this fix' }).click();
    const verdict = page.getByTestId('fix-verdict');
    await expect.poll(() => verdict.textContent(), { timeout: 15_000 }).toContain('The fix works: 200');
    expect(await page.getByTestId('codex-block').textContent()).toContain(
      `base_url = "https://localhost:${h.upstream.httpsPort}/v1"`,
    );
    await shot('try-this-fix');
  });

  it('compares a failing call with the last call that worked to the same host', async () => {
    expect(
      await post(
        `${h.upstream.httpsUrl}/v1/chat/completions`,
        { authorization: 'Bearer sk-cherry-000000000007', 'user-agent': 'CherryStudio/1.5.3' },
        '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}',
      ),
    ).toBe(200);
    expect(
      await post(
        `${h.upstream.httpsUrl}/v1/chat/completions/responses`,
        { 'user-agent': 'codex_exec/0.169.0' },
        '{"model":"gpt-5-codex","input":"hi"}',
      ),
    ).toBe(404);
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await page.getByRole('button', { name: 'Compare with the last call that worked to this host' }).click();
    const compare = page.getByTestId('compare');
    await expect.poll(() => compare.textContent()).toContain('no key in a');
    expect(await compare.textContent()).toContain('/v1/chat/completions/responses');
    expect(await page.getByTestId('request-body-diff').textContent()).toContain('$.model');
    expect(await compare.textContent()).not.toContain('sk-cherry');
    await shot('compare');
  });
});
