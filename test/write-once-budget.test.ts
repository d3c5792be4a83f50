// The exchanges a batch writes once (db/capture-store.ts wholesOf, db/whole-exchange.ts) hold
// their bodies together until the batch's last is indexed: joined, decoded, packed. Up to 64
// ending in a batch with bodies up to KEEP_BODY_BYTES each, that was 128 MB and more on the
// storage thread; they stay within the budget of kept bodies, and past it one is stored as it
// came and packed from its rows, as a slice does. Counted here: the body bytes of a batch written
// once (an exchange whose rows were not rewritten); not timed.
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-write-once-budget-');
const BODY = 1_000_000;

/** A GET answered with a text body of BODY bytes that compresses, begun and ended in one batch. */
function download(i: number): ExchangeEvent[] {
  const uid = `budget-${i}`;
  const body = Buffer.from(`line ${i} of a log file\n`.repeat(BODY / 20)).subarray(0, BODY);
  const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: 1764000000000 + i,
        clientAddress: '127.0.0.1:1',
        method: 'GET',
        scheme: 'https',
        host: 'files.example',
        port: 443,
        path: `/log/${i}`,
        httpVersion: '1.1',
        headers: [],
      },
    },
    {
      type: 'response-head',
      uid,
      atMs: 1,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/plain']] },
    },
    { type: 'body-chunk', uid, side: 'response', atMs: 2, chunk: body },
    { type: 'end', uid, state: 'complete', error: null, timings: {}, requestBody: info(0), responseBody: info(BODY) },
  ];
}

describe('a batch of exchanges written once', () => {
  it('holds their bodies within the budget of kept bodies; the rest are stored as they came', () => {
    const db = freshDb();
    const store = new CaptureStore(db);
    store.indexInSlices = true;
    expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
    // Rows rewritten (packed after they were written as they came), by exchange: none of one written once.
    db.exec(`CREATE TEMP TABLE rewritten (exchange_id INTEGER);
      CREATE TEMP TRIGGER bodies_updated AFTER UPDATE ON main.bodies BEGIN INSERT INTO rewritten VALUES (OLD.exchange_id); END;
      CREATE TEMP TRIGGER bodies_deleted AFTER DELETE ON main.bodies BEGIN INSERT INTO rewritten VALUES (OLD.exchange_id); END;`);
    store.apply(Array.from({ length: 40 }, (_, i) => download(i)).flat());
    const stored = db.prepare('SELECT count(*) FROM exchanges').pluck().get();
    const rewritten = db.prepare('SELECT count(DISTINCT exchange_id) FROM rewritten').pluck().get() as number;
    const once = 40 - rewritten;
    expect(stored).toBe(40);
    // Without the bound all 40 (40 MB held at once); within 32 MB, 33.
    expect(once).toBeGreaterThan(0);
    expect(once * BODY).toBeLessThanOrEqual(32 * 1024 * 1024);
    // Every body stored whole.
    const sizes = db.prepare('SELECT response_stored FROM exchanges').pluck().all();
    expect(sizes).toEqual(Array(40).fill(BODY));
  });
});
