// `wirelog start` to listening on a store made at schema 16 (issue 28): before, migration 17
// created three indexes before the proxy listened (about 9 s at a million exchanges); now they are
// built after it listens, on the storage thread (db/index-build.ts). Builds alternate on one copy
// of the store, put back to schema 16 before each run (the three indexes and the list of wanted
// ones dropped); each run waits for the build's last console line, then stops. Then each index
// of schema 17 created alone as the storage thread does (its connection's settings), timed: a
// capture batch waits for one at most.
//
//   cp -r /work/scale/1m /work/scale/mine   (a schema-16 or 17 store: never the shared one)
//   npx tsx bench/upgrade-start.ts --data-dir /work/scale/mine [--rounds 2] [--bin before/bin/wirelog.js ...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { databasePath } from '../db/schema.ts';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS } from '../test/support/cli.ts';
import { freePort, trackPid } from './soak/processes.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    rounds: { type: 'string', default: '2' },
    bin: { type: 'string', multiple: true },
  },
});
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir: a copy of a generated store (bench/scale.ts --keep), not the shared one');
const bins = [...(values.bin ?? []), WIRELOG_BIN];
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const SCHEMA_17 = ['exchanges_method', 'exchanges_unfinished', 'exchanges_host_status'];
const WANTED: [string, string][] = [
  ['exchanges_status', 'CREATE INDEX exchanges_status ON exchanges (status)'],
  ['exchanges_host_status', 'CREATE INDEX exchanges_host_status ON exchanges (host, status)'],
  ['exchanges_method', 'CREATE INDEX exchanges_method ON exchanges (method)'],
  ['exchanges_unfinished', "CREATE INDEX exchanges_unfinished ON exchanges (state) WHERE state <> 'complete'"],
  ['exchanges_open', "CREATE INDEX exchanges_open ON exchanges (id) WHERE state IN ('pending', 'streaming')"],
];

/** The store as schema 16 left it: schema 15's indexes kept, 17's and its list dropped. */
function backTo16(): void {
  const db = new Database(databasePath(dataDir!));
  db.pragma('busy_timeout = 5000');
  for (const name of SCHEMA_17) db.exec(`DROP INDEX IF EXISTS ${name}`);
  db.exec('DROP TABLE IF EXISTS indexes_wanted');
  db.pragma('user_version = 16');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

/** One start on the schema-16 store: to listening, and the build's console lines with their times. */
async function upgradeStart(bin: string): Promise<string> {
  backTo16();
  const [proxyPort, uiPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const args = ['start', '--data-dir', dataDir!, '--proxy-port', String(proxyPort), '--ui-port', String(uiPort)];
  // Retention off in effect: the default would delete the oldest of a million rows.
  const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, bin, ...args, '--max-db-mb', String(1024 * 1024)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackPid(child.pid);
  let printed = '';
  const said: string[] = [];
  const heard = (d: Buffer) => {
    printed += d.toString();
    for (const line of d.toString().split('\n'))
      if (line.includes('list filters')) said.push(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${line}`);
  };
  child.stdout.on('data', heard);
  child.stderr.on('data', heard);
  let listeningMs: number | null = null;
  while (listeningMs === null) {
    if (child.exitCode !== null || performance.now() - t0 > 120_000) throw new Error(`did not listen:\n${printed}`);
    if (await accepts(proxyPort)) listeningMs = performance.now() - t0;
    else await new Promise((r) => setTimeout(r, 5));
  }
  const loadThen = load();
  // A build that has the list says it builds (within 5 s of listening) and when it finished (60 s
  // at most); one that created them in the migration says nothing.
  const listenedAt = performance.now();
  const waiting = () =>
    said.length > 0 ? performance.now() - listenedAt < 60_000 : performance.now() - listenedAt < 5000;
  while (!printed.includes('built in') && waiting()) await new Promise((r) => setTimeout(r, 100));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  return `${bin}: listening after ${listeningMs.toFixed(0)} ms (load ${loadThen})${said.map((s) => `\n    ${s}`).join('')}`;
}

for (let round = 0; round < Number(values.rounds); round++)
  for (const bin of bins) console.log(await upgradeStart(bin));

// Each index alone, on a connection set as the storage thread's (db/writer-worker.ts connect).
const db = new Database(databasePath(dataDir));
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -2000');
db.pragma('synchronous = NORMAL');
db.pragma('secure_delete = ON');
const rows = (db.prepare('SELECT max(id) - min(id) + 1 AS n FROM exchanges').get() as { n: number }).n;
for (const [name, sql] of WANTED) {
  db.exec(`DROP INDEX IF EXISTS ${name}`);
  const t = performance.now();
  db.exec(sql);
  console.log(
    `CREATE INDEX ${name} over ${rows.toLocaleString('en')} rows: ${(performance.now() - t).toFixed(0)} ms (load ${load()})`,
  );
}
db.close();
backTo16();
