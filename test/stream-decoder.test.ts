import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canDecodeStream, MAX_STREAM_DECODED_BYTES, streamDecoder } from '../proxy/stream-decoder.ts';
import { zstdFrame } from './support/fake-upstream.ts';

/**
 * Feeds `encoded` in pieces of `piece` bytes; resolves with what came out once the decoder
 * ended, or once `enough` bytes came out and 300 ms more passed (a stream stopped at the bound
 * never ends), or after 20 s.
 */
function decodeInPieces(encoding: string, encoded: Buffer, piece: number, enough = Infinity): Promise<{ out: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const parts: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    const finish = (ended: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ out: Buffer.concat(parts), ended });
    };
    const deadline = setTimeout(() => finish(false), 20_000);
    const decoder = streamDecoder(
      encoding,
      (bytes) => {
        parts.push(Buffer.from(bytes));
        size += bytes.length;
        if (size >= enough) setTimeout(() => finish(false), 300);
      },
      () => finish(true),
    )!;
    for (let i = 0; i < encoded.length; i += piece) decoder.write(encoded.subarray(i, i + piece));
    decoder.end();
    if (enough === 0) setTimeout(() => finish(false), 300);
  });
}

const text = Buffer.from(Array.from({ length: 400 }, (_, i) => `data: {"n":${i},"text":"héllo ✓"}\n\n`).join(''));
const ENCODED: Record<string, Buffer> = {
  gzip: zlib.gzipSync(text),
  deflate: zlib.deflateSync(text),
  'deflate (raw)': zlib.deflateRawSync(text),
  br: zlib.brotliCompressSync(text),
  zstd: Buffer.concat([zstdFrame(text.subarray(0, 5000)), zstdFrame(text.subarray(5000))]),
};

describe('a stream decoder', () => {
  it.each(Object.keys(ENCODED))('gives back a %s stream byte for byte, fed a few bytes at a time', async (name) => {
    const { out, ended } = await decodeInPieces(name.split(' ')[0], ENCODED[name], 7);
    expect(ended).toBe(true);
    expect(out.equals(text)).toBe(true);
  });

  it('takes the encodings it can decode, in any case, and no other', () => {
    for (const e of ['gzip', 'X-GZIP', ' deflate ', 'br', 'zstd']) expect(canDecodeStream(e), e).toBe(true);
    for (const e of ['compress', 'gzip, br', 'identity', '']) expect(canDecodeStream(e), e).toBe(false);
    expect(streamDecoder('compress', () => undefined, () => undefined)).toBeNull();
  });

  it('stops at the bound for a small stream that inflates to more (a gzip bomb), without ending it', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(MAX_STREAM_DECODED_BYTES + 8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const { out, ended } = await decodeInPieces('gzip', bomb, 64 * 1024, MAX_STREAM_DECODED_BYTES - 1024 * 1024);
    expect(ended).toBe(false);
    expect(out.length).toBeLessThanOrEqual(MAX_STREAM_DECODED_BYTES);
    expect(out.length).toBeGreaterThan(MAX_STREAM_DECODED_BYTES - 1024 * 1024);
  });

  it('stops zstd at the bound within the chunk that crosses it', async () => {
    const big = zstdFrame(Buffer.alloc(MAX_STREAM_DECODED_BYTES + 4 * 1024 * 1024, 1));
    const { out, ended } = await decodeInPieces('zstd', big, big.length, 0);
    expect(ended).toBe(false);
    expect(out.length).toBeLessThanOrEqual(MAX_STREAM_DECODED_BYTES);
  });

  it('gives nothing more once destroyed (the response broke off), and does not end', async () => {
    for (const encoding of ['gzip', 'zstd']) {
      const parts: Uint8Array[] = [];
      let ended = false;
      const decoder = streamDecoder(encoding, (bytes) => parts.push(bytes), () => (ended = true))!;
      decoder.destroy();
      decoder.write(ENCODED[encoding]);
      decoder.end();
      await new Promise((r) => setTimeout(r, 300));
      expect(parts, encoding).toHaveLength(0);
      expect(ended, encoding).toBe(false);
    }
  });

  it('stops quietly on bytes that are not what they claim', async () => {
    const { out, ended } = await decodeInPieces('gzip', Buffer.from('this is not gzip at all'), 4, 0);
    expect(out.length).toBe(0);
    expect(ended).toBe(false);
  });
});
