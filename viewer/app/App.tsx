import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { clearAll, fetchStatus, type ListFilter, type ViewerStatus } from './api-client.ts';
import { afterFirstPage, afterFirstPageIdle } from './first-page.ts';
import { useExchangeList } from './hooks/useExchangeList.ts';
import { useHarImport } from './hooks/useHarImport.ts';
import { useLiveUpdates } from './hooks/useLiveUpdates.ts';
import { useSearchKeys } from './hooks/useSearchKeys.ts';
import { useSelectedId } from './hooks/useSelectedId.ts';
import { useEscapeCloses } from './hooks/useEscapeCloses.ts';
import { useFileDrop } from './hooks/useFileDrop.ts';
import { EmptyState } from './components/EmptyState.tsx';
import { ExchangeList } from './components/ExchangeList.tsx';
import { SplitPane } from './components/SplitPane.tsx';
import { StatusBanners } from './components/StatusBanners.tsx';
import { TopBar } from './components/TopBar.tsx';
import { useSessionRoute } from './session-data.ts';
import { loadingCode } from './code-load.ts';
import { CodeLoadBoundary } from './components/CodeLoadBoundary.tsx';

// What the first screen does not show is loaded when it is: the detail pane (and the compare view,
// replay, JSON tree, streams and charts it holds) after the list's first page, the session pages
// when the path names one. The list's first rows wait for less code to arrive and parse.
const loadDetail = loadingCode(() => import('./components/ExchangeDetail.tsx'));
const ExchangeDetailPane = lazy(() => loadDetail().then((m) => ({ default: m.ExchangeDetailPane })));
const loadSessions = loadingCode(() => import('./components/SessionView.tsx'));
const SessionRoute = lazy(() => loadSessions().then((m) => ({ default: m.SessionRoute })));

export function App() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<ViewerStatus | null>(null);
  const [filter, setFilter] = useState<ListFilter>({});
  const list = useExchangeList(filter);
  const { rows, loading } = list;
  const [failure, setError] = useState<string | null>(null);
  const [selectedId, select] = useSelectedId();
  const versions = useLiveUpdates(list, select, setStatus);
  const { notice, importFile } = useHarImport(select, setError);
  const searchRef = useRef<HTMLInputElement>(null);
  useSearchKeys(searchRef);
  useEscapeCloses(selectedId === null ? null : () => select(null));

  useEffect(() => {
    // After the list's first page (first-page.ts): the server answers one request at a time.
    afterFirstPage()
      .then(fetchStatus)
      .then(setStatus, (err: Error) => setError(err.message));
    // A row opened right away does not wait for the pane's code; a chunk that fails to load here is retried when opened.
    void afterFirstPageIdle()
      .then(loadDetail)
      .catch(() => {});
  }, []);

  const onClear = useCallback(async () => {
    if (!window.confirm(t('app.confirmClear'))) return;
    try {
      await clearAll();
    } catch (err) {
      setError((err as Error).message);
    }
  }, [t]);

  const hosts = useMemo(() => [...new Set(rows.map((r) => r.host))].sort(), [rows]);
  const models = useMemo(() => [...new Set(rows.flatMap((r) => (r.call?.model ? [r.call.model] : [])))].sort(), [rows]);
  const showEmpty = !loading && rows.length === 0 && !Object.values(filter).some(Boolean);
  const sessionKey = useSessionRoute();
  const importDropped = useCallback((file: File) => void importFile(file), [importFile]);
  // A HAR dropped on the list imports it; the session page takes no drop.
  useFileDrop(sessionKey === undefined ? importDropped : null);
  if (sessionKey !== undefined)
    return (
      <CodeLoadBoundary>
        <Suspense fallback={<div className="detail-loading">{t('detail.loading')}</div>}>
          <SessionRoute sessionKey={sessionKey} />
        </Suspense>
      </CodeLoadBoundary>
    );

  return (
    <div className="app">
      <TopBar
        status={status}
        filter={filter}
        hosts={hosts}
        models={models}
        onFilter={setFilter}
        searchRef={searchRef}
        onImport={(file) => void importFile(file)}
        onClear={onClear}
      />
      <StatusBanners status={status} error={failure ?? list.error} notice={notice} />
      <SplitPane
        first={
          <section className="list-pane" aria-label={t('app.exchanges')}>
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
                total={list.total}
                totalAtLeast={list.totalAtLeast}
                onThread={(thread) => setFilter({ ...filter, thread })}
              />
            )}
          </section>
        }
        second={
          selectedId === null ? null : (
            <section className="detail-pane" aria-label={t('app.detail')}>
              <CodeLoadBoundary>
                <Suspense fallback={<div className="detail-loading">{t('detail.loading')}</div>}>
                  <ExchangeDetailPane
                    id={selectedId}
                    version={versions[selectedId] ?? 0}
                    keepSecrets={status?.keepSecrets ?? false}
                    onClose={() => select(null)}
                    onShowThread={(thread) => setFilter({ thread })}
                    onOpen={select}
                  />
                </Suspense>
              </CodeLoadBoundary>
            </section>
          )
        }
      />
    </div>
  );
}
