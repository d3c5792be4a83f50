// Issue 28: a search sorted by time or a figure, at a million exchanges, after a day of traffic
// without the word (a copy of the million store with 60,000 newer GETs appended). A common word
// walked the sort's index and looked each row up in the search index: the newer rows first in
// the time sort, 1.4-1.8 s. A word in a few hundred parts scanned every part reference of the
// store, because the newest exchanges (GETs) refer to no part and a scan looked free: 4.4 s.
// Checked by the statements run, their plans and the rows they read (not times), with small plan
// bounds; every page, walked by its cursor, holds the rows of the plain query in its order.
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

/** Model calls, then newer GETs with neither word. */
const CALLS = 2000;
const ROWS = 3000;
/** A window's part references are read one by one (a scan) by this statement (db/part-search.ts). */
const SCAN_REFS = 'SELECT exchange_id, part_id FROM part_refs WHERE exchange_id >= ? AND exchange_id < ?';

/**
 * "common" in every other call's own entry (1,000: past the probe's cap), "rare" in five parts
 * that every hundredth call refers to (20 calls); every other call refers to a part without
 * either word. The newest 1,000 exchanges are GETs with neither, and no part.
 */
function fill(db: Db): void {
  const insert = rowInserter(db);
  const own = db.prepare(`INSERT INTO exchanges_search (rowid, url, request, response) VALUES (?, ?, '', '')`);
  const refer = db.prepare('INSERT INTO part_refs (part_id, exchange_id) VALUES (?, ?)');
  db.prepare(
    `INSERT INTO part_search (rowid, text) VALUES (1, 'rare one'), (2, 'rare two'), (3, 'rare three'), (4, 'rare four'), (5, 'rare five'), (6, 'plain part')`,
  ).run();
  for (let id = 1; id <= ROWS; id++) {
    const call = id <= CALLS;
    insert({
      uid: `s${id}`,
      started: 1_700_000_000_000 + id * 10,
      method: call ? 'POST' : 'GET',
      path: call ? '/v1/chat/completions' : '/v1/models',
      dialect: call ? 'openai-chat' : 'models',
      model: call ? 'gpt-x' : null,
      tin: call ? 100 + ((id * 7) % 500) : null,
      tout: call ? (id * 13) % 300 : null,
      ttft: call ? (id * 3) % 900 : null,
      size: call ? 1000 + ((id * 31) % 5000) : 1400,
      timings: JSON.stringify({ end: call ? (id * 17) % 900 : 5 }),
    });
    own.run(id, `https://api.example/${call ? (id % 2 === 0 ? 'common' : 'call') : 'models'}`);
    if (call) refer.run(id % 100 === 0 ? ((id / 100) % 5) + 1 : 6, id);
  }
}

/** The rows of a search by the plain query: no plan, no index, the whole table sorted. */
function plainOrder(db: Db, text: string, sort: SortKey | undefined): number[] {
  return db
    .prepare(
      `SELECT id FROM exchanges NOT INDEXED WHERE id IN (SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH @text
        UNION SELECT exchange_id FROM part_refs WHERE part_id IN (SELECT rowid FROM part_search WHERE part_search MATCH @text))
      ORDER BY ${sort ? `${SORT_COLUMNS[sort]} DESC, ` : ''}id DESC`,
    )
    .pluck()
    .all({ text }) as number[];
}

describe('a search sorted by time or a figure, after newer exchanges without the word', () => {
  let store: PlanStore;
  let db: Db;
  let ran: Ran[];
  let reader: ExchangeReader;

  beforeAll(() => {
    store = openPlanStore('sorted-search', fill);
    db = store.db;
    ran = traceSelects(db);
    reader = new ExchangeReader(db, BOUNDS);
  });
  afterAll(() => store.close());

  for (const text of ['common', 'rare'])
    it(`"${text}": every page, each sort, the rows and order of the plain query`, () => {
      for (const sort of SORTS) expect(walkPages(reader, { text }, sort, 7), sort).toEqual(plainOrder(db, text, sort));
      expect(reader.summaries({ text, limit: 1000 }).map((s) => s.id)).toEqual(plainOrder(db, text, undefined));
    });

  it('a common word: rows newer than its newest matches are checked against the matches found, not looked up in the search index', () => {
    expect(plainOrder(db, 'common', 'time').length).toBeGreaterThan(BOUNDS.probeCap);
    for (const sort of SORTS) {
      ran.length = 0;
      const page = reader.sortedSummaries({ text: 'common', sort, limit: 20 }).summaries.map((s) => s.id);
      expect(page, sort).toEqual(plainOrder(db, 'common', sort).slice(0, 20));
      const walks = ran.filter((r) => r.sql.includes(`INDEXED BY exchanges_sort_${sort}`));
      expect(walks, sort).toHaveLength(1);
      const [walk] = walks;
      // In the sort's order: it stops at the page's limit, no sort of the matches.
      expect(walk.plan.join(' | ')).toContain(`SCAN exchanges USING INDEX exchanges_sort_${sort}`);
      expect(walk.plan.join(' | ')).not.toContain('TEMP B-TREE FOR ORDER BY');
      // A row at or above the last match found is checked in that set; only an older one in the search index.
      expect(walk.sql).toContain('CASE WHEN id >= @seenLow THEN id IN (SELECT value FROM json_each(@seen)) ELSE');
      const params = walk.params[0] as { seen: string; seenLow: number };
      const seen = JSON.parse(params.seen) as number[];
      // The set is every match from the newest down to its last: exact, and no more than a page's worth gathered.
      expect(seen).toEqual(plainOrder(db, 'common', undefined).filter((id) => id >= params.seenLow));
      expect(seen.length).toBeLessThanOrEqual(CALLS / 2);
      expect(params.seenLow).toBeLessThanOrEqual(CALLS);
      // Walk or gather decided on the word's index entries counted up to the cap (not 1,000 matches gathered first).
      const counted = ran.filter((r) => r.sql.includes('FROM exchanges_search WHERE exchanges_search MATCH ? LIMIT ?'));
      expect(counted.map((r) => r.params[1])).toEqual([BOUNDS.probeCap + 1]);
    }
  });

  it("a word in a few parts: each window's references sought by part, not every reference read, though the newest exchanges refer to none", () => {
    for (const sort of [undefined, 'time', 'tokens_in'] as const) {
      ran.length = 0;
      const ids = sort
        ? reader.sortedSummaries({ text: 'rare', sort, limit: 100 }).summaries.map((s) => s.id)
        : reader.summaries({ text: 'rare', limit: 100 }).map((s) => s.id);
      expect(ids, String(sort)).toEqual(plainOrder(db, 'rare', sort));
      expect(
        ran.filter((r) => r.sql === SCAN_REFS),
        String(sort),
      ).toEqual([]);
      // The references read: the word's own 20, not the 2,000 of every call.
      const refs = ran.filter((r) => /^SELECT exchange_id\b.* FROM part_refs/.test(r.sql));
      expect(refs.length, String(sort)).toBeGreaterThan(0);
      expect(
        refs.reduce((n, r) => n + r.rows, 0),
        String(sort),
      ).toBe(20);
    }
  });
});
