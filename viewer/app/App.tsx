import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { clearAll, fetchStatus, harUrl, importHar, type ListFilter, type ViewerStatus } from './api.ts';
import { useExchangeList } from './hooks/useExchangeList.ts';
import { useSelectedId } from './hooks/useSelectedId.ts';
import { EmptyState } from './components/EmptyState.tsx';
import { ExchangeDetailPane } from './components/ExchangeDetail.tsx';
import { ExchangeList } from './components/ExchangeList.tsx';
import { FilterBar } from './components/FilterBar.tsx';
import { useLiveFeed } from './live.ts';

/** `/` focuses the search, Escape leaves a field. */
function useSearchKeys(searchRef: RefObject<HTMLInputElement | null>): void {
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
  }, [searchRef]);
}

export function App() {
  const [status, setStatus] = useState<ViewerStatus | null>(null);
  const [filter, setFilter] = useState<ListFilter>({});
  const list = useExchangeList(filter);
  const { rows, loading } = list;
  const [failure, setError] = useState<string | null>(null);
  const error = failure ?? list.error;
  const [notice, setNotice] = useState<string | null>(null);
  const [selectedId, select] = useSelectedId();
  /** Bumped per exchange when the live feed says it changed, so an open detail refreshes. */
  const [versions, setVersions] = useState<Record<number, number>>({});
  const searchRef = useRef<HTMLInputElement>(null);
  useSearchKeys(searchRef);

  useEffect(() => {
    fetchStatus().then(setStatus, (err: Error) => setError(err.message));
  }, []);

  useLiveFeed({
    onExchanges: (summaries) => {
      list.applyLive(summaries);
      setVersions((v) => {
        const bumped = { ...v };
        for (const s of summaries) bumped[s.id] = (bumped[s.id] ?? 0) + 1;
        return bumped;
      });
    },
    onCleared: () => {
      list.clear();
      select(null);
    },
    onPruned: list.reload,
    onStatus: setStatus,
    onHello: (hello) => {
      setStatus(hello);
      // Subscribed from here on: fetch the list again to cover what changed before.
      list.reload();
    },
  });

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
      {status?.otlp?.error && (
        <div className="banner warn" data-testid="otlp-banner">
          OpenTelemetry export: {status.otlp.error}
        </div>
      )}
      {status && (status.storageLosses.exchanges > 0 || status.storageLosses.bytes > 0) && (
        <div className="banner warn">
          While storage was failing, {status.storageLosses.exchanges} exchange(s) and {status.storageLosses.bytes} body byte(s) were left out of
          the capture to bound memory; the traffic itself was forwarded whole.
        </div>
      )}
      {status && status.storageLosses.bodies > 0 && (
        <div className="banner warn" data-testid="behind-banner">
          Storage fell behind: the rest of {status.storageLosses.bodies} body(ies) was not stored (they show as truncated) rather than hold the
          traffic back; the traffic itself was forwarded whole.
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
              onEndReached={list.loadMore}
              loading={loading}
              hasMore={list.hasMore}
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
