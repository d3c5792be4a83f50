// A zstd body or event stream from a hostile relay or HAR file: a frame header asking for a huge
// window, or a window shifted once per tiny block. RFC 8878 (the format) lets a decoder refuse a
// window it cannot afford; RFC 9659 makes 8 MB the most a zstd content coding may ask for.
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../db/decode.ts';
import { ZSTD_WINDOW_LOG_MAX } from '../db/zstd-decode.ts';
import { streamDecoder } from '../proxy/stream-decoder.ts';
import { zstdFrame } from './support/fake-upstream.ts';

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** RLE blocks (RFC 8878 3.1.1.2: type 1, one byte repeated `size` times), the last one marked. */
function rleBlocks(count: number, size: number, byte: number): Buffer {
  const out = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) {
    const header = (size << 3) | (1 << 1) | (i === count - 1 ? 1 : 0);
    out.writeUIntLE(header, i * 4, 3);
    out[i * 4 + 3] = byte;
  }
  return out;
}

/** A frame with a Window_Descriptor (exponent, mantissa): window = 2^(10+e) + 2^(10+e)/8 * m. */
function framedWithWindow(exponent: number, mantissa: number, blocks: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...MAGIC, 0x00, (exponent << 3) | mantissa]), blocks]);
}

function decodeStream(encoded: Buffer): Promise<{ out: Buffer; ended: boolean; stopped: string | null }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const deadline = setTimeout(() => reject(new Error('the zstd decoder neither ended nor stopped')), 60_000);
    const finish = (ended: boolean, stopped: string | null) => {
      clearTimeout(deadline);
      resolve({ out: Buffer.concat(parts), ended, stopped });
    };
    const decoder = streamDecoder(
      'zstd',
      (bytes) => void parts.push(Buffer.from(bytes)),
      () => finish(true, null),
      (why) => finish(false, why),
    )!;
    for (let i = 0; i < encoded.length; i += 3) decoder.write(encoded.subarray(i, i + 3));
    decoder.end();
  });
}

describe('zstd from a hostile source', () => {
  // 6 header bytes asking for a 1.875 GB window (2^30 + 7 * 2^27), then one 128 KB RLE block:
  // fzstd allocated and shifted the whole window (about 2 GB resident, seconds per block).
  const hugeWindow = framedWithWindow(20, 7, rleBlocks(1, 128 * 1024, 0x41));
  // Single_Segment_flag with a Frame_Content_Size of 2 GB: the window is that size.
  const hugeContent = Buffer.concat([
    Buffer.from([...MAGIC, (2 << 6) | (1 << 5), 0x00, 0x00, 0xf0, 0x7f]),
    rleBlocks(1, 16, 0x41),
  ]);

  it('leaves a stored body whose frame asks for a window over 8 MB undecoded, saying why', () => {
    expect(ZSTD_WINDOW_LOG_MAX).toBe(23);
    for (const body of [hugeWindow, hugeContent]) {
      const result = decodeBody(body, 'zstd');
      expect(result.error).toMatch(/could not decode zstd: .*window is over the 8 MB RFC 9659 allows/);
      expect(result.data.equals(body)).toBe(true);
    }
  });

  it('stops a passing event stream at such a frame, without decoding any of it', async () => {
    for (const body of [hugeWindow, hugeContent]) {
      const { out, ended, stopped } = await decodeStream(body);
      expect(ended).toBe(false);
      expect(stopped).toMatch(/does not decode: .*window is over the 8 MB RFC 9659 allows/);
      expect(out.length).toBe(0);
    }
  });

  it('decodes a frame with the largest window RFC 9659 allows and one byte per block, whole', async () => {
    const count = 100_000;
    const body = framedWithWindow(13, 0, rleBlocks(count, 1, 0x42));
    const result = decodeBody(body, 'zstd');
    expect(result.error).toBeNull();
    expect(result.data.equals(Buffer.alloc(count, 0x42))).toBe(true);
    const streamed = await decodeStream(body);
    expect(streamed.ended).toBe(true);
    expect(streamed.out.equals(Buffer.alloc(count, 0x42))).toBe(true);
  });

  it('says a body cut inside its frame is cut, in a stored body and in a stream', async () => {
    const whole = zstdFrame(Buffer.from('data: {"a":1}\n\n'.repeat(100)));
    const cut = whole.subarray(0, whole.length - 10);
    expect(decodeBody(cut, 'zstd').error).toMatch(/could not decode zstd: the zstd data ends inside a frame/);
    const { ended, stopped } = await decodeStream(cut);
    expect(ended).toBe(false);
    expect(stopped).toMatch(/ends inside a frame/);
    // Two frames and a skippable frame between them (RFC 8878 3.1.2) decode as one body.
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const two = Buffer.concat([whole, skippable, zstdFrame(Buffer.from('end'))]);
    expect(decodeBody(two, 'zstd').data.toString()).toBe(`${'data: {"a":1}\n\n'.repeat(100)}end`);
  });
});
