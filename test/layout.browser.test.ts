// "The viewer looks finished" (issue 30): every detail tab of a gateway call, an imported call, a
// WebSocket and a failed call (with its diagnosis), the session page and the list, rendered in
// Chromium at 1280x720 and 1440x900, light and dark, in English and in a zh-CN browser: no text
// spills out of its box and no label wraps to one character per line (support/layout-check.ts).
// The list at 1280 px: no column cut, the path cell showing the end of the path with the whole
// URL on hover. Screenshots land in test-artifacts/ for people to look at.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from './support/browser.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';
import { layoutProblems, type LayoutProblem } from './support/layout-check.ts';
import { CHERRY, CODEX } from './support/list-calls.ts';
import { responsesTurn } from './support/ws-turn.ts';

let h: Harness;
let browser: Browser;
const ids: Record<'gateway' | 'imported' | 'websocket' | 'failed', number> = {
  gateway: 0,
  imported: 0,
  websocket: 0,
  failed: 0,
};
let sessionKey = '';
/** The failed call's path: long enough to be cut beside the detail pane. */
const FAILED_PATH = '/v1/chat/completions/responses';

const viewer = () => h.wirelog.viewer!.url;
const newest = () => h.wirelog.reader.list({ limit: 1 })[0].id;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  const gateway = `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}`;
  const post = async (url: string, headers: [string, string][], body: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: [['content-type', 'application/json'], ...headers],
      body: JSON.stringify(body),
    });
    await res.text();
    return res.status;
  };
  // Codex through the gateway, one turn of a session: streamed, with a model call and a session page.
  expect(
    await post(
      `${gateway}/v1/responses`,
      [
        ...CODEX,
        ['authorization', 'Bearer sk-layout-000011112222'],
        ['session-id', 'sess-layout-4d2e81'],
        ['accept', 'text/event-stream'],
      ],
      { model: 'gpt-5-codex', input: 'list the files', stream: true },
    ),
  ).toBe(200);
  await h.stored();
  ids.gateway = newest();
  // Cherry Studio through the gateway, exported as HAR and imported back under a long file name.
  expect(
    await post(`${gateway}/v1/chat/completions`, [...CHERRY, ['authorization', 'Bearer sk-layout-333344445555']], {
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    }),
  ).toBe(200);
  await h.stored();
  const har = await (await fetch(`${viewer()}/api/export.har?id=${newest()}`)).text();
  const imported = await fetch(
    `${viewer()}/api/import?name=${encodeURIComponent('http-toolkit-export-2026-11-20T10-42-07.har')}`,
    { method: 'POST', headers: { origin: viewer(), 'content-type': 'application/json' }, body: har },
  );
  expect(imported.status).toBe(200);
  ids.imported = ((await imported.json()) as { ids: number[] }).ids[0];
  // Codex's Responses turn over a WebSocket through the proxy.
  await responsesTurn(h, 'gpt-5-codex');
  await h.stored();
  ids.websocket = newest();
  // The seed's 404: Codex's base_url ending in /chat/completions, through the gateway; diagnosed, with a fix to try.
  expect(
    await post(`${gateway}${FAILED_PATH}`, [...CODEX, ['authorization', 'Bearer sk-layout-666677778888']], {
      model: 'gpt-5-codex',
      input: 'hi',
      stream: true,
    }),
  ).toBe(404);
  await h.stored();
  ids.failed = newest();
  await eventually(
    () => h.wirelog.reader.get(ids.failed)?.diagnosis && h.wirelog.reader.get(ids.gateway)?.call?.threadKey,
    'the calls understood',
    60_000,
  );
  sessionKey = h.wirelog.reader.get(ids.gateway)!.call!.threadKey!;
  // The session page reads the session API: answered before the first page asks.
  await eventually(
    async () => (await fetch(`${viewer()}/api/sessions/${encodeURIComponent(sessionKey)}?offset=0&limit=10`)).ok,
    'the session to be listed',
    60_000,
  );
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** What each tab shows once it has loaded. */
const LOADED: [tab: RegExp, selector: string][] = [
  [/^(Overview|概览)/, '.overview .facts'],
  [/^(Model call|模型调用)/, '[data-testid="model-call"]'],
  [/^(Request|请求)$/, '.body-panel'],
  [/^(Response|响应)$/, '.body-panel'],
  [/(Stream|WebSocket|流式)/, '.stream'],
];

async function problemsOf(page: Page, what: string, selector: string): Promise<string[]> {
  const found: LayoutProblem[] = await page.evaluate(layoutProblems, selector);
  return found.map((p) => `${what}: ${p.kind}: ${p.where} "${p.text}" (${p.box})`);
}

/** Every tab of one exchange, each once its content is there. */
async function checkExchange(page: Page, name: keyof typeof ids, shots: string | null): Promise<string[]> {
  await page.goto(`${viewer()}/exchanges/${ids[name]}`);
  await page.locator('.detail .tabs').waitFor();
  const problems: string[] = [];
  const tabs = page.locator('.detail .tabs [role="tab"]');
  const labels = await tabs.allTextContents();
  expect(labels.length).toBeGreaterThanOrEqual(3);
  for (const [i, label] of labels.entries()) {
    await tabs.nth(i).click();
    const loaded = LOADED.find(([tab]) => tab.test(label));
    expect(loaded, `a selector for the tab "${label}"`).toBeDefined();
    await page.locator(`.tab-body ${loaded![1]}`).first().waitFor();
    // The top bar too: beside the detail pane it is where the filters get squeezed.
    problems.push(...(await problemsOf(page, `${name} / ${label}`, 'header.topbar, main.panes')));
    if (shots) await page.screenshot({ path: path.join(ARTIFACTS, `layout-${shots}-${name}-${i}.png`) });
  }
  return problems;
}

const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
];

describe.each(['en-US', 'zh-CN'])('the viewer in %s', (locale) => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ locale, viewport: VIEWPORTS[0] });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  describe.each(VIEWPORTS.flatMap((viewport) => (['light', 'dark'] as const).map((scheme) => ({ viewport, scheme }))))(
    'at $viewport.width x $viewport.height, $scheme',
    ({ viewport, scheme }) => {
      const shots = viewport.width === 1280 ? `${locale}-${scheme}` : null;
      beforeAll(async () => {
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme: scheme });
      });

      it('every tab of a gateway call, an imported call, a WebSocket and a failed call: no text out of its box, no label one character wide', async () => {
        const problems: string[] = [];
        for (const name of Object.keys(ids) as (keyof typeof ids)[])
          problems.push(...(await checkExchange(page, name, shots)));
        expect(problems).toEqual([]);
      });

      it('the session page and the list', async () => {
        await page.goto(`${viewer()}/sessions/${encodeURIComponent(sessionKey)}`);
        await page.getByTestId('session-header').waitFor();
        const problems = await problemsOf(page, 'session', '#root');
        if (shots) await page.screenshot({ path: path.join(ARTIFACTS, `layout-${shots}-session.png`) });
        await page.goto(viewer());
        await page.locator(`[role="row"][data-id="${ids.failed}"]`).waitFor();
        problems.push(...(await problemsOf(page, 'list', '#root')));
        expect(problems).toEqual([]);
      });
    },
  );
});

/** Cells cut at the end of their text: an ellipsis is fine for names (host, model, client), not for figures or headings. */
async function cutCells(page: Page): Promise<string[]> {
  return page.locator('[data-testid="exchange-list"]').evaluate((list) => {
    const cut: string[] = [];
    const rows = list.querySelectorAll('[role="row"]');
    for (const row of rows) {
      for (const cell of row.children) {
        if (!(cell instanceof HTMLElement) || getComputedStyle(cell).display === 'none') continue;
        const isHead = row.classList.contains('head');
        const isName =
          cell.classList.contains('ellipsis') ||
          cell.classList.contains('path-cell') ||
          cell.getAttribute('data-testid') === 'failure-reason';
        if ((isHead || !isName) && cell.scrollWidth > cell.clientWidth + 1)
          cut.push(
            `${isHead ? 'heading' : `row ${row.getAttribute('data-id')}`}: "${cell.textContent}" (${cell.clientWidth} of ${cell.scrollWidth} px)`,
          );
      }
    }
    return cut;
  });
}

/** Whether the last and the first character of the path cell are inside its box. */
async function pathEnds(
  page: Page,
  id: number,
): Promise<{ last: boolean; first: boolean; title: string | null; text: string }> {
  const cell = page.locator(`[role="row"][data-id="${id}"] [data-testid="path-cell"]`);
  return cell.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const text = el.textContent ?? '';
    const textNode = (function find(n: Node): Text | null {
      if (n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').length > 0) return n as Text;
      for (const c of n.childNodes) {
        const found = find(c);
        if (found) return found;
      }
      return null;
    })(el)!;
    const inside = (at: number) => {
      const range = document.createRange();
      range.setStart(textNode, at);
      range.setEnd(textNode, at + 1);
      const r = range.getBoundingClientRect();
      return r.left >= box.left - 1 && r.right <= box.right + 1;
    };
    return { last: inside(textNode.length - 1), first: inside(0), title: el.getAttribute('title'), text };
  });
}

describe('the list at 1280 px', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  it('alone: no heading or figure cut', async () => {
    await page.goto(viewer());
    await page.locator(`[role="row"][data-id="${ids.failed}"]`).waitFor();
    expect(await cutCells(page)).toEqual([]);
    const ends = await pathEnds(page, ids.failed);
    expect(ends.text).toBe(FAILED_PATH);
    expect(ends.last).toBe(true);
  });

  it('beside the detail pane: no heading or figure cut, the path cut at its start so its end shows, the whole URL on hover', async () => {
    await page.goto(`${viewer()}/exchanges/${ids.gateway}`);
    await page.locator('.detail .tabs').waitFor();
    await page.locator(`[role="row"][data-id="${ids.failed}"]`).waitFor();
    expect(await cutCells(page)).toEqual([]);
    const ends = await pathEnds(page, ids.failed);
    expect(ends.text).toBe(FAILED_PATH);
    // Cut (the pane leaves it about 100 px), and cut where the paths are alike: the end shows.
    expect(ends.first).toBe(false);
    expect(ends.last).toBe(true);
    expect(ends.title).toBe(`http://localhost:${h.upstream.httpsPort}${FAILED_PATH}`.replace('http:', 'https:'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'layout-list-beside-detail.png') });
  });
});
