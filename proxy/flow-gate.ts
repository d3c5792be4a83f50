import type { Readable } from 'node:stream';

/** Who is holding a body back: the socket it is written to, or storage (which bounds the bytes in flight to it). */
export type HoldReason = 'destination' | 'storage';

/**
 * Keeps a body's source paused while anything it flows into asks it to wait, and resumes it
 * only when nothing does: stream.pipe would resume on the destination's drain alone.
 */
export class FlowGate {
  private readonly holds = new Set<HoldReason>();

  constructor(private readonly source: Readable) {}

  hold(reason: HoldReason): void {
    this.holds.add(reason);
    this.source.pause();
  }

  release(reason: HoldReason): void {
    if (!this.holds.delete(reason) || this.holds.size > 0) return;
    this.source.resume();
  }

  /** Writes a chunk on; when the destination's buffer is full, holds the source until it drains. */
  writeTo(destination: NodeJS.WritableStream, chunk: Buffer): void {
    if (destination.write(chunk) || this.holds.has('destination')) return;
    this.hold('destination');
    destination.once('drain', () => this.release('destination'));
  }
}
