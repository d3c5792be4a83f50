// Deleting captures, measured: which search index lets retention and Clear all delete quickly
// and still leave none of the deleted text in the database file, its WAL or its shared memory.
// A database of Codex-shaped exchanges (40 KB JSON requests, SSE answers of 200 events; about
// 70 KB an exchange, --mb of bodies, 400 by default) is built once per kind of index; the oldest
// 500 exchanges each hold a unique word (a canary). For each index: the time to delete the
// oldest 50, then the next 450 (in transactions of 50), the work that purges the deleted words
// from the index afterwards (in bounded merge steps: their count and the longest), the sizes,
// and whether a deleted canary can still be found in the files' bytes or in the index's own
// vocabulary. Then Clear all, two ways, and the rebuild an upgrade does. Figures only.
//   npx tsx bench/delete.ts [--mb 400] [--dir /tmp/x]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

type Db = Database.Database;
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MB = Number(arg('mb') ?? 400);
const DIR = arg('dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-delete-bench-'));
const CANARIES = 500;
const SLICE = 50;
const MERGE_PAGES = 200;

// A deterministic generator: the same database for every kind of index.
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const letters = (n: number) =>
  Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
// Zipf-like vocabulary: a few words everywhere, a long tail of identifiers (source code, ids).
const VOCAB = Array.from({ length: 60_000 }, (_, i) => (i < 300 ? letters(2 + (i % 6)) : letters(4 + (i % 9))));
const word = () => VOCAB[Math.floor(VOCAB.length * random() ** 3)];
const text = (words: number) => Array.from({ length: words }, word).join(' ');
// A canary depends on its number only (not on the generator's state): found again to look for it.
const canaryOf = (i: number) =>
  `qzv${[...createHash('sha256').update(String(i)).digest()]
    .slice(0, 13)
    .map((b) => String.fromCharCode(97 + (b % 26)))
    .join('')}${i}`;

function requestBody(i: number, canary: string | null): string {
  const input = [];
  for (let m = 0; input.length < 12; m++)
    input.push({ role: m % 2 ? 'assistant' : 'user', content: [{ type: 'input_text', text: text(380) }] });
  if (canary) input.push({ role: 'user', content: [{ type: 'input_text', text: `please look at ${canary} again` }] });
  return JSON.stringify({
    model: 'gpt-5-codex',
    instructions: text(600),
    input,
    tools: [{ type: 'function', name: 'shell', parameters: { type: 'object' } }],
    stream: true,
    prompt_cache_key: `thread-${i % 40}`,
  });
}

function sseBody(i: number): string {
  let out = `event: response.created\ndata: {"type":"response.created","response":{"id":"resp_${i}"}}\n\n`;
  for (let e = 0; e < 200; e++)
    out += `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: `${text(8)} `, sequence_number: e })}\n\n`;
  return `${out}event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_${i}","status":"completed"}}\n\n`;
}

interface Kind {
  name: string;
  create: string;
  /** FTS5 options set after creating. */
  setup: string[];
  /** Purge deleted words with bounded merge steps after deleting. */
  merge: boolean;
}

const KINDS: Kind[] = [
  {
    name: 'content FTS5 + secure-delete (before)',
    create: 'CREATE VIRTUAL TABLE fts USING fts5 (url, request_body, response_body)',
    setup: [`INSERT INTO fts (fts, rank) VALUES ('secure-delete', 1)`],
    merge: false,
  },
  {
    name: 'content FTS5 + merge steps',
    create: 'CREATE VIRTUAL TABLE fts USING fts5 (url, request_body, response_body)',
    setup: [],
    merge: true,
  },
  {
    name: 'contentless_delete FTS5, no merge',
    create: `CREATE VIRTUAL TABLE fts USING fts5 (url, request_body, response_body, content='', contentless_delete=1)`,
    setup: [],
    merge: false,
  },
  {
    name: 'contentless_delete FTS5 + merge steps (chosen)',
    create: `CREATE VIRTUAL TABLE fts USING fts5 (url, request_body, response_body, content='', contentless_delete=1)`,
    setup: [],
    merge: true,
  },
];

function open(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('secure_delete = ON');
  return db;
}

function buildBase(file: string): number {
  const db = open(file);
  db.exec(`CREATE TABLE exchanges (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, path TEXT NOT NULL);
    CREATE TABLE bodies (exchange_id INTEGER NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE, side TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE UNIQUE INDEX bodies_order ON bodies (exchange_id, side, seq);`);
  const ex = db.prepare('INSERT INTO exchanges (id, started_at, path) VALUES (?, ?, ?)');
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, 0, ?)');
  let bytes = 0;
  let id = 0;
  while (bytes < MB * 1024 * 1024) {
    db.transaction(() => {
      for (let k = 0; k < 200; k++) {
        id++;
        const req = Buffer.from(requestBody(id, id <= CANARIES ? canaryOf(id) : null));
        const res = Buffer.from(sseBody(id));
        ex.run(id, Date.now() - 1e9 + id, '/v1/responses');
        body.run(id, 'request', req);
        body.run(id, 'response', res);
        bytes += req.length + res.length;
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return id;
}

function index(db: Db, kind: Kind): number {
  db.exec(kind.create);
  for (const s of kind.setup) db.exec(s);
  const t = performance.now();
  const read = db.prepare(
    `SELECT e.id, e.path, r.data AS req, s.data AS res FROM exchanges e JOIN bodies r ON r.exchange_id = e.id AND r.side = 'request' JOIN bodies s ON s.exchange_id = e.id AND s.side = 'response' WHERE e.id > ? ORDER BY e.id LIMIT 500`,
  );
  const insert = db.prepare('INSERT INTO fts (rowid, url, request_body, response_body) VALUES (?, ?, ?, ?)');
  for (let last = 0; ; ) {
    const rows = read.all(last) as { id: number; path: string; req: Buffer; res: Buffer }[];
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const r of rows) insert.run(r.id, `https://api.openai.com${r.path}`, r.req.toString(), r.res.toString());
    })();
    last = rows[rows.length - 1].id;
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  return performance.now() - t;
}

/** Bounded merge steps until one does nothing; returns their count and the longest. */
function purge(db: Db): { steps: number; totalMs: number; longestMs: number } {
  let steps = 0;
  let longest = 0;
  const t = performance.now();
  const step = db.prepare(`INSERT INTO fts (fts, rank) VALUES ('merge', ?)`);
  const total = db.prepare('SELECT total_changes() AS n');
  for (;;) {
    const s = performance.now();
    const before = (total.get() as { n: number }).n;
    db.transaction(() => step.run(-MERGE_PAGES))();
    longest = Math.max(longest, performance.now() - s);
    steps++;
    // FTS5 counts a merge that did nothing as one change (its own command row): two or more, some work was done.
    if ((total.get() as { n: number }).n - before < 2) break;
  }
  return { steps, totalMs: performance.now() - t, longestMs: longest };
}

function deleteOldest(db: Db, from: number, to: number): { ms: number; longestMs: number } {
  const t = performance.now();
  let longest = 0;
  for (let a = from; a <= to; a += SLICE) {
    const s = performance.now();
    const b = Math.min(to, a + SLICE - 1);
    db.transaction(() => {
      db.prepare('DELETE FROM bodies WHERE exchange_id BETWEEN ? AND ?').run(a, b);
      db.prepare('DELETE FROM fts WHERE rowid BETWEEN ? AND ?').run(a, b);
      db.prepare('DELETE FROM exchanges WHERE id BETWEEN ? AND ?').run(a, b);
    })();
    longest = Math.max(longest, performance.now() - s);
  }
  return { ms: performance.now() - t, longestMs: longest };
}

/** Deleted canaries found in the bytes of the db, -wal, -shm (their last 10 characters: FTS5 stores a term after the prefix it shares with the previous one), and in the index's vocabulary. */
function leftovers(db: Db, file: string, upTo: number): { inFiles: number; inIndex: number } {
  let inFiles = 0;
  const tails = Array.from({ length: upTo }, (_, i) => canaryOf(i + 1).slice(-10));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (!fs.existsSync(f)) continue;
    const bytes = fs.readFileSync(f);
    inFiles += tails.filter((t) => bytes.includes(t)).length;
  }
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, 'fts', 'row')`);
  const inIndex =
    (db.prepare(`SELECT count(*) AS n FROM temp.vocab WHERE term GLOB 'qzv*'`).get() as { n: number }).n -
    (CANARIES - upTo);
  return { inFiles, inIndex };
}

function sizes(db: Db): string {
  const total =
    (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  const fts = (
    db.prepare(`SELECT coalesce(sum(pgsize), 0) AS n FROM dbstat WHERE name LIKE 'fts%'`).get() as { n: number }
  ).n;
  return `file ${mb(total)}, of it the index ${mb(fts)}`;
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function main(): void {
  console.log(
    `SQLite ${(new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}, ${MB} MB of bodies, in ${DIR}`,
  );
  const base = path.join(DIR, 'base.sqlite');
  let t = performance.now();
  // A base already built in --dir is used again: kinds can be measured one by one (--kind N).
  const count = fs.existsSync(base)
    ? (new Database(base).prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n
    : buildBase(base);
  console.log(`${count} exchanges, built in ${s(performance.now() - t)}`);
  const only = arg('kind');
  // --kind none: only --clear and --rebuild.
  for (const kind of only === undefined ? KINDS : KINDS.filter((_, i) => i === Number(only))) {
    const file = path.join(DIR, `kind${KINDS.indexOf(kind)}.sqlite`);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    fs.copyFileSync(base, file);
    const db = open(file);
    const built = index(db, kind);
    console.log(`\n${kind.name}: indexed in ${s(built)}; ${sizes(db)}`);
    // Deleting with FTS5's secure-delete is so slow that a cap keeps the bench finite (--cap 100).
    const cap = Number(arg('cap') ?? CANARIES);
    for (const [from, to] of [
      [1, 50],
      [51, Math.min(cap, CANARIES)],
    ]) {
      const del = deleteOldest(db, from, to);
      const merged = kind.merge ? purge(db) : null;
      t = performance.now();
      db.pragma('wal_checkpoint(TRUNCATE)');
      const checkpoint = performance.now() - t;
      const left = leftovers(db, file, to);
      console.log(
        `  delete ${to - from + 1}: ${s(del.ms)} (longest transaction of ${SLICE}: ${s(del.longestMs)})` +
          (merged
            ? `; purge ${merged.steps} merge steps of ${MERGE_PAGES} pages, ${s(merged.totalMs)}, longest ${s(merged.longestMs)}`
            : '') +
          `; checkpoint ${s(checkpoint)}; deleted canaries still in files: ${left.inFiles}/${to}, in the index: ${left.inIndex}/${to}; ${sizes(db)}`,
      );
    }
    db.close();
  }
  if (only === undefined || arg('clear')) clearAll(base);
  if (only === undefined || arg('rebuild')) rebuild(base);
}

/** Clear all on the chosen index: everything deleted in one go and VACUUM, against slices of SLICE with merge steps. */
function clearAll(base: string): void {
  const kind = KINDS[3];
  const file = path.join(DIR, 'clear.sqlite');
  for (const way of ['one go + VACUUM', 'slices + merge steps']) {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    fs.copyFileSync(base, file);
    const db = open(file);
    index(db, kind);
    const before = sizes(db);
    const t = performance.now();
    let longest = 0;
    if (way === 'one go + VACUUM') {
      db.pragma('secure_delete = OFF');
      db.transaction(() => {
        db.exec(`INSERT INTO fts (fts) VALUES ('delete-all'); DELETE FROM bodies; DELETE FROM exchanges;`);
      })();
      const v = performance.now();
      db.exec('VACUUM');
      longest = performance.now() - v;
    } else {
      const max = (db.prepare('SELECT max(id) AS n FROM exchanges').get() as { n: number }).n;
      longest = deleteOldest(db, 1, max).longestMs;
      longest = Math.max(longest, purge(db).longestMs);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const left = leftovers(db, file, CANARIES);
    console.log(
      `\nclear all (${way}) of ${before}: ${s(performance.now() - t)}, longest step ${s(longest)}; canaries in files ${left.inFiles}, in the index ${left.inIndex}; ${sizes(db)}`,
    );
    db.close();
  }
}

/** The upgrade: the old index's own copy of the texts read into the new index. */
function rebuild(base: string): void {
  const file = path.join(DIR, 'rebuild.sqlite');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
  fs.copyFileSync(base, file);
  const db = open(file);
  index(db, KINDS[0]);
  db.exec(`ALTER TABLE fts RENAME TO old_fts`);
  db.exec(KINDS[3].create);
  const rows = (db.prepare('SELECT count(*) AS n FROM old_fts').get() as { n: number }).n;
  const t = performance.now();
  let longest = 0;
  const copy = db.prepare(
    'INSERT INTO fts (rowid, url, request_body, response_body) SELECT rowid, url, request_body, response_body FROM old_fts WHERE rowid > ? AND rowid <= ?',
  );
  for (let a = 0; a < rows + CANARIES; a += 200) {
    const st = performance.now();
    db.transaction(() => copy.run(a, a + 200))();
    longest = Math.max(longest, performance.now() - st);
  }
  const copied = performance.now() - t;
  const d = performance.now();
  db.exec('DROP TABLE old_fts');
  const dropped = performance.now() - d;
  console.log(
    `\nrebuild at upgrade: ${rows} exchanges copied in ${s(copied)} (${Math.round(rows / (copied / 1000))}/s, longest slice of 200: ${s(longest)}; 100,000 exchanges: about ${s((copied * 100_000) / rows)}); dropping the old index (secure_delete): ${s(dropped)}`,
  );
  db.close();
}

main();
