// HarOutput (export/har-output.ts) writes a body where its marker stands exactly as JSON.stringify
// would write the body's text: valid UTF-8 escaped byte by byte into the chunk, text that is not
// valid UTF-8 through the string path (broken sequences read as U+FFFD), across slice and chunk ends.
import { describe, expect, it } from 'vitest';
import { HarOutput } from '../export/har-output.ts';

async function written(bytes: Buffer): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new HarOutput((chunk) => void chunks.push(Buffer.from(chunk)));
  await out.entry('{"text":"m"}', [{ marker: 'm', bytes, base64: false }]);
  await out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

function body(seed: number, length: number, pieces: Buffer[]): Buffer {
  let s = seed;
  const parts: Buffer[] = [];
  let size = 0;
  while (size < length) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const piece = pieces[s % pieces.length];
    parts.push(piece);
    size += piece.length;
  }
  return Buffer.concat(parts);
}

describe('a body escaped into the HAR', () => {
  const controls = Array.from({ length: 0x20 }, (_, i) => Buffer.from([i]));
  const valid = [
    ...controls,
    Buffer.from('"'),
    Buffer.from('\\'),
    Buffer.from('\x7f'),
    Buffer.from('plain text '),
    Buffer.from('你好'),
    Buffer.from('🙂'),
    Buffer.from('\u2028\u2029'),
    Buffer.from('é'),
  ];
  it('as JSON.stringify writes valid UTF-8, in small bodies and across 64 KB slices and 1 MB chunks', async () => {
    for (const [seed, length] of [
      [1, 1],
      [2, 300],
      [3, 70_000],
      [4, 1_500_000],
    ]) {
      const bytes = body(seed, length, valid);
      expect(await written(bytes)).toBe(`{"text":${JSON.stringify(bytes.toString('utf8'))}}`);
    }
  });

  it('as JSON.stringify writes its text when the bytes are not valid UTF-8', async () => {
    const broken = [...valid, Buffer.from([0xff]), Buffer.from([0xe4, 0xbd]), Buffer.from([0xed, 0xa0, 0x80])];
    for (const [seed, length] of [
      [5, 200],
      [6, 200_000],
    ]) {
      const bytes = body(seed, length, broken);
      expect(await written(bytes)).toBe(`{"text":${JSON.stringify(bytes.toString('utf8'))}}`);
    }
  });
});
