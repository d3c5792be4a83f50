import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canDecodeStream, MAX_STREAM_DECODED_BYTES, streamDecoder } from '../proxy/stream-decoder.ts';
import { zstdFrame } from './support/fake-upstream.ts';

/**
 * Feeds `encoded` in pieces of `piece` bytes; resolves with what came out once the decoder
 * ended, or stopped for good (past the bound, bytes that do not decode): the decoder says which,
 * so nothing here waits on the clock. Fails after 20 s if it says neither.
 */
function decodeInPieces(
  encoding: string,
  encoded: Buffer,
  piece: number,
): Promise<{ out: Buffer; ended: boolean; stopped: string | null }> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    const deadline = setTimeout(
      () => reject(new Error(`the ${encoding} decoder neither ended nor stopped within 20 s`)),
      20_000,
    );
    const finish = (ended: boolean, stopped: string | null) => {
      clearTimeout(deadline);
      resolve({ out: Buffer.concat(parts), ended, stopped });
    };
    const decoder = streamDecoder(
      encoding,
      (bytes) => void parts.push(Buffer.from(bytes)),
      () => finish(true, null),
      (why) => finish(false, why),
    )!;
    for (let i = 0; i < encoded.length; i += piece) decoder.write(encoded.subarray(i, i + piece));
    decoder.end();
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
    expect(
      streamDecoder(
        'compress',
        () => undefined,
        () => undefined,
      ),
    ).toBeNull();
  });

  it('stops at the bound for a small stream that inflates to more (a gzip bomb), without ending it', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(MAX_STREAM_DECODED_BYTES + 8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const { out, ended, stopped } = await decodeInPieces('gzip', bomb, 64 * 1024);
    expect(ended).toBe(false);
    expect(stopped).toMatch(/decoded past/);
    expect(out.length).toBeLessThanOrEqual(MAX_STREAM_DECODED_BYTES);
    expect(out.length).toBeGreaterThan(MAX_STREAM_DECODED_BYTES - 1024 * 1024);
  });

  it('stops zstd at the bound within the chunk that crosses it', async () => {
    const big = zstdFrame(Buffer.alloc(MAX_STREAM_DECODED_BYTES + 4 * 1024 * 1024, 1));
    const { out, ended, stopped } = await decodeInPieces('zstd', big, big.length);
    expect(ended).toBe(false);
    expect(stopped).toMatch(/decoded past/);
    expect(out.length).toBeLessThanOrEqual(MAX_STREAM_DECODED_BYTES);
  });

  it('gives nothing more once destroyed (the response broke off), and does not end', async () => {
    for (const encoding of ['gzip', 'zstd']) {
      const parts: Uint8Array[] = [];
      let ended = false;
      const decoder = streamDecoder(
        encoding,
        (bytes) => parts.push(bytes),
        () => (ended = true),
      )!;
      decoder.destroy();
      decoder.write(ENCODED[encoding]);
      decoder.end();
      // A window to see nothing arrive: a busy machine can only shorten what it sees, never fail it.
      await new Promise((r) => setTimeout(r, 300));
      expect(parts, encoding).toHaveLength(0);
      expect(ended, encoding).toBe(false);
    }
  });

  it('stops quietly on bytes that are not what they claim', async () => {
    const { out, ended, stopped } = await decodeInPieces('gzip', Buffer.from('this is not gzip at all'), 4);
    expect(out.length).toBe(0);
    expect(ended).toBe(false);
    expect(stopped).toMatch(/does not decode/);
  });
});
