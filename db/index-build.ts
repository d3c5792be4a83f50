// Indexes an upgrade asks for are built after wirelog listens, not while it starts (issue 28:
// creating schema 17's three in its migration held start for about 9 s at a million exchanges).
// The migration only names them (indexes_wanted, db/schema.ts); the storage thread, which owns
// the writes, creates them one per step between capture batches (db/writer-worker.ts), what waits
// to be stored stored first: a batch waits for one CREATE INDEX at most. An index exists or not
// (CREATE INDEX commits whole), so a run killed mid-build builds the rest after the next start,
// and what exists is the build's only record. Until one exists the list plans without it
// (db/filter-plan.ts PresentIndexes): INDEXED BY a missing index is an error. Indexes an upgrade
// replaces (indexes_unwanted, schema 22) are dropped the same way, one a step, once every wanted
// one exists (a filter always has the old index or the new), each counted as a step.
import { performance } from 'node:perf_hooks';
import type { Translate } from '../i18n/index.ts';
import type { Db } from './schema.ts';

/** How far the build is: indexes built of those the schema wants (the search index's progress's shape). */
export interface IndexBuildProgress {
  indexed: number;
  total: number;
}

/** After a step that failed (a full disk, a lock), or while storage fails, the next waits this long. */
const RETRY_MS = 5000;

/** A store from before schema 17 (or 22: `table` indexes_unwanted; a tool reading one with upTo) has no such list. */
function lists(db: Db, table = 'indexes_wanted'): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
}

/** The wanted indexes that do not exist yet, in the order they are built. */
export function indexesToBuild(db: Db): { name: string; sql: string }[] {
  if (!lists(db)) return [];
  return db
    .prepare(
      `SELECT name, sql FROM indexes_wanted WHERE name NOT IN (SELECT name FROM sqlite_master WHERE type = 'index') ORDER BY rank`,
    )
    .all() as { name: string; sql: string }[];
}

/** The replaced indexes that still exist (dropped after every wanted one is built), each as its DROP. */
export function indexesToDrop(db: Db): { name: string; sql: string }[] {
  if (!lists(db, 'indexes_unwanted')) return [];
  return (
    db
      .prepare(
        `SELECT name FROM indexes_unwanted WHERE name IN (SELECT name FROM sqlite_master WHERE type = 'index') ORDER BY name`,
      )
      .pluck()
      .all() as string[]
  ).map((name) => ({ name, sql: `DROP INDEX IF EXISTS ${name}` }));
}

/** The build's steps left: the wanted indexes to create, then the replaced ones to drop. */
function stepsLeft(db: Db): { name: string; sql: string }[] {
  const toBuild = indexesToBuild(db);
  return toBuild.length ? toBuild : indexesToDrop(db);
}

/** While wanted indexes are missing or replaced ones remain: how many steps are done of how many (/api/status); null once all are. */
export function indexBuildProgress(db: Db): IndexBuildProgress | null {
  if (!lists(db)) return null;
  const found = db
    .prepare(
      `SELECT count(*) AS total, count(m.name) AS indexed FROM indexes_wanted w LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = w.name`,
    )
    .get() as IndexBuildProgress;
  if (lists(db, 'indexes_unwanted')) {
    const dropped = db
      .prepare(
        `SELECT count(*) AS total, count(*) - count(m.name) AS indexed FROM indexes_unwanted u LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = u.name`,
      )
      .get() as IndexBuildProgress;
    found.total += dropped.total;
    found.indexed += dropped.indexed;
  }
  return found.indexed < found.total ? found : null;
}

/** What the build needs from the storage thread. */
export interface IndexBuildHooks {
  /** Runs `next` after the messages waiting (capture's batches), or `ms` later. */
  later(next: () => void, ms?: number): void;
  /** Stores what waits to be stored, before a step; false while storage fails (the step waits). */
  storeWaiting(): boolean;
  /** A line for the console (the viewer fetches its status again). */
  say(message: string): void;
}

/** The build on the storage thread: started once wirelog listens, one index a step. */
export class IndexBuild {
  private running: { count: number; dropped: number; startedAt: number } | null = null;
  private stopped = false;
  /** A failure was said and no step has worked since. */
  private warned = false;

  constructor(
    private readonly db: () => Db,
    private readonly t: Translate,
    private readonly hooks: IndexBuildHooks,
  ) {}

  /** Looks for missing indexes (sqlite_master only: nothing scanned) and builds them, said in one line. */
  start(): void {
    if (this.running || this.stopped) return;
    const left = this.attempt(() => ({
      build: indexesToBuild(this.db()).length,
      drop: indexesToDrop(this.db()).length,
    }));
    if (left === null) return this.hooks.later(() => this.start(), RETRY_MS);
    if (left.build + left.drop === 0) return;
    this.running = { count: left.build, dropped: left.drop, startedAt: performance.now() };
    this.hooks.say(this.t('indexBuild.console.building', { count: left.build, dropped: left.drop }));
    this.hooks.later(() => this.step());
  }

  /** wirelog stops: no more steps (what is left is built after the next start). */
  stop(): void {
    this.stopped = true;
  }

  private step(): void {
    const running = this.running;
    if (this.stopped || !running) return;
    if (!this.hooks.storeWaiting()) return this.hooks.later(() => this.step(), RETRY_MS);
    const next = this.attempt(() => {
      const [first] = stepsLeft(this.db());
      if (first) this.db().exec(first.sql);
      return first ?? false;
    });
    if (next === null) return this.hooks.later(() => this.step(), RETRY_MS);
    if (next) return this.hooks.later(() => this.step());
    this.running = null;
    this.hooks.say(
      this.t('indexBuild.console.built', {
        count: running.count,
        dropped: running.dropped,
        seconds: ((performance.now() - running.startedAt) / 1000).toFixed(1),
      }),
    );
  }

  /** Runs one piece of the build; a failure is said once (until a step works again) and gives null. */
  private attempt<T>(work: () => T): T | null {
    try {
      const done = work();
      this.warned = false;
      return done;
    } catch (err) {
      if (!this.warned) this.hooks.say(this.t('indexBuild.console.failing', { error: (err as Error).message }));
      this.warned = true;
      return null;
    }
  }
}
