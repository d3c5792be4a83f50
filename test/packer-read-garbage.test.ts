// Packing a large body reads it a row at a time, and each row read (and what zlib makes of it) is
// a Buffer whose bytes wait for V8 to collect them (issue 28: the storage thread's malloc arena
// grew by 20-26 MB while a 300 MB body was packed). The packer collects them every MB
// (db/read-garbage.ts): bytes held outside V8's heap stay bounded however large the body, counted
// here at every row read, not timed.
import { afterEach, describe, expect, it } from 'vitest';
import { Packer } from '../db/blobs.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ReadGarbage } from '../db/read-garbage.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { tempDir } from './support/harness.ts';

const MB = 1024 * 1024;
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
});

/** A response body of `size` bytes that compresses (brotli makes a Buffer of every row too), in 1 MB chunks. */
function largeDownload(uid: string, body: Buffer): ExchangeEvent[] {
  const events: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt: 1764000000000,
        clientAddress: '127.0.0.1:1',
        method: 'GET',
        scheme: 'https',
        host: 'files.example',
        port: 443,
        path: '/large.json',
        httpVersion: '1.1',
        headers: [],
      },
    },
    { type: 'request-sent', uid, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 2,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
    },
  ];
  for (let at = 0; at < body.length; at += MB)
    events.push({ type: 'body-chunk', uid, side: 'response', chunk: body.subarray(at, at + MB), atMs: 3 });
  const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
  events.push({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings: { end: 10 },
    requestBody: info(0),
    responseBody: info(body.length),
  });
  return events;
}

function compressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  let at = 0;
  for (let i = 0; at < size; i++)
    at += out.write(`{"line":${i},"text":"row ${(i * 2654435761) % 1000003} of a large answer"}\n`, at);
  return out;
}

/** Bytes of ArrayBuffers alive or not yet freed in this thread, at each row the packer reads. */
function countRowReads(db: Db, samples: number[]): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    if (!sql.startsWith('SELECT data FROM bodies WHERE rowid')) return statement;
    const get = statement.get.bind(statement);
    statement.get = ((...params: unknown[]) => {
      samples.push(process.memoryUsage().arrayBuffers);
      return get(...params);
    }) as typeof statement.get;
    return statement;
  }) as typeof db.prepare;
}

describe('packing a large body', () => {
  it('holds a bounded number of row bytes awaiting collection, whatever the body size, and reads back byte for byte', () => {
    const db = openDatabase(tempDir('wirelog-read-garbage-'));
    dbs.push(db);
    const store = new CaptureStore(db);
    store.indexInSlices = true;
    const body = compressible(48 * MB);
    store.apply(largeDownload('large', body));
    const id = db.prepare("SELECT id FROM exchanges WHERE uid = 'large'").pluck().get() as number;
    const rows = db.prepare('SELECT count(*) FROM bodies WHERE exchange_id = ?').pluck().get(id) as number;
    expect(rows).toBeGreaterThanOrEqual(150);

    const samples: number[] = [];
    countRowReads(db, samples);
    const before = process.memoryUsage().arrayBuffers;
    new Packer(db).pack(id, '', null, 0);
    expect(samples.length).toBe(rows);
    // Without the collections every MB: 31 MB here (every row read and packed so far, nothing collected).
    const held = Math.max(...samples) - before;
    expect(held).toBeLessThan(8 * MB);

    const codecs = db.prepare('SELECT DISTINCT codec FROM bodies WHERE exchange_id = ?').pluck().all(id);
    expect(codecs).toEqual([2]);
    const back = Buffer.concat([...new ExchangeReader(db).bodyChunks(id, 'response')]);
    expect(back.equals(body)).toBe(true);
  });
});

describe('ReadGarbage', () => {
  it('collects once per bound of bytes read, and never for less', () => {
    let collections = 0;
    const small = new ReadGarbage(MB, () => collections++);
    for (let i = 0; i < 15; i++) small.add(64 * 1024);
    expect(collections).toBe(0);
    const large = new ReadGarbage(MB, () => collections++);
    for (let i = 0; i < 100; i++) large.add(256 * 1024);
    expect(collections).toBe(25);
  });
});
