// A body storage cut (issue 26): storage that stops taking bytes holds a download back for a
// bounded time, then leaves the rest of its body out. The exchange says so in its notes, the
// status API names it, the banner links it, and its Response tab says how much was kept and why.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ViewerStatus } from '../viewer/api-app.ts';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { eventually, lockDatabase, startHarness, type Harness } from './support/harness.ts';

const MB = 1024 * 1024;
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // A small ring: storage is the slower side for sure (as in storage-flow.test.ts).
  h = await startHarness({ storageRingBytes: 256 * 1024 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('names the exchange storage cut: in its notes, in /api/status, as a link in the banner, and in its Response tab', async () => {
  const unlock = lockDatabase(h.dataDir);
  try {
    const downloading = request(`${h.upstream.httpsUrl}/bytes?size=${24 * MB}&varied=1&tag=cut`, {
      dispatcher: h.agent(),
    }).then(async (res) => Buffer.from(await res.body.arrayBuffer()));
    await eventually(() => h.wirelog.writer.losses.bodies >= 1, 'storage to give up waiting for room', 10_000);
    expect((await downloading).length).toBe(24 * MB);
  } finally {
    unlock();
  }
  await h.stored();
  const id = h.wirelog.reader.list({ limit: 10 }).find((e) => e.request.path.includes('tag=cut'))!.id;
  const cut = h.wirelog.reader.get(id)!;
  expect(cut.responseBody.truncated).toBe(true);
  const left = 24 * MB - cut.responseBody.storedSize;
  expect(cut.notes).toContain(
    `storage left out ${left} body byte(s) of this exchange because storage had no room for the rest of the response body (it was behind or failing); the client got them all (the record is incomplete, not the traffic)`,
  );

  const status = (await (await fetch(`${h.wirelog.viewer!.url}/api/status`)).json()) as ViewerStatus;
  expect(status.cutBodies).toEqual({ count: 1, ids: [id] });

  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(h.wirelog.viewer!.url);
  const link = page.getByTestId('behind-banner').getByRole('link', { name: `#${id}` });
  await link.click();
  await page.getByRole('tab', { name: 'Response' }).click();
  const said = page.getByTestId('body-cut');
  await expect
    .poll(() => said.textContent())
    .toContain(
      `Cut by storage: ${(cut.responseBody.storedSize / MB).toFixed(1)} MB of 24.0 MB kept. The client got all of it. Why:`,
    );
  expect(await said.textContent()).toContain(`storage left out ${left} body byte(s)`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'body-cut.png') });
  await page.close();
}, 90_000);
