import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatStreamEvents, responsesStreamEvents } from './support/fake-upstream.ts';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { sendThrough, startFixtureServer, type FixtureServer } from './support/fixture-server.ts';
import { curl, eventually, lockDatabase, startHarness, type Harness } from './support/harness.ts';

const harValidator = createRequire(import.meta.url)('har-validator') as { har(data: unknown): Promise<unknown> };

let h: Harness;
let browser: Browser;
let page: Page;
let fixtureServer: FixtureServer;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  fixtureServer = await startFixtureServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await fixtureServer?.close();
  await h?.close();
});
beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const row = (id: number) => page.locator(`[role="row"][data-id="${id}"]`);
const latestId = () => h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;

describe('the viewer in Chromium', () => {
  it('starts with how to send traffic through this very instance', async () => {
    await page.goto(h.wirelog.viewer!.url);
    const empty = page.getByTestId('empty-state');
    await expect.poll(() => empty.textContent()).toContain(h.proxyUrl);
    expect(await empty.textContent()).toContain(h.wirelog.ca.files.certPath);
    expect(await empty.textContent()).toContain('wirelog run -- codex exec');
    // The gateway form of a base URL, with this instance's own port.
    expect(await empty.textContent()).toContain(`http://127.0.0.1:${h.wirelog.proxy.port}/https/openrouter.ai/api/v1`);
    await shot('empty-state');
  });

  it('shows an SSE chat completion appear, and its events arrive in the stream pane before the stream ends', async () => {
    await page.goto(h.wirelog.viewer!.url);
    const total = chatStreamEvents('slow-model').length;
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      // The last event waits for the test: the stream is open, and short of it, while the screen is read.
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-browser-test-key-7777',
        'x-test-delay-ms': '20',
        'x-test-hold-last': 'live-stream',
      },
      body: JSON.stringify({ model: 'slow-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const reading = res.body.text();
    const id = await eventually(
      () => h.wirelog.reader.list().find((e) => e.streamKind === 'sse')?.id,
      'the stream to be stored',
    );
    // The list shows it while it is still streaming, with a running count.
    await row(id).waitFor();
    await row(id).click();
    await page.getByRole('tab', { name: /Stream/ }).click();
    const events = page.getByTestId('stream-events').locator('.event');
    await expect.poll(() => events.count(), { timeout: 10_000 }).toBeGreaterThan(1);
    const seenWhileOpen = await events.count();
    const stillStreaming = h.wirelog.reader.get(id)!.state === 'streaming';
    await shot('stream-live');
    h.upstream.release('live-stream');
    await reading;
    expect(stillStreaming).toBe(true);
    expect(seenWhileOpen).toBeLessThan(total);
    await expect.poll(() => events.count(), { timeout: 10_000 }).toBe(total);
    expect(await events.last().textContent()).toContain('[DONE]');
    await expect.poll(() => row(id).textContent()).toContain(`${total} events`);

    await page.getByRole('tab', { name: 'Request' }).click();
    const authorization = page.locator('table.headers tr', { hasText: 'authorization' });
    expect(await authorization.textContent()).toContain('Bearer ****7777');
    expect(await page.content()).not.toContain('sk-browser-test-key');
    await shot('request-headers');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await shot('overview');
  });

  it('shows a Responses-over-WebSocket exchange with its messages in both directions', async () => {
    await page.goto(h.wirelog.viewer!.url);
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
      ca: h.caPem,
      perMessageDeflate: true,
    });
    await new Promise((r) => ws.once('open', r));
    const expected = responsesStreamEvents('ws-browser').length;
    let received = 0;
    await new Promise<void>((resolve) => {
      ws.on('message', () => ++received === expected && resolve());
      ws.send(JSON.stringify({ type: 'response.create', model: 'ws-browser', input: 'hi' }));
    });
    const id = await eventually(
      () => h.wirelog.reader.list().find((e) => e.streamKind === 'websocket')?.id,
      'the WebSocket exchange',
    );
    await row(id).click();
    await page.getByRole('tab', { name: /WebSocket/ }).click();
    const messages = page.getByTestId('stream-events').locator('.event');
    await expect.poll(() => messages.count()).toBe(1 + expected);
    expect(await messages.first().textContent()).toContain('↑ sent');
    expect(await messages.first().textContent()).toContain('response.create');
    expect(await messages.last().textContent()).toContain('response.completed');
    await shot('websocket');
    ws.close();
  });

  it('keeps a captured HTML body inert: shown as text, its script and onerror never run', async () => {
    await curl(h, [`${h.upstream.httpsUrl}/hostile.html`]);
    await h.stored();
    const id = latestId();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
    await page.getByRole('tab', { name: 'Response' }).click();
    const body = page.locator('.body-text');
    await expect.poll(() => body.textContent()).toContain('<script>window.__xss = "script"</script>');
    // Inert by construction, not by a pause: no element was made of it (an img would run its
    // onerror whenever its load fails, a script element when inserted), so nothing can run later.
    expect(await page.locator('img[src="x"], script:has-text("__xss")').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.locator('h1', { hasText: 'hostile' }).count()).toBe(0);
    await shot('hostile-body');
  });

  it('keeps the selection in the URL, moves with the keyboard, and searches with /', async () => {
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?keyboard=1`]);
    await h.stored();
    const newest = latestId();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${newest}`);
    await expect.poll(() => page.locator('.detail-head .url').textContent()).toContain('keyboard=1');
    await page.reload();
    await expect.poll(() => page.locator('.detail-head .url').textContent()).toContain('keyboard=1');

    // The list's cursor starts on the selected row once the list has loaded: keys pressed before that race it.
    await expect.poll(() => page.locator(`.row.selected.cursor[data-id="${newest}"]`).count()).toBe(1);
    await page.getByTestId('exchange-list').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/exchanges/${newest - 1}`);
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/exchanges/${newest}`);

    await page.keyboard.press('/');
    await page.keyboard.type('slow-model');
    await expect.poll(() => page.locator('[role="row"][data-id]').count()).toBe(1);
    await shot('search');
  });

  it('keeps the keyboard cursor on its exchange while live rows arrive above it', async () => {
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?cursor=0`]);
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?cursor=1`]);
    await h.stored();
    const newest = latestId();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${newest}`);
    await expect.poll(() => page.locator(`.row.selected.cursor[data-id="${newest}"]`).count()).toBe(1);
    await page.getByTestId('exchange-list').focus();
    await page.keyboard.press('j');
    await expect.poll(() => page.locator(`.row.cursor[data-id="${newest - 1}"]`).count()).toBe(1);
    // A new exchange arrives live, at the top of the list.
    await curl(h, [`${h.upstream.httpsUrl}/v1/models?cursor=2`]);
    await h.stored();
    await expect.poll(() => page.locator(`.row[data-id="${latestId()}"]`).count()).toBe(1);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/exchanges/${newest - 1}`);
  });

  it('downloads a valid HAR of the list and of one exchange', async () => {
    await page.goto(h.wirelog.viewer!.url);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export HAR' }).click(),
    ]);
    const har = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { log: { entries: unknown[] } };
    await expect(harValidator.har(har)).resolves.toBe(har);
    expect(har.log.entries.length).toBe(h.wirelog.reader.list().length);

    await row(latestId()).click();
    const [one] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download HAR' }).click(),
    ]);
    const single = JSON.parse(fs.readFileSync((await one.path())!, 'utf8')) as { log: { entries: unknown[] } };
    await expect(harValidator.har(single)).resolves.toBe(single);
    expect(single.log.entries).toHaveLength(1);
  });

  it('shows images as images and binary bodies as hex', async () => {
    await curl(h, [`${h.upstream.httpsUrl}/pixel.png`]);
    await curl(h, [`${h.upstream.httpsUrl}/bytes?size=40`]);
    await h.stored();
    const [bytes, pixel] = h.wirelog.reader.list({ limit: 2 });
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${pixel.id}`);
    await page.getByRole('tab', { name: 'Response' }).click();
    const image = page.locator('img.body-image');
    await image.waitFor();
    expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${bytes.id}`);
    await page.getByRole('tab', { name: 'Response' }).click();
    await expect.poll(() => page.locator('.body-hex').textContent()).toContain('00000000  61 61 61 61');
  });

  it("shows a response's trailer fields under its body, masked like headers", async () => {
    await curl(h, [`${h.upstream.httpsUrl}/trailers`]);
    await h.stored();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await page.getByRole('tab', { name: 'Response' }).click();
    const trailers = page.getByRole('region', { name: 'Response trailers' });
    await expect.poll(() => trailers.textContent()).toContain('X-Checksumsha256=abc123');
    expect(await trailers.textContent()).toContain('X-Session-Token');
    expect(await trailers.textContent()).not.toContain('TRAILERSECRET');
  });

  it('copies an exchange as code (cURL, then Python), a masked key as a variable to set', async () => {
    const context = await browser.newContext({
      permissions: ['clipboard-read', 'clipboard-write'],
      viewport: { width: 1280, height: 720 },
    });
    const clip = await context.newPage();
    const res = await request(`${h.upstream.httpsUrl}/echo`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-curl-copy-key-5150' },
      body: '{"copy":"me"}',
    });
    await res.body.text();
    await h.stored();
    await clip.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await clip.getByRole('button', { name: 'Copy as cURL' }).click();
    await clip.getByRole('button', { name: 'Copied' }).waitFor();
    const command = await clip.evaluate(() => navigator.clipboard.readText());
    expect(command).toBe(
      `curl --request POST \\\n  --url https://localhost:${h.upstream.httpsPort}/echo \\\n  --header 'content-type: application/json' \\\n  --header 'authorization: Bearer '"$LOCALHOST_API_KEY"'' \\\n  --data-raw '{"copy":"me"}'`,
    );
    await clip.getByLabel('copy as').selectOption('python');
    await clip.getByRole('button', { name: 'Copy as Python requests' }).click();
    await clip.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await clip.evaluate(() => navigator.clipboard.readText())).toContain(
      '"authorization": "Bearer " + os.environ["LOCALHOST_API_KEY"]',
    );
    await context.close();
  });

  it('follows the system dark theme', async () => {
    const dark = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1920, height: 1080 } });
    const darkPage = await dark.newPage();
    await darkPage.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await darkPage.locator('.detail-head').waitFor();
    const background = await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(21, 24, 30)');
    await darkPage.screenshot({ path: path.join(ARTIFACTS, 'dark-1920.png') });
    await dark.close();
  });

  it('shows a model call as a conversation whose answer grows while the stream is open', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', 'x-test-delay-ms': '300' },
      body: JSON.stringify({
        model: 'growing-model',
        stream: true,
        messages: [
          { role: 'system', content: 'Be kind.' },
          { role: 'user', content: 'Say hello' },
        ],
      }),
    });
    const reading = res.body.text();
    const id = await eventually(
      () => h.wirelog.reader.list().find((e) => e.state === 'streaming')?.id,
      'the stream to start',
    );
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
    await page.getByRole('tab', { name: 'Model call' }).click();
    const answer = page.getByTestId('answer-text');
    await expect.poll(() => answer.textContent(), { timeout: 10_000 }).toMatch(/^Hel/);
    const partial = (await answer.textContent())!;
    const openWhileSeen = h.wirelog.reader.get(id)!.state === 'streaming';
    await shot('model-call-live');
    await reading;
    expect(openWhileSeen).toBe(true);
    expect(partial.length).toBeLessThan('Hello from the fake upstream'.length);
    await expect.poll(() => answer.textContent(), { timeout: 10_000 }).toBe('Hello from the fake upstream');
    const call = page.getByTestId('model-call');
    await expect.poll(() => call.textContent()).toContain('complete');
    expect(await page.locator('.bubble.system').textContent()).toContain('Be kind.');
    expect(await page.locator('.bubble.user').textContent()).toContain('Say hello');
    expect(await call.textContent()).toContain('output tokens6');
    // The list shows the model, its tokens and time to first token.
    await page.getByRole('button', { name: 'Close detail' }).click();
    await expect.poll(() => row(id).textContent()).toContain('growing-model');
    expect(await row(id).textContent()).toContain('12/6');
    await shot('model-call-list');
    // Sorting by time to first token puts the calls that have one first, largest first.
    await page.getByRole('button', { name: /TTFT/ }).click();
    const firstTtft = () =>
      page
        .locator('[role="row"][data-id]')
        .first()
        .evaluate((r) => r.children[11]?.textContent ?? '');
    await expect.poll(firstTtft).toMatch(/\d+ ms/);
    const ttfts = await page
      .locator('[role="row"][data-id]')
      .evaluateAll((rows) => rows.map((r) => r.children[11]?.textContent ?? ''));
    const values = ttfts.filter(Boolean).map((t) => (t.endsWith(' s') ? parseFloat(t) * 1000 : parseFloat(t)));
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it('shows each choice of an n=2 call in its own tab', async () => {
    await sendThrough(h, fixtureServer.origin, 'chat-n2-stream.json');
    await h.stored();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${latestId()}`);
    await page.getByRole('tab', { name: 'Model call' }).click();
    const answer = page.getByTestId('answer-text');
    await expect.poll(() => answer.textContent()).toBe('Roses are red.');
    await page.getByRole('tab', { name: 'choice 1' }).click();
    await expect.poll(() => answer.textContent()).toBe('Violets are blue.');
    await shot('model-call-choices');
  });

  it('shows usage exactly as the provider reported it: cache figures apart, no invented total, the cost when sent', async () => {
    await sendThrough(h, fixtureServer.origin, 'anthropic-cache-usage.json');
    await h.stored();
    const anthropic = latestId();
    await sendThrough(h, fixtureServer.origin, 'openrouter-cost.json');
    await h.stored();
    const openrouter = latestId();
    await page.goto(`${h.wirelog.viewer!.url}/exchanges/${anthropic}`);
    await page.getByRole('tab', { name: 'Model call' }).click();
    const figures = page.locator('.figures');
    await expect.poll(() => figures.textContent()).toContain('cache read13993');
    expect(await figures.textContent()).toContain('cache creation512');
    expect(await figures.textContent()).toContain('input tokens74');
    expect(await figures.textContent()).not.toContain('total tokens');
    expect(await figures.textContent()).not.toContain('cost');
    await page.getByTestId('usage-as-sent').locator('summary').click();
    expect(await page.getByTestId('usage-as-sent').textContent()).toContain('ephemeral_5m_input_tokens');
    await page.getByRole('button', { name: 'Close detail' }).click();
    const tokens = row(anthropic).getByTestId('tokens');
    await expect.poll(() => tokens.textContent()).toBe('74/120 +14k');
    expect(await tokens.getAttribute('title')).toBe(
      'input tokens 74 · cache read 13,993 · cache creation 512 · output tokens 120 (as the provider reported them)',
    );
    await shot('usage-list');
    await row(openrouter).click();
    await page.getByRole('tab', { name: 'Model call' }).click();
    await expect.poll(() => figures.textContent()).toContain('cost0.000096');
    expect(await figures.textContent()).toContain('total tokens16');
  });

  it('marks a failed call in the list and explains it, with the fix, at the top of the overview', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-5-codex","input":"hi"}',
    });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    await h.stored();
    const id = latestId();
    await page.goto(h.wirelog.viewer!.url);
    const badge = row(id).getByTestId('diagnosis-badge');
    await badge.waitFor();
    expect(await badge.getAttribute('title')).toContain('base_url already ends in /chat/completions');
    await row(id).click();
    const diagnosis = page.getByTestId('diagnosis');
    await expect
      .poll(() => diagnosis.textContent())
      .toContain(`Fix: Set base_url = "https://localhost:${h.upstream.httpsPort}/v1"`);
    await shot('diagnosis');
  });

  it('says at once when capture fails, and when it works again, while traffic flows', async () => {
    await page.goto(h.wirelog.viewer!.url);
    await page.getByRole('button', { name: 'Clear all' }).waitFor();
    const banner = page.locator('.banner.error', { hasText: 'Capture is failing' });
    const unlock = lockDatabase(h.dataDir);
    try {
      const during = await curl(h, [`${h.upstream.httpsUrl}/v1/models?banner`]);
      expect(JSON.parse(during.stdout.toString()).object).toBe('list');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toMatch(/database is locked .*retrying; traffic still flows/);
      await shot('capture-failing');
    } finally {
      unlock();
    }
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    await eventually(
      () => h.wirelog.reader.list().some((e) => e.request.path === '/v1/models?banner'),
      'what waited to be stored',
      10_000,
    );
  }, 45_000);

  it('says when storage fell behind and the rest of a body was not stored, while the download went through whole', async () => {
    await page.goto(h.wirelog.viewer!.url);
    await page.getByRole('button', { name: 'Clear all' }).waitFor();
    const unlock = lockDatabase(h.dataDir);
    try {
      // More than the 2 MB ring at full speed, with storage taking nothing: it waits 1 s, then stops waiting.
      const res = await request(`${h.upstream.httpsUrl}/bytes?size=${16 * 1024 * 1024}&tag=behind`, {
        dispatcher: h.agent(),
      });
      expect((await res.body.arrayBuffer()).byteLength).toBe(16 * 1024 * 1024);
      const banner = page.getByTestId('behind-banner');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toMatch(/Storage fell behind: the rest of \d+ body\(ies\) was not stored/);
      await shot('storage-behind');
    } finally {
      unlock();
    }
    await h.stored();
  }, 45_000);

  it('refuses a cross-site clear, and clears everything after the user confirms', async () => {
    // An exchange of its own to clear, whatever ran before.
    await (
      await fetch(`http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/v1/models`)
    ).arrayBuffer();
    await h.stored();
    const crossSite = await fetch(`${h.wirelog.viewer!.url}/api/exchanges`, {
      method: 'DELETE',
      headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(h.wirelog.reader.list().length).toBeGreaterThan(0);

    await page.goto(h.wirelog.viewer!.url);
    await row(latestId()).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Clear all' }).click();
    await page.getByTestId('empty-state').waitFor();
    expect(h.wirelog.reader.list()).toHaveLength(0);
  });
});
