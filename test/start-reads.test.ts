// Issue 28: `wirelog start` at a million stored exchanges listens in under a second only if
// nothing it runs at start reads every row. wirelog runs here with test/support/sql-trace.mjs
// loaded into every thread: each SQL statement it runs is written with SQLite's query plan, and
// no plan of what start (and the viewer's status poll) runs may be a pass over the exchanges: a
// `SCAN exchanges`, or a walk of the rowid from an open end (`rowid>?`). Plans, not timings:
// SQLite's planner has no statistics in either case, so a plan seen over 3,000 rows is the one a
// million rows get. The list's own filters are checked the same way (count and first page).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { startWirelogProcess, type WirelogProcess } from './support/cli.ts';

const TRACE_HOOK = fileURLToPath(new URL('./support/sql-trace.mjs', import.meta.url));
const ROWS = 3000;

interface Traced {
  thread: number;
  how: string;
  sql: string;
  plan: string[];
}

/** A plan line that reads every row of a table of captures. */
const readsEveryRow = (line: string) =>
  /^SCAN (exchanges|bodies|sse_events|ws_messages)\b/.test(line) ||
  /^SEARCH (exchanges|bodies|sse_events|ws_messages) USING INTEGER PRIMARY KEY \(rowid>\?\)$/.test(line);

/** Rows as a store after a long run holds them: calls to a few hosts with statuses, threads, and some rows an earlier run left open. */
function fill(db: Db): void {
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, status, state, thread_key, dialect, to_index)
    VALUES (?, ?, '127.0.0.1', 'POST', 'https', ?, 443, '/v1/responses', '1.1', '[]', ?, ?, ?, 'openai-responses', 0)`);
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const open = i % 997 === 0;
      insert.run(
        `r${i}`,
        1_700_000_000_000 + i,
        `relay${i % 3}.example`,
        open ? null : [200, 200, 429, 502][i % 4],
        open ? 'streaming' : 'complete',
        `thread-${Math.floor(i / 40)}`,
      );
    }
  })();
}

function traced(file: string): Traced[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Traced)
    : [];
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('start reads no row it does not need', () => {
  let dir: string;
  let trace: string;
  let wirelog: WirelogProcess | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-start-reads-'));
    const dataDir = path.join(dir, 'data');
    const db = openDatabase(dataDir);
    fill(db);
    db.close();
    trace = path.join(dir, 'trace.jsonl');
    wirelog = await startWirelogProcess(dataDir, [], {
      env: { NODE_OPTIONS: `--import ${TRACE_HOOK}`, WIRELOG_SQL_TRACE: trace },
    });
    // What start set going in the storage thread has run: the sweep of rows left open marked them (3 of them), and the indexer looked for work.
    await until(
      'the leftover sweep',
      () =>
        traced(trace).some((t) => /SET state = 'interrupted'/.test(t.sql)) &&
        traced(trace).some((t) => /to_index = 2/.test(t.sql) && /ORDER BY/.test(t.sql)),
    );
    const status = await fetch(`${wirelog.viewerUrl}/api/status`, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(status.status).toBe(200);
    await status.arrayBuffer();
  }, 60_000);

  afterAll(async () => {
    await wirelog?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs no statement at start, or for the status poll, whose plan reads every stored exchange', async () => {
    await until('the swept rows marked', () => {
      const db = openDatabase(path.join(dir, 'data'));
      try {
        return (
          (db.prepare("SELECT count(*) AS n FROM exchanges WHERE state = 'interrupted'").get() as { n: number }).n ===
          Math.ceil(ROWS / 997)
        );
      } finally {
        db.close();
      }
    });
    const statements = traced(trace).filter((t) => t.how === 'run');
    // The trace saw both threads: the storage thread (start's sweep, the indexer) and the main one (the status poll).
    expect(new Set(statements.map((t) => t.thread)).size).toBeGreaterThanOrEqual(2);
    const passes = statements
      .filter((t) => t.plan.some(readsEveryRow))
      .map((t) => `${t.sql.replace(/\s+/g, ' ')}\n    ${t.plan.join(' | ')}`);
    expect(passes).toEqual([]);
  });
});

describe("the list's filters", () => {
  it('count and page through an index, for host, status (exact and class), session', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-filter-plans-'));
    const db = openDatabase(dir);
    try {
      fill(db);
      const run: string[] = [];
      const prepare = db.prepare.bind(db);
      // Every statement the reader prepares, kept to be explained with the values it ran with.
      const plans: { sql: string; plan: string[] }[] = [];
      db.prepare = ((sql: string) => {
        const statement = prepare(sql);
        for (const method of ['all', 'get', 'iterate'] as const) {
          const original = statement[method].bind(statement) as (...args: unknown[]) => unknown;
          (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
            run.push(sql);
            plans.push({
              sql,
              plan: (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail),
            });
            return original(...args);
          };
        }
        return statement;
      }) as Db['prepare'];
      const reader = new ExchangeReader(db);
      // A page of a status class alone walks ids newest first up to its limit (db/reader.ts: through the
      // index it would sort every match), so only its count is checked here; with a host, the host's index serves it.
      for (const filter of [
        { host: 'relay1.example' },
        { status: '5xx' },
        { status: '429' },
        { thread: 'thread-7' },
        { host: 'relay2.example', status: '4xx' },
      ]) {
        if (filter.status !== '5xx') expect(reader.summaries({ ...filter, limit: 100 }).length).toBeGreaterThan(0);
        expect(reader.count(filter)).toBeGreaterThan(0);
      }
      expect(run.length).toBeGreaterThanOrEqual(9);
      const passes = plans
        .filter((p) => p.plan.some(readsEveryRow))
        .map((p) => `${p.sql.replace(/\s+/g, ' ').slice(0, 300)}\n    ${p.plan.join(' | ')}`);
      expect(passes).toEqual([]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
