// bench/list-sort.ts --store DIR: every sort the viewer offers with every filter it offers, on a
// store already made (a million calls from bench/scale.ts --keep), opened read-only (no
// migration, nothing written: a store of a later schema reads as well). Each combination's first
// page (100 rows) and its count are timed on a fresh connection ("first": SQLite's cache empty,
// the statements prepared), then again on the same one ("warm", median of 3).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

type Filter = Record<string, string | number | undefined>;
interface Reader {
  summaries(filter: object): unknown[];
  sortedSummaries(filter: object): { summaries: unknown[] };
  countUpTo(filter: object): { count: number; atLeast: boolean };
}

const SORTS = [undefined, 'time', 'tokens_in', 'tokens_out', 'ttft', 'size', 'duration'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The filters to time: each host, status class, state and model the store holds, a session, two searches. */
function filtersOf(db: Database.Database): [string, Filter][] {
  const values = (column: string) =>
    db
      .prepare(`SELECT DISTINCT ${column} AS v FROM exchanges WHERE ${column} IS NOT NULL LIMIT 20`)
      .pluck()
      .all() as string[];
  const hosts = db
    .prepare('SELECT host FROM exchanges INDEXED BY exchanges_host GROUP BY host')
    .pluck()
    .all() as string[];
  const thread = db
    .prepare('SELECT thread_key FROM exchanges WHERE thread_key IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET 5000')
    .pluck()
    .get() as string;
  // The newest tenth or so by time (the list's `since`, export's --since): exchanges_sort_time's range.
  const since = db
    .prepare('SELECT started_at FROM exchanges ORDER BY id DESC LIMIT 1 OFFSET 100000')
    .pluck()
    .get() as number;
  return [
    ['none', {}],
    ...hosts.map((host): [string, Filter] => [`host ${host}`, { host }]),
    ...['2xx', '4xx', '5xx', '429'].map((status): [string, Filter] => [`status ${status}`, { status }]),
    ...['complete', 'upstream_error', 'interrupted'].map((state): [string, Filter] => [`state ${state}`, { state }]),
    ...values('model').map((model): [string, Filter] => [`model ${model}`, { model }]),
    [`session ${thread.slice(0, 12)}`, { thread }],
    ...values('dialect').map((dialect): [string, Filter] => [`dialect ${dialect}`, { dialect }]),
    ['since (newest 100,000)', { since }],
    // Two fields: each host's biggest and smallest share with a state or a status.
    [`host ${hosts[1]}, complete`, { host: hosts[1], state: 'complete' }],
    [`host ${hosts[0]}, 4xx`, { host: hosts[0], status: '4xx' }],
    ['model gpt-5-codex, upstream_error', { model: 'gpt-5-codex', state: 'upstream_error' }],
    ['search zanzibarquill', { text: 'zanzibarquill' }],
    ['search workspace', { text: 'workspace' }],
  ];
}

export async function timeStore(dir: string, readerFile?: string): Promise<void> {
  const file = path.join(dir, 'wirelog.sqlite');
  const { ExchangeReader } = (await import(readerFile ?? '../db/reader.ts')) as {
    ExchangeReader: new (db: Database.Database) => Reader;
  };
  const open = () => new Database(file, { readonly: true, fileMustExist: true });
  const probe = open();
  const filters = filtersOf(probe);
  probe.close();
  console.log(
    `${readerFile ?? 'db/reader.ts'} on ${file}; load ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`${'filter'.padEnd(34)}${SORTS.map((s) => (s ?? 'newest').padStart(16)).join('')}`);
  const worst: number[] = [];
  for (const [name, filter] of filters) {
    const cells: string[] = [];
    for (const sort of SORTS) {
      const db = open();
      const reader = new ExchangeReader(db);
      const page = () => {
        const rows = sort
          ? reader.sortedSummaries({ ...filter, sort, limit: 100 }).summaries
          : reader.summaries({ ...filter, limit: 100 });
        reader.countUpTo(filter);
        return rows.length;
      };
      const t = performance.now();
      page();
      const first = performance.now() - t;
      const warm: number[] = [];
      for (let i = 0; i < 3; i++) {
        const w = performance.now();
        page();
        warm.push(performance.now() - w);
      }
      db.close();
      worst.push(first);
      cells.push(`${first.toFixed(0)}/${median(warm).toFixed(0)}`.padStart(16));
    }
    console.log(`${name.slice(0, 33).padEnd(34)}${cells.join('')}`);
  }
  console.log(
    `first page + count, first/warm ms; slowest first: ${Math.max(...worst).toFixed(0)} ms; load ${(
      await import('node:os')
    )
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}
