// db/small-deflate.ts: rows under 1 KB are packed by plain JavaScript deflate against the
// dictionary, read back by zlib (db/compression.ts unpacked) byte for byte, and stored about as
// small as zlib stores them.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODEC, packed, unpacked } from '../db/compression.ts';
import { deflateSmall } from '../db/small-deflate.ts';

const DICTIONARY = Buffer.from('{"type":"response.output_text.delta","item_id":"msg_","delta":"');

/** A Codex stream's delta event, as the upstream sends its data line. */
const delta = (i: number) =>
  Buffer.from(
    JSON.stringify({
      type: 'response.output_text.delta',
      sequence_number: i,
      item_id: 'msg_68c1f0e5d2a0819',
      output_index: 0,
      content_index: 0,
      delta: ['Hello', ' world', ', this', ' is', ' a test', '令牌', ' 中转站'][i % 7],
      obfuscation: `x${(i * 7919).toString(36)}`,
    }),
  );

describe('deflateSmall', () => {
  it('is raw deflate that zlib inflates with the same dictionary, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const back = zlib.inflateRawSync(deflateSmall(bytes, DICTIONARY), { dictionary: DICTIONARY });
        expect(Buffer.compare(back, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips text made of the dictionary, repeats and runs (matches of every length and distance)', () => {
    const parts = fc.oneof(
      fc.constantFrom('{"type":"', 'response.output_text.delta', '","delta":"', 'msg_', '"}'),
      fc.string({ maxLength: 40 }),
      fc.integer({ min: 1, max: 600 }).map((n) => 'a'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(parts, { maxLength: 60 }), (list) => {
        const bytes = Buffer.from(list.join('')).subarray(0, 16 * 1024);
        const back = zlib.inflateRawSync(deflateSmall(bytes, DICTIONARY), { dictionary: DICTIONARY });
        expect(back.equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a row past its bound, saying the bound', () => {
    expect(() => deflateSmall(Buffer.alloc(16 * 1024 + 1), DICTIONARY)).toThrow(/at most 16384 bytes/);
  });
});

describe('packed rows under 1 KB', () => {
  it('read back as they were', () => {
    for (let i = 0; i < 200; i++) {
      const data = delta(i);
      const stored = packed(data);
      expect(stored.codec).toBe(CODEC.deflateDict1);
      expect(stored.data.length).toBeLessThan(data.length / 2);
      expect(unpacked(stored.codec, stored.data).equals(data)).toBe(true);
    }
  });

  it('a Codex stream takes at most 5% more than zlib makes of it with the same dictionary', () => {
    let ours = 0;
    let theirs = 0;
    for (let i = 0; i < 200; i++) {
      ours += deflateSmall(delta(i), DICTIONARY).length;
      theirs += zlib.deflateRawSync(delta(i), { dictionary: DICTIONARY }).length;
    }
    expect(ours).toBeLessThanOrEqual(theirs * 1.05);
  });
});
