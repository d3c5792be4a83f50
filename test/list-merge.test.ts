// How live updates meet the list (viewer/app/list-merge.ts): by order and count, not time. A busy
// proxy sends several updates per exchange; an update that touches nothing on screen must not
// hand React a new list (each new array re-rendered the list and re-measured the virtualiser's
// rows), and what is kept per exchange for open details is bounded however long a tab stays open.
import { describe, expect, it } from 'vitest';
import type { ExchangeSummary } from '../viewer/app/api-client.ts';
import {
  bumpVersions,
  capWindow,
  mergeLive,
  roomForPage,
  windowOf,
  withPage,
  type ListWindow,
} from '../viewer/app/list-merge.ts';

function row(
  id: number,
  host = 'api.example',
  state: ExchangeSummary['state'] = 'complete',
  inputTokens: number | null = null,
): ExchangeSummary {
  const call =
    inputTokens === null
      ? null
      : {
          dialect: 'openai-chat',
          model: 'gpt-4o',
          inputTokens,
          outputTokens: 1,
          usage: {},
          ttftMs: null,
          threadKey: null,
        };
  return {
    id,
    host,
    state,
    method: 'POST',
    status: 200,
    startedAt: id * 1000,
    responseSize: 10,
    durationMs: 5,
    call,
  } as unknown as ExchangeSummary;
}

const ids = (list: ListWindow) => list.rows.map((r) => r.id);

describe('mergeLive', () => {
  // Newest first, every row loaded (no cursor).
  const all = windowOf([row(5), row(4), row(3)], null);

  it('gives back the same list when no update touches it', () => {
    // New rows another filter hides.
    expect(mergeLive(all, [row(1, 'other.example'), row(9, 'other.example')], { host: 'api.example' })).toBe(all);
    expect(mergeLive(all, [], {})).toBe(all);
  });

  it('updates rows in place and puts new ones on top, newest first, counting them', () => {
    const merged = mergeLive(all, [row(4, 'api.example', 'streaming'), row(7), row(6)], {});
    expect(merged).not.toBe(all);
    expect(ids(merged)).toEqual([7, 6, 5, 4, 3]);
    expect(merged.rows[3].state).toBe('streaming');
    expect(merged.added).toBe(2);
    const updatedOnly = mergeLive(all, [row(3, 'api.example', 'interrupted')], {});
    expect(updatedOnly.rows.map((r) => [r.id, r.state])).toEqual([
      [5, 'complete'],
      [4, 'complete'],
      [3, 'interrupted'],
    ]);
    expect(updatedOnly.added).toBe(0);
  });

  it('never pulls in an exchange below the loaded pages that is updated again', () => {
    // Rows 100..51 loaded, more below (cursor: the last id). Exchange 20 was never shown.
    const page = windowOf(
      Array.from({ length: 50 }, (_, i) => row(100 - i)),
      51,
    );
    const merged = mergeLive(page, [row(20, 'api.example', 'interrupted'), row(101)], {});
    expect(ids(merged).slice(0, 2)).toEqual([101, 100]);
    expect(ids(merged)).not.toContain(20);
    expect(merged.rows).toHaveLength(51);
    expect(merged.added).toBe(1);
    // Only that old row: nothing on screen changes.
    expect(mergeLive(page, [row(20, 'api.example', 'interrupted')], {})).toBe(page);
    // Every row loaded (no cursor): a row that comes to match a filter late goes to its place among them.
    const done = windowOf([row(9), row(7)], null);
    expect(ids(mergeLive(done, [row(8)], { host: 'api.example' }))).toEqual([9, 8, 7]);
  });

  it('merges live rows into a sorted list in their sorted place, and only counts those past the loaded pages', () => {
    // Sorted by tokens in, largest first; loaded down to (300 tokens, #2); more below.
    const sorted = windowOf(
      [
        row(1, 'api.example', 'complete', 900),
        row(3, 'api.example', 'complete', 500),
        row(2, 'api.example', 'complete', 300),
      ],
      '300_2',
    );
    const filter = { sort: 'tokens_in' as const };
    const merged = mergeLive(
      sorted,
      [row(10, 'api.example', 'complete', 700), row(11, 'api.example', 'complete', 50)],
      filter,
      3,
    );
    // 700 goes between 900 and 500; 50 belongs further down: counted, not held.
    expect(ids(merged)).toEqual([1, 10, 3, 2]);
    expect(merged.added).toBe(2);
    expect(merged.cursor).toBe('300_2');
    // Only a row further down: the same rows, the count bumped.
    const countedOnly = mergeLive(sorted, [row(12, 'api.example', 'complete', 10)], filter, 3);
    expect(countedOnly.rows).toBe(sorted.rows);
    expect(countedOnly.added).toBe(1);
    // An exchange the tab knew of (id not past newestSeen), further down: neither held nor counted.
    expect(
      mergeLive(sorted, [row(2, 'api.example', 'complete', 300), row(0, 'api.example', 'complete', 10)], filter, 3)
        .added,
    ).toBe(0);
    // A held row whose figure moved it past the loaded pages is let go: the next page brings it.
    expect(ids(mergeLive(sorted, [row(3, 'api.example', 'complete', 100)], filter, 3))).toEqual([1, 2]);
    // One whose figure moved it up is put in its new place.
    expect(ids(mergeLive(sorted, [row(2, 'api.example', 'complete', 1000)], filter, 3))).toEqual([2, 1, 3]);
  });
});

describe('the list a tab holds (ListWindow)', () => {
  it('keeps the newest rows past its limit and moves the cursor to the last kept', () => {
    let list = windowOf(
      Array.from({ length: 10 }, (_, i) => row(100 - i)),
      91,
      10,
    );
    // A long day: 1,000 live rows, 10 to a frame.
    for (let id = 101; id <= 1100; id += 10)
      list = mergeLive(
        list,
        Array.from({ length: 10 }, (_, i) => row(id + i)),
        {},
      );
    expect(list.rows).toHaveLength(10);
    expect(ids(list)[0]).toBe(1100);
    expect(list.cursor).toBe(1091);
    // Every one counted, though the tab let go of them.
    expect(list.added).toBe(1000);
    // The next page, asked after the last row kept, continues exactly there.
    const next = withPage(roomForPage(list), 1091, { exchanges: [row(1090), row(1089)], nextCursor: 1089 });
    expect(ids(next).slice(-3)).toEqual([1091, 1090, 1089]);
    expect(next.cursor).toBe(1089);
  });

  it('moves a sorted cursor to the last kept row as "VALUE_ID"', () => {
    const list = capWindow(
      {
        ...windowOf([row(1, 'a', 'complete', 900), row(3, 'a', 'complete', 500), row(2, 'a', 'complete', 300)], null),
        limit: 2,
      },
      'tokens_in',
    );
    expect(ids(list)).toEqual([1, 3]);
    expect(list.cursor).toBe('500_3');
  });

  it('keeps what the user paged to, and drops a page asked for before the cap moved the cursor', () => {
    let list = windowOf([row(10), row(9)], 9, 2);
    list = roomForPage(list);
    // The page lands: the tab holds it (the limit grows to what the user asked for).
    list = withPage(list, 9, { exchanges: [row(8), row(7)], nextCursor: 7 });
    expect(ids(list)).toEqual([10, 9, 8, 7]);
    expect(capWindow(list, undefined)).toBe(list);
    // A page asked after a cursor the cap has since moved would leave a gap: not appended.
    expect(withPage(list, 5, { exchanges: [row(4)], nextCursor: null })).toBe(list);
    // Rows held already are not doubled.
    expect(ids(withPage(list, 7, { exchanges: [row(7), row(6)], nextCursor: null }))).toEqual([10, 9, 8, 7, 6]);
  });
});

describe('bumpVersions', () => {
  it('bumps each changed exchange, and keeps only the most recently changed', () => {
    let versions: ReadonlyMap<number, number> = new Map();
    versions = bumpVersions(versions, [1, 2]);
    versions = bumpVersions(versions, [1]);
    expect([...versions]).toEqual([
      [2, 1],
      [1, 2],
    ]);
    // A tab open for long: 10,000 exchanges, each changed three times, 60 to a frame.
    for (let round = 0; round < 3; round++) {
      for (let first = 10; first < 10_010; first += 60)
        versions = bumpVersions(
          versions,
          Array.from({ length: 60 }, (_, i) => first + i),
          500,
        );
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
