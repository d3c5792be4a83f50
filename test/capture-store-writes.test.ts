// What a capture batch writes (db/capture-store.ts): an exchange that began and ended in one
// batch is written once, as it ended, with no UPDATE of its row; rows keep the order exchanges
// began in; a slice folded into a batch's transaction (applyWithSlice) commits with it, or
// leaves no trace of either, and both are done when applied again. A slice understands an
// exchange in one UPDATE of its row, which also marks it taken. Past the in-memory queue's bound,
// an ended exchange keeps its place by id (read back at its turn), and later ones are queued whole.
// Exchanges here are open across batches where a slice is what is tested: one that begins and
// ends in a batch while nothing waits is written once instead (test/capture-write-once.test.ts).
import { expect, it, vi } from 'vitest';
import { CaptureStore, ENDING_NOW } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { finishedExchange, plainGet } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

const { request, responseHead, chunk } = plainGet;
const end = (uid: string, size: number) => plainGet.end(uid, size, { requestSent: 0.5, end: 3 });
const whole = (uid: string, text: string) => [request(uid), responseHead(uid), chunk(uid, text), end(uid, text.length)];
/**
 * Exchanges applied in two batches, their requests in the first, with indexing paused meanwhile:
 * each is stored as it comes and left in its row for a slice. (While nothing waits, the exchanges
 * ending in a batch are understood and indexed in it, one that began in it written once:
 * test/capture-write-once.test.ts.)
 */
function applyAcross(store: CaptureStore, events: ReturnType<typeof whole>): void {
  store.deferIndexing = true;
  store.apply(events.filter((e) => e.type === 'request'));
  store.apply(events.filter((e) => e.type !== 'request'));
  store.deferIndexing = false;
}

/** Counts the UPDATEs of rows of `exchanges` (a trigger of the test's own, not of wirelog). */
function countUpdates(db: Db): () => number {
  db.exec(`CREATE TABLE test_updates (n INTEGER NOT NULL);
    INSERT INTO test_updates VALUES (0);
    CREATE TRIGGER test_count_updates AFTER UPDATE ON exchanges BEGIN UPDATE test_updates SET n = n + 1; END;`);
  return () => (db.prepare('SELECT n FROM test_updates').get() as { n: number }).n;
}

it('writes an exchange that began and ended in one batch once, as it ended; one still open is written, then updated at its end', () => {
  const db = openDatabase(tempDir());
  const updates = countUpdates(db);
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  store.apply(whole('short', 'hello'));
  expect(updates()).toBe(0);
  const reader = new ExchangeReader(db);
  const [short] = reader.list({ limit: 10 });
  expect(short.state).toBe('complete');
  expect(short.response?.status).toBe(200);
  expect(short.timings).toEqual({ requestSent: 0.5, responseHeaders: 1, end: 3 });
  expect(reader.body(short.id, 'response').toString()).toBe('hello');

  store.apply([request('long'), responseHead('long'), chunk('long', 'part one, ')]);
  expect(reader.get(reader.list({ limit: 1 })[0].id)?.state).toBe('streaming');
  store.apply([chunk('long', 'part two'), end('long', 18)]);
  expect(updates()).toBeGreaterThan(0);
  const long = reader.get(reader.list({ limit: 1 })[0].id)!;
  expect(long.state).toBe('complete');
  expect(reader.body(long.id, 'response').toString()).toBe('part one, part two');
  db.close();
});

it('keeps the order exchanges began in, whichever ends first in the batch, and says which rows changed', () => {
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  // `first` begins first and stays open; `second` begins and ends in the same batch.
  const changed = store.apply([request('first'), ...whole('second', 'two'), responseHead('first')]);
  const reader = new ExchangeReader(db);
  const byPath = new Map(reader.list({ limit: 10 }).map((e) => [e.request.path, e.id]));
  expect(byPath.get('/first')!).toBeLessThan(byPath.get('/second')!);
  expect(changed).toEqual([byPath.get('/first'), byPath.get('/second')]);
  db.close();
});

it('a slice folded into a batch commits with it; refused, neither leaves a trace, and applied again both are done once', () => {
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  // Nothing an earlier run left: from here on, slices take this run's ended exchanges from memory.
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  applyAcross(store, whole('earlier', 'searchable words'));
  const understood = () =>
    (db.prepare('SELECT count(*) AS n FROM exchanges WHERE to_index = 0').get() as { n: number }).n;
  expect(understood()).toBe(0);

  // The slice's claim of `earlier` is refused: the whole transaction rolls back, the batch too.
  db.exec(`CREATE TABLE test_refuse (on_ INTEGER NOT NULL); INSERT INTO test_refuse VALUES (1);
    CREATE TRIGGER test_refuse_claim BEFORE UPDATE OF to_index ON exchanges WHEN (SELECT on_ FROM test_refuse) = 1
    BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`);
  const batch = whole('later', 'more words');
  expect(() => store.applyWithSlice(batch, 'all', 1000, 64)).toThrow(/refused by the test/);
  expect(db.prepare('SELECT path FROM exchanges ORDER BY id').pluck().all()).toEqual(['/earlier']);
  expect(store.indexError).toMatch(/refused by the test/);

  db.exec('UPDATE test_refuse SET on_ = 0');
  const { changed, done } = store.applyWithSlice(batch, 'all', 1000, 64);
  expect(changed).toHaveLength(1);
  expect(done).toMatchObject({ failed: false, indexed: 1 });
  expect(db.prepare('SELECT path FROM exchanges ORDER BY id').pluck().all()).toEqual(['/earlier', '/later']);
  // `earlier` was understood and indexed in the batch's transaction, read back from its row; `later`
  // (ended in it, while rows were still read back) waits for the next slice.
  expect(understood()).toBe(1);
  expect(store.sliceHasWork('understand')).toBe(true);
  store.indexSlice('all', 1000, 64);
  expect(understood()).toBe(2);
  expect(db.prepare("SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH 'searchable'").all()).toHaveLength(
    1,
  );
  db.close();
});

it('a slice understands an exchange in one UPDATE of its row, which marks it taken too: a model call and a plain one', () => {
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db, understandEnded);
  store.indexInSlices = true;
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  applyAcross(store, [...finishedExchange(1), ...whole('plain', 'not a model call')]);
  const updates = countUpdates(db);
  const done = store.indexSlice('all', 1000, 64);
  expect(done).toMatchObject({ failed: false, indexed: 2 });
  expect(updates()).toBe(2);
  const rows = db.prepare('SELECT path, to_index, dialect, model, thread_key FROM exchanges ORDER BY id').all();
  expect(rows).toEqual([
    expect.objectContaining({ path: '/v1/chat/completions?n=1', to_index: 0, model: 'gpt-made' }),
    expect.objectContaining({ path: '/plain', to_index: 0 }),
  ]);
  expect((rows[0] as { dialect: string | null }).dialect).not.toBeNull();
  // Taken once: a second slice finds nothing and writes nothing.
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  expect(updates()).toBe(2);
  db.close();
});

it('past the queue of 512 ended exchanges, one keeps its place by its id: only those past the bound are read back from their rows, all understood in the order they ended', () => {
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db, understandEnded);
  store.indexInSlices = true;
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  const readBack = vi.spyOn(ExchangeReader.prototype, 'get');
  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => whole(`e${from + i}`, `answer ${from + i}`)).flat();
  const understood: number[] = [];
  const slice = () => understood.push(...store.indexSlice('all', 60_000, 64).understood);
  // ENDING_NOW + 520 end in one batch: the first ENDING_NOW are understood in it, 520 wait, 8 past
  // the bound. A slice takes 64; 100 more end while 456 still wait: 44 of them past the bound.
  store.apply(batch(0, ENDING_NOW + 520));
  slice();
  store.apply(batch(ENDING_NOW + 520, 100));
  while (store.sliceHasWork('all')) slice();
  expect(readBack.mock.calls.length).toBe(8 + 44);
  readBack.mockRestore();
  const ids = db.prepare('SELECT id FROM exchanges ORDER BY id').pluck().all();
  expect(understood).toEqual(ids.slice(ENDING_NOW));
  expect(db.prepare('SELECT count(*) FROM exchanges WHERE to_index <> 0').pluck().get()).toBe(0);
  db.close();
});
