// npm run soak: a Codex-shaped day compressed into minutes, through wirelog and then the same mix
// direct, with every count taken from outside wirelog. A scripted upstream (bench/soak/upstream.ts)
// logs what it sent, load generators (bench/soak/load.ts, three processes sharing the cores as
// on a real machine) log what their clients got, and wirelog's database is read read-only at the
// end; probes measure how far storage lags, a Chromium tab stays open on the viewer, and wirelog
// is SIGKILLed midway and restarted. Prints a table (and --out FILE: the figures as JSON).
// Figures are printed, never asserted. Everything listens on 127.0.0.1; every process started
// is killed by its PID at the end, even on error or Ctrl-C.
//   --minutes N   load time in all, split evenly between the direct run and wirelog (default 10)
//   --scale X     the mix's lanes and rates times X (default 1: the issue's mix)
//   --busy N      N processes spinning at normal priority beside it all (a machine busy with builds)
//   --no-direct   only through wirelog (all the minutes)
//   --no-browser  no viewer tab
//   --wirelog-arg ARG  passed to `wirelog start` (repeatable), to measure a variant
//   --keep        keep the working directory (logs, wirelog's database)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonLines, sleep, type ClientRecord, type LoadConfig, type UpstreamRecord } from './soak/common.ts';
import { Probes, ViewerTab } from './soak/probes.ts';
import {
  cpuSeconds,
  exited,
  freePort,
  killAll,
  rssMb,
  startBusy,
  startTs,
  startWirelog,
  stop,
  type WirelogRun,
} from './soak/processes.ts';
import { figures, table, type Figures, type PhaseData } from './soak/report.ts';
import { readStored, storedCounts } from './soak/stored.ts';

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      scale: { type: 'string', default: '1' },
      busy: { type: 'string', default: '0' },
      out: { type: 'string' },
      'no-direct': { type: 'boolean', default: false },
      'no-browser': { type: 'boolean', default: false },
      'wirelog-arg': { type: 'string', multiple: true, default: [] },
      keep: { type: 'boolean', default: false },
    },
  });
  const number = (name: 'minutes' | 'scale' | 'busy', min: number) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} must be a number of at least ${min}, not "${values[name]}"`);
    return n;
  };
  return {
    minutes: number('minutes', 0.5),
    scale: number('scale', 0.05),
    busy: Math.floor(number('busy', 0)),
    out: values.out,
    direct: !values['no-direct'],
    browser: !values['no-browser'],
    wirelogArgs: values['wirelog-arg'],
    keep: values.keep,
  };
}

const opts = options();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-soak-'));
const upstreamLog = path.join(work, 'upstream.jsonl');
const log = (text: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);

async function runGenerators(
  base: Omit<LoadConfig, 'role' | 'out'>,
  onMidway?: () => Promise<void>,
): Promise<ClientRecord[]> {
  const roles: LoadConfig['role'][] = ['codex', 'ws', 'small'];
  const files = roles.map((role) => path.join(work, `${base.tag}-${role}.jsonl`));
  const children = await Promise.all(
    roles.map((role, i) =>
      startTs('./load.ts', [JSON.stringify({ ...base, role, out: files[i] } satisfies LoadConfig)]).then(
        (s) => s.child,
      ),
    ),
  );
  if (onMidway) {
    await sleep(Math.max(0, (base.endAt - Date.now()) / 2));
    await onMidway();
  }
  // They stop starting work at endAt and let what runs finish: two minutes at most.
  for (const child of children)
    if (!(await exited(child, Math.max(0, base.endAt - Date.now()) + 120_000))) await stop(child, 'SIGTERM', 5000);
  return files.flatMap((f) => readJsonLines<ClientRecord>(f));
}

function upstreamRecords(tag: string): UpstreamRecord[] {
  return readJsonLines<UpstreamRecord>(upstreamLog).filter((u) => u.id.startsWith(`${tag}-`));
}

async function directPhase(
  port: number,
  caFile: string,
  phaseMs: number,
  shape: Pick<LoadConfig, 'scale' | 'maxIdleMs' | 'downloadEverySec'>,
): Promise<Figures> {
  log(`direct: ${(phaseMs / 60_000).toFixed(1)} min of the mix straight to the upstream`);
  const startedAt = Date.now();
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]), 2000);
  try {
    const clients = await runGenerators({
      mode: 'direct',
      caFile,
      upstreamPort: port,
      endAt: startedAt + phaseMs,
      tag: 'd',
      ...shape,
    });
    return figures({
      name: 'direct',
      startedAt,
      endedAt: Date.now(),
      clients,
      upstream: upstreamRecords('d'),
      loadAverages: loads,
    });
  } finally {
    clearInterval(sampler);
  }
}

async function wirelogPhase(
  port: number,
  upstreamCaFile: string,
  phaseMs: number,
  shape: Pick<LoadConfig, 'scale' | 'maxIdleMs' | 'downloadEverySec'>,
): Promise<Figures> {
  const dataDir = path.join(work, 'wirelog-data');
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  const args = ['--upstream-ca', upstreamCaFile, ...opts.wirelogArgs];
  let wl: WirelogRun = await startWirelog(dataDir, proxyPort, uiPort, args);
  log(
    `wirelog: started (pid ${wl.child.pid}, listening after ${wl.listeningMs.toFixed(0)} ms), ${(phaseMs / 60_000).toFixed(1)} min of the mix through it, a SIGKILL midway`,
  );
  const caPem = fs.readFileSync(path.join(dataDir, 'ca', 'certs', 'ca.pem'), 'utf8');
  const caFile = path.join(work, 'wirelog-ca.pem');
  fs.writeFileSync(caFile, caPem);
  const consoleLines: string[] = [];
  const startedAt = Date.now();
  const rss: [number, number, number][] = [];
  const loads: number[] = [];
  let cpu = 0;
  const sampler = setInterval(() => {
    const mb = rssMb(wl.child.pid!);
    if (mb !== null) rss.push([Date.now(), mb, wl.child.pid!]);
    loads.push(os.loadavg()[0]);
  }, 2000);
  const probes = new Probes(wl.proxyUrl, caPem, port, wl.viewerUrl, 3000);
  let tab: ViewerTab | null = null;
  let tabNote = '';
  try {
    if (opts.browser) {
      try {
        tab = await ViewerTab.open(wl.viewerUrl);
        if (!tab) tabNote = 'no /usr/bin/chromium';
      } catch (err) {
        tabNote = `the viewer tab did not open: ${(err as Error).message.split('\n')[0]}`;
        log(tabNote);
      }
    }
    probes.start();
    tab?.watch(probes);
    let kill: PhaseData['kill'];
    const clients = await runGenerators(
      {
        mode: 'proxy',
        proxyUrl: wl.proxyUrl,
        caFile,
        upstreamPort: port,
        endAt: startedAt + phaseMs,
        tag: 'w',
        ...shape,
      },
      async () => {
        const pid = wl.child.pid!;
        cpu += cpuSeconds(pid) ?? 0;
        consoleLines.push(...wl.lines());
        const at = Date.now();
        process.kill(pid, 'SIGKILL');
        await exited(wl.child, 10_000);
        const spawnedAt = Date.now();
        wl = await startWirelog(dataDir, proxyPort, uiPort, args);
        kill = { at, listeningAt: spawnedAt + wl.listeningMs, listeningMs: wl.listeningMs, readyMs: wl.readyMs };
        log(
          `wirelog: SIGKILLed pid ${pid}; the new one (pid ${wl.child.pid}) listened after ${wl.listeningMs.toFixed(0)} ms, ready after ${wl.readyMs.toFixed(0)} ms`,
        );
      },
    );
    const endedAt = Date.now();
    log('load ended; waiting for storage to settle (at most 120 s)');
    const settleStart = Date.now();
    let last = -1;
    let stableSince = Date.now();
    while (Date.now() - settleStart < 120_000) {
      const c = storedCounts(dataDir);
      if (c.total !== last) {
        last = c.total;
        stableSince = Date.now();
      } else if (c.open === 0 && Date.now() - stableSince > 5000) break;
      await sleep(500);
    }
    await probes.settle(Math.max(0, 120_000 - (Date.now() - settleStart)));
    const settleMs = Date.now() - settleStart;
    await probes.stop();
    await tab?.close();
    tab = null;
    clearInterval(sampler);
    const stored = readStored(dataDir);
    fs.writeFileSync(path.join(work, 'probes.json'), JSON.stringify({ kill, probes: probes.records }));
    cpu += cpuSeconds(wl.child.pid!) ?? 0;
    consoleLines.push(...wl.lines());
    await stop(wl.child, 'SIGINT', 30_000);
    return figures({
      name: 'wirelog',
      startedAt,
      endedAt,
      clients,
      upstream: upstreamRecords('w'),
      stored,
      kill,
      probes: probes.records,
      tabOpen: opts.browser && !tabNote,
      rss,
      cpuSeconds: cpu,
      loadAverages: loads,
      consoleLines,
      settleMs,
    });
  } finally {
    clearInterval(sampler);
    await tab?.close();
    await probes.stop();
  }
}

async function main(): Promise<void> {
  log(
    `working directory ${work}; ${os.cpus().length} cores, Node ${process.version}, --minutes ${opts.minutes} --scale ${opts.scale} --busy ${opts.busy}`,
  );
  const upstream = await startTs('./upstream.ts', [upstreamLog], { readyLine: true });
  const { port, certPem } = upstream.ready as { port: number; certPem: string };
  const upstreamCaFile = path.join(work, 'upstream-ca.pem');
  fs.writeFileSync(upstreamCaFile, certPem);
  for (let i = 0; i < opts.busy; i++) startBusy();
  const phaseMs = (opts.minutes * 60_000) / (opts.direct ? 2 : 1);
  const shape = {
    scale: opts.scale,
    // Kept-alive connections idle up to 100 s (a third of the phase when shorter), as the issue's direct run reused them.
    maxIdleMs: Math.min(100_000, Math.max(5000, phaseMs / 3)),
    // A few 20 MB downloads: about five per phase.
    downloadEverySec: Math.max(10, Math.round(phaseMs / 1000 / 5)),
  };
  const direct = opts.direct ? await directPhase(port, upstreamCaFile, phaseMs, shape) : null;
  const through = await wirelogPhase(port, upstreamCaFile, phaseMs, shape);
  await stop(upstream.child, 'stdin', 5000);
  console.log(
    `\nwirelog soak, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores, --minutes ${opts.minutes} --scale ${opts.scale} --busy ${opts.busy}${opts.wirelogArgs.length ? ` wirelog ${opts.wirelogArgs.join(' ')}` : ''}`,
  );
  console.log(
    "Counts from the upstream's log and the clients' logs, against wirelog's database read read-only; \"kill\" groups (ended within 1 s before the SIGKILL, in flight at it) counted apart.\n",
  );
  console.log(table(through, direct));
  if (opts.out) {
    fs.writeFileSync(
      opts.out,
      `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cores: os.cpus().length, options: opts, through, direct }, null, 2)}\n`,
    );
    console.log(`\nfigures written to ${opts.out}`);
  }
}

const onSignal = (signal: NodeJS.Signals) => {
  killAll();
  console.error(`soak: ${signal}: every process it started was killed`);
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killAll);

try {
  await main();
} catch (err) {
  console.error('soak failed:', err);
  process.exitCode = 1;
} finally {
  killAll();
  if (!opts.keep) fs.rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
// Sockets and timers of the undici agents may linger: the soak is over.
process.exit(process.exitCode ?? 0);
