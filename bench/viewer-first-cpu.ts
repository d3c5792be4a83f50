// The viewer's main-thread CPU before its first row, from a Chromium trace, for two builds side by
// side: each build's wirelog on its own copy of a store, their loads alternated so the machine's
// load falls on both alike. Per load: the CPU (thread time) of the renderer main thread's tasks
// that began before the first row was in the DOM, and of that the module evaluation (v8's
// evaluate/compile of the page's scripts) and the rest (React's render, the layout, the paint).
//
//   npx tsx bench/viewer-first-cpu.ts --a NAME=REPO:DATA_DIR --b NAME=REPO:DATA_DIR [--runs 10] [--lang zh-CN]
//
// REPO is a checkout with its viewer built (node scripts/build.mjs); DATA_DIR a store of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../test/support/browser.ts';
import { WIRELOG_NODE_FLAGS } from '../test/support/cli.ts';
import { freePort } from './soak/processes.ts';

const { values } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, runs: { type: 'string' }, lang: { type: 'string' } },
});
const runs = Number(values.runs ?? 10);
const language = values.lang ?? 'en-US';

interface Build {
  name: string;
  viewer: string;
  child: ChildProcess;
}

async function startBuild(spec: string): Promise<Build> {
  const [name, rest] = spec.split('=');
  const [repo, dataDir] = rest.split(':');
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      ...WIRELOG_NODE_FLAGS,
      path.join(repo, 'bin/wirelog.js'),
      'start',
      '--data-dir',
      dataDir,
      '--proxy-port',
      String(proxyPort),
      '--ui-port',
      String(uiPort),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let printed = '';
    const timer = setTimeout(() => reject(new Error(`${name}: not ready in 120 s`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      printed += d.toString();
      if (printed.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`${name}: exited: ${printed}`)));
  });
  return { name, viewer: `http://127.0.0.1:${uiPort}`, child };
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

type Browser = Awaited<ReturnType<typeof launchBrowser>>;

interface Seen {
  /** The page's own clock at the first row (wall time: the machine's load stretches it). */
  row: number;
  cpu: number;
  evaluate: number;
  compile: number;
}

async function load(browser: Browser, viewer: string): Promise<Seen> {
  const context = await browser.newContext({ locale: language, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[role="row"][data-id]')) return;
      performance.mark('wirelog-first-row');
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  const cdp = await context.newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...(value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', {
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'v8',
        'blink.user_timing',
        '__metadata',
      ],
    },
    transferMode: 'ReportEvents',
  });
  await page.goto(viewer);
  await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 60_000 });
  const row = await page.evaluate(
    () => window.performance.getEntriesByName('wirelog-first-row')[0]?.startTime ?? Number.NaN,
  );
  await cdp.send('Tracing.end');
  await Promise.race([complete, new Promise((r) => setTimeout(r, 30_000))]);
  await context.close();

  const mark = events.find((e) => e.name === 'wirelog-first-row');
  if (!mark) throw new Error('no first-row mark in the trace');
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === mark.pid);
  const onMain = events.filter((e) => e.pid === mark.pid && e.tid === (main?.tid ?? mark.tid) && e.ph === 'X');
  const before = (e: TraceEvent) => e.ts < mark.ts;
  const sum = (list: TraceEvent[]) => list.reduce((s, e) => s + (e.tdur ?? e.dur ?? 0), 0) / 1000;
  const tasks = onMain.filter((e) => e.name === 'RunTask' && before(e));
  const evaluate = onMain.filter((e) => (e.name === 'v8.evaluateModule' || e.name === 'EvaluateScript') && before(e));
  const compile = onMain.filter((e) => (e.name === 'v8.compileModule' || e.name === 'v8.compile') && before(e));
  return { row, cpu: sum(tasks), evaluate: sum(evaluate), compile: sum(compile) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const builds: Build[] = [];
try {
  for (const spec of [values.a, values.b]) if (spec) builds.push(await startBuild(spec));
  const browser = await launchBrowser();
  const seen = new Map<string, (Seen & { load: number })[]>();
  try {
    for (const b of builds) await load(browser, b.viewer); // warm each
    for (let i = 0; i < runs; i++) {
      for (const b of i % 2 ? [...builds].reverse() : builds) {
        const r = await load(browser, b.viewer);
        const row = { ...r, load: os.loadavg()[0] };
        seen.set(b.name, [...(seen.get(b.name) ?? []), row]);
        console.log(
          `${b.name} row at ${r.row.toFixed(1)}, cpu ${r.cpu.toFixed(1)} evaluate ${r.evaluate.toFixed(1)} compile ${r.compile.toFixed(1)} ms; load ${row.load.toFixed(1)}`,
        );
      }
    }
  } finally {
    await browser.close();
  }
  for (const [name, rows] of seen) {
    const m = (k: keyof Seen | 'load') => median(rows.map((r) => r[k])).toFixed(1);
    console.log(
      `${name} (${language}), median of ${rows.length}: first row at ${m('row')} ms, main-thread cpu before first row ${m('cpu')} ms, module evaluation ${m('evaluate')}, compile ${m('compile')}; load ${m('load')}`,
    );
  }
} finally {
  for (const b of builds) {
    b.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
  }
}
