// How long `wirelog start` takes to accept on its proxy port and to print "Press Ctrl-C" (issue
// 24: restart to listening under 2 s; the soak measured 1.85-3.05 s on a busy machine), beside a
// bare `node -e 0`, started alternately so that a busy moment touches every row. --bin compares
// builds side by side (a copy of an earlier checkout's bin/wirelog.js with its dist/); --busy N
// adds N CPU hogs at normal priority (the soak's busy machine).
//
// Main-thread CPU until listening, p50 of 10 alternate runs on a machine busy with other tests:
// 250 ms -> 220 ms once the upstream roots are parsed on the first HTTPS upstream connection
// (proxy/upstream.ts) and db/schema.ts no longer starts ICU's number formatting at load. What is
// left before listening (--cpu-prof): loading modules, and http-mitm-proxy reading the CA with
// node-forge (about 40 ms of certificateFromPem and privateKeyFromPem).
//
//   npx tsx bench/startup.ts [--runs 8] [--busy 0] [--bin other/bin/wirelog.js ...]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS } from '../test/support/cli.ts';
import { freePort, killAll, startBusy, stop, trackPid } from './soak/processes.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '8' },
    busy: { type: 'string', default: '0' },
    bin: { type: 'string', multiple: true },
  },
});
const runs = Number(values.runs);
const bins = values.bin?.length ? values.bin : [WIRELOG_BIN];

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const summary = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

/** CPU time of one thread (the main thread: its id is the pid), in ms: a figure a busy machine moves less than wall time. */
function threadCpuMs(pid: number, tid = pid): number {
  const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** One `wirelog start`: spawned to accepting on the proxy port, and to "Press Ctrl-C"; its main thread's CPU by then. */
async function timedStart(
  bin: string,
  dataDir: string,
): Promise<{ listeningMs: number; readyMs: number; listeningCpuMs: number; mainCpuMs: number }> {
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...WIRELOG_NODE_FLAGS,
      bin,
      'start',
      '--data-dir',
      dataDir,
      '--proxy-port',
      String(proxyPort),
      '--ui-port',
      String(uiPort),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackPid(child.pid);
  let readyAt: number | null = null;
  let printed = '';
  child.stdout!.on('data', (d: Buffer) => {
    printed += d.toString();
    if (readyAt === null && printed.includes('Press Ctrl-C')) readyAt = performance.now();
  });
  child.stderr!.resume();
  let listeningAt: number | null = null;
  let listeningCpuMs = 0;
  const deadline = t0 + 60_000;
  while (listeningAt === null || readyAt === null) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`${bin} did not start:\n${printed}`);
    if (listeningAt === null && (await accepts(proxyPort))) {
      listeningAt = performance.now();
      listeningCpuMs = threadCpuMs(child.pid!);
    } else await new Promise((r) => setTimeout(r, 5));
  }
  const mainCpuMs = threadCpuMs(child.pid!);
  await stop(child, 'SIGTERM', 10_000);
  return { listeningMs: listeningAt - t0, readyMs: readyAt - t0, listeningCpuMs, mainCpuMs };
}

try {
  for (let i = 0; i < Number(values.busy); i++) startBusy();
  // A data dir per build (a newer build's schema is refused by an older one); its CA and database
  // exist before the first timed start, as at a restart.
  const dataDirs = bins.map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-startup-')));
  for (const [b, bin] of bins.entries()) {
    spawnSync(process.execPath, [bin, 'ca', '--data-dir', dataDirs[b]], { stdio: 'ignore' });
    await timedStart(bin, dataDirs[b]);
  }
  const bare: number[] = [];
  const rows = bins.map(() => ({
    listening: [] as number[],
    ready: [] as number[],
    listeningCpu: [] as number[],
    cpu: [] as number[],
  }));
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [...WIRELOG_NODE_FLAGS, '-e', '0'], { stdio: 'ignore' });
    bare.push(performance.now() - t);
    for (const [b, bin] of bins.entries()) {
      const { listeningMs, readyMs, listeningCpuMs, mainCpuMs } = await timedStart(bin, dataDirs[b]);
      rows[b].listeningCpu.push(listeningCpuMs);
      rows[b].listening.push(listeningMs);
      rows[b].ready.push(readyMs);
      rows[b].cpu.push(mainCpuMs);
    }
  }
  console.log(`${runs} runs, ${values.busy} CPU hog(s) beside`);
  console.log(`node -e 0: ${summary(bare)}`);
  for (const [b, bin] of bins.entries()) {
    console.log(
      `${bin}\n  listening: ${summary(rows[b].listening)}  (target < 2000 ms)\n  ready:     ${summary(rows[b].ready)}\n  main thread CPU until listening: ${summary(rows[b].listeningCpu)}; until ready: ${summary(rows[b].cpu)}`,
    );
  }
  console.log(
    JSON.stringify({
      runs,
      busy: Number(values.busy),
      bareMs: bare.map(Math.round),
      rows: bins.map((bin, b) => ({
        bin,
        listeningMs: rows[b].listening.map(Math.round),
        readyMs: rows[b].ready.map(Math.round),
        listeningCpuMs: rows[b].listeningCpu,
        mainCpuMs: rows[b].cpu,
      })),
    }),
  );
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
} finally {
  killAll();
}
