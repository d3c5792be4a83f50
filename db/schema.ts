import path from 'node:path';
import Database from 'better-sqlite3';
import { checkPrivateEntry, createPrivateFile, ensureDataDir, type FileRole } from '../certs/safe-files.ts';

export type Db = Database.Database;

// Each entry moves the schema one version up; user_version records how far a file has come.
const MIGRATIONS: string[] = [
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class DatabaseOpenError extends Error {}

const DATABASE_FILE: FileRole = {
  what: 'the database file',
  fix: 'move it away (mv) while no wirelog runs, or point --data-dir at the directory that really holds the database',
};

export function databasePath(dataDir: string): string {
  return path.join(dataDir, 'wirelog.sqlite');
}

/** Opens the data dir's database, bringing its schema up to date. */
export function openDatabase(dataDir: string): Db {
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
    throw new DatabaseOpenError(`cannot open the database ${file}: ${(err as Error).message}; check that the data dir is readable and writable by you, or pick another with --data-dir`);
  }
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new DatabaseOpenError(
      `the database ${file} has schema version ${version}, newer than this wirelog understands (${SCHEMA_VERSION}): upgrade wirelog, or use another --data-dir`,
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
