// db/deflate-tables.ts, the one copy of deflate's length and distance codes that the small-row
// encoder (db/small-deflate.ts) and decoder (db/small-inflate.ts) share: the codes are RFC 1951's,
// rows shaped like a Codex session's and random rows come back from both decoders as they went
// in, and a row's bytes are a function of the row alone: not of the rows packed before it, nor of
// which of the two modules was loaded first.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DICTIONARY_V1 } from '../db/compression.ts';
import { DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from '../db/deflate-tables.ts';
import { deflateSmall, SMALL_DEFLATE_MAX } from '../db/small-deflate.ts';
import { inflateSmall } from '../db/small-inflate.ts';
import { codexSession } from './support/codex-session.ts';

/** Rows as a store packs them: a Codex session's SSE event data, and its request bodies in pieces up to the encoder's bound. */
function sessionRows(): Buffer[] {
  const rows: Buffer[] = [];
  for (const turn of codexSession(4, 'deflate-tables')) {
    for (const event of turn.events) rows.push(Buffer.from(event.data));
    for (let at = 0; at < turn.request.length; at += 3000)
      rows.push(turn.request.subarray(at, at + Math.min(3000 + at / 10, SMALL_DEFLATE_MAX)));
  }
  return rows;
}

function roundTrips(row: Buffer): void {
  const stored = deflateSmall(row, DICTIONARY_V1);
  expect(zlib.inflateRawSync(stored, { dictionary: DICTIONARY_V1 }).equals(row)).toBe(true);
  expect(inflateSmall(stored, DICTIONARY_V1)?.equals(row)).toBe(true);
}

describe('deflate tables', () => {
  it("hold RFC 1951 3.2.5's codes: each base the last plus its extra bits' range, up to 258 and 32,768", () => {
    // Length codes 257-284: no extra bits for the first 8, then one more every 4; 285 is 258 alone.
    expect(LENGTH_EXTRA).toEqual([...Array.from({ length: 28 }, (_, i) => (i < 8 ? 0 : (i >> 2) - 1)), 0]);
    for (let i = 1; i < 28; i++)
      expect(LENGTH_BASE[i], `length code ${257 + i}`).toBe(LENGTH_BASE[i - 1] + (1 << LENGTH_EXTRA[i - 1]));
    expect([LENGTH_BASE[0], LENGTH_BASE[27] + (1 << LENGTH_EXTRA[27]) - 1, LENGTH_BASE[28]]).toEqual([3, 258, 258]);
    // Distance codes 0-29: none for the first 4, then one more every 2.
    expect(DIST_EXTRA).toEqual(Array.from({ length: 30 }, (_, i) => (i < 4 ? 0 : (i >> 1) - 1)));
    for (let i = 1; i < 30; i++)
      expect(DIST_BASE[i], `distance code ${i}`).toBe(DIST_BASE[i - 1] + (1 << DIST_EXTRA[i - 1]));
    expect([DIST_BASE[0], DIST_BASE[29] + (1 << DIST_EXTRA[29]) - 1]).toEqual([1, 32768]);
  });

  it("come back from db/small-inflate.ts and zlib as they went in: a Codex session's rows", () => {
    const rows = sessionRows();
    expect(rows.length).toBeGreaterThan(800);
    for (const row of rows) roundTrips(row);
  });

  it('come back from both decoders as they went in: any bytes, and text of the dictionary, repeats and runs', () => {
    const pieces = fc.oneof(
      fc.constantFrom(
        '{"type":"response.output_text.delta","item_id":"msg_',
        '","obfuscation":"',
        '"sequence_number":',
      ),
      fc.string({ maxLength: 30 }),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 400 }))
        .map(([s, n]) => s.repeat(n)),
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.array(pieces, { maxLength: 40 })), (input) => {
        const row = input instanceof Uint8Array ? Buffer.from(input) : Buffer.from(input.join(''));
        if (row.length <= SMALL_DEFLATE_MAX) roundTrips(row);
      }),
      { numRuns: 300 },
    );
  });

  it('a row is stored as the same bytes whatever was packed before it and whichever module was loaded first', async () => {
    const rows = sessionRows();
    const forward = rows.map((row) => deflateSmall(row, DICTIONARY_V1));
    const backward = [...rows].reverse().map((row) => deflateSmall(row, DICTIONARY_V1));
    backward.reverse().forEach((bytes, k) => expect(bytes.equals(forward[k]), `row ${k}`).toBe(true));
    // Fresh module graphs: the decoder (and the tables through it) first, then the encoder first.
    for (const decoderFirst of [true, false]) {
      vi.resetModules();
      let inflate: typeof inflateSmall;
      let deflate: typeof deflateSmall;
      if (decoderFirst) {
        inflate = (await import('../db/small-inflate.ts')).inflateSmall;
        deflate = (await import('../db/small-deflate.ts')).deflateSmall;
      } else {
        deflate = (await import('../db/small-deflate.ts')).deflateSmall;
        inflate = (await import('../db/small-inflate.ts')).inflateSmall;
      }
      expect(deflate).not.toBe(deflateSmall);
      rows.forEach((row, k) => {
        const bytes = deflate(row, DICTIONARY_V1);
        expect(bytes.equals(forward[k]), `row ${k}, decoder first: ${decoderFirst}`).toBe(true);
        expect(inflate(bytes, DICTIONARY_V1)?.equals(row)).toBe(true);
      });
    }
  });
});
