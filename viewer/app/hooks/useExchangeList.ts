import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchExchanges, type ExchangeSummary, type ListFilter } from '../api-client.ts';
import { mergeLive, roomForPage, windowOf, withPage, type ListWindow } from '../list-merge.ts';

export interface ExchangeList {
  rows: ExchangeSummary[];
  /** How many exchanges match the filter: the server's count with the first page, plus matching exchanges the live feed brought since; null until known. */
  total: number | null;
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  loadMore: () => void;
  /** Summaries the live feed reported changed. */
  applyLive: (summaries: ExchangeSummary[]) => void;
  /** Everything was deleted. */
  clear: () => void;
  /** Fetch the first page again (the feed reconnected, or retention deleted rows). */
  reload: () => void;
}

const EMPTY: ListWindow = windowOf([], null);

/**
 * The list for a filter: its first page, later pages on demand, and live updates merged in. What
 * it holds is bounded (list-merge.ts ListWindow): the newest rows, and further ones the user paged to.
 */
export function useExchangeList(filter: ListFilter): ExchangeList {
  // The rows, the keyset cursor after them (newest first: an id; sorted: the server's "VALUE_ID"), and the live additions.
  const [list, setList] = useState<ListWindow>(EMPTY);
  // The server's count with the first page; null until known (or when it did not say).
  const [counted, setCounted] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  // Updates that arrive while a first page is on its way are merged into it when it lands.
  const arrivedDuringFetch = useRef<Map<number, ExchangeSummary> | null>(null);
  // The newest exchange the tab has heard of (pages and the feed, any filter): a sorted list counts a matching exchange newer than it as one the count lacked.
  const newestSeen = useRef(0);
  const filterRef = useRef(filter);
  filterRef.current = filter;

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    const arrived = new Map<number, ExchangeSummary>();
    arrivedDuringFetch.current = arrived;
    fetchExchanges(filter).then(
      (page) => {
        if (cancelled) return;
        arrivedDuringFetch.current = null;
        for (const s of page.exchanges) newestSeen.current = Math.max(newestSeen.current, s.id);
        // Rows that arrived during the fetch are in the count already, or will be on the next read: not counted as added.
        const merged = mergeLive(windowOf(page.exchanges, page.nextCursor), [...arrived.values()], filter);
        setList({ ...merged, added: 0 });
        setCounted(page.total ?? null);
        setLoading(false);
        setError(null);
      },
      (err: Error) => {
        if (cancelled) return;
        setError(err.message);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [filter, generation]);

  const loadMore = useCallback(() => {
    const askedAfter = list.cursor;
    if (askedAfter === null || loading) return;
    setLoading(true);
    // Live rows arriving meanwhile must not push the list's end (this cursor) away before the page lands.
    setList(roomForPage);
    fetchExchanges(filterRef.current, askedAfter).then(
      (page) => {
        for (const s of page.exchanges) newestSeen.current = Math.max(newestSeen.current, s.id);
        setList((current) => withPage(current, askedAfter, page));
        setLoading(false);
      },
      (err: Error) => {
        setError(err.message);
        setLoading(false);
      },
    );
  }, [list.cursor, loading]);

  const applyLive = useCallback((summaries: ExchangeSummary[]) => {
    const arrived = arrivedDuringFetch.current;
    if (arrived) for (const s of summaries) arrived.set(s.id, s);
    const seen = newestSeen.current;
    for (const s of summaries) newestSeen.current = Math.max(newestSeen.current, s.id);
    // While a first page is on its way, the list on screen still shows updates (its count starts over when the page lands).
    setList((current) => mergeLive(current, summaries, filterRef.current, seen));
  }, []);

  const clear = useCallback(() => {
    setList(EMPTY);
    setCounted(0);
  }, []);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  const total = counted === null ? null : counted + list.added;
  return { rows: list.rows, total, hasMore: list.cursor !== null, loading, error, loadMore, applyLive, clear, reload };
}
