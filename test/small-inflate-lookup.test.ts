// db/small-inflate.ts decodes a symbol by a table look-up of its next bits, reading whole bytes
// ahead into its bit buffer while the input has them. What it reads is still what zlib reads, and
// it reads it itself (never leaving a valid row to zlib): rows of every length around the bytes it
// reads ahead, of fixed and dynamic blocks with codes longer than the table's bits, and rows of
// several blocks whose stored blocks (a sync flush's empty one, level 0's) start after bytes it
// has read ahead. A row cut short is left to zlib or read as zlib reads it.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DICTIONARY_V1 } from '../db/compression.ts';
import { deflateSmall } from '../db/small-deflate.ts';
import { inflateSmall, inflateSmallText } from '../db/small-inflate.ts';

// The window a deflater may refer back to: a second block's dictionary is the last of this.
const WINDOW = 32 * 1024;

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
}

/** Rows of every length from 0 to 400 bytes and some longer: session-shaped JSON, text, and bytes of every value. */
function rows(): Buffer[] {
  const next = random(11);
  const words = ['"role":"user"', 'delta', '你好', '🙂', '\\n', 'output_text', 'the', '{', '}', '0123'];
  const out: Buffer[] = [];
  for (let length = 0; length <= 400; length++) {
    const kind = length % 3;
    if (kind === 2) out.push(Buffer.from(Array.from({ length }, () => next() & 0xff)));
    else {
      let text = '';
      while (Buffer.byteLength(text) < length) text += `${words[next() % words.length]} `;
      out.push(Buffer.from(text).subarray(0, length));
    }
  }
  // Long enough for dynamic blocks whose codes run past the table's 9 bits.
  for (let i = 0; i < 20; i++) out.push(Buffer.from(Array.from({ length: 3000 + i * 500 }, () => (next() % 200) + 32)));
  return out;
}

/** `first` packed up to a sync flush (its blocks, then an empty stored block), then `second` packed on from it. */
function twoParts(first: Buffer, second: Buffer, level: number): Buffer {
  const head = zlib.deflateRawSync(first, { dictionary: DICTIONARY_V1, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const seen = Buffer.concat([DICTIONARY_V1, first]);
  const tail = zlib.deflateRawSync(second, { dictionary: seen.subarray(Math.max(0, seen.length - WINDOW)), level });
  return Buffer.concat([head, tail]);
}

function expectRead(packed: Buffer, row: Buffer): void {
  // zlib's reading is the reference.
  expect(zlib.inflateRawSync(packed, { dictionary: DICTIONARY_V1 }).equals(row)).toBe(true);
  expect(inflateSmall(packed, DICTIONARY_V1)?.equals(row)).toBe(true);
  expect(inflateSmallText(packed, DICTIONARY_V1)).toBe(row.toString('utf8'));
}

describe('small inflate by table look-up', () => {
  it('reads every row itself, as zlib does, from fixed and dynamic blocks of every length', () => {
    let read = 0;
    for (const row of rows()) {
      for (const packed of [
        deflateSmall(row, DICTIONARY_V1),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1 }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, strategy: zlib.constants.Z_FIXED }),
        zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1, strategy: zlib.constants.Z_HUFFMAN_ONLY }),
      ]) {
        expectRead(packed, row);
        read++;
      }
    }
    expect(read).toBe(4 * 421);
  });

  it('reads rows of several blocks whose stored blocks start after bytes read ahead', () => {
    const all = rows();
    const next = random(5);
    let read = 0;
    for (let i = 0; i < 300; i++) {
      const first = all[next() % 401];
      const second = all[next() % 401];
      for (const level of [0, 1, 6]) {
        expectRead(twoParts(first, second, level), Buffer.concat([first, second]));
        read++;
      }
    }
    expect(read).toBe(900);
  });

  it('leaves a row cut short to zlib, or reads it as zlib does', () => {
    let leftToZlib = 0;
    for (const row of rows().slice(0, 401)) {
      const packed = zlib.deflateRawSync(row, { dictionary: DICTIONARY_V1 });
      for (let cut = 1; cut <= Math.min(6, packed.length); cut++) {
        const bytes = packed.subarray(0, packed.length - cut);
        const mine = inflateSmallText(bytes, DICTIONARY_V1);
        if (mine === null) leftToZlib++;
        else expect(mine).toBe(zlib.inflateRawSync(bytes, { dictionary: DICTIONARY_V1 }).toString('utf8'));
      }
    }
    expect(leftToZlib).toBeGreaterThan(1000);
  });
});
