// A content-encoded request body stored as its decoded bytes plus how to encode them again. Codex
// signed in with ChatGPT sends every /responses request with `Content-Encoding: zstd`
// (codex-rs/codex-api: `zstd::stream::encode_all(json, 0)`, the zstd crate's streaming encoder
// at libzstd's default level 3, no checksum, size not in the header): compressed bytes never
// repeat from turn to turn, so the session's history was stored again on every turn. Splitting
// the decoded body (db/body-parts.ts) stores each part once; reading it back encodes the joined
// bytes again with the recorded parameters. That is only sound when the encoder is
// deterministic and is the one the client used: so it is checked when the body is stored (the
// decoded bytes encoded again must equal the wire bytes, byte for byte), and a body that does
// not verify is stored whole, as before.
//
// zstd: libzstd itself (zstd-napi 0.0.13 bundles libzstd 1.5.7 and exposes ZSTD_compressStream2,
// the streaming call the zstd crate and the zstd CLI make; its output matched Debian's zstd 1.5.4
// CLI at levels 1, 3, 6, 19). gzip: node:zlib's deflate (zlib itself) with the level the header's
// XFL byte suggests, the header (mtime, OS byte, name, comment) kept as it was sent.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { type SplitBody, splitBody } from './body-parts.ts';
import { decodeBody } from './decode.ts';

/** How to turn a stored decoded body back into the bytes that were on the wire. */
export type Reencoding =
  | { kind: 'zstd'; level: number; checksum: boolean; sizeInHeader: boolean }
  | { kind: 'gzip'; level: number; header: Buffer };

/**
 * Content-encoded request bodies seen by the packer: split (verified), or stored whole and why
 * (`encoding`: stacked or another coding; `undecodable`: corrupt, cut or too large decoded;
 * `notSplit`: decoded, not a model call's JSON; `unverified`: no parameters tried encode the
 * decoded bytes back to the wire bytes). For tests, the bench and the status API.
 */
export const reencodeCounts = { split: 0, encoding: 0, undecodable: 0, notSplit: 0, unverified: 0 };

// zstd levels in the order tried: the zstd crate's and the CLI's default (Codex's) first, then the
// usual others. Levels above 9 are not tried: they cost too much to verify (a 240 KB Codex request
// at level 3: 1.6-10 ms, level 9: 43 ms, level 19: 1.4 s, with the machine loaded).
const ZSTD_LEVELS = [3, 1, 2, 6, 9, 4, 5, 7, 8];
// At most this many decoded bytes encoded over all tries for one body (levels whose window does
// not match are not tried; the first try is always made): a small body is tried at every level, a
// 250 KB one at 4, one of 1 MB or more only at the first. A body none verifies is stored whole.
const VERIFY_BUDGET_BYTES = 1024 * 1024;

/** A request body split: its parts, and how to encode the joined bytes again when it came encoded. */
export type RequestSplit = SplitBody & { reencoding?: Reencoding };

/**
 * A request body split for storage (db/body-parts.ts): as it is when not content-encoded; when
 * zstd- or gzip-encoded, its decoded bytes split, with how to encode them again, verified against
 * the wire bytes. Null when it is stored whole (counted in reencodeCounts when it was encoded).
 * `maxDecoded`: a body larger than this decoded is stored whole.
 */
export function splitRequest(wire: Buffer, contentEncoding: string, maxDecoded: number): RequestSplit | null {
  const coding = contentEncoding.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return splitBody(wire, '');
  const candidate =
    coding === 'zstd'
      ? zstdCandidate(wire, maxDecoded)
      : coding === 'gzip' || coding === 'x-gzip'
        ? gzipCandidate(wire, maxDecoded)
        : null;
  if (!candidate) {
    reencodeCounts[coding === 'zstd' || coding === 'gzip' || coding === 'x-gzip' ? 'undecodable' : 'encoding']++;
    return null;
  }
  // Split first: a body that would be stored whole anyway (not a model call's JSON) is not encoded again to be verified.
  const split = splitBody(candidate.decoded, '');
  if (!split) {
    reencodeCounts.notSplit++;
    return null;
  }
  const reencoding = candidate.verified();
  if (!reencoding) {
    reencodeCounts.unverified++;
    return null;
  }
  reencodeCounts.split++;
  return { ...split, reencoding };
}

/** The wire bytes again: the decoded body encoded as recorded (verified when it was stored). */
export function reencode(decoded: Buffer, how: Reencoding): Buffer {
  return how.kind === 'zstd'
    ? zstdStream(decoded, how.level, how.checksum, how.sizeInHeader)
    : gzipWith(decoded, how.level, how.header);
}

/** An encoded body decoded, and the search for the parameters that encode it back to the wire bytes. */
interface Candidate {
  decoded: Buffer;
  verified(): Reencoding | null;
}

function decoded(wire: Buffer, coding: string, maxDecoded: number): Buffer | null {
  const { data, error } = decodeBody(wire, coding, maxDecoded);
  return error === null ? data : null;
}

/** The first of `levels` that verification can afford for a body of `size` decoded bytes (at least one). */
function tries(levels: number[], size: number): number[] {
  const affordable = Math.max(1, Math.floor(VERIFY_BUDGET_BYTES / Math.max(1, size)));
  return levels.slice(0, affordable);
}

const ZSTD_MAGIC = 0xfd2fb528;

function zstdCandidate(wire: Buffer, maxDecoded: number): Candidate | null {
  if (wire.length < 6 || wire.readUInt32LE(0) !== ZSTD_MAGIC) return null;
  const data = decoded(wire, 'zstd', maxDecoded);
  if (!data) return null;
  const descriptor = wire[4];
  const checksum = (descriptor & 0x04) !== 0;
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeInHeader = singleSegment || descriptor >> 6 !== 0;
  const verified = (): Reencoding | null => {
    // A dictionary's frame cannot be made again without it.
    if ((descriptor & 0x03) !== 0) return null;
    // Without the size in the header, the window a level uses is fixed: levels with another are skipped unencoded.
    const levels = ZSTD_LEVELS.filter((level) => sizeInHeader || zstdWindowByte(level) === wire[5]);
    for (const level of tries(levels, data.length)) {
      if (zstdStream(data, level, checksum, sizeInHeader).equals(wire))
        return { kind: 'zstd', level, checksum, sizeInHeader };
    }
    return null;
  };
  return { decoded: data, verified };
}

interface ZstdBinding {
  CCtx: new () => {
    setParameter(param: number, value: number): void;
    setPledgedSrcSize(size: number): void;
    compressStream2(dst: Uint8Array, src: Uint8Array, end: number): [number, number, number];
  };
  CParameter: { compressionLevel: number; checksumFlag: number; contentSizeFlag: number };
  EndDirective: { continue: number; end: number };
}

let binding: ZstdBinding | null = null;
function zstd(): ZstdBinding {
  binding ??= createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
  return binding;
}

/**
 * One zstd frame, as the zstd crate's encode_all and the zstd CLI write it: libzstd's streaming
 * compression, the input given (`sizeInHeader` false: its size unknown to the encoder, as when
 * reading a stream) then the frame ended.
 */
function zstdStream(data: Buffer, level: number, checksum: boolean, sizeInHeader: boolean): Buffer {
  const z = zstd();
  const context = new z.CCtx();
  context.setParameter(z.CParameter.compressionLevel, level);
  context.setParameter(z.CParameter.checksumFlag, checksum ? 1 : 0);
  if (sizeInHeader) context.setPledgedSrcSize(data.length);
  const out: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1 << 12, data.length + 64)));
  let input: Buffer = data;
  for (;;) {
    const [, produced, consumed] = context.compressStream2(chunk, input, z.EndDirective.continue);
    if (produced > 0) out.push(Buffer.from(chunk.subarray(0, produced)));
    input = input.subarray(consumed);
    if (input.length === 0) break;
  }
  for (;;) {
    const [left, produced] = context.compressStream2(chunk, input, z.EndDirective.end);
    if (produced > 0) out.push(Buffer.from(chunk.subarray(0, produced)));
    if (left === 0) break;
  }
  return Buffer.concat(out);
}

// The window descriptor a level writes when the size is not known (empty input: the parameters
// do not depend on it then), found once per level from libzstd itself rather than copied from its table.
const windowBytes = new Map<number, number>();
function zstdWindowByte(level: number): number {
  let byte = windowBytes.get(level);
  if (byte === undefined) {
    byte = zstdStream(Buffer.alloc(0), level, false, false)[5];
    windowBytes.set(level, byte);
  }
  return byte;
}

// gzip (RFC 1952): a header, raw deflate, CRC-32 and size. XFL 2: the encoder's slowest level, 4: its fastest.
const GZIP_FLAG_HCRC = 0x02;
const GZIP_FLAG_EXTRA = 0x04;
const GZIP_FLAG_NAME = 0x08;
const GZIP_FLAG_COMMENT = 0x10;

function gzipCandidate(wire: Buffer, maxDecoded: number): Candidate | null {
  const headerEnd = gzipHeaderEnd(wire);
  if (headerEnd === null) return null;
  const data = decoded(wire, 'gzip', maxDecoded);
  if (!data) return null;
  const verified = (): Reencoding | null => {
    // Its stored form gives the header two bytes of length (a longer extra field: stored whole).
    if (headerEnd > 0xffff) return null;
    const header = Buffer.from(wire.subarray(0, headerEnd));
    const xfl = wire[8];
    const levels = xfl === 2 ? [9] : xfl === 4 ? [1] : [6, 5, 7, 2, 3, 4, 8];
    for (const level of tries(levels, data.length)) {
      if (gzipWith(data, level, header).equals(wire)) return { kind: 'gzip', level, header };
    }
    return null;
  };
  return { decoded: data, verified };
}

/** Where a gzip member's header ends (its deflate data starts), or null when it is not one. */
function gzipHeaderEnd(wire: Buffer): number | null {
  if (wire.length < 18 || wire[0] !== 0x1f || wire[1] !== 0x8b || wire[2] !== 8) return null;
  const flags = wire[3];
  let at = 10;
  if (flags & GZIP_FLAG_EXTRA) {
    if (at + 2 > wire.length) return null;
    at += 2 + wire.readUInt16LE(at);
  }
  for (const flag of [GZIP_FLAG_NAME, GZIP_FLAG_COMMENT]) {
    if (!(flags & flag)) continue;
    const zero = wire.indexOf(0, at);
    if (zero < 0) return null;
    at = zero + 1;
  }
  if (flags & GZIP_FLAG_HCRC) at += 2;
  return at <= wire.length ? at : null;
}

/** A gzip member with `header` as sent: zlib's deflate at `level`, then zlib's CRC-32 and size trailer. */
function gzipWith(data: Buffer, level: number, header: Buffer): Buffer {
  const made = zlib.gzipSync(data, { level });
  // zlib's own header is 10 bytes (no name, mtime 0): everything after it is the deflate data and the trailer.
  return Buffer.concat([header, made.subarray(10)]);
}

// Stored form of a Reencoding, at the head of an encoded split body's record (db/blobs.ts):
//   zstd: 1, level, flags (1 checksum, 2 size in header)
//   gzip: 2, level, header length (2 bytes, little-endian), header
const KIND_ZSTD = 1;
const KIND_GZIP = 2;

export function reencodingBytes(how: Reencoding): Buffer {
  if (how.kind === 'zstd')
    return Buffer.from([KIND_ZSTD, how.level, (how.checksum ? 1 : 0) | (how.sizeInHeader ? 2 : 0)]);
  const length = Buffer.alloc(2);
  length.writeUInt16LE(how.header.length);
  return Buffer.concat([Buffer.from([KIND_GZIP, how.level]), length, how.header]);
}

/** A stored Reencoding read back, and where the rest of the record starts. */
export function readReencoding(record: Buffer): { how: Reencoding; end: number } {
  const kind = record[0];
  if (kind === KIND_ZSTD && record.length >= 3)
    return {
      how: { kind: 'zstd', level: record[1], checksum: (record[2] & 1) !== 0, sizeInHeader: (record[2] & 2) !== 0 },
      end: 3,
    };
  if (kind === KIND_GZIP && record.length >= 4) {
    const end = 4 + record.readUInt16LE(2);
    if (end <= record.length) return { how: { kind: 'gzip', level: record[1], header: record.subarray(4, end) }, end };
  }
  throw new Error(`a stored body's encoding record is damaged (kind ${kind})`);
}
