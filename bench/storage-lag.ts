// How far storage is behind the wire on a busy machine (issue 24): a Codex-shaped mix through one
// `wirelog start` while CPU burners keep both cores busy, and a probe request every 200 ms whose
// row is looked for in the database (a read-only connection, as the viewer's API reads it) from
// the moment the client has its whole answer. Prints the probes' lag percentiles, how many were
// never seen, wirelog's RSS at start / end / peak, how many exchanges still wait for the slices
// after the commit (understood, indexed, packed) when the load stops; with --kill, a SIGKILL at the end, then how
// many exchanges that had ended more than 1 s before the kill are missing, and how long the
// restart takes to listen. Without --kill: the rows still raw at the stop (packing's backlog)
// and how long, the load stopped and the burners too, until none waits (at most --catch-up s).
//
//   npx tsx bench/storage-lag.ts [--seconds 30] [--burners 2] [--lanes 12] [--small 60] [--kill] [--catch-up 120]
//   BENCH_OUTPUT=1 npx tsx bench/storage-lag.ts   (wirelog's own output too)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { ProxyAgent, request } from 'undici';
import { databasePath } from '../db/schema.ts';
import { startWirelogProcess, type WirelogProcess } from '../test/support/cli.ts';
import { tempDir } from '../test/support/harness.ts';
import { selfSignedCertificate } from '../test/support/upstream-cert.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    burners: { type: 'string', default: '2' },
    lanes: { type: 'string', default: '12' },
    small: { type: 'string', default: '60' },
    events: { type: 'string', default: '200' },
    kill: { type: 'boolean', default: false },
    'catch-up': { type: 'string', default: '120' },
    'data-dir': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const LANES = Number(values.lanes);
const SMALL_PER_S = Number(values.small);
const EVENTS = Number(values.events);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the upstream: Responses streams of EVENTS events (15% gzip), small JSON answers ---
const cert = selfSignedCertificate();
const delta = (i: number) =>
  `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: i, item_id: 'msg_1', output_index: 0, content_index: 0, delta: `word${i} ` })}\n\n`;
const upstream = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/responses') {
      const gzip = url.searchParams.get('gzip') === '1';
      res.writeHead(200, { 'content-type': 'text/event-stream', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      const coder = gzip ? zlib.createGzip() : null;
      coder?.pipe(res);
      const write = (text: string) => (coder ? (coder.write(text), coder.flush()) : res.write(text));
      const item = {
        id: 'msg_1',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'done', annotations: [] }],
      };
      write(
        `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress', output: [] } })}\n\n`,
      );
      for (let i = 1; i < EVENTS - 2; i++) {
        write(delta(i));
        if (i % 4 === 0) await sleep(5);
      }
      write(
        `event: response.output_item.done\ndata: ${JSON.stringify({ type: 'response.output_item.done', sequence_number: EVENTS - 2, output_index: 0, item })}\n\n`,
      );
      write(
        `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: EVENTS - 1, response: { id: 'resp_1', model: 'gpt-5', status: 'completed', output: [item], usage: { input_tokens: 9000, output_tokens: 200, total_tokens: 9200 } } })}\n\n`,
      );
      return void (coder ? coder.end() : res.end());
    }
    const text = JSON.stringify({ ok: true, path: url.pathname });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const base = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

// --- wirelog, and the burners ---
const dataDir = values['data-dir'] ?? tempDir('wirelog-lag-');
const started = performance.now();
let wirelog: WirelogProcess = await startWirelogProcess(dataDir, ['--insecure-upstream']);
const startMs = performance.now() - started;
const caPem = fs.readFileSync(`${dataDir}/ca/certs/ca.pem`, 'utf8');
const agent = new ProxyAgent({ uri: wirelog.proxyUrl, requestTls: { ca: caPem }, connections: 64 });
const burners: ChildProcess[] = Array.from({ length: Number(values.burners) }, () =>
  spawn('sh', ['-c', 'exec yes > /dev/null'], { stdio: 'ignore' }),
);

const rss = () =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${wirelog.child.pid}/status`, 'utf8'))![1]) / 1024;
const rssStart = rss();
const rssSamples: number[] = [];
const rssTimer = setInterval(() => rssSamples.push(rss()), 1000);

/** Every exchange the clients saw end, by path: when (performance.now()). */
const ended = new Map<string, number>();
let failures = 0;
let stopping = false;
const body40k = Buffer.from(
  JSON.stringify({ model: 'gpt-5', stream: true, input: [{ role: 'user', content: 'x'.repeat(40_000) }] }),
);

async function codexLane(lane: number): Promise<void> {
  for (let n = 0; !stopping; n++) {
    const path = `/v1/responses?lane=${lane}&n=${n}${Math.random() < 0.15 ? '&gzip=1' : ''}`;
    try {
      const res = await request(`${base}${path}`, {
        method: 'POST',
        body: body40k,
        headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        dispatcher: agent,
      });
      await res.body.arrayBuffer();
      ended.set(path, performance.now());
    } catch {
      failures++;
    }
  }
}

async function smallLoad(): Promise<void> {
  for (let n = 0; !stopping; n++) {
    const path = `/small/${n}`;
    void request(`${base}${path}`, { dispatcher: agent })
      .then(async (res) => {
        await res.body.arrayBuffer();
        ended.set(path, performance.now());
      })
      .catch(() => failures++);
    await sleep(1000 / SMALL_PER_S);
  }
}

// --- probes, and where their rows are seen ---
const probeEnd = new Map<string, number>();
const probeSeen = new Map<string, number>();
async function probes(): Promise<void> {
  for (let n = 0; !stopping; n++) {
    const path = `/probe/${n}`;
    void request(`${base}${path}`, { dispatcher: agent })
      .then(async (res) => {
        await res.body.arrayBuffer();
        const at = performance.now();
        probeEnd.set(path, at);
        ended.set(path, at);
      })
      .catch(() => failures++);
    await sleep(200);
  }
}

let db = null as Database.Database | null;
let cursor = 0;
function look(): void {
  db ??= fs.existsSync(databasePath(dataDir)) ? new Database(databasePath(dataDir), { readonly: true }) : null;
  if (!db) return;
  const rows = db
    .prepare("SELECT id, path, state FROM exchanges WHERE id > ? AND path LIKE '/probe/%' ORDER BY id")
    .all(cursor) as { id: number; path: string; state: string }[];
  let lowestOpen: number | null = null;
  for (const row of rows) {
    if (row.state === 'pending' || row.state === 'streaming') lowestOpen ??= row.id - 1;
    else if (!probeSeen.has(row.path)) probeSeen.set(row.path, performance.now());
  }
  if (rows.length) cursor = lowestOpen ?? rows[rows.length - 1].id;
}
const lookTimer = setInterval(look, 20);

const lanes = Array.from({ length: LANES }, (_, i) => codexLane(i));
const others = [smallLoad(), probes()];
await sleep(SECONDS * 1000);

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
const summary: Record<string, unknown> = {
  seconds: SECONDS,
  burners: burners.length,
  lanes: LANES,
  smallPerS: SMALL_PER_S,
  startMs: Math.round(startMs),
};

clearInterval(rssTimer);
if (values.kill) {
  const killAt = performance.now();
  wirelog.child.kill('SIGKILL');
  await new Promise((r) => wirelog.child.once('exit', r));
  stopping = true;
  clearInterval(lookTimer);
  db?.close();
  db = null;
  const endedBefore = [...ended].filter(([, at]) => at < killAt - 1000).map(([path]) => path);
  const again = performance.now();
  wirelog = await startWirelogProcess(dataDir, ['--insecure-upstream']);
  summary.restartMs = Math.round(performance.now() - again);
  const check = new Database(databasePath(dataDir), { readonly: true });
  const stored = new Set(
    (check.prepare("SELECT path FROM exchanges WHERE state = 'complete'").all() as { path: string }[]).map(
      (r) => r.path,
    ),
  );
  check.close();
  const missing = endedBefore.filter((p) => !stored.has(p));
  summary.endedOver1sBeforeKill = endedBefore.length;
  summary.missingAfterKill = missing.length;
  await wirelog.stop();
} else {
  stopping = true;
}
await Promise.allSettled([...lanes, ...others]);
// Packing's backlog as the load stops: exchanges waiting for the slices after the commit, and rows still raw (codec 0).
const loadStoppedAt = performance.now();
if (!values.kill) {
  const check = new Database(databasePath(dataDir), { readonly: true });
  summary.afterCommitWaiting = check.prepare('SELECT count(*) FROM exchanges WHERE to_index > 0').pluck().get();
  summary.rawRowsAtStop = check
    .prepare('SELECT (SELECT count(*) FROM sse_events WHERE codec = 0) + (SELECT count(*) FROM bodies WHERE codec = 0)')
    .pluck()
    .get();
  check.close();
}
// Probes that ended late get up to 30 s to show.
if (!values.kill) {
  const deadline = performance.now() + 30_000;
  while (probeSeen.size < probeEnd.size && performance.now() < deadline) {
    look();
    await sleep(20);
  }
}
clearInterval(lookTimer);
for (const b of burners) b.kill();
const lags = [...probeEnd]
  .filter(([p]) => probeSeen.has(p))
  .map(([p, at]) => Math.max(0, probeSeen.get(p)! - at))
  .sort((a, b) => a - b);
Object.assign(summary, {
  exchanges: ended.size,
  clientFailures: failures,
  probes: probeEnd.size,
  probesNeverSeen: values.kill ? undefined : probeEnd.size - lags.length,
  lagMs: {
    p50: Math.round(percentile(lags, 0.5)),
    p90: Math.round(percentile(lags, 0.9)),
    p99: Math.round(percentile(lags, 0.99)),
    max: Math.round(lags[lags.length - 1] ?? NaN),
  },
  rssMb: {
    start: Math.round(rssStart),
    end: Math.round(rssSamples[rssSamples.length - 1] ?? NaN),
    peak: Math.round(Math.max(...rssSamples)),
    every10s: rssSamples.filter((_, i) => i % 10 === 9).map(Math.round),
  },
});
const consoleLines = wirelog
  .output()
  .split('\n')
  .filter((l) => l.startsWith('wirelog: '));
summary.consoleLines = consoleLines.length;
if (process.env.BENCH_OUTPUT) process.stderr.write(wirelog.output());
// What the slices after the commit (understanding, search index, packing: db/indexer.ts) had left
// to do as the load stopped is done by the running wirelog, the burners stopped: how long after
// the load stopped until none waits (at most --catch-up s).
if (!values.kill) {
  const check = new Database(databasePath(dataDir), { readonly: true });
  const waiting = check.prepare('SELECT count(*) FROM exchanges WHERE to_index > 0').pluck();
  const deadline = performance.now() + Number(values['catch-up']) * 1000;
  while ((waiting.get() as number) > 0 && performance.now() < deadline) await sleep(100);
  summary.afterCommitCaughtUpMs = (waiting.get() as number) > 0 ? null : Math.round(performance.now() - loadStoppedAt);
  check.close();
}
if (!values.kill) await wirelog.stop();
db?.close();
await agent.close();
upstream.close();
console.log(JSON.stringify(summary));
process.exit(0);
