// Which index a filtered list page walks, and how its count is bounded, at a million exchanges
// (issue 28). SQLite keeps no statistics here (nothing runs ANALYZE), so it cannot tell a host
// with 40 calls from one with 400,000: it picked the host index for "host and 4xx" and read
// 460,000 rows to count 30,000 (721 ms), and sorted every call of a host to show a page by tokens.
// Instead each filter term that an index answers alone is counted in that index first, up to
// PROBE_CAP entries (the entries only, no row is read), and the query names the index it walks
// (INDEXED BY), so the plan is the one chosen here and a test can check it:
// - a term with at most PROBE_CAP rows drives: its rows are read and the page sorted from them;
// - else, newest first, an index whose entries for the term are in id order (host, model, ...)
//   drives, and the page stops at its limit; sorted by a figure, the sort's index drives and
//   each row is checked: every term matches more than PROBE_CAP rows, so a page of 100 is found
//   within about 100 x N / PROBE_CAP rows (10,000 of a million) when the matches are spread.
import type Database from 'better-sqlite3';

/** A filter term one index answers alone. */
export interface IndexedTerm {
  /** The index's name (db/schema.ts). */
  index: string;
  /** The term's condition, as the query's WHERE holds it (with what a partial index needs). */
  sql: string;
  /** The index holds the term's rows in id order (an equality on the columns before the rowid). */
  idOrdered: boolean;
  /** The filter's fields it decides: a term that decides all of them counts the filter alone. */
  fields: string[];
}

/** Index entries counted per term to compare terms; also the most rows a sorted page sorts. */
export const PROBE_CAP = 10_000;

/** A page no term of which is small is first looked for among this many rows of the walked index (each read to check the filter). */
export const FIRST_WALK = 4000;

/** A count shown on the first page stops here: more reads "10,000+" (the viewer, `wirelog list`). */
export const COUNT_CAP = 10_000;

/** A count that no single index answers reads at most this many rows of its driving index: past it, what was found is a lower bound. */
export const COUNT_SCAN = 20_000;

/**
 * Terms all past PROBE_CAP are counted again up to this (their index entries alone) to find the
 * smaller side, which is walked to prove that no row is in all of them (TermProber.matchNone).
 */
export const SIDE_PROBE = 100_000;

/** The bounds above (a test passes small ones to reach every plan with a small store). */
export interface PlanBounds {
  probeCap: number;
  countCap: number;
  countScan: number;
  firstWalk: number;
  sideProbe?: number;
}

export const PLAN_BOUNDS: PlanBounds = {
  probeCap: PROBE_CAP,
  countCap: COUNT_CAP,
  countScan: COUNT_SCAN,
  firstWalk: FIRST_WALK,
  sideProbe: SIDE_PROBE,
};

/** How many rows match, counted up to a bound: `atLeast` says there may be more than `count`. */
export interface MatchCount {
  count: number;
  atLeast: boolean;
}

/** A term with the rows its index holds for it (at most PROBE_CAP + 1: more). */
export interface Probed extends IndexedTerm {
  matches: number;
}

/** Sorts by a figure are walked through these indexes (schema 13: one per sort, named after it). */
export const sortIndex = (sort: string) => `exchanges_sort_${sort}`;

/**
 * When an exchange started, as exchanges_sort_time holds it (db/reader.ts SORT_COLUMNS.time,
 * spelled the same): `since` and retention's age range through that index (schema 22 dropped
 * exchanges_started, which held the same figure for every row wirelog writes; a damaged,
 * non-numeric one reads -1: before any time).
 */
export const STARTED_FIGURE = "CASE WHEN typeof(started_at) IN ('integer', 'real') THEN started_at ELSE -1 END";

/**
 * A filter term's index: schema 22's index of the rows that have the column (a model call's
 * model, thread, dialect) once built, else the earlier one it replaces (dropped after the new one
 * exists, db/index-build.ts).
 */
export const CALL_INDEXES: Record<string, string> = {
  exchanges_model: 'exchanges_call_model',
  exchanges_thread: 'exchanges_call_thread',
  exchanges_dialect: 'exchanges_call_dialect',
};

/**
 * Schema 19's indexes for a page sorted by a figure, whatever share of the term's rows lacks the
 * figure or sorts last (walking the sort's index passes every row that sorts before them: a host
 * whose calls have fewer tokens than another's, failed calls with none). `ordered`: the term's
 * rows in the sort's order (host, model: one index a sort), a page is a seek; else the term's
 * rows with every figure (status, unfinished state), a page sorts the term's entries, no row read.
 */
export function figuresIndex(termIndex: string, sort: string): { index: string; ordered: boolean } | null {
  if (termIndex === 'exchanges_host') return { index: `exchanges_host_sort_${sort}`, ordered: true };
  if (termIndex === 'exchanges_model' || termIndex === 'exchanges_call_model')
    return { index: `exchanges_model_sort_${sort}`, ordered: true };
  if (termIndex === 'exchanges_status') return { index: 'exchanges_status_figures', ordered: false };
  if (termIndex === 'exchanges_unfinished') return { index: 'exchanges_unfinished_figures', ordered: false };
  return null;
}

/**
 * The index the page walks: a small term's, else an id-ordered term's (newest first), else none
 * (null: the rowid newest first, or the sort's own index).
 */
export function drivingTerm(terms: Probed[], sorted: boolean, probeCap = PROBE_CAP): Probed | null {
  // Ties (two terms past the cap, or a host's 4xx as many as all 4xx) go to the index that decides
  // more of the filter (no row read to check the rest), then to one in id order (no sort).
  const smallest = [...terms].sort(
    (a, b) => a.matches - b.matches || b.fields.length - a.fields.length || Number(b.idOrdered) - Number(a.idOrdered),
  )[0];
  if (!smallest) return null;
  if (smallest.matches <= probeCap) return smallest;
  if (sorted) return null;
  return terms.filter((t) => t.idOrdered).sort((a, b) => a.matches - b.matches)[0] ?? null;
}

/** Probes are kept this long: a plan chosen on counts a second old picks the same index, and a page and its count probe once. */
const PROBE_KEPT_MS = 2000;
const PROBES_KEPT = 64;

/**
 * Which indexes the database has: an upgraded store gets schema 17's after start, on the storage
 * thread (db/index-build.ts), and INDEXED BY an index that does not exist is an error. Read from
 * sqlite_master once; asked for one it did not have, read again only if the schema changed since
 * (its version is one read of the file's header), so a reader on another thread takes an index
 * up on the first page asked after it is built, and pays nothing once all exist.
 */
export class PresentIndexes {
  private readonly names = new Set<string>();
  private schemaSeen: number | null = null;

  constructor(private readonly statement: (sql: string) => Database.Statement) {}

  has(index: string): boolean {
    if (this.names.has(index)) return true;
    const version = this.statement('PRAGMA schema_version').pluck().get() as number;
    if (version === this.schemaSeen) return false;
    this.schemaSeen = version;
    for (const name of this.statement(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[])
      this.names.add(name);
    return this.names.has(index);
  }
}

/** Counts each term's rows in its own index (up to PROBE_CAP + 1), remembering them briefly. */
export class TermProber {
  private readonly counts = new Map<string, { matches: number; at: number }>();
  private readonly present: PresentIndexes;

  constructor(
    private readonly statement: (sql: string) => Database.Statement,
    private readonly notCleared: string,
    private readonly probeCap = PROBE_CAP,
    private readonly sideProbe = SIDE_PROBE,
  ) {
    this.present = new PresentIndexes(statement);
  }

  /**
   * Whether no row is in every one of `terms`, all past the probe cap, proved within bounds: a
   * large model with a state none of its calls has walked the model's sort index to its end (all
   * 460,000 entries at a million, 341-1,084 ms), each checked for the state and none found. Here
   * the term with the fewest entries (counted up to SIDE_PROBE, its index alone) is walked, each
   * entry looked up in the other terms' indexes (a seek on their value and the rowid, no row
   * read), stopping at the first in all: at most SIDE_PROBE seeks a term. False when one is
   * found, when every side is past SIDE_PROBE, or when a term's index cannot be sought by rowid
   * (a status class): not proved, the page's own plan goes on.
   */
  matchNone(terms: Probed[], params: Record<string, unknown>): boolean {
    if (terms.length < 2 || terms.some((t) => t.matches <= this.probeCap || !t.idOrdered)) return false;
    const sides = terms
      .map((term) => ({ term, entries: this.count(term, params, this.sideProbe) }))
      .sort((a, b) => a.entries - b.entries);
    const walked = sides[0];
    if (walked.entries > this.sideProbe) return false;
    const lookups = sides
      .slice(1)
      .map(
        ({ term }) =>
          `EXISTS (SELECT 1 FROM exchanges AS other INDEXED BY ${term.index} WHERE ${term.sql} AND other.id = exchanges.id)`,
      );
    // Not remembered (as the counts are): a row stored or ended meanwhile in all of them shows at once.
    const sql = `SELECT 1 FROM exchanges INDEXED BY ${walked.term.index} WHERE ${this.notCleared} AND ${walked.term.sql} AND ${lookups.join(' AND ')} LIMIT 1`;
    return this.statement(sql).get(used(sql, params)) === undefined;
  }

  /** Whether the database has this index now (see PresentIndexes). */
  has(index: string): boolean {
    return this.present.has(index);
  }

  /** The terms whose index exists, each with its count (a term without one is planned as any other condition: checked on the rows read). */
  probe(terms: IndexedTerm[], params: Record<string, unknown>): Probed[] {
    return terms
      .filter((term) => this.present.has(term.index))
      .map((term) => ({ ...term, matches: this.matches(term, params) }));
  }

  private matches(term: IndexedTerm, params: Record<string, unknown>): number {
    return this.count(term, params, this.probeCap);
  }

  /** The term's index entries, counted up to `cap` + 1 (more). */
  private count(term: IndexedTerm, params: Record<string, unknown>, cap: number): number {
    return this.kept(
      `SELECT count(*) AS n FROM (SELECT 1 FROM exchanges INDEXED BY ${term.index} WHERE ${this.notCleared} AND ${term.sql} LIMIT ${cap + 1})`,
      params,
    );
  }

  /** A count's `n`, remembered PROBE_KEPT_MS: a page and its count probe once. */
  private kept(sql: string, params: Record<string, unknown>): number {
    const asked = used(sql, params);
    const key = `${sql}\n${JSON.stringify(asked)}`;
    const now = Date.now();
    const known = this.counts.get(key);
    if (known && now - known.at < PROBE_KEPT_MS) return known.matches;
    const matches = (this.statement(sql).get(asked) as { n: number }).n;
    this.counts.delete(key);
    this.counts.set(key, { matches, at: now });
    if (this.counts.size > PROBES_KEPT) this.counts.delete(this.counts.keys().next().value as string);
    return matches;
  }
}

/** The parameters a statement names (better-sqlite3 refuses others). */
function used(sql: string, params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => sql.includes(`@${k}`)));
}
