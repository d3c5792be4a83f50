// A shared session opened offline (issue 27): `wirelog export --html` of a generated session,
// opened from its file in Chromium with every request that is not the file itself aborted and
// recorded, shows the same turns and figures as the session API, and attempts no request at all;
// a session with hostile captured text runs none of it (no script, no dialog, no load) and shows
// it as text; the viewer's Export link downloads the same page; the CLI refuses an unknown
// --session in one line, in English and in Chinese; --har --session writes that session's calls,
// each carrying its id.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { runCli } from './support/cli.ts';
import { eventually, startHarness, tempDir, type Harness } from './support/harness.ts';
import { HOSTILE, hostileSession } from './support/session-hostile.ts';
import { generatedSession, sessionEvents } from './support/session-store.ts';
import type { SessionPage } from '../llm/session-read.ts';

const TURNS = 6;

let h: Harness;
let browser: Browser;
let out: string;

beforeAll(async () => {
  h = await startHarness();
  await h.wirelog.writer.importEvents(sessionEvents('share', generatedSession(TURNS)));
  await h.wirelog.writer.importEvents(sessionEvents('hostile', hostileSession()));
  await eventually(
    () =>
      h.wirelog.reader.count({ thread: 'session:share' }) === TURNS &&
      h.wirelog.reader.count({ thread: 'session:hostile' }) === 3,
    'both sessions understood',
    120_000,
  );
  browser = await launchBrowser();
  out = tempDir('wirelog-share-');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

/** A page that may open the file and nothing else: every other request is aborted and remembered. */
async function offlinePage(): Promise<{ context: BrowserContext; page: Page; attempted: string[]; dialogs: string[] }> {
  const context = await browser.newContext({ locale: 'en-US', offline: true });
  const attempted: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    attempted.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) attempted.push(r.url());
  });
  return { context, page, attempted, dialogs };
}

async function cliExport(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['export', ...args, '--data-dir', h.dataDir], { env });
}

describe('the HTML export opened offline in Chromium', () => {
  it('shows the turns and figures of the session API, and asks for nothing', async () => {
    const file = path.join(out, 'share.html');
    const result = await cliExport(['--html', file, '--session', 'share']);
    expect(result.stderr).toContain(`wrote session "session:share" (${TURNS} turn(s))`);
    expect(result.code).toBe(0);
    const api = (await (
      await fetch(`${h.wirelog.viewer!.url}/api/sessions/${encodeURIComponent('session:share')}?limit=500`)
    ).json()) as SessionPage;
    expect(api.total).toBe(TURNS);

    const { context, page, attempted, dialogs } = await offlinePage();
    await page.goto(`file://${file}`);
    const turns = page.getByTestId('turn');
    expect(await turns.count()).toBe(TURNS);
    for (const turn of api.turns) {
      const article = page.locator(`[data-turn="${turn.index + 1}"]`);
      expect(await article.getAttribute('data-id')).toBe(String(turn.id));
      expect(await article.getAttribute('data-input-tokens')).toBe(String(turn.usage.input));
      expect(await article.getAttribute('data-output-tokens')).toBe(String(turn.usage.output));
      expect(await article.getAttribute('data-cost-usd')).toBe(String(turn.cost!.usd));
      const figures = await article.getByTestId('turn-figures').innerText();
      expect(figures).toContain(`in ${turn.usage.input!.toLocaleString('en-US')} · out ${turn.usage.output}`);
      expect(figures).toContain(`$${turn.cost!.usd!.toFixed(4)}`);
      // Each tool call with its arguments and the result the next turn sent, as the API paired them.
      const results = await article.getByTestId('tool-result').allInnerTexts();
      expect(results).toEqual(turn.tools.flatMap((p) => (p.result === null ? [] : [p.result])));
      expect(await article.getByTestId('tool-arguments').allInnerTexts()).toEqual(turn.tools.map((p) => p.arguments));
    }
    const header = page.getByTestId('session-header');
    expect(await header.getAttribute('data-input-tokens')).toBe(String(api.header.tokens.input));
    expect(await header.getAttribute('data-cost-usd')).toBe(String(api.header.cost.usd));
    expect(await page.getByTestId('session-calls').innerText()).toBe(`${TURNS} calls`);
    expect(await page.locator(`[data-turn="${TURNS}"]`).getByTestId('turn-answer').innerText()).toBe(
      `All ${TURNS - 1} parts read.`,
    );
    // The raw exchanges fold under their turns, open without script.
    await page.locator('[data-turn="1"] details summary').click();
    expect(await page.locator('[data-turn="1"]').getByTestId('raw-body').first().innerText()).toContain(
      '"model":"gpt-5-codex"',
    );
    expect(attempted).toEqual([]);
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('hostile captured text runs nothing, loads nothing, and reads as the text it was', async () => {
    const file = path.join(out, 'hostile.html');
    expect((await cliExport(['--html', file, '--session', 'session:hostile'])).code).toBe(0);
    const { context, page, attempted, dialogs } = await offlinePage();
    await page.goto(`file://${file}`);
    await page.locator('details').evaluateAll((all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null)).toBeNull();
    expect(await page.locator('script, iframe, img, a').count()).toBe(0);
    expect(await page.getByTestId('turn').count()).toBe(3);
    // The task as the user's input of turn 1, character for character.
    expect(await page.locator('[data-turn="1"]').getByTestId('turn-input').locator('pre').innerText()).toBe(HOSTILE);
    expect(attempted).toEqual([]);
    expect(dialogs).toEqual([]);
    await context.close();
  });
});

describe("the viewer's Export link", () => {
  it('downloads the same page the CLI writes', async () => {
    const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${h.wirelog.viewer!.url}/sessions/${encodeURIComponent('session:share')}`);
    await page.getByTestId('session-header').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
    expect(download.suggestedFilename()).toBe('wirelog-session_share.html');
    const file = path.join(out, 'viewer.html');
    await download.saveAs(file);
    const fromViewer = fs.readFileSync(file, 'utf8');
    const fromCli = fs.readFileSync(path.join(out, 'share.html'), 'utf8');
    // The same page but for the moment it was exported.
    const moment = (html: string) =>
      html.replace(
        /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \S*导出|at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/,
        'AT',
      );
    expect(moment(fromViewer)).toBe(moment(fromCli));

    const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-markdown').click()]);
    expect(md.suggestedFilename()).toBe('wirelog-session_share.md');
    const mdFile = path.join(out, 'viewer.md');
    await md.saveAs(mdFile);
    expect(fs.readFileSync(mdFile, 'utf8').match(/^## Turn \d+/gm)).toHaveLength(TURNS);
    await context.close();
  });

  it('an unknown session is a 404 with the reason, not an empty file', async () => {
    const res = await fetch(`${h.wirelog.viewer!.url}/api/sessions/nope/export?format=html`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain('no session "nope" is stored');
  });
});

describe('the CLI', () => {
  it('an unknown --session: one line naming it and the fix, in English and in Chinese', async () => {
    const en = await cliExport(['--html', path.join(out, 'none.html'), '--session', 'nope']);
    expect(en.code).toBe(2);
    expect(en.stderr.trim().split('\n')).toHaveLength(1);
    expect(en.stderr).toContain('no session "nope" is stored');
    expect(en.stderr).toContain('without --session');
    const zh = await cliExport(['--markdown', '-', '--session', 'nope'], { WIRELOG_LANG: 'zh-CN' });
    expect(zh.code).toBe(2);
    expect(zh.stderr.trim().split('\n')).toHaveLength(1);
    expect(zh.stderr).toContain('没有存着会话 "nope"');
    expect(zh.stdout).toBe('');
    expect(fs.existsSync(path.join(out, 'none.html'))).toBe(false);
  });

  it('Markdown to standard output, and --har --session: only that session, each entry naming it', async () => {
    const md = await cliExport(['--markdown', '-']);
    expect(md.code).toBe(0);
    // Without --session: the most recent session.
    expect(md.stdout).toContain('# wirelog session `session:hostile`');
    const har = await cliExport(['--har', '-', '--session', 'share']);
    expect(har.code).toBe(0);
    const entries = (JSON.parse(har.stdout) as { log: { entries: { _wirelog: { session: string } }[] } }).log.entries;
    expect(entries.map((e) => e._wirelog.session)).toEqual(Array(TURNS).fill('session:share'));
  });
});
