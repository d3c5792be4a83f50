// The storage thread writes an exchange that began and ended in one batch once (issue 28,
// db/capture-store.ts through db/whole-exchange.ts): its row as it ended, its bodies and events
// packed, understood and in the search index, all in the batch's transaction, and stored exactly
// as capture's other path (rows as they come, packed, understood and indexed in later slices)
// leaves the same exchanges, row for row. It waits its turn when something that ended before it
// waits to be understood, or ends in its batch through the other path (a call's thread is found
// from the turn before); a batch the database refuses leaves nothing, and stores once applied again.
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import type { Db } from '../db/schema.ts';
import { harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { finishedExchange, plainGet } from './support/exchange-events.ts';
import { applyAcrossBatches, batches, mixedHar, rowsOf } from './support/mixed-har.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-write-once-');

/** A store as the storage thread has it once its first slice found nothing an earlier run left. */
function liveStore(db: Db): CaptureStore {
  const store = new CaptureStore(db, understandEnded);
  store.indexInSlices = true;
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  return store;
}

/** Rewrites of written rows (an UPDATE of a body row, a DELETE of one or of an event), counted by the test's own triggers. */
function countRewrites(db: Db): () => number {
  db.exec(`CREATE TEMP TABLE rewrites (what TEXT);
    CREATE TEMP TRIGGER bodies_updated AFTER UPDATE ON main.bodies BEGIN INSERT INTO rewrites VALUES ('update'); END;
    CREATE TEMP TRIGGER bodies_deleted AFTER DELETE ON main.bodies BEGIN INSERT INTO rewrites VALUES ('delete'); END;
    CREATE TEMP TRIGGER sse_deleted AFTER DELETE ON main.sse_events BEGIN INSERT INTO rewrites VALUES ('delete'); END;
    CREATE TEMP TRIGGER ws_deleted AFTER DELETE ON main.ws_messages BEGIN INSERT INTO rewrites VALUES ('delete'); END;`);
  return () => db.prepare('SELECT count(*) FROM rewrites').pluck().get() as number;
}

const waiting = (db: Db) => db.prepare('SELECT count(*) FROM exchanges WHERE to_index <> 0').pluck().get() as number;

describe('an exchange that began and ended in one batch', () => {
  it('is written once, understood and indexed in its batch, as the slices leave it, row for row', () => {
    const { events } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });

    // Each exchange open across two batches: rows as they come, then packed, understood and indexed in slices.
    const before = freshDb();
    const sliced = liveStore(before);
    const beforeIds: number[] = [];
    for (const batch of batches(events, 3)) {
      beforeIds.push(...applyAcrossBatches(sliced, batch));
      while (sliced.indexSlice('understand', Number.POSITIVE_INFINITY, 4000).more);
    }
    expect(sliced.indexError).toBeNull();

    const after = freshDb();
    const rewrites = countRewrites(after);
    const once = liveStore(after);
    const afterIds: number[] = [];
    let leftToSlices = 0;
    for (const batch of batches(events, 3)) {
      const rewritten = rewrites();
      afterIds.push(...once.apply(batch));
      if (waiting(after) === 0) {
        // Done with its batch: nothing is left for a slice, and no row was written twice.
        expect(once.sliceHasWork('understand')).toBe(false);
        expect(rewrites()).toBe(rewritten);
        continue;
      }
      // The batch with a body past what capture keeps in memory (2 MB) goes through the slices, as before.
      leftToSlices++;
      while (once.indexSlice('understand', Number.POSITIVE_INFINITY, 4000).more);
    }
    expect(leftToSlices).toBe(1);
    expect(once.indexError).toBeNull();

    expect(afterIds).toEqual(beforeIds);
    const was = rowsOf(before);
    const is = rowsOf(after);
    expect(was.sse.length).toBe(32);
    expect(was.blobs.length).toBeGreaterThan(4);
    for (const table of Object.keys(was)) expect({ table, rows: is[table] }).toEqual({ table, rows: was[table] });
  });

  it('waits its turn behind an exchange that ended before it or in its batch through the slices', () => {
    const db = freshDb();
    const store = liveStore(db);
    const { request, responseHead, chunk, end } = plainGet;
    // `open` begins in one batch and ends in the next, with `call` begun and ended there after it.
    store.apply([request('open'), responseHead('open')]);
    store.apply([chunk('open', 'streamed'), end('open', 8), ...finishedExchange(1)]);
    expect(waiting(db)).toBe(2);
    const ids = db.prepare('SELECT id FROM exchanges ORDER BY id').pluck().all();
    // Understood in the order they ended, by the next slice.
    expect(store.indexSlice('all', 60_000, 64).understood).toEqual(ids);
    // A batch with nothing waiting: written once.
    store.apply(finishedExchange(2));
    expect(waiting(db)).toBe(0);
    expect(db.prepare('SELECT model FROM exchanges ORDER BY id DESC LIMIT 1').pluck().get()).toBe('gpt-made');
  });

  it('refused by the database, leaves nothing of its batch, and applied again is stored once', () => {
    const db = freshDb();
    const store = liveStore(db);
    // Refuses a packed body row: only the write-once path writes one in a capture batch.
    db.exec(`CREATE TABLE test_refuse (on_ INTEGER NOT NULL); INSERT INTO test_refuse VALUES (1);
      CREATE TRIGGER test_refuse_packed BEFORE INSERT ON bodies WHEN new.codec <> 0 AND (SELECT on_ FROM test_refuse) = 1
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`);
    const batch = [...finishedExchange(1), ...finishedExchange(2)];
    expect(() => store.apply(batch)).toThrow(/refused by the test/);
    expect(db.prepare('SELECT count(*) FROM exchanges').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM bodies').pluck().get()).toBe(0);
    db.exec('UPDATE test_refuse SET on_ = 0');
    expect(store.apply(batch)).toHaveLength(2);
    expect(waiting(db)).toBe(0);
    expect(db.prepare('SELECT count(*) FROM bodies WHERE codec = 0').pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM exchanges_search WHERE exchanges_search MATCH 'gpt'").pluck().get()).toBe(
      2,
    );
  });
});
