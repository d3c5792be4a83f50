// A small store for the tests of the list's query plans (issue 28: test/sorted-filter-plans,
// test/sorted-search-walk, test/dialect-filter-walk). SQLite keeps no statistics, so the plan it
// picks over a few thousand rows is the one a million get; small plan bounds make every branch
// of the reader's planning reachable at that size. Each test fills the rows its plans need; the
// opening, the index build after start, the statement trace and the page walk are shared here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { indexesToBuild } from '../../db/index-build.ts';
import { type ExchangeFilter, type ExchangeReader, SORT_COLUMNS, type SortKey } from '../../db/reader.ts';
import { type Db, openDatabase } from '../../db/schema.ts';

/** The reader's plan bounds, small enough for every plan to be reached with a few thousand rows. */
export const PLAN_BOUNDS = { probeCap: 60, countCap: 200, countScan: 300, firstWalk: 40, sideProbe: 400 };
export const SORTS = Object.keys(SORT_COLUMNS) as SortKey[];

/** One exchange row: what the plans read (the rest as a finished POST to api.example). */
export interface PlanRow {
  uid: string;
  started: number | string;
  method?: string;
  host?: string;
  path?: string;
  status?: number | null;
  state?: string;
  thread?: string | null;
  dialect: string | null;
  model: string | null;
  tin: number | string | null;
  tout: number | string | null;
  ttft: number | string | null;
  size: number | string | null;
  timings: string;
}

/** Inserts rows as the storage thread leaves them once indexed (to_index 0). */
export function rowInserter(db: Db): (row: PlanRow) => void {
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version,
      request_headers, status, state, thread_key, dialect, model, input_tokens, output_tokens, ttft_ms, response_size, timings, to_index)
    VALUES (@uid, @started, '127.0.0.1', @method, 'https', @host, 443, @path, '1.1', '[]', @status, @state, @thread, @dialect, @model,
      @tin, @tout, @ttft, @size, @timings, 0)`);
  return (row) =>
    insert.run({
      method: 'POST',
      host: 'api.example',
      path: '/v1/x',
      status: 200,
      state: 'complete',
      thread: null,
      ...row,
    });
}

export interface PlanStore {
  dir: string;
  db: Db;
  close(): void;
}

/** A store filled in one transaction, with the indexes a store with rows gets after start (db/index-build.ts). */
export function openPlanStore(prefix: string, fill: (db: Db) => void): PlanStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wirelog-${prefix}-`));
  const db = openDatabase(dir);
  db.transaction(() => fill(db))();
  for (const { sql } of indexesToBuild(db)) db.exec(sql);
  return {
    dir,
    db,
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A SELECT the reader ran: its SQL, SQLite's plan for it with those parameters, and the rows it returned. */
export interface Ran {
  sql: string;
  plan: string[];
  params: unknown[];
  rows: number;
}

/** Every SELECT run from now on through statements prepared from now on (all, get, iterate), in order. */
export function traceSelects(db: Db): Ran[] {
  const ran: Ran[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    if (!/^\s*SELECT/i.test(sql)) return statement;
    const explain = prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const record = (params: unknown[]) => {
      const entry = {
        sql,
        plan: (explain.all(...params) as { detail: string }[]).map((r) => r.detail),
        params,
        rows: 0,
      };
      ran.push(entry);
      return entry;
    };
    const all = statement.all.bind(statement) as (...args: unknown[]) => unknown[];
    const get = statement.get.bind(statement) as (...args: unknown[]) => unknown;
    const iterate = statement.iterate.bind(statement) as (...args: unknown[]) => IterableIterator<unknown>;
    const traced = statement as unknown as Record<string, unknown>;
    traced.all = (...args: unknown[]) => {
      const rows = all(...args);
      record(args).rows = rows.length;
      return rows;
    };
    traced.get = (...args: unknown[]) => {
      const row = get(...args);
      record(args).rows = row === undefined ? 0 : 1;
      return row;
    };
    traced.iterate = function* (...args: unknown[]) {
      const entry = record(args);
      for (const row of iterate(...args)) {
        entry.rows++;
        yield row;
      }
    };
    return statement;
  }) as Db['prepare'];
  return ran;
}

/** Every page of a sorted list, each from the previous one's cursor. */
export function walkPages(reader: ExchangeReader, filter: ExchangeFilter, sort: SortKey, limit: number): number[] {
  const ids: number[] = [];
  let page = reader.sortedSummaries({ ...filter, sort, limit });
  for (let n = 0; n < 1000; n++) {
    ids.push(...page.summaries.map((s) => s.id));
    if (!page.next) return ids;
    page = reader.sortedSummaries({ ...filter, sort, limit, sortAfter: page.next });
  }
  throw new Error('more than 1,000 pages');
}
