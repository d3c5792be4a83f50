import { describe, expect, it } from 'vitest';
import { CommitGather, type GatherLimits, arrivalOf } from '../db/commit-gather.ts';
import { chunkInRing, chunkWith, type PostedEvent } from '../db/event-transport.ts';

// The storage thread's rule for when posted batches are committed (db/writer-worker.ts), on a
// clock of the test's own: how many transactions a stream of posts makes, not how long it takes.
const LIMITS: GatherLimits = { maxWaitMs: 100, quietMs: 40, maxEnds: 256, maxBytes: 1 << 20, maxRingBytes: 1 << 19 };
const small = { ends: 2, ringBytes: 3000, backlogBytes: 4000 };

/**
 * Posts arriving every `gapMs` for `posts` posts, committed as the worker does: at once when
 * arrived says 0, else when its timer runs out before the next post. Returns the transactions.
 */
function transactions(gather: CommitGather, posts: number, gapMs: number, arrival = small): number[] {
  const sizes: number[] = [];
  let due: number | null = null;
  let waiting = 0;
  const commit = () => {
    sizes.push(waiting);
    waiting = 0;
    due = null;
    gather.taken();
  };
  for (let i = 0; i < posts; i++) {
    const now = i * gapMs;
    if (due !== null && due <= now) commit();
    waiting++;
    const wait = gather.arrived({ ...arrival, backlogBytes: arrival.backlogBytes * gather.gathered }, now);
    if (wait === 0) commit();
    else due = now + wait;
  }
  if (waiting) commit();
  return sizes;
}

describe('gathering posted batches into transactions', () => {
  it('commits posts every 20-30 ms several at a time, the first within maxWaitMs', () => {
    // A busy writer posts every 20 ms (its POST_GAP_MS), later under load: 100 ms take 4-5 posts.
    for (const gap of [20, 25, 30]) {
      const sizes = transactions(new CommitGather(LIMITS), 100, gap);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(100);
      // One transaction a post was the rule before: each now takes the posts of maxWaitMs (4-5).
      const each = Math.ceil(LIMITS.maxWaitMs / gap);
      expect(sizes.slice(0, -1)).toEqual(Array(sizes.length - 1).fill(each));
      expect(sizes.length).toBe(Math.ceil(100 / each));
    }
  });

  it('commits a quiet post after quietMs, alone', () => {
    const gather = new CommitGather(LIMITS);
    expect(gather.arrived(small, 1000)).toBe(40);
    gather.taken();
    // Posts 50 ms apart (more than quietMs): one transaction each, as before.
    expect(transactions(new CommitGather(LIMITS), 10, 50)).toEqual(Array(10).fill(1));
  });

  it('never waits past maxWaitMs from the first post waiting', () => {
    const gather = new CommitGather(LIMITS);
    expect(gather.arrived(small, 0)).toBe(40);
    expect(gather.arrived(small, 30)).toBe(40);
    expect(gather.arrived(small, 70)).toBe(30);
    expect(gather.arrived(small, 99)).toBe(1);
    expect(gather.arrived(small, 120)).toBe(0);
  });

  it('commits at once at maxEnds ended exchanges, maxBytes waiting or maxRingBytes held', () => {
    expect(transactions(new CommitGather(LIMITS), 10, 20, { ...small, ends: 128 })).toEqual([2, 2, 2, 2, 2]);
    expect(transactions(new CommitGather(LIMITS), 9, 20, { ...small, ringBytes: LIMITS.maxRingBytes / 3 })).toEqual([
      3, 3, 3,
    ]);
    const gather = new CommitGather(LIMITS);
    expect(gather.arrived({ ...small, backlogBytes: LIMITS.maxBytes }, 0)).toBe(0);
  });

  it("counts a posted batch's ended exchanges and its ring bytes, not body bytes that came in the message", () => {
    const at = { uid: 'u1', side: 'response' as const, atMs: 1 };
    const posted = [
      chunkInRing(at, { at: 0, length: 5000 }),
      chunkWith(at, new Uint8Array(7000)),
      { type: 'end', uid: 'u1' },
      chunkInRing({ ...at, uid: 'u2' }, { at: 5000, length: 1200 }),
      { type: 'end', uid: 'u2' },
    ] as PostedEvent[];
    expect(arrivalOf(posted, 9000)).toEqual({ ends: 2, ringBytes: 6200, backlogBytes: 9000 });
    expect(arrivalOf([], 0)).toEqual({ ends: 0, ringBytes: 0, backlogBytes: 0 });
  });
});
