import path from 'node:path';
import Database from 'better-sqlite3';
import { HEAD_LIMITS as LIMIT } from '../model/head-bounds.ts';
import { checkPrivateEntry, createPrivateFile, ensureDataDir, type FileRole } from '../certs/safe-files.ts';
import { PhraseError } from '../i18n/stored-text.ts';

export type Db = Database.Database;

/** Schema 17's indexes, by name, in the order they are built: the filters' first, then the sweep's of rows left open. */
const WANTED_INDEXES_17: [string, string][] = [
  ['exchanges_status', 'CREATE INDEX IF NOT EXISTS exchanges_status ON exchanges (status)'],
  ['exchanges_host_status', 'CREATE INDEX IF NOT EXISTS exchanges_host_status ON exchanges (host, status)'],
  ['exchanges_method', 'CREATE INDEX IF NOT EXISTS exchanges_method ON exchanges (method)'],
  [
    'exchanges_unfinished',
    "CREATE INDEX IF NOT EXISTS exchanges_unfinished ON exchanges (state) WHERE state <> 'complete'",
  ],
  [
    'exchanges_open',
    "CREATE INDEX IF NOT EXISTS exchanges_open ON exchanges (id) WHERE state IN ('pending', 'streaming')",
  ],
];

/**
 * The list's sorts, as schema 13's indexes spell them (db/reader.ts SORT_COLUMNS must spell each
 * the same for SQLite to use an index on it), by the sort's name.
 */
const SORT_FIGURES: [string, string][] = [
  ['time', "CASE WHEN typeof(started_at) IN ('integer', 'real') THEN started_at ELSE -1 END"],
  ['tokens_in', "CASE WHEN typeof(input_tokens) IN ('integer', 'real') THEN input_tokens ELSE -1 END"],
  ['tokens_out', "CASE WHEN typeof(output_tokens) IN ('integer', 'real') THEN output_tokens ELSE -1 END"],
  ['ttft', "CASE WHEN typeof(ttft_ms) IN ('integer', 'real') THEN ttft_ms ELSE -1 END"],
  ['size', "CASE WHEN typeof(response_size) IN ('integer', 'real') THEN response_size ELSE -1 END"],
  [
    'duration',
    "CASE WHEN typeof(timings) <> 'text' THEN -1 WHEN NOT json_valid(timings) THEN -1 WHEN json_type(timings, '$.end') IN ('integer', 'real') THEN json_extract(timings, '$.end') ELSE -1 END",
  ],
];
const FIGURES = SORT_FIGURES.map(([, figure]) => figure).join(', ');

/**
 * Schema 19's indexes (db/filter-plan.ts figuresIndex): a host's or a model's rows in each sort's
 * order (one index a sort: a page is a seek); a status's and an unfinished state's rows with
 * every sort's figure (one index: a page sorts the term's entries, fewer: failures).
 */
const WANTED_INDEXES_19: [string, string][] = [
  ...SORT_FIGURES.map(([sort, figure]): [string, string] => [
    `exchanges_host_sort_${sort}`,
    `CREATE INDEX IF NOT EXISTS exchanges_host_sort_${sort} ON exchanges (host, ${figure})`,
  ]),
  ...SORT_FIGURES.map(([sort, figure]): [string, string] => [
    `exchanges_model_sort_${sort}`,
    `CREATE INDEX IF NOT EXISTS exchanges_model_sort_${sort} ON exchanges (model, ${figure}) WHERE model IS NOT NULL`,
  ]),
  [
    'exchanges_status_figures',
    `CREATE INDEX IF NOT EXISTS exchanges_status_figures ON exchanges (status, ${FIGURES}) WHERE status IS NOT NULL`,
  ],
  [
    'exchanges_unfinished_figures',
    `CREATE INDEX IF NOT EXISTS exchanges_unfinished_figures ON exchanges (state, ${FIGURES}) WHERE state <> 'complete'`,
  ],
];

/**
 * Schema 22's indexes (issue 28: fewer index entries per stored row): the columns only a model
 * call has (model, thread, the provider's response id, dialect) indexed for the rows that have
 * them, not a NULL entry for every other request (a GET row entered all four). A `col = ?` term
 * uses such an index (it implies `col IS NOT NULL`); db/reader.ts names the new one once it exists.
 */
const WANTED_INDEXES_22: [string, string][] = [
  [
    'exchanges_call_model',
    'CREATE INDEX IF NOT EXISTS exchanges_call_model ON exchanges (model, id) WHERE model IS NOT NULL',
  ],
  [
    'exchanges_call_thread',
    'CREATE INDEX IF NOT EXISTS exchanges_call_thread ON exchanges (thread_key, id) WHERE thread_key IS NOT NULL',
  ],
  [
    'exchanges_call_response_id',
    'CREATE INDEX IF NOT EXISTS exchanges_call_response_id ON exchanges (response_id) WHERE response_id IS NOT NULL',
  ],
  [
    'exchanges_call_dialect',
    'CREATE INDEX IF NOT EXISTS exchanges_call_dialect ON exchanges (dialect, id) WHERE dialect IS NOT NULL',
  ],
];

/**
 * The indexes schema 22 replaces (above), and exchanges_started, which exchanges_sort_time
 * duplicates (the time's figure is started_at for every row wirelog writes; db/filter-plan.ts
 * STARTED_FIGURE). Dropped after every wanted index exists (db/index-build.ts), so a filter
 * always has one of the two.
 */
const UNWANTED_INDEXES_22 = [
  'exchanges_model',
  'exchanges_thread',
  'exchanges_response_id',
  'exchanges_dialect',
  'exchanges_started',
];

/** Indexes a migration asks for, as rows of indexes_wanted from `rank` on, and created at once in an empty store (nothing to read). */
function wantIndexes(db: Db, indexes: [string, string][], rank: number): string {
  const wanted = indexes.map(([name, sql], n) => `('${name}', ${rank + n}, '${sql.replaceAll("'", "''")}')`);
  const empty = db.prepare('SELECT 1 FROM exchanges LIMIT 1').get() === undefined;
  // A store a tool made without the list (bench/upgrade-start.ts drops it) gets one.
  return `
  CREATE TABLE IF NOT EXISTS indexes_wanted (name TEXT PRIMARY KEY, rank INTEGER NOT NULL, sql TEXT NOT NULL);
  INSERT OR REPLACE INTO indexes_wanted (name, rank, sql) VALUES ${wanted.join(', ')};
  ${empty ? indexes.map(([, sql]) => `${sql};`).join('\n  ') : ''}
  `;
}

// Each entry moves the schema one version up; user_version records how far a file has come.
// A migration is its SQL, or a function building it when it runs: boundEarlierRows formats its
// numbers with toLocaleString, whose first call starts ICU's number formatting (10-70 ms of the
// main thread at every start, before the proxy listens; bench/startup.ts); schema 17's is given
// the database, to see whether it holds rows.
const MIGRATIONS: (string | ((db: Db) => string))[] = [
  `
  CREATE TABLE exchanges (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    started_at INTEGER NOT NULL,
    client_address TEXT NOT NULL,
    method TEXT NOT NULL,
    scheme TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    path TEXT NOT NULL,
    http_version TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    status INTEGER,
    status_text TEXT,
    response_http_version TEXT,
    response_headers TEXT,
    state TEXT NOT NULL,
    error TEXT,
    timings TEXT NOT NULL DEFAULT '{}',
    request_size INTEGER NOT NULL DEFAULT 0,
    request_stored INTEGER NOT NULL DEFAULT 0,
    request_truncated INTEGER NOT NULL DEFAULT 0,
    request_encoding TEXT NOT NULL DEFAULT '',
    response_size INTEGER NOT NULL DEFAULT 0,
    response_stored INTEGER NOT NULL DEFAULT 0,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    response_encoding TEXT NOT NULL DEFAULT '',
    stream_kind TEXT,
    event_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX exchanges_host ON exchanges (host, id);
  CREATE INDEX exchanges_started ON exchanges (started_at);
  CREATE TABLE bodies (
    exchange_id INTEGER NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    side TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE UNIQUE INDEX bodies_order ON bodies (exchange_id, side, seq);
  CREATE TABLE sse_events (
    exchange_id INTEGER NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    offset_ms REAL NOT NULL,
    event TEXT,
    event_id TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (exchange_id, seq)
  );
  CREATE TABLE ws_messages (
    exchange_id INTEGER NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    offset_ms REAL NOT NULL,
    direction TEXT NOT NULL,
    opcode INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (exchange_id, seq)
  );
  CREATE VIRTUAL TABLE exchanges_fts USING fts5 (url, request_body, response_body);
  `,
  // Model calls: what llm/ derives at the end of an exchange, kept for listing, filtering and sorting.
  `
  ALTER TABLE exchanges ADD COLUMN dialect TEXT;
  ALTER TABLE exchanges ADD COLUMN model TEXT;
  ALTER TABLE exchanges ADD COLUMN input_tokens INTEGER;
  ALTER TABLE exchanges ADD COLUMN output_tokens INTEGER;
  ALTER TABLE exchanges ADD COLUMN ttft_ms REAL;
  ALTER TABLE exchanges ADD COLUMN diagnosis_severity TEXT;
  ALTER TABLE exchanges ADD COLUMN diagnosis TEXT;
  ALTER TABLE exchanges ADD COLUMN thread_key TEXT;
  ALTER TABLE exchanges ADD COLUMN response_id TEXT;
  CREATE INDEX exchanges_model ON exchanges (model, id);
  CREATE INDEX exchanges_thread ON exchanges (thread_key, id);
  CREATE INDEX exchanges_response_id ON exchanges (response_id);
  CREATE INDEX exchanges_dialect ON exchanges (dialect, host, id);
  `,
  `
  ALTER TABLE exchanges ADD COLUMN via TEXT;
  `,
  // Every figure of the provider's usage (cache reads, cost…), for the list; the sortable two stay columns.
  `
  ALTER TABLE exchanges ADD COLUMN usage TEXT;
  `,
  // Replays (linked to the exchange replayed) and the fingerprints of masked secrets.
  `
  ALTER TABLE exchanges ADD COLUMN replay_of INTEGER;
  ALTER TABLE exchanges ADD COLUMN secrets TEXT;
  CREATE INDEX exchanges_replay_of ON exchanges (replay_of) WHERE replay_of IS NOT NULL;
  `,
  `
  ALTER TABLE exchanges ADD COLUMN imported TEXT;
  `,
  // Trailer fields after a chunked response body (JSON pairs, as the headers).
  `
  ALTER TABLE exchanges ADD COLUMN response_trailers TEXT;
  `,
  // What was cut of an exchange's fields to store them, and how big they were: one note per line.
  `
  ALTER TABLE exchanges ADD COLUMN notes TEXT;
  `,
  boundEarlierRows,
  // The search index keeps no copy of the texts (the old one held a second copy of every body)
  // and deletes with a tombstone, not by rewriting every word's entry (FTS5's secure-delete:
  // 0.4 s an exchange). db/retention.ts deletes, merges deleted words out of it, and reads the
  // old index into this one newest first, a slice at a time (rebuild_below), then drops it.
  // upkeep: what retention and Clear all still have to do, kept across a restart.
  `
  ALTER TABLE exchanges_fts RENAME TO exchanges_fts_old;
  CREATE VIRTUAL TABLE exchanges_fts USING fts5 (url, request_body, response_body, content='', contentless_delete=1);
  CREATE TABLE upkeep (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    clear_up_to INTEGER NOT NULL DEFAULT 0,
    purge INTEGER NOT NULL DEFAULT 0,
    rebuild_below INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO upkeep (id, rebuild_below) VALUES (1, coalesce((SELECT max(id) + 1 FROM exchanges), 0));
  `,
  // Search finds Chinese: the index holds CJK runs as overlapping pairs (db/search-text.ts), and
  // headers, SSE events and WebSocket messages besides URL and bodies. It is built from the
  // stored exchanges after start, a slice at a time (db/indexer.ts); db/retention.ts drops the
  // earlier indexes (exchanges_fts, and exchanges_fts_old if schema 10 had not finished reading
  // it) in steps after start, not here: dropping a large index takes time, and capture comes first.
  // to_index: what a row still needs, kept across a crash. 1: understood (llm/) and indexed,
  // as a new exchange is after its batch commits; 2: indexed only (understood by an earlier
  // wirelog); 0: done. Rows stored before this version read 2 (the column's default).
  `
  CREATE VIRTUAL TABLE exchanges_search USING fts5 (url, request, response, content='', contentless_delete=1);
  ALTER TABLE exchanges ADD COLUMN to_index INTEGER NOT NULL DEFAULT 2;
  CREATE INDEX exchanges_to_index ON exchanges (to_index, id) WHERE to_index > 0;
  UPDATE upkeep SET rebuild_below = 0;
  `,
  // 12: how many images the model returned (llm/images.ts), so the list marks such a call without reading its body.
  `
  ALTER TABLE exchanges ADD COLUMN images INTEGER;
  `,
  // 13: the app that sent the request ("Codex 0.171.0", llm/working-config.ts sendingClient), read
  // from its head when stored, so the list shows it without parsing headers per row. Rows stored
  // before keep NULL (their detail still names the client). And the list's sorts: each by an
  // expression that is a number for every row (-1 where the figure is missing or damaged: last,
  // largest first), so one index serves both the order and the keyset page (db/reader.ts
  // SORT_COLUMNS must spell each expression exactly so for SQLite to use its index).
  `
  ALTER TABLE exchanges ADD COLUMN client TEXT;
  CREATE INDEX exchanges_sort_time ON exchanges (CASE WHEN typeof(started_at) IN ('integer', 'real') THEN started_at ELSE -1 END);
  CREATE INDEX exchanges_sort_tokens_in ON exchanges (CASE WHEN typeof(input_tokens) IN ('integer', 'real') THEN input_tokens ELSE -1 END);
  CREATE INDEX exchanges_sort_tokens_out ON exchanges (CASE WHEN typeof(output_tokens) IN ('integer', 'real') THEN output_tokens ELSE -1 END);
  CREATE INDEX exchanges_sort_ttft ON exchanges (CASE WHEN typeof(ttft_ms) IN ('integer', 'real') THEN ttft_ms ELSE -1 END);
  CREATE INDEX exchanges_sort_size ON exchanges (CASE WHEN typeof(response_size) IN ('integer', 'real') THEN response_size ELSE -1 END);
  CREATE INDEX exchanges_sort_duration ON exchanges (CASE WHEN typeof(timings) <> 'text' THEN -1 WHEN NOT json_valid(timings) THEN -1 WHEN json_type(timings, '$.end') IN ('integer', 'real') THEN json_extract(timings, '$.end') ELSE -1 END);
  `,
  // 14: bodies stored once and compressed (issue 28). blobs: the parts of split request bodies
  // (db/body-parts.ts, db/blobs.ts), each once by its SHA-256, with how many stored bodies refer
  // to it. codec: how a row's bytes are packed (db/compression.ts; 0 as they are, as every
  // earlier row is); a bodies row with codec >= 16 is a split body's record. upkeep.compact_below:
  // rows of exchanges below this id were stored before and are packed after start, a slice at a
  // time, newest first (db/retention.ts), never in this migration: capture comes first.
  `
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, size INTEGER NOT NULL, codec INTEGER NOT NULL, data BLOB NOT NULL, refs INTEGER NOT NULL);
  ALTER TABLE bodies ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sse_events ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE ws_messages ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE upkeep ADD COLUMN compact_below INTEGER NOT NULL DEFAULT 0;
  UPDATE upkeep SET compact_below = coalesce((SELECT max(id) + 1 FROM exchanges), 0);
  `,
  // 15: found through an index, not by reading every row (issue 28, bench/scale.ts: a million
  // exchanges): the rows an earlier run left open (swept at every start, db/writer-worker.ts),
  // and the status (the list's status filter, and its count on the first page). The indexes
  // (exchanges_open, exchanges_status) were created here, seconds before wirelog listened at a
  // million rows; schema 17 now asks for them, built after start (db/index-build.ts).
  '',
  // 16: search over the stored parts (issue 28, db/part-search.ts). part_search: each part of a
  // split request body (a blobs row, same id) indexed once, when an exchange first refers to it;
  // contentless as exchanges_search is (no second copy of any text). part_refs: which exchanges
  // refer to which part (a part's hits become exchanges through it; blobs only counts them).
  // exchanges_search then holds only an exchange's own text (URL, heads, the skeleton of a split
  // body, the response, events, messages). The triggers keep both in step with any deletion,
  // whatever connection deletes: a part deleted (nothing refers to it) leaves the index, an
  // exchange deleted leaves part_refs. upkeep.reindex_below: rows indexed before (to_index 0, up
  // to the newest of them; rows still waiting are indexed the new way anyway) are indexed again
  // this way after start, newest first, a slice at a time (db/indexer.ts), never here; until a
  // row's turn its earlier entry (its whole text up to 1 MB a side) finds it, so search answers
  // throughout.
  `
  CREATE VIRTUAL TABLE part_search USING fts5 (text, content='', contentless_delete=1);
  CREATE TABLE part_refs (part_id INTEGER NOT NULL, exchange_id INTEGER NOT NULL, PRIMARY KEY (part_id, exchange_id)) WITHOUT ROWID;
  CREATE INDEX part_refs_exchange ON part_refs (exchange_id);
  CREATE TRIGGER part_search_unreferenced AFTER DELETE ON blobs BEGIN DELETE FROM part_search WHERE rowid = old.id; END;
  CREATE TRIGGER part_refs_deleted AFTER DELETE ON exchanges BEGIN DELETE FROM part_refs WHERE exchange_id = old.id; END;
  ALTER TABLE upkeep ADD COLUMN reindex_below INTEGER NOT NULL DEFAULT 0;
  UPDATE upkeep SET reindex_below = coalesce((SELECT id + 1 FROM exchanges WHERE to_index = 0 ORDER BY id DESC LIMIT 1), 0);
  `,
  // 17: every filter of the list through an index at a million exchanges (issue 28, db/filter-plan.ts):
  // the method; the state of the rows that did not complete (a few in a hundred: the insert of a
  // complete one pays nothing); a host's statuses (a host's 4xx counted in the index, no row read);
  // and schema 15's two. indexes_wanted names them, in the order they are built; a store with rows
  // gets them after wirelog listens, one at a time between capture batches (db/index-build.ts):
  // created here they held start for about 9 s at a million rows. An empty store gets them here
  // (nothing to read). Until one exists, the list plans without it (db/filter-plan.ts).
  (db) => {
    const wanted = WANTED_INDEXES_17.map(([name, sql], rank) => `('${name}', ${rank}, '${sql.replaceAll("'", "''")}')`);
    const empty = db.prepare('SELECT 1 FROM exchanges LIMIT 1').get() === undefined;
    return `
  CREATE TABLE indexes_wanted (name TEXT PRIMARY KEY, rank INTEGER NOT NULL, sql TEXT NOT NULL);
  INSERT INTO indexes_wanted (name, rank, sql) VALUES ${wanted.join(', ')};
  ${empty ? WANTED_INDEXES_17.map(([, sql]) => `${sql};`).join('\n  ') : ''}
  `;
  },
  // 18: empty, and stays so: stores opened since are past it, so anything written here would never run on them.
  '',
  // 19: a filter sorted by a figure at a million exchanges (issue 28, db/filter-plan.ts figuresIndex):
  // walking the sort's index and checking the filter read most of a million rows when the
  // filter's rows sort last (one host's calls have fewer tokens than another's; failed calls have
  // none). A host's or a model's rows in each sort's order (a page is a seek), and a status's or
  // an unfinished state's rows with every figure (a page sorts their entries, no row read: a
  // class of failures is tens of thousands). Built after wirelog listens, as 17's.
  (db) => wantIndexes(db, WANTED_INDEXES_19, WANTED_INDEXES_17.length),
  // 20: empty, and stays so (as 18): a later change takes the next number after the last.
  '',
  // 21: search reads JSON sent inside a JSON string (db/search-text.ts): a tool's output (Codex's
  // function_call_output, a chat tool message, an Anthropic tool_result) whose lines started with
  // `\\n` was indexed with each line's first word glued to an n (`nexport`). Rows indexed before
  // are indexed again after start, newest first, by schema 16's pass (upkeep.reindex_below, moved
  // up to the newest of them), their earlier entries answering meanwhile. Parts indexed before
  // (ids below upkeep.part_reindex_below) are indexed again when an exchange that refers to them
  // is (db/part-search.ts PartIndex.link), each once: parts_reindexed lists those done, and is
  // emptied when the rows' pass ends (the trigger). A part without an escaped backslash is read
  // the same by both rules: its entry is left as it is.
  `
  ALTER TABLE upkeep ADD COLUMN part_reindex_below INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE parts_reindexed (part_id INTEGER PRIMARY KEY);
  UPDATE upkeep SET
    reindex_below = max(reindex_below, coalesce((SELECT id + 1 FROM exchanges WHERE to_index = 0 ORDER BY id DESC LIMIT 1), 0)),
    part_reindex_below = coalesce((SELECT part_id + 1 FROM part_refs ORDER BY part_id DESC LIMIT 1), 0);
  CREATE TRIGGER parts_reindexed_done AFTER UPDATE OF reindex_below ON upkeep WHEN new.reindex_below = 0 AND old.part_reindex_below <> 0
  BEGIN UPDATE upkeep SET part_reindex_below = 0; DELETE FROM parts_reindexed; END;
  `,
  // 22: fewer index entries per stored row (issue 28: the storage thread's cost per row). The
  // call columns' indexes only for the rows that have them, and exchanges_started dropped (see
  // WANTED_INDEXES_22). A store with rows builds the new ones after wirelog listens, one a step
  // between capture batches, then drops the old ones the same way (indexes_unwanted,
  // db/index-build.ts): dropping a large index writes every page it frees (secure_delete), so
  // none is dropped here. An empty store gets the new ones and loses the old ones at once.
  (db) => {
    const empty = db.prepare('SELECT 1 FROM exchanges LIMIT 1').get() === undefined;
    return `${wantIndexes(db, WANTED_INDEXES_22, WANTED_INDEXES_17.length + WANTED_INDEXES_19.length)}
  CREATE TABLE indexes_unwanted (name TEXT PRIMARY KEY);
  INSERT INTO indexes_unwanted (name) VALUES ${UNWANTED_INDEXES_22.map((name) => `('${name}')`).join(', ')};
  ${empty ? UNWANTED_INDEXES_22.map((name) => `DROP INDEX IF EXISTS ${name};`).join('\n  ') : ''}
  `;
  },
];

/**
 * Rows an earlier wirelog stored with fields past today's bounds (model/head-bounds.ts: a 20 MB
 * header, URL or method, 100,000 headers) are cut to them once, each cut noted with the size it
 * had, so that reading one never costs more than reading one stored today. Lengths are read from
 * the record (octet_length loads no text); only the rows found are rewritten. Texts are cut by
 * characters here (SQL has no cut by bytes on a character boundary).
 */
function boundEarlierRows(): string {
  const text = (column: string, max: number, what: string) => `
  UPDATE exchanges SET notes = coalesce(notes || char(10), '') || '${what}: ' || printf('%,d', octet_length(${column})) || ' bytes, stored the first ${max.toLocaleString('en-US')} characters (stored by an earlier wirelog, cut when it was upgraded)',
    ${column} = substr(${column}, 1, ${max})
  WHERE id IN (SELECT id FROM oversize) AND octet_length(${column}) > ${max};`;
  // A head's pairs: at most so many, each name and value cut, and as many as fit in the head's bound.
  const headers = (column: string, what: string) => `
  UPDATE exchanges SET notes = coalesce(notes || char(10), '') || printf('%,d', json_array_length(${column})) || ' ${what}s, ' || printf('%,d', octet_length(${column})) || ' bytes: stored the first of them within ${LIMIT.headerCount.toLocaleString('en-US')} headers and ${LIMIT.headBytes / 1024} KB, each value within ${LIMIT.headerValue / 1024} KB (stored by an earlier wirelog, cut when it was upgraded)',
    ${column} = (SELECT json_group_array(json(pair)) FROM (
      SELECT pair, sum(octet_length(pair)) OVER (ORDER BY k) AS upto FROM (
        SELECT key AS k, json_array(substr(value ->> 0, 1, ${LIMIT.headerName}), substr(value ->> 1, 1, ${LIMIT.headerValue})) AS pair
        FROM json_each(exchanges.${column}) ORDER BY key LIMIT ${LIMIT.headerCount}))
      WHERE upto <= ${LIMIT.headBytes + 8 * LIMIT.headerCount})
  WHERE id IN (SELECT id FROM oversize) AND json_valid(${column}) AND (octet_length(${column}) > ${LIMIT.headBytes + 8 * LIMIT.headerCount} OR json_array_length(${column}) > ${LIMIT.headerCount});`;
  const texts: [string, number, string][] = [
    ['method', LIMIT.method, 'request method'],
    ['path', LIMIT.path, 'request URL path'],
    ['host', LIMIT.host, 'request host'],
    ['client_address', LIMIT.host, 'client address'],
    ['http_version', LIMIT.short, 'request HTTP version'],
    ['status_text', LIMIT.short, 'response status text'],
    ['response_http_version', LIMIT.short, 'response HTTP version'],
    ['error', LIMIT.error, 'error'],
    ['request_encoding', LIMIT.short, 'request Content-Encoding'],
    ['response_encoding', LIMIT.short, 'response Content-Encoding'],
    ['imported', LIMIT.short, 'HAR file name'],
    ['dialect', LIMIT.short, 'dialect'],
    ['model', LIMIT.short, 'model name'],
    ['thread_key', LIMIT.short, 'thread key'],
    ['response_id', LIMIT.short, 'response id'],
    ['diagnosis', LIMIT.error, 'diagnosis summary'],
  ];
  const pairs: [string, string][] = [
    ['request_headers', 'request header'],
    ['response_headers', 'response header'],
    ['response_trailers', 'response trailer'],
  ];
  const headBound = LIMIT.headBytes + 8 * LIMIT.headerCount;
  const over = [
    ...texts.map(([column, max]) => `octet_length(${column}) > ${max}`),
    ...pairs.map(
      ([column]) =>
        `octet_length(${column}) > ${headBound} OR json_array_length(CASE WHEN octet_length(${column}) > ${LIMIT.headerCount * 7} AND json_valid(${column}) THEN ${column} END) > ${LIMIT.headerCount}`,
    ),
  ];
  return `
  CREATE TEMP TABLE oversize AS SELECT id FROM exchanges WHERE ${over.join('\n    OR ')} OR octet_length(secrets) > ${headBound};
  ${texts.map(([column, max, what]) => text(column, max, what)).join('')}
  ${pairs.map(([column, what]) => headers(column, what)).join('')}
  UPDATE exchanges SET notes = coalesce(notes || char(10), '') || 'fingerprints of masked secrets: ' || printf('%,d', octet_length(secrets)) || ' bytes, left out (stored by an earlier wirelog, cut when it was upgraded)', secrets = NULL
  WHERE id IN (SELECT id FROM oversize) AND octet_length(secrets) > ${headBound};
  DROP TABLE oversize;
  `;
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A database wirelog cannot open: said as a phrase (dataFiles.database.*), or a text already in the CLI's language. */
export class DatabaseOpenError extends PhraseError {}

const DATABASE_FILE: FileRole = {
  what: { key: 'dataFiles.role.database' },
  fix: { key: 'dataFiles.fix.moveDatabase' },
};

export function databasePath(dataDir: string): string {
  return path.join(dataDir, 'wirelog.sqlite');
}

/** Opens the data dir's database, bringing its schema up to date (`upTo`: only that far, for tests of an upgrade). */
export function openDatabase(dataDir: string, upTo = SCHEMA_VERSION): Db {
  const file = databasePath(dataDir);
  let db: Db;
  // The dir, the file and SQLite's own -wal/-shm checked before SQLite opens them (it follows
  // links): no link, only the user's regular files. Created owner-only: captures hold prompts and source code.
  ensureDataDir(dataDir);
  if (!checkPrivateEntry(file, DATABASE_FILE)) createPrivateFile(file, '', DATABASE_FILE);
  for (const suffix of ['-wal', '-shm', '-journal']) checkPrivateEntry(`${file}${suffix}`, DATABASE_FILE);
  try {
    db = new Database(file);
  } catch (err) {
    throw new DatabaseOpenError({
      key: 'dataFiles.database.cannotOpen',
      params: { file, error: (err as Error).message },
    });
  }
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new DatabaseOpenError({ key: 'dataFiles.database.newer', params: { file, version, known: SCHEMA_VERSION } });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Every connection that writes overwrites what it frees: packing rewrites a row in place, and a
  // connection without this (an import, a tool) left the row's earlier bytes in the page, where
  // a later delete of the packed row could not reach them (test/clear.test.ts).
  db.pragma('secure_delete = ON');
  for (let v = version; v < upTo; v++) {
    db.transaction(() => {
      const migration = MIGRATIONS[v];
      db.exec(typeof migration === 'string' ? migration : migration(db));
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
