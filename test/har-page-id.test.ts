// export/har.ts pageId keeps the last day it was asked for: whatever the order it is asked in, its
// page is the UTC date of the time as a Date reads it (whole milliseconds toward zero), at every
// day's edge, before 1970 and for fractions of a millisecond; a time no Date holds still throws.
import { describe, expect, it } from 'vitest';
import { pageId } from '../export/har.ts';

const DAY = 24 * 3600 * 1000;
const dateOf = (time: number) => `wirelog_${new Date(time).toISOString().slice(0, 10)}`;

describe('the page of an entry', () => {
  it("is its time's UTC date, asked in any order, at the edges of days", () => {
    const times: number[] = [];
    for (const day of [-20_000, -2, -1, 0, 1, 20_000, 20_427]) {
      for (const offset of [-1, -0.5, -0.25, 0, 0.25, 0.5, 1, DAY / 2, DAY - 1, DAY - 0.5])
        times.push(day * DAY + offset);
    }
    let seed = 3;
    const shuffled = [...times];
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    for (const order of [times, [...times].reverse(), shuffled])
      for (const time of order) expect(pageId(time), String(time)).toBe(dateOf(time));
  });

  it('throws for a time no Date holds, as Date does, and answers the next one right', () => {
    pageId(0);
    for (const time of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      expect(() => pageId(time)).toThrow(RangeError);
      expect(pageId(DAY / 2)).toBe('wirelog_1970-01-01');
    }
  });
});
