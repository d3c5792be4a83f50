// Issue 28: a dialect filter at a million exchanges. Schema 22's exchanges_call_dialect holds a
// dialect's rows in id order (dialect, id): a page newest first walks them and stops at its limit
// (host first, as the index it replaces had them, the page sorted every row of the dialect: a
// million's openai-responses 76-135 ms). Sorted by a figure, a dialect past the probe's cap walks
// the sort's index and checks its first stretch in the dialect's index, no row read (4,000 rows
// read: 72 ms). Checked by plans (not times) with small plan bounds; the pages equal the plain
// query's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader, SORT_COLUMNS, type SortKey } from '../db/reader.ts';
import type { Db } from '../db/schema.ts';
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

const ROWS = 3000;
const HOSTS = ['a.example', 'b.example', 'c.example'];

/** Chat calls to three hosts, every third row a GET of the models list (dialect "models", no figures). */
function fill(db: Db): void {
  const insert = rowInserter(db);
  for (let id = 1; id <= ROWS; id++) {
    const call = id % 3 !== 0;
    insert({
      uid: `d${id}`,
      started: 1_700_000_000_000 + id * 10,
      host: HOSTS[id % HOSTS.length],
      dialect: call ? 'openai-chat' : 'models',
      model: call ? 'gpt-x' : null,
      tin: call ? 100 + ((id * 7) % 500) : null,
      tout: call ? (id * 13) % 300 : null,
      ttft: call ? (id * 3) % 900 : null,
      size: call ? 1000 + ((id * 31) % 5000) : 1400,
      timings: JSON.stringify({ end: call ? (id * 17) % 900 : 5 }),
    });
  }
}

function plainOrder(db: Db, dialect: string, sort: SortKey | undefined, host?: string): number[] {
  return db
    .prepare(
      `SELECT id FROM exchanges NOT INDEXED WHERE dialect = @dialect ${host ? 'AND host = @host' : ''}
      ORDER BY ${sort ? `${SORT_COLUMNS[sort]} DESC, ` : ''}id DESC`,
    )
    .pluck()
    .all(host ? { dialect, host } : { dialect }) as number[];
}

describe('a dialect filter (schema 22)', () => {
  let store: PlanStore;
  let db: Db;
  let reader: ExchangeReader;
  let ran: Ran[];
  /** The SELECTs one question ran, each plan on one line. */
  const plansOf = (ask: () => void) => {
    ran.length = 0;
    ask();
    return ran.map(({ sql, plan }) => ({ sql, plan: plan.join(' | ') }));
  };

  beforeAll(() => {
    store = openPlanStore('dialect-walk', fill);
    db = store.db;
    ran = traceSelects(db);
    reader = new ExchangeReader(db, BOUNDS);
  });
  afterAll(() => store.close());

  it('every page, newest first and each sort, alone and with a host, the rows and order of the plain query', () => {
    for (const dialect of ['openai-chat', 'models'])
      for (const host of [undefined, 'b.example']) {
        const filter = host ? { dialect, host } : { dialect };
        expect(reader.summaries({ ...filter, limit: 5000 }).map((s) => s.id)).toEqual(
          plainOrder(db, dialect, undefined, host),
        );
        for (const sort of SORTS)
          expect(walkPages(reader, filter, sort, 97), `${dialect} ${host} ${sort}`).toEqual(
            plainOrder(db, dialect, sort, host),
          );
      }
  });

  it("newest first: the dialect's entries walked in id order, the page not sorted", () => {
    const plans = plansOf(() => reader.summaries({ dialect: 'openai-chat', limit: 20 }));
    // The page's walk: the dialect's own entries from the newest (not the rowid, each row read
    // and checked against a set of the dialect's ids); a sort only of the first stretch walked.
    const walked = plans.filter(
      ({ sql, plan }) =>
        !sql.includes('count(*)') &&
        /^(CO-ROUTINE \(subquery-\d+\) \| )?SEARCH exchanges USING COVERING INDEX exchanges_call_dialect \(dialect=\?( AND id>\?)?\)/.test(
          plan,
        ),
    );
    expect(walked.length, plans.map((p) => p.plan).join('\n')).toBeGreaterThan(0);
    for (const { plan } of plans) {
      expect(plan).not.toMatch(/LIST SUBQUERY \d+ \| SEARCH exchanges USING COVERING INDEX exchanges_call_dialect/);
      // The first stretch's own sort comes after its walk (SCAN (subquery-N)): none inside it.
      const steps = plan.split(' | ');
      const sorted = steps.indexOf('USE TEMP B-TREE FOR ORDER BY');
      if (sorted >= 0)
        expect(
          steps.slice(0, sorted).some((s) => s.startsWith('SCAN (subquery-')),
          plan,
        ).toBe(true);
    }
  });

  it("sorted by a figure: the first stretch of the sort's index checked in the dialect's index, no row read", () => {
    for (const sort of SORTS) {
      const plans = plansOf(() => reader.sortedSummaries({ dialect: 'openai-chat', sort, limit: 20 }));
      const first = plans.filter(({ sql }) => sql.includes(`LIMIT ${BOUNDS.firstWalk})`));
      expect(first, sort).toHaveLength(1);
      expect(first[0].plan, sort).toContain(`SCAN exchanges USING COVERING INDEX exchanges_sort_${sort}`);
      expect(first[0].plan, sort).toMatch(
        /SEARCH other USING COVERING INDEX exchanges_call_dialect \(dialect=\? AND id=\?/,
      );
    }
  });
  it('a term not in id order (a status class of most rows) is not gathered as a set for the first stretch: its rows are read', () => {
    for (const sort of [undefined, 'time'] as const) {
      const plans = plansOf(() =>
        sort
          ? reader.sortedSummaries({ status: '2xx', sort, limit: 20 })
          : reader.summaries({ status: '2xx', limit: 20 }),
      );
      const first = plans.filter(({ sql }) => sql.includes(`LIMIT ${BOUNDS.firstWalk})`));
      expect(first, String(sort)).toHaveLength(1);
      expect(first[0].plan, String(sort)).not.toContain('LIST SUBQUERY');
    }
  });
});
