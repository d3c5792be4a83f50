// A store indexed by the rule before schema 21 (commit e292933's own code, run from that commit's
// files: JSON escapes read once, so a tool output's `\\nexport` was indexed as `nexport`) is
// migrated in place: on open, search answers at once through the earlier entries; its rows are
// indexed again in the storage thread's slices, newest first, with their progress, and the parts
// they refer to with them, each once; an exchange captured meanwhile is indexed in the next slice.
// After that, every search finds what a store made by today's code from the same traffic finds:
// `export` the turns that send it at a line's start, `nexport` nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { Upkeep } from '../db/retention.ts';
import { openDatabase, SCHEMA_VERSION, type Db } from '../db/schema.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

/** The last commit that read JSON escapes once (schema 19). */
const BEFORE = 'e2929334e728fac370a05f285d4012f5bd0e4931';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const QUERIES = ['export', 'nexport', 'import', 'nimport', 'toolwordone', 'ntoolwordone', 'upgradeseedtwo', '令牌'];

// Run by that commit's code: a 12-turn Codex session (its tool outputs: that commit's source
// files, sent as JSON in a JSON string), 6 chat calls whose tool message is JSON in a string;
// then its searches, and the bodies it stored (for a store made by today's code).
const MAKE_STORE = `
import fs from 'node:fs';
import { CaptureStore } from './db/capture-store.ts';
import { ExchangeReader } from './db/reader.ts';
import { openDatabase } from './db/schema.ts';
import { codexSession } from './test/support/codex-session.ts';

const [dir, out, queries] = process.argv.slice(2);
const bodies = [];
for (const turn of codexSession(12, 'upgradeseedtwo'))
  bodies.push({ path: '/v1/responses', request: turn.request.toString('base64'), response: turn.responseBody.toString('base64') });
for (let k = 0; k < 6; k++) {
  const tool = JSON.stringify({ stdout: 'line ' + k + '\\ntoolwordone ' + k + '\\n令牌 ok' });
  const request = JSON.stringify({ model: 'gpt-made', messages: [
    { role: 'system', content: 'You run tools for the user and report what they printed, briefly and exactly.' },
    { role: 'tool', tool_call_id: 'call_' + k, content: tool },
  ] });
  bodies.push({ path: '/v1/chat/completions', request: Buffer.from(request).toString('base64'), response: Buffer.from('{"ok":true}').toString('base64') });
}
fs.writeFileSync(out + '.bodies', JSON.stringify(bodies));
`;

/** The same traffic through CaptureStore (the code the test runs: that commit's, or today's). */
const APPLY = `
export function applyAll(store, finishedExchange, bodies, from = 0, to = bodies.length) {
  for (let i = from; i < to; i++) {
    const b = bodies[i];
    const events = finishedExchange(i + 1, { path: b.path });
    for (const e of events) {
      if (e.type === 'body-chunk' && e.side === 'request') e.chunk = Buffer.from(b.request, 'base64');
      if (e.type === 'body-chunk' && e.side === 'response') e.chunk = Buffer.from(b.response, 'base64');
      if (e.type === 'end') { e.requestBody.size = e.requestBody.storedSize = Buffer.from(b.request, 'base64').length; e.responseBody.size = e.responseBody.storedSize = Buffer.from(b.response, 'base64').length; }
    }
    store.apply(events);
  }
}
`;

interface Body {
  path: string;
  request: string;
  response: string;
}

/** Stores bodies[from..to) as finished exchanges (ids from + 1 on in an empty store). */
function applyAll(store: CaptureStore, bodies: Body[], from = 0, to = bodies.length): void {
  for (let i = from; i < to; i++) {
    const b = bodies[i];
    const request = Buffer.from(b.request, 'base64');
    const response = Buffer.from(b.response, 'base64');
    const events = finishedExchange(i + 1, { path: b.path });
    for (const e of events) {
      if (e.type === 'body-chunk') e.chunk = e.side === 'request' ? request : response;
      if (e.type === 'end') {
        e.requestBody = { ...e.requestBody, size: request.length, storedSize: request.length };
        e.responseBody = { ...e.responseBody, size: response.length, storedSize: response.length };
      }
    }
    store.apply(events);
  }
}

let work: string;
let made: { version: number; found: Record<string, number[]> };
let bodies: Body[];
let dataDir: string;

beforeAll(() => {
  work = tempDir('wirelog-nested-upgrade-');
  const tree = path.join(work, 'tree');
  fs.mkdirSync(tree);
  const archive = spawnSync('git', ['-C', ROOT, 'archive', '--format=tar', BEFORE], { maxBuffer: 256 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${BEFORE}: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', tree], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  fs.writeFileSync(path.join(tree, 'apply-all.ts'), APPLY);
  // The bodies first, then the store: all but the last chat call (captured after the upgrade, below).
  fs.writeFileSync(
    path.join(tree, 'make-store.ts'),
    `${MAKE_STORE}
import { applyAll } from './apply-all.ts';
import { finishedExchange } from './test/support/exchange-events.ts';
const db = openDatabase(dir);
const store = new CaptureStore(db);
applyAll(store, finishedExchange, bodies, 0, bodies.length - 1);
const reader = new ExchangeReader(db);
const found = {};
for (const q of JSON.parse(queries)) found[q] = reader.list({ text: q, limit: 1000 }).map((e) => e.id).sort((a, b) => a - b);
fs.writeFileSync(out, JSON.stringify({ version: db.pragma('user_version', { simple: true }), found }));
db.close();
`,
  );
  dataDir = path.join(work, 'data');
  const out = path.join(work, 'made.json');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'make-store.ts', dataDir, out, JSON.stringify(QUERIES)], {
    cwd: tree,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (run.status !== 0) throw new Error(`the schema-19 wirelog failed: ${run.stderr}`);
  made = JSON.parse(fs.readFileSync(out, 'utf8'));
  bodies = JSON.parse(fs.readFileSync(`${out}.bodies`, 'utf8'));
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Each query's hits, ids ascending. */
function searches(db: Db): Record<string, number[]> {
  const reader = new ExchangeReader(db);
  return Object.fromEntries(
    QUERIES.map((q) => [
      q,
      reader
        .list({ text: q, limit: 1000 })
        .map((e) => e.id)
        .sort((a, b) => a - b),
    ]),
  );
}

describe('a store indexed when JSON escapes were read once', () => {
  it('is indexed again after start, with its progress and its parts, and then finds what a store made today finds', () => {
    expect(made.version).toBe(19);
    const total = bodies.length;
    // The glued tokens are what the earlier rule indexed: not a test of nothing.
    expect(made.found.nexport.length).toBeGreaterThan(0);
    expect(made.found.ntoolwordone).toEqual([13, 14, 15, 16, 17]);
    expect(made.found.toolwordone).toEqual([]);

    // What today's code makes of the same traffic, stored fresh.
    const freshDir = path.join(work, 'fresh');
    const fresh = openDatabase(freshDir);
    applyAll(new CaptureStore(fresh), bodies);
    const expected = searches(fresh);
    fresh.close();
    expect(expected.nexport).toEqual([]);
    expect(expected.toolwordone).toEqual([13, 14, 15, 16, 17, 18]);
    expect(expected.export.length).toBeGreaterThan(made.found.export.length);

    const db = openDatabase(dataDir);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const reader = new ExchangeReader(db);
    // At once, before any row is indexed again: the earlier entries answer as they did.
    expect(searches(db)).toEqual(made.found);
    expect(reader.searchProgress(1)).toEqual({ indexed: 0, total: total - 1 });
    const parts = db.prepare('SELECT count(DISTINCT part_id) FROM part_refs').pluck().get() as number;
    expect(parts).toBeGreaterThan(12);
    expect(db.prepare('SELECT part_reindex_below FROM upkeep').pluck().get()).toBeGreaterThan(0);

    // A slice at a time, newest first, with progress; an exchange captured midway is found after its slice.
    const store = new CaptureStore(db);
    const progress: number[] = [];
    for (let k = 0; k < 100 && reader.searchProgress(1); k++) {
      store.indexSlice('all', 1000, 4);
      progress.push(reader.searchProgress(1)?.indexed ?? -1);
      if (k === 1) {
        applyAll(store, bodies, total - 1, total);
        store.indexSlice('understand', 1000, 4);
        expect(reader.list({ text: 'toolwordone 5', limit: 10 }).map((e) => e.id)).toEqual([total]);
      }
      // What was found is found still, whatever was indexed again.
      for (const [q, ids] of Object.entries(made.found)) {
        if (q.startsWith('n')) continue;
        const now = reader.list({ text: q, limit: 1000 }).map((e) => e.id);
        for (const id of ids) expect(now, q).toContain(id);
      }
    }
    expect(progress.slice(0, 2)).toEqual([4, 8]);
    expect(reader.searchProgress(1)).toBeNull();
    // The pass is over: its marks are cleared, its list of parts done emptied (schema 21's trigger).
    expect(db.prepare('SELECT reindex_below, part_reindex_below FROM upkeep').get()).toEqual({
      reindex_below: 0,
      part_reindex_below: 0,
    });
    expect(db.prepare('SELECT count(*) FROM parts_reindexed').pluck().get()).toBe(0);
    // Each part is still one document of the parts' index.
    expect(db.prepare('SELECT count(*) FROM part_search_docsize').pluck().get()).toBe(
      db.prepare('SELECT count(DISTINCT part_id) FROM part_refs').pluck().get(),
    );

    // The earlier entries' tokens merged out by the upkeep steps that follow; then every search is today's.
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
    for (const glued of ['nexport', 'ntoolwordone']) {
      expect(db.prepare('SELECT doc FROM temp.own_terms WHERE term = ?').pluck().get(glued), glued).toBeUndefined();
      expect(db.prepare('SELECT doc FROM temp.part_terms WHERE term = ?').pluck().get(glued), glued).toBeUndefined();
    }
    expect(searches(db)).toEqual(expected);
    db.close();
  }, 120_000);
});
