// CaptureStore applies a batch in one transaction, or not at all: a batch the database refuses
// leaves no trace, in the database or in what the store holds of open exchanges, so the writer
// can apply it again once storage works (db/writer-worker.ts retries it).
import { expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { plainGet } from './support/exchange-events.ts';
import { lockDatabase, tempDir } from './support/harness.ts';

const { request, responseHead, chunk, end } = plainGet;

it('a batch the database refuses leaves no trace: applied again, each exchange is stored once and whole, and one the batch did not touch is intact', () => {
  const dir = tempDir();
  const db = openDatabase(dir);
  db.pragma('busy_timeout = 0');
  const store = new CaptureStore(db);
  store.apply([
    request('a'),
    responseHead('a'),
    chunk('a', 'one '),
    request('b'),
    responseHead('b'),
    chunk('b', 'uno '),
  ]);

  // Ends a, opens c; b waits untouched. Another program holds the write lock meanwhile.
  const refused = [chunk('a', 'two'), end('a', 7), request('c'), responseHead('c'), chunk('c', 'new')];
  const unlock = lockDatabase(dir);
  expect(() => store.apply(refused)).toThrow(/locked|busy/i);
  unlock();

  store.apply(refused);
  store.apply([chunk('b', 'dos'), end('b', 7), end('c', 3)]);

  const reader = new ExchangeReader(db);
  const stored = reader.list({ limit: 10 });
  expect(stored.map((e) => e.request.path).sort()).toEqual(['/a', '/b', '/c']);
  const body = (path: string) => reader.body(stored.find((e) => e.request.path === path)!.id, 'response').toString();
  expect([body('/a'), body('/b'), body('/c')]).toEqual(['one two', 'uno dos', 'new']);
  expect(stored.every((e) => e.state === 'complete' && e.response?.status === 200)).toBe(true);
  db.close();
});
