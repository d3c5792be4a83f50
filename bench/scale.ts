// Issue 28's "every screen fast at a million calls", measured: N exchanges generated straight
// into a store (prepared statements in big transactions, not through the proxy) with the soak's
// mix, then, side by side in one run: `wirelog start` to listening, the list API's first page, a
// full-text search, filters by host / status / session, `doctor --last 500`, `export --har`
// (MB/s, peak RSS), `wirelog import` of a 50,000-entry HAR (time, peak RSS, progress lines), and
// in Chromium the list's first rows and a scripted scroll (requestAnimationFrame deltas). The
// issue's targets are printed beside each figure; nothing is asserted.
//
//   npx tsx bench/scale.ts                       # 100,000 exchanges (npm run bench runs this)
//   BENCH_SCALE=1000000 npx tsx bench/scale.ts   # the issue's million (about 10 minutes to generate)
//   ... --keep DIR                               # generate into DIR once, reuse it on later runs
//   ... --har-entries 50000                      # the import's HAR (default 50,000; BENCH_QUICK: 10,000)
//   ... --browser-only [--browser-runs 7]        # only Chromium's first rows, each load's phases (viewer builds)
//
// The mix, per 100 exchanges (bench/soak/common.ts MIX scaled to what a million rows can hold
// on one disk): 35 Codex Responses calls (POST /v1/responses, ~3 KB JSON whose history repeats
// its thread's, 12-event SSE answers with usage, a thread key per 40-turn session), 15 chat
// streams (8 events), 35 small calls (model lists, telemetry), 10 failures (429/500/502 with an
// error diagnosis, 401, refused connections), 5 warnings on calls that worked.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { openDatabase, type Db } from '../db/schema.ts';
import { indexedText } from '../db/search-text.ts';
import { Packer } from '../db/blobs.ts';
import { PartIndex } from '../db/part-search.ts';
import { launchBrowser } from '../test/support/browser.ts';
import { writeChatCallsHar } from './chat-calls-har.ts';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS } from '../test/support/cli.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const { values } = parseArgs({
  options: {
    keep: { type: 'string' },
    'har-entries': { type: 'string' },
    quick: { type: 'boolean' },
    'no-browser': { type: 'boolean' },
    'browser-only': { type: 'boolean' },
    'browser-runs': { type: 'string' },
  },
});
const COUNT = Number(process.env.BENCH_SCALE ?? (QUICK ? 20_000 : 100_000));
const HAR_ENTRIES = Number(values['har-entries'] ?? (QUICK ? 10_000 : 50_000));
const MB = 1024 * 1024;
const THREAD_TURNS = 40;
/** A word in about one exchange of a thousand, and one in every Codex request: the searches. */
const RARE_WORD = 'zanzibarquill';
const COMMON_WORD = 'workspace';

// ---- the generated store ----------------------------------------------------------------

/** mulberry32: the same store for the same N, run after run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCABULARY = Array.from({ length: 4000 }, (_, i) => `w${((i * 2654435761) % 0xfffff).toString(36)}`);
const words = (rnd: () => number, n: number) =>
  Array.from({ length: n }, () => VOCABULARY[Math.floor(rnd() * VOCABULARY.length)]).join(' ');
const INSTRUCTIONS = `You are Codex, a coding agent running in the user's ${COMMON_WORD}. ${'Follow the repository conventions and run the tests. '.repeat(12)}`;

type Kind = 'codex' | 'chat' | 'small' | 'failure' | 'refused' | 'unauthorized';

function kindOf(r: number): Kind {
  if (r < 0.35) return 'codex';
  if (r < 0.5) return 'chat';
  if (r < 0.85) return 'small';
  if (r < 0.93) return 'failure';
  if (r < 0.97) return 'refused';
  return 'unauthorized';
}

const HOSTS = {
  codex: 'relay.codeapi.example',
  chat: 'api.deepseek.example',
  small: ['api.openai.com', 'ab.chatgpt.com', 'chatgpt.com', 'github.com'],
};
const json = (v: unknown) => JSON.stringify(v);

interface Generated {
  ms: number;
  bytes: number;
  threads: string[];
}

/** N exchanges into a fresh store in the data dir, rows, bodies, SSE events and search documents in transactions of 5,000. */
function generate(dataDir: string, count: number): Generated {
  const db: Db = openDatabase(dataDir);
  const t0 = performance.now();
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers,
    status, status_text, response_http_version, response_headers, state, error, timings, request_size, request_stored, response_size, response_stored,
    stream_kind, event_count, dialect, model, input_tokens, output_tokens, usage, ttft_ms, diagnosis_severity, diagnosis, thread_key, response_id, client, to_index)
    VALUES (@uid, @startedAt, '127.0.0.1', @method, 'https', @host, 443, @path, '1.1', @requestHeaders, @status, @statusText, @responseVersion, @responseHeaders,
    @state, @error, @timings, @requestSize, @requestSize, @responseSize, @responseSize, @streamKind, @eventCount, @dialect, @model, @inputTokens, @outputTokens,
    @usage, @ttft, @severity, @diagnosis, @thread, @responseId, @client, 0)`);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, 0, ?)');
  const event = db.prepare(
    'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data) VALUES (?, ?, ?, ?, NULL, ?)',
  );
  const search = db.prepare('INSERT INTO exchanges_search (rowid, url, request, response) VALUES (?, ?, ?, ?)');
  // As wirelog writes an ended exchange (db/indexer.ts): packed (request split into its stored-once parts, rows
  // compressed), each new part indexed once, the exchange's own entry holding what is around its parts.
  const packer = new Packer(db);
  const parts = new PartIndex(db);
  const rnd = random(28);
  const threads: string[] = [];
  let thread = '';
  let turn = THREAD_TURNS;
  let history: string[] = [];
  let bytes = 0;
  const start = Date.now() - count * 600;
  const one = (i: number) => {
    const kind = kindOf(rnd());
    const startedAt = start + i * 600;
    const base = {
      uid: `scale-${i}`,
      startedAt,
      method: 'POST',
      path: '/v1/responses',
      requestHeaders: '[]',
      status: 200 as number | null,
      statusText: 'OK',
      responseVersion: '1.1',
      responseHeaders: json([['content-type', 'application/json']]),
      state: 'complete',
      error: null as string | null,
      timings: json({ requestSent: 2, responseHeaders: 180, firstByte: 190, end: 900 + Math.floor(rnd() * 4000) }),
      streamKind: null as string | null,
      eventCount: 0,
      dialect: null as string | null,
      model: null as string | null,
      inputTokens: null as number | null,
      outputTokens: null as number | null,
      usage: null as string | null,
      ttft: null as number | null,
      severity: null as string | null,
      diagnosis: null as string | null,
      thread: null as string | null,
      responseId: null as string | null,
      client: null as string | null,
    };
    let requestBody = '';
    let responseBody = '';
    let events: [string, string][] = [];
    let host = HOSTS.codex;
    if (kind === 'codex' || kind === 'failure' || kind === 'unauthorized') {
      if (turn >= THREAD_TURNS) {
        thread = `codex:019a${i.toString(16).padStart(8, '0')}-7c1e-7d2a-9b1f-${Math.floor(rnd() * 1e12)
          .toString(16)
          .padStart(12, '0')}`;
        threads.push(thread);
        turn = 0;
        history = [];
      }
      turn++;
      // The history repeats its thread's earlier turns (a few kept: a million rows must fit one disk).
      history.push(`${words(rnd, 40)}${rnd() < 0.001 ? ` ${RARE_WORD}` : ''}`);
      if (history.length > 6) history.shift();
      requestBody = json({
        model: 'gpt-5-codex',
        instructions: INSTRUCTIONS,
        input: history.map((text, k) => ({
          type: k % 2 ? 'function_call_output' : 'message',
          role: 'user',
          content: [{ type: 'input_text', text }],
        })),
        tools: [{ type: 'function', name: 'shell', parameters: { type: 'object' } }],
        stream: true,
        store: false,
        prompt_cache_key: thread,
      });
      Object.assign(base, {
        requestHeaders: json([
          ['host', host],
          ['content-type', 'application/json'],
          ['authorization', 'Bearer ****k9Qa'],
          ['originator', 'codex_exec'],
          ['session-id', thread.slice(6)],
        ]),
        dialect: 'openai-responses',
        model: 'gpt-5-codex',
        thread,
        client: 'Codex 0.171.0',
      });
      if (kind === 'codex') {
        const input = 8000 + turn * 900;
        const text = words(rnd, 30);
        const id = `resp_${i.toString(16)}`;
        events = [
          ['response.created', json({ type: 'response.created', response: { id } })],
          ...text
            .split(' ')
            .slice(0, 9)
            .map((w): [string, string] => [
              'response.output_text.delta',
              json({ type: 'response.output_text.delta', delta: `${w} ` }),
            ]),
          [
            'response.output_item.done',
            json({
              type: 'response.output_item.done',
              item: { type: 'message', content: [{ type: 'output_text', text }] },
            }),
          ],
          [
            'response.completed',
            json({
              type: 'response.completed',
              response: { id, usage: { input_tokens: input, output_tokens: 240, total_tokens: input + 240 } },
            }),
          ],
        ];
        Object.assign(base, {
          responseHeaders: json([['content-type', 'text/event-stream']]),
          streamKind: 'sse',
          eventCount: events.length,
          inputTokens: input,
          outputTokens: 240,
          usage: json({ input, output: 240, cacheRead: input - 2000, total: input + 240 }),
          ttft: 400 + rnd() * 900,
          responseId: id,
        });
        if (rnd() < 0.1)
          Object.assign(base, {
            severity: 'warning',
            diagnosis: 'The relay answered with a model other than the one asked for',
          });
      } else if (kind === 'failure') {
        const status = [429, 500, 502][Math.floor(rnd() * 3)];
        responseBody = json({
          error: {
            message: status === 429 ? 'Rate limit reached for requests' : 'upstream failed',
            type: 'server_error',
          },
        });
        Object.assign(base, {
          status,
          statusText: status === 429 ? 'Too Many Requests' : 'Bad Gateway',
          severity: 'error',
          diagnosis: status === 429 ? 'The relay limited the rate of requests (429)' : `The relay failed (${status})`,
        });
      } else {
        responseBody = json({ error: { message: 'Invalid token', type: 'invalid_request_error' } });
        Object.assign(base, {
          status: 401,
          statusText: 'Unauthorized',
          severity: 'error',
          diagnosis: 'The relay refused the token (401)',
        });
      }
    } else if (kind === 'chat') {
      host = HOSTS.chat;
      requestBody = json({
        model: 'deepseek-chat',
        stream: true,
        messages: [
          { role: 'system', content: 'You are helpful.' },
          { role: 'user', content: `explain ${words(rnd, 30)}` },
        ],
      });
      const text = words(rnd, 8).split(' ');
      events = [
        ...text.slice(0, 7).map((w): [string, string] => ['', json({ choices: [{ delta: { content: `${w} ` } }] })]),
        ['', json({ choices: [], usage: { prompt_tokens: 60, completion_tokens: 7 } })],
      ];
      Object.assign(base, {
        path: '/v1/chat/completions',
        requestHeaders: json([
          ['host', host],
          ['content-type', 'application/json'],
          ['authorization', 'Bearer ****x2Lm'],
        ]),
        responseHeaders: json([['content-type', 'text/event-stream']]),
        streamKind: 'sse',
        eventCount: events.length,
        dialect: 'openai-chat',
        model: 'deepseek-chat',
        inputTokens: 60,
        outputTokens: 7,
        usage: json({ input: 60, output: 7, total: 67 }),
        ttft: 200 + rnd() * 400,
        client: 'Cherry Studio',
      });
    } else {
      host = HOSTS.small[Math.floor(rnd() * HOSTS.small.length)];
      if (kind === 'refused')
        Object.assign(base, {
          method: 'GET',
          path: '/v1/models',
          status: null,
          statusText: null,
          responseVersion: null,
          responseHeaders: null,
          state: 'upstream_error',
          error: 'connect ECONNREFUSED 10.0.0.7:443',
          severity: 'error',
          diagnosis: 'The relay could not be reached (connection refused)',
        });
      else {
        responseBody =
          host === 'api.openai.com'
            ? json({ object: 'list', data: [{ id: 'gpt-5-codex', object: 'model' }] })
            : json({ ok: true, n: i });
        Object.assign(base, {
          method: host === 'ab.chatgpt.com' ? 'POST' : 'GET',
          path: host === 'api.openai.com' ? '/v1/models' : `/api/${words(rnd, 1)}`,
          requestHeaders: json([['host', host]]),
        });
        if (host === 'ab.chatgpt.com') requestBody = json({ events: words(rnd, 20) });
      }
    }
    if (events.length)
      responseBody = events.map(([name, data]) => `${name ? `event: ${name}\n` : ''}data: ${data}\n\n`).join('');
    const requestBytes = Buffer.from(requestBody);
    const responseBytes = Buffer.from(responseBody);
    bytes += requestBytes.length + responseBytes.length;
    const id = Number(
      insert.run({ ...base, host, requestSize: requestBytes.length, responseSize: responseBytes.length })
        .lastInsertRowid,
    );
    if (requestBytes.length) body.run(id, 'request', requestBytes);
    if (responseBytes.length) body.run(id, 'response', responseBytes);
    events.forEach(([name, data], seq) => event.run(id, seq, 190 + seq * 20, name || null, data));
    packer.pack(id, '', requestBytes.length ? requestBytes : null);
    const skeleton = parts.link(id);
    const headers = (pairs: string | null) =>
      pairs ? (JSON.parse(pairs) as [string, string][]).map(([n, v]) => `${n}: ${v}`).join('\n') : '';
    search.run(
      id,
      indexedText(`https://${host}${base.path}`),
      indexedText(`${headers(base.requestHeaders)}\n${skeleton ? skeleton.toString('utf8') : requestBody}`),
      indexedText(
        `${headers(base.responseHeaders)}\n${events.length ? events.map(([, d]) => d).join('\n') : responseBody}`,
      ),
    );
  };
  const step = 5000;
  for (let from = 0; from < count; from += step) {
    db.transaction(() => {
      for (let i = from; i < Math.min(count, from + step); i++) one(i);
    })();
    if (from % 100_000 === 0 && from)
      process.stderr.write(`  generated ${from.toLocaleString('en')} of ${count.toLocaleString('en')}\n`);
  }
  // As a store after a long run: the index's segments merged (as db/retention.ts leaves it), the planner's statistics taken.
  db.prepare(`INSERT INTO exchanges_search (exchanges_search, rank) VALUES ('merge', -2000)`).run();
  db.prepare(`INSERT INTO part_search (part_search, rank) VALUES ('merge', -2000)`).run();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { ms: performance.now() - t0, bytes, threads };
}

// ---- measuring ----------------------------------------------------------------------------

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const median = (xs: number[]) => percentile(xs, 50);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

/** Retention off in effect: the default 2048 MB would delete the oldest of a million rows while they are measured. */
const KEEP_ALL_MB = 1024 * 1024;

interface Running {
  viewer: string;
  listeningMs: number;
  readyMs: number;
  stop(): Promise<void>;
}

/** `wirelog start` on an existing data dir: spawned to accepting on its proxy port, and to "Press Ctrl-C". */
async function start(dataDir: string): Promise<Running> {
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...WIRELOG_NODE_FLAGS,
      WIRELOG_BIN,
      'start',
      '--data-dir',
      dataDir,
      '--proxy-port',
      String(proxyPort),
      '--ui-port',
      String(uiPort),
      '--max-db-mb',
      String(KEEP_ALL_MB),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  let readyAt: number | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    printed += d.toString();
    if (readyAt === null && printed.includes('Press Ctrl-C')) readyAt = performance.now();
  });
  child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
  let listeningAt: number | null = null;
  const deadline = t0 + 120_000;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  while (listeningAt === null || readyAt === null) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop();
      throw new Error(`wirelog start did not start:\n${printed}`);
    }
    if (listeningAt === null && (await accepts(proxyPort))) listeningAt = performance.now();
    else await new Promise((r) => setTimeout(r, 5));
  }
  return {
    viewer: `http://127.0.0.1:${uiPort}`,
    listeningMs: listeningAt - t0,
    readyMs: (readyAt as number) - t0,
    stop,
  };
}

/** One GET of the viewer's API: its time (ms) and how many rows it listed. */
async function timedGet(url: string): Promise<{ ms: number; rows: number; total?: number }> {
  const t = performance.now();
  const res = await request(url, {
    headers: { 'sec-fetch-site': 'same-origin' },
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const answer = (await res.body.json()) as { exchanges?: unknown[]; total?: number };
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${JSON.stringify(answer).slice(0, 200)}`);
  return { ms: performance.now() - t, rows: answer.exchanges?.length ?? 0, total: answer.total };
}

/** The first call (cold: nothing of it in SQLite's cache yet) and the median of five more. */
async function timeApi(
  viewer: string,
  query: string,
): Promise<{ first: number; warm: number; rows: number; total?: number }> {
  const url = `${viewer}/api/exchanges?limit=100${query}`;
  const first = await timedGet(url);
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push((await timedGet(url)).ms);
  return { first: first.ms, warm: median(warm), rows: first.rows, total: first.total };
}

/** A CLI command under /usr/bin/time -v: wall time, peak RSS, its output. */
function timedCli(args: string[]): {
  seconds: number;
  peakMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const time = fs.existsSync('/usr/bin/time');
  const argv = [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args];
  const t = performance.now();
  const run = time
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 256 * MB })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 256 * MB });
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr ?? '');
  return {
    seconds: (performance.now() - t) / 1000,
    peakMb: peak ? Number(peak[1]) / 1024 : NaN,
    code: run.status,
    stdout: run.stdout ?? '',
    stderr: run.stderr ?? '',
  };
}

/** In Chromium: page load to the list's first row, then a scripted scroll of 6 s, each frame's time (requestAnimationFrame deltas). */
async function browserFigures(
  viewer: string,
): Promise<{ firstRowsMs: number[]; frames: number[]; rowsLoaded: number }> {
  const browser = await launchBrowser();
  const firstRowsMs: number[] = [];
  let frames: number[] = [];
  let rowsLoaded = 0;
  try {
    for (let i = 0; i < 4; i++) {
      // The server answers one request at a time: the last page's start-up requests (its status, its
      // live feed's hello: seconds at this size) end before this page is timed, as for a tab opened alone.
      for (let wait = 0; wait < 60; wait++) {
        const asked = performance.now();
        await (await fetch(`${viewer}/api/exchanges?limit=1&cursor=2`)).arrayBuffer();
        if (performance.now() - asked < 60) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const t = performance.now();
      await page.goto(viewer);
      await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 60_000 });
      if (i > 0) firstRowsMs.push(performance.now() - t); // the first load warms the browser
      if (i === 3) {
        // Down a screen at a time, as a wheel or a dragged scrollbar does, loading pages as it goes.
        const result = await page.evaluate(async () => {
          const list = document.querySelector('[data-testid="exchange-list"]')!;
          const durations: number[] = [];
          let last = performance.now();
          const until = last + 6000;
          while (performance.now() < until) {
            list.scrollTop += list.clientHeight;
            await new Promise((r) => requestAnimationFrame(r));
            const now = performance.now();
            durations.push(now - last);
            last = now;
          }
          return { durations, rows: Number(list.getAttribute('aria-rowcount')) };
        });
        frames = result.durations;
        rowsLoaded = result.rows;
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { firstRowsMs, frames, rowsLoaded };
}

/**
 * --browser-only: page load to the list's first row, `runs` times after a warming load, with where
 * each load's time went (the page's own clock): the HTML, the scripts, the first page's request
 * asked and answered, the first row in the DOM. For comparing viewer builds side by side.
 */
async function firstRowPhases(viewer: string, runs: number): Promise<void> {
  const browser = await launchBrowser();
  const seen: Record<string, number>[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      for (let wait = 0; wait < 60; wait++) {
        const asked = performance.now();
        await (await fetch(`${viewer}/api/exchanges?limit=1&cursor=2`)).arrayBuffer();
        if (performance.now() - asked < 60) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.addInitScript(() => {
        new MutationObserver((_, observer) => {
          if (!document.querySelector('[role="row"][data-id]')) return;
          (window as unknown as { firstRowAt: number }).firstRowAt = window.performance.now();
          observer.disconnect();
        }).observe(document, { childList: true, subtree: true });
      });
      // The page's main thread: its tasks and scripts, and its CPU time (ThreadTime), which the machine's load does not stretch.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
      const t = performance.now();
      await page.goto(viewer);
      await page.locator('[role="row"][data-id]').first().waitFor({ timeout: 60_000 });
      const total = performance.now() - t;
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name: string) => 1000 * (metrics.find((m) => m.name === name)?.value ?? Number.NaN);
      const phases = await page.evaluate(() => {
        const entries = window.performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const nav = window.performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const row = (window as unknown as { firstRowAt: number }).firstRowAt;
        // The scripts that arrived before the first row (the chunks loaded after it are not waited for).
        const scripts = entries.filter((e) => e.name.endsWith('.js') && e.responseEnd < row);
        const list = entries.find((e) => e.name.includes('/api/exchanges?'));
        return {
          // The page's first byte, and its last (with the list's first page inside it: viewer/first-page-html.ts).
          head: nav.responseStart,
          html: nav.responseEnd,
          scripts: Math.max(0, ...scripts.map((e) => e.responseEnd)),
          asked: list?.startTime ?? Number.NaN,
          answered: list?.responseEnd ?? Number.NaN,
          row,
        };
      });
      const work = { task: metric('TaskDuration'), script: metric('ScriptDuration'), cpu: metric('ThreadTime') };
      if (i > 0) seen.push({ total, ...phases, ...work }); // the first load warms the browser
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const keys = ['total', 'head', 'html', 'scripts', 'asked', 'answered', 'row', 'task', 'script', 'cpu'];
  for (const s of seen) console.log(keys.map((k) => `${k} ${fmt(s[k])}`).join(', '));
  const medians = keys.map((k) => `${k} ${fmt(median(seen.map((s) => s[k])))}`).join(', ');
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(`first rows, median of ${runs}: ${medians} ms; load ${load.join(' ')}`);
}

// ---- the run ------------------------------------------------------------------------------

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-scale-'));
const rows: [string, string, string][] = [];
/** The wirelog running now, stopped whatever happens. */
let live: Running | null = null;
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const row = (measure: string, figure: string, target: string) => {
  rows.push([measure, figure, target]);
  console.error(`  ${measure}: ${figure}`);
};

try {
  const dataDir = values.keep ?? path.join(work, 'data');
  const marker = path.join(dataDir, `scale-${COUNT}.json`);
  let threads: string[];
  if (values.keep && fs.existsSync(marker)) {
    threads = (JSON.parse(fs.readFileSync(marker, 'utf8')) as Generated).threads;
    console.error(`reusing ${COUNT.toLocaleString('en')} exchanges in ${dataDir}`);
  } else {
    console.error(`generating ${COUNT.toLocaleString('en')} exchanges in ${dataDir}`);
    spawnSync(process.execPath, [WIRELOG_BIN, 'ca', '--data-dir', dataDir], { stdio: 'ignore' });
    const made = generate(dataDir, COUNT);
    threads = made.threads;
    // The session the filter asks for, from the middle (the oldest would be the first retention deletes).
    fs.writeFileSync(marker, json({ ...made, threads: [threads[Math.floor(threads.length / 2)]] }));
    row(
      'generating the store (not wirelog: prepared statements)',
      `${fmt(made.ms / 1000, 1)} s, ${fmt(made.bytes / MB)} MB of bodies, ${fmt(fs.statSync(path.join(dataDir, 'wirelog.sqlite')).size / MB)} MB file`,
      '',
    );
  }

  // Start, three times: the first reads a cold file (as after a reboot, as near as the page cache allows).
  const starts: number[] = [];
  const readies: number[] = [];
  for (let i = 0; i < 3; i++) {
    live = await start(dataDir);
    starts.push(live.listeningMs);
    readies.push(live.readyMs);
    if (i < 2) await live.stop();
  }
  row('`wirelog start` to listening: first / median of 3 ms', `${fmt(starts[0])} / ${fmt(median(starts))}`, '< 1000');
  row('`wirelog start` to "Press Ctrl-C": median ms', fmt(median(readies)), '');
  if (values['browser-only']) {
    await firstRowPhases(live!.viewer, Number(values['browser-runs'] ?? 7));
    await live!.stop();
    fs.rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }

  const viewer = live!.viewer;
  const first = await timeApi(viewer, '');
  row(
    'list API first page (/api/exchanges?limit=100): first / warm ms',
    `${fmt(first.first)} / ${fmt(first.warm)} (${first.total?.toLocaleString('en')} total)`,
    '< 300',
  );
  const rare = await timeApi(viewer, `&q=${RARE_WORD}`);
  row(
    `full-text search, a rare word (${rare.total} hits): first / warm ms`,
    `${fmt(rare.first)} / ${fmt(rare.warm)}`,
    '< 500',
  );
  const common = await timeApi(viewer, `&q=${COMMON_WORD}`);
  row(
    `full-text search, a word in every Codex call (${common.total?.toLocaleString('en')} hits): first / warm ms`,
    `${fmt(common.first)} / ${fmt(common.warm)}`,
    '< 500',
  );
  const host = await timeApi(viewer, `&host=${HOSTS.chat}`);
  row(
    `filter by host (${host.total?.toLocaleString('en')} rows): first / warm ms`,
    `${fmt(host.first)} / ${fmt(host.warm)}`,
    '< 200',
  );
  const status5 = await timeApi(viewer, '&status=5xx');
  row(
    `filter by status 5xx (${status5.total?.toLocaleString('en')} rows): first / warm ms`,
    `${fmt(status5.first)} / ${fmt(status5.warm)}`,
    '< 200',
  );
  const status401 = await timeApi(viewer, '&status=401');
  row(
    `filter by status 401 (${status401.total?.toLocaleString('en')} rows): first / warm ms`,
    `${fmt(status401.first)} / ${fmt(status401.warm)}`,
    '< 200',
  );
  const session = await timeApi(viewer, `&thread=${encodeURIComponent(threads[Math.floor(threads.length / 2)] ?? '')}`);
  row(
    `filter by session (${session.total} rows): first / warm ms`,
    `${fmt(session.first)} / ${fmt(session.warm)}`,
    '< 200',
  );
  const hostStatus = await timeApi(viewer, `&host=${HOSTS.codex}&status=4xx`);
  row(
    `filter by host and status 4xx (${hostStatus.total?.toLocaleString('en')} rows): first / warm ms`,
    `${fmt(hostStatus.first)} / ${fmt(hostStatus.warm)}`,
    '< 200',
  );
  // Filters with a sort, and a filter no row matches (db/filter-plan.ts): each through an index.
  for (const [what, query] of [
    ['host, sorted by tokens in', `&host=${HOSTS.chat}&sort=tokens_in`],
    ['status 5xx, sorted by duration', '&status=5xx&sort=duration'],
    ['state upstream_error, sorted by size', '&state=upstream_error&sort=size'],
    ['status 4xx, sorted by tokens out', '&status=4xx&sort=tokens_out'],
    ['a word in every Codex call, sorted by tokens in', `&q=${COMMON_WORD}&sort=tokens_in`],
    ['method PUT (no row)', '&method=PUT'],
  ]) {
    const timed = await timeApi(viewer, query);
    row(`filter by ${what}: first / warm ms`, `${fmt(timed.first)} / ${fmt(timed.warm)}`, '< 200');
  }

  if (!values['no-browser']) {
    const seen = await browserFigures(viewer);
    row("Chromium: page load to the list's first rows, median of 3 ms", fmt(median(seen.firstRowsMs)), '< 300');
    row(
      `Chromium: scrolling a screen a frame for 6 s (${seen.rowsLoaded.toLocaleString('en')} rows), frame p50 / p95 ms`,
      `${fmt(percentile(seen.frames, 50), 1)} / ${fmt(percentile(seen.frames, 95), 1)}`,
      'p95 < 50',
    );
  }
  await live!.stop();
  live = null;

  const doctor = timedCli(['doctor', '--last', '500', '--data-dir', dataDir]);
  row(
    '`doctor --last 500`: s, peak RSS MB',
    `${fmt(doctor.seconds, 2)}, ${fmt(doctor.peakMb)}${doctor.code === 0 || doctor.code === 1 ? '' : ` (exit ${doctor.code}: ${doctor.stderr.slice(0, 200)})`}`,
    '< 1 s',
  );

  const harFile = path.join(work, 'export.har');
  const exported = timedCli(['export', '--har', harFile, '--data-dir', dataDir]);
  const harMb = fs.existsSync(harFile) ? fs.statSync(harFile).size / MB : 0;
  row(
    '`export --har`: MB/s (MB in s), peak RSS MB',
    `${fmt(harMb / exported.seconds)} (${fmt(harMb)} MB in ${fmt(exported.seconds, 1)} s), ${fmt(exported.peakMb)}${exported.code === 0 ? '' : ` (exit ${exported.code}: ${exported.stderr.slice(0, 200)})`}`,
    '>= 50 MB/s, flat memory',
  );
  fs.rmSync(harFile, { force: true });

  const importFile = path.join(work, 'import.har');
  await writeChatCallsHar(importFile, HAR_ENTRIES);
  const imported = timedCli(['import', importFile, '--data-dir', path.join(work, 'import')]);
  const progressLines = imported.stderr.split('\n').filter((l) => l.startsWith('wirelog: ')).length;
  row(
    `\`wirelog import\` of a ${HAR_ENTRIES.toLocaleString('en')}-entry HAR (${fmt(fs.statSync(importFile).size / MB)} MB): s, peak RSS MB, progress lines`,
    `${fmt(imported.seconds, 1)}, ${fmt(imported.peakMb)}, ${progressLines}${
      imported.code === 0
        ? ''
        : ` (exit ${imported.code}: ${imported.stderr
            .trim()
            .split('\n')
            .filter((l) => !/^\s/.test(l))
            .slice(-1)[0]
            ?.slice(0, 200)})`
    }`,
    '< 60 s, < 200 MB, with progress',
  );

  console.log(
    `\nwirelog at scale: ${COUNT.toLocaleString('en')} generated exchanges, Node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`,
  );
  console.log('| measure | figure | target (issue 28) |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  await live?.stop();
  // The generated store stays only when kept (--keep DIR lies outside this folder).
  fs.rmSync(work, { recursive: true, force: true });
}
