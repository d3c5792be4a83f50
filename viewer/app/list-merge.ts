// How live updates meet the list on screen: pure functions, so the rule is one place.
import { statusRange } from '../../model/exchange.ts';
import type { ExchangeSummary, ListFilter } from './api.ts';

export function matchesFilter(s: ExchangeSummary, f: ListFilter): boolean {
  // Full-text matches are the server's to decide, and a sorted list has no "top" for new
  // rows: those lists refresh when their filter or sort changes.
  if (f.q || f.sort) return false;
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

/**
 * Applies changed summaries to the list: updates in place, new ones (that match the filter) on
 * top. When none of them touches the list (rows another filter hides, rows not loaded), the same
 * array comes back, so React keeps the list as it is: a busy proxy sends several updates per
 * exchange, and each new array re-rendered the list and re-measured every row of the virtualiser.
 */
export function mergeLive(rows: ExchangeSummary[], summaries: ExchangeSummary[], filter: ListFilter): ExchangeSummary[] {
  const byId = new Map(summaries.map((summary) => [summary.id, summary]));
  let updated = false;
  const next = rows.map((row) => {
    const update = byId.get(row.id);
    if (!update) return row;
    byId.delete(row.id);
    updated = true;
    return update;
  });
  const fresh = [...byId.values()].filter((s) => matchesFilter(s, filter)).sort((a, b) => b.id - a.id);
  if (fresh.length === 0) return updated ? next : rows;
  const merged = [...fresh, ...next];
  return fresh[fresh.length - 1].id > (next[0]?.id ?? 0) ? merged : merged.sort((a, b) => b.id - a.id);
}

/** Versions kept at most: the open detail's exchange is among the last changed, or it is not changing. */
export const VERSIONS_KEPT = 2000;

/**
 * Bumps the version of each exchange that changed (an open detail refreshes when its own does),
 * keeping the VERSIONS_KEPT most recently changed: copying a record of every exchange ever
 * changed, once per animation frame, grew with the time a tab stayed open (60 calls a second:
 * 36,000 entries after ten minutes).
 */
export function bumpVersions(versions: ReadonlyMap<number, number>, ids: number[], keep = VERSIONS_KEPT): Map<number, number> {
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
