// A new exchange's uid (proxy/recorder.ts timeOrderedUid): a UUID (version 7 layout) that sorts
// in the order exchanges began, so the store's unique index of uids grows at its end.
import { expect, it } from 'vitest';
import { timeOrderedUid } from '../proxy/recorder.ts';

it('is a version 7 UUID whose order is the order of the times it was made at, and never repeats', () => {
  const made = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_250, 1_800_000_000_000].map((ms) =>
    timeOrderedUid(ms),
  );
  for (const uid of made) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect([...made].sort()).toEqual(made);
  expect(made[0].slice(0, 13)).toBe('018bcfe5-6800');
  const sameMs = new Set(Array.from({ length: 1000 }, () => timeOrderedUid(1_700_000_000_000)));
  expect(sameMs.size).toBe(1000);
});
