import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { clearAll, fetchExchanges, fetchStatus, harUrl, importHar, type ExchangeSummary, type ListFilter, type ViewerStatus } from './api.ts';
import { EmptyState } from './components/EmptyState.tsx';
import { ExchangeDetailPane } from './components/ExchangeDetail.tsx';
import { ExchangeList } from './components/ExchangeList.tsx';
import { FilterBar } from './components/FilterBar.tsx';
import { useLiveFeed } from './live.ts';
import { statusRange } from '../../model/exchange.ts';

/** The selection lives in the path (/exchanges/42) so a link or a reload opens the same exchange. */
function idFromLocation(): number | null {
  const m = /^\/exchanges\/(\d+)/.exec(window.location.pathname);
  return m ? Number(m[1]) : null;
}

function matchesFilter(s: ExchangeSummary, f: ListFilter): boolean {
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
function mergeLive(rows: ExchangeSummary[], summaries: ExchangeSummary[], filter: ListFilter): ExchangeSummary[] {
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

export function App() {
  const [status, setStatus] = useState<ViewerStatus | null>(null);
  const [filter, setFilter] = useState<ListFilter>({});
  const [rows, setRows] = useState<ExchangeSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(idFromLocation);
  /** Bumped per exchange when the live feed says it changed, so an open detail refreshes. */
  const [versions, setVersions] = useState<Record<number, number>>({});
  /** Bumped when the live feed (re)connects: the list is fetched again so nothing falls in the gap. */
  const [reload, setReload] = useState(0);
  /** Live updates that arrive while a page is being fetched, applied on top of that page. */
  const arrivedDuringFetch = useRef<Map<number, ExchangeSummary> | null>(null);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    fetchStatus().then(setStatus, (err: Error) => setError(err.message));
  }, []);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    const arrived = new Map<number, ExchangeSummary>();
    arrivedDuringFetch.current = arrived;
    fetchExchanges(filter).then(
      (page) => {
        if (cancelled) return;
        arrivedDuringFetch.current = null;
        setRows(mergeLive(page.exchanges, [...arrived.values()], filter));
        setNextCursor(page.nextCursor);
        setLoading(false);
        setError(null);
      },
      (err: Error) => {
        if (!cancelled) {
          setError(err.message);
          setLoading(false);
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [filter, reload]);

  const loadMore = useCallback(() => {
    if (nextCursor === null || loading) return;
    setLoading(true);
    fetchExchanges(filterRef.current, nextCursor).then(
      (page) => {
        setRows((current) => [...current, ...page.exchanges]);
        setNextCursor(page.nextCursor);
        setLoading(false);
      },
      (err: Error) => {
        setError(err.message);
        setLoading(false);
      },
    );
  }, [nextCursor, loading]);

  useLiveFeed({
    onExchanges: (summaries) => {
      const arrived = arrivedDuringFetch.current;
      if (arrived) for (const s of summaries) arrived.set(s.id, s);
      setRows((current) => mergeLive(current, summaries, filterRef.current));
      setVersions((v) => {
        const bumped = { ...v };
        for (const s of summaries) bumped[s.id] = (bumped[s.id] ?? 0) + 1;
        return bumped;
      });
    },
    onCleared: () => {
      setRows([]);
      setNextCursor(null);
      select(null);
    },
    onPruned: () => setReload((n) => n + 1),
    onStatus: setStatus,
    onHello: (hello) => {
      setStatus(hello);
      // Subscribed from here on: fetch the list again to cover what changed before.
      setReload((n) => n + 1);
    },
  });

  const select = useCallback((id: number | null) => {
    setSelectedId(id);
    const path = id === null ? '/' : `/exchanges/${id}`;
    if (window.location.pathname !== path) window.history.pushState(null, '', `${path}${window.location.search}`);
  }, []);

  useEffect(() => {
    const onPop = () => setSelectedId(idFromLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
      if (e.key === '/' && !typing) {
        e.preventDefault();
        searchRef.current?.focus();
      } else if (e.key === 'Escape' && typing) {
        (e.target as HTMLElement).blur();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onClear = useCallback(async () => {
    if (!window.confirm('Delete every captured exchange? This cannot be undone.')) return;
    try {
      await clearAll();
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);

  const hosts = useMemo(() => [...new Set(rows.map((r) => r.host))].sort(), [rows]);
  const models = useMemo(() => [...new Set(rows.flatMap((r) => (r.call?.model ? [r.call.model] : [])))].sort(), [rows]);
  const filtered = Object.values(filter).some(Boolean);
  const showEmpty = !loading && rows.length === 0 && !filtered;

  const onImport = async (file: File) => {
    setNotice(null);
    try {
      const result = await importHar(file);
      setNotice(`Imported ${result.imported} exchange(s) from ${result.name}`);
      if (result.ids.length) select(result.ids[result.ids.length - 1]);
    } catch (err) {
      setError(`Import of ${file.name}: ${(err as Error).message}`);
    }
  };

  return (
    <div
      className="app"
      onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()}
      onDrop={(e) => {
        const file = e.dataTransfer.files[0];
        if (!file) return;
        e.preventDefault();
        void onImport(file);
      }}
    >
      <header className="topbar">
        <span className="brand" title={status ? `keeps up to ${status.retention.maxDbMb} MB${status.retention.maxAgeDays !== null ? ` and ${status.retention.maxAgeDays} days` : ''}; the oldest go first` : undefined}>
          wirelog
        </span>
        <FilterBar filter={filter} hosts={hosts} models={models} onChange={setFilter} searchRef={searchRef} />
        <a className="button" href={harUrl(filter)} download>
          Export HAR
        </a>
        <label className="button" title="Chrome DevTools, Playwright, mitmproxy or wirelog HAR; or drop it on the page">
          Import HAR
          <input type="file" accept=".har,application/json" hidden data-testid="import-har" onChange={(e) => e.target.files?.[0] && void onImport(e.target.files[0])} />
        </label>
        <button type="button" className="button danger" onClick={onClear}>
          Clear all
        </button>
      </header>
      {status?.storageError && <div className="banner error">Capture is failing: {status.storageError}</div>}
      {status && (status.storageLosses.exchanges > 0 || status.storageLosses.bytes > 0) && (
        <div className="banner warn">
          While storage was failing, {status.storageLosses.exchanges} exchange(s) and {status.storageLosses.bytes} body byte(s) were left out of
          the capture to bound memory; the traffic itself was forwarded whole.
        </div>
      )}
      {error && <div className="banner error">{error}</div>}
      {notice && (
        <div className="banner" data-testid="notice">
          {notice}
        </div>
      )}
      <main className={selectedId === null ? 'panes' : 'panes with-detail'}>
        <section className="list-pane" aria-label="Exchanges">
          {showEmpty ? (
            <EmptyState status={status} />
          ) : (
            <ExchangeList
              rows={rows}
              selectedId={selectedId}
              onOpen={select}
              onEndReached={loadMore}
              loading={loading}
              hasMore={nextCursor !== null}
              sort={filter.sort}
              onSort={(sort) => setFilter({ ...filter, sort: filter.sort === sort ? undefined : sort })}
            />
          )}
        </section>
        {selectedId !== null && (
          <section className="detail-pane" aria-label="Exchange detail">
            <ExchangeDetailPane
              id={selectedId}
              version={versions[selectedId] ?? 0}
              keepSecrets={status?.keepSecrets ?? false}
              onClose={() => select(null)}
              onShowThread={(thread) => setFilter({ thread })}
              onOpen={select}
            />
          </section>
        )}
      </main>
    </div>
  );
}
