// When the storage thread commits what the writer posted (issue 28). Each transaction writes every
// page it dirtied, whatever the rows in it: the table's last page, each of the exchanges' ~17
// indexes' pages, the search index's new segment. The writer posts about every 20 ms while busy,
// and one transaction per post wrote those pages again 50 times a second; several posts gathered
// into one transaction share them: the WAL pages written per row halve (bench/storage-row-cost.ts
// --wal-autocheckpoint 0, 100 exchanges a transaction instead of 32: at a million rows GET 6.17 ->
// 2.95, a model call 8.56 -> 5.25), and the storage thread's CPU per row falls most at a million
// (GET 137-163 -> 107-140 µs, a model call 327-360 -> 247-260, alternated with the build before).
// What waits is held in memory, not in an open transaction (readers never wait on it), a little
// longer: bounded in time (the live view's delay), in exchanges (those ending in a transaction
// are understood in it), in bytes (the storage thread's memory) and in ring bytes (the writer
// must not run short of room and copy bodies instead). The writer keeps every posted batch until
// the commit that holds it, as before.
import type { PostedEvent } from './event-transport.ts';

export interface GatherLimits {
  /** The first event waiting is committed within this long of its arrival. */
  maxWaitMs: number;
  /** No batch came for this long: what waits is committed (traffic paused or stopped). */
  quietMs: number;
  /** Exchanges ended in what waits: committed at once at this many. */
  maxEnds: number;
  /** Bytes waiting (as db/backlog.ts counts them): committed at once at this many. */
  maxBytes: number;
  /** Ring bytes held (db/body-ring.ts): committed at once at this many. */
  maxRingBytes: number;
}

/** What a posted batch brings to the gathering. */
export interface Arrival {
  /** Exchanges that ended in it. */
  ends: number;
  /** Body bytes of it waiting in the shared ring. */
  ringBytes: number;
  /** Bytes waiting to be stored, it included. */
  backlogBytes: number;
}

/** What a posted batch brings: its ended exchanges and its body bytes in the ring (the backlog's bytes are the caller's). */
export function arrivalOf(posted: readonly PostedEvent[], backlogBytes: number): Arrival {
  let ends = 0;
  let ringBytes = 0;
  for (const e of posted) {
    if (e.type === 'end') ends++;
    else if ('ring' in e) ringBytes += e.ring.length;
  }
  return { ends, ringBytes, backlogBytes };
}

/** Decides, as posted batches arrive, when what waits is committed: at once, or after how long. */
export class CommitGather {
  /** When the first batch waiting arrived (null: none waits). */
  private since: number | null = null;
  private ends = 0;
  private ringBytes = 0;
  private batches = 0;

  constructor(private readonly limits: GatherLimits) {}

  /** A posted batch arrived at `now`: 0 to commit now, else how many ms to wait for more. */
  arrived(arrival: Arrival, now: number): number {
    this.since ??= now;
    this.ends += arrival.ends;
    this.ringBytes += arrival.ringBytes;
    this.batches++;
    const l = this.limits;
    if (this.ends >= l.maxEnds || this.ringBytes >= l.maxRingBytes || arrival.backlogBytes >= l.maxBytes) return 0;
    return Math.max(0, Math.min(this.since + l.maxWaitMs, now + l.quietMs) - now);
  }

  /** What waited was taken into a transaction: the next batch starts a new gathering. */
  taken(): void {
    this.since = null;
    this.ends = 0;
    this.ringBytes = 0;
    this.batches = 0;
  }

  /** Posted batches waiting in this gathering. */
  get gathered(): number {
    return this.batches;
  }
}
