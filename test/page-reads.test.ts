// A page's bodies, SSE events and WebSocket messages read together (db/page-reads.ts, used by
// HAR export) are byte for byte what ExchangeReader.body / sseEvents / wsMessages read one
// exchange at a time, on a store with raw, packed and split rows and rows that cannot be read,
// with the same damage noted; a page spread thin (a narrow filter) reads only its own ids.
import { describe, expect, it } from 'vitest';
import { Blobs, SPLIT } from '../db/blobs.ts';
import { splitBody } from '../db/body-parts.ts';
import { packed } from '../db/compression.ts';
import { ExchangeReader, type PartCache } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { tempDir } from './support/harness.ts';

const IDS = [1, 2, 3, 4, 5, 6, 7, 8, 50];

function partCache(): PartCache {
  const parts = new Map<number, { hash: Buffer; bytes: Buffer }>();
  return { get: (id) => parts.get(id), set: (id, part) => void parts.set(id, part) };
}

/** Rows of every kind: raw, packed, split (parts shared), damaged (unknown codec, text for bytes, a part gone). */
function fill(db: Db): void {
  db.pragma('foreign_keys = OFF');
  const blobs = new Blobs(db);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data, codec) VALUES (?, ?, ?, ?, ?)');
  const event = db.prepare(
    'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const message = db.prepare(
    'INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  // Only the oldest exchange's row: damage is reported for rows still stored (from the oldest id on).
  db.prepare(
    `INSERT INTO exchanges (id, uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, state)
     VALUES (1, 'u1', 0, '127.0.0.1', 'POST', 'https', 'api.example', 443, '/', '1.1', '[]', 'complete')`,
  ).run();
  const system = 'You are a careful assistant. '.repeat(20);
  for (const id of IDS) {
    const request = Buffer.from(
      JSON.stringify({
        model: 'gpt-5-codex',
        instructions: system,
        input: Array.from({ length: id % 5 }, (_, i) => ({ role: 'user', content: `turn ${i} ${'x'.repeat(100)}` })),
      }),
    );
    const split = splitBody(request, '');
    const stored = split ? blobs.store(split) : packed(request);
    body.run(id, 'request', 0, stored.data, stored.codec);
    const answer = Buffer.from(`{"answer":"${'y'.repeat(id * 700)}"}`);
    const half = answer.length >> 1;
    for (const [seq, chunk] of [answer.subarray(0, half), answer.subarray(half)].entries()) {
      const p = packed(Buffer.from(chunk));
      body.run(id, 'response', seq, p.data, seq === 0 ? p.codec : 0);
      if (seq === 1) db.prepare('UPDATE bodies SET data = ? WHERE exchange_id = ? AND seq = 1').run(chunk, id);
    }
    for (let seq = 0; seq < 6; seq++) {
      const data = `{"type":"response.output_text.delta","item_id":"msg_${id}","delta":"${'z'.repeat(seq * 30)}"}`;
      const p = packed(Buffer.from(data));
      event.run(id, seq, seq * 1.5, seq % 2 ? 'delta' : null, seq ? `${seq}` : null, p.codec ? p.data : data, p.codec);
      message.run(
        id,
        seq,
        seq,
        seq % 2 ? 'send' : 'receive',
        seq % 3 ? 1 : 2,
        packed(Buffer.from(data)).data,
        packed(Buffer.from(data)).codec,
      );
    }
  }
  // Damaged: a codec no wirelog knows, text where bytes belong, a part that is gone, bytes that do not inflate.
  db.prepare(`UPDATE bodies SET codec = 9 WHERE exchange_id = 2 AND side = 'response' AND seq = 0`).run();
  db.prepare(`UPDATE bodies SET data = 'text' WHERE exchange_id = 3 AND side = 'response' AND seq = 1`).run();
  db.prepare(`UPDATE bodies SET codec = ${SPLIT + 1}, data = ? WHERE exchange_id = 5 AND side = 'request'`).run(
    Buffer.from('not deflate'),
  );
  db.prepare(`UPDATE sse_events SET codec = 1, data = x'00ff00' WHERE exchange_id = 6 AND seq = 2`).run();
  db.prepare(`UPDATE sse_events SET event = x'01' WHERE exchange_id = 7 AND seq = 1`).run();
  db.prepare(`UPDATE ws_messages SET codec = 7 WHERE exchange_id = 8 AND seq = 3`).run();
  db.prepare('DELETE FROM blobs WHERE id = (SELECT max(id) FROM blobs)').run();
}

describe('a page of streams read together', () => {
  it('reads what per-exchange reads read, byte for byte, with the same damage noted', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    fill(db);
    for (const ids of [IDS, [2, 50], [7]]) {
      const one = new ExchangeReader(db);
      const together = new ExchangeReader(db);
      const cache = partCache();
      // Twice: the second time every part comes from the cache.
      for (let round = 0; round < 2; round++) {
        const page = together.pageStreams(ids, { sse: new Set(ids), websocket: new Set(ids) }, cache);
        expect([...page.keys()]).toEqual(ids);
        for (const id of ids) {
          const got = page.get(id);
          expect(got?.request.equals(one.body(id, 'request')), `#${id} request`).toBe(true);
          expect(got?.response.equals(one.body(id, 'response')), `#${id} response`).toBe(true);
          expect(got?.sseEvents, `#${id} events`).toEqual(one.sseEvents(id));
          expect(got?.wsMessages, `#${id} messages`).toEqual(one.wsMessages(id));
        }
      }
      expect(together.damagedRows()).toEqual(one.damagedRows());
      if (ids === IDS) expect(one.damagedRows().count).toBe(7);
    }
    // Only the ids asked for: an exchange's events are not read for another's.
    const page = new ExchangeReader(db).pageStreams([1, 3], { sse: new Set([3]), websocket: new Set() });
    expect(page.get(1)?.sseEvents).toEqual([]);
    expect(page.get(3)?.sseEvents.length).toBe(6);
    expect(page.get(3)?.wsMessages).toEqual([]);
    db.close();
  });
});
