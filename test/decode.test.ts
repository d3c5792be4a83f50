import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, isTextBody } from '../db/decode.ts';
import { zstdFrame } from './support/fake-upstream.ts';

const MB = 1024 * 1024;

describe('decoding stored bodies', () => {
  it.each([
    ['gzip', (b: Buffer) => zlib.gzipSync(b)],
    ['br', (b: Buffer) => zlib.brotliCompressSync(b)],
    ['deflate', (b: Buffer) => zlib.deflateSync(b)],
    ['zstd', (b: Buffer) => zstdFrame(b)],
  ])('decodes %s only up to the cap: a bomb is reported, not expanded', (encoding, encode) => {
    const bomb = encode(Buffer.alloc(8 * MB));
    const result = decodeBody(bomb, encoding, 1 * MB);
    expect(result.error).toBe(`could not decode ${encoding}: too large to decode (over 1 MB)`);
    expect(result.data.equals(bomb)).toBe(true);
    expect(decodeBody(bomb, encoding, 16 * MB).data.length).toBe(8 * MB);
  });

  it('undoes several encodings in the order they were applied', () => {
    const text = Buffer.from('{"layered":true}');
    const twice = zlib.brotliCompressSync(zlib.gzipSync(text));
    expect(decodeBody(twice, 'gzip, br').data.toString()).toBe('{"layered":true}');
  });

  it('keeps the raw bytes and says why when the encoding is unknown or the data is broken', () => {
    expect(decodeBody(Buffer.from('abc'), 'compress').error).toContain('unknown content-encoding "compress"');
    expect(decodeBody(Buffer.from('not gzip at all'), 'gzip').error).toMatch(/could not decode gzip/);
  });

  it('treats invalid UTF-8 as binary even when it claims to be JSON', () => {
    expect(isTextBody('application/json', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(false);
    expect(isTextBody('application/json', Buffer.from('{"ok":1}'))).toBe(true);
    expect(isTextBody(undefined, Buffer.from([0x00, 0x01, 0x02]))).toBe(false);
    expect(isTextBody('image/svg+xml', Buffer.from('<svg/>'))).toBe(true);
  });
});
