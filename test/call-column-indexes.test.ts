// Issue 28, schema 22: fewer index entries per stored row. The columns only a model call has
// (model, thread, response id, dialect) are indexed for the rows that have them, and
// exchanges_started (which exchanges_sort_time duplicates) is gone. Checked by plans, not times
// (SQLite keeps no statistics here: the plan seen over these rows is the one a million get): each
// filter term walks its schema-22 index, `since` and retention's age the time's index; and an
// upgrade from schema 21 finds every row the same way before, during and after the build that
// creates the new indexes and drops the replaced ones after start.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexBuild, indexBuildProgress } from '../db/index-build.ts';
import { ExchangeReader, type ExchangeFilter } from '../db/reader.ts';
import { startedBefore } from '../db/retention.ts';
import { DatabaseOpenError, SCHEMA_VERSION, databasePath, openDatabase, type Db } from '../db/schema.ts';
import { tempDir } from './support/harness.ts';

const ROWS = 900;
const BOUNDS = { probeCap: 40, countCap: 150, countScan: 200, firstWalk: 30, sideProbe: 300 };
const NEW = ['exchanges_call_model', 'exchanges_call_thread', 'exchanges_call_response_id', 'exchanges_call_dialect'];
const REPLACED = [
  'exchanges_model',
  'exchanges_thread',
  'exchanges_response_id',
  'exchanges_dialect',
  'exchanges_started',
];
const T0 = 1_700_000_000_000;

interface Stored {
  id: number;
  host: string;
  started: number | string;
  model: string | null;
  thread: string | null;
  dialect: string | null;
  responseId: string | null;
}

/** A third GET rows with no call columns (what schema 22 leaves out of four indexes), the rest calls of two models, some started_at damaged. */
function fill(db: Db): Stored[] {
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version,
      request_headers, status, state, thread_key, dialect, model, response_id, input_tokens, to_index)
    VALUES (@uid, @started, '127.0.0.1', @method, 'https', @host, 443, '/v1/x', '1.1', '[]', 200, 'complete', @thread, @dialect,
      @model, @responseId, @tokens, 0)`);
  const rows: Stored[] = [];
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const call = i % 3 !== 0;
      const host = ['a.example', 'b.example'][i % 2];
      const row = {
        uid: `r${i}`,
        // Out of id order here and there (a long request that started earlier), and a few damaged.
        started: i % 47 === 0 ? 'not a time' : T0 + i * 10 - (i % 5 === 0 ? 35 : 0),
        method: call ? 'POST' : 'GET',
        host,
        thread: call ? `thread-${i % 7}` : null,
        dialect: call ? (i % 4 === 0 ? 'anthropic-messages' : 'openai-chat') : null,
        model: call ? (i % 5 === 0 ? 'small-model' : 'big-model') : null,
        responseId: call ? `resp_${i}` : null,
        tokens: call ? (i * 37) % 1000 : null,
      };
      const { lastInsertRowid } = insert.run(row);
      rows.push({ id: Number(lastInsertRowid), ...row });
    }
  })();
  return rows;
}

/** Every statement the code prepares, with SQLite's plan for it (its parameters bound as it runs). */
function tracePlans(db: Db): Map<string, string> {
  const plans = new Map<string, string>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    if (!/^\s*SELECT/i.test(sql)) return statement;
    const explain = prepare(`EXPLAIN QUERY PLAN ${sql}`);
    for (const method of ['all', 'get'] as const) {
      const run = statement[method].bind(statement) as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (!plans.has(sql))
          plans.set(sql, (explain.all(...args) as { detail: string }[]).map((r) => r.detail).join(' | '));
        return run(...args);
      };
    }
    return statement;
  }) as Db['prepare'];
  return plans;
}

const FILTERS: [string, ExchangeFilter, (r: Stored) => boolean][] = [
  ['a model', { model: 'small-model' }, (r) => r.model === 'small-model'],
  ['a thread', { thread: 'thread-3' }, (r) => r.thread === 'thread-3'],
  ['a dialect', { dialect: 'anthropic-messages' }, (r) => r.dialect === 'anthropic-messages'],
  [
    'a dialect and a host',
    { dialect: 'openai-chat', host: 'b.example' },
    (r) => r.dialect === 'openai-chat' && r.host === 'b.example',
  ],
  [
    'the newest by time',
    { since: T0 + (ROWS - 30) * 10 },
    (r) => typeof r.started === 'number' && r.started >= T0 + (ROWS - 30) * 10,
  ],
  [
    'a model since a time',
    { model: 'big-model', since: T0 + (ROWS / 2) * 10 },
    (r) => r.model === 'big-model' && typeof r.started === 'number' && r.started >= T0 + (ROWS / 2) * 10,
  ],
];

/** Every page of the filter, newest first, by its cursor; and sorted by tokens, by its cursor. */
function pages(reader: ExchangeReader, filter: ExchangeFilter): { newest: number[]; byTokens: number[] } {
  const newest: number[] = [];
  for (let before: number | undefined, n = 0; n < 100; n++) {
    const page = reader.summaries({ ...filter, before, limit: 25 }).map((s) => s.id);
    newest.push(...page);
    if (page.length < 25) break;
    before = page[page.length - 1];
  }
  const byTokens: number[] = [];
  for (let after: { value: number; id: number } | undefined, n = 0; n < 100; n++) {
    const page = reader.sortedSummaries({ ...filter, sort: 'tokens_in', sortAfter: after, limit: 25 });
    byTokens.push(...page.summaries.map((s) => s.id));
    if (!page.next) break;
    after = page.next;
  }
  return { newest, byTokens };
}

/** Every filter answers as the rows say: each page, a sorted walk, the exact count; every row by its response id and by id. */
function expectFindable(db: Db, rows: Stored[], everyRow = true): void {
  const reader = new ExchangeReader(db, BOUNDS);
  for (const [what, filter, matches] of FILTERS) {
    const expected = rows
      .filter(matches)
      .map((r) => r.id)
      .sort((a, b) => b - a);
    const { newest, byTokens } = pages(reader, filter);
    expect(newest, what).toEqual(expected);
    expect(
      [...byTokens].sort((a, b) => b - a),
      what,
    ).toEqual(expected);
    expect(reader.count(filter), what).toBe(expected.length);
    expect(reader.listIds({ ...filter, after: 0, limit: ROWS }), what).toEqual([...expected].reverse());
  }
  if (!everyRow) return;
  const byResponse = db.prepare('SELECT id FROM exchanges WHERE response_id = ? ORDER BY id DESC LIMIT 1');
  for (const r of rows) {
    if (r.responseId) expect(byResponse.get(r.responseId)).toEqual({ id: r.id });
    expect(reader.list({ id: r.id }).map((e) => e.uid)).toEqual([`r${r.id - 1}`]);
  }
}

/** The indexes of exchanges the store has now. */
function indexes(db: Db): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exchanges'`)
    .pluck()
    .all() as string[];
}

/** Runs the after-start build to its end, as the storage thread does (a step per turn), checking `between` after each step. */
function build(db: Db, between: () => void): string[] {
  const said: string[] = [];
  const queue: (() => void)[] = [];
  const run = new IndexBuild(() => db, ((key: string) => key) as never, {
    later: (next) => void queue.push(next),
    storeWaiting: () => true,
    say: (line) => void said.push(line),
  });
  run.start();
  for (let turns = 0; queue.length && turns < 100; turns++) {
    queue.shift()?.();
    between();
  }
  expect(queue).toEqual([]);
  return said;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const done of cleanup.splice(0)) done();
});

function store(upTo = SCHEMA_VERSION): { dir: string; db: Db } {
  const dir = tempDir('wirelog-call-indexes-');
  const db = openDatabase(dir, upTo);
  cleanup.push(() => {
    if (db.open) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, db };
}

describe('schema 22: call columns indexed where a call has them', () => {
  it("a new store has schema 22's indexes, not the ones they replace, and a GET row enters none of them", () => {
    const { db } = store();
    expect(indexes(db)).toEqual(expect.arrayContaining([...NEW, 'exchanges_sort_time']));
    for (const name of REPLACED) expect(indexes(db)).not.toContain(name);
    const rows = fill(db);
    const calls = rows.filter((r) => r.model !== null).length;
    for (const [index, column] of [
      ['exchanges_call_model', 'model'],
      ['exchanges_call_thread', 'thread_key'],
      ['exchanges_call_response_id', 'response_id'],
      ['exchanges_call_dialect', 'dialect'],
    ])
      expect(
        db.prepare(`SELECT count(*) FROM exchanges INDEXED BY ${index} WHERE ${column} IS NOT NULL`).pluck().get(),
        index,
      ).toBe(calls);
  });

  it('each filter term walks its schema-22 index, `since` the time index, and no query scans the table', () => {
    const { db } = store();
    const rows = fill(db);
    const plans = tracePlans(db);
    const reader = new ExchangeReader(db, BOUNDS);
    const expectPlans = (ask: () => void, uses: RegExp) => {
      plans.clear();
      ask();
      const all = [...plans.values()];
      expect(
        all.some((plan) => uses.test(plan)),
        `${uses} in:\n${all.join('\n')}`,
      ).toBe(true);
      // A whole-table walk only as the unfiltered newest-first order (the rowid, stopping at the page's limit).
      for (const [sql, plan] of plans)
        for (const step of plan.split(' | '))
          expect(/^SCAN exchanges(?! USING)/.test(step) && !/NOT INDEXED|ORDER BY id DESC/.test(sql), sql).toBe(false);
    };
    for (const [what, filter] of FILTERS) {
      const uses = filter.model
        ? /exchanges_call_model \(model=\?/
        : filter.thread
          ? /exchanges_call_thread \(thread_key=\?/
          : filter.dialect
            ? /exchanges_call_dialect \(dialect=\?/
            : /exchanges_sort_time \(<expr>>\?\)/;
      expectPlans(() => {
        reader.summaries({ ...filter, limit: 25 });
        reader.countUpTo(filter);
      }, uses);
      // The exact count: through the term's index, or one that decides more of it (a model's time index).
      expectPlans(
        () => reader.count(filter),
        filter.model && filter.since ? /exchanges_model_sort_time \(model=\? AND <expr>>\?\)/ : uses,
      );
      if (what === 'the newest by time')
        expectPlans(
          () => reader.sortedSummaries({ ...filter, sort: 'time', limit: 25 }),
          /SEARCH exchanges USING COVERING INDEX exchanges_sort_time \(<expr>>\?\)/,
        );
    }
    // Export's --since start, and the thread of a response (capture-store), through the index.
    expectPlans(() => reader.firstIdSince(T0 + 100), /exchanges_sort_time \(<expr>>\?\)/);
    expect(
      db
        .prepare('EXPLAIN QUERY PLAN SELECT thread_key FROM exchanges WHERE response_id = ? ORDER BY id DESC LIMIT 1')
        .all('resp_1')
        .map((r) => (r as { detail: string }).detail)
        .join(' | '),
    ).toMatch(/exchanges_call_response_id \(response_id=\?\)/);
    // Retention's age: the walk by id bounded by the newest old row, found in the time index.
    const aged = startedBefore(T0 + 100);
    const age = `SELECT id FROM exchanges WHERE ${aged.where} ORDER BY id LIMIT 50`;
    expect(
      (db.prepare(`EXPLAIN QUERY PLAN ${age}`).all(...aged.params) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | '),
    ).toBe(
      'SEARCH exchanges USING INTEGER PRIMARY KEY (rowid<?) | SCALAR SUBQUERY 1 | SEARCH exchanges USING COVERING INDEX exchanges_sort_time (<expr>>? AND <expr><?)',
    );
    // The rows it finds: the old ones with a time, by id (a damaged time is never old).
    expect(
      db
        .prepare(`SELECT id FROM exchanges WHERE ${aged.where} ORDER BY id`)
        .pluck()
        .all(...aged.params),
    ).toEqual(rows.filter((r) => typeof r.started === 'number' && r.started < T0 + 100).map((r) => r.id));
  });

  it('a schema-21 store upgraded to 22 finds every row before, during and after the build after start; a newer store is refused', () => {
    const { dir, db: at21 } = store(21);
    const rows = fill(at21);
    at21.close();

    const db = openDatabase(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(22);
    // The migration names them and builds or drops nothing: a store with rows gets them after start.
    for (const name of REPLACED) expect(indexes(db)).toContain(name);
    for (const name of NEW) expect(indexes(db)).not.toContain(name);
    const progress = indexBuildProgress(db);
    expect(progress && progress.total - progress.indexed).toBe(NEW.length + REPLACED.length);
    expectFindable(db, rows);

    const seen: string[][] = [];
    const said = build(db, () => {
      seen.push(indexes(db).filter((n) => NEW.includes(n) || REPLACED.includes(n)));
      // Between steps the filters (each row by id and response id before and after: the same lookups).
      expectFindable(db, rows, false);
    });
    expect(said).toEqual(['indexBuild.console.building', 'indexBuild.console.built']);
    // Every new index built before the first replaced one is dropped: a filter always has one of the two.
    const firstDrop = seen.findIndex((names) => REPLACED.some((n) => !names.includes(n)));
    expect(firstDrop).toBe(NEW.length);
    expect(seen[firstDrop]).toEqual(expect.arrayContaining(NEW));
    expect(seen[seen.length - 1].sort()).toEqual([...NEW].sort());
    expect(indexBuildProgress(db)).toBeNull();
    expectFindable(db, rows);
    db.close();

    // A store from a newer wirelog is still refused, unchanged.
    const newer = openDatabase(dir);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => openDatabase(dir)).toThrow(DatabaseOpenError);
    expect(fs.existsSync(databasePath(dir))).toBe(true);
  });
});
