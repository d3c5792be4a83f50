// A HAR file's bytes as export/har.ts writes them: text encoded into chunks of a megabyte, each
// handed on whole and waited for (backpressure); a body's bytes written where a marker stands in
// its entry's JSON, escaped or base64-encoded 64 KB at a time. A body never becomes one string
// (its text, then the entry's JSON holding it, then the piece of the file holding that): a 50 MB
// body cost some 200 MB while its entry was written, and every body was garbage several times.

// One write (one system call, one chunk of an HTTP answer) per few hundred entries, not one per entry.
const CHUNK_BYTES = 1024 * 1024;
// Bytes of text escaped at a time.
const TEXT_SLICE = 64 * 1024;
// Bytes base64-encoded at a time (a multiple of 3: no padding inside the body).
const BASE64_SLICE = 3 * 64 * 1024;

/** A body to write where `marker` stands, as a JSON string: UTF-8 text escaped, or (base64) encoded. */
export interface MarkedBody {
  marker: string;
  bytes: Buffer;
  base64: boolean;
}

export class HarOutput {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  constructor(private readonly write: (chunk: string | Buffer) => unknown) {}

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
  private async escaped(bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      let end = Math.min(bytes.length, at + TEXT_SLICE);
      // Back to the first byte of a character (10xxxxxx continues one).
      while (end < bytes.length && end > at + 1 && (bytes[end] & 0xc0) === 0x80) end--;
      const quoted = JSON.stringify(bytes.toString('utf8', at, end));
      await this.text(quoted.slice(1, -1));
      at = end;
    }
  }

  private async base64(bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; at += BASE64_SLICE)
      await this.text(bytes.toString('base64', at, Math.min(bytes.length, at + BASE64_SLICE)));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    // The stream may hold the chunk until it is written: what follows goes into a new one.
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    await this.write(full);
  }
}
