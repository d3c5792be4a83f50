// The exchange list: a virtualised ARIA grid (only the rows on screen and a margin are in the
// DOM, each ROW_HEIGHT tall, so nothing is measured), newest first or sorted, with the keyboard's
// cursor as its one tab stop. Its rows are ExchangeRow.tsx.
import {
  defaultRangeExtractor,
  observeElementOffset,
  observeElementRect,
  type Range,
  useVirtualizer,
} from '@tanstack/react-virtual';
import { type KeyboardEvent, memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExchangeSummary, ListFilter } from '../api-client.ts';
import { ExchangeRow, ROW_HEIGHT, rowLanguage } from './ExchangeRow.tsx';

interface Props {
  rows: ExchangeSummary[];
  selectedId: number | null;
  onOpen: (id: number) => void;
  onEndReached: () => void;
  loading: boolean;
  hasMore: boolean;
  sort: ListFilter['sort'];
  onSort: (sort: NonNullable<ListFilter['sort']>) => void;
  /** How many exchanges match the filter (null: not known yet). */
  total: number | null;
  /** The total is a lower bound: more match than the server counted (shown "10,000+"). */
  totalAtLeast?: boolean;
  /** Lists only the calls of one session (its thread key). */
  onThread: (threadKey: string) => void;
}

function SortHeader({
  label,
  title,
  sortKey,
  sort,
  onSort,
  className = 'num',
}: {
  label: string;
  title: string;
  sortKey: NonNullable<ListFilter['sort']>;
  sort: ListFilter['sort'];
  onSort: Props['onSort'];
  className?: string;
}) {
  const { t } = useTranslation();
  const active = sort === sortKey;
  return (
    <button
      type="button"
      className={`${className} sort ${active ? 'active' : ''}`}
      title={active ? t('listView.sortedBy', { what: title }) : t('list.sortHint', { title })}
      aria-pressed={active}
      data-sort={sortKey}
      onClick={() => onSort(sortKey)}
    >
      {label}
      {active ? ' ▾' : ''}
    </button>
  );
}

/** Holds the latest value for callbacks that must keep one identity (memoised rows and headings). */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}

/** The headings, with the sort buttons: drawn again when the sort or the language changes, not on scroll. */
const ListHead = memo(function ListHead({ sort, onSort }: { sort: ListFilter['sort']; onSort: Props['onSort'] }) {
  const { t } = useTranslation();
  return (
    // biome-ignore lint/a11y/useSemanticElements: the headings' row of the virtualised ARIA grid below (see ExchangeRow)
    <div className="row head" role="row" tabIndex={-1}>
      <SortHeader
        label={t('list.time')}
        title={t('listView.timeTitle')}
        sortKey="time"
        sort={sort}
        onSort={onSort}
        className=""
      />
      <span>{t('list.method')}</span>
      <span>{t('list.host')}</span>
      <span>{t('list.path')}</span>
      <span>{t('list.status')}</span>
      <span>{t('listView.reason')}</span>
      <span title={t('listView.clientTitle')}>{t('listView.client')}</span>
      <span>{t('listView.session')}</span>
      <span>{t('list.model')}</span>
      <span className="num sort-pair" title={t('listView.tokensTitle')}>
        <SortHeader
          label={t('listView.tokensIn')}
          title={t('listView.tokensInTitle')}
          sortKey="tokens_in"
          sort={sort}
          onSort={onSort}
          className=""
        />
        {'/'}
        <SortHeader
          label={t('listView.tokensOut')}
          title={t('listView.tokensOutTitle')}
          sortKey="tokens_out"
          sort={sort}
          onSort={onSort}
          className=""
        />
      </span>
      <span className="num" title={t('listView.costTitle')}>
        {t('listView.cost')}
      </span>
      <SortHeader label={t('list.ttft')} title={t('list.ttftTitle')} sortKey="ttft" sort={sort} onSort={onSort} />
      <SortHeader
        label={t('list.duration')}
        title={t('list.durationTitle')}
        sortKey="duration"
        sort={sort}
        onSort={onSort}
      />
      <SortHeader label={t('list.size')} title={t('listView.sizeTitle')} sortKey="size" sort={sort} onSort={onSort} />
    </div>
  );
});

/** Rows drawn beyond the screen on each side, so a wheel's step finds them ready. */
const OVERSCAN = 8;

/**
 * One of the virtualiser's observers of the list (its size, its scroll position), started in the
 * first frame after the list mounts instead of as it mounts: read then, the list's size laid the
 * whole page out before its rows were in it, and the rows waited for a second render (at a
 * million exchanges, a third of the first screen's CPU). Until that frame the list is taken to be
 * the window's size, at its top (FIRST_RECT): its first render holds the rows that fill it.
 */
function fromFirstFrame<Args extends unknown[]>(observe: (...args: Args) => undefined | (() => void)) {
  return (...args: Args) => {
    let stop: undefined | (() => void);
    const frame = requestAnimationFrame(() => {
      stop = observe(...args);
    });
    return () => {
      cancelAnimationFrame(frame);
      stop?.();
    };
  };
}

const observeListRect = fromFirstFrame(observeElementRect<HTMLDivElement>);
const observeListOffset = fromFirstFrame(observeElementOffset<HTMLDivElement>);
/** The list's size before its first frame: the window's, which it never exceeds (rows past its end are clipped). */
const windowRect = () => ({ width: window.innerWidth, height: window.innerHeight });

export function ExchangeList({
  rows,
  selectedId,
  onOpen,
  onEndReached,
  loading,
  hasMore,
  sort,
  onSort,
  total,
  totalAtLeast = false,
  onThread,
}: Props) {
  const { t, i18n } = useTranslation();
  const language = rowLanguage(i18n.language);
  // A count the server stopped at says so: "10,000+" (db/reader.ts countUpTo).
  const totalText =
    total === null ? '' : totalAtLeast ? t('searchScale.atLeast', { count: formatNumber(total) }) : formatNumber(total);
  const scrollRef = useRef<HTMLDivElement>(null);
  // The cursor is an exchange, not a position: live updates insert rows above it, and a position
  // would then point at another exchange between a key press and the next.
  const [cursorId, setCursorId] = useState<number | null>(selectedId);
  const found = cursorId === null ? -1 : rows.findIndex((r) => r.id === cursorId);
  const cursor = Math.max(found, 0);
  // The cursor's row stays in the DOM when scrolled away: it is the list's tab stop, and may hold the focus.
  // (A new function when the cursor moves: the virtualiser draws its new row in the same render.)
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (cursor >= range.count || indexes.includes(cursor)) return indexes;
      return [...indexes, cursor].sort((a, b) => a - b);
    },
    [cursor],
  );
  // Read once (the window's size is read from its layout): the virtualiser takes it only as it starts.
  const [firstRect] = useState(windowRect);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => rows[index]?.id ?? index,
    overscan: OVERSCAN,
    rangeExtractor,
    initialRect: firstRect,
    observeElementRect: observeListRect,
    observeElementOffset: observeListOffset,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = virtualizer.range?.endIndex ?? -1;

  // The next page is asked for while a page of rows is still ahead: it lands before the scroll gets there.
  useEffect(() => {
    if (lastShown >= rows.length - FETCH_AHEAD && hasMore && !loading) onEndReached();
  }, [lastShown, rows.length, hasMore, loading, onEndReached]);

  useEffect(() => {
    if (selectedId !== null) setCursorId(selectedId);
  }, [selectedId]);

  // Roving focus: a key that moves the cursor moves the focus to its row (the row it left may be
  // gone from the DOM by then, and the focus with it).
  const focusFollows = useRef(false);
  useLayoutEffect(() => {
    if (cursorId === null || !focusFollows.current) return;
    focusFollows.current = false;
    scrollRef.current
      ?.querySelector<HTMLElement>(`[role="row"][data-id="${cursorId}"]`)
      ?.focus({ preventScroll: true });
  }, [cursorId]);

  const onOpenLatest = useLatest(onOpen);
  const onThreadLatest = useLatest(onThread);
  const onSortLatest = useLatest(onSort);
  const open = useCallback(
    (id: number) => {
      setCursorId(id);
      onOpenLatest.current(id);
    },
    [onOpenLatest],
  );
  const thread = useCallback((key: string) => onThreadLatest.current(key), [onThreadLatest]);
  const sortBy = useCallback((key: NonNullable<ListFilter['sort']>) => onSortLatest.current(key), [onSortLatest]);

  const move = (to: number) => {
    const index = Math.max(0, Math.min(rows.length - 1, to));
    if (!rows[index] || index === cursor) return;
    focusFollows.current = true;
    setCursorId(rows[index].id);
    virtualizer.scrollToIndex(index, { align: 'auto' });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    // Read on the key, not on every render: reading it there laid the page out in each render.
    const screen = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    if (e.key === 'ArrowDown' || e.key === 'j') move(cursor + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(cursor - 1);
    else if (e.key === 'PageDown') move(cursor + screen);
    else if (e.key === 'PageUp') move(cursor - screen);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(rows.length - 1);
    else if (e.key === 'Enter' && rows[cursor]) open(rows[cursor].id);
    else return;
    e.preventDefault();
  };

  return (
    <div className="list-wrap">
      <div className="list-count muted" data-testid="result-count" aria-live="polite">
        {total !== null &&
          (rows.length < total
            ? t('listView.countShown', { shown: formatNumber(rows.length), count: totalText })
            : t('listView.count', { count: total, formatted: totalText }))}
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a virtualised grid: its rows are placed absolutely in this scroller, which a table's layout does not allow */}
      <div
        className="list"
        role="grid"
        aria-rowcount={rows.length}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        ref={scrollRef}
        data-testid="exchange-list"
      >
        <ListHead sort={sort} onSort={sortBy} />
        <div className="list-body" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index];
            return (
              <ExchangeRow
                key={row.id}
                row={row}
                top={item.start}
                selected={row.id === selectedId}
                cursor={item.index === cursor}
                t={t}
                language={language}
                onOpen={open}
                onThread={thread}
              />
            );
          })}
        </div>
        {loading && <div className="list-note">{t('list.loading')}</div>}
        {!loading && rows.length === 0 && (
          <div className="list-note" data-testid="no-matches">
            {t('searchIndex.noMatches')}
          </div>
        )}
      </div>
    </div>
  );
}

/** Rows still ahead of the screen when the next page is asked for: about one page (api-client.ts NEXT_PAGES). */
const FETCH_AHEAD = 1000;

const numbers = new Intl.NumberFormat('en-US');
const formatNumber = (n: number) => numbers.format(n);
