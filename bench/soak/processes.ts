// The soak's processes: every one started here is registered and killed by its PID at the end,
// even on error or Ctrl-C (killAll from a finally and the signal handlers). Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WIRELOG_BIN as CHECKOUT_BIN, WIRELOG_NODE_FLAGS } from '../../test/support/cli.ts';

/** This checkout's wirelog, or another build's (WIRELOG_BIN=path/to/bin/wirelog.js: a copy no `npm run build` replaces mid-run). */
const WIRELOG_BIN = process.env.WIRELOG_BIN ?? CHECKOUT_BIN;

const started = new Set<ChildProcess>();
/** Processes started by a library (Chromium, by playwright): killed by PID too. */
const startedElsewhere = new Set<number>();

export function trackPid(pid: number | undefined): void {
  if (pid !== undefined) startedElsewhere.add(pid);
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGKILL to every process this soak started and that still runs, each by its PID. */
export function killAll(): void {
  for (const child of started) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const pid of startedElsewhere) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  startedElsewhere.clear();
}

export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => (clearTimeout(timer), resolve(true)));
  });
}

/** Ends a child: `how` first (stdin closed, or a signal), SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, how: 'stdin' | NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (how === 'stdin') child.stdin?.end();
  else child.kill(how);
  if (!(await exited(child, graceMs))) {
    child.kill('SIGKILL');
    await exited(child, 5000);
  }
}

/** A TypeScript module of bench/soak/ as its own process; with `readyLine`, once it printed its JSON line. */
export function startTs(
  module: string,
  args: string[],
  options: { readyLine?: boolean; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; ready: unknown }> {
  const file = fileURLToPath(new URL(module, import.meta.url));
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT }),
  );
  if (!options.readyLine) {
    child.stdout!.resume();
    return Promise.resolve({ child, ready: null });
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${module} did not start within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({ child, ready: JSON.parse(out.slice(0, nl)) });
    };
    child.stdout!.on('data', onData);
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`${module} exited with ${code} before it was ready`))),
    );
  });
}

/** A CPU hog at normal priority: a machine busy with builds and tests. */
export function startBusy(): ChildProcess {
  return track(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

export interface WirelogRun {
  child: ChildProcess;
  proxyUrl: string;
  viewerUrl: string;
  /** Spawned to accepting TCP on the proxy port, and to printing "Press Ctrl-C", in ms. */
  listeningMs: number;
  readyMs: number;
  /** Lines it printed so far (stdout and stderr). */
  lines: () => string[];
}

/** `wirelog start` as a user runs it (`npm start`'s node flags), on fixed ports so a restart keeps them. */
export async function startWirelog(
  dataDir: string,
  proxyPort: number,
  uiPort: number,
  extraArgs: string[],
  timeoutMs = 60_000,
): Promise<WirelogRun> {
  const t0 = performance.now();
  const child = track(
    spawn(
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
        ...extraArgs,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: ROOT,
      },
    ),
  );
  const lines: string[] = [];
  let partial = '';
  let readyAt: number | null = null;
  const onData = (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (readyAt === null && l.includes('Press Ctrl-C')) readyAt = performance.now();
    }
    if (lines.length > 200_000) lines.splice(0, 100_000, `… ${100_000} earlier lines dropped by the soak`);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let listeningAt: number | null = null;
  const deadline = performance.now() + timeoutMs;
  while (listeningAt === null || readyAt === null) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `wirelog exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${lines.join('\n')}`,
      );
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`wirelog was not ready within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
    }
    if (listeningAt === null && (await accepts(proxyPort))) listeningAt = performance.now();
    else await new Promise((r) => setTimeout(r, 10));
  }
  return {
    child,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    viewerUrl: `http://127.0.0.1:${uiPort}`,
    listeningMs: listeningAt - t0,
    readyMs: readyAt - t0,
    lines: () => lines,
  };
}

/** Resident memory now (VmRSS), MB; null once the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return null;
  }
}

/** CPU time of a process (all its threads), in s; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export const repoPath = (...parts: string[]) => path.join(ROOT, ...parts);
