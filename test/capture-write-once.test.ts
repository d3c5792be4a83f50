// The storage thread writes an exchange that began and ended in one batch once (issue 28,
// db/capture-store.ts through db/whole-exchange.ts): its row as it ended, its bodies and events
// packed, understood and in the search index, all in the batch's transaction, and stored exactly
// as capture's other path (rows as they come, packed, understood and indexed after) leaves the
// same exchanges, row for row. The exchanges ending in a batch are understood in the order they
// ended (a call's thread is found from the turn before), 64 at most: past that, and while anything
// that ended before waits, they wait for a slice; a batch the database refuses leaves nothing, and
// stores once applied again.
import { describe, expect, it } from 'vitest';
import { CaptureStore, ENDING_NOW } from '../db/capture-store.ts';
import type { Db } from '../db/schema.ts';
import { harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { finishedExchange, relayCallEvents } from './support/exchange-events.ts';
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

/** A Responses API call answered with JSON: its id, and the turn it continues. */
function responsesCall(uid: string, previous: string | null, id: string) {
  return relayCallEvents({
    uid,
    startedAt: Date.now(),
    host: 'api.openai.com',
    path: '/v1/responses',
    status: 200,
    request: Buffer.from(
      JSON.stringify({ model: 'gpt-5', input: 'hi', ...(previous ? { previous_response_id: previous } : {}) }),
    ),
    response: Buffer.from(
      JSON.stringify({
        id,
        object: 'response',
        model: 'gpt-5',
        status: 'completed',
        output: [],
        usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
      }),
    ),
  });
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
    let rewritingBatches = 0;
    for (const batch of batches(events, 3)) {
      const rewritten = rewrites();
      afterIds.push(...once.apply(batch));
      // Done with its batch: nothing is left for a slice.
      expect(waiting(after)).toBe(0);
      expect(once.sliceHasWork('understand')).toBe(false);
      // Only the batch with a body past what capture keeps in memory (2 MB) stores one as it comes, then packs it.
      if (rewrites() > rewritten) rewritingBatches++;
    }
    expect(rewritingBatches).toBe(1);
    expect(once.indexError).toBeNull();

    expect(afterIds).toEqual(beforeIds);
    const was = rowsOf(before);
    const is = rowsOf(after);
    expect(was.sse.length).toBe(32);
    expect(was.blobs.length).toBeGreaterThan(4);
    for (const table of Object.keys(was)) expect({ table, rows: is[table] }).toEqual({ table, rows: was[table] });
  });

  it('is understood after a turn that began in an earlier batch and ended before it in this one: one thread', () => {
    const db = freshDb();
    const store = liveStore(db);
    const first = responsesCall('first', null, 'resp_first');
    const next = responsesCall('next', 'resp_first', 'resp_next');
    // `first` begins in one batch and ends in the next, where `next` (continuing it) begins and ends.
    store.apply(first.slice(0, 2));
    store.apply([...first.slice(2), ...next]);
    expect(waiting(db)).toBe(0);
    expect(db.prepare('SELECT uid, thread_key FROM exchanges ORDER BY id').all()).toEqual([
      { uid: 'first', thread_key: 'response:resp_first' },
      { uid: 'next', thread_key: 'response:resp_first' },
    ]);
  });

  it('a transaction of several posted batches (200 exchanges: 100 ms of them at 2,000/s) is written once, none left for a slice', () => {
    // The storage thread gathers posts until 256 ended (db/commit-gather.ts): with 64 a
    // transaction, the rest and every later batch until a slice ran were stored twice.
    const db = freshDb();
    const store = liveStore(db);
    store.apply(Array.from({ length: 200 }, (_, i) => finishedExchange(i)).flat());
    expect(waiting(db)).toBe(0);
    store.apply(finishedExchange(200));
    expect(waiting(db)).toBe(0);
  });

  it(`past ${ENDING_NOW} endings in a batch, the rest wait for a slice, and so does the next batch until it ran`, () => {
    const db = freshDb();
    const store = liveStore(db);
    store.apply(Array.from({ length: ENDING_NOW + 6 }, (_, i) => finishedExchange(i)).flat());
    expect(waiting(db)).toBe(6);
    // Something that ended before waits: this batch's exchange waits its turn behind it.
    store.apply(finishedExchange(ENDING_NOW + 6));
    expect(waiting(db)).toBe(7);
    const ids = db.prepare('SELECT id FROM exchanges ORDER BY id').pluck().all();
    expect(store.indexSlice('all', 60_000, 64).understood).toEqual(ids.slice(ENDING_NOW));
    // Nothing waits again: written once.
    store.apply(finishedExchange(ENDING_NOW + 7));
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
