import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchExchanges, type ExchangeSummary, type ListFilter } from '../api.ts';
import { mergeLive } from '../list-merge.ts';

export interface ExchangeList {
  rows: ExchangeSummary[];
  /** How many exchanges match the filter: the server's count with the first page, plus rows the live feed added since; null until known. */
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

/** The list for a filter: its first page, later pages on demand, and live updates merged in. */
export function useExchangeList(filter: ListFilter): ExchangeList {
  const [rows, setRows] = useState<ExchangeSummary[]>([]);
  // Newest first: an id; sorted: the server's keyset cursor ("VALUE_ID"), passed back as it came.
  const [nextCursor, setNextCursor] = useState<number | string | null>(null);
  // The server's count, and how many rows the pages brought (rows beyond them came live: new exchanges).
  const [counted, setCounted] = useState<{ total: number; paged: number } | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  // Updates that arrive while a first page is on its way are merged into it when it lands.
  const arrivedDuringFetch = useRef<Map<number, ExchangeSummary> | null>(null);
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
        const merged = mergeLive(page.exchanges, [...arrived.values()], filter);
        setRows(merged);
        setNextCursor(page.nextCursor);
        // Rows that arrived during the fetch are in the count already, or will be on the next read: counted as paged.
        setCounted(page.total === undefined ? null : { total: page.total, paged: merged.length });
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
    if (nextCursor === null || loading) return;
    setLoading(true);
    fetchExchanges(filterRef.current, nextCursor).then(
      (page) => {
        setRows((current) => [...current, ...page.exchanges]);
        setCounted((c) => c && { ...c, paged: c.paged + page.exchanges.length });
        setNextCursor(page.nextCursor);
        setLoading(false);
      },
      (err: Error) => {
        setError(err.message);
        setLoading(false);
      },
    );
  }, [nextCursor, loading]);

  const applyLive = useCallback((summaries: ExchangeSummary[]) => {
    const arrived = arrivedDuringFetch.current;
    if (arrived) for (const s of summaries) arrived.set(s.id, s);
    setRows((current) => mergeLive(current, summaries, filterRef.current));
  }, []);

  const clear = useCallback(() => {
    setRows([]);
    setNextCursor(null);
    setCounted({ total: 0, paged: 0 });
  }, []);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  const total = counted === null ? null : counted.total + Math.max(0, rows.length - counted.paged);
  return { rows, total, hasMore: nextCursor !== null, loading, error, loadMore, applyLive, clear, reload };
}
