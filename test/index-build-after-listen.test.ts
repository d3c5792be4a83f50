// Schema 17's indexes (the list's filters, and schema 15's two) are built after wirelog listens,
// not in the migration (issue 28: about 9 s before listening at a million exchanges). A store
// made at schema 16 with rows is upgraded to a list of wanted indexes, none built; wirelog
// listens while sqlite_master lacks them (the test holds the write lock, as a backup tool would,
// so that "meanwhile" lasts as long as it checks); every list filter answers as a brute-force
// filter of the rows does; once the lock is let go the storage thread builds them, and the
// reader, on another thread, takes them up. A run killed mid-build builds the rest at the next start.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startWirelog, type Wirelog } from '../cli/instance.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { TermProber } from '../db/filter-plan.ts';
import type { ExchangeFilter } from '../db/reader.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { startWirelogProcess } from './support/cli.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { eventually, lockDatabase, tempDir } from './support/harness.ts';

const WANTED = [
  'exchanges_status',
  'exchanges_host_status',
  'exchanges_method',
  'exchanges_unfinished',
  'exchanges_open',
  // Schema 19's: a filter sorted by a figure (db/filter-plan.ts figuresIndex).
  ...['host', 'model'].flatMap((term) =>
    ['time', 'tokens_in', 'tokens_out', 'ttft', 'size', 'duration'].map((sort) => `exchanges_${term}_sort_${sort}`),
  ),
  'exchanges_status_figures',
  'exchanges_unfinished_figures',
  // Schema 22's: the call columns' indexes for the rows that have them.
  'exchanges_call_model',
  'exchanges_call_thread',
  'exchanges_call_response_id',
  'exchanges_call_dialect',
];
/** The indexes schema 22 replaces, dropped one a step once every wanted one is built. */
const DROPPED = [
  'exchanges_model',
  'exchanges_thread',
  'exchanges_response_id',
  'exchanges_dialect',
  'exchanges_started',
];
/** The build's steps from a schema-16 store: each wanted index built, each replaced one dropped. */
const STEPS = WANTED.length + DROPPED.length;
const HOSTS = ['a.example', 'b.example', 'c.example'];
const METHODS = ['POST', 'GET', 'PUT'];
const STATUSES = [200, 200, 401, 404, 500, 503, 200];

/** A store at schema 16 (before the list of wanted indexes) holding 300 finished exchanges of three hosts, methods, five statuses, some failed. */
function storeAt16(): string {
  const dir = tempDir('wirelog-index-build-');
  const db = openDatabase(dir, 16);
  const store = new CaptureStore(db);
  for (let i = 1; i <= 300; i++) {
    const events: ExchangeEvent[] = finishedExchange(
      i,
      { host: HOSTS[i % 3], method: METHODS[i % 4 === 0 ? 1 : i % 7 === 0 ? 2 : 0] },
      STATUSES[i % STATUSES.length],
    );
    const end = events[events.length - 1];
    if (end.type === 'end' && i % 11 === 0) Object.assign(end, { state: 'upstream_error', error: 'upstream reset' });
    store.apply(events);
  }
  db.close();
  return dir;
}

/** The replaced indexes sqlite_master still holds. */
function replaced(dir: string): string[] {
  const db = new Database(databasePath(dir), { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[];
    return DROPPED.filter((n) => names.includes(n));
  } finally {
    db.close();
  }
}

/** The wanted indexes sqlite_master holds, read by a connection of the test's own. */
function existing(dir: string): string[] {
  const db = new Database(databasePath(dir), { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[];
    return WANTED.filter((n) => names.includes(n));
  } finally {
    db.close();
  }
}

interface Row {
  id: number;
  host: string;
  method: string;
  status: number | null;
  state: string;
}

const FILTERS: ExchangeFilter[] = [
  { method: 'GET' },
  { method: 'PUT', host: 'b.example' },
  { state: 'upstream_error' },
  { state: 'upstream_error', host: 'c.example' },
  { status: '401' },
  { status: '4xx' },
  { status: '5xx', host: 'a.example' },
  { status: '404', host: 'b.example', method: 'POST' },
  { host: 'c.example' },
];

/** The filter applied to every row in JS: what the list must answer, newest first. */
function bruteForce(rows: Row[], f: ExchangeFilter): number[] {
  const cls = f.status && /^\dxx$/.test(f.status) ? Number(f.status[0]) : null;
  return rows
    .filter(
      (r) =>
        (!f.host || r.host === f.host) &&
        (!f.method || r.method === f.method) &&
        (!f.state || r.state === f.state) &&
        (!f.status ||
          (cls === null ? r.status === Number(f.status) : r.status !== null && Math.floor(r.status / 100) === cls)),
    )
    .map((r) => r.id)
    .sort((a, b) => b - a);
}

/** Each filter's page and count, as wirelog's own reader answers them, beside the brute-force answer. */
function answers(wirelog: Wirelog, dir: string) {
  const db = new Database(databasePath(dir), { readonly: true });
  const rows = db.prepare('SELECT id, host, method, status, state FROM exchanges').all() as Row[];
  db.close();
  return FILTERS.map((f) => ({
    filter: f,
    listed: wirelog.reader.summaries({ ...f, limit: 1000 }).map((s) => s.id),
    counted: wirelog.reader.countUpTo(f).count,
    expected: bruteForce(rows, f),
  }));
}

function expectCorrect(found: ReturnType<typeof answers>): void {
  for (const { filter, listed, counted, expected } of found) {
    expect(expected.length, JSON.stringify(filter)).toBeGreaterThan(0);
    expect(listed, JSON.stringify(filter)).toEqual(expected);
    expect(counted, JSON.stringify(filter)).toBe(expected.length);
  }
}

const CONFIG = {
  host: '127.0.0.1',
  proxyPort: 0,
  uiPort: 0,
  keepSecrets: false,
  insecureUpstream: false,
  maxBodyMb: 50,
  connectTimeoutS: 30,
  idleTimeoutS: 600,
  maxDbMb: 2048,
};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

describe('schema 17 indexes built after wirelog listens', () => {
  it('a schema-16 store listens before its indexes exist, filters answer meanwhile, and they are built after', async () => {
    const dir = storeAt16();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    // What `wirelog start` does first: the migration names the indexes and builds none (rows exist).
    openDatabase(dir).close();
    expect(existing(dir)).toEqual([]);
    expect(replaced(dir)).toEqual(DROPPED);

    let release: (() => void) | null = lockDatabase(dir);
    cleanup.push(() => release?.());
    const logs: string[] = [];
    const events: string[] = [];
    const wirelog = await startWirelog({ ...CONFIG, dataDir: dir }, (m) => {
      logs.push(m);
      if (m.includes('list filters:'))
        events.push(`said: ${m.includes('this upgrade') ? 'building' : 'built'} with ${existing(dir).length} built`);
    });
    cleanup.push(() => wirelog.stop());
    events.push(`listening with ${existing(dir).length} built`);
    expect(wirelog.proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(wirelog.reader.indexBuild()).toEqual({ indexed: 0, total: STEPS });

    // Meanwhile (no index of schema 17 exists): the plan leaves them out, and every answer is right.
    // A reader's prober on a connection of its own, as the viewer's is on another thread than the build.
    const own = new Database(databasePath(dir), { readonly: true });
    cleanup.push(() => void own.close());
    const prober = new TermProber((sql) => own.prepare(sql), '1');
    const methodTerm = { index: 'exchanges_method', sql: 'method = @method', idOrdered: true, fields: ['method'] };
    expect(prober.probe([methodTerm], { method: 'GET' })).toEqual([]);
    expectCorrect(answers(wirelog, dir));
    expect(existing(dir)).toEqual([]);

    release();
    release = null;
    await eventually(() => logs.some((m) => m.includes('indexes updated in')), 'the build to finish', 60_000);
    expect(existing(dir)).toEqual(WANTED);
    expect(replaced(dir)).toEqual([]);
    expect(events[0]).toBe('listening with 0 built');
    // Said once it listened (its building line reaches the console as the first step may be under way).
    expect(events.filter((e) => e.startsWith('said')).map((e) => e.split(' with ')[0])).toEqual([
      'said: building',
      'said: built',
    ]);
    expect(logs.find((m) => m.includes('list filters: this upgrade'))).toContain(
      `(${WANTED.length} to build, ${DROPPED.length} replaced to drop)`,
    );
    expect(wirelog.reader.indexBuild()).toBeNull();
    // The same prober takes the index up once it exists (the schema changed), and the answers stay right.
    expect(prober.probe([methodTerm], { method: 'GET' }).map((t) => t.index)).toEqual(['exchanges_method']);
    expectCorrect(answers(wirelog, dir));
  }, 120_000);

  it('a run killed mid-build builds the rest after the next start', async () => {
    const dir = storeAt16();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase(dir);
    // A killed run left two built (CREATE INDEX commits whole: an index exists or not).
    for (const name of WANTED.slice(0, 2))
      db.exec(`${db.prepare('SELECT sql FROM indexes_wanted WHERE name = ?').pluck().get(name) as string};`);
    db.close();
    expect(existing(dir)).toEqual(WANTED.slice(0, 2));

    // The next run is killed while it builds (the lock holds its CREATE INDEX until the kill).
    let release: (() => void) | null = lockDatabase(dir);
    cleanup.push(() => release?.());
    const killed = await startWirelogProcess(dir);
    cleanup.push(() => void (killed.child.exitCode === null && killed.child.kill('SIGKILL')));
    await eventually(
      () => killed.output().includes(`(${WANTED.length - 2} to build, ${DROPPED.length} replaced to drop)`),
      `the build to start, in:\n${killed.output()}`,
      60_000,
    );
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await exited;
    release();
    release = null;
    expect(existing(dir)).toEqual(WANTED.slice(0, 2));

    const logs: string[] = [];
    const wirelog = await startWirelog({ ...CONFIG, dataDir: dir }, (m) => logs.push(m));
    cleanup.push(() => wirelog.stop());
    await eventually(() => logs.some((m) => m.includes('indexes updated in')), 'the build to finish', 60_000);
    expect(logs.find((m) => m.includes('list filters: this upgrade'))).toContain(
      `(${WANTED.length - 2} to build, ${DROPPED.length} replaced to drop)`,
    );
    expect(logs.find((m) => m.includes('indexes updated in'))).toContain(
      `(${WANTED.length - 2} built, ${DROPPED.length} dropped)`,
    );
    expect(existing(dir)).toEqual(WANTED);
    expect(replaced(dir)).toEqual([]);
    expectCorrect(answers(wirelog, dir));
  }, 120_000);
});
