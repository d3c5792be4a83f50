// db/small-inflate.ts reads back what zlib reads back: rows deflated by db/small-deflate.ts and
// by zlib (stored, fixed and dynamic blocks, every level), text with multi-byte characters, and
// rows cut, flipped or padded, where it either gives zlib's text or leaves the row to zlib (null);
// rows read where they lie in one Buffer of many (a page's packed events).
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DICTIONARY_V1 } from '../db/compression.ts';
import { deflateSmall } from '../db/small-deflate.ts';
import { inflateSmall, inflateSmallInto, inflateSmallText } from '../db/small-inflate.ts';

/** Deterministic rows like the events a store holds: dictionary phrases, text, numbers, and some noise. */
function rows(): Buffer[] {
  const out: Buffer[] = [];
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const words = ['response', 'delta', '你好', 'über', 'tool_call', '"', '\\n', 'the', 'output_text', '🙂'];
  for (let i = 0; i < 400; i++) {
    const text = Array.from({ length: next() % 120 }, () => words[next() % words.length]).join(' ');
    out.push(
      Buffer.from(
        `{"type":"response.output_text.delta","item_id":"msg_${next()}","output_index":0,"content_index":0,"delta":"${text}","sequence_number":${i}}`,
      ),
    );
  }
  out.push(Buffer.from('a'.repeat(5000)), randomBytes(700), Buffer.from(''), Buffer.from('x'));
  return out;
}

function zlibText(data: Buffer): string | Error {
  try {
    return zlib.inflateRawSync(data, { dictionary: DICTIONARY_V1 }).toString('utf8');
  } catch (err) {
    return err as Error;
  }
}

describe('small inflate', () => {
  it('reads what zlib reads, from every deflater and block type', () => {
    let read = 0;
    for (const row of rows()) {
      const packings = [
        deflateSmall(row, DICTIONARY_V1),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1 }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, level: 0 }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, level: 1 }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, level: 9, strategy: zlib.constants.Z_FIXED }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, strategy: zlib.constants.Z_HUFFMAN_ONLY }),
      ];
      for (const packed of packings) {
        const text = inflateSmallText(packed, DICTIONARY_V1);
        expect(text).toBe(row.toString('utf8'));
        expect(inflateSmall(packed, DICTIONARY_V1)?.equals(row)).toBe(true);
        read++;
      }
    }
    expect(read).toBe(404 * 6);
  });

  it('gives zlib text or leaves the row to zlib when it is cut, flipped or padded', () => {
    let leftToZlib = 0;
    for (const row of rows().slice(0, 100)) {
      const packed = zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1 });
      const damaged = [
        packed.subarray(0, packed.length >> 1),
        Buffer.concat([packed, Buffer.from([1, 2, 3])]),
        Buffer.from(packed.map((b, i) => (i === packed.length >> 1 ? b ^ 0x5a : b))),
        Buffer.from([0xff, 0xff, 0xff]),
      ];
      for (const bytes of damaged) {
        const mine = inflateSmallText(bytes, DICTIONARY_V1);
        if (mine === null) leftToZlib++;
        else expect(mine).toBe(zlibText(bytes));
      }
    }
    expect(leftToZlib).toBeGreaterThan(200);
  });

  it('reads a row where it lies among others in one Buffer; a row cut short there reads as it does alone', () => {
    const all = rows();
    const packings = all.map((row, i) =>
      i % 2 ? deflateSmall(row, DICTIONARY_V1) : zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1 }),
    );
    const together = Buffer.concat(packings);
    const target = Buffer.alloc(64 * 1024);
    let at = 0;
    let cutLeft = 0;
    for (let i = 0; i < all.length; i++) {
      const from = at;
      at += packings[i].length;
      const n = inflateSmallInto(together, DICTIONARY_V1, target, 0, from, at);
      expect(n, `row ${i}`).toBe(all[i].length);
      expect(target.subarray(0, n).equals(all[i]), `row ${i}`).toBe(true);
      // Its last byte left out: the row is cut, though the next row's bytes follow it.
      if (at - from > 1 && i < all.length - 1) {
        const cut = inflateSmallInto(together, DICTIONARY_V1, target, 0, from, at - 1);
        const alone = inflateSmallInto(packings[i].subarray(0, -1), DICTIONARY_V1, target, 0);
        expect(cut, `row ${i} cut`).toBe(alone);
        if (cut === -1) cutLeft++;
      }
    }
    expect(cutLeft).toBeGreaterThan(300);
  });
});
