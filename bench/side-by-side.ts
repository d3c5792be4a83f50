// npm run bench: the same measures, side by side in one run, for each way of reaching the
// upstream: direct, a floor proxy that records nothing (bench/floor-proxy.ts), the same floor
// storing each exchange in SQLite in the least way (bench/floor-recorder.ts), Debian's
// mitmproxy with stream_large_bodies, wirelog as a proxy, wirelog's gateway. The upstream and
// every proxy are processes of their own; this process is the client. Figures and ratios are
// printed, never asserted.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS, startWirelogProcess as startCaptureProcess } from '../test/support/cli.ts';
import { peakRssMb, startMitmproxy, startTsProcess, type BenchProcess } from './processes.ts';

const MB = 1024 * 1024;
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

interface Upstream {
  httpsUrl: string;
  caPem: string;
  newHosts: { host: string; port: number }[];
}

/** How the client reaches the upstream in one row. */
interface Route {
  name: string;
  /** The client's dispatcher for `connections` connections, trusting what it must. */
  dispatcher(connections: number): Dispatcher;
  /** The URL the client asks for a given upstream URL (the gateway rewrites it). */
  url(upstreamUrl: string): string;
  peakRssMb(): number | null;
  /** The proxy's process, to count its CPU time (none when direct). */
  pid?: number;
  stop(): Promise<void>;
  /** A recording proxy: what it has stored so far (and understood, for wirelog). */
  stored?: () => StoredCount;
}

interface StoredCount {
  total: number;
  understood: number;
}

// CPU time of a process, or of one of its threads, in ms: utime + stime from /proc (clock ticks of 10 ms).
function cpuMs(pid: number, tid?: number): number {
  const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// The storage thread of wirelog and of the floor that records name themselves so in /proc.
const STORAGE_THREADS = new Set(['wirelog-storage', 'floor-storage']);

/** CPU ms of a process's storage thread (0 when it has none, or it is not named). */
function storageCpuMs(pid: number): number {
  let ms = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (STORAGE_THREADS.has(fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()))
        ms += cpuMs(pid, Number(tid));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ms;
}

/** CPU ms of each of a process's threads but its main one, by name (/proc/PID/task/TID/comm), those of one name summed. */
function cpuMsByThreadName(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue;
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuMs(pid, Number(tid)));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return byName;
}

/**
 * CPU µs per request during the throughput phase: the client (this process), the upstream, the
 * proxy (all its threads; its main thread, which forwards; its storage thread, per row it
 * stored from the phase's start until it caught up, the slices after the commit included).
 */
interface CpuShare {
  client: number;
  upstream: number;
  proxy?: number;
  proxyMain?: number;
  /** µs of the storage thread per row stored (rows: exchanges stored meanwhile). */
  storagePerRow?: number;
  /** The proxy's other threads (V8's GC and compiler helpers, libuv), per request. */
  proxyOther?: number;
  /** The proxy's other threads by name (V8Worker: GC and compiler helpers; libuv-worker: the pool), µs per request. */
  otherByName?: Map<string, number>;
  /** A recording proxy: ms after the phase until storage held (and understood) every exchange. */
  caughtUpMs?: number;
}

let upstreamPid = 0;

async function measureCpu<T extends { count: number }>(
  route: Route,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: CpuShare }> {
  // What came before is stored first: its rows are not this phase's.
  const stored0 = route.stored ? (await caughtUp(route.stored, 0), route.stored().total) : 0;
  const c0 = process.cpuUsage();
  const u0 = cpuMs(upstreamPid);
  const p0 = route.pid ? [cpuMs(route.pid), cpuMs(route.pid, route.pid), storageCpuMs(route.pid)] : null;
  const names0 = route.pid ? cpuMsByThreadName(route.pid) : null;
  const result = await run();
  const c = process.cpuUsage(c0);
  const per = (ms: number) => (ms * 1000) / result.count;
  const cpu: CpuShare = { client: (c.user + c.system) / result.count, upstream: per(cpuMs(upstreamPid) - u0) };
  if (route.pid && p0) {
    const all = cpuMs(route.pid) - p0[0];
    const main = cpuMs(route.pid, route.pid) - p0[1];
    let storage = storageCpuMs(route.pid) - p0[2];
    if (route.stored) {
      cpu.caughtUpMs = await caughtUp(route.stored, stored0 + result.count);
      storage = storageCpuMs(route.pid) - p0[2];
      const rows = route.stored().total - stored0;
      cpu.storagePerRow = rows > 0 ? (storage * 1000) / rows : undefined;
    }
    cpu.proxy = per(all);
    cpu.proxyMain = per(main);
    cpu.proxyOther = per(all - main - storage);
    // Threads that ended during the phase are left out of this breakdown (their CPU is in `all`).
    cpu.otherByName = new Map();
    for (const [name, ms] of cpuMsByThreadName(route.pid)) {
      const grown = ms - (names0?.get(name) ?? 0);
      if (grown > 0 && !STORAGE_THREADS.has(name)) cpu.otherByName.set(name, per(grown));
    }
  }
  return { result, cpu };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function sequential(url: string, dispatcher: Dispatcher, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await request(url, { dispatcher });
    await res.body.arrayBuffer();
    times.push(performance.now() - t);
  }
  return times;
}

async function throughput(
  url: string,
  dispatcher: Dispatcher,
  concurrency: number,
  durationMs: number,
  call?: ModelCall,
): Promise<{ rps: number; count: number }> {
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const res = await request(url, call ? { dispatcher, ...call } : { dispatcher });
        await res.body.arrayBuffer();
        done++;
      }
    }),
  );
  return { rps: done / (durationMs / 1000), count: done };
}

/** A request of a model call, sent instead of a GET. */
interface ModelCall {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/**
 * A chat completion streamed as SSE (the fake upstream's six deltas and [DONE]), with a key in
 * its Authorization: what a model call costs to record (masking, the request body held whole,
 * the events split), beside a GET's.
 */
const SSE_CALL: ModelCall = {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0123456789abcdef' },
  body: JSON.stringify({
    model: 'test-model',
    stream: true,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Say hello.' },
    ],
  }),
};

/** Delay from the upstream writing each event (its clock, epoch ms) to this client reading it. */
async function sseDelays(url: string, dispatcher: Dispatcher, streams: number): Promise<number[]> {
  const delays: number[] = [];
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const res = await request(url, { dispatcher });
      let buffer = '';
      for await (const chunk of res.body) {
        const at = now();
        buffer += chunk.toString();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          delays.push(at - (JSON.parse(line.slice(6)) as { sentAt: number }).sentAt);
        }
      }
    }),
  );
  return delays;
}

async function download(url: string, dispatcher: Dispatcher, readDelayMsPerMb = 0): Promise<number> {
  const t = performance.now();
  const res = await request(url, { dispatcher });
  let bytes = 0;
  let sinceDelay = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    sinceDelay += chunk.length;
    if (readDelayMsPerMb && sinceDelay >= MB) {
      sinceDelay = 0;
      await sleep(readDelayMsPerMb);
    }
  }
  return bytes / MB / ((performance.now() - t) / 1000);
}

function countIn(file: string, sql: string): () => StoredCount {
  return () => {
    if (!fs.existsSync(file)) return { total: 0, understood: 0 };
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).get() as StoredCount;
    } finally {
      db.close();
    }
  };
}

const wirelogStored = (dataDir: string) =>
  countIn(
    path.join(dataDir, 'wirelog.sqlite'),
    "SELECT count(*) AS total, sum(dialect IS NOT NULL OR path NOT LIKE '/v1/models%') AS understood FROM exchanges",
  );

/** Milliseconds until storage holds (and has understood) `expected` exchanges, from now. */
async function caughtUp(stored: () => StoredCount, expected: number): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = stored();
    if ((s.total >= expected && s.understood >= s.total) || Date.now() > deadline) return performance.now() - started;
    await sleep(20);
  }
}

interface RowFigures {
  seqP50: number;
  rps: number;
  cpu: CpuShare;
  sseP99: number;
  newHostP50: number;
  slowMbPerS: number;
  bigMbPerS: number;
  peakRssMb: number | null;
  /** Peak RSS once a body of over three times the size has passed too: flat in body size when no higher. */
  peakAfterHugeMb: number | null;
  /** A recording proxy: storage after the load phase, and what it holds against what was sent. */
  caughtUpMs?: number;
  lost?: number;
}

async function measure(route: Route, upstream: Upstream): Promise<RowFigures> {
  const small = route.url(`${upstream.httpsUrl}/v1/models`);
  const ticks = route.url(`${upstream.httpsUrl}/v1/ticks?n=${quick ? 20 : 50}&interval=10`);
  const n = quick ? 300 : 2000;
  const dispatcher = route.dispatcher(32);
  let sent = 0;
  await sequential(small, dispatcher, 50);
  const seq = await sequential(small, dispatcher, n);
  const { result: run, cpu } = await measureCpu(route, () => throughput(small, dispatcher, 16, quick ? 1500 : 4000));
  sent += 50 + n + run.count;
  const caughtUpMs = cpu.caughtUpMs;
  const sse = await sseDelays(ticks, dispatcher, 20);
  sent += 20;
  const firsts: number[] = [];
  for (const { host, port } of upstream.newHosts) {
    const fresh = route.dispatcher(1);
    const t = performance.now();
    const res = await request(route.url(`https://${host}:${port}/`), { dispatcher: fresh });
    await res.body.arrayBuffer();
    firsts.push(performance.now() - t);
    await fresh.close();
    sent++;
  }
  const slowMbPerS = await download(
    route.url(`${upstream.httpsUrl}/bytes?size=${(quick ? 40 : 100) * MB}`),
    dispatcher,
    40,
  );
  const bigMbPerS = await download(
    route.url(`${upstream.httpsUrl}/bytes?size=${(quick ? 100 : 300) * MB}`),
    dispatcher,
  );
  const peakRssMb = route.peakRssMb();
  await download(route.url(`${upstream.httpsUrl}/bytes?size=${(quick ? 320 : 1024) * MB}`), dispatcher);
  sent += 3;
  await dispatcher.close();
  const figures: RowFigures = {
    seqP50: percentile(seq, 50),
    rps: run.rps,
    cpu,
    sseP99: percentile(sse, 99),
    newHostP50: percentile(firsts, 50),
    slowMbPerS,
    bigMbPerS,
    peakRssMb,
    peakAfterHugeMb: route.peakRssMb(),
  };
  if (route.stored) {
    await caughtUp(route.stored, sent);
    figures.caughtUpMs = caughtUpMs;
    figures.lost = sent - route.stored().total;
  }
  return figures;
}

/** 500 clients in request loops beside 200 open SSE streams: 700 connections at once, in a fresh process so its peak memory is this phase's. */
async function manyConnections(
  route: Route,
  upstream: Upstream,
  durationMs: number,
): Promise<{ rps: number; p99: number; peakRssMb: number | null; lost?: number }> {
  const dispatcher = route.dispatcher(700);
  const small = route.url(`${upstream.httpsUrl}/v1/models`);
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  const loops = Array.from({ length: 500 }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await request(small, { dispatcher });
      await res.body.arrayBuffer();
      latencies.push(performance.now() - t);
    }
  });
  const streams = Array.from({ length: 200 }, async () => {
    const res = await request(
      route.url(`${upstream.httpsUrl}/v1/ticks?n=${Math.floor(durationMs / 100)}&interval=100`),
      { dispatcher },
    );
    await res.body.arrayBuffer();
  });
  await Promise.all([...loops, ...streams]);
  await dispatcher.close();
  const sent = latencies.length + 200;
  const result = {
    rps: latencies.length / (durationMs / 1000),
    p99: percentile(latencies, 99),
    peakRssMb: route.peakRssMb(),
  };
  if (!route.stored) return result;
  await caughtUp(route.stored, sent);
  return { ...result, lost: sent - route.stored().total };
}

function directRoute(upstream: Upstream): Route {
  return {
    name: 'direct',
    dispatcher: (c) => new Agent({ connect: { ca: upstream.caPem }, connections: c }),
    url: (u) => u,
    peakRssMb: () => null,
    stop: async () => undefined,
  };
}

function proxyRoute(
  name: string,
  proc: BenchProcess<{ proxyUrl: string; caPem: string }>,
  stored?: () => StoredCount,
): Route {
  return {
    name,
    dispatcher: (c) =>
      new ProxyAgent({ uri: proc.ready.proxyUrl, requestTls: { ca: proc.ready.caPem }, connections: c }),
    url: (u) => u,
    peakRssMb: () => proc.peakRssMb(),
    pid: proc.child.pid,
    stop: () => proc.stop(),
    stored,
  };
}

/** Temporary directories of this run (data dirs, stores, CA files): removed when the bench exits, however it ends. */
const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
function benchTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function startWirelog(
  upstream: Upstream,
  extraArgs: string[] = [],
): Promise<{ proc: BenchProcess<{ proxyUrl: string; caPem: string }>; dataDir: string }> {
  const dataDir = benchTempDir('wirelog-bench-');
  const caFile = path.join(dataDir, 'upstream-ca.pem');
  fs.writeFileSync(caFile, upstream.caPem);
  const w = await startCaptureProcess(dataDir, ['--upstream-ca', caFile, ...extraArgs]);
  const caPem = fs.readFileSync(path.join(dataDir, 'ca', 'certs', 'ca.pem'), 'utf8');
  return {
    proc: {
      child: w.child,
      ready: { proxyUrl: w.proxyUrl, caPem },
      peakRssMb: () => w.peakRssMb(),
      stop: async () => void (await w.stop()),
    },
    dataDir,
  };
}

/** `wirelog start` of another build (`--bin other/bin/wirelog.js`, a copy of an earlier checkout with its dist/), as startWirelog starts this one. */
async function startOtherWirelog(
  upstream: Upstream,
  bin: string,
  nodeFlags: string[] = [],
): Promise<{ proc: BenchProcess<{ proxyUrl: string; caPem: string }>; dataDir: string }> {
  const dataDir = benchTempDir('wirelog-bench-');
  const caFile = path.join(dataDir, 'upstream-ca.pem');
  fs.writeFileSync(caFile, upstream.caPem);
  const args = ['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0', '--upstream-ca', caFile];
  const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, ...nodeFlags, bin, ...args], {
    env: { ...process.env, WIRELOG_LANG: 'en' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start within 30 s:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code}) before it was ready:\n${output}`)));
  });
  const proxyUrl = /proxy: +(http:\/\/\S+)/.exec(output)![1];
  const caPem = fs.readFileSync(path.join(dataDir, 'ca', 'certs', 'ca.pem'), 'utf8');
  return {
    proc: {
      child,
      ready: { proxyUrl, caPem },
      peakRssMb: () => peakRssMb(child.pid!),
      stop: () =>
        new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGINT');
        }),
    },
    dataDir,
  };
}

/**
 * `--recording-cost [--rounds 3] [--seconds 4] [--warm-up 1] [--bin A --bin B] [--cpu-prof DIR] [--call sse]`: issue 28's recording cost
 * alone, rows alternating round after round so a busy moment touches each: the floor, the floor
 * that records, and wirelog (this checkout, or each --bin). Each: a fresh process, 50 sequential
 * requests and 1 s (--warm-up) at concurrency 16 to warm up, then the measured phase at concurrency 16.
 * Medians over the rounds. --cpu-prof: each wirelog writes a V8 CPU profile per thread into DIR
 * (the storage thread's is the one whose busiest entries are CaptureStore's).
 */
async function recordingCostRun(): Promise<void> {
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : process.argv[at + 1];
  };
  const rounds = Number(arg('--rounds') ?? 3);
  const seconds = Number(arg('--seconds') ?? 4);
  // V8 compiles the hot paths on its helper threads for seconds after start (counted as other
  // threads): a longer warm-up leaves that out of the measured phase.
  const warmUpSeconds = Number(arg('--warm-up') ?? 1);
  const bins = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--bin' ? [a] : []));
  // --call sse: a streamed chat completion instead of GET /v1/models.
  const call = arg('--call') === 'sse' ? SSE_CALL : undefined;
  const profileDir = arg('--cpu-prof');
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const up = await startTsProcess<Upstream>('./upstream-process.ts');
  upstreamPid = up.child.pid!;
  const upstream = up.ready;
  const caFile = path.join(benchTempDir('wirelog-bench-ca-'), 'upstream-ca.pem');
  fs.writeFileSync(caFile, upstream.caPem);
  const routes: [string, () => Promise<Route>][] = [
    ['floor (records nothing)', async () => proxyRoute('floor', await startTsProcess('./floor-proxy.ts', [caFile]))],
    [
      'floor + the least SQLite record',
      async () => {
        const db = path.join(benchTempDir('wirelog-bench-floor-'), 'floor.sqlite');
        const proc = await startTsProcess<{ proxyUrl: string; caPem: string }>('./floor-proxy.ts', [
          caFile,
          '--record',
          db,
        ]);
        return proxyRoute(
          'floor + record',
          proc,
          countIn(db, 'SELECT count(*) AS total, count(*) AS understood FROM exchanges'),
        );
      },
    ],
    ...(bins.length ? bins : [WIRELOG_BIN]).map((bin): [string, () => Promise<Route>] => [
      `wirelog (${path.relative(process.cwd(), bin) || bin})`,
      async () => {
        const w = await startOtherWirelog(upstream, bin, nodeFlags);
        return proxyRoute('wirelog', w.proc, wirelogStored(w.dataDir));
      },
    ]),
  ];
  const figures = routes.map(() => [] as { rps: number; cpu: CpuShare; peakRssMb: number | null }[]);
  const loads: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, start]] of routes.entries()) {
      const route = await start();
      const dispatcher = route.dispatcher(32);
      const small = `${upstream.httpsUrl}${call ? '/v1/chat/completions' : '/v1/models'}`;
      if (!call) await sequential(small, dispatcher, 50);
      await throughput(small, dispatcher, 16, warmUpSeconds * 1000, call);
      const { result, cpu } = await measureCpu(route, () => throughput(small, dispatcher, 16, seconds * 1000, call));
      figures[i].push({ rps: result.rps, cpu, peakRssMb: route.peakRssMb() });
      await dispatcher.close();
      await route.stop();
    }
    loads.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  }
  await up.stop();
  const median = (values: (number | undefined)[]) => {
    const v = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  };
  const fmt = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  console.log(
    `\nRecording cost, ${rounds} alternating rounds of ${seconds} s at concurrency 16 (${call ? 'POST /v1/chat/completions streamed as SSE' : 'GET /v1/models'}) after ${warmUpSeconds} s of warm-up, medians; Node ${process.version}, ${os.cpus().length} cores, load average after each round ${loads.join(', ')}, ${new Date().toISOString()}`,
  );
  console.log(
    '| row | req/s | proxy µs/request (all threads) | forwarding thread µs/request | storage thread µs/row | other threads µs/request |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [i, [name]] of routes.entries()) {
    const f = figures[i];
    console.log(
      `| ${name} | ${fmt(median(f.map((x) => x.rps)), 0)} | ${fmt(median(f.map((x) => x.cpu.proxy)))} | ${fmt(median(f.map((x) => x.cpu.proxyMain)))} | ${fmt(median(f.map((x) => x.cpu.storagePerRow)))} | ${fmt(median(f.map((x) => x.cpu.proxyOther)))} |`,
    );
    for (const x of f)
      console.log(
        `  round: ${fmt(x.rps, 0)} req/s, peak RSS ${fmt(x.peakRssMb ?? undefined, 0)} MB, forwarding ${fmt(x.cpu.proxyMain)}, storage ${fmt(x.cpu.storagePerRow)}/row, other ${fmt(x.cpu.proxyOther)} (${[...(x.cpu.otherByName ?? [])].map(([n, us]) => `${n} ${fmt(us)}`).join(', ')})`,
      );
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--recording-cost')) return recordingCostRun();
  const up = await startTsProcess<Upstream>('./upstream-process.ts');
  upstreamPid = up.child.pid!;
  const upstream = up.ready;
  const rows: [string, RowFigures | string][] = [];
  const upstreamCaFile = path.join(benchTempDir('wirelog-bench-ca-'), 'upstream-ca.pem');
  fs.writeFileSync(upstreamCaFile, upstream.caPem);

  rows.push(['direct', await measure(directRoute(upstream), upstream)]);

  const floor = await startTsProcess<{ proxyUrl: string; caPem: string }>('./floor-proxy.ts', [upstreamCaFile]);
  rows.push(['floor (records nothing)', await measure(proxyRoute('floor', floor), upstream)]);
  await floor.stop();

  // The floor again, storing each exchange in SQLite in the least way: what recording alone costs.
  const floorDb = path.join(benchTempDir('wirelog-bench-floor-'), 'floor.sqlite');
  const recordingFloor = await startTsProcess<{ proxyUrl: string; caPem: string }>('./floor-proxy.ts', [
    upstreamCaFile,
    '--record',
    floorDb,
  ]);
  const floorStored = countIn(floorDb, 'SELECT count(*) AS total, count(*) AS understood FROM exchanges');
  rows.push([
    'floor + the least SQLite record',
    await measure(proxyRoute('floor + record', recordingFloor, floorStored), upstream),
  ]);
  await recordingFloor.stop();

  const mitm = await startMitmproxy(benchTempDir('wirelog-bench-mitm-'));
  if (mitm) {
    rows.push(['mitmproxy (mitmdump, stream_large_bodies)', await measure(proxyRoute('mitmproxy', mitm), upstream)]);
    await mitm.stop();
  } else rows.push(['mitmproxy', 'skipped: /usr/bin/mitmdump is not installed (apt install mitmproxy)']);

  const viaProxy = await startWirelog(upstream);
  rows.push([
    'wirelog (proxy)',
    await measure(proxyRoute('wirelog', viaProxy.proc, wirelogStored(viaProxy.dataDir)), upstream),
  ]);
  await viaProxy.proc.stop();

  // The same, exporting every exchange over OTLP to a collector that refuses them all (503).
  const collector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(503).end());
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const exporting = await startWirelog(upstream, [
    '--otlp-endpoint',
    `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
  ]);
  rows.push([
    'wirelog (proxy, OTLP to a collector answering 503)',
    await measure(proxyRoute('wirelog', exporting.proc, wirelogStored(exporting.dataDir)), upstream),
  ]);
  await exporting.proc.stop();
  collector.closeAllConnections();
  await new Promise((r) => collector.close(r));

  const viaGateway = await startWirelog(upstream);
  const gatewayOrigin = new URL(viaGateway.proc.ready.proxyUrl).origin;
  rows.push([
    'wirelog (gateway)',
    await measure(
      {
        name: 'gateway',
        dispatcher: (c) => new Agent({ connections: c }),
        url: (u) => {
          const url = new URL(u);
          return `${gatewayOrigin}/https/${url.host}${url.pathname}${url.search}`;
        },
        peakRssMb: () => viaGateway.proc.peakRssMb(),
        pid: viaGateway.proc.child.pid,
        stop: () => viaGateway.proc.stop(),
        stored: wirelogStored(viaGateway.dataDir),
      },
      upstream,
    ),
  ]);
  await viaGateway.proc.stop();

  // 700 connections at once, each row in a fresh process.
  const loadMs = quick ? 5000 : 20_000;
  const wide: [string, Awaited<ReturnType<typeof manyConnections>>][] = [];
  wide.push(['direct', await manyConnections(directRoute(upstream), upstream, loadMs)]);
  const floor2 = await startTsProcess<{ proxyUrl: string; caPem: string }>('./floor-proxy.ts', [upstreamCaFile]);
  wide.push(['floor', await manyConnections(proxyRoute('floor', floor2), upstream, loadMs)]);
  await floor2.stop();
  const wide3 = await startWirelog(upstream);
  wide.push([
    'wirelog (proxy)',
    await manyConnections(proxyRoute('wirelog', wide3.proc, wirelogStored(wide3.dataDir)), upstream, loadMs),
  ]);
  await wide3.proc.stop();
  await up.stop();

  const direct = rows[0][1] as RowFigures;
  const floorRow = rows[1][1] as RowFigures;
  const recordingRow = rows[2][1] as RowFigures;
  // `|| 0` turns a rounded -0 into 0: "-0 MB more" read as a fall.
  const fmt = (n: number | null | undefined, d = 2) =>
    n === null || n === undefined || Number.isNaN(n) ? '-' : (Number(n.toFixed(d)) || 0).toFixed(d);
  const header = [
    'row',
    'seq p50 ms',
    'req/s @16',
    'SSE added p99 ms',
    'new host p50 ms',
    'slow reader MB/s',
    'big body MB/s',
    'peak RSS MB',
    `peak after ${quick ? '320 MB' : '1 GB'}`,
    'storage caught up ms',
    'lost',
  ];
  const table = rows.map(([name, f]) =>
    typeof f === 'string'
      ? [name, f, '', '', '', '', '', '', '', '', '']
      : [
          name,
          fmt(f.seqP50),
          fmt(f.rps, 0),
          fmt(f.sseP99 - direct.sseP99),
          fmt(f.newHostP50, 1),
          fmt(f.slowMbPerS, 0),
          fmt(f.bigMbPerS, 0),
          fmt(f.peakRssMb, 0),
          fmt(f.peakAfterHugeMb, 0),
          fmt(f.caughtUpMs, 0),
          f.lost === undefined ? '' : String(f.lost),
        ],
  );
  const widths = header.map((_, i) => Math.max(...[header, ...table].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(
    `\nwirelog benchmark (${quick ? 'quick' : 'full'}), Node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`,
  );
  console.log(
    `client, upstream and each proxy in processes of their own; bodies: slow reader ${quick ? 40 : 100} MB at ~25 MB/s, then ${quick ? 100 : 300} MB (peak RSS after every phase so far), then ${quick ? '320 MB' : '1 GB'} (the peak again: no higher when memory is flat in body size)`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of table) console.log(line(r));
  console.log(
    '\nCPU at concurrency 16, µs (2 cores shared by all of them; the proxy: all its threads, its forwarding (main) thread per request, its storage thread per row stored, the rest per request: GC, compiler and libuv threads):',
  );
  for (const [name, f] of rows) {
    if (typeof f === 'string') continue;
    const { client, upstream: up2, proxy, proxyMain, storagePerRow, proxyOther } = f.cpu;
    console.log(
      `  ${name}: client ${fmt(client, 0)}, upstream ${fmt(up2, 0)}${proxy === undefined ? '' : `, proxy ${fmt(proxy, 0)} (forwarding thread ${fmt(proxyMain, 0)} per request${storagePerRow === undefined ? '' : `, storage thread ${fmt(storagePerRow, 0)} per row`}, other threads ${fmt(proxyOther, 0)})`}; all ${fmt(client + up2 + (proxy ?? 0), 0)}`,
    );
  }
  console.log(`\n500 request loops + 200 SSE streams (700 connections), ${loadMs / 1000} s:`);
  for (const [name, f] of wide)
    console.log(
      `  ${name}: ${fmt(f.rps, 0)} req/s, p99 ${fmt(f.p99)} ms, peak RSS ${fmt(f.peakRssMb, 0)} MB${f.lost !== undefined ? `, lost ${f.lost}` : ''} (target for wirelog: under 300 MB)`,
    );
  console.log(
    '\nAgainst the floor (targets in issue 15: req/s >= 0.85, seq p50 within 0.2 ms, SSE p99 within 1 ms, new host < 10 ms, peak RSS < 130 MB, 0 lost, caught up within 1 s):',
  );
  for (const [name, f] of rows.slice(2)) {
    if (typeof f === 'string') continue;
    console.log(
      `  ${name}: req/s ${fmt(f.rps / floorRow.rps)} of the floor${f === recordingRow ? '' : ` (${fmt(f.rps / recordingRow.rps)} of the floor that records)`}; seq p50 ${fmt(f.seqP50 - floorRow.seqP50)} ms more; SSE p99 ${fmt(f.sseP99 - floorRow.sseP99)} ms more; new host ${fmt(f.newHostP50, 1)} ms; peak RSS ${fmt(f.peakRssMb, 0)} MB (${fmt((f.peakRssMb ?? 0) / (floorRow.peakRssMb ?? 1))}x the floor), ${fmt((f.peakAfterHugeMb ?? 0) - (f.peakRssMb ?? 0), 0)} MB more after the ${quick ? '320 MB' : '1 GB'} body${f.lost !== undefined ? `; lost ${f.lost}, caught up in ${fmt(f.caughtUpMs, 0)} ms` : ''}`,
    );
  }
  printRecordingBudget(rows, floorRow, fmt);
  runScaleBench();
}

/**
 * Issue 28's figures at scale (bench/scale.ts), in a process of its own: N generated exchanges
 * (BENCH_SCALE, default 100,000; BENCH_QUICK 20,000), `BENCH_SCALE=1000000 npm run bench` for the million.
 */
function runScaleBench(): void {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'scale.ts'), ...(quick ? ['--quick'] : [])],
    { stdio: 'inherit', env: process.env },
  );
  if (run.status !== 0)
    console.log(`
bench/scale.ts failed (exit ${run.status ?? run.signal})`);
}

/**
 * Issue 28's recording cost: the storage thread's CPU per recorded row against the floor that
 * records (target: at most 2x), and the forwarding thread's CPU per request against the floor's
 * (what limits throughput where cores are spare).
 */
function printRecordingBudget(
  rows: [string, RowFigures | string][],
  floorRow: RowFigures,
  fmt: (n: number | null | undefined, d?: number) => string,
): void {
  const least = rows.find(([name]) => name.startsWith('floor +'))?.[1];
  const leastRow = typeof least === 'string' ? undefined : least?.cpu.storagePerRow;
  console.log(
    `\nRecording cost (issue 28: storage thread at most 2x the least recorder's per row): floor forwarding thread ${fmt(floorRow.cpu.proxyMain, 0)} µs per request`,
  );
  for (const [name, f] of rows) {
    if (typeof f === 'string' || f.cpu.storagePerRow === undefined) continue;
    console.log(
      `  ${name}: storage thread ${fmt(f.cpu.storagePerRow, 1)} µs per row${leastRow ? ` (${fmt(f.cpu.storagePerRow / leastRow)}x the least recorder's)` : ''}; forwarding thread ${fmt(f.cpu.proxyMain, 0)} µs per request (${fmt((f.cpu.proxyMain ?? 0) - (floorRow.cpu.proxyMain ?? 0), 0)} over the floor's); other threads ${fmt(f.cpu.proxyOther, 0)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
