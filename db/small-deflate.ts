// Raw deflate (RFC 1951) of a small row against a preset dictionary, in one block of fixed
// Huffman codes, in plain JavaScript. zlib.deflateRawSync with a dictionary builds a zlib stream
// and hashes the dictionary again for every call: 30-60 µs per SSE event on this 2-core machine,
// whatever its size, which made packing (db/blobs.ts Packer) fall behind under sustained load. Here
// the dictionary is hashed once, and a row of a few hundred bytes takes a few µs. For rows this
// small zlib chooses fixed codes too (a dynamic block's tables cost more than they save), so the
// output is as small within a few bytes. zlib reads it back as any raw deflate with that
// dictionary (db/compression.ts unpacked): the format is unchanged.
import { DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from './deflate-tables.ts';

const HASH_BITS = 12;
const HASH_SIZE = 1 << HASH_BITS;
// Candidates looked at per position, and a match long enough to stop looking: enough for event
// rows, bounded for a row of repeats.
const MAX_CHAIN = 12;
const NICE_MATCH = 64;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const WINDOW = 32 * 1024;
/** Longest row taken: the dictionary and the row fit in deflate's window, so every distance is valid. */
export const SMALL_DEFLATE_MAX = 16 * 1024;

/** A code of `bits` bits as deflate writes it: Huffman codes go most significant bit first into an LSB-first stream. */
function reversed(code: number, bits: number): number {
  let out = 0;
  for (let i = 0; i < bits; i++) out |= ((code >> i) & 1) << (bits - 1 - i);
  return out;
}

// The fixed literal/length code (RFC 1951 3.2.6), reversed, and its lengths.
const LIT_CODE = new Uint16Array(288);
const LIT_BITS = new Uint8Array(288);
for (let sym = 0; sym < 288; sym++) {
  const [code, bits] =
    sym < 144
      ? [0x30 + sym, 8]
      : sym < 256
        ? [0x190 + sym - 144, 9]
        : sym < 280
          ? [sym - 256, 7]
          : [0xc0 + sym - 280, 8];
  LIT_CODE[sym] = reversed(code, bits);
  LIT_BITS[sym] = bits;
}
const DIST_CODE = Uint8Array.from({ length: 30 }, (_, i) => reversed(i, 5));
/** For each match length, its index in LENGTH_BASE. */
const LENGTH_INDEX = new Uint8Array(MAX_MATCH + 1);
for (let i = 0; i < LENGTH_BASE.length; i++) {
  const end = i + 1 < LENGTH_BASE.length ? LENGTH_BASE[i + 1] : MAX_MATCH + 1;
  for (let len = LENGTH_BASE[i]; len < end; len++) LENGTH_INDEX[len] = i;
}
LENGTH_INDEX[MAX_MATCH] = LENGTH_BASE.length - 1;

function distIndex(dist: number): number {
  let i = DIST_BASE.length - 1;
  while (DIST_BASE[i] > dist) i--;
  return i;
}

const hash3 = (b: Uint8Array, i: number) =>
  Math.imul((b[i] << 16) | (b[i + 1] << 8) | b[i + 2], 0x9e3779b1) >>> (32 - HASH_BITS);

/** A dictionary's chains of 3-byte prefixes, built once: nearest (highest) position first. */
interface DictionaryIndex {
  bytes: Uint8Array;
  head: Int32Array;
  prev: Int32Array;
}

const indexes = new WeakMap<Uint8Array, DictionaryIndex>();

function indexOf(dictionary: Uint8Array): DictionaryIndex {
  let index = indexes.get(dictionary);
  if (index) return index;
  const head = new Int32Array(HASH_SIZE).fill(-1);
  const prev = new Int32Array(dictionary.length).fill(-1);
  for (let p = 0; p + MIN_MATCH <= dictionary.length; p++) {
    const h = hash3(dictionary, p);
    prev[p] = head[h];
    head[h] = p;
  }
  index = { bytes: dictionary, head, prev };
  indexes.set(dictionary, index);
  return index;
}

// Scratch reused by every call (the storage thread packs one row at a time).
let window = new Uint8Array(0);
let out = new Uint8Array(0);
let rowPrev = new Int32Array(0);
const rowHead = new Int32Array(HASH_SIZE);
const rowStamp = new Int32Array(HASH_SIZE);
let stamp = 0;

/**
 * `data` as raw deflate with `dictionary` preset (a dictionary of at most 16 KB; `data` of at most
 * SMALL_DEFLATE_MAX bytes): one final block of fixed codes, greedy matching.
 */
export function deflateSmall(data: Uint8Array, dictionary: Uint8Array): Buffer {
  if (data.length > SMALL_DEFLATE_MAX || dictionary.length > WINDOW - SMALL_DEFLATE_MAX)
    throw new RangeError(`deflateSmall takes at most ${SMALL_DEFLATE_MAX} bytes after a dictionary of 16 KB`);
  const dict = indexOf(dictionary);
  const start = dictionary.length;
  const end = start + data.length;
  if (window.length < end) window = new Uint8Array(Math.max(end, 2 * window.length));
  window.set(dictionary, 0);
  window.set(data, start);
  if (rowPrev.length < data.length) rowPrev = new Int32Array(Math.max(data.length, 2 * rowPrev.length));
  // A new stamp empties the row's table without clearing it.
  stamp = stamp === 0x7fffffff ? 1 : stamp + 1;
  if (stamp === 1) rowStamp.fill(0);
  // At most 9 bits a literal, plus the header and the end.
  const worst = Math.ceil((data.length * 9) / 8) + 8;
  if (out.length < worst) out = new Uint8Array(Math.max(worst, 2 * out.length));
  let at = 0;
  let bitBuf = 0;
  let bitCount = 0;
  const put = (value: number, bits: number) => {
    bitBuf |= value << bitCount;
    bitCount += bits;
    while (bitCount >= 8) {
      out[at++] = bitBuf & 0xff;
      bitBuf >>>= 8;
      bitCount -= 8;
    }
  };
  const insert = (i: number) => {
    if (i + MIN_MATCH > end) return;
    const h = hash3(window, i);
    rowPrev[i - start] = rowStamp[h] === stamp ? rowHead[h] : -1;
    rowHead[h] = i;
    rowStamp[h] = stamp;
  };
  // Longer than `best` or 0: a candidate that cannot beat it is left after one byte (zlib's test).
  const matchLength = (from: number, i: number, max: number, best: number) => {
    if (best > 0 && window[from + best] !== window[i + best]) return 0;
    let n = 0;
    while (n < max && window[from + n] === window[i + n]) n++;
    return n;
  };
  // BFINAL 1, BTYPE 01: the last block, fixed codes.
  put(1, 1);
  put(1, 2);
  let i = start;
  while (i < end) {
    let best = 0;
    let bestFrom = -1;
    const max = Math.min(MAX_MATCH, end - i);
    const nice = Math.min(NICE_MATCH, max);
    if (max >= MIN_MATCH) {
      const h = hash3(window, i);
      let chain = MAX_CHAIN;
      // The row's own earlier bytes first (nearest), then the dictionary's, nearest first.
      for (let c = rowStamp[h] === stamp ? rowHead[h] : -1; c >= 0 && chain-- > 0; c = rowPrev[c - start]) {
        const n = matchLength(c, i, max, best);
        if (n > best) {
          best = n;
          bestFrom = c;
          if (n >= nice) break;
        }
      }
      if (best < nice)
        for (let c = dict.head[h]; c >= 0 && chain-- > 0; c = dict.prev[c]) {
          const n = matchLength(c, i, max, best);
          if (n > best) {
            best = n;
            bestFrom = c;
            if (n >= nice) break;
          }
        }
    }
    if (best >= MIN_MATCH) {
      const li = LENGTH_INDEX[best];
      put(LIT_CODE[257 + li], LIT_BITS[257 + li]);
      if (LENGTH_EXTRA[li]) put(best - LENGTH_BASE[li], LENGTH_EXTRA[li]);
      const dist = i - bestFrom;
      const di = distIndex(dist);
      put(DIST_CODE[di], 5);
      if (DIST_EXTRA[di]) put(dist - DIST_BASE[di], DIST_EXTRA[di]);
      for (let k = 0; k < best; k++) insert(i + k);
      i += best;
    } else {
      put(LIT_CODE[window[i]], LIT_BITS[window[i]]);
      insert(i);
      i++;
    }
  }
  put(LIT_CODE[256], LIT_BITS[256]);
  if (bitCount > 0) out[at++] = bitBuf & 0xff;
  return Buffer.from(out.subarray(0, at));
}
