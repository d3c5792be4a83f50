import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExchangeSummary, ListFilter } from '../api-client.ts';
import { isLanguage } from '../../../i18n/languages.ts';
import { renderDiagnosis } from '../../../llm/diagnosis-text.ts';
import { formatCount, formatDuration, formatSize, formatTime, stateLabel, statusClass, usageText } from '../format.ts';
import { CostBadge } from './CostBadge.tsx';

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

const ROW_HEIGHT = 28;

function pathOf(url: string): string {
  const m = /^[a-z]+:\/\/[^/]+(.*)$/i.exec(url);
  return m ? m[1] || '/' : url;
}

function StateCell({ row }: { row: ExchangeSummary }) {
  const { t, i18n } = useTranslation();
  const count = t(row.streamKind === 'websocket' ? 'list.messages' : 'list.events', { count: row.eventCount });
  if (row.state === 'streaming' || row.state === 'pending') {
    const progress = row.eventCount > 0 ? count : formatSize(row.responseSize);
    return (
      <span className="state live" title={stateLabel(row.state, t)}>
        <span className="pulse" aria-hidden="true" />
        {row.state === 'pending' ? stateLabel('pending', t) : progress}
      </span>
    );
  }
  const reason = failureReason(row, i18n.language);
  if (row.state === 'complete' && reason === null)
    return <span className="state">{row.eventCount > 0 ? count : ''}</span>;
  // A failure says why in the row itself (the title holds the whole text when the column cuts it).
  const label = row.state === 'complete' ? '' : stateLabel(row.state, t);
  const title = [label, reason].filter(Boolean).join(': ');
  return (
    <span
      className={`state bad${row.state === 'complete' ? ' by-diagnosis' : ''}`}
      title={title}
      data-testid="failure-reason"
    >
      {label}
      {label && reason ? ': ' : ''}
      {reason && (
        <span className="reason" data-captured={row.state === 'complete' ? undefined : ''}>
          {reason}
        </span>
      )}
    </span>
  );
}

/**
 * Why a call failed, as the row shows it: the error wirelog recorded when it ended badly (a
 * refused connection, a cut stream), else the diagnosis of a call that ended but did not work (a
 * 401, a 404 for the wrong path), in the viewer's language; null for one that worked.
 */
function failureReason(row: ExchangeSummary, language: string): string | null {
  if (row.state !== 'complete') return row.error;
  const d = row.diagnosis;
  if (!d || d.severity === 'info' || (d.severity === 'warning' && (row.status ?? 0) < 400)) return null;
  return d.message ? renderDiagnosis(d.message, isLanguage(language) ? language : 'en').summary : d.summary;
}

/** The session a call belongs to, shortened (its kind and the start of its key); a click lists only its calls. */
function SessionCell({ threadKey, onThread }: { threadKey: string | null | undefined; onThread: Props['onThread'] }) {
  const { t } = useTranslation();
  if (!threadKey) return <span />;
  const short = threadKey.replace(/^(session|response|prefix):/, '').slice(0, 10);
  return (
    <span className="session-cell">
      <button
        type="button"
        className="link mono"
        title={t('listView.sessionTitle', { key: threadKey })}
        data-testid="session-cell"
        data-captured
        onClick={(e) => {
          e.stopPropagation();
          onThread(threadKey);
        }}
      >
        {short}
      </button>
    </span>
  );
}

/** Newest first, virtualised: only the rows on screen exist in the DOM. */
/** Input/output as the provider counted them; cache figures and cost, when it sent them, in the title and as a mark. */
function TokensCell({ call }: { call: ExchangeSummary['call'] }) {
  const { t } = useTranslation();
  if (!call || (call.inputTokens === null && call.outputTokens === null)) return <span className="num mono" />;
  const usage = call.usage ?? {};
  const cached = usage.cacheRead ?? 0;
  return (
    <span className="num mono" title={t('list.usageTitle', { usage: usageText(usage, t) })} data-testid="tokens">
      {formatCount(call.inputTokens)}/{formatCount(call.outputTokens)}
      {cached > 0 && (
        <span className="muted" title={t('format.usage.cacheRead')}>
          {' '}
          +{formatCount(cached)}
        </span>
      )}
    </span>
  );
}

/**
 * The worst diagnosis's badge, its title in the viewer's language: rendered here from the
 * message id and parameters the list carries (a language switch needs no new read); an older
 * row's stored English summary is shown as it is.
 */
function DiagnosisBadge({ diagnosis }: { diagnosis: NonNullable<ExchangeSummary['diagnosis']> }) {
  const { i18n } = useTranslation();
  const language = isLanguage(i18n.language) ? i18n.language : 'en';
  const title = diagnosis.message ? renderDiagnosis(diagnosis.message, language).summary : diagnosis.summary;
  return (
    <span className={`badge ${diagnosis.severity}`} title={title} data-testid="diagnosis-badge">
      {diagnosis.severity === 'info' ? 'i' : '!'}
    </span>
  );
}

/** A call that returned images, as a small picture (its title says how many): the count is stored with the call (llm/images.ts), no body is read. */
function ImagesMark({ count }: { count: number }) {
  const { t } = useTranslation();
  return (
    <span
      className="image-mark"
      role="img"
      title={t('images.listMark', { count })}
      aria-label={t('images.listMark', { count })}
      data-testid="image-mark"
      style={{ marginLeft: 4, display: 'inline-block', verticalAlign: 'middle', lineHeight: 0 }}
    >
      <svg width="13" height="11" viewBox="0 0 13 11" aria-hidden="true" fill="none" stroke="currentColor">
        <rect x="0.5" y="0.5" width="12" height="10" rx="1" />
        <circle cx="4" cy="3.5" r="1.2" />
        <path d="M1 10 L5 6 L7.5 8 L9.5 5.5 L12 8.5" />
      </svg>
    </span>
  );
}

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
  onThread,
}: Props) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  // The cursor is an exchange, not a position: live updates insert rows above it, and a position
  // would then point at another exchange between a key press and the next.
  const [cursorId, setCursorId] = useState<number | null>(selectedId);
  const found = cursorId === null ? -1 : rows.findIndex((r) => r.id === cursorId);
  const cursor = Math.max(found, 0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();

  useEffect(() => {
    const last = items[items.length - 1];
    if (last && last.index >= rows.length - 150 && hasMore && !loading) onEndReached();
  }, [items, rows.length, hasMore, loading, onEndReached]);

  useEffect(() => {
    if (selectedId !== null) setCursorId(selectedId);
  }, [selectedId]);

  const move = (to: number) => {
    const index = Math.max(0, Math.min(rows.length - 1, to));
    if (!rows[index]) return;
    setCursorId(rows[index].id);
    virtualizer.scrollToIndex(index, { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'j') move(cursor + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(cursor - 1);
    else if (e.key === 'Enter' && rows[cursor]) onOpen(rows[cursor].id);
    else return;
    e.preventDefault();
  };

  return (
    <div className="list-wrap">
      <div className="list-count muted" data-testid="result-count" aria-live="polite">
        {total !== null &&
          (rows.length < total
            ? t('listView.countShown', { shown: formatNumber(rows.length), count: formatNumber(total) })
            : t('listView.count', { count: total, formatted: formatNumber(total) }))}
      </div>
      <div
        className="list"
        role="grid"
        aria-rowcount={rows.length}
        tabIndex={0}
        onKeyDown={onKeyDown}
        ref={scrollRef}
        data-testid="exchange-list"
      >
        <div className="row head" role="row">
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
          <SortHeader
            label={t('list.size')}
            title={t('listView.sizeTitle')}
            sortKey="size"
            sort={sort}
            onSort={onSort}
          />
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            const classes = [
              'row',
              row.id === selectedId ? 'selected' : '',
              item.index === cursor ? 'cursor' : '',
            ].join(' ');
            return (
              <div
                key={row.id}
                role="row"
                className={classes}
                data-id={row.id}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => {
                  setCursorId(row.id);
                  onOpen(row.id);
                }}
              >
                <span className="mono">{formatTime(row.startedAt)}</span>
                <span className="method" data-captured>
                  {row.method}
                </span>
                <span className="ellipsis" title={row.host} data-captured>
                  {row.host}
                </span>
                {/* Cut at its start (styles.css .path-cell): paths differ at their end; the whole URL on hover. */}
                <span className="path-cell mono" title={row.url} data-testid="path-cell" data-captured>
                  <bdi>{pathOf(row.url)}</bdi>
                </span>
                <span className={`status ${statusClass(row.status)}`}>
                  {row.status ?? '—'}
                  {row.damaged && (
                    <span
                      className="badge error"
                      title={t('list.damaged', { notes: row.damaged.join('; ') })}
                      data-testid="damage-badge"
                    >
                      ⚠
                    </span>
                  )}
                  {row.notes && (
                    <span className="badge warning" title={t('list.cut', { notes: row.notes })} data-testid="cut-badge">
                      ✂
                    </span>
                  )}
                  {row.diagnosis && <DiagnosisBadge diagnosis={row.diagnosis} />}
                  {row.call?.images ? <ImagesMark count={row.call.images} /> : null}
                </span>
                <StateCell row={row} />
                <span className="ellipsis" title={row.client ?? ''} data-testid="client" data-captured>
                  {row.client ?? ''}
                </span>
                <SessionCell threadKey={row.call?.threadKey} onThread={onThread} />
                <span className="ellipsis mono" title={row.call?.model ?? ''} data-captured>
                  {row.call?.model ?? ''}
                </span>
                <TokensCell call={row.call} />
                <span className="num">{row.cost ? <CostBadge cost={row.cost} /> : null}</span>
                <span className="num">{formatDuration(row.call?.ttftMs)}</span>
                <span className="num">{formatDuration(row.durationMs)}</span>
                <span className="num">{formatSize(row.responseSize)}</span>
              </div>
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

const numbers = new Intl.NumberFormat('en-US');
const formatNumber = (n: number) => numbers.format(n);
