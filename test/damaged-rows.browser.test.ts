// The viewer shows a damaged row (db/stored-values.ts): a mark on its list row, a banner naming
// the damaged rows (from /api/status), and in its detail what could not be read and why.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('marks a damaged row, names it in a banner, and its detail says which column could not be read', async () => {
  const [damaged] = await h.wirelog.writer.importEvents(finishedExchange(1));
  const [whole] = await h.wirelog.writer.importEvents(finishedExchange(2));
  const db = new Database(databasePath(h.dataDir));
  db.prepare(`UPDATE exchanges SET request_headers = 'not json' WHERE id = ?`).run(damaged);
  db.close();

  await page.goto(h.wirelog.viewer!.url);
  const row = (id: number) => page.locator(`[role="row"][data-id="${id}"]`);
  await expect.poll(() => row(damaged).getByTestId('damage-badge').count()).toBe(1);
  expect(await row(whole).getByTestId('damage-badge').count()).toBe(0);
  expect(await row(damaged).getByTestId('damage-badge').getAttribute('title')).toContain(
    'damaged: column request_headers could not be read',
  );

  await row(damaged).click();
  const notes = page.getByTestId('damage-notes');
  await expect
    .poll(() => notes.locator('li').allTextContents())
    .toEqual([
      expect.stringMatching(/^damaged: column request_headers could not be read: not JSON \(.*\); read as no headers$/),
    ]);
  // The status (fetched again on the next live update) names the damaged row.
  await page.reload();
  await expect
    .poll(() => page.getByTestId('damaged-banner').textContent())
    .toMatch(
      new RegExp(
        `^1 stored exchange\\(s\\) are damaged in the database \\(#${damaged}\\)\\. #${damaged}: column request_headers could not be read: not JSON`,
      ),
    );
  await page.screenshot({ path: path.join(ARTIFACTS, 'damaged-row.png') });

  await row(whole).click();
  await expect.poll(() => page.locator('.detail-head .url').textContent()).toContain('n=2');
  expect(await page.getByTestId('damage-notes').count()).toBe(0);
});
