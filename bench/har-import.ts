// HAR import, measured: a HAR of 50,000 chat calls (about 250 MB; --quick: 10,000) imported
// (1) by `wirelog import` under /usr/bin/time -v: wall time, CPU time (user + system: on a shared
// machine the wall time says more of the load than of the import) and peak RSS, and (2) through the
// viewer of a running wirelog while a client sends requests through its proxy one after
// another: how long the longest of them took, against the same requests with no import.
// WIRELOG_BIN=path/to/bin/wirelog.js measures another checkout (an older wirelog, for before
// and after). Figures only: nothing here is asserted.
//   npx tsx bench/har-import.ts [--quick]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { writeChatCallsHar } from './chat-calls-har.ts';
import { BIN, NODE_FLAGS, startBench, stopWirelog, summary, traffic } from './stall-probe.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const COUNT = QUICK ? 10_000 : 50_000;

function cliImport(
  file: string,
  dataDir: string,
): { seconds: number; cpuSeconds: number; peakMb: number; code: number | null } {
  const time = fs.existsSync('/usr/bin/time');
  const args = [...NODE_FLAGS, BIN, 'import', file, '--data-dir', dataDir];
  const started = performance.now();
  const run = time
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr ?? '');
  const cpu = (what: string) =>
    Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(run.stderr ?? '')?.[1] ?? NaN);
  return {
    seconds,
    cpuSeconds: cpu('User') + cpu('System'),
    peakMb: peak ? Number(peak[1]) / 1024 : NaN,
    code: run.status,
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-har-'));
try {
  const file = path.join(dir, 'bench.har');
  await writeChatCallsHar(file, COUNT);
  console.log(
    `HAR import bench: ${COUNT} entries, ${(fs.statSync(file).size / 1024 ** 2).toFixed(0)} MB, wirelog ${BIN}`,
  );

  const cli = cliImport(file, path.join(dir, 'cli'));
  console.log(
    `wirelog import: ${cli.seconds.toFixed(1)} s (${cli.cpuSeconds.toFixed(1)} CPU-s), peak RSS ${cli.peakMb.toFixed(0)} MB, load ${os.loadavg()[0].toFixed(1)}${cli.code === 0 ? '' : ` (exit ${cli.code})`}`,
  );

  const { upstream, wirelog, agent } = await startBench(dir, path.join(dir, 'viewer'));
  try {
    await traffic(agent, upstream.ready.httpsUrl, null, 200); // warm-up
    console.log(`proxied requests, no import: ${summary(await traffic(agent, upstream.ready.httpsUrl, null, 2000))}`);
    const started = performance.now();
    const imported = request(`${wirelog.viewerUrl}/api/import?name=bench.har`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: fs.createReadStream(file),
      headersTimeout: 0,
      bodyTimeout: 0,
    }).then(async (res) => ({ status: res.statusCode, text: (await res.body.text()).slice(0, 200) }));
    const during = await traffic(agent, upstream.ready.httpsUrl, imported, 0);
    const answer = await imported;
    console.log(
      `viewer import: ${((performance.now() - started) / 1000).toFixed(1)} s (${answer.status} ${answer.text.slice(0, 60)}…)`,
    );
    console.log(`proxied requests during it: ${summary(during)}`);
  } finally {
    await agent.close();
    await stopWirelog(wirelog);
    await upstream.stop();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
