// export/har.ts RecentParts, the decompressed parts an export keeps: within its bounds (4,096
// parts, 16 MB counted with 300 bytes a part) however many are stored, the least recently used
// dropped first, a part read again kept as recently used.
import { describe, expect, it } from 'vitest';
import { RecentParts } from '../export/har.ts';

const part = (id: number, size: number) => ({ hash: Buffer.from([id & 0xff, id >> 8]), bytes: Buffer.alloc(size, id) });

/** The ids among `ids` the cache holds. */
const held = (cache: RecentParts, ids: number[]) => ids.filter((id) => cache.get(id) !== undefined);

describe('the parts an export keeps', () => {
  it('are at most 4,096, the least recently used dropped first', () => {
    const cache = new RecentParts();
    const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
    for (const id of ids) {
      cache.set(id, part(id, 10));
      // Part 1 read again after each store: always the most recently used but one.
      if (id > 1) expect(cache.get(1)?.bytes[0]).toBe(1);
    }
    const kept = held(cache, ids);
    expect(kept.length).toBeLessThanOrEqual(4096);
    expect(kept.length).toBeGreaterThanOrEqual(3840);
    // The newest, and part 1, read again all along.
    expect(kept).toEqual([1, ...ids.slice(ids.length - (kept.length - 1))]);
  });

  it('hold at most 16 MB of parts', () => {
    const cache = new RecentParts();
    const ids = Array.from({ length: 60 }, (_, i) => i + 1);
    for (const id of ids) cache.set(id, part(id, 1024 * 1024));
    const kept = held(cache, ids);
    expect(kept.length).toBeLessThanOrEqual(15);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(ids.slice(ids.length - kept.length));
    // A part larger than the bound is kept neither beside the others nor alone.
    cache.set(100, part(100, 20 * 1024 * 1024));
    expect(held(cache, [...ids, 100])).toEqual([]);
  });
});
