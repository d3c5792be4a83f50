// A database made by the wirelog before search over parts (schema 15, commit d3160de: its own
// code, run from that commit's files) is migrated in place (schema 16, db/part-search.ts): on
// open, search answers at once with the same hits through the earlier entries; the rows are then
// indexed again in the storage thread's slices, newest first, with their progress; after that
// the same searches find the same exchanges through the parts, and once the index is merged the
// earlier entries' copies of the parts' words are gone from the exchanges' own index.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { Upkeep } from '../db/retention.ts';
import { openDatabase, SCHEMA_VERSION } from '../db/schema.ts';
import { tempDir } from './support/harness.ts';

/** The last commit whose schema is 15, before search over parts. */
const SCHEMA_15 = 'd3160dedcf027d85b274465a3894b3a3beaeab8e';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const QUERIES = [
  'partupgradeseed',
  'sandboxing',
  'collaborate',
  '令牌',
  '渠道 tag3',
  'Packer',
  'store',
  'reader first',
  'run=upgrade',
  'nosuchwordqq',
];

// Run by that commit's code: a 24-turn Codex session (the seed is in every turn's working
// directory), 30 chat calls asking in Chinese, then the searches as its reader answers them.
const MAKE_STORE = `
import fs from 'node:fs';
import { CaptureStore } from './db/capture-store.ts';
import { ExchangeReader } from './db/reader.ts';
import { openDatabase } from './db/schema.ts';
import { codexSession } from './test/support/codex-session.ts';
import { finishedExchange } from './test/support/exchange-events.ts';

const [dir, out, queries] = process.argv.slice(2);
const db = openDatabase(dir);
const store = new CaptureStore(db);
let i = 0;
for (const turn of codexSession(24, 'partupgradeseed')) {
  const events = finishedExchange(++i, { path: '/v1/responses?run=upgrade' });
  for (const e of events) {
    if (e.type === 'body-chunk' && e.side === 'request') e.chunk = turn.request;
    if (e.type === 'body-chunk' && e.side === 'response') e.chunk = turn.responseBody;
  }
  store.apply(events);
}
for (let k = 0; k < 30; k++) {
  const events = finishedExchange(++i, { path: '/v1/chat/completions?t=tag' + (k % 7) });
  for (const e of events)
    if (e.type === 'body-chunk' && e.side === 'request')
      e.chunk = Buffer.from(JSON.stringify({ model: 'gpt-made', messages: [
        { role: 'system', content: 'You answer questions about relays, channels and tokens, briefly and exactly.' },
        { role: 'user', content: '请检查第' + k + '号渠道的令牌是否还有额度，然后告诉我余额 ' + 'x'.repeat(k) },
      ] }));
  store.apply(events);
}
const reader = new ExchangeReader(db);
const found = {};
for (const q of JSON.parse(queries)) found[q] = reader.list({ text: q, limit: 1000 }).map((e) => e.id);
fs.writeFileSync(out, JSON.stringify({ version: db.pragma('user_version', { simple: true }), found }));
db.close();
`;

let work: string;
let made: { version: number; found: Record<string, number[]> };
let dataDir: string;

beforeAll(() => {
  work = tempDir('wirelog-schema15-');
  const tree = path.join(work, 'tree');
  fs.mkdirSync(tree);
  const archive = spawnSync('git', ['-C', ROOT, 'archive', '--format=tar', SCHEMA_15], {
    maxBuffer: 256 * 1024 * 1024,
  });
  if (archive.status !== 0) throw new Error(`git archive ${SCHEMA_15}: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', tree], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  fs.writeFileSync(path.join(tree, 'make-store.ts'), MAKE_STORE);
  dataDir = path.join(work, 'data');
  const out = path.join(work, 'made.json');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'make-store.ts', dataDir, out, JSON.stringify(QUERIES)], {
    cwd: tree,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (run.status !== 0) throw new Error(`the schema-15 wirelog failed: ${run.stderr}`);
  made = JSON.parse(fs.readFileSync(out, 'utf8'));
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a schema-15 database searched over parts', () => {
  it('answers the same searches before, during and after it is indexed again, then holds each part once', () => {
    expect(made.version).toBe(15);
    // The searches found something (else the comparison proves nothing): all but the made-up word.
    for (const q of QUERIES) expect(made.found[q].length > 0, q).toBe(q !== 'nosuchwordqq');
    expect(made.found.partupgradeseed.length).toBe(24);

    const db = openDatabase(dataDir);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const reader = new ExchangeReader(db);
    const search = () =>
      Object.fromEntries(QUERIES.map((q) => [q, reader.list({ text: q, limit: 1000 }).map((e) => e.id)]));
    // At once, before any row is indexed again: the earlier entries answer.
    expect(search()).toEqual(made.found);
    const waiting = reader.searchProgress(1);
    expect(waiting).toEqual({ indexed: 0, total: 54 });
    expect(db.prepare('SELECT count(*) FROM part_refs').pluck().get()).toBe(0);

    // Indexed again a slice at a time, newest first; search answers the same between slices.
    const store = new CaptureStore(db);
    const indexedBySlice: number[] = [];
    for (let k = 0; k < 100 && reader.searchProgress(1); k++) {
      store.indexSlice('all', 1000, 10);
      indexedBySlice.push(reader.searchProgress(1)?.indexed ?? 54);
      expect(search()).toEqual(made.found);
    }
    expect(indexedBySlice.slice(0, 3)).toEqual([10, 20, 30]);
    expect(reader.searchProgress(1)).toBeNull();
    expect(db.prepare('SELECT reindex_below FROM upkeep').pluck().get()).toBe(0);
    // Every split body's parts are referred to; each part is one document of the parts' index.
    expect(db.prepare('SELECT count(*) FROM part_refs').pluck().get()).toBeGreaterThan(54);
    expect(db.prepare('SELECT count(*) FROM part_search_docsize').pluck().get()).toBe(
      db.prepare('SELECT count(DISTINCT part_id) FROM part_refs').pluck().get(),
    );

    // The earlier entries' words merged out by the upkeep steps that follow: words said only in a
    // part (the permissions message, the instructions) are in no exchange's own entry any more,
    // and each in one document of the parts' index.
    const queue: (() => void)[] = [];
    new Upkeep(
      () => db,
      { maxDbBytes: 1024 ** 4 },
      {
        later: (next) => queue.push(next),
        finished: () => undefined,
        warn: (m) => {
          throw new Error(m);
        },
      },
    ).resume();
    for (let k = 0; queue.length && k < 5000; k++) queue.shift()!();
    db.exec('CREATE VIRTUAL TABLE temp.own_terms USING fts5vocab(main, exchanges_search, row)');
    db.exec('CREATE VIRTUAL TABLE temp.part_terms USING fts5vocab(main, part_search, row)');
    for (const word of ['sandboxing', 'collaborate']) {
      expect(db.prepare('SELECT doc FROM temp.own_terms WHERE term = ?').pluck().get(word), word).toBeUndefined();
      expect(db.prepare('SELECT doc FROM temp.part_terms WHERE term = ?').pluck().get(word), word).toBe(1);
    }
    expect(search()).toEqual(made.found);
    db.close();
  }, 120_000);
});
