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

/** Applies changed summaries to the list: updates in place, new ones (that match the filter) on top. */
export function mergeLive(rows: ExchangeSummary[], summaries: ExchangeSummary[], filter: ListFilter): ExchangeSummary[] {
  const byId = new Map(summaries.map((summary) => [summary.id, summary]));
  const next = rows.map((row) => {
    const update = byId.get(row.id);
    if (update) byId.delete(row.id);
    return update ?? row;
  });
  const fresh = [...byId.values()].filter((s) => matchesFilter(s, filter)).sort((a, b) => b.id - a.id);
  if (fresh.length === 0) return next;
  const merged = [...fresh, ...next];
  return fresh[fresh.length - 1].id > (next[0]?.id ?? 0) ? merged : merged.sort((a, b) => b.id - a.id);
}
