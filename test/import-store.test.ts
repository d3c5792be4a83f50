// db/import-store.ts stores what capture's path stores (rows written as they come, packed and
// indexed after: db/capture-store.ts and db/indexer.ts, as `wirelog import` did before it), row
// for row: the same exchanges, body rows, SSE events, WebSocket messages, parts, references and
// search entries (each FTS5 token at its place), for a HAR of every kind of entry, in batches
// that share parts across them.
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ImportStore } from '../db/import-store.ts';
import { harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { applyAcrossBatches, batches, mixedHar, rowsOf } from './support/mixed-har.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-import-store-');

describe('ImportStore', () => {
  it('stores a HAR of every kind of entry as capture and its indexer did, row for row', () => {
    const { events, entries } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });
    expect(entries).toBe(15);

    // Before: each batch applied as capture batches (its exchanges open across two), then understood, packed and indexed in slices.
    const before = freshDb();
    const capture = new CaptureStore(before, understandEnded);
    capture.indexInSlices = true;
    const beforeIds: number[] = [];
    for (const batch of batches(events, 3)) {
      beforeIds.push(...applyAcrossBatches(capture, batch));
      while (capture.indexSlice('understand', Number.POSITIVE_INFINITY, 4000).more);
    }
    expect(capture.indexError).toBeNull();

    const after = freshDb();
    const store = new ImportStore(after, understandEnded);
    const afterIds = batches(events, 3).flatMap((batch) => store.store(batch));
    expect(store.error).toBeNull();

    expect(afterIds).toEqual(beforeIds);
    const was = rowsOf(before);
    const is = rowsOf(after);
    // What the HAR holds of each kind is there (the comparison is not of empty tables).
    expect(was.sse.length).toBe(32);
    expect(was.ws.length).toBe(4);
    expect(was.blobs.length).toBeGreaterThan(4);
    for (const table of Object.keys(was)) expect({ table, rows: is[table] }).toEqual({ table, rows: was[table] });
  });

  it('writes each body row once, packed, and never rewrites one', () => {
    const { events } = harToEvents(mixedHar(), { source: 'mixed.har', keepSecrets: false });
    const db = freshDb();
    db.exec(`CREATE TEMP TABLE body_writes (what TEXT);
      CREATE TEMP TRIGGER bodies_updated AFTER UPDATE ON main.bodies BEGIN INSERT INTO body_writes VALUES ('update'); END;
      CREATE TEMP TRIGGER bodies_deleted AFTER DELETE ON main.bodies BEGIN INSERT INTO body_writes VALUES ('delete'); END;
      CREATE TEMP TRIGGER sse_deleted AFTER DELETE ON main.sse_events BEGIN INSERT INTO body_writes VALUES ('delete'); END;
      CREATE TEMP TRIGGER ws_deleted AFTER DELETE ON main.ws_messages BEGIN INSERT INTO body_writes VALUES ('delete'); END;`);
    const store = new ImportStore(db, understandEnded);
    for (const batch of batches(events, 3)) store.store(batch);
    expect(db.prepare('SELECT count(*) FROM body_writes').pluck().get()).toBe(0);
  });
});
