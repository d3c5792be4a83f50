// Body bytes on their way from the forwarding thread to the storage worker, in one shared
// buffer of fixed size instead of a copy per chunk handed over in each message. Its size bounds
// the bytes in flight: copies freed only when the worker's garbage collector got round to them
// held tens of MB during a fast download (npm run bench), and nothing bounded them.

/** Where a chunk's bytes wait in the ring: its position counted from the ring's start, and its length. */
export interface RingSpan {
  at: number;
  length: number;
}

/** The ring's memory and its release counter, handed to the worker in its workerData. */
export interface SharedRing {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

// control: [bytes released by the worker (a position), 1 while the writer waits for room]
const RELEASED = 0;
const WAITING = 1;

export function createRing(bytes: number): SharedRing {
  return { data: new SharedArrayBuffer(bytes), control: new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT) };
}

/** The forwarding thread's end: copies chunks in, learns how far the worker has read. */
export class RingWriter {
  private readonly bytes: Uint8Array;
  private readonly control: BigInt64Array;
  private written = 0;
  /** Where the oldest bytes the writer still keeps begin (null: none kept), whatever the worker released. */
  private floor: number | null = null;

  constructor(shared: SharedRing) {
    this.bytes = new Uint8Array(shared.data);
    this.control = new BigInt64Array(shared.control);
  }

  /**
   * Bytes from `at` on are not reused, though the worker released them, until the floor moves
   * (null: nothing kept): a batch not known to be stored keeps its chunks' places here, not
   * their Buffers, for a new thread should this one stop (db/writer.ts).
   */
  keepFrom(at: number | null): void {
    this.floor = at;
  }

  /** A copy of a chunk's bytes, while the ring still holds them (not released, or kept). */
  copyOf(span: RingSpan): Uint8Array {
    const from = span.at % this.size;
    return this.bytes.slice(from, from + span.length);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Bytes the worker has not released yet, or the writer keeps. */
  used(): number {
    const released = Number(Atomics.load(this.control, RELEASED));
    return this.written - (this.floor !== null && this.floor < released ? this.floor : released);
  }

  /** Whether `length` bytes fit now, in one piece (a chunk that would cross the end starts again at the beginning). */
  fits(length: number): boolean {
    if (length > this.size / 2) return false;
    return length + this.padding(length) <= this.size - this.used();
  }

  /** Copies the chunk in; null when it does not fit. */
  put(chunk: Uint8Array): RingSpan | null {
    if (!this.fits(chunk.length)) return null;
    this.written += this.padding(chunk.length);
    const at = this.written;
    this.bytes.set(chunk, at % this.size);
    this.written += chunk.length;
    return { at, length: chunk.length };
  }

  /** Asks the worker to say when it next releases bytes. */
  askForRoom(): void {
    Atomics.store(this.control, WAITING, 1n);
  }

  private padding(length: number): number {
    const offset = this.written % this.size;
    return offset + length > this.size ? this.size - offset : 0;
  }
}

/** The worker's end: reads chunks where they wait, releases them once stored. */
export class RingReader {
  private readonly data: SharedArrayBuffer;
  private readonly control: BigInt64Array;

  constructor(shared: SharedRing) {
    this.data = shared.data;
    this.control = new BigInt64Array(shared.control);
  }

  /** The chunk's bytes in place: valid until released. */
  view(span: RingSpan): Uint8Array {
    return new Uint8Array(this.data, span.at % this.data.byteLength, span.length);
  }

  /** Whether the writer waits for room: what holds ring bytes is worth storing now, not at the next batch. */
  writerWaits(): boolean {
    return Atomics.load(this.control, WAITING) === 1n;
  }

  /** Everything up to the end of `span` is stored (or copied out): the writer may reuse it. Returns whether the writer asked to hear of it. */
  release(span: RingSpan): boolean {
    Atomics.store(this.control, RELEASED, BigInt(span.at + span.length));
    return Atomics.exchange(this.control, WAITING, 0n) === 1n;
  }
}
