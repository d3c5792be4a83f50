import { useCallback, useEffect, useRef, useState } from 'react';
import { type ExchangeSummary, fetchExchanges, type ListFilter } from '../api-client.ts';
import { earlyFirstPage, firstPageInHand, firstPageShown } from '../first-page.ts';
import { mergeLive, roomForPage, windowOf, withPage, type ListWindow } from '../list-merge.ts';

export interface ExchangeList {
  rows: ExchangeSummary[];
  /** How many exchanges match the filter: the server's count with the first page, plus matching exchanges the live feed brought since; null until known. */
  total: number | null;
  /** The server counted up to its cap and more match: the total is a lower bound ("10,000+"). */
  totalAtLeast: boolean;
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
  // The page asked for at start-up, when it arrived before the app's code ran: shown in the first render.
  const [inHand] = useState(() => firstPageInHand(filter));
  // The rows, the keyset cursor after them (newest first: an id; sorted: the server's "VALUE_ID"), and the live additions.
  const [list, setList] = useState<ListWindow>(() => (inHand ? windowOf(inHand.exchanges, inHand.nextCursor) : EMPTY));
  // The server's count with the first page; null until known (or when it did not say).
  const [counted, setCounted] = useState<number | null>(inHand?.total ?? null);
  const [countedAtLeast, setCountedAtLeast] = useState(inHand?.totalAtLeast === true);
  const [loading, setLoading] = useState(inHand === null);
  const [error, setError] = useState<string | null>(null);
  // Updates that arrive while a first page is on its way are merged into it when it lands (one set per page on its way).
  const arrivedDuringFetch = useRef(new Set<Map<number, ExchangeSummary>>());
  // The newest exchange the tab has heard of (pages and the feed, any filter): a sorted list counts a matching exchange newer than it as one the count lacked.
  const newestSeen = useRef(inHand ? Math.max(0, ...inHand.exchanges.map((s) => s.id)) : 0);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  // First pages are numbered as asked: one that lands after a later one was shown is not shown.
  const asked = useRef(inHand ? 1 : 0);
  const shown = useRef(inHand ? 1 : 0);
  // The page in hand is the first filter's first page: the mount does not ask for it again.
  const askOnMount = useRef(inHand === null);

  /**
   * Asks for the first page of `wanted`. An earlier first page of the same filter still on its
   * way is not thrown away (the live feed's hello asks again as the page loads, and the rows
   * would otherwise wait for both): whichever lands first is shown, a later-asked one replaces it.
   */
  const askFirstPage = useCallback((wanted: ListFilter) => {
    const number = ++asked.current;
    setLoading(true);
    const arrived = new Map<number, ExchangeSummary>();
    arrivedDuringFetch.current.add(arrived);
    const settle = () => arrivedDuringFetch.current.delete(arrived);
    const current = () => filterRef.current === wanted && number > shown.current;
    (earlyFirstPage(wanted) ?? fetchExchanges(wanted)).then(
      (page) => {
        settle();
        if (!current()) return;
        shown.current = number;
        for (const s of page.exchanges) newestSeen.current = Math.max(newestSeen.current, s.id);
        // Rows that arrived during the fetch are in the count already, or will be on the next read: not counted as added.
        const merged = mergeLive(windowOf(page.exchanges, page.nextCursor), [...arrived.values()], wanted);
        setList({ ...merged, added: 0 });
        setCounted(page.total ?? null);
        setCountedAtLeast(page.totalAtLeast === true);
        setLoading(false);
        setError(null);
        firstPageShown();
      },
      (err: Error) => {
        settle();
        firstPageShown();
        if (!current()) return;
        setError(err.message);
        setLoading(false);
      },
    );
  }, []);

  /**
   * The first page read again and merged into the rows shown (held rows updated, new ones in
   * their place, the count the server's again), not put in their place: the live feed connects
   * once the first page is shown, and its hello asks for what changed in between; a list the
   * user is already scrolling does not jump back to its top.
   */
  const refreshFirstPage = useCallback((wanted: ListFilter) => {
    const number = ++asked.current;
    const arrived = new Map<number, ExchangeSummary>();
    arrivedDuringFetch.current.add(arrived);
    const settle = () => arrivedDuringFetch.current.delete(arrived);
    fetchExchanges(wanted).then(
      (page) => {
        settle();
        if (filterRef.current !== wanted || number <= shown.current) return;
        shown.current = number;
        for (const s of page.exchanges) newestSeen.current = Math.max(newestSeen.current, s.id);
        // Updates the feed brought while the page was on its way are newer than the page's rows: applied after them.
        setList((current) => ({
          ...mergeLive(mergeLive(current, page.exchanges, wanted), [...arrived.values()], wanted),
          added: 0,
        }));
        setCounted(page.total ?? null);
        setCountedAtLeast(page.totalAtLeast === true);
      },
      // The rows shown stay as they are; the feed keeps them current from here on.
      settle,
    );
  }, []);

  useEffect(() => {
    if (askOnMount.current) askFirstPage(filter);
    else firstPageShown();
    askOnMount.current = true;
  }, [filter, askFirstPage]);

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
    for (const arrived of arrivedDuringFetch.current) for (const s of summaries) arrived.set(s.id, s);
    const seen = newestSeen.current;
    for (const s of summaries) newestSeen.current = Math.max(newestSeen.current, s.id);
    // While a first page is on its way, the list on screen still shows updates (its count starts over when the page lands).
    setList((current) => mergeLive(current, summaries, filterRef.current, seen));
  }, []);

  const clear = useCallback(() => {
    setList(EMPTY);
    setCounted(0);
  }, []);

  // The feed's first hello refreshes the rows shown; any later one (a reconnect after wirelog
  // restarted or the data was cleared meanwhile, a new language) or retention's deletions replace them.
  const helloSeen = useRef(false);
  const reload = useCallback(() => {
    const first = !helloSeen.current;
    helloSeen.current = true;
    if (first && shown.current > 0) refreshFirstPage(filterRef.current);
    else askFirstPage(filterRef.current);
  }, [askFirstPage, refreshFirstPage]);

  const total = counted === null ? null : counted + list.added;
  return {
    rows: list.rows,
    total,
    totalAtLeast: countedAtLeast,
    hasMore: list.cursor !== null,
    loading,
    error,
    loadMore,
    applyLive,
    clear,
    reload,
  };
}
