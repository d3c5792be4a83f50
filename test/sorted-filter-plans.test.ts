// Issue 28: a filter sorted by a figure answers its first page at a million exchanges through
// schema 19's indexes (db/filter-plan.ts figuresIndex): a host's or a model's rows in the sort's
// order (a seek), a status's or an unfinished state's rows with every figure (their entries
// sorted, no row read). Checked by plans, not timings (SQLite has no statistics: the plan seen
// over these rows is the one a million get), with small plan bounds so that every plan is
// reached; and every page, walked to the end by its cursor, holds the same rows in the same order
// as the plain query with no index, over rows whose figures are missing, damaged or negative.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader, SORT_COLUMNS, type ExchangeFilter, type SortKey } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { statusRange } from '../model/exchange.ts';
import {
  openPlanStore,
  PLAN_BOUNDS as BOUNDS,
  type PlanStore,
  type Ran,
  rowInserter,
  SORTS,
  traceSelects,
  walkPages,
} from './support/plan-store.ts';

const ROWS = 2400;

/**
 * Calls to three hosts whose figures differ in scale (the big host's tokens above every other's),
 * one host with none; failures with no figures; some figures damaged (text), negative or real.
 */
function fill(db: Db): void {
  const insert = rowInserter(db);
  for (let i = 0; i < ROWS; i++) {
    const host = ['big.example', 'small.example', 'none.example'][i % 3];
    const failed = i % 11 === 0;
    const open = i % 301 === 0;
    const scale = host === 'big.example' ? 100_000 : 10;
    const figure = (k: number) =>
      failed || open || host === 'none.example'
        ? null
        : i % 97 === 0
          ? 'damaged'
          : i % 89 === 0
            ? -5
            : i % 83 === 0
              ? 7.5
              : scale + ((i * k) % 50);
    insert({
      uid: `r${i}`,
      started: i % 53 === 0 ? 'not a time' : 1_700_000_000_000 + ((i * 7) % 500),
      host,
      status: open ? null : failed ? [429, 502, 401][i % 3] : 200,
      // "interrupted": calls to the host with no model alone, more than the probe's cap (a state the big model has none of).
      state: open
        ? 'streaming'
        : failed && i % 2 === 0
          ? 'upstream_error'
          : host === 'none.example' && i % 5 === 0
            ? 'interrupted'
            : 'complete',
      thread: `thread-${Math.floor(i / 40)}`,
      dialect: host === 'none.example' ? null : 'openai-chat',
      model: host === 'none.example' ? null : host === 'big.example' ? 'big-model' : 'small-model',
      tin: figure(7),
      tout: figure(13),
      ttft: figure(3),
      size: failed ? 0 : (figure(31) ?? 0),
      timings: i % 71 === 0 ? 'not json' : JSON.stringify(failed && i % 4 === 0 ? {} : { end: (i * 17) % 900 }),
    });
  }
  // Search: "common" in half the rows (their own entry, or a part of every third row's body),
  // "rare" in a few; the rows without figures among both.
  const own = db.prepare(`INSERT INTO exchanges_search (rowid, url, request, response) VALUES (?, ?, '', '')`);
  db.prepare(`INSERT INTO part_search (rowid, text) VALUES (1, 'the common part'), (2, 'another part')`).run();
  const refer = db.prepare('INSERT INTO part_refs (part_id, exchange_id) VALUES (?, ?)');
  for (let id = 1; id <= ROWS; id++) {
    own.run(id, `https://x/${id % 4 === 0 ? 'common' : 'plain'}${id % 50 === 0 ? ' rare' : ''}`);
    refer.run(id % 3 === 0 ? 1 : 2, id);
  }
}

/** The first plan of each SELECT run, by its SQL, in the order first run. */
function firstPlans(ran: Ran[]): Map<string, string[]> {
  const plans = new Map<string, string[]>();
  for (const { sql, plan } of ran) if (!plans.has(sql)) plans.set(sql, plan);
  return plans;
}

/** The page's rows by the plain query: no plan, no index, the whole table sorted. */
function plainOrder(db: Db, filter: ExchangeFilter, sort: SortKey): number[] {
  const where = ['1'];
  const params: Record<string, unknown> = {};
  for (const [key, column] of [
    ['host', 'host'],
    ['state', 'state'],
    ['model', 'model'],
    ['thread', 'thread_key'],
  ] as const) {
    if (filter[key] === undefined) continue;
    where.push(`${column} = @${key}`);
    params[key] = filter[key];
  }
  const range = filter.status ? statusRange(filter.status) : null;
  if (range) {
    where.push('status >= @low AND status < @high');
    [params.low, params.high] = range;
  }
  if (filter.text) {
    where.push(`id IN (SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH @text
      UNION SELECT exchange_id FROM part_refs WHERE part_id IN (SELECT rowid FROM part_search WHERE part_search MATCH @text))`);
    params.text = filter.text;
  }
  return db
    .prepare(
      `SELECT id FROM exchanges NOT INDEXED WHERE ${where.join(' AND ')} ORDER BY ${SORT_COLUMNS[sort]} DESC, id DESC`,
    )
    .pluck()
    .all(params) as number[];
}

const FILTERS: [string, ExchangeFilter][] = [
  ['a big host', { host: 'big.example' }],
  ['a host whose figures sort after the big one', { host: 'small.example' }],
  ['a host with no figures', { host: 'none.example' }],
  ['a model', { model: 'small-model' }],
  ['a status class of failures', { status: '4xx' }],
  ['one status', { status: '502' }],
  ['the status class most rows have', { status: '2xx' }],
  ['a state of failures', { state: 'upstream_error' }],
  ['complete', { state: 'complete' }],
  ['a session', { thread: 'thread-7' }],
  ['a host and a status class', { host: 'small.example', status: '5xx' }],
  ['a model and a state', { model: 'big-model', state: 'upstream_error' }],
  ['a host and complete', { host: 'small.example', state: 'complete' }],
  ['a word in many rows', { text: 'common' }],
  ['a rare word', { text: 'rare' }],
  ['a word and a host', { text: 'common', host: 'none.example' }],
];

describe('a filter sorted by a figure (schema 19)', () => {
  let store: PlanStore;
  let db: Db;
  let ran: Ran[];
  let reader: ExchangeReader;

  beforeAll(() => {
    // A store with rows gets schema 19's indexes after start (db/index-build.ts): built there.
    store = openPlanStore('sorted-plans', fill);
    db = store.db;
    ran = traceSelects(db);
    reader = new ExchangeReader(db, BOUNDS);
  });
  afterAll(() => store.close());

  it('builds the indexes it names after start, every one of them', () => {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[];
    for (const sort of SORTS) {
      expect(names).toContain(`exchanges_host_sort_${sort}`);
      expect(names).toContain(`exchanges_model_sort_${sort}`);
    }
    expect(names).toEqual(expect.arrayContaining(['exchanges_status_figures', 'exchanges_unfinished_figures']));
  });

  for (const [what, filter] of FILTERS)
    it(`${what}: every page, each sort, the rows and order of the plain query`, () => {
      for (const sort of SORTS) {
        const expected = plainOrder(db, filter, sort);
        expect(expected.length, `${what} matches rows`).toBeGreaterThan(0);
        expect(walkPages(reader, filter, sort, 7), `${what}, sorted by ${sort}`).toEqual(expected);
      }
    });

  /** The plans of the statements a first page ran (the last ones prepared for it). */
  function pagePlans(filter: ExchangeFilter, sort: SortKey): [string, string[]][] {
    ran.length = 0;
    reader.sortedSummaries({ ...filter, sort, limit: 20 });
    return [...firstPlans(ran).entries()];
  }

  for (const sort of SORTS)
    it(`sorted by ${sort}: a host's and a model's page is a seek in their sort index, no sort of their rows`, () => {
      for (const [column, filter] of [
        ['host', { host: 'small.example' }],
        ['model', { model: 'small-model' }],
      ] as const) {
        const found = pagePlans(filter, sort).filter(([sql]) => sql.includes(`exchanges_${column}_sort_${sort}`));
        expect(found, `${column}, sorted by ${sort}`).toHaveLength(1);
        const plan = found[0][1].join(' | ');
        // The index holds the figure: no row read to sort or to check the filter.
        expect(plan).toContain(`USING COVERING INDEX exchanges_${column}_sort_${sort} (${column}=?)`);
        // In the sort's order: the walk stops at the page's limit. The one sort is the page's own 20 rows, read by id.
        expect(plan.match(/TEMP B-TREE/g)).toHaveLength(1);
        expect(found[0][1][0]).toBe('SEARCH exchanges USING INTEGER PRIMARY KEY (rowid=?)');
        // Nothing else walked: no sort index of the whole table, no row read to check the filter.
        expect(pagePlans(filter, sort).some(([sql]) => sql.includes(`exchanges_sort_${sort}`))).toBe(false);
      }
    });

  it('a failure class or state sorted by a figure: its entries in its figures index, no row read', () => {
    for (const [index, filter] of [
      ['exchanges_status_figures', { status: '4xx' }],
      ['exchanges_unfinished_figures', { state: 'upstream_error' }],
    ] as const) {
      for (const sort of SORTS) {
        const found = pagePlans(filter, sort).filter(([sql]) => sql.includes(index));
        expect(found, `${index}, sorted by ${sort}`).toHaveLength(1);
        expect(found[0][1].join(' | ')).toContain(`SEARCH exchanges USING COVERING INDEX ${index} (`);
      }
    }
  });

  it('a host and a status class: the host sort index walked, the status checked in its own index (no row read)', () => {
    const found = pagePlans({ host: 'small.example', status: '5xx' }, 'tokens_in').filter(([sql]) =>
      sql.includes('exchanges_host_sort_tokens_in'),
    );
    expect(found).toHaveLength(1);
    const plan = found[0][1].join(' | ');
    expect(plan).toContain('USING COVERING INDEX exchanges_host_sort_tokens_in (host=?)');
    expect(plan).toContain('USING COVERING INDEX exchanges_host_status (host=? AND status>? AND status<?)');
    expect(plan.match(/TEMP B-TREE/g)).toHaveLength(1);
  });

  it('a host and "complete": the host sort index walked, the rows that did not complete left out through their index', () => {
    const found = pagePlans({ host: 'small.example', state: 'complete' }, 'size').filter(([sql]) =>
      sql.includes('exchanges_host_sort_size'),
    );
    expect(found).toHaveLength(1);
    const plan = found[0][1].join(' | ');
    expect(plan).toContain('USING COVERING INDEX exchanges_host_sort_size (host=?)');
    expect(plan).toContain('USING COVERING INDEX exchanges_unfinished');
    expect(plan.match(/TEMP B-TREE/g)).toHaveLength(1);
  });

  it('a large model and a state none of its rows has: proved empty by walking the smaller side, each entry sought in the model index, no row read', () => {
    const filter: ExchangeFilter = { model: 'big-model', state: 'interrupted' };
    // Both sides are past the probe's cap: neither drives the page alone.
    const sides = db
      .prepare(`SELECT sum(model = 'big-model') AS model, sum(state = 'interrupted') AS state FROM exchanges`)
      .get() as { model: number; state: number };
    expect(sides.state).toBeGreaterThan(BOUNDS.probeCap);
    expect(sides.state).toBeLessThanOrEqual(BOUNDS.sideProbe);
    expect(sides.model).toBeGreaterThan(BOUNDS.sideProbe);
    for (const sort of [undefined, ...SORTS]) {
      // The plain query's rows: none.
      expect(sort ? plainOrder(db, filter, sort) : []).toEqual([]);
      ran.length = 0;
      const ids = sort
        ? walkPages(reader, filter, sort, 7)
        : reader.summaries({ ...filter, limit: 7 }).map((s) => s.id);
      expect(ids, String(sort)).toEqual([]);
      const plans = [...firstPlans(ran).entries()];
      // The walk: the state's entries, each sought in the model's index by rowid; no table row, no sort index.
      const walk = plans.filter(([sql]) => sql.includes('INDEXED BY exchanges_unfinished') && sql.includes('EXISTS'));
      expect(walk, String(sort)).toHaveLength(1);
      expect(walk[0][1].join(' | ')).toMatch(
        /SEARCH exchanges USING COVERING INDEX exchanges_unfinished \(state=\?.*SEARCH other (EXISTS )?USING COVERING INDEX exchanges_call_model \(model=\? AND id=\?/,
      );
      for (const [sql, plan] of plans) {
        expect(sql, String(sort)).not.toMatch(/exchanges_(model|host)_sort_|exchanges_sort_|figures/);
        for (const line of plan)
          expect(line, sql).not.toMatch(/^SCAN exchanges|USING INDEX (?!.*COVERING)|INTEGER PRIMARY KEY/);
      }
    }
    expect(reader.countUpTo(filter)).toEqual({ count: 0, atLeast: false });
  });

  it('a model and a failure state: the model sort index walked, each entry looked up in the state index (a seek, no row)', () => {
    const found = pagePlans({ model: 'big-model', state: 'upstream_error' }, 'tokens_out').filter(([sql]) =>
      sql.includes('exchanges_model_sort_tokens_out'),
    );
    expect(found).toHaveLength(1);
    const plan = found[0][1].join(' | ');
    expect(plan).toContain('USING COVERING INDEX exchanges_model_sort_tokens_out (model=?)');
    expect(plan).toMatch(/SEARCH other (EXISTS )?USING COVERING INDEX exchanges_unfinished \(state=\? AND rowid=\?\)/);
    expect(plan.match(/TEMP B-TREE/g)).toHaveLength(1);
  });

  it("a word in many rows sorted by a figure: the sort's index walked, each row's terms checked by its id, no match gathered", () => {
    for (const sort of SORTS) {
      const all = pagePlans({ text: 'common' }, sort);
      const walked = all.filter(([sql]) => sql.includes(`INDEXED BY exchanges_sort_${sort}`));
      expect(walked, sort).toHaveLength(1);
      const plan = walked[0][1].join(' | ');
      expect(plan).toContain(`SCAN exchanges USING INDEX exchanges_sort_${sort}`);
      // In the sort's order: it stops at the page's limit, no sort of the matches.
      expect(plan).not.toContain('TEMP B-TREE FOR ORDER BY');
      // Its own entry looked up by rowid (FTS5's index 0 is a full-text query with no rowid bound).
      expect(plan).toMatch(/CORRELATED SCALAR SUBQUERY \d+ \| SCAN exchanges_search VIRTUAL TABLE INDEX 0:=M/);
    }
  });

  it('before the indexes are built, the same pages by the earlier plans', () => {
    const plain = openDatabase(store.dir);
    try {
      for (const [name] of plain
        .prepare(`SELECT name FROM indexes_wanted WHERE name LIKE '%sort_%' OR name LIKE '%figures'`)
        .raw()
        .all() as [string][])
        plain.exec(`DROP INDEX ${name}`);
      const earlier = new ExchangeReader(plain, BOUNDS);
      for (const [what, filter] of FILTERS.slice(0, 5))
        for (const sort of SORTS)
          expect(walkPages(earlier, filter, sort, 9), `${what}, ${sort}`).toEqual(plainOrder(plain, filter, sort));
    } finally {
      plain.close();
    }
  });
});
