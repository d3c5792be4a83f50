// npm run bench (second part): the viewer and its API with 100,000 stored exchanges.
// The exchanges go through the real storage path (CaptureStore), then a real wirelog
// process serves them to HTTP requests and to Chromium.
import { understandEnded } from '../llm/stored-calls.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { startWirelogProcess } from '../test/support/cli.ts';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser.ts';
import {
  BODY_SHOWN,
  bigBody,
  bigExchange,
  longStream,
  timeOpen,
  type BigKind,
  type OpenFigures,
} from '../test/support/big-bodies.ts';
import { startHarness } from '../test/support/harness.ts';

const COUNT = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1' ? 20_000 : 100_000;
const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function fill(dataDir: string): number {
  const db = openDatabase(dataDir);
  const store = new CaptureStore(db, understandEnded);
  const t = performance.now();
  const batch: ExchangeEvent[] = [];
  for (let i = 0; i < COUNT; i++) {
    const uid = `bench-${i}`;
    const prompt = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} request number ${i}${i % 1000 === 0 ? ' rarewordzebra' : ''}`;
    const request = Buffer.from(
      JSON.stringify({ model: 'gpt-bench', stream: false, messages: [{ role: 'user', content: prompt }] }),
    );
    const response = Buffer.from(
      JSON.stringify({
        id: `chatcmpl-${i}`,
        choices: [{ message: { role: 'assistant', content: `answer ${i} ${'lorem ipsum '.repeat(40)}` } }],
      }),
    );
    batch.push(
      {
        type: 'request',
        uid,
        head: {
          startedAt: Date.now() - (COUNT - i) * 1000,
          clientAddress: '127.0.0.1:50000',
          method: 'POST',
          scheme: 'https',
          host: `relay${i % 5}.example`,
          port: 443,
          path: '/v1/chat/completions',
          httpVersion: '1.1',
          headers: [
            ['Host', `relay${i % 5}.example`],
            ['Authorization', 'Bearer ****abcd'],
            ['Content-Type', 'application/json'],
          ],
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: 120,
        head: {
          status: i % 20 === 0 ? 404 : 200,
          statusText: 'OK',
          httpVersion: '1.1',
          headers: [['Content-Type', 'application/json']],
        },
      },
      { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 130 },
      {
        type: 'end',
        uid,
        state: 'complete',
        error: null,
        timings: { requestSent: 1, responseHeaders: 120, firstByte: 130, end: 140 },
        requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
        responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
      },
    );
    if (batch.length >= 5000) store.apply(batch.splice(0));
  }
  store.apply(batch.splice(0));
  db.close();
  return performance.now() - t;
}

/** The page's app (index.html and its assets) from another build's dist/viewer; the API from the wirelog running. */
async function serveAppFrom(page: Page, dir: string): Promise<void> {
  await page.route('**/*', (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname.startsWith('/assets/')) return route.fulfill({ path: path.join(dir, pathname) });
    if (pathname === '/' || /^\/exchanges\/\d+$/.test(pathname))
      return route.fulfill({ path: path.join(dir, 'index.html') });
    return route.continue();
  });
}

async function timeGets(url: string, times: number): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    durations.push(performance.now() - t);
  }
  return durations;
}

/**
 * Large bodies (issue 26): the Response tab of 1, 5 and 20 MB bodies, then Raw, in Chromium:
 * time until the content showed and until the page answered again, DOM elements and JS heap.
 * BENCH_VIEWER_BEFORE=DIR serves the app from another build (e.g. /tmp/f1-old/dist/viewer, a
 * worktree of an older commit) against the same API, for figures side by side.
 */
async function bigBodies(): Promise<void> {
  const before = process.env.BENCH_VIEWER_BEFORE;
  const sizes = (process.env.BENCH_BODY_MB ?? '1,5,20').split(',').map(Number);
  const kinds = (process.env.BENCH_BODY_KINDS ?? 'json,text,base64').split(',') as BigKind[];
  const limitMs = Number(process.env.BENCH_BODY_LIMIT_S ?? 180) * 1000;
  const h = await startHarness();
  const browser = await launchBrowser();
  const rows: string[][] = [];
  try {
    const ids = new Map<string, number>();
    let i = 0;
    for (const kind of kinds)
      for (const mb of sizes)
        ids.set(
          `${kind}-${mb}`,
          (await h.wirelog.writer.importEvents(bigExchange(i++, bigBody(kind, mb * 1048576))))[0],
        );
    ids.set('stream', (await h.wirelog.writer.importEvents(longStream(i++, 5000)))[0]);
    const fmt = (f: OpenFigures | string) =>
      typeof f === 'string'
        ? f
        : `${Math.round(f.shownMs)} / ${Math.round(f.answeredMs)} ms, ${f.domNodes} elements, ${f.heapMb.toFixed(0)} MB heap`;
    for (const [key, id] of ids) {
      // A fresh page per body: one body's heap is not counted in the next.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: false });
      const page = await context.newPage();
      if (before) await serveAppFrom(page, before);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(`${h.wirelog.viewer!.url}/exchanges/${id}`);
      await page.locator('.detail-head').waitFor();
      const tab = key === 'stream' ? /Stream/ : 'Response';
      const shown = key === 'stream' ? '[data-testid="stream-events"] .event' : BODY_SHOWN;
      const open = await timeOpen(page, cdp, () => page.getByRole('tab', { name: tab }).click(), shown, limitMs).catch(
        () => `no answer within ${limitMs / 1000} s`,
      );
      let raw: OpenFigures | string = '';
      if (typeof open !== 'string' && !key.startsWith('text') && key !== 'stream')
        raw = await timeOpen(
          page,
          cdp,
          () => page.getByRole('button', { name: 'Raw', exact: true }).click(),
          '.body-panel .raw-lines, .body-panel pre.body-text',
          limitMs,
        ).catch(() => `no answer within ${limitMs / 1000} s`);
      rows.push([
        key === 'stream' ? 'SSE stream, 5,000 events: Stream tab' : `${key.replace('-', ', ')} MB: Response tab`,
        fmt(open),
        raw ? fmt(raw) : '',
      ]);
      console.error(`  ${rows[rows.length - 1].join(' | ')}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await h.close();
  }
  console.log(`\nwirelog viewer, large bodies${before ? ` (app from ${before})` : ''}, ${new Date().toISOString()}`);
  console.log(
    '| body | opened: shown / answering again, DOM, heap | Raw: shown / answering again, DOM, heap |\n|---|---|---|',
  );
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--bodies')) return bigBodies();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-viewer-'));
  const fillMs = fill(dataDir);
  const wirelog = await startWirelogProcess(dataDir);
  const viewer = wirelog.viewerUrl;

  const firstPage = await timeGets(`${viewer}/api/exchanges`, 50);
  const filtered = await timeGets(`${viewer}/api/exchanges?status=4xx&host=relay1.example`, 50);
  const rare = await timeGets(`${viewer}/api/exchanges?q=rarewordzebra`, 20);
  const oneIn12 = await timeGets(`${viewer}/api/exchanges?q=alpha`, 20);
  const everywhere = await timeGets(`${viewer}/api/exchanges?q=lorem`, 20);

  // The list in Chromium, for this build and (BENCH_VIEWER_BEFORE=DIR) another one against the same
  // API, their page loads alternating so both see the same machine.
  const before = process.env.BENCH_VIEWER_BEFORE;
  const builds: [string, string | null][] = before
    ? [
        ['now', null],
        ['before', before],
      ]
    : [['now', null]];
  const browser = await launchBrowser();
  const seen = new Map<string, { loads: number[]; frames: number[]; rowsLoaded: number }>();
  try {
    for (let i = 0; i < 6; i++)
      for (const [name, dir] of builds) {
        const figures = seen.get(name) ?? { loads: [], frames: [], rowsLoaded: 0 };
        seen.set(name, figures);
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        if (dir) await serveAppFrom(page, dir);
        const t = performance.now();
        await page.goto(viewer);
        await page.locator('[role="row"][data-id]').first().waitFor();
        if (i > 0) figures.loads.push(performance.now() - t); // the first load warms the browser
        if (i === 5) {
          // Down a screen a frame, as a wheel or a dragged scrollbar does, loading pages as it goes; time every frame.
          const result = await page.evaluate(async () => {
            const list = document.querySelector('[data-testid="exchange-list"]')!;
            const durations: number[] = [];
            let last = performance.now();
            const until = performance.now() + 5000;
            while (performance.now() < until) {
              list.scrollTop += list.clientHeight;
              await new Promise((r) => requestAnimationFrame(r));
              const now = performance.now();
              durations.push(now - last);
              last = now;
            }
            return { durations, rows: Number(list.getAttribute('aria-rowcount')) };
          });
          figures.frames = result.durations;
          figures.rowsLoaded = result.rows;
        }
        await page.close();
      }
  } finally {
    await browser.close();
    await wirelog.stop();
  }

  const fmt = (n: number) => n.toFixed(1);
  const rows = [
    [
      'filling the store (CaptureStore, batches of 1,000 exchanges)',
      `${fmt(fillMs / 1000)} s`,
      `${Math.round(COUNT / (fillMs / 1000))} exchanges/s`,
    ],
    [
      'GET /api/exchanges, first page: p50 / p99 ms',
      `${fmt(percentile(firstPage, 50))} / ${fmt(percentile(firstPage, 99))}`,
      'target p50 < 50',
    ],
    ['GET /api/exchanges?status=4xx&host=…: p50 ms', fmt(percentile(filtered, 50)), ''],
    ['full-text search, rare word (100 hits): p50 ms', fmt(percentile(rare, 50)), 'target p50 < 200'],
    ['full-text search, a word in 1 of 12 exchanges: p50 ms', fmt(percentile(oneIn12, 50)), 'target p50 < 200'],
    ['full-text search, a word in every exchange: p50 ms', fmt(percentile(everywhere, 50)), 'target p50 < 200'],
    ...[...seen].flatMap(([name, f]) => [
      [`page load to rendered list in Chromium (${name}): p50 ms`, fmt(percentile(f.loads, 50)), 'target < 1500'],
      [
        `scrolling a screen a frame for 5 s (${name}, ${f.rowsLoaded} rows loaded): frame p50 / p95 ms`,
        `${fmt(percentile(f.frames, 50))} / ${fmt(percentile(f.frames, 95))}`,
        '16.7 ms = 60 fps',
      ],
    ]),
  ];
  console.log(
    `\nwirelog viewer benchmark, ${COUNT.toLocaleString('en')} stored exchanges, ${new Date().toISOString()}`,
  );
  console.log('| measure | figure | note |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  await bigBodies();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
