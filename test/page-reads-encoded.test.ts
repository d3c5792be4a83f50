// db/page-reads.ts reads a split body's record itself when it is small and deflated (manifestOf),
// for bodies split as they came (codec SPLIT + n) and for bodies that came encoded, split decoded
// and encoded again on reading (ENCODED_SPLIT + n): each page's bodies are what ExchangeReader.body
// reads for them, byte for byte, the store holding records of both kinds.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ENCODED_SPLIT, SPLIT } from '../db/blobs.ts';
import { CODEC } from '../db/compression.ts';
import { RecentParts } from '../export/har.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

const gzip = { name: 'gzip', encode: (body: Buffer) => zlib.gzipSync(body) };

describe('split bodies read a page at a time', () => {
  it('are what the reader reads one by one, encoded or not', () => {
    const db = openDatabase(tempDir());
    storeCodexSession(db, 12, 'plain');
    storeCodexSession(db, 12, 'gzipped', gzip);
    const codecs = (db.prepare('SELECT DISTINCT codec FROM bodies').pluck().all() as number[]).sort((a, b) => a - b);
    // Records deflated (CODEC.deflateDict1) of both kinds of split body.
    expect(codecs).toContain(SPLIT + CODEC.deflateDict1);
    expect(codecs).toContain(ENCODED_SPLIT + CODEC.deflateDict1);
    const ids = db.prepare('SELECT id FROM exchanges ORDER BY id').pluck().all() as number[];
    const one = new ExchangeReader(db);
    const together = new ExchangeReader(db);
    const cache = new RecentParts();
    // Pages of several sizes, the parts' cache kept from one to the next as an export keeps it.
    for (const size of [1, 5, ids.length]) {
      for (let at = 0; at < ids.length; at += size) {
        const page = ids.slice(at, at + size);
        const read = together.pageStreams(page, { sse: new Set(), websocket: new Set() }, cache);
        for (const id of page) {
          expect(read.get(id)?.request.equals(one.body(id, 'request')), `#${id} request`).toBe(true);
          expect(read.get(id)?.response.equals(one.body(id, 'response')), `#${id} response`).toBe(true);
        }
      }
    }
    const gzipped = ids.slice(12);
    expect(zlib.gunzipSync(one.body(gzipped[3], 'request')).length).toBeGreaterThan(1000);
    db.close();
  });
});
