// Content-encoded requests (Codex signed in with ChatGPT sends zstd) split decoded and stored
// with how to encode them again (db/request-reencode.ts), only when encoding again gives the
// wire bytes: byte for byte on the way back whatever was sent. Random JSON bodies encoded by
// libzstd at several levels, with and without checksum and size; gzip with names, mtimes and OS
// bytes; the zstd and gzip CLIs' output (Debian's zstd 1.5.4: another libzstd than Codex's 1.5.7,
// so stored whole); cut and corrupt frames, two frames, a dictionary's frame, stacked codings.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinBody } from '../db/body-parts.ts';
import { type Reencoding, reencode, reencodeCounts, splitRequest } from '../db/request-reencode.ts';
import { codexSession } from './support/codex-session.ts';

const SEED = 20261205;
const MAX = 32 * 1024 * 1024;
const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'encoded-requests');

const zstd = (body: Buffer, level: number, checksum = false, sizeInHeader = false): Buffer =>
  reencode(body, { kind: 'zstd', level, checksum, sizeInHeader });

/** Split (or not) and put back: the wire bytes exactly. Returns how it was stored. */
function roundTrip(wire: Buffer, coding: string): Reencoding | 'whole' {
  const split = splitRequest(wire, coding, MAX);
  if (!split) return 'whole';
  const joined = joinBody(split.skeleton, split.parts);
  expect(split.reencoding ? reencode(joined, split.reencoding).equals(wire) : joined.equals(wire)).toBe(true);
  return split.reencoding ?? 'whole';
}

/** gzip with a file name, an mtime and an OS byte in its header, as a Python or CLI client may send. */
function gzipNamed(body: Buffer, level: number, name: string, mtime: number, os: number): Buffer {
  const plain = zlib.gzipSync(body, { level });
  const header = Buffer.from(plain.subarray(0, 10));
  header[3] |= 0x08;
  header.writeUInt32LE(mtime, 4);
  header[9] = os;
  return Buffer.concat([header, Buffer.from(`${name}\0`, 'latin1'), plain.subarray(10)]);
}

const codexBody = () => [...codexSession(6, 'reencode')][5].request;

describe('an encoded request split decoded', () => {
  it('round-trips random JSON bodies zstd-encoded by libzstd at levels 1-9, with or without checksum and size', () => {
    const item = fc.record({
      role: fc.constantFrom('user', 'assistant'),
      content: fc.string({ minLength: 60, maxLength: 400 }),
    });
    const body = fc.record({
      model: fc.string({ maxLength: 20 }),
      instructions: fc.string({ minLength: 64, maxLength: 2000 }),
      input: fc.array(item, { minLength: 1, maxLength: 12 }),
      stream: fc.boolean(),
    });
    let split = 0;
    fc.assert(
      fc.property(body, fc.constantFrom(1, 2, 3, 6, 9), fc.boolean(), fc.boolean(), (value, level, checksum, sized) => {
        const wire = zstd(Buffer.from(JSON.stringify(value)), level, checksum, sized);
        const how = roundTrip(wire, 'zstd');
        expect(how).not.toBe('whole');
        if (how !== 'whole') expect(how).toMatchObject({ kind: 'zstd', checksum, sizeInHeader: sized });
        split++;
      }),
      { seed: SEED, numRuns: 60 },
    );
    expect(split).toBe(60);
  });

  it('stores a Codex request as Codex encodes it (level 3, streamed, no checksum) split; levels it does not try stored whole, still byte for byte', () => {
    const body = codexBody();
    expect(roundTrip(zstd(body, 3), 'zstd')).toEqual({ kind: 'zstd', level: 3, checksum: false, sizeInHeader: false });
    expect(roundTrip(zstd(body, 3, true, true), 'ZSTD')).toEqual({
      kind: 'zstd',
      level: 3,
      checksum: true,
      sizeInHeader: true,
    });
    const before = reencodeCounts.unverified;
    expect(roundTrip(zstd(body, 19), 'zstd')).toBe('whole');
    expect(reencodeCounts.unverified).toBe(before + 1);
  });

  it('stores gzip split when zlib at the level the header suggests gives its bytes, its name, mtime and OS byte kept', () => {
    const body = codexBody();
    for (const level of [1, 6, 9]) {
      expect(roundTrip(zlib.gzipSync(body, { level }), 'gzip')).toMatchObject({ kind: 'gzip', level });
      const named = gzipNamed(body, level, 'request.json', 1764000000, 255);
      const how = roundTrip(named, 'x-gzip');
      expect(how).toMatchObject({ kind: 'gzip', level });
      if (how !== 'whole' && how.kind === 'gzip') expect(how.header.toString('latin1')).toContain('request.json');
    }
  });

  it("stores whole, byte for byte, what cannot be made again: the CLIs' output, two frames, cut or corrupt frames, a dictionary's frame, stacked codings", () => {
    const counts = { ...reencodeCounts };
    for (const name of fs.readdirSync(FIXTURES)) {
      const wire = fs.readFileSync(path.join(FIXTURES, name));
      expect(roundTrip(wire, name.endsWith('.gz') ? 'gzip' : 'zstd'), name).toBe('whole');
    }
    const good = zstd(codexBody(), 3);
    // A flipped byte: where it is a literal the frame still decodes (to other text) and may verify,
    // which is right (those bytes come back); in the first block's header it cannot be decoded.
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0xff;
    expect(roundTrip(flipped, 'zstd')).toBeDefined();
    const corrupt = Buffer.from(good);
    corrupt[7] ^= 0xff;
    const dictionaryFrame = Buffer.from(good);
    dictionaryFrame[4] |= 0x01;
    for (const [wire, coding] of [
      [good.subarray(0, good.length - 7), 'zstd'],
      [corrupt, 'zstd'],
      [Buffer.concat([good, good]), 'zstd'],
      [dictionaryFrame, 'zstd'],
      [Buffer.concat([zlib.gzipSync(codexBody()), zlib.gzipSync(codexBody())]), 'gzip'],
      [zlib.gzipSync(codexBody()).subarray(0, 5000), 'gzip'],
      [zlib.gzipSync(zstd(codexBody(), 3)), 'zstd, gzip'],
      [zlib.brotliCompressSync(codexBody()), 'br'],
      [Buffer.from('not zstd at all, just text that says so'), 'zstd'],
    ] as [Buffer, string][])
      expect(roundTrip(wire, coding), `${coding} ${wire.length}`).toBe('whole');
    // Each was counted by why it was stored whole: none silently.
    const seen = Object.entries(reencodeCounts).reduce((n, [k, v]) => n + v - counts[k as keyof typeof counts], 0);
    expect(seen).toBe(fs.readdirSync(FIXTURES).length + 10);
    expect(reencodeCounts.encoding - counts.encoding).toBe(2);
  });
});
