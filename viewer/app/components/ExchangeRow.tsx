// One row of the exchange list (ExchangeList.tsx): its cells, drawn from the list summary alone.
// Scrolling a screen a frame draws a screen of new rows each frame, and the frame went on laying
// them out: a row is memoised (it is not drawn again on scroll), gets its translation function
// from the list (no subscription per cell), is placed by `top` (no layer per row), and writes
// each figure as one text node.
import type { TFunction } from 'i18next';
import { type KeyboardEvent, memo } from 'react';
import { isLanguage, type Language } from '../../../i18n/languages.ts';
import { renderDiagnosis } from '../../../llm/diagnosis-text.ts';
import type { ExchangeSummary } from '../api-client.ts';
import { formatCount, formatDuration, formatSize, formatTime, stateLabel, statusClass, usageText } from '../format.ts';
import { CostBadgeIn } from './CostBadge.tsx';

/** Every row is this tall (styles.css .list .row): the virtualiser places rows without measuring them. */
export const ROW_HEIGHT = 28;

export interface RowProps {
  row: ExchangeSummary;
  /** Where the row starts in the list, in pixels. */
  top: number;
  selected: boolean;
  /** The keyboard's row: the list's one tab stop (roving focus). */
  cursor: boolean;
  t: TFunction;
  language: Language;
  onOpen: (id: number) => void;
  onThread: (threadKey: string) => void;
}

function pathOf(url: string): string {
  const m = /^[a-z]+:\/\/[^/]+(.*)$/i.exec(url);
  return m ? m[1] || '/' : url;
}

/**
 * Why a call failed, as the row shows it: the error wirelog recorded when it ended badly (a
 * refused connection, a cut stream), else the diagnosis of a call that ended but did not work (a
 * 401, a 404 for the wrong path), in the viewer's language; null for one that worked.
 */
function failureReason(row: ExchangeSummary, language: Language): string | null {
  if (row.state !== 'complete') return row.error;
  const d = row.diagnosis;
  if (!d || d.severity === 'info' || (d.severity === 'warning' && (row.status ?? 0) < 400)) return null;
  return d.message ? renderDiagnosis(d.message, language).summary : d.summary;
}

function StateCell({ row, t, language }: { row: ExchangeSummary; t: TFunction; language: Language }) {
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
  const reason = failureReason(row, language);
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
      {label && reason ? `${label}: ` : label || null}
      {reason && (
        <span className="reason" data-captured={row.state === 'complete' ? undefined : ''}>
          {reason}
        </span>
      )}
    </span>
  );
}

/** The session a call belongs to, shortened (its kind and the start of its key); a click lists only its calls. */
function SessionCell({
  threadKey,
  t,
  onThread,
}: {
  threadKey: string | null | undefined;
  t: TFunction;
  onThread: RowProps['onThread'];
}) {
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
        onKeyDown={(e) => e.stopPropagation()}
      >
        {short}
      </button>
    </span>
  );
}

/** Input/output as the provider counted them; cache figures and cost, when it sent them, in the title and as a mark. */
function TokensCell({ call, t }: { call: ExchangeSummary['call']; t: TFunction }) {
  if (!call || (call.inputTokens === null && call.outputTokens === null)) return <span className="num mono" />;
  const usage = call.usage ?? {};
  const cached = usage.cacheRead ?? 0;
  return (
    <span className="num mono" title={t('list.usageTitle', { usage: usageText(usage, t) })} data-testid="tokens">
      {`${formatCount(call.inputTokens)}/${formatCount(call.outputTokens)}`}
      {cached > 0 && (
        <span className="muted" title={t('format.usage.cacheRead')}>
          {` +${formatCount(cached)}`}
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
function DiagnosisBadge({
  diagnosis,
  language,
}: {
  diagnosis: NonNullable<ExchangeSummary['diagnosis']>;
  language: Language;
}) {
  const title = diagnosis.message ? renderDiagnosis(diagnosis.message, language).summary : diagnosis.summary;
  return (
    <span className={`badge ${diagnosis.severity}`} title={title} data-testid="diagnosis-badge">
      {diagnosis.severity === 'info' ? 'i' : '!'}
    </span>
  );
}

/** A call that returned images, as a small picture (its title says how many): the count is stored with the call (llm/images.ts), no body is read. */
function ImagesMark({ count, t }: { count: number; t: TFunction }) {
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

/** The viewer's language as the diagnoses are rendered in (English for one they do not know). */
export function rowLanguage(language: string): Language {
  return isLanguage(language) ? language : 'en';
}

/**
 * A row of the grid: focusable (the cursor row is the list's tab stop, the others are reached by
 * the arrow keys), Enter or a click opens it. Re-rendered only when its own props change.
 */
export const ExchangeRow = memo(function ExchangeRow({
  row,
  top,
  selected,
  cursor,
  t,
  language,
  onOpen,
  onThread,
}: RowProps) {
  const open = () => onOpen(row.id);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    e.stopPropagation();
    open();
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a row of a virtualised ARIA grid, placed absolutely in its scroller; tests and tools find rows by [role="row"][data-id]
    <div
      role="row"
      aria-selected={selected}
      tabIndex={cursor ? 0 : -1}
      className={`row${selected ? ' selected' : ''}${cursor ? ' cursor' : ''}`}
      data-id={row.id}
      style={{ top }}
      onClick={open}
      onKeyDown={onKeyDown}
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
        {row.diagnosis && <DiagnosisBadge diagnosis={row.diagnosis} language={language} />}
        {row.call?.images ? <ImagesMark count={row.call.images} t={t} /> : null}
      </span>
      <StateCell row={row} t={t} language={language} />
      <span className="ellipsis" title={row.client ?? ''} data-testid="client" data-captured>
        {row.client ?? ''}
      </span>
      <SessionCell threadKey={row.call?.threadKey} t={t} onThread={onThread} />
      <span className="ellipsis mono" title={row.call?.model ?? ''} data-captured>
        {row.call?.model ?? ''}
      </span>
      <TokensCell call={row.call} t={t} />
      <span className="num">{row.cost ? <CostBadgeIn cost={row.cost} t={t} /> : null}</span>
      <span className="num">{formatDuration(row.call?.ttftMs)}</span>
      <span className="num">{formatDuration(row.durationMs)}</span>
      <span className="num">{formatSize(row.responseSize)}</span>
    </div>
  );
});
