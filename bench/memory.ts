// npm run bench, third part: where wirelog's memory goes, phase by phase. Runs the benchmark's
// phases against one `wirelog start` and samples /proc/PID/smaps every 100 ms, summing resident
// memory by region: the node binary and libraries (file-backed, shared with every Node process),
// V8's heap pages (every thread's), the main thread's malloc heap (socket buffers, OpenSSL,
// Buffers of the forwarding thread), the other threads' malloc arenas (the storage worker's
// SQLite and messages, libuv's pool), and large blocks malloc maps on their own (the 2 MB body
// ring). Linux x64 only. The environment is wirelog's: MALLOC_ARENA_MAX=2 npx tsx bench/memory.ts
// shows what the threads' separate arenas cost (2026-12-05: peak 126 MB instead of 144-147, the
// big bodies' phases; glibc reads it only as a process starts, so wirelog cannot set it itself).
// What grew the storage thread's arena was packing a large body after it ended: each row read
// back and packed is a Buffer V8 frees only when it collects (none without packing); the packer
// now collects every MB (db/read-garbage.ts): thread arenas 30-33 -> 16-18 MB in those phases.
// "Thread malloc arenas" are glibc's; on macOS (libmalloc) the same Buffers wait the same way,
// and test/packer-read-garbage.test.ts counts them in bytes, whatever the allocator. Which thread
// holds which arena (gdb -p PID -batch -ex 'thread apply all p (void*)thread_arena', 2026-12-06,
// after the concurrency-16 phase): the storage thread 5.4 MB, V8's four helper threads 1.4-4.6 MB
// each (9.5 MB), arenas of no live thread 3 MB; hence node's --v8-pool-size=2 (bin/wirelog.js).
// The process is started with wirelog's node flags (test/support/cli.ts, as `npm start` does): a
// `wirelog` on the PATH without them in NODE_OPTIONS runs with node's defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ProxyAgent, request, type Dispatcher } from 'undici';
import { startWirelogProcess } from '../test/support/cli.ts';
import { startTsProcess } from './processes.ts';

const MB = 1024 * 1024;
const REGIONS = [
  'binary and libraries',
  'V8 heaps',
  'main malloc heap',
  'thread malloc arenas',
  'large malloc blocks',
  'other',
] as const;
type Region = (typeof REGIONS)[number];

/**
 * Resident MB by region. glibc maps each thread arena 64 MB-aligned, and large blocks on their
 * own, high in the address space; V8 maps its pages at random addresses below.
 */
function residentByRegion(pid: number): Record<Region, number> {
  const out = Object.fromEntries(REGIONS.map((r) => [r, 0])) as Record<Region, number>;
  let region: Region = 'other';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const map = /^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (map) {
      const start = BigInt(`0x${map[1]}`);
      const name = map[3].trim();
      if (name === '[heap]') region = 'main malloc heap';
      else if (name.startsWith('/')) region = 'binary and libraries';
      else if (name !== '') region = 'other';
      else if (start >= 0x7e0000000000n && start % 0x4000000n === 0n) region = 'thread malloc arenas';
      else region = start < 0x7e0000000000n ? 'V8 heaps' : 'large malloc blocks';
    } else if (line.startsWith('Rss:')) out[region] += Number(line.split(/\s+/)[1]) / 1024;
  }
  return out;
}

async function get(url: string, dispatcher: Dispatcher, readDelayMsPerMb = 0): Promise<void> {
  const res = await request(url, { dispatcher });
  let sinceDelay = 0;
  for await (const chunk of res.body) {
    sinceDelay += chunk.length;
    if (readDelayMsPerMb && sinceDelay >= MB) {
      sinceDelay = 0;
      await new Promise((r) => setTimeout(r, readDelayMsPerMb));
    }
  }
}

async function main(): Promise<void> {
  const up = await startTsProcess<{ httpsUrl: string; caPem: string }>('./upstream-process.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-memory-'));
  const caFile = path.join(dataDir, 'upstream-ca.pem');
  fs.writeFileSync(caFile, up.ready.caPem);
  // WIRELOG_BENCH_ARGS: more `wirelog start` flags for a comparison run (e.g. "--max-body-mb 0").
  const extraArgs = process.env.WIRELOG_BENCH_ARGS?.split(' ').filter(Boolean) ?? [];
  const w = await startWirelogProcess(dataDir, ['--upstream-ca', caFile, ...extraArgs]);
  const pid = w.child.pid!;
  const dispatcher = new ProxyAgent({
    uri: w.proxyUrl,
    requestTls: { ca: fs.readFileSync(path.join(dataDir, 'ca', 'certs', 'ca.pem'), 'utf8') },
    connections: 32,
  });
  const small = `${up.ready.httpsUrl}/v1/models`;

  let peaks = residentByRegion(pid);
  const sampler = setInterval(() => {
    const now = residentByRegion(pid);
    for (const r of REGIONS) peaks[r] = Math.max(peaks[r], now[r]);
  }, 100);
  const rows: [string, Record<Region, number>, number, number][] = [];
  const phase = async (name: string, run: () => Promise<unknown>) => {
    peaks = residentByRegion(pid);
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
    rows.push([name, { ...peaks }, hwm, seconds]);
  };

  await phase('started, idle 1 s', () => new Promise((r) => setTimeout(r, 1000)));
  // Each thread can hold a malloc arena of its own: how many there are is part of the picture.
  const idleThreads = fs.readdirSync(`/proc/${pid}/task`).length;
  await phase('2,000 sequential requests', async () => {
    for (let i = 0; i < 2000; i++) await get(small, dispatcher);
  });
  await phase('4 s at concurrency 16', async () => {
    const end = performance.now() + 4000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < end) await get(small, dispatcher);
      }),
    );
  });
  await phase('20 SSE streams', () =>
    Promise.all(Array.from({ length: 20 }, () => get(`${up.ready.httpsUrl}/v1/ticks?n=50&interval=10`, dispatcher))),
  );
  await phase('100 MB read at ~25 MB/s', () => get(`${up.ready.httpsUrl}/bytes?size=${100 * MB}`, dispatcher, 40));
  await phase('300 MB body', () => get(`${up.ready.httpsUrl}/bytes?size=${300 * MB}`, dispatcher));
  await phase('1 GB body', () => get(`${up.ready.httpsUrl}/bytes?size=${1024 * MB}`, dispatcher));
  clearInterval(sampler);
  await dispatcher.close();
  await w.stop();
  await up.stop();
  // Its store holds the large bodies (about 60 MB a run): left behind, runs filled /tmp.
  fs.rmSync(dataDir, { recursive: true, force: true });

  console.log(
    `\nwirelog memory by region, resident MB at the peak of each phase (sampled every 100 ms), Node ${process.version}, ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${idleThreads} threads at idle`,
  );
  // Seconds per phase: a change that lowers memory by slowing large bodies shows here (wall time, the machine's load beside it).
  const header = ['phase', ...REGIONS, 'VmHWM so far', 's'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const [name, p, hwm, seconds] of rows)
    console.log(
      `| ${name} | ${REGIONS.map((r) => p[r].toFixed(0)).join(' | ')} | ${hwm.toFixed(0)} | ${seconds.toFixed(1)} |`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
