// Raw inflate (RFC 1951) of a small row against a preset dictionary, in plain JavaScript, straight
// to text: the read side of db/small-deflate.ts. zlib.inflateRawSync builds a zlib stream (and its
// 32 KB window, and the dictionary set again) for every call: for the 150-byte SSE events a HAR
// export reads by the million that set-up was most of a row's cost (a sixth of the export's CPU
// at a million exchanges, with the garbage it left). Here the dictionary is copied into the
// window once, a symbol is one table look-up of its next 9 bits (a bit at a time only for a longer
// code or the input's last bits), and a dynamic block's codes are built in room kept from the last. Anything unusual (a code set zlib would refuse, a distance before the window,
// input that ends early, bytes after the last block, a row longer than the window holds) is
// answered with null, and the caller asks zlib, whose answer (or error message) stays the one
// that counts.
import { DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from './deflate-tables.ts';

/** Output taken: the dictionary and the row fit in the window, as db/small-deflate.ts writes them. */
const MAX_OUTPUT = 16 * 1024;
/** The most bytes a row inflated here holds (inflateSmallInto needs this much room to be sure it fits). */
export const SMALL_INFLATE_MAX_BYTES = MAX_OUTPUT;

const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/** A canonical Huffman code as counts of codes per length and symbols in code order (as zlib's puff decodes). */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
  /**
   * The symbol of each code of up to FAST_BITS bits, by the next FAST_BITS bits of input as they sit
   * in the bit buffer (a code's bits come first-bit-lowest): `symbol << 4 | length`, 0 for a longer
   * code (read a bit at a time). A row's symbol is then one look-up, not a loop over its bits.
   */
  table: Uint16Array;
}

const FAST_BITS = 9;
const FAST_MASK = (1 << FAST_BITS) - 1;
// The next code of each length while a table is built (one at a time: this is synchronous).
const NEXT_CODE = new Uint16Array(FAST_BITS + 1);
// Offsets in `symbol` of each length's first symbol, likewise.
const OFFSETS = new Uint16Array(MAX_BITS + 1);

/** The look-up table of a canonical code (Huffman.table): codes assigned in order of length, then symbol (RFC 1951 3.2.2). */
function fastTable(
  lengths: ArrayLike<number>,
  n: number,
  count: Uint16Array,
  table: Uint16Array = new Uint16Array(1 << FAST_BITS),
): Uint16Array {
  table.fill(0);
  const next = NEXT_CODE;
  next.fill(0);
  // count[0] counts the unused symbols: no code has a length of 0.
  for (let len = 2, code = 0; len <= FAST_BITS; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (len === 0 || len > FAST_BITS) continue;
    const code = next[len]++;
    let reversed = 0;
    for (let b = 0; b < len; b++) reversed |= ((code >> b) & 1) << (len - 1 - b);
    for (let k = reversed; k < 1 << FAST_BITS; k += 1 << len) table[k] = (s << 4) | len;
  }
  return table;
}

/** Room for a code of up to `n` symbols, filled again by each block that reads one (huffman's `into`). */
function huffmanRoom(n: number): Huffman {
  return { count: new Uint16Array(MAX_BITS + 1), symbol: new Uint16Array(n), table: new Uint16Array(1 << FAST_BITS) };
}

/**
 * The code of `lengths`, or null when it is over-subscribed or incomplete (zlib refuses those, but
 * for a single code). `into`: room it is built in (a dynamic block's codes live as long as the block).
 */
function huffman(lengths: ArrayLike<number>, n: number, into: Huffman = huffmanRoom(n)): Huffman | null {
  const count = into.count;
  count.fill(0);
  for (let s = 0; s < n; s++) count[lengths[s]]++;
  if (count[0] === n) return null;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len];
    if (left < 0) return null;
  }
  // Incomplete codes: left to zlib, which takes some (a single distance code) and refuses others.
  if (left > 0) return null;
  const offs = OFFSETS;
  offs.fill(0);
  for (let len = 1; len < MAX_BITS; len++) offs[len + 1] = offs[len] + count[len];
  const symbol = into.symbol;
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) symbol[offs[lengths[s]]++] = s;
  fastTable(lengths, n, count, into.table);
  return into;
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
  return {
    count,
    symbol: Uint16Array.from({ length: 30 }, (_, i) => i),
    table: fastTable(new Uint8Array(30).fill(5), 30, count),
  };
})();

/** Thrown inside: the row is left to zlib. */
class NotHere extends Error {}
const NOT_HERE = new NotHere();

class Inflater {
  private window: Buffer;
  private out = 0;
  private input: Buffer = Buffer.alloc(0);
  // Where the row's bytes end in `input` (a page's rows may share one Buffer: db/page-reads.ts).
  private end = 0;
  private pos = 0;
  private bitBuf = 0;
  private bitCount = 0;
  // A dynamic block's code lengths and codes, in room kept from one block to the next.
  private readonly lengths = new Uint8Array(320);
  private readonly codeLengthCode = huffmanRoom(19);
  private readonly litCode = huffmanRoom(286);
  private readonly distCode = huffmanRoom(30);

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

  /** The row's bytes copied into `target` at `at`; how many, or -1: zlib decides (or -2: they do not fit there). */
  into(data: Buffer, target: Buffer, at: number, from = 0, to = data.length): number {
    if (!this.inflate(data, from, to)) return -1;
    const length = this.out - this.dictionary.length;
    if (at + length > target.length) return -2;
    return this.window.copy(target, at, this.dictionary.length, this.out);
  }

  private inflate(data: Buffer, from = 0, to = data.length): boolean {
    this.input = data;
    this.end = to;
    this.pos = from;
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
    // Bytes after the last block: what zlib makes of them is its to say. (Whole bytes in the bit
    // buffer were read ahead, not used.)
    return this.pos - (this.bitCount >> 3) === to;
  }

  private bits(need: number): number {
    let value = this.bitBuf;
    while (this.bitCount < need) {
      if (this.pos >= this.end) throw NOT_HERE;
      value |= this.input[this.pos++] << this.bitCount;
      this.bitCount += 8;
    }
    this.bitBuf = value >>> need;
    this.bitCount -= need;
    return value & ((1 << need) - 1);
  }

  private stored(): void {
    // Whole bytes read ahead into the bit buffer belong to the block.
    this.pos -= this.bitCount >> 3;
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos + 4 > this.end) throw NOT_HERE;
    const len = this.input[this.pos] | (this.input[this.pos + 1] << 8);
    const nlen = this.input[this.pos + 2] | (this.input[this.pos + 3] << 8);
    this.pos += 4;
    if (len !== (~nlen & 0xffff) || this.pos + len > this.end) throw NOT_HERE;
    if (this.out + len > this.window.length) throw NOT_HERE;
    this.input.copy(this.window, this.out, this.pos, this.pos + len);
    this.pos += len;
    this.out += len;
  }

  /**
   * One symbol: looked up by its next FAST_BITS bits (bytes read ahead for them while the input
   * has them), else a bit at a time (a longer code, or the input's last bits).
   */
  private decode(h: Huffman): number {
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    if (bitCount < FAST_BITS) {
      const input = this.input;
      // Whole bytes while 32 bits hold them; `>>>` below reads the buffer as unsigned.
      while (bitCount <= 24 && this.pos < this.end) {
        bitBuf |= input[this.pos++] << bitCount;
        bitCount += 8;
      }
      this.bitBuf = bitBuf;
      this.bitCount = bitCount;
      if (bitCount < FAST_BITS) return this.decodeSlow(h);
    }
    const entry = h.table[bitBuf & FAST_MASK];
    if (entry === 0) return this.decodeSlow(h);
    const len = entry & 0xf;
    this.bitBuf = bitBuf >>> len;
    this.bitCount = bitCount - len;
    return entry >> 4;
  }

  /** One symbol, a bit at a time as puff does, the bit buffer kept in locals. */
  private decodeSlow(h: Huffman): number {
    const count = h.count;
    const input = this.input;
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      if (bitCount === 0) {
        if (this.pos >= this.end) throw NOT_HERE;
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

  /**
   * A block's symbols, its state (bits held, where the input and the output are) in locals for the
   * whole block: read and written back on the instance for each symbol, it was two thirds of the
   * inflating (an export's 8%). Symbols as decode reads them (its table, decodeSlow for a longer
   * code or the input's last bits), extra bits as `bits` reads them.
   */
  private codes(lit: Huffman, dist: Huffman): void {
    const window = this.window;
    const input = this.input;
    const end = this.end;
    const litTable = lit.table;
    const distTable = dist.table;
    let out = this.out;
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    let pos = this.pos;
    for (;;) {
      // The literal/length symbol.
      while (bitCount <= 24 && pos < end) {
        bitBuf |= input[pos++] << bitCount;
        bitCount += 8;
      }
      let entry = bitCount < FAST_BITS ? 0 : litTable[bitBuf & FAST_MASK];
      let symbol: number;
      if (entry !== 0) {
        bitBuf >>>= entry & 0xf;
        bitCount -= entry & 0xf;
        symbol = entry >> 4;
      } else {
        this.bitBuf = bitBuf;
        this.bitCount = bitCount;
        this.pos = pos;
        symbol = this.decodeSlow(lit);
        bitBuf = this.bitBuf;
        bitCount = this.bitCount;
        pos = this.pos;
      }
      if (symbol < 256) {
        if (out >= window.length) throw NOT_HERE;
        window[out++] = symbol;
        continue;
      }
      if (symbol === 256) break;
      const l = symbol - 257;
      if (l >= 29) throw NOT_HERE;
      // Its extra bits (at most 5), then the distance symbol and its extra bits (at most 13).
      let need = LENGTH_EXTRA[l];
      while (bitCount < need) {
        if (pos >= end) throw NOT_HERE;
        bitBuf |= input[pos++] << bitCount;
        bitCount += 8;
      }
      const length = LENGTH_BASE[l] + (bitBuf & ((1 << need) - 1));
      bitBuf >>>= need;
      bitCount -= need;
      while (bitCount <= 24 && pos < end) {
        bitBuf |= input[pos++] << bitCount;
        bitCount += 8;
      }
      entry = bitCount < FAST_BITS ? 0 : distTable[bitBuf & FAST_MASK];
      let d: number;
      if (entry !== 0) {
        bitBuf >>>= entry & 0xf;
        bitCount -= entry & 0xf;
        d = entry >> 4;
      } else {
        this.bitBuf = bitBuf;
        this.bitCount = bitCount;
        this.pos = pos;
        d = this.decodeSlow(dist);
        bitBuf = this.bitBuf;
        bitCount = this.bitCount;
        pos = this.pos;
      }
      if (d >= 30) throw NOT_HERE;
      need = DIST_EXTRA[d];
      while (bitCount < need) {
        if (pos >= end) throw NOT_HERE;
        bitBuf |= input[pos++] << bitCount;
        bitCount += 8;
      }
      const distance = DIST_BASE[d] + (bitBuf & ((1 << need) - 1));
      bitBuf >>>= need;
      bitCount -= need;
      if (distance > out || out + length > window.length) throw NOT_HERE;
      // A long match that does not overlap what it writes is copied at once; else byte by byte.
      if (length >= 32 && distance >= length) out += window.copy(window, out, out - distance, out - distance + length);
      else for (const stop = out + length; out < stop; out++) window[out] = window[out - distance];
    }
    this.out = out;
    this.bitBuf = bitBuf;
    this.bitCount = bitCount;
    this.pos = pos;
  }

  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw NOT_HERE;
    const lengths = this.lengths;
    lengths.fill(0);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]] = this.bits(3);
    const lencode = huffman(lengths, 19, this.codeLengthCode);
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
    const lit = huffman(lengths.subarray(0, nlen), nlen, this.litCode);
    const dist = huffman(lengths.subarray(nlen, nlen + ndist), ndist, this.distCode);
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

/**
 * `data` (raw deflate against `dictionary`) inflated into `target` at `at`, no Buffer or string of
 * its own (an export writes a page's SSE events from one: db/page-reads.ts): how many bytes, -1
 * when zlib should read it, -2 when they do not fit in `target` from `at`. `from` and `to`: where
 * the row's bytes are in `data` (a page's packed events read as one Buffer), its whole by default.
 */
export function inflateSmallInto(
  data: Buffer,
  dictionary: Buffer,
  target: Buffer,
  at: number,
  from = 0,
  to = data.length,
): number {
  return inflater(dictionary).into(data, target, at, from, to);
}
