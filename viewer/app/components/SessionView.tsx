// An agent session as its own page (issue 27): the header (client, host, models, start, duration,
// calls, tokens and cost summed), each turn as a row (what was said last, the answer, figures,
// diagnosis), a turn's context and its diff with another turn beside the list, and the agent loop
// (tool calls paired with their results). Turns load by page and are virtualized: a session of
// thousands of turns keeps a screenful of rows in the page.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isLanguage } from '../../../i18n/languages.ts';
import { renderDiagnosis } from '../../../llm/diagnosis-text.ts';
import { formatCount, formatDuration, formatSize, formatTime, statusClass } from '../format.ts';
import { readableLine } from '../readable-json.ts';
import {
  fetchSessionPage,
  fetchSessions,
  navigate,
  sessionPath,
  type SessionHeader,
  type SessionTurn,
  type ToolPair,
} from '../session-data.ts';
import { CostBadge } from './CostBadge.tsx';
import { TurnContextView } from './TurnContext.tsx';
import { TurnDiffView } from './TurnDiff.tsx';
import { SessionExportLinks } from './SessionExportLinks.tsx';

/** Turns asked for per page; the next page is asked for when the list nears the end of what is loaded. */
const PAGE = 100;
const TURN_ROW_HEIGHT = 104;
const LOOP_ROW_HEIGHT = 76;

export { useSessionRoute } from '../session-data.ts';

/** "Open session" from a call of one: the session page of its thread. */
export function OpenSessionLink({ threadKey }: { threadKey: string }) {
  const { t } = useTranslation();
  return (
    <a
      className="button small open-session"
      href={sessionPath(threadKey)}
      title={t('sessions.openHint')}
      onClick={(e) => {
        e.preventDefault();
        navigate(sessionPath(threadKey));
      }}
    >
      {t('sessions.open')}
    </a>
  );
}

/** The session page the path names: the recent sessions for /sessions, one session for /sessions/KEY. */
export function SessionRoute({ sessionKey }: { sessionKey: string }) {
  const { t } = useTranslation();
  return (
    <div className="session-page">
      <div className="session-top">
        <button type="button" className="button small" onClick={() => navigate('/')}>
          ← {t('sessions.back')}
        </button>
        {sessionKey && (
          <button type="button" className="button small" onClick={() => navigate('/sessions')}>
            {t('sessions.recent')}
          </button>
        )}
      </div>
      {sessionKey ? <SessionPageView key={sessionKey} sessionKey={sessionKey} /> : <RecentSessions />}
    </div>
  );
}

function RecentSessions() {
  const { t } = useTranslation();
  const [sessions, setSessions] = useState<SessionHeader[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetchSessions().then(
      (a) => setSessions(a.sessions),
      (err: Error) => setError(err.message),
    );
  }, []);
  if (error) return <div className="detail-error">{t('sessions.error', { error })}</div>;
  if (!sessions) return <div className="detail-loading">{t('sessions.loading')}</div>;
  if (!sessions.length) return <p className="muted">{t('sessions.none')}</p>;
  return (
    <section aria-label={t('sessions.recent')}>
      <h2>{t('sessions.recent')}</h2>
      {sessions.map((s) => (
        <a
          key={s.key}
          className="session-card"
          href={sessionPath(s.key)}
          onClick={(e) => {
            e.preventDefault();
            navigate(sessionPath(s.key));
          }}
        >
          <HeaderFigures header={s} />
        </a>
      ))}
    </section>
  );
}

function CostText({ cost }: { cost: SessionHeader['cost'] }) {
  const { t } = useTranslation();
  if (cost.source === 'unknown')
    return (
      <span className="muted">
        {cost.pricedUsd > 0
          ? t('sessions.header.costPartial', { usd: `$${cost.pricedUsd.toFixed(4)}` })
          : t('sessions.header.costUnknown')}
      </span>
    );
  return (
    <span>
      ${cost.usd!.toFixed(4)}{' '}
      {cost.source === 'estimated' && <span className="muted">({t('sessions.header.costEstimated')})</span>}
    </span>
  );
}

export function HeaderFigures({ header }: { header: SessionHeader }) {
  const { t, i18n } = useTranslation();
  const tokens = header.tokens;
  return (
    <div className="session-header" data-testid="session-header">
      <span className="session-client" data-captured>
        {header.client.label ?? t('sessions.header.unknownClient')}
      </span>
      <span>
        <span className="muted">{t('sessions.header.hosts')}</span> <span data-captured>{header.hosts.join(', ')}</span>
      </span>
      <span>
        <span className="muted">{t('sessions.header.models')}</span>{' '}
        <span data-captured>{header.models.join(', ')}</span>
      </span>
      <span>
        <span className="muted">{t('sessions.header.started')}</span>{' '}
        {/* In the viewer's language, not the browser's: a Chinese page with a date written 12/6/2026 reads as mixed. */}
        {new Date(header.startedAt).toLocaleDateString(isLanguage(i18n.language) ? i18n.language : 'en')}{' '}
        {formatTime(header.startedAt)}
      </span>
      <span>
        <span className="muted">{t('sessions.header.duration')}</span> {formatDuration(header.durationMs)}
      </span>
      <span data-testid="session-calls">{t('sessions.header.calls', { count: header.calls })}</span>
      {header.failed > 0 && <span className="status-5xx">{t('sessions.header.failed', { count: header.failed })}</span>}
      <span className="muted">
        {t('sessions.header.tokens', {
          input: formatCount(tokens.input),
          output: formatCount(tokens.output),
          cacheRead: formatCount(tokens.cacheRead),
          cacheWrite: formatCount(tokens.cacheWrite),
        })}
      </span>
      <span>
        <span className="muted">{t('sessions.header.cost')}</span> <CostText cost={header.cost} />
      </span>
    </div>
  );
}

type Panel = { turn: SessionTurn; mode: 'context' | 'diff' } | null;

function SessionPageView({ sessionKey }: { sessionKey: string }) {
  const { t } = useTranslation();
  const [header, setHeader] = useState<SessionHeader | null>(null);
  const [turns, setTurns] = useState<SessionTurn[]>([]);
  const [total, setTotal] = useState(0);
  const [cut, setCut] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [against, setAgainst] = useState<number | null>(null);
  const [tab, setTab] = useState<'turns' | 'loop'>('turns');
  const loadingRef = useRef(false);

  const loadFrom = useCallback(
    (offset: number) => {
      if (loadingRef.current) return;
      loadingRef.current = true;
      setLoading(true);
      fetchSessionPage(sessionKey, offset, PAGE)
        .then(
          (page) => {
            setHeader(page.header);
            setTotal(page.total);
            setCut(page.cut);
            // A page replaces what it covers: the last turn's pairing is completed when its next turn arrives.
            setTurns((before) => [...before.slice(0, offset), ...page.turns]);
          },
          (err: Error) => setError(err.message),
        )
        .finally(() => {
          loadingRef.current = false;
          setLoading(false);
        });
    },
    [sessionKey],
  );
  useEffect(() => loadFrom(0), [loadFrom]);
  const loadMore = useCallback(() => {
    if (turns.length < total) loadFrom(turns.length);
  }, [turns.length, total, loadFrom]);

  if (error) return <div className="detail-error">{t('sessions.error', { error })}</div>;
  if (!header) return <div className="detail-loading">{t('sessions.loading')}</div>;
  const open = (turn: SessionTurn, mode: 'context' | 'diff') => {
    setAgainst(null);
    setPanel(panel?.turn.id === turn.id && panel.mode === mode ? null : { turn, mode });
  };
  const idOfTurn = (n: number) => turns[n - 1]?.id ?? null;
  return (
    <div className="session" data-testid="session-view">
      <h2>
        {t('sessions.title')}{' '}
        <span className="mono muted" data-captured>
          {sessionKey}
        </span>
      </h2>
      <SessionExportLinks sessionKey={sessionKey} />
      <HeaderFigures header={header} />
      {cut && <p className="session-note warning">{t('sessions.header.cut', { count: total })}</p>}
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'turns'}
          className={tab === 'turns' ? 'tab active' : 'tab'}
          onClick={() => setTab('turns')}
        >
          {t('sessions.header.calls', { count: total })}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'loop'}
          className={tab === 'loop' ? 'tab active' : 'tab'}
          onClick={() => setTab('loop')}
        >
          {t('sessions.loop.title')}
        </button>
      </div>
      <div className={panel ? 'session-body with-panel' : 'session-body'}>
        {tab === 'turns' ? (
          <TurnList turns={turns} total={total} loading={loading} onEndReached={loadMore} panel={panel} onOpen={open} />
        ) : (
          <AgentLoop turns={turns} total={total} loading={loading} onEndReached={loadMore} />
        )}
        {panel && (
          <aside className="session-panel" data-testid="session-panel">
            <button type="button" className="button small" onClick={() => setPanel(null)}>
              {t('sessions.turn.hide')}
            </button>
            {panel.mode === 'context' ? (
              <TurnContextView sessionKey={sessionKey} turnId={panel.turn.id} turnNumber={panel.turn.index + 1} />
            ) : (
              <TurnDiffView
                sessionKey={sessionKey}
                turnId={panel.turn.id}
                against={against}
                onAgainst={setAgainst}
                idOfTurn={idOfTurn}
              />
            )}
          </aside>
        )}
      </div>
    </div>
  );
}

/** Calls a loader when the rows on screen near the end of what is loaded. */
function useEndReached(
  lastShown: number | undefined,
  loaded: number,
  total: number,
  loading: boolean,
  onEndReached: () => void,
) {
  useEffect(() => {
    if (lastShown !== undefined && lastShown >= loaded - 20 && loaded < total && !loading) onEndReached();
  }, [lastShown, loaded, total, loading, onEndReached]);
}

function TurnList({
  turns,
  total,
  loading,
  onEndReached,
  panel,
  onOpen,
}: {
  turns: SessionTurn[];
  total: number;
  loading: boolean;
  onEndReached: () => void;
  panel: Panel;
  onOpen: (turn: SessionTurn, mode: 'context' | 'diff') => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: turns.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => TURN_ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  useEndReached(items[items.length - 1]?.index, turns.length, total, loading, onEndReached);
  return (
    // Only the turns on screen are in the DOM: each says its place among all the session's turns.
    <div className="session-turns" ref={scrollRef} data-testid="session-turns">
      <ol className="virtual-list" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const turn = turns[item.index];
          return (
            <li
              key={turn.id}
              aria-setsize={total}
              aria-posinset={item.index + 1}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: TURN_ROW_HEIGHT,
                transform: `translateY(${item.start}px)`,
              }}
            >
              <TurnRow turn={turn} active={panel?.turn.id === turn.id ? panel.mode : null} onOpen={onOpen} />
            </li>
          );
        })}
      </ol>
    </div>
  );
}

export function TurnRow({
  turn,
  active,
  onOpen,
}: {
  turn: SessionTurn;
  active: 'context' | 'diff' | null;
  onOpen: (turn: SessionTurn, mode: 'context' | 'diff') => void;
}) {
  const { t, i18n } = useTranslation();
  const language = isLanguage(i18n.language) ? i18n.language : 'en';
  const last = turn.inputs[turn.inputs.length - 1];
  const usage = turn.usage;
  const diagnosis = turn.diagnosis
    ? turn.diagnosis.message
      ? renderDiagnosis(turn.diagnosis.message, language).summary
      : turn.diagnosis.summary
    : null;
  return (
    <div
      className={`turn-row${active ? ' active' : ''}`}
      data-testid="turn-row"
      data-turn={turn.index + 1}
      data-id={turn.id}
    >
      <div className="turn-head">
        <strong>{t('sessions.turn.label', { n: turn.index + 1 })}</strong>
        <span className="mono muted">{formatTime(turn.startedAt)}</span>
        <span className={`status ${statusClass(turn.status)}`}>{turn.status ?? '—'}</span>
        <span className="mono" data-captured>
          {turn.model ?? ''}
        </span>
        <span className="muted">
          {t('sessions.turn.tokens', {
            input: formatCount(usage.input ?? null),
            output: formatCount(usage.output ?? null),
            cache: formatCount(usage.cacheRead ?? null),
          })}
        </span>
        {turn.ttftMs !== null && (
          <span className="muted">{t('sessions.turn.ttft', { ms: formatDuration(turn.ttftMs) })}</span>
        )}
        <span className="muted">{formatDuration(turn.durationMs)}</span>
        {turn.cost && <CostBadge cost={turn.cost} />}
        <span className="turn-actions">
          <button
            type="button"
            className={active === 'context' ? 'button small active' : 'button small'}
            onClick={() => onOpen(turn, 'context')}
          >
            {t('sessions.turn.context')}
          </button>
          {turn.index > 0 && (
            <button
              type="button"
              className={active === 'diff' ? 'button small active' : 'button small'}
              onClick={() => onOpen(turn, 'diff')}
            >
              {t('sessions.turn.diff')}
            </button>
          )}
          <button type="button" className="button small" onClick={() => navigate(`/exchanges/${turn.id}`)}>
            {t('sessions.turn.openExchange')}
          </button>
        </span>
      </div>
      {diagnosis && (
        <div className={`turn-diagnosis ${turn.diagnosis!.severity}`} title={diagnosis}>
          {diagnosis}
        </div>
      )}
      <div className="turn-line" title={last?.text}>
        <span className="muted">{t('sessions.turn.input')}</span>{' '}
        {turn.requestCut ? (
          <span className="muted" data-testid="request-cut">
            {t('sessions.turn.requestCut', {
              size: formatSize(turn.requestCut.size),
              stored: formatSize(turn.requestCut.stored),
            })}
          </span>
        ) : last ? (
          <>
            <span className="muted">{t(`sessions.turn.role.${last.role}`)}</span>{' '}
            <span data-captured>{readableLine(last.text)}</span>
            {turn.inputCount > 1 && (
              <span className="muted"> {t('sessions.turn.moreInputs', { count: turn.inputCount - 1 })}</span>
            )}
          </>
        ) : null}
      </div>
      <div className="turn-line" title={turn.answer.text}>
        <span className="muted">{t('sessions.turn.answer')}</span>{' '}
        {turn.unread ? (
          <span className="muted">{t('sessions.turn.unread')}</span>
        ) : (
          <>
            {turn.answer.toolCalls.map((c, i) => (
              <span key={i} className="tool-chip mono" data-captured>
                {c.name}({c.arguments.length > 80 ? `${c.arguments.slice(0, 80)}…` : c.arguments})
              </span>
            ))}
            <span data-captured>{turn.answer.text}</span>
            {turn.answer.images > 0 && (
              <span className="muted"> {t('sessions.turn.images', { count: turn.answer.images })}</span>
            )}
            {turn.answer.reasoningChars > 0 && (
              <span className="muted"> {t('sessions.turn.reasoning', { count: turn.answer.reasoningChars })}</span>
            )}
            {!turn.answer.text && !turn.answer.toolCalls.length && (
              <span className="muted">{t('sessions.turn.noAnswer')}</span>
            )}
          </>
        )}
      </div>
    </div>
  );
}

/** Every tool call of the loaded turns with its result, in order. */
function AgentLoop({
  turns,
  total,
  loading,
  onEndReached,
}: {
  turns: SessionTurn[];
  total: number;
  loading: boolean;
  onEndReached: () => void;
}) {
  const { t } = useTranslation();
  const pairs: { turn: SessionTurn; pair: ToolPair }[] = turns.flatMap((turn) =>
    turn.tools.map((pair) => ({ turn, pair })),
  );
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: pairs.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LOOP_ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const lastTurn = items.length ? pairs[items[items.length - 1].index].turn.index : undefined;
  useEndReached(pairs.length ? lastTurn : turns.length - 1, turns.length, total, loading, onEndReached);
  if (!pairs.length && turns.length >= total) return <p className="muted">{t('sessions.loop.none')}</p>;
  return (
    // How many tool calls the session has is known once all its turns are read (-1: not yet).
    <div className="session-turns" ref={scrollRef} data-testid="agent-loop">
      <ol className="virtual-list" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const { turn, pair } = pairs[item.index];
          return (
            <li
              key={item.key}
              aria-setsize={turns.length >= total ? pairs.length : -1}
              aria-posinset={item.index + 1}
              className="loop-row"
              data-testid="loop-row"
              data-call={pair.callId ?? ''}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: LOOP_ROW_HEIGHT,
                transform: `translateY(${item.start}px)`,
              }}
            >
              <div className="turn-head">
                <span className="muted">{t('sessions.loop.inTurn', { n: turn.index + 1 })}</span>
                <span className="mono tool-chip" data-captured>
                  {pair.name}
                </span>
                <span className="mono muted" data-captured>
                  {pair.callId}
                </span>
                {pair.clientDelayMs !== null && pair.result !== null && (
                  <span className="muted">{t('sessions.loop.delay', { ms: formatDuration(pair.clientDelayMs) })}</span>
                )}
              </div>
              <div className="turn-line" title={pair.arguments}>
                <span className="muted">{t('sessions.loop.arguments')}</span>{' '}
                <span className="mono" data-captured>
                  {pair.arguments}
                </span>
              </div>
              <div className="turn-line" title={pair.result ?? ''} data-testid="loop-result">
                <span className="muted">{t('sessions.loop.result')}</span>{' '}
                {pair.result !== null ? (
                  <span className="mono" data-captured>
                    {readableLine(pair.result)}
                  </span>
                ) : (
                  <span className="muted">{t('sessions.loop.noResult')}</span>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
