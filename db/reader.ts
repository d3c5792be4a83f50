import {
  statusRange,
  type BodySide,
  type Exchange,
  type ExchangeState,
  type SseEvent,
  type WsMessage,
} from '../model/exchange.ts';
import { LIST_TEXT_LIMITS, clipped, type ExchangeSummary } from '../model/summary.ts';
import { exchangeUrl } from '../model/exchange.ts';
import { diagnosisOfColumn } from '../llm/diagnosis-text.ts';
import type Database from 'better-sqlite3';
import type { Db } from './schema.ts';
import { searchTerms } from './search-text.ts';
import { PartSearch, reindexWaiting, termCondition } from './part-search.ts';
import { readBlob, rowBytes } from './blobs.ts';
import {
  COUNT_CAP,
  CALL_INDEXES,
  PLAN_BOUNDS,
  STARTED_FIGURE,
  TermProber,
  drivingTerm,
  figuresIndex,
  sortIndex,
  type IndexedTerm,
  type MatchCount,
  type PlanBounds,
  type Probed,
} from './filter-plan.ts';
import { unpacked } from './compression.ts';
import { type PageStreams, type PartCache, readPage, readPageEvents } from './page-reads.ts';
import { allAsObjects } from './row-objects.ts';
import { indexBuildProgress, type IndexBuildProgress } from './index-build.ts';
import {
  RowReading,
  SCHEMES,
  SEVERITIES,
  STATES,
  STREAM_KINDS,
  damageNote,
  fingerprints,
  headerPairs,
  storedBytes,
  timingsShape,
  usageShape,
  sseEventOf,
  type ColumnDamage,
} from './stored-values.ts';

const WS_DIRECTIONS = ['send', 'receive'] as const;

export interface ExchangeFilter {
  /** Just this exchange. */
  id?: number;
  /** Just these exchanges (a live update's). */
  ids?: number[];
  host?: string;
  method?: string;
  /** An exact status ("404") or a class ("4xx"). */
  status?: string;
  state?: ExchangeState;
  /** Model calls to or from this model. */
  model?: string;
  /** Model calls in this dialect ("openai-chat", "openai-responses", ...). */
  dialect?: string;
  /** The calls of one agent session (a thread key). */
  thread?: string;
  /** Full-text search over URL and decoded text bodies. */
  text?: string;
  /** Only exchanges started at or after this epoch millisecond. */
  since?: number;
  /** Only exchanges with an id below this (the previous page's last id). */
  before?: number;
  /** Oldest first, from the id after this one (an export reads forwards, each row once). */
  after?: number;
  limit?: number;
  /** Largest first by this figure (model calls without it last), instead of newest first. */
  sort?: SortKey;
  /** With sort: the last row of the previous page (keyset: a row that arrives meanwhile never shifts the next page). */
  sortAfter?: SortCursor;
}

/** Where a sorted page ends: the sort's value on its last row, and that row's id (ties go by id). */
export interface SortCursor {
  value: number;
  id: number;
}

/** Filters that are one column equal to the value. */
const EQUALITY_FILTERS: [keyof ExchangeFilter, string][] = [
  ['id', 'id'],
  ['host', 'host'],
  ['method', 'method'],
  ['state', 'state'],
  ['model', 'model'],
  ['dialect', 'dialect'],
  ['thread', 'thread_key'],
];

/** The end of an exchange's timings, or NULL where they are not a JSON object (a damaged row sorts and lists, never fails the query). */
const DURATION_SQL = `CASE WHEN typeof(timings) <> 'text' THEN NULL WHEN NOT json_valid(timings) THEN NULL WHEN json_type(timings) <> 'object' THEN NULL ELSE json_extract(timings, '$.end') END`;

/** A status class's column in a page's query: `+` keeps SQLite from choosing the status index there (see conditions). */
const STATUS_CLASS_TERM = '+status';

/** Rows Clear all has marked (db/retention.ts deletes them a step at a time) are not read. */
const NOT_CLEARED = 'id > (SELECT clear_up_to FROM upkeep)';

/** A column's number, or -1 where it holds none (missing, or damaged: text): every row sorts, those last. */
const numberOr = (column: string) => `CASE WHEN typeof(${column}) IN ('integer', 'real') THEN ${column} ELSE -1 END`;

/**
 * The list's sorts, largest first. Each expression is the one an index of schema 13 is built on,
 * spelled the same (SQLite uses an expression index only for the same expression): ORDER BY it
 * and the keyset condition walk the index, with no sort of the whole table.
 */
export const SORT_COLUMNS = {
  time: numberOr('started_at'),
  tokens_in: numberOr('input_tokens'),
  tokens_out: numberOr('output_tokens'),
  ttft: numberOr('ttft_ms'),
  size: numberOr('response_size'),
  duration: `CASE WHEN typeof(timings) <> 'text' THEN -1 WHEN NOT json_valid(timings) THEN -1 WHEN json_type(timings, '$.end') IN ('integer', 'real') THEN json_extract(timings, '$.end') ELSE -1 END`,
} as const;
export type SortKey = keyof typeof SORT_COLUMNS;

/** A sorted page's cursor as the API passes it: "VALUE_ID" (both numbers), or null when it is not one. */
export function parseSortCursor(text: string): SortCursor | null {
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)_(\d+)$/i.exec(text);
  if (!m) return null;
  const value = Number(m[1]);
  const id = Number(m[2]);
  return Number.isFinite(value) && Number.isSafeInteger(id) ? { value, id } : null;
}

export function sortCursorText(cursor: SortCursor): string {
  return `${cursor.value}_${cursor.id}`;
}

interface ExchangeRow {
  id: number;
  uid: string;
  started_at: number;
  client_address: string;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  http_version: string;
  via: string | null;
  request_headers: string;
  status: number | null;
  status_text: string | null;
  response_http_version: string | null;
  response_headers: string | null;
  response_trailers: string | null;
  state: string;
  error: string | null;
  timings: string;
  request_size: number;
  request_stored: number;
  request_truncated: number;
  request_encoding: string;
  response_size: number;
  response_stored: number;
  response_truncated: number;
  response_encoding: string;
  stream_kind: string | null;
  event_count: number;
  dialect: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  usage: string | null;
  replay_of: number | null;
  secrets: string | null;
  imported: string | null;
  ttft_ms: number | null;
  images: number | null;
  diagnosis_severity: 'error' | 'warning' | 'info' | null;
  diagnosis: string | null;
  thread_key: string | null;
  notes: string | null;
}

function toExchange(row: ExchangeRow, damaged: DamageRecord): Exchange {
  // Every column read as what wirelog writes, or a fallback and the damage said (db/stored-values.ts).
  const r = new RowReading(row as unknown as Record<string, unknown>);
  const id = r.number('id');
  const status = row.status === null ? null : r.number('status');
  const secrets = r.json('secrets', fingerprints, null, 'no fingerprints', true);
  const trailers = r.json('response_trailers', headerPairs, null, 'no trailers', true);
  const dialect = r.textOrNull('dialect');
  const severity = r.oneOfOrNull('diagnosis_severity', SEVERITIES);
  const notes = r.textOrNull('notes');
  const exchange: Exchange = {
    id,
    uid: r.text('uid'),
    request: {
      startedAt: r.number('started_at'),
      clientAddress: r.text('client_address'),
      method: r.text('method'),
      scheme: r.oneOf('scheme', SCHEMES, 'http'),
      host: r.text('host'),
      port: r.number('port'),
      path: r.text('path'),
      httpVersion: r.text('http_version'),
      headers: r.json('request_headers', headerPairs, [], 'no headers'),
      ...(row.via === 'gateway' ? { via: 'gateway' as const } : {}),
      ...(row.replay_of !== null ? { replayOf: r.number('replay_of') } : {}),
      ...(secrets ? { secrets } : {}),
      ...(row.imported !== null ? { imported: r.text('imported') } : {}),
    },
    response:
      status === null
        ? null
        : {
            status,
            statusText: r.textOrNull('status_text') ?? '',
            httpVersion: r.textOrNull('response_http_version') ?? '',
            headers: r.json('response_headers', headerPairs, [], 'no headers', true),
            ...(trailers ? { trailers } : {}),
          },
    state: r.oneOf('state', STATES, 'interrupted'),
    error: r.textOrNull('error'),
    timings: r.json('timings', timingsShape, {}, 'no timings'),
    requestBody: {
      size: r.number('request_size'),
      storedSize: r.number('request_stored'),
      truncated: row.request_truncated === 1,
      encoding: r.text('request_encoding'),
    },
    responseBody: {
      size: r.number('response_size'),
      storedSize: r.number('response_stored'),
      truncated: row.response_truncated === 1,
      encoding: r.text('response_encoding'),
    },
    streamKind: r.oneOfOrNull('stream_kind', STREAM_KINDS),
    eventCount: r.number('event_count'),
    call:
      dialect === null
        ? null
        : {
            dialect,
            model: r.textOrNull('model'),
            inputTokens: r.numberOrNull('input_tokens'),
            outputTokens: r.numberOrNull('output_tokens'),
            usage: r.json('usage', usageShape, {}, 'no usage', true),
            ttftMs: r.numberOrNull('ttft_ms'),
            threadKey: r.textOrNull('thread_key'),
            ...(row.images ? { images: r.number('images') } : {}),
          },
    diagnosis: severity === null ? null : diagnosisOfColumn(severity, r.textOrNull('diagnosis') ?? ''),
    ...(notes ? { notes: notes.split('\n') } : {}),
  };
  if (r.damage.length) {
    exchange.damaged = r.damage.map(damageNote);
    damaged.record(id, exchange.damaged);
  }
  return exchange;
}

// Usage is a few figures; a value longer than this is not one wirelog wrote, and is not listed.
const LIST_USAGE_BYTES = 2048;
// JSON heads up to this size are checked by a list row (SQLite's json_valid, no text leaves
// SQLite); a larger one is checked when the exchange is read whole. Checking costs about 0.2 ms
// a list page per KB of heads: 8 KB holds most heads (a Codex request's is 2-5 KB).
const LIST_CHECK_BYTES = 8 * 1024;
const L = LIST_TEXT_LIMITS;

/** SQL naming `column` when it does not hold JSON of this type: cases in order (a blob never reaches json_valid); the type by its first character, not a second parse. */
function jsonDamageSql(column: string, type: 'array' | 'object', nullable: boolean): string {
  return `CASE WHEN ${column} IS NULL THEN ${nullable ? 'NULL' : `'${column}'`} WHEN typeof(${column}) <> 'text' THEN '${column}'
    WHEN octet_length(${column}) > ${LIST_CHECK_BYTES} THEN NULL WHEN NOT json_valid(${column}) THEN '${column}'
    WHEN substr(ltrim(substr(${column}, 1, 64), ' ' || char(9, 10, 13)), 1, 1) <> '${type === 'array' ? '[' : '{'}' THEN '${column}' END`;
}

/** The JSON columns a list row does not read, checked for damage in SQL: the row is marked damaged without its heads leaving SQLite. */
const LIST_DAMAGE_SQL = `concat_ws(' ', ${[
  jsonDamageSql('request_headers', 'array', false),
  jsonDamageSql('response_headers', 'array', true),
  jsonDamageSql('response_trailers', 'array', true),
  jsonDamageSql('timings', 'object', false),
  jsonDamageSql('secrets', 'array', true),
].join(',\n  ')})`;

/**
 * What a list row reads: no head, no body, and each text column at most one character past its
 * display length (substr in SQL: the rest never leaves SQLite), so a row costs the same whatever
 * its fields hold. One character more tells that a text was longer: it is then clipped with '…'.
 */
const SUMMARY_COLUMNS = `id, started_at, substr(method, 1, ${L.method + 1}) AS method, scheme, substr(host, 1, ${L.host + 1}) AS host, port,
  substr(path, 1, ${L.url + 1}) AS path, status, state, substr(error, 1, ${L.error + 1}) AS error, ${DURATION_SQL} AS duration,
  request_size, response_size, stream_kind, event_count, substr(dialect, 1, ${L.model + 1}) AS dialect, substr(model, 1, ${L.model + 1}) AS model,
  input_tokens, output_tokens, CASE WHEN octet_length(usage) <= ${LIST_USAGE_BYTES} THEN usage END AS usage, ttft_ms, images,
  substr(thread_key, 1, ${L.threadKey + 1}) AS thread_key, diagnosis_severity, substr(diagnosis, 1, ${L.diagnosis + 1}) AS diagnosis,
  substr(notes, 1, ${L.notes + 1}) AS notes, ${LIST_DAMAGE_SQL} AS damaged_columns, substr(client, 1, ${L.client + 1}) AS client`;

interface SummaryRow {
  id: number;
  started_at: number;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  status: number | null;
  state: string;
  error: string | null;
  duration: number | null;
  request_size: number;
  response_size: number;
  stream_kind: string | null;
  event_count: number;
  dialect: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  usage: string | null;
  ttft_ms: number | null;
  images: number | null;
  thread_key: string | null;
  diagnosis_severity: 'error' | 'warning' | 'info' | null;
  diagnosis: string | null;
  notes: string | null;
  damaged_columns: string;
  client: string | null;
  /** With a sort: the row's value of it (SORT_COLUMNS), for the next page's cursor. */
  sort_value?: number;
}

function toSummary(row: SummaryRow, damaged: DamageRecord): ExchangeSummary {
  const r = new RowReading(row as unknown as Record<string, unknown>);
  const id = r.number('id');
  const scheme = r.oneOf('scheme', SCHEMES, 'http');
  const host = r.text('host');
  const url = exchangeUrl({ scheme, host, port: r.number('port'), path: r.text('path') });
  const dialect = r.textOrNull('dialect');
  const model = r.textOrNull('model');
  const error = r.textOrNull('error');
  const threadKey = r.textOrNull('thread_key');
  const severity = r.oneOfOrNull('diagnosis_severity', SEVERITIES);
  const summary: ExchangeSummary = {
    id,
    startedAt: r.number('started_at'),
    method: clipped(r.text('method'), L.method),
    // The path read is one character past the URL's length: a longer one still ends in '…'.
    url: clipped(url, L.url),
    host: clipped(host, L.host),
    status: r.numberOrNull('status'),
    state: r.oneOf('state', STATES, 'interrupted'),
    error: clippedOrNull(error, L.error),
    durationMs: r.numberOrNull('duration'),
    requestSize: r.number('request_size'),
    responseSize: r.number('response_size'),
    streamKind: r.oneOfOrNull('stream_kind', STREAM_KINDS),
    eventCount: r.number('event_count'),
    call:
      dialect === null
        ? null
        : {
            dialect: clipped(dialect, L.model),
            model: clippedOrNull(model, L.model),
            inputTokens: r.numberOrNull('input_tokens'),
            outputTokens: r.numberOrNull('output_tokens'),
            usage: r.json('usage', usageShape, {}, 'no usage', true),
            ttftMs: r.numberOrNull('ttft_ms'),
            threadKey: clippedOrNull(threadKey, L.threadKey),
            ...(row.images ? { images: r.number('images') } : {}),
          },
    diagnosis: severity === null ? null : diagnosisOfColumn(severity, r.textOrNull('diagnosis') ?? '', L.diagnosis),
    notes: clippedOrNull(r.textOrNull('notes'), L.notes),
  };
  const client = typeof row.client === 'string' ? row.client : null;
  if (client !== null) summary.client = clipped(client, L.client);
  // Columns checked in SQL say only that they are damaged; reading the exchange whole says how.
  for (const column of row.damaged_columns ? row.damaged_columns.split(' ') : [])
    r.damage.push({ column, why: 'not the JSON wirelog writes there (open the exchange for more)' });
  if (r.damage.length) {
    summary.damaged = r.damage.map(damageNote);
    damaged.record(id, summary.damaged, false);
  }
  return summary;
}

const clippedOrNull = (text: string | null, max: number) => (text === null ? null : clipped(text, max));

/** Rows found damaged since this reader was made (what /api/status names): how many, and the first ids. */
/** Exchanges whose body storage cut (named by /api/status while it has cut any). */
export interface CutBodies {
  count: number;
  /** The newest of them, at most CUT_IDS_SHOWN. */
  ids: number[];
}
const CUT_IDS_SHOWN = 10;

export interface DamagedRows {
  count: number;
  /** The lowest ids among them, at most DAMAGED_IDS_SHOWN. */
  ids: number[];
  /** What the first of them holds that could not be read. */
  example: string | null;
}

// Ids remembered at most (the count stops there too: a file that is damaged throughout is said to be so).
const DAMAGED_IDS_KEPT = 100_000;
const DAMAGED_IDS_SHOWN = 10;

class DamageRecord {
  private readonly ids = new Map<number, string>();

  /** `full`: the notes of a whole read, which say why (a list row's only say which column): they replace a list row's. */
  record(id: number, notes: string[], full = true): void {
    if (this.ids.has(id) ? full : this.ids.size < DAMAGED_IDS_KEPT) this.ids.set(id, notes[0]);
  }

  /** Retention deletes the oldest rows first: those below the oldest stored are gone. */
  forgetBelow(oldest: number): void {
    for (const id of this.ids.keys()) if (id < oldest) this.ids.delete(id);
  }

  rows(): DamagedRows {
    const ids = [...this.ids.keys()].sort((a, b) => a - b);
    return {
      count: ids.length,
      ids: ids.slice(0, DAMAGED_IDS_SHOWN),
      example: ids.length ? `#${ids[0]}: ${this.ids.get(ids[0])}` : null,
    };
  }
}

/** From this many finished exchanges waiting for the search index, /api/status says how far it is (an upgrade, a restart after a kill, a long backlog). */
const SEARCH_PROGRESS_FROM = 200;

/** How far the search index is (schema 11 builds it from stored exchanges after start). */
export interface SearchProgress {
  /** Finished exchanges in the index; search finds only these meanwhile. */
  indexed: number;
  total: number;
}

/** A search listed newest first (not sorted by a figure, not read forwards): its page is found window by window. */
function isNewestSearch(filter: ExchangeFilter): boolean {
  return !filter.sort && filter.after === undefined && !!filter.text && searchTerms(filter.text).length > 0;
}

/** A search sorted by a figure (not read forwards): its matches gathered, or checked along the sort's index. */
function isSortedSearch(filter: ExchangeFilter): filter is ExchangeFilter & { sort: SortKey; text: string } {
  return !!filter.sort && filter.after === undefined && !!filter.text && searchTerms(filter.text).length > 0;
}

/**
 * That an exchange matches search term `k` (@term<k>), checked for this row alone: its own entry
 * by rowid, or a part it refers to (db/part-search.ts termCondition gathers every match instead:
 * a word in every Codex call is hundreds of thousands).
 */
const rowMatchesTerm = (k: number) =>
  `(EXISTS (SELECT 1 FROM exchanges_search WHERE exchanges_search MATCH @term${k} AND rowid = exchanges.id) OR EXISTS (SELECT 1 FROM part_refs WHERE exchange_id = exchanges.id AND part_id IN (SELECT rowid FROM part_search WHERE part_search MATCH @term${k})))`;

/** How a list page is read (db/filter-plan.ts). */
interface PagePlan {
  /** The table with the index walked (INDEXED BY, or NOT INDEXED: by rowid). */
  from: string;
  /** The walked index's term, which a walk names to enter the index. */
  walk: string[];
  /** Every term matches more rows than the probe counts: the page is looked for in a first stretch of the walk. */
  dense: boolean;
  /** Past that stretch: ids the smallest other term's index holds, checked before a row is read. */
  membership: string | null;
  /** The membership decides every field of the filter: the first walk's check, in the terms' indexes alone (no row read); else null: the rows are read. */
  firstCheck: string | null;
  /** Sorted by a figure: the page read from a term's entries in its figures index (schema 19), with no row read; null where none decides the filter. */
  figures: FiguresWalk | null;
  /** No row is in every term (db/filter-plan.ts matchNone): the page is empty, nothing walked. */
  none?: boolean;
}

/** A sorted page found in a term's figures index (db/filter-plan.ts figuresIndex): no row read. */
interface FiguresWalk {
  /** The table with the figures index named (INDEXED BY). */
  from: string;
  /** The index holds the term's rows in the sort's order: the page is a seek, walked before anything else. */
  ordered: boolean;
  /** The term's condition, then the other fields' as sets of ids from their own indexes. */
  terms: string[];
}

/** The list filter's fields asked (a term of db/filter-plan.ts decides some of them). */
function askedFields(filter: ExchangeFilter): string[] {
  const fields = (['host', 'method', 'state', 'model', 'thread', 'dialect', 'status'] as const).filter(
    (f) => filter[f],
  );
  return filter.since === undefined ? fields : [...fields, 'since'];
}

export type { PartCache } from './page-reads.ts';

export class ExchangeReader {
  /** Prepared once per distinct SQL text: preparing costs more than running these queries. */
  private readonly statements = new Map<string, Database.Statement>();

  /** Rows found damaged by any read so far (named by /api/status). */
  private readonly damage = new DamageRecord();

  /** Counts each filter term's rows in its own index, to choose the index a list page walks (db/filter-plan.ts). */
  private readonly prober: TermProber;

  /** A search's newest matches, window by window (db/part-search.ts); prepared when first searched. */
  private searchWindows: PartSearch | null = null;

  constructor(
    private readonly db: Db,
    private readonly bounds: PlanBounds = PLAN_BOUNDS,
  ) {
    this.prober = new TermProber((sql) => this.statement(sql), NOT_CLEARED, bounds.probeCap, bounds.sideProbe);
  }

  private get partSearch(): PartSearch {
    this.searchWindows ??= new PartSearch(this.db);
    return this.searchWindows;
  }

  /** Rows found damaged since this reader was made that are still stored (retention deletes the oldest; a clear, all). */
  damagedRows(): DamagedRows {
    const oldest = (this.statement('SELECT min(id) AS id FROM exchanges').get() as { id: number | null }).id;
    this.damage.forgetBelow(oldest ?? Number.POSITIVE_INFINITY);
    return this.damage.rows();
  }

  /** Exchanges with a body storage left partly out, as their notes say (proxy/recorder.ts, db/backlog.ts): how many (up to 1,000), the newest ids. */
  cutBodies(): CutBodies {
    const rows = this.statement(
      `SELECT id FROM exchanges WHERE ${NOT_CLEARED} AND notes LIKE '%storage left out %body byte(s)%' ORDER BY id DESC LIMIT 1000`,
    ).all() as { id: number }[];
    return { count: rows.length, ids: rows.slice(0, CUT_IDS_SHOWN).map((r) => r.id) };
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  list(filter: ExchangeFilter = {}): Exchange[] {
    return (this.rows('*', filter) as ExchangeRow[]).map((row) => toExchange(row, this.damage));
  }

  /** The ids list() would read, without the rows: where an export's ranges end (export/har-export-thread.ts). */
  listIds(filter: ExchangeFilter): number[] {
    return (this.rows('id', filter) as { id: number }[]).map((row) => row.id);
  }

  /**
   * No exchange below this id started at or after `since`: the smallest id that did, found in the
   * time's index (exchanges_sort_time) without reading a row, or past the last id when none did
   * (rows stored later have larger ids). Where an export
   * with --since starts walking (export/har-export-thread.ts): the walk from the first id read
   * every older row, some 0.3 s of CPU for a million.
   */
  firstIdSince(since: number): number {
    const { first, last } = this.statement(
      // `+id`: min() through the time index's entries, not the rowid walked until a row matches.
      `SELECT (SELECT min(+id) FROM exchanges WHERE ${STARTED_FIGURE} >= ?) AS first, (SELECT max(id) FROM exchanges) AS last`,
    ).get(since) as { first: number | null; last: number | null };
    return first ?? (last ?? 0) + 1;
  }

  /** List rows (what the viewer's list and its live updates show): bounded in size whatever the exchanges hold. */
  summaries(filter: ExchangeFilter = {}): ExchangeSummary[] {
    return (this.rows(SUMMARY_COLUMNS, filter, true) as SummaryRow[]).map((row) => toSummary(row, this.damage));
  }

  /**
   * A page of list rows sorted by a figure, largest first, ties newest first, and the cursor of the
   * next page (null: this was the last). Keyset paging: the next page starts after this one's last
   * row, found through the sort's index, however deep the page.
   */
  sortedSummaries(filter: ExchangeFilter & { sort: SortKey }): {
    summaries: ExchangeSummary[];
    next: SortCursor | null;
  } {
    const rows = this.rows(
      `${SUMMARY_COLUMNS}, ${SORT_COLUMNS[filter.sort]} AS sort_value`,
      filter,
      true,
    ) as SummaryRow[];
    const last = rows[rows.length - 1];
    const next = last && rows.length === (filter.limit ?? 100) ? { value: Number(last.sort_value), id: last.id } : null;
    return { summaries: rows.map((row) => toSummary(row, this.damage)), next };
  }

  /** `planned`: the list's pages, walked through the index db/filter-plan.ts chooses for the filter. */
  private rows(columns: string, filter: ExchangeFilter, planned = false): unknown[] {
    if (isNewestSearch(filter)) return this.newestMatches(columns, filter);
    if (isSortedSearch(filter)) return this.sortedMatches(columns, filter);
    const { where, params } = this.conditions(filter);
    const plan = planned ? this.pagePlan(filter, where, params) : null;
    if (plan?.none) return [];
    const sort = filter.sort ? SORT_COLUMNS[filter.sort] : null;
    // Where the page starts (the keyset): the rows a walk of the plan's index may pass.
    const bounds = [NOT_CLEARED];
    if (filter.before !== undefined) bounds.push('id < @before');
    if (filter.after !== undefined) bounds.push('id > @after');
    if (sort && filter.sortAfter) {
      // After the cursor in (value DESC, id DESC) order: the first term seeks into the sort's index
      // (SQLite does not seek on a row value here), the second leaves out the ties already shown.
      const after = `${sort} <= @sortValue AND (${sort} < @sortValue OR id < @sortId)`;
      where.push(after);
      bounds.push(after);
      params.sortValue = filter.sortAfter.value;
      params.sortId = filter.sortAfter.id;
    }
    const order = sort ? `${sort} DESC, id DESC` : filter.after !== undefined ? 'id ASC' : 'id DESC';
    params.limit = filter.limit ?? 100;
    const matching = (from: string, more: string[] = []) =>
      `SELECT id FROM ${from} WHERE ${[...where, ...more].join(' AND ')} ORDER BY ${order} LIMIT @limit`;
    if (!plan)
      return allAsObjects(
        this.statement(`SELECT ${columns} ${matching('exchanges').slice('SELECT id '.length)}`),
        params,
      );
    // A planned page finds its ids first, then reads the list's columns of those alone: a page sorted
    // from a term's rows computes its columns (clipped texts, JSON checks) for 100 rows, not for each it sorts.
    const read = (ids: string) =>
      this.statement(`SELECT ${columns} FROM exchanges WHERE id IN (${ids}) ORDER BY ${order}`).all(params);
    // Sorted from a term's figures (schema 19): the term's entries in the sort's order, or each
    // with every figure, sorted there; no row read.
    const figures = plan.figures
      ? `SELECT id FROM ${plan.figures.from} WHERE ${[...bounds, ...plan.figures.terms].join(' AND ')} ORDER BY ${order} LIMIT @limit`
      : null;
    if (figures && (plan.figures?.ordered || !plan.dense)) return read(figures);
    if (!plan.dense) return read(matching(plan.from));
    // Every term matches many rows: the first FIRST_WALK rows in the walked order most often hold
    // the page (each row read to check the filter), and it stops there.
    const walked = this.statement(
      `SELECT id FROM (SELECT id, ${sort ?? 'id'} AS v, (${plan.firstCheck ?? where.join(' AND ')}) AS m FROM ${plan.from} WHERE ${[...bounds, ...plan.walk].join(' AND ')} ORDER BY ${order} LIMIT ${this.bounds.firstWalk}) WHERE m ORDER BY ${sort ? 'v DESC, id DESC' : order} LIMIT @limit`,
    )
      .pluck()
      .all(params) as number[];
    if (walked.length === params.limit) {
      params.found = JSON.stringify(walked);
      return read('SELECT value FROM json_each(@found)');
    }
    // Else the matches sort late (their figure is smaller, or missing: -1): their own figures.
    if (figures) return read(figures);
    // Else the matches are few or far apart in that order (calls that failed have no tokens: they
    // sort last): the walk checks each entry against the smallest other term's rows, gathered from
    // its index once, and reads a row only when its id is among them.
    return read(matching(plan.from, plan.membership ? [plan.membership] : []));
  }

  count(filter: Omit<ExchangeFilter, 'limit' | 'before' | 'after' | 'sortAfter'> = {}): number {
    const { where, params } = this.conditions(filter);
    // `+id`: not the rowid's range over the table (every page of its rows read: 59 ms for 50,000
    // calls) but the smallest index, each of whose entries holds its rowid (bench/list-sort.ts).
    if (where[0] === NOT_CLEARED) where[0] = `+${NOT_CLEARED}`;
    // A status class counted through the status index (schema 15): the entries in its range, no row.
    for (const [i, term] of where.entries()) where[i] = term.replaceAll(STATUS_CLASS_TERM, 'status');
    return (
      this.statement(`SELECT count(*) AS n FROM exchanges ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(
        params,
      ) as { n: number }
    ).n;
  }

  /**
   * The table as a list page reads it: through the index of the filter's term db/filter-plan.ts
   * chooses (its condition added to `where`, as a partial index needs), else newest first by
   * rowid or through the sort's index. A search or a list of ids is left to SQLite.
   */
  private pagePlan(filter: ExchangeFilter, where: string[], params: Record<string, unknown>): PagePlan | null {
    const terms = this.indexedTerms(filter);
    if (terms === null) return null;
    const probed = this.prober.probe(terms, params);
    const driver = drivingTerm(probed, filter.sort !== undefined, this.bounds.probeCap);
    const dense = askedFields(filter).length > 0 && (!driver || driver.matches > this.bounds.probeCap);
    // Every term large, and no row in all of them (a model and a state none of its calls has): proved by walking the smaller side.
    if (dense && this.prober.matchNone(probed, params))
      return { from: 'exchanges', walk: [], dense, membership: null, firstCheck: null, figures: null, none: true };
    // The smallest terms but the one walked (one that decides more fields first), as sets of ids
    // their indexes give (see rows): two at most, the second only for fields the first leaves.
    const covered = new Set(driver?.fields ?? []);
    const sets: string[] = [];
    // The same, for the first walk's FIRST_WALK rows when every such term is in id order: each looked
    // up in its index (one seek, no row read; 4,000 rows read to check a dialect cost 72 ms at a
    // million). A long walk checks a set of ids gathered once instead (a seek each cost 1.1 s over
    // a million), and a term not in id order (a status class: 600,000 ids) the rows read.
    const seeks: string[] = [];
    for (const t of probed
      .filter((t) => t !== driver)
      .sort((a, b) => a.matches - b.matches || b.fields.length - a.fields.length)) {
      if (sets.length === 2 || t.fields.every((f) => covered.has(f))) continue;
      for (const f of t.fields) covered.add(f);
      sets.push(`id IN (SELECT id FROM exchanges INDEXED BY ${t.index} WHERE ${t.sql})`);
      if (t.idOrdered)
        seeks.push(
          `EXISTS (SELECT 1 FROM exchanges AS other INDEXED BY ${t.index} WHERE ${t.sql} AND other.id = exchanges.id)`,
        );
    }
    const membership = sets.length ? sets.join(' AND ') : null;
    const firstCheck =
      membership !== null && seeks.length === sets.length && askedFields(filter).every((f) => covered.has(f))
        ? seeks.join(' AND ')
        : null;
    // A small term without a figures index (a session) sorts its own rows, read (at most PROBE_CAP).
    const figures = filter.sort ? this.figuresWalk(filter.sort, filter, probed, driver) : null;
    if (driver) {
      where.push(driver.sql);
      return {
        from: `exchanges INDEXED BY ${driver.index}`,
        walk: [driver.sql],
        dense,
        membership,
        firstCheck,
        figures,
      };
    }
    const from = filter.sort ? `exchanges INDEXED BY ${sortIndex(filter.sort)}` : 'exchanges NOT INDEXED';
    // `since` sorted by time: the sort's index is the term's own (schema 22), entered at its value.
    const own = filter.sort ? probed.filter((t) => t.index === sortIndex(filter.sort ?? '')).map((t) => t.sql) : [];
    return { from, walk: own, dense, membership, firstCheck, figures };
  }

  /**
   * A sorted page from the figures index (schema 19) of the smallest term that has one, each other
   * field checked against the ids its own index holds (no row read); null when the database has no
   * such index yet (built after start) or a field of the filter has no index (its rows are read).
   */
  private figuresWalk(
    sort: SortKey,
    filter: ExchangeFilter,
    probed: Probed[],
    small: Probed | null,
  ): FiguresWalk | null {
    const bySize = [...probed].sort((a, b) => a.matches - b.matches || b.fields.length - a.fields.length);
    const withFigures = bySize.flatMap((term) => {
      const found = figuresIndex(term.index, sort);
      return found && this.prober.has(found.index) ? [{ term, ...found }] : [];
    });
    // A small term (at most PROBE_CAP rows) bounds the page's reads: its figures, else (a session)
    // its rows read and sorted (null here). Else an ordered index (a seek), else the smallest
    // term's figures.
    const chosen = small
      ? withFigures.find((f) => f.term === small)
      : (withFigures.find((f) => f.ordered) ?? withFigures[0]);
    if (!chosen) return null;
    const walked = chosen.term;
    const covered = new Set(walked.fields);
    const terms = [walked.sql];
    for (const t of bySize) {
      if (t.fields.every((f) => covered.has(f))) continue;
      for (const f of t.fields) covered.add(f);
      // A large term in id order: each entry walked looked up in its index (one seek, no row);
      // gathering its ids first took longer than the walk (a model's 460,000 at a million).
      terms.push(
        t.idOrdered && t.matches > this.bounds.probeCap
          ? `EXISTS (SELECT 1 FROM exchanges AS other INDEXED BY ${t.index} WHERE ${t.sql} AND other.id = exchanges.id)`
          : `id IN (SELECT id FROM exchanges INDEXED BY ${t.index} WHERE ${t.sql})`,
      );
    }
    // "complete" (most rows) has no index: the rows that did not complete, which schema 17 indexes, left out.
    if (filter.state === 'complete' && !covered.has('state') && this.prober.has('exchanges_unfinished')) {
      terms.push(`id NOT IN (SELECT id FROM exchanges INDEXED BY exchanges_unfinished WHERE state <> 'complete')`);
      covered.add('state');
    }
    if (!askedFields(filter).every((f) => covered.has(f))) return null;
    return { from: `exchanges INDEXED BY ${chosen.index}`, ordered: chosen.ordered, terms };
  }

  /**
   * How many match the list's filter, for its first page: counted up to COUNT_CAP (more reads
   * "10,000+"), in the index of a term that decides the whole filter when there is one (no row
   * read), else by reading at most COUNT_SCAN rows of the smallest term's index (past it, what
   * was found is a lower bound). Never a pass over a large share of a million rows.
   */
  countUpTo(filter: Omit<ExchangeFilter, 'limit' | 'before' | 'after' | 'sortAfter'> = {}): MatchCount {
    if (filter.text && searchTerms(filter.text).length) return this.searchCountUpTo(filter);
    const { where, params } = this.conditions(filter);
    const { countCap, countScan } = this.bounds;
    const counted = (n: number, more = false): MatchCount => ({
      count: Math.min(n, countCap),
      atLeast: more || n > countCap,
    });
    const terms = this.indexedTerms(filter);
    const probed = terms ? this.prober.probe(terms, params) : [];
    const asked = askedFields(filter);
    const deciding = probed
      .filter((t) => asked.every((f) => t.fields.includes(f)))
      .sort((a, b) => a.matches - b.matches)[0];
    if (deciding) {
      if (deciding.matches <= this.bounds.probeCap || countCap <= this.bounds.probeCap)
        return counted(deciding.matches);
      const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM exchanges INDEXED BY ${deciding.index} WHERE ${NOT_CLEARED} AND ${deciding.sql} LIMIT ${countCap + 1})`;
      return counted((this.statement(sql).get(params) as { n: number }).n);
    }
    const driver = [...probed].sort((a, b) => a.matches - b.matches)[0];
    // Every term large and no row in all of them (db/filter-plan.ts matchNone): none, not "at least 0".
    if (this.prober.matchNone(probed, params)) return counted(0);
    if (!driver) {
      // No filter: the first COUNT_CAP + 1 (`+id`: through the smallest index, whose entries hold
      // their rowids, not the table's pages). A state of "complete" (most rows): newest first by rowid.
      const unfiltered = asked.length === 0 && where[0] === NOT_CLEARED;
      if (unfiltered) where[0] = `+${NOT_CLEARED}`;
      const n = (
        this.statement(
          `SELECT count(*) AS n FROM (SELECT 1 FROM exchanges ${unfiltered ? '' : 'NOT INDEXED '}WHERE ${where.join(' AND ')} LIMIT ${countCap + 1})`,
        ).get(params) as { n: number }
      ).n;
      return counted(n);
    }
    const found = this.statement(
      `SELECT count(*) AS scanned, total(m) AS matched FROM (SELECT (${where.join(' AND ')}) AS m FROM exchanges INDEXED BY ${driver.index} WHERE ${NOT_CLEARED} AND ${driver.sql} LIMIT ${countScan})`,
    ).get(params) as { scanned: number; matched: number };
    return counted(found.matched, found.scanned >= countScan);
  }

  /**
   * A search's newest matches: windows of matching ids, newest first (db/part-search.ts), each
   * narrowed by the other filters, until the page is full. Never every hit of a common word.
   */
  private newestMatches(columns: string, filter: ExchangeFilter): unknown[] {
    const limit = filter.limit ?? 100;
    const { where, params, alone } = this.searchNarrowing(filter);
    const sql = `SELECT ${columns} FROM exchanges WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
    const rows: unknown[] = [];
    for (const found of this.partSearch.windows(searchTerms(filter.text ?? ''), filter.before)) {
      // Nothing else to narrow by: only the page's own rows are read.
      const ids = alone ? alone(found).slice(0, limit - rows.length) : found;
      if (ids.length === 0) continue;
      rows.push(...this.statement(sql).all({ ...params, found: JSON.stringify(ids), limit: limit - rows.length }));
      if (rows.length >= limit) break;
    }
    return rows;
  }

  /**
   * A search sorted by a figure: its matches gathered newest first (db/part-search.ts windows) up
   * to PROBE_CAP, then read and sorted; a search with more (a common word: at least 1% of a
   * million) walks the sort's index and checks each row against the terms (rowMatchesTerm), no
   * gathering of hundreds of thousands of matches.
   */
  private sortedMatches(columns: string, filter: ExchangeFilter & { sort: SortKey; text: string }): unknown[] {
    const sort = SORT_COLUMNS[filter.sort];
    const page: Record<string, unknown> = { limit: filter.limit ?? 100 };
    const after: string[] = [];
    if (filter.sortAfter) {
      after.push(`${sort} <= @sortValue AND (${sort} < @sortValue OR id < @sortId)`);
      page.sortValue = filter.sortAfter.value;
      page.sortId = filter.sortAfter.id;
    }
    const terms = searchTerms(filter.text);
    // Few entries (at most PROBE_CAP): every match gathered. Else the newest matches of a page,
    // newest first window after window: every match from the top down to the last one found.
    const few = this.partSearch.entriesUpTo(terms, this.bounds.probeCap) <= this.bounds.probeCap;
    const found: number[] = [];
    for (const ids of this.partSearch.windows(terms)) {
      found.push(...ids);
      if (!few && found.length >= (filter.limit ?? 100)) break;
    }
    if (few || found.length === 0) {
      // Every match gathered: read by id (NOT INDEXED: no walk of the sort's index) and sorted.
      const { where, params } = this.searchNarrowing(filter);
      return this.statement(
        `SELECT ${columns} FROM exchanges NOT INDEXED WHERE ${[...where, ...after].join(' AND ')} ORDER BY ${sort} DESC, id DESC LIMIT @limit`,
      ).all({ ...params, ...page, found: JSON.stringify(found) });
    }
    const { where, params } = this.conditions({ ...filter, text: undefined });
    // The newest matches found are all the matches at or above the last one's id: a row there is
    // checked against them (one set, built once), and only an older row against the search index.
    // Rows newer than every match (a day of other traffic, first in the time sort) were each looked
    // up in the index: 60,000 of them cost 1.4 s at a million; a set's lookup costs the rowid alone.
    params.seen = JSON.stringify(found);
    params.seenLow = found[found.length - 1];
    const older = terms.map((term, k) => {
      params[`term${k}`] = term;
      return rowMatchesTerm(k);
    });
    where.push(
      `CASE WHEN id >= @seenLow THEN id IN (SELECT value FROM json_each(@seen)) ELSE ${older.join(' AND ')} END`,
    );
    return this.statement(
      `SELECT ${columns} FROM exchanges INDEXED BY ${sortIndex(filter.sort)} WHERE ${[...where, ...after].join(' AND ')} ORDER BY ${sort} DESC, id DESC LIMIT @limit`,
    ).all({ ...params, ...page });
  }

  /** A search's matches counted newest first, window by window, up to COUNT_CAP (past it: "10,000+"). */
  private searchCountUpTo(filter: ExchangeFilter): MatchCount {
    const { where, params, alone } = this.searchNarrowing(filter);
    const sql = `SELECT count(*) AS n FROM exchanges WHERE ${where.join(' AND ')}`;
    let count = 0;
    for (const found of this.partSearch.windows(searchTerms(filter.text ?? ''))) {
      count += alone
        ? alone(found).length
        : (this.statement(sql).get({ ...params, found: JSON.stringify(found) }) as { n: number }).n;
      if (count > COUNT_CAP) return { count: COUNT_CAP, atLeast: true };
    }
    return { count, atLeast: false };
  }

  /**
   * The other filters of a search, as conditions on a window's matches (@found); `alone` when
   * there are none: the matches are then narrowed in memory (those Clear all marked left out),
   * not each row looked up (10,000 of them: 80 ms here).
   */
  private searchNarrowing(filter: ExchangeFilter): {
    where: string[];
    params: Record<string, unknown>;
    alone: ((found: number[]) => number[]) | null;
  } {
    const { where, params } = this.conditions({ ...filter, text: undefined, before: undefined });
    const clearedUpTo =
      where.length === 1 && where[0] === NOT_CLEARED
        ? (this.statement('SELECT clear_up_to AS n FROM upkeep').get() as { n: number }).n
        : null;
    where.push('id IN (SELECT value FROM json_each(@found))');
    return {
      where,
      params,
      alone: clearedUpTo === null ? null : (found) => found.filter((id) => id > clearedUpTo),
    };
  }

  /** The filter's terms an index answers alone (db/filter-plan.ts); null for a search or a list of ids, left to SQLite. */
  private indexedTerms(filter: ExchangeFilter): IndexedTerm[] | null {
    if (filter.id !== undefined || filter.ids !== undefined || filter.text?.trim()) return null;
    const terms: IndexedTerm[] = [];
    // Schema 22's index of a call column's rows, once built (db/filter-plan.ts CALL_INDEXES).
    const add = (index: string, sql: string, idOrdered: boolean, ...fields: string[]) =>
      terms.push({
        index: CALL_INDEXES[index] && this.prober.has(CALL_INDEXES[index]) ? CALL_INDEXES[index] : index,
        sql,
        idOrdered,
        fields,
      });
    if (filter.host) add('exchanges_host', 'host = @host', true, 'host');
    if (filter.method) add('exchanges_method', 'method = @method', true, 'method');
    // Schema 17 indexes only the rows that did not complete (a few in a hundred): "complete" walks the rows.
    if (filter.state && filter.state !== 'complete')
      add('exchanges_unfinished', `state = @state AND state <> 'complete'`, true, 'state');
    if (filter.model) add('exchanges_model', 'model = @model', true, 'model');
    if (filter.thread) add('exchanges_thread', 'thread_key = @thread', true, 'thread');
    // Schema 22's dialect index holds a dialect's rows in id order (a page newest first stops at its
    // limit; a walk looks a row up by id, no row read); the one it replaces, host first (a dialect
    // alone sorted its rows: a million's openai-chat sorted by tokens 147-332 ms).
    if (filter.dialect && this.prober.has('exchanges_call_dialect'))
      terms.push({ index: 'exchanges_call_dialect', sql: 'dialect = @dialect', idOrdered: true, fields: ['dialect'] });
    else if (filter.dialect) {
      terms.push({ index: 'exchanges_dialect', sql: 'dialect = @dialect', idOrdered: false, fields: ['dialect'] });
      if (filter.host) add('exchanges_dialect', 'dialect = @dialect AND host = @host', true, 'dialect', 'host');
    }
    const range = filter.status ? statusRange(filter.status) : null;
    if (range) {
      const one = range[1] - range[0] === 1;
      const status = one ? 'status = @status' : 'status >= @statusLow AND status < @statusHigh';
      add('exchanges_status', status, one, 'status');
      if (filter.host) add('exchanges_host_status', `host = @host AND ${status}`, one, 'host', 'status');
    }
    if (filter.since !== undefined) add('exchanges_sort_time', `${STARTED_FIGURE} >= @since`, false, 'since');
    return terms;
  }

  private conditions(filter: ExchangeFilter): { where: string[]; params: Record<string, unknown> } {
    // Clear all deletes in steps after it answers: what it has marked is gone from every read.
    const where: string[] = [NOT_CLEARED];
    const params: Record<string, unknown> = {};
    for (const [key, column] of EQUALITY_FILTERS) {
      const value = filter[key];
      if (value === undefined || value === '') continue;
      where.push(`${column} = @${key}`);
      params[key] = key === 'method' ? String(value).toUpperCase() : value;
    }
    if (filter.ids !== undefined) {
      where.push('id IN (SELECT value FROM json_each(@ids))');
      params.ids = JSON.stringify(filter.ids);
    }
    const range = filter.status ? statusRange(filter.status) : null;
    if (range && range[1] - range[0] === 1) {
      // One status: its entries in the status index are in id order, so a page reads only its rows.
      where.push('status = @status');
      params.status = range[0];
    } else if (range) {
      // A class: the page walks ids newest first and stops at its limit (through the status
      // index it would sort every match: 60% of a million rows for 2xx); count() counts through the index.
      where.push(`${STATUS_CLASS_TERM} >= @statusLow AND ${STATUS_CLASS_TERM} < @statusHigh`);
      [params.statusLow, params.statusHigh] = range;
    }
    if (filter.since !== undefined) {
      // The time's figure (exchanges_sort_time's, db/filter-plan.ts STARTED_FIGURE): started_at has no index of its own.
      where.push(`${STARTED_FIGURE} >= @since`);
      params.since = filter.since;
    }
    if (filter.before !== undefined) {
      where.push('id < @before');
      params.before = filter.before;
    }
    if (filter.after !== undefined) {
      // First: of two lower bounds on the rowid SQLite seeks to the first one written and filters
      // by the other, so after NOT_CLEARED's (0 when nothing was cleared) each page of an export
      // read every row before it (100,000 rows: 28 ms a page, 14 s in all).
      where.unshift('id > @after');
      params.after = filter.after;
    }
    // Typed words searched as text, Chinese found inside unspaced runs (db/search-text.ts): each
    // term in the exchange's own entry or in a part of its request body (db/part-search.ts).
    const terms = filter.text ? searchTerms(filter.text) : [];
    if (terms.length) {
      terms.forEach((term, k) => {
        where.push(termCondition(k));
        params[`term${k}`] = term;
      });
    } else if (filter.text?.trim()) {
      // Typed, but nothing in it is a word (only punctuation): nothing matches, as no word does.
      where.push('0');
    }
    return { where, params };
  }

  /**
   * How many finished exchanges wait to be put in the search index (db/indexer.ts), of how many:
   * null when fewer than `from` wait (a few always wait their slice while traffic flows: not
   * worth a banner). Counted through the index of waiting rows: cheap when few wait.
   */
  searchProgress(from = SEARCH_PROGRESS_FROM): SearchProgress | null {
    const waiting =
      // `to_index > 0` names the partial index of waiting rows: without it SQLite walks every row's id (asked by each status poll).
      (
        this.statement(`SELECT (SELECT count(*) FROM exchanges WHERE to_index = 2 AND to_index > 0 AND ${NOT_CLEARED})
        + (SELECT count(*) FROM exchanges WHERE to_index = 1 AND to_index > 0 AND state NOT IN ('pending', 'streaming') AND ${NOT_CLEARED}) AS n`).get() as {
          n: number;
        }
      ).n + reindexWaiting(this.db);
    if (waiting === 0 || waiting < from) return null;
    // The span of the ids kept, not a count: counting a million rows took 1.4-2 s at load 13, on
    // each status poll while a store was re-indexed. Ids only grow and retention deletes the
    // oldest, so the span is the count less the few rows deleted one by one (a progress bar).
    const ends = this.statement(`SELECT min(id) AS low, max(id) AS high FROM exchanges WHERE ${NOT_CLEARED}`).get() as {
      low: number | null;
      high: number | null;
    };
    const total = Math.max(waiting, ends.low === null || ends.high === null ? 0 : ends.high - ends.low + 1);
    return { indexed: Math.max(0, total - waiting), total };
  }

  /** While indexes an upgrade wants are built after start (db/index-build.ts): how many exist of how many. */
  indexBuild(): IndexBuildProgress | null {
    return indexBuildProgress(this.db);
  }

  /** The exchange the proxy recorded under this uid (a replay knows its uid before it is sent). */
  byUid(uid: string): Exchange | null {
    const row = this.statement(`SELECT * FROM exchanges WHERE uid = ? AND ${NOT_CLEARED}`).get(uid) as
      | ExchangeRow
      | undefined;
    return row ? toExchange(row, this.damage) : null;
  }

  /** Ids of the replays of an exchange, oldest first. */
  replaysOf(id: number): number[] {
    return (this.statement('SELECT id FROM exchanges WHERE replay_of = ? ORDER BY id').all(id) as { id: number }[]).map(
      (r) => r.id,
    );
  }

  /**
   * Whether a WebSocket exchange is among the `limit` exchanges to `host` before `before` (the
   * window diagnoses look back over, llm/stored-calls.ts): read from the host's index and each
   * row's scheme only, so a Codex session's calls are not each read whole to learn they are not one.
   */
  webSocketAmong(host: string, before: number, limit: number): boolean {
    return (
      this.statement(
        `SELECT 1 FROM (SELECT scheme FROM exchanges WHERE host = ? AND id < ? AND ${NOT_CLEARED} ORDER BY id DESC LIMIT ?) WHERE scheme IN ('ws', 'wss') LIMIT 1`,
      ).get(host, before, limit) !== undefined
    );
  }

  /**
   * The exchanges to `host` from the `back`-th before `from` up to `to` (not included), oldest
   * first, each with whether it is a WebSocket: the windows webSocketAmong looks over, for many
   * calls to one host in one query (`wirelog doctor`), from the host's index and each row's scheme.
   */
  hostWindow(host: string, from: number, to: number, back: number): { id: number; webSocket: boolean }[] {
    const rows = this.statement(
      // The window's lower bound first: of two lower bounds on the rowid SQLite seeks to the first
      // written (after NOT_CLEARED's it read every row of the host before the window: 0.25 s at a million).
      `SELECT id, scheme IN ('ws', 'wss') AS ws FROM exchanges WHERE host = @host
        AND id >= coalesce((SELECT min(id) FROM (SELECT id FROM exchanges WHERE host = @host AND id < @from AND ${NOT_CLEARED} ORDER BY id DESC LIMIT @back)), @from)
        AND id < @to AND ${NOT_CLEARED} ORDER BY id`,
    ).all({ host, from, to, back }) as { id: number; ws: number }[];
    return rows.map((r) => ({ id: r.id, webSocket: r.ws === 1 }));
  }

  get(id: number): Exchange | null {
    const row = this.statement(`SELECT * FROM exchanges WHERE id = ? AND ${NOT_CLEARED}`).get(id) as
      | ExchangeRow
      | undefined;
    return row ? toExchange(row, this.damage) : null;
  }

  /** The database file this reader reads (a worker opens it again to compare off the forwarding thread), or null for one in memory. */
  get file(): string | null {
    return this.db.memory ? null : this.db.name;
  }

  /** The stored chunks of a body one at a time, as stored (a large body is hashed without being held whole). */
  *bodyChunks(id: number, side: BodySide): Generator<Buffer> {
    const damage: ColumnDamage[] = [];
    // All rows first: a split body's parts are read with another statement, not while this one iterates.
    const rows = this.statement('SELECT rowid, codec FROM bodies WHERE exchange_id = ? AND side = ? ORDER BY seq').all(
      id,
      side,
    ) as { rowid: number; codec: unknown }[];
    const data = this.statement('SELECT data FROM bodies WHERE rowid = ?');
    for (const row of rows)
      yield this.bodyRow(row.codec, (data.get(row.rowid) as { data: unknown } | undefined)?.data, side, damage);
    this.noteDamage(id, damage);
  }

  /** The stored bytes of a body, still content-encoded as they crossed the wire. */
  body(id: number, side: BodySide, parts?: PartCache): Buffer {
    const rows = this.statement('SELECT data, codec FROM bodies WHERE exchange_id = ? AND side = ? ORDER BY seq').all(
      id,
      side,
    ) as { data: unknown; codec: unknown }[];
    const damage: ColumnDamage[] = [];
    const body = Buffer.concat(rows.map((r) => this.bodyRow(r.codec, r.data, side, damage, parts)));
    this.noteDamage(id, damage);
    return body;
  }

  /** A body row's bytes: unpacked (db/compression.ts), or a split body joined from its parts (db/blobs.ts); what cannot be is noted as damage and read as none. */
  private bodyRow(codec: unknown, data: unknown, side: BodySide, damage: ColumnDamage[], parts?: PartCache): Buffer {
    const bytes = storedBytes(data, `bodies.data (${side})`, damage);
    const read = (blob: number) => readBlob(this.statement('SELECT codec, data FROM blobs WHERE id = ?'), blob);
    return this.unpackedColumn(codec, bytes, `bodies.data (${side})`, damage, (c, b) =>
      rowBytes({ codec: c, data: b }, parts ? (blob) => this.cachedPart(blob, parts, read) : read),
    );
  }

  /** A part from the cache when it holds the same part (an id freed by a deletion may be given to another), else read and kept. */
  private cachedPart(id: number, parts: PartCache, read: (id: number) => Buffer): Buffer {
    const hash = this.statement('SELECT hash FROM blobs WHERE id = ?').pluck().get(id) as Buffer | undefined;
    const kept = parts.get(id);
    if (kept && hash && kept.hash.equals(hash)) return kept.bytes;
    const bytes = read(id);
    if (hash) parts.set(id, { hash, bytes });
    return bytes;
  }

  private unpackedColumn(
    codec: unknown,
    bytes: Buffer,
    column: string,
    damage: ColumnDamage[],
    unpack: (codec: number, bytes: Buffer) => Buffer = unpacked,
  ): Buffer {
    if (codec === 0 || codec === null || codec === undefined) return bytes;
    try {
      return unpack(Number(codec), bytes);
    } catch (err) {
      damage.push({ column, why: `cannot be read back (${(err as Error).message}); read as none` });
      return Buffer.alloc(0);
    }
  }

  private noteDamage(id: number, damage: ColumnDamage[]): void {
    if (damage.length) this.damage.record(id, [damageNote(damage[0])]);
  }

  /** The bodies, SSE events and WebSocket messages of a page of exchanges, a query each, as body/sseEvents/wsMessages read them (db/page-reads.ts). */
  pageStreams(
    ids: number[],
    want: { sse: Set<number>; websocket: Set<number>; sseAsBytes?: boolean },
    parts?: PartCache,
  ): Map<number, PageStreams> {
    const access = {
      statement: (sql: string) => this.statement(sql),
      noteDamage: (id: number, damage: ColumnDamage[]) => this.noteDamage(id, damage),
    };
    return readPage(access, ids, want, parts);
  }

  /** The SSE events of many exchanges (ids ascending) in one query, as sseEvents reads each one's (db/page-reads.ts). */
  pageEvents(ids: number[]): Map<number, SseEvent[]> {
    const access = {
      statement: (sql: string) => this.statement(sql),
      noteDamage: (id: number, damage: ColumnDamage[]) => this.noteDamage(id, damage),
    };
    return readPageEvents(access, ids);
  }

  sseEvents(id: number): SseEvent[] {
    const rows = this.statement(
      'SELECT seq, offset_ms, event, event_id, data, codec FROM sse_events WHERE exchange_id = ? ORDER BY seq',
    ).all(id) as Record<string, unknown>[];
    const damage: ColumnDamage[] = [];
    const events = rows.map((row) => {
      // A packed event's data is bytes (db/compression.ts); read as the text it was.
      if (row.codec && Buffer.isBuffer(row.data))
        row.data = this.unpackedColumn(row.codec, row.data, 'sse_events.data', damage).toString('utf8');
      const r = new RowReading(row);
      const event = sseEventOf(r);
      for (const d of r.damage) damage.push({ column: `sse_events.${d.column}`, why: d.why });
      return event;
    });
    this.noteDamage(id, damage);
    return events;
  }

  wsMessages(id: number): WsMessage[] {
    const rows = this.statement(
      'SELECT seq, offset_ms, direction, opcode, payload, codec FROM ws_messages WHERE exchange_id = ? ORDER BY seq',
    ).all(id) as Record<string, unknown>[];
    const damage: ColumnDamage[] = [];
    const messages = rows.map((row) => {
      const r = new RowReading(row);
      const message = {
        seq: r.number('seq'),
        offsetMs: r.number('offset_ms'),
        direction: r.oneOf('direction', WS_DIRECTIONS, 'receive'),
        opcode: r.number('opcode', 2),
        payload: this.unpackedColumn(row.codec, storedBytes(row.payload, 'payload', r.damage), 'payload', r.damage),
      };
      for (const d of r.damage) damage.push({ column: `ws_messages.${d.column}`, why: d.why });
      return message;
    });
    this.noteDamage(id, damage);
    return messages;
  }
}
