// Raw inflate (RFC 1951) of a small row against a preset dictionary, in plain JavaScript, straight
// to text: the read side of db/small-deflate.ts. zlib.inflateRawSync builds a zlib stream (and its
// 32 KB window, and the dictionary set again) for every call: for the 150-byte SSE events a HAR
// export reads by the million that set-up was most of a row's cost (a sixth of the export's CPU
// at a million exchanges, with the garbage it left). Here the dictionary is copied into the
// window once. Anything unusual (a code set zlib would refuse, a distance before the window,
// input that ends early, bytes after the last block, a row longer than the window holds) is
// answered with null, and the caller asks zlib, whose answer (or error message) stays the one
// that counts.
import { DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from './deflate-tables.ts';

/** Output taken: the dictionary and the row fit in the window, as db/small-deflate.ts writes them. */
const MAX_OUTPUT = 16 * 1024;

const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/** A canonical Huffman code as counts of codes per length and symbols in code order (as zlib's puff decodes). */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

/** The code of `lengths`, or null when it is over-subscribed or incomplete (zlib refuses those, but for a single code). */
function huffman(lengths: ArrayLike<number>, n: number): Huffman | null {
  const count = new Uint16Array(MAX_BITS + 1);
  for (let s = 0; s < n; s++) count[lengths[s]]++;
  if (count[0] === n) return null;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len];
    if (left < 0) return null;
  }
  // Incomplete codes: left to zlib, which takes some (a single distance code) and refuses others.
  if (left > 0) return null;
  const offs = new Uint16Array(MAX_BITS + 1);
  for (let len = 1; len < MAX_BITS; len++) offs[len + 1] = offs[len] + count[len];
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) symbol[offs[lengths[s]]++] = s;
  return { count, symbol };
}

const FIXED_LIT = (() => {
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  return huffman(lengths, 288) as Huffman;
})();
const FIXED_DIST = (() => {
  // 30 codes of 5 bits is incomplete (32 possible): built by hand, as puff does.
  const count = new Uint16Array(MAX_BITS + 1);
  count[5] = 30;
  return { count, symbol: Uint16Array.from({ length: 30 }, (_, i) => i) };
})();

/** Thrown inside: the row is left to zlib. */
class NotHere extends Error {}
const NOT_HERE = new NotHere();

class Inflater {
  private window: Buffer;
  private out = 0;
  private input: Buffer = Buffer.alloc(0);
  private pos = 0;
  private bitBuf = 0;
  private bitCount = 0;

  constructor(private readonly dictionary: Buffer) {
    this.window = Buffer.allocUnsafe(dictionary.length + MAX_OUTPUT);
    dictionary.copy(this.window, 0);
  }

  /** The row's bytes as UTF-8 text, or null: zlib decides. */
  text(data: Buffer): string | null {
    return this.inflate(data) ? this.window.toString('utf8', this.dictionary.length, this.out) : null;
  }

  /** The row's bytes in a Buffer of their own (kept in a cache, it holds nothing else), or null: zlib decides. */
  bytes(data: Buffer): Buffer | null {
    if (!this.inflate(data)) return null;
    const bytes = Buffer.allocUnsafeSlow(this.out - this.dictionary.length);
    this.window.copy(bytes, 0, this.dictionary.length, this.out);
    return bytes;
  }

  private inflate(data: Buffer): boolean {
    this.input = data;
    this.pos = 0;
    this.bitBuf = 0;
    this.bitCount = 0;
    this.out = this.dictionary.length;
    try {
      for (let last = 0; !last; ) {
        last = this.bits(1);
        const type = this.bits(2);
        if (type === 0) this.stored();
        else if (type === 1) this.codes(FIXED_LIT, FIXED_DIST);
        else if (type === 2) this.dynamic();
        else return false;
      }
    } catch (err) {
      if (err === NOT_HERE) return false;
      throw err;
    }
    // Bytes after the last block: what zlib makes of them is its to say.
    return this.pos === data.length;
  }

  private bits(need: number): number {
    let value = this.bitBuf;
    while (this.bitCount < need) {
      if (this.pos >= this.input.length) throw NOT_HERE;
      value |= this.input[this.pos++] << this.bitCount;
      this.bitCount += 8;
    }
    this.bitBuf = value >>> need;
    this.bitCount -= need;
    return value & ((1 << need) - 1);
  }

  private stored(): void {
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos + 4 > this.input.length) throw NOT_HERE;
    const len = this.input[this.pos] | (this.input[this.pos + 1] << 8);
    const nlen = this.input[this.pos + 2] | (this.input[this.pos + 3] << 8);
    this.pos += 4;
    if (len !== (~nlen & 0xffff) || this.pos + len > this.input.length) throw NOT_HERE;
    if (this.out + len > this.window.length) throw NOT_HERE;
    this.input.copy(this.window, this.out, this.pos, this.pos + len);
    this.pos += len;
    this.out += len;
  }

  /** One symbol, a bit at a time as puff does, the bit buffer kept in locals: this is most of a row's time. */
  private decode(h: Huffman): number {
    const count = h.count;
    const input = this.input;
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      if (bitCount === 0) {
        if (this.pos >= input.length) throw NOT_HERE;
        bitBuf = input[this.pos++];
        bitCount = 8;
      }
      code |= bitBuf & 1;
      bitBuf >>>= 1;
      bitCount--;
      const n = count[len];
      if (code - n < first) {
        this.bitBuf = bitBuf;
        this.bitCount = bitCount;
        return h.symbol[index + (code - first)];
      }
      index += n;
      first = (first + n) << 1;
      code <<= 1;
    }
    throw NOT_HERE;
  }

  private codes(lit: Huffman, dist: Huffman): void {
    const window = this.window;
    for (;;) {
      const symbol = this.decode(lit);
      if (symbol < 256) {
        if (this.out >= window.length) throw NOT_HERE;
        window[this.out++] = symbol;
      } else if (symbol === 256) {
        return;
      } else {
        const l = symbol - 257;
        if (l >= 29) throw NOT_HERE;
        const length = LENGTH_BASE[l] + this.bits(LENGTH_EXTRA[l]);
        const d = this.decode(dist);
        if (d >= 30) throw NOT_HERE;
        const distance = DIST_BASE[d] + this.bits(DIST_EXTRA[d]);
        if (distance > this.out || this.out + length > window.length) throw NOT_HERE;
        // Byte by byte: a match may overlap what it writes.
        for (let i = 0; i < length; i++, this.out++) window[this.out] = window[this.out - distance];
      }
    }
  }

  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw NOT_HERE;
    const lengths = new Uint8Array(320);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]] = this.bits(3);
    const lencode = huffman(lengths, 19);
    if (!lencode) throw NOT_HERE;
    lengths.fill(0, 0, 19);
    for (let i = 0; i < nlen + ndist; ) {
      let symbol = this.decode(lencode);
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let len = 0;
      if (symbol === 16) {
        if (i === 0) throw NOT_HERE;
        len = lengths[i - 1];
        symbol = 3 + this.bits(2);
      } else if (symbol === 17) symbol = 3 + this.bits(3);
      else symbol = 11 + this.bits(7);
      if (i + symbol > nlen + ndist) throw NOT_HERE;
      while (symbol--) lengths[i++] = len;
    }
    if (lengths[256] === 0) throw NOT_HERE;
    const lit = huffman(lengths.subarray(0, nlen), nlen);
    const dist = huffman(lengths.subarray(nlen, nlen + ndist), ndist);
    if (!lit || !dist) throw NOT_HERE;
    this.codes(lit, dist);
  }
}

const inflaters = new WeakMap<Buffer, Inflater>();

function inflater(dictionary: Buffer): Inflater {
  let found = inflaters.get(dictionary);
  if (!found) inflaters.set(dictionary, (found = new Inflater(dictionary)));
  return found;
}

/** `data` (raw deflate against `dictionary`) inflated to UTF-8 text, or null when zlib should read it. */
export function inflateSmallText(data: Buffer, dictionary: Buffer): string | null {
  return inflater(dictionary).text(data);
}

/** `data` (raw deflate against `dictionary`) inflated, or null when zlib should read it. */
export function inflateSmall(data: Buffer, dictionary: Buffer): Buffer | null {
  return inflater(dictionary).bytes(data);
}
