// Search over the stored parts (issue 28, db/part-search.ts): a part that many requests repeat is
// indexed once, counted in the index's own vocabulary (fts5vocab: independent of the code under
// test); deleting what refers to a part (Clear all, retention) leaves none of its index entries,
// references or words in the files; a search's first page is the newest matches and its total
// is counted up to a cap ("10,000+"), equal to a brute-force filter of the same rows.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { COUNT_CAP } from '../db/filter-plan.ts';
import { ExchangeReader } from '../db/reader.ts';
import { Upkeep, type UpkeepStep } from '../db/retention.ts';
import { databasePath, openDatabase, type Db } from '../db/schema.ts';
import { localized } from '../i18n/stored-text.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function fresh(): { dataDir: string; db: Db; store: CaptureStore; reader: ExchangeReader } {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const db = openDatabase(dataDir);
  return { dataDir, db, store: new CaptureStore(db), reader: new ExchangeReader(db) };
}

/** A Responses request whose input holds these items (each over the 64 bytes that make a part), sent to `path`. */
function exchange(i: number, items: string[], path = `/v1/responses?n=${i}`) {
  const events = finishedExchange(i, { path });
  const input = items.map((text) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }));
  for (const e of events)
    if (e.type === 'body-chunk' && e.side === 'request')
      e.chunk = Buffer.from(JSON.stringify({ model: 'gpt-made', input, stream: false }));
  return events;
}

const SHARED = `sharedpartqx ${'the same system text, sent again with every turn '.repeat(3)}`;
const own = (i: number) => `ownpart${i}zq ${'this turn alone says it '.repeat(3)}`;

/** How many documents of an FTS5 table hold the term, read from the table's own vocabulary. */
function docsWith(db: Db, table: 'part_search' | 'exchanges_search', term: string): number {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_terms USING fts5vocab(main, ${table}, row)`);
  const row = db.prepare(`SELECT doc FROM temp.${table}_terms WHERE term = ?`).get(term) as { doc: number } | undefined;
  return row?.doc ?? 0;
}

/** Every term (of either index) that starts with this prefix. */
function termsLike(db: Db, prefix: string): string[] {
  const out: string[] = [];
  for (const table of ['part_search', 'exchanges_search'] as const) {
    db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_terms USING fts5vocab(main, ${table}, row)`);
    for (const r of db
      .prepare(`SELECT term FROM temp.${table}_terms WHERE term >= ? AND term < ?`)
      .all(prefix, `${prefix}\uffff`) as { term: string }[])
      out.push(`${table}:${r.term}`);
  }
  return out;
}

const ids = (reader: ExchangeReader, text: string, before?: number, limit = 1000) =>
  reader.summaries({ text, limit, before }).map((s) => s.id);

describe('parts indexed once', () => {
  it('a part shared by 100 exchanges is in the index once, and search finds all 100 through it', () => {
    const { db, store, reader } = fresh();
    for (let i = 1; i <= 100; i++) store.apply(exchange(i, [SHARED, own(i)]));
    // FTS5's own table of the parts' index documents: one row per part, and the shared one last
    // written by the first exchange's transaction (a contentless table's `origin` numbers the
    // index writes; a document inserted again takes the later one), not again by any of the 99 others.
    const shared = db.prepare('SELECT part_id FROM part_refs GROUP BY part_id HAVING count(*) = 100').pluck().all();
    expect(shared.length).toBe(1);
    expect(db.prepare('SELECT count(*) FROM part_search_docsize').pluck().get()).toBe(101);
    expect(db.prepare('SELECT origin FROM part_search_docsize WHERE id = ?').pluck().get(shared[0])).toBe(
      db.prepare('SELECT min(origin) FROM part_search_docsize').pluck().get(),
    );
    // The shared part: one document of the parts' index, none of the exchanges' own entries.
    expect(docsWith(db, 'part_search', 'sharedpartqx')).toBe(1);
    expect(docsWith(db, 'exchanges_search', 'sharedpartqx')).toBe(0);
    // Each exchange's own part: one document each.
    expect(docsWith(db, 'part_search', 'ownpart7zq')).toBe(1);
    expect((db.prepare('SELECT count(*) AS n FROM part_refs').get() as { n: number }).n).toBe(200);
    // Found through the part: every exchange, newest first; a word of its own URL and of its part together.
    expect(ids(reader, 'sharedpartqx')).toEqual(Array.from({ length: 100 }, (_, k) => 100 - k));
    expect(ids(reader, 'ownpart42zq')).toEqual([42]);
    expect(ids(reader, 'sharedpartqx n=42')).toEqual([42]);
    expect(ids(reader, 'ownpart42zq ownpart43zq')).toEqual([]);
    expect(reader.countUpTo({ text: 'sharedpartqx' })).toEqual({ count: 100, atLeast: false });
    db.close();
  });

  it('Chinese in a part is found by any two of its characters, as in an exchange of its own', () => {
    const { db, store, reader } = fresh();
    store.apply(exchange(1, [`请检查第三号渠道的令牌，然后写一个快速排序 ${'padding '.repeat(10)}`]));
    store.apply(exchange(2, [`unrelated text ${'padding '.repeat(10)}`]));
    expect(ids(reader, '令牌')).toEqual([1]);
    expect(ids(reader, '速排')).toEqual([1]);
    expect(ids(reader, '渠道 n=1')).toEqual([1]);
    db.close();
  });
});

/** An Upkeep whose steps the test runs one by one. */
function driven(db: Db, maxDbBytes: number) {
  const queue: (() => void)[] = [];
  const steps: UpkeepStep[] = [];
  const upkeep = new Upkeep(
    () => db,
    { maxDbBytes, maxAgeMs: 60_000 },
    {
      later: (next) => queue.push(next),
      stepped: (s) => steps.push(s),
      finished: () => undefined,
      warn: (m) => steps.push({ kind: 'warning', m } as never),
    },
  );
  const drain = () => {
    for (let k = 0; queue.length && k < 5000; k++) queue.shift()!();
    expect(queue.length, 'upkeep still asking for steps after 5,000').toBe(0);
  };
  return { upkeep, steps, drain };
}

/** Which of these words (their tails: FTS5 stores a term after the prefix it shares with the one before) are in the database's files. */
function inFiles(dataDir: string, words: string[]): string[] {
  const files = ['', '-wal', '-shm'].map((s) => `${databasePath(dataDir)}${s}`).filter((f) => fs.existsSync(f));
  const bytes = files.map((f) => fs.readFileSync(f).toString('latin1'));
  return words.filter((w) => bytes.some((b) => b.includes(w.slice(-9))));
}

// Words no other text holds, whose letters differ from the third on (so no two share a stored prefix).
const GONE = ['qxvbnmkjhgzrw', 'qxplokijuhyzt', 'qxazsxdcfvgtb'];
const KEPT = 'qxmnbvcxzlkje';

describe('deleting leaves no trace of a part in the index', () => {
  it('Clear all: no index entry, no reference and none of the words of a deleted part stay in the files', () => {
    const { dataDir, db, store, reader } = fresh();
    for (let i = 1; i <= 30; i++) store.apply(exchange(i, [`${GONE[i % 3]} ${SHARED}`, own(i)]));
    expect(ids(reader, GONE[0]).length).toBe(10);
    const { upkeep, steps, drain } = driven(db, 1024 ** 4);
    store.clear();
    upkeep.resume();
    drain();
    expect(steps.at(-1)!.kind).toBe('checkpoint');
    // Kept after the clear: a new exchange with a part of its own.
    store.apply(exchange(31, [`${KEPT} ${'kept after the clear '.repeat(4)}`]));
    const kept = reader.summaries({ limit: 10 }).map((s) => s.id);
    expect(kept.length).toBe(1);
    // Its part alone is stored, indexed and referred to.
    for (const table of ['blobs', 'part_refs'])
      expect((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n, table).toBe(1);
    expect(termsLike(db, 'qx')).toEqual([`part_search:${KEPT}`]);
    expect(termsLike(db, 'ownpart')).toEqual([]);
    expect(termsLike(db, 'sharedpartqx')).toEqual([]);
    expect(inFiles(dataDir, GONE)).toEqual([]);
    expect(ids(reader, GONE[1])).toEqual([]);
    expect(ids(reader, KEPT)).toEqual(kept);
    db.close();
  });

  it('retention: a part still referred to stays found; one no longer referred to leaves the index and the files', () => {
    const { dataDir, db, store, reader } = fresh();
    // Old exchanges (deleted by age) refer to GONE parts; the shared part is also referred to by the recent ones.
    const old = Date.now() - 3_600_000;
    for (let i = 1; i <= 20; i++) {
      const events = exchange(i, [`${GONE[i % 3]} ${'old words that go '.repeat(4)}`, SHARED]);
      for (const e of events) if (e.type === 'request') e.head.startedAt = old;
      store.apply(events);
    }
    for (let i = 21; i <= 25; i++) store.apply(exchange(i, [SHARED, own(i)]));
    const { upkeep, drain } = driven(db, 1024 ** 4);
    upkeep.prune();
    drain();
    expect(reader.summaries({ limit: 100 }).map((s) => s.id)).toEqual([25, 24, 23, 22, 21]);
    expect(ids(reader, 'sharedpartqx')).toEqual([25, 24, 23, 22, 21]);
    expect(docsWith(db, 'part_search', 'sharedpartqx')).toBe(1);
    expect(termsLike(db, 'qx')).toEqual([]);
    expect(inFiles(dataDir, GONE)).toEqual([]);
    expect((db.prepare('SELECT count(*) AS n FROM part_refs WHERE exchange_id <= 20').get() as { n: number }).n).toBe(
      0,
    );
    db.close();
  });
});

describe('the first page and the total at scale', () => {
  it('the newest matches page by page as a brute-force filter finds them, and a total capped at 10,000', () => {
    const { db, store, reader } = fresh();
    const count = COUNT_CAP + 300;
    // Every exchange refers to the shared part; one in 97 says a rare word of its own; the URL says a tag.
    const rare = (i: number) => i % 97 === 0;
    const tag = (i: number) => `tag${i % 7}`;
    const batch: ReturnType<typeof exchange> = [];
    for (let i = 1; i <= count; i++) {
      batch.push(...exchange(i, [SHARED, rare(i) ? `rarewordzq ${own(i)}` : own(i)], `/v1/responses?t=${tag(i)}`));
      if (i % 500 === 0) store.apply(batch.splice(0));
    }
    store.apply(batch.splice(0));
    const all = Array.from({ length: count }, (_, k) => count - k);
    expect(reader.countUpTo({ text: 'sharedpartqx' })).toEqual({ count: COUNT_CAP, atLeast: true });
    expect(reader.countUpTo({ text: 'rarewordzq' })).toEqual({ count: all.filter(rare).length, atLeast: false });
    expect(reader.countUpTo({ text: 'sharedpartqx tag3' })).toEqual({
      count: all.filter((i) => i % 7 === 3).length,
      atLeast: false,
    });
    // Pages of 100, keyset (before the last id), as the list pages: every match once, newest first.
    for (const [text, want] of [
      ['sharedpartqx', all],
      ['rarewordzq', all.filter(rare)],
      ['rarewordzq tag5', all.filter((i) => rare(i) && i % 7 === 5)],
    ] as const) {
      const seen: number[] = [];
      let before: number | undefined;
      for (let page = 0; page < 200; page++) {
        const got = ids(reader, text, before, 100);
        seen.push(...got);
        if (got.length < 100) break;
        before = got[got.length - 1];
      }
      expect(seen, text).toEqual(want);
    }
    db.close();
  }, 120_000);
});

describe('nothing silently unsearchable', () => {
  it("an exchange's own text past the bound is noted on it, in both languages; a part of any size is indexed whole", () => {
    const { db, store, reader } = fresh();
    const big = 9 * 1024 * 1024;
    const events = exchange(1, [`${'a long pasted text '.repeat(600_000)} partendwordzq`]);
    const answer = Buffer.from(`${'answer text '.repeat(big / 12)}answerendwordzq`);
    for (const e of events) {
      if (e.type === 'body-chunk' && e.side === 'response') e.chunk = answer;
      if (e.type === 'end')
        e.responseBody = { size: answer.length, storedSize: answer.length, truncated: false, encoding: '' };
    }
    store.apply(events);
    // The request (11 MB, split): found to its end. The answer (9 MB, not split): its end is not, and the exchange says so.
    expect(ids(reader, 'partendwordzq')).toEqual([1]);
    expect(ids(reader, 'answerendwordzq')).toEqual([]);
    const notes = reader.get(1)!.notes ?? [];
    expect(notes.filter((n) => n.startsWith('search '))).toEqual([
      `search finds only the first 8 MB of the response text (${answer.length.toLocaleString('en-US')} bytes); the rest is stored but not indexed`,
    ]);
    expect(localized(notes.find((n) => n.startsWith('search '))!, 'zh-CN')).toMatch(/^搜索只索引了响应文本的前 8 MB/);
    db.close();
  });
});
