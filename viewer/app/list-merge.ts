// How live updates meet the list on screen: pure functions, so the rule is one place.
import { statusRange } from '../../model/exchange.ts';
import type { ExchangeSummary, ListFilter } from './api-client.ts';

export function matchesFilter(s: ExchangeSummary, f: ListFilter): boolean {
  // Full-text matches are the server's to decide: that list refreshes when its search changes.
  if (f.q) return false;
  if (f.host && s.host !== f.host) return false;
  // Model and dialect are known once a call ends; its final update brings it in.
  if (f.model && s.call?.model !== f.model) return false;
  if (f.dialect && s.call?.dialect !== f.dialect) return false;
  if (f.thread && s.call?.threadKey !== f.thread) return false;
  if (f.method && s.method !== f.method.toUpperCase()) return false;
  if (f.state && s.state !== f.state) return false;
  const range = f.status ? statusRange(f.status) : null;
  if (range && (s.status === null || s.status < range[0] || s.status >= range[1])) return false;
  return true;
}

type Sort = ListFilter['sort'];

/**
 * A row's figure for a sort, as the server sorts by it (db/reader.ts SORT_COLUMNS): a number, or
 * -1 where the row has none, so those sort last there and here alike.
 */
export function sortValue(s: ExchangeSummary, sort: NonNullable<Sort>): number {
  const n = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : -1);
  switch (sort) {
    case 'time':
      return n(s.startedAt);
    case 'tokens_in':
      return n(s.call?.inputTokens);
    case 'tokens_out':
      return n(s.call?.outputTokens);
    case 'ttft':
      return n(s.call?.ttftMs);
    case 'size':
      return n(s.responseSize);
    case 'duration':
      return n(s.durationMs);
  }
}

/** Where a row stands in the list's order: newest first (the value is the id), or a sort's figure largest first, ties newest first. */
interface RowKey {
  value: number;
  id: number;
}

function keyOf(s: ExchangeSummary, sort: Sort): RowKey {
  return { value: sort ? sortValue(s, sort) : s.id, id: s.id };
}

/** Negative when `a` comes first in the list. */
function compareKeys(a: RowKey, b: RowKey): number {
  return b.value - a.value || b.id - a.id;
}

const rowOrder = (sort: Sort) => (a: ExchangeSummary, b: ExchangeSummary) =>
  compareKeys(keyOf(a, sort), keyOf(b, sort));

/** The server's keyset cursor for the page after `row` (viewer/api-app.ts): its id, or "VALUE_ID" when sorted. */
export function cursorAfter(row: ExchangeSummary, sort: Sort): number | string {
  return sort ? `${sortValue(row, sort)}_${row.id}` : row.id;
}

/** The key of the row a cursor names (the last row loaded): rows past it come with the next page. */
function cursorKey(cursor: number | string, sort: Sort): RowKey | null {
  if (typeof cursor === 'number' || !cursor.includes('_')) return { value: Number(cursor), id: Number(cursor) };
  const cut = cursor.lastIndexOf('_');
  const value = Number(cursor.slice(0, cut));
  const id = Number(cursor.slice(cut + 1));
  if (!Number.isFinite(value) || !Number.isFinite(id)) return null;
  return sort ? { value, id } : { value: id, id };
}

/** Rows a tab holds at most from the live feed: the newest; more only when the user pages further. */
export const ROWS_KEPT = 5000;
/** Room made for a page the user asked for while it is on its way: live rows do not push the list's end (its cursor) away meanwhile. */
export const PAGE_ROOM = 1000;

/**
 * What a tab holds of a list: the rows loaded (pages, then live rows merged in), where the next
 * page starts, and how many matching exchanges came live since the server counted them.
 */
export interface ListWindow {
  rows: ExchangeSummary[];
  /** The keyset cursor after the last row held (the server's, or moved up when the cap let rows go); null: every row is held. */
  cursor: number | string | null;
  /** Matching exchanges the live feed brought since the count was read: the count shown is the server's plus these. */
  added: number;
  /** Rows held at most: ROWS_KEPT, or what the user paged to; past it the oldest rows are let go. */
  limit: number;
}

export function windowOf(rows: ExchangeSummary[], cursor: number | string | null, limit = ROWS_KEPT): ListWindow {
  return { rows, cursor, added: 0, limit: Math.max(limit, rows.length) };
}

/**
 * Lets go of the oldest rows past the window's limit, and moves its cursor to the last row kept,
 * so "load more" goes on exactly after it: a tab left open for a day held every row the feed
 * ever brought (issue 24).
 */
export function capWindow(list: ListWindow, sort: Sort): ListWindow {
  if (list.rows.length <= list.limit) return list;
  const rows = list.rows.slice(0, list.limit);
  const last = rows[rows.length - 1];
  return { ...list, rows, cursor: last ? cursorAfter(last, sort) : null };
}

/**
 * A further page appended, asked for from `askedAfter`. A page asked for before the cap moved the
 * cursor would leave a gap (the rows let go in between): it is not appended, and the list's end
 * asks again. Rows held already (a sorted row whose figure changed) are not doubled.
 */
export function withPage(
  list: ListWindow,
  askedAfter: number | string,
  page: { exchanges: ExchangeSummary[]; nextCursor: number | string | null },
): ListWindow {
  if (list.cursor !== askedAfter) return list;
  const held = new Set(list.rows.map((r) => r.id));
  const rows = [...list.rows, ...page.exchanges.filter((s) => !held.has(s.id))];
  return { ...list, rows, cursor: page.nextCursor, limit: Math.max(list.limit, rows.length) };
}

/** Room for a page on its way (PAGE_ROOM): what the user asked for is not let go before it lands. */
export function roomForPage(list: ListWindow): ListWindow {
  const limit = Math.max(list.limit, list.rows.length + PAGE_ROOM);
  return limit === list.limit ? list : { ...list, limit };
}

/**
 * Applies changed summaries to the list. Rows held are updated in place; a row not held comes in
 * only where it belongs on the loaded pages (newer than the last row loaded, or in its sorted
 * place), never an old exchange below them that was never shown; a row whose sorted figure moved
 * it past the loaded pages is let go (the next page brings it). `newestSeen` is the newest id the
 * tab knew of before these: in a sorted list a matching exchange newer than it is counted even
 * when its place is further down (newest first, every row that comes in is one the count lacked).
 * When nothing on screen changes, the same window comes back, so React keeps the list as it is:
 * a busy proxy sends several updates per exchange, and each new array re-rendered the list and
 * re-measured every row of the virtualiser.
 */
export function mergeLive(
  list: ListWindow,
  summaries: ExchangeSummary[],
  filter: ListFilter,
  newestSeen = Infinity,
): ListWindow {
  const sort = filter.sort;
  const last = list.rows[list.rows.length - 1];
  // A cursor this cannot read (never one the server sends) ends the loaded pages at the last row held.
  const end = list.cursor === null ? null : (cursorKey(list.cursor, sort) ?? (last ? keyOf(last, sort) : null));
  const onLoadedPages = (s: ExchangeSummary) => end === null || compareKeys(keyOf(s, sort), end) <= 0;
  const byId = new Map(summaries.map((summary) => [summary.id, summary]));
  let updated = false;
  let reorder = false;
  const next: ExchangeSummary[] = [];
  for (const row of list.rows) {
    const update = byId.get(row.id);
    if (!update) {
      next.push(row);
      continue;
    }
    byId.delete(row.id);
    updated = true;
    if (sort && sortValue(update, sort) !== sortValue(row, sort)) reorder = true;
    if (onLoadedPages(update)) next.push(update);
  }
  const fresh: ExchangeSummary[] = [];
  let added = 0;
  for (const s of byId.values()) {
    if (!matchesFilter(s, filter)) continue;
    const placed = onLoadedPages(s);
    if (placed) fresh.push(s);
    if (sort ? s.id > newestSeen : placed) added++;
  }
  if (!updated && fresh.length === 0) return added === 0 ? list : { ...list, added: list.added + added };
  const order = rowOrder(sort);
  fresh.sort(order);
  let rows: ExchangeSummary[];
  if (fresh.length === 0) rows = next;
  else if (!reorder && (next.length === 0 || order(fresh[fresh.length - 1], next[0]) < 0)) rows = [...fresh, ...next];
  else rows = [...fresh, ...next].sort(order);
  if (reorder && fresh.length === 0) rows.sort(order);
  return capWindow({ ...list, rows, added: list.added + added }, sort);
}

/** Versions kept at most: the open detail's exchange is among the last changed, or it is not changing. */
export const VERSIONS_KEPT = 2000;

/**
 * Bumps the version of each exchange that changed (an open detail refreshes when its own does),
 * keeping the VERSIONS_KEPT most recently changed: copying a record of every exchange ever
 * changed, once per animation frame, grew with the time a tab stayed open (60 calls a second:
 * 36,000 entries after ten minutes).
 */
export function bumpVersions(
  versions: ReadonlyMap<number, number>,
  ids: number[],
  keep = VERSIONS_KEPT,
): Map<number, number> {
  const next = new Map(versions);
  for (const id of ids) {
    const version = (next.get(id) ?? 0) + 1;
    // Re-inserted: the map's order is the order of the last change.
    next.delete(id);
    next.set(id, version);
  }
  for (const id of next.keys()) {
    if (next.size <= keep) break;
    next.delete(id);
  }
  return next;
}
