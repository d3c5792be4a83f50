// How live updates meet the list (viewer/app/list-merge.ts): by order and count, not time. A busy
// proxy sends several updates per exchange; an update that touches nothing on screen must not
// hand React a new list (each new array re-rendered the list and re-measured the virtualiser's
// rows), and what is kept per exchange for open details is bounded however long a tab stays open.
import { describe, expect, it } from 'vitest';
import type { ExchangeSummary } from '../viewer/app/api.ts';
import { bumpVersions, mergeLive } from '../viewer/app/list-merge.ts';

function row(id: number, host = 'api.example', state: ExchangeSummary['state'] = 'complete'): ExchangeSummary {
  return { id, host, state, method: 'POST', status: 200, call: null } as unknown as ExchangeSummary;
}

describe('mergeLive', () => {
  const rows = [row(5), row(4), row(3)];

  it('gives back the same list when no update touches it', () => {
    // New rows another filter hides.
    expect(mergeLive(rows, [row(1, 'other.example'), row(9, 'other.example')], { host: 'api.example' })).toBe(rows);
    expect(mergeLive(rows, [], {})).toBe(rows);
  });

  it('updates rows in place and puts new ones on top, newest first', () => {
    const merged = mergeLive(rows, [row(4, 'api.example', 'streaming'), row(7), row(6)], {});
    expect(merged).not.toBe(rows);
    expect(merged.map((r) => r.id)).toEqual([7, 6, 5, 4, 3]);
    expect(merged[3].state).toBe('streaming');
    const updatedOnly = mergeLive(rows, [row(3, 'api.example', 'interrupted')], {});
    expect(updatedOnly.map((r) => [r.id, r.state])).toEqual([[5, 'complete'], [4, 'complete'], [3, 'interrupted']]);
  });
});

describe('bumpVersions', () => {
  it('bumps each changed exchange, and keeps only the most recently changed', () => {
    let versions: ReadonlyMap<number, number> = new Map();
    versions = bumpVersions(versions, [1, 2]);
    versions = bumpVersions(versions, [1]);
    expect([...versions]).toEqual([[2, 1], [1, 2]]);
    // A tab open for long: 10,000 exchanges, each changed three times, 60 to a frame.
    for (let round = 0; round < 3; round++) {
      for (let first = 10; first < 10_010; first += 60) versions = bumpVersions(versions, Array.from({ length: 60 }, (_, i) => first + i), 500);
    }
    expect(versions.size).toBe(500);
    // The last changed are kept (one let go and changed again starts over: still a change for its detail).
    expect(versions.get(10_029)).toBe(1);
    expect(versions.has(10)).toBe(false);
    // An open detail whose exchange changes again still sees its version change.
    const before = versions.get(10_000);
    versions = bumpVersions(versions, [10_000], 500);
    expect(versions.get(10_000)).toBe((before ?? 0) + 1);
  });
});
