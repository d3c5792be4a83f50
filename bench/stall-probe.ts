// What the stall benchmarks share (compare-stall, websocket-flood, har-import): a wirelog of
// their own, and a line of proxied requests sent one after another while the work under test
// runs, whose slowest is the stall the work caused.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ProxyAgent, request } from 'undici';
import { startTsProcess, type BenchProcess } from './processes.ts';

/** wirelog as `npm start` runs it, or another checkout's (WIRELOG_BIN), with BENCH_WIRELOG_FLAGS added. */
export const BIN = process.env.WIRELOG_BIN ?? fileURLToPath(new URL('../bin/wirelog.js', import.meta.url));
export const NODE_FLAGS = [
  '--max-semi-space-size=1',
  ...(process.env.BENCH_WIRELOG_FLAGS?.split(' ').filter(Boolean) ?? []),
];

export interface Running {
  child: ChildProcess;
  proxyUrl: string;
  viewerUrl: string;
  caPath: string;
}

/** Starts `wirelog start` on free ports; resolves with its addresses once it says it is capturing (30 s at most). */
export function startWirelog(dataDir: string, upstreamCa: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...NODE_FLAGS,
        BIN,
        'start',
        '--data-dir',
        dataDir,
        '--proxy-port',
        '0',
        '--ui-port',
        '0',
        '--upstream-ca',
        upstreamCa,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let printed = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`wirelog did not start: ${printed}`));
    }, 30_000);
    const read = (chunk: Buffer) => {
      printed += chunk;
      if (!printed.includes('Press Ctrl-C')) return;
      clearTimeout(timer);
      resolve({
        child,
        proxyUrl: /proxy: +(http:\/\/\S+)/.exec(printed)![1],
        viewerUrl: /viewer: +(http:\/\/\S+)/.exec(printed)![1],
        caPath: /CA: +(\S+)/.exec(printed)![1],
      });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
}

export interface Bench {
  upstream: BenchProcess<{ httpsUrl: string; caPem: string }>;
  wirelog: Running;
  /** Through wirelog's proxy, trusting its CA. */
  agent: ProxyAgent;
}

/** The scripted upstream in its own process, a wirelog on `dataDir` that trusts it, and an agent through that wirelog. */
export async function startBench(dir: string, dataDir: string): Promise<Bench> {
  const upstream = await startTsProcess<{ httpsUrl: string; caPem: string }>('./upstream-process.ts');
  const upstreamCa = path.join(dir, 'upstream-ca.pem');
  fs.writeFileSync(upstreamCa, upstream.ready.caPem);
  const wirelog = await startWirelog(dataDir, upstreamCa);
  const agent = new ProxyAgent({ uri: wirelog.proxyUrl, requestTls: { ca: fs.readFileSync(wirelog.caPath, 'utf8') } });
  return { upstream, wirelog, agent };
}

/** Stops it as Ctrl-C would, and waits until it has exited. */
export async function stopWirelog(running: Running): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGINT');
  await exited;
}

/** Sends requests through the proxy one after another until `until` settles (or `count` of them); each one's milliseconds. */
export async function traffic(
  agent: ProxyAgent,
  url: string,
  until: Promise<unknown> | null,
  count: number,
): Promise<number[]> {
  let done = until === null;
  void until?.finally(() => (done = true));
  const times: number[] = [];
  for (let i = 0; i < (until ? 1_000_000 : count) && !(until && done); i++) {
    const t = performance.now();
    const res = await request(`${url}/echo?n=${i}`, { method: 'POST', body: 'x', dispatcher: agent });
    await res.body.text();
    times.push(performance.now() - t);
  }
  return times;
}

export function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `${times.length} requests, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, longest ${sorted[sorted.length - 1].toFixed(0)} ms`;
}
