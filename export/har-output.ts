// A HAR file's bytes as export/har.ts writes them: text encoded into chunks of a megabyte, each
// handed on whole and waited for (backpressure); a body's bytes written where a marker stands in
// its entry's JSON, escaped or base64-encoded 64 KB at a time. A body never becomes one string
// (its text, then the entry's JSON holding it, then the piece of the file holding that): a 50 MB
// body cost some 200 MB while its entry was written, and every body was garbage several times.
import { isUtf8 } from 'node:buffer';

// One write (one system call, one chunk of an HTTP answer) per few hundred entries, not one per entry.
export const HAR_CHUNK_BYTES = 1024 * 1024;
const CHUNK_BYTES = HAR_CHUNK_BYTES;
// Bytes of text escaped at a time.
const TEXT_SLICE = 64 * 1024;
// Bytes base64-encoded at a time (a multiple of 3: no padding inside the body).
const BASE64_SLICE = 3 * 64 * 1024;
// The longest escape of one byte: \u001f.
const ESCAPED_MAX = 6;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
// The bytes JSON.stringify escapes with a backslash and a letter: the character after the backslash.
const SHORT_ESCAPES = new Uint8Array(0x80);
for (const [byte, letter] of [
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x22, '"'],
  [0x5c, '\\'],
] as const)
  SHORT_ESCAPES[byte] = letter.charCodeAt(0);

/** A body to write where `marker` stands, as a JSON string: UTF-8 text escaped, or (base64) encoded. */
export interface MarkedBody {
  marker: string;
  bytes: Buffer;
  base64: boolean;
}

/** A new chunk of HAR_CHUNK_BYTES, unless one written already is given back (export/har-export-worker.ts). */
const newChunk = () => Buffer.allocUnsafe(CHUNK_BYTES);

export class HarOutput {
  private chunk: Buffer;
  private used = 0;

  constructor(
    private readonly write: (chunk: string | Buffer) => unknown,
    private readonly freshChunk: () => Buffer = newChunk,
  ) {
    this.chunk = freshChunk();
  }

  /**
   * An entry's JSON, each body's bytes where its marker (a JSON string of the marker alone)
   * stands. `bodies` are in the order their markers come in the JSON.
   */
  async entry(json: string, bodies: MarkedBody[]): Promise<void> {
    let from = 0;
    for (const body of bodies) {
      const quoted = `"${body.marker}"`;
      const at = json.indexOf(quoted, from);
      if (at < 0) continue;
      await this.text(json.slice(from, at + 1));
      if (body.base64) await this.base64(body.bytes);
      else await this.escaped(body.bytes);
      from = at + quoted.length - 1;
    }
    await this.text(from === 0 ? json : json.slice(from));
  }

  /**
   * `head`, then UTF-8 bytes from `from` to `to` escaped as the inside of a JSON string (as a
   * body's are): a value written from bytes, with no string made of it (export/har.ts's SSE events).
   */
  async textThenEscaped(head: string, bytes: Buffer, from: number, to: number): Promise<void> {
    if (this.textThenEscapedNow(head, bytes, from, to)) return;
    await this.text(head);
    await this.escaped(bytes, from, to);
  }

  /**
   * As textThenEscaped, at once, when the chunk has room for both at their longest and the bytes
   * are valid UTF-8; else false, and nothing is written. No promise made: an SSE event's three
   * awaited calls made most of an export's garbage.
   */
  textThenEscapedNow(head: string, bytes: Buffer, from: number, to: number): boolean {
    if (this.used + head.length * 3 + (to - from) * ESCAPED_MAX > CHUNK_BYTES) return false;
    const start = this.used;
    this.used += this.chunk.write(head, this.used, 'utf8');
    // ASCII is valid UTF-8: only bytes with others are checked (a view of them made).
    if (!this.escapeRun(bytes, from, to) && !isUtf8(bytes.subarray(from, to))) {
      this.used = start;
      return false;
    }
    return true;
  }

  async text(text: string): Promise<void> {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit: room for that is room enough.
    if (this.used + text.length * 3 > CHUNK_BYTES) {
      await this.flush();
      // Larger than a chunk: handed on as it is.
      if (text.length * 3 > CHUNK_BYTES) {
        await this.write(text);
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /**
   * UTF-8 bytes as the inside of a JSON string, escaped by JSON.stringify a slice at a time: each
   * slice ends where a character does (never inside one), so its text escapes as the whole
   * body's would. Native escaping is faster than a loop here, and a slice's strings are small.
   */
  private async escaped(bytes: Buffer, from = 0, to = bytes.length): Promise<void> {
    for (let at = from; at < to; ) {
      let end = Math.min(to, at + TEXT_SLICE);
      // Back to the first byte of a character (10xxxxxx continues one).
      while (end < to && end > at + 1 && (bytes[end] & 0xc0) === 0x80) end--;
      if (isUtf8(bytes.subarray(at, end))) await this.escapedUtf8(bytes, at, end);
      else {
        const quoted = JSON.stringify(bytes.toString('utf8', at, end));
        await this.text(quoted.slice(1, -1));
      }
      at = end;
    }
  }

  /**
   * Valid UTF-8 escaped as JSON.stringify escapes its text, byte by byte into the chunk: no string
   * made of it (three per slice were most of an export's garbage). Only ASCII is ever escaped (`"`,
   * `\`, control characters); a character of several bytes is copied as it is, as JSON.stringify
   * leaves it (valid UTF-8 holds no lone surrogate). Text that is not valid UTF-8 takes the string
   * path, which reads it as U+FFFD where it is broken.
   */
  private async escapedUtf8(bytes: Buffer, from: number, to: number): Promise<void> {
    // At most 6 bytes (\u001f) for each byte: room for that is room enough.
    if (this.used + (to - from) * ESCAPED_MAX > CHUNK_BYTES) await this.flush();
    this.escapeRun(bytes, from, to);
  }

  /** escapedUtf8's bytes into the chunk, which has room for them; whether they were all ASCII. */
  private escapeRun(bytes: Buffer, from: number, to: number): boolean {
    const chunk = this.chunk;
    let used = this.used;
    let high = 0;
    // Byte by byte, not a copy of each run between two escapes: JSON's runs are short (between
    // quotes), and a Buffer copy's call cost more than the bytes (an export's 4% of CPU in copying).
    for (let i = from; i < to; i++) {
      const byte = bytes[i];
      if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c) {
        chunk[used++] = byte;
        high |= byte;
        continue;
      }
      chunk[used++] = 0x5c;
      const short = SHORT_ESCAPES[byte];
      if (short) chunk[used++] = short;
      else {
        // \u00XX, XX in lower-case hex as JSON.stringify writes it.
        chunk[used++] = 0x75;
        chunk[used++] = 0x30;
        chunk[used++] = 0x30;
        chunk[used++] = HEX_DIGITS[byte >> 4];
        chunk[used++] = HEX_DIGITS[byte & 0xf];
      }
    }
    this.used = used;
    return high < 0x80;
  }

  private async base64(bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; at += BASE64_SLICE)
      await this.text(bytes.toString('base64', at, Math.min(bytes.length, at + BASE64_SLICE)));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    // The stream may hold the chunk until it is written: what follows goes into a new one.
    this.chunk = this.freshChunk();
    this.used = 0;
    await this.write(full);
  }
}
