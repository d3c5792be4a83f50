// An SSE entry's events are written from the bytes they were inflated to (db/page-reads.ts
// SseEventBytes), escaped straight into the output (export/har.ts writeSseEntry), not through a
// string and JSON.stringify: the entry must be byte for byte what JSON.stringify(harEntry(...))
// writes with the same events as text, whatever the data holds (quotes, controls, characters of
// several bytes, bytes that are not UTF-8), wherever a chunk ends, and through a store's pages.
import { describe, expect, it } from 'vitest';
import { packed } from '../db/compression.ts';
import type { SseEventBytes } from '../db/page-reads.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { harEntry, writeSseEntry } from '../export/har.ts';
import { HarOutput } from '../export/har-output.ts';
import type { SseEvent } from '../model/exchange.ts';
import { harFlow } from './support/exchange-factory.ts';
import { tempDir } from './support/harness.ts';

const PIECES = [
  ...Array.from({ length: 0x20 }, (_, i) => Buffer.from([i])),
  Buffer.from('"'),
  Buffer.from('\\'),
  Buffer.from('\x7f'),
  Buffer.from('{"type":"content_block_delta","delta":{"text":"Hi \\"there\\"\\n"}}'),
  Buffer.from('你好，中转站'),
  Buffer.from('🙂'),
  Buffer.from('\u2028\u2029'),
  Buffer.from('é'),
  // Not UTF-8: a lone continuation byte, a cut sequence, a surrogate's encoding.
  Buffer.from([0x80]),
  Buffer.from([0xe4, 0xbd]),
  Buffer.from([0xed, 0xa0, 0x80]),
];

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
}

/** Events with data as bytes in one shared Buffer (at an offset, as a page's are), some as text only. */
function eventsOf(seed: number): { asBytes: SseEventBytes[]; asText: SseEvent[] } {
  const next = random(seed);
  const shared = Buffer.alloc(1 << 20, 0x41);
  let at = 7;
  const asBytes: SseEventBytes[] = [];
  const asText: SseEvent[] = [];
  const count = next() % 12;
  for (let i = 0; i < count; i++) {
    const parts: Buffer[] = [];
    for (let n = next() % 40; n > 0; n--) parts.push(PIECES[next() % PIECES.length]);
    const data = Buffer.concat(parts);
    const event = next() % 3 === 0 ? null : ['message', 'content_block_delta', 'é"\n'][next() % 3];
    const id = next() % 2 ? null : `id-${i}`;
    const offsetMs = (next() % 100000) / 7;
    const text = data.toString('utf8');
    asText.push({ seq: i, offsetMs, event, id, data: text });
    if (next() % 4 === 0)
      asBytes.push({ seq: i, offsetMs, event, id, data: text, dataBytes: null, dataFrom: 0, dataTo: 0 });
    else {
      data.copy(shared, at);
      asBytes.push({
        seq: i,
        offsetMs,
        event,
        id,
        data: '',
        dataBytes: shared,
        dataFrom: at,
        dataTo: at + data.length,
      });
      at += data.length + (next() % 5);
    }
  }
  return { asBytes, asText };
}

/** What writeSseEntry writes, after `before` bytes of filler (to end chunks anywhere in the entry). */
async function written(seed: number, before: number): Promise<{ direct: Buffer; expected: string }> {
  const { asBytes, asText } = eventsOf(seed);
  const source = harFlow({ responseBody: ['data: {}\n\n', 'text/event-stream'] });
  source.exchange.streamKind = 'sse';
  if (seed % 3 === 0) source.exchange.error = 'upstream reset "mid-stream"';
  if (seed % 5 === 0) source.exchange.notes = ['request body cut at 1 MB'];
  const chunks: Buffer[] = [];
  const out = new HarOutput((chunk) => void chunks.push(Buffer.from(chunk)));
  await out.text('x'.repeat(before));
  await writeSseEntry(out, { ...source, sseEvents: asBytes }, []);
  await out.flush();
  // Bytes, not text: bytes that are not UTF-8 written as they are would read back as U+FFFD too.
  const direct = Buffer.concat(chunks).subarray(before);
  return { direct, expected: JSON.stringify(harEntry({ ...source, sseEvents: asText })) };
}

describe("an SSE entry's events written from their bytes", () => {
  it('is JSON.stringify(harEntry) byte for byte, for 300 random event lists, chunks ending anywhere', async () => {
    let events = 0;
    for (let seed = 1; seed <= 300; seed++) {
      // Filler that leaves from a few bytes to a few KB of the first chunk.
      const before = 1024 * 1024 - (random(seed * 31)() % 6000);
      const { direct, expected } = await written(seed, before);
      expect(direct.equals(Buffer.from(expected)), direct.toString('utf8')).toBe(true);
      events += (JSON.parse(expected)._sseEvents as unknown[]).length;
    }
    // The lists were not all empty.
    expect(events).toBeGreaterThan(1000);
  });
});

describe("a page's SSE events read as bytes", () => {
  it('holds what sseEvents reads, page after page in the same memory, packed, raw, large and damaged rows alike', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.pragma('foreign_keys = OFF');
    const insert = db.prepare(
      'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const next = random(7);
    // Pages of 3 exchanges of 700 events: more than one page's room (128 KB), rooms used again.
    for (let id = 1; id <= 9; id++)
      for (let seq = 0; seq < 700; seq++) {
        const parts: Buffer[] = [];
        for (let n = next() % 60; n > 0; n--) parts.push(PIECES[next() % PIECES.length]);
        // One event larger than the small inflater takes (zlib reads it), one short enough to stay raw.
        const data = seq === 5 ? Buffer.from('x"'.repeat(20000)) : seq === 6 ? Buffer.from('hi') : Buffer.concat(parts);
        const p = packed(data);
        insert.run(
          id,
          seq,
          seq / 3,
          seq % 2 ? 'delta' : null,
          `${seq}`,
          p.codec ? p.data : data.toString('utf8'),
          p.codec,
        );
      }
    // Damaged: bytes that do not inflate (read as none, noted).
    db.prepare(`UPDATE sse_events SET codec = 1, data = x'00ff00' WHERE exchange_id = 4 AND seq = 2`).run();
    const one = new ExchangeReader(db);
    const together = new ExchangeReader(db);
    let fromBytes = 0;
    for (const ids of [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]) {
      const page = together.pageStreams(ids, { sse: new Set(ids), websocket: new Set(), sseAsBytes: true });
      for (const id of ids) {
        const read = page.get(id)!.sseEvents as SseEventBytes[];
        const asText = read.map(({ dataBytes, dataFrom, dataTo, ...e }) => {
          if (dataBytes) fromBytes++;
          return dataBytes ? { ...e, data: dataBytes.toString('utf8', dataFrom, dataTo) } : e;
        });
        expect(asText, `#${id} events`).toEqual(one.sseEvents(id));
      }
    }
    expect(fromBytes).toBeGreaterThan(1000);
    expect(together.damagedRows()).toEqual(one.damagedRows());
    db.close();
  });

  it("holds what sseEvents reads when the page is some of its range's exchanges: the others' packed data is passed over", () => {
    const db = openDatabase(tempDir());
    db.pragma('foreign_keys = OFF');
    const insert = db.prepare(
      'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const next = random(11);
    for (let id = 1; id <= 12; id++)
      for (let seq = 0; seq < 30; seq++) {
        const parts: Buffer[] = [];
        for (let n = 20 + (next() % 40); n > 0; n--) parts.push(PIECES[next() % PIECES.length]);
        const data = Buffer.concat(parts);
        const p = packed(data);
        // Every fifth event stored as text between packed ones.
        const raw = seq % 5 === 4 || !p.codec;
        insert.run(id, seq, seq, null, null, raw ? data.toString('utf8') : p.data, raw ? 0 : p.codec);
      }
    const one = new ExchangeReader(db);
    const together = new ExchangeReader(db);
    let fromBytes = 0;
    // Read as their range (the rows of 2, 4 ... between theirs), and as a list of ids (spread wide).
    for (const ids of [
      [1, 3, 5],
      [2, 6, 7, 8],
      [1, 12],
      [4, 9, 11],
    ]) {
      const page = together.pageStreams(ids, { sse: new Set(ids), websocket: new Set(), sseAsBytes: true });
      for (const id of ids) {
        const asText = (page.get(id)!.sseEvents as SseEventBytes[]).map(({ dataBytes, dataFrom, dataTo, ...e }) => {
          if (dataBytes) fromBytes++;
          return dataBytes ? { ...e, data: dataBytes.toString('utf8', dataFrom, dataTo) } : e;
        });
        expect(asText, `#${id} events in page ${ids}`).toEqual(one.sseEvents(id));
      }
    }
    expect(fromBytes).toBeGreaterThan(100);
    db.close();
  });
});
