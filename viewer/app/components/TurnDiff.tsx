// What one turn sent differently from another (llm/turn-diff.ts): system blocks, tools, messages
// by message and block, settings; earlier messages dropped or rewritten called out (compaction,
// truncation), a Responses chain said as such, and the input tokens each turn's provider reported.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatCount } from '../format.ts';
import { fetchTurnDiff, type BlockChange, type MessageChange, type TurnDiffAnswer } from '../session-data.ts';
import { BlockView, MessageView, ToolView } from './TurnContext.tsx';

/** Message changes shown at once; more on request (the first turn against the last is a thousand). */
const CHANGES_SHOWN = 100;

function BlockChangeView({ change }: { change: BlockChange }) {
  const { t } = useTranslation();
  return (
    <div className={`diff-item ${change.kind}`} data-change={change.kind}>
      <div className="muted">
        {t(`sessions.diff.${change.kind}`)} · {t('sessions.diff.blockAt', { n: change.index + 1 })}
      </div>
      {change.before && change.kind === 'changed' && (
        <div className="diff-before">
          <BlockView block={change.before} />
        </div>
      )}
      {(change.after ?? change.before) && <BlockView block={(change.after ?? change.before)!} />}
    </div>
  );
}

function MessageChangeView({ change }: { change: MessageChange }) {
  const { t } = useTranslation();
  if (change.kind !== 'changed') {
    return (
      <div className={`diff-item ${change.kind}`} data-change={change.kind} data-testid="diff-message">
        <div className="diff-label">{t(`sessions.diff.${change.kind}`)}</div>
        <MessageView message={change.message} index={change.index} />
      </div>
    );
  }
  return (
    <div className="diff-item changed" data-change="changed" data-testid="diff-message">
      <div className="diff-label">
        {t('sessions.diff.changed')} · {t('sessions.diff.messageAt', { n: change.index + 1 })} ·{' '}
        <span data-captured>{change.role}</span>
      </div>
      {change.blocks.map((block, i) => (
        <BlockChangeView key={i} change={block} />
      ))}
    </div>
  );
}

function TokensLine({ answer }: { answer: TurnDiffAnswer }) {
  const { t } = useTranslation();
  const { a, b } = answer;
  if (a.inputTokens === null || b.inputTokens === null) return null;
  const delta = b.inputTokens - a.inputTokens;
  const params = { a: formatCount(a.inputTokens), b: formatCount(b.inputTokens), delta: formatCount(Math.abs(delta)) };
  return (
    <p className="muted">{delta >= 0 ? t('sessions.diff.tokens', params) : t('sessions.diff.tokensFewer', params)}</p>
  );
}

export function TurnDiffView({
  sessionKey,
  turnId,
  against,
  onAgainst,
  idOfTurn,
}: {
  sessionKey: string;
  turnId: number;
  against: number | null;
  onAgainst: (turnNumber: number | null) => void;
  idOfTurn: (turnNumber: number) => number | null;
}) {
  const { t } = useTranslation();
  const [answer, setAnswer] = useState<TurnDiffAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState(CHANGES_SHOWN);
  const againstId = against === null ? undefined : (idOfTurn(against) ?? undefined);
  useEffect(() => {
    setAnswer(null);
    setError(null);
    setShown(CHANGES_SHOWN);
    fetchTurnDiff(sessionKey, turnId, againstId).then(setAnswer, (err: Error) => setError(err.message));
  }, [sessionKey, turnId, againstId]);

  const picker = (
    <label className="diff-picker">
      {t('sessions.diff.compareWith')}{' '}
      <input
        type="number"
        min={1}
        value={against ?? (answer ? answer.a.index + 1 : '')}
        onChange={(e) => onAgainst(e.target.value ? Number(e.target.value) : null)}
        data-testid="diff-against"
      />
    </label>
  );
  if (error)
    return (
      <div>
        {picker}
        <div className="detail-error">{t('sessions.error', { error })}</div>
      </div>
    );
  if (!answer) return <div className="detail-loading">{t('sessions.loading')}</div>;
  const { diff } = answer;
  const nothing =
    !diff.system.length &&
    !diff.tools.added.length &&
    !diff.tools.removed.length &&
    !diff.tools.changed.length &&
    !diff.messages.changes.length &&
    !diff.settings.length &&
    !diff.reasoning &&
    !diff.previousResponseId;
  const turns = { a: answer.a.index + 1, b: answer.b.index + 1 };
  return (
    <section className="turn-diff" data-testid="turn-diff" aria-label={t('sessions.diff.title', turns)}>
      <h3>{t('sessions.diff.title', turns)}</h3>
      {picker}
      <TokensLine answer={answer} />
      {diff.messages.chained && <p className="session-note">{t('sessions.diff.chained', turns)}</p>}
      {diff.earlierChanged && (
        <p className="session-note warning" data-testid="compaction">
          {t('sessions.diff.compaction', { ...diff.earlierChanged, a: turns.a })}
        </p>
      )}
      {nothing && <p className="muted">{t('sessions.diff.noChange')}</p>}
      {diff.system.length > 0 && (
        <>
          <h4>{t('sessions.diff.system')}</h4>
          {diff.system.map((change, i) => (
            <BlockChangeView key={i} change={change} />
          ))}
        </>
      )}
      {(diff.tools.added.length > 0 || diff.tools.removed.length > 0 || diff.tools.changed.length > 0) && (
        <>
          <h4>
            {t('sessions.diff.tools')}{' '}
            <span className="muted">{t('sessions.diff.toolsUnchanged', { count: diff.tools.unchanged })}</span>
          </h4>
          {diff.tools.added.map((tool) => (
            <div key={`+${tool.name}`} className="diff-item added" data-change="added">
              <span className="diff-label">{t('sessions.diff.added')}</span> <ToolView tool={tool} />
            </div>
          ))}
          {diff.tools.removed.map((tool) => (
            <div key={`-${tool.name}`} className="diff-item removed" data-change="removed">
              <span className="diff-label">{t('sessions.diff.removed')}</span> <ToolView tool={tool} />
            </div>
          ))}
          {diff.tools.changed.map((change) => (
            <div key={`~${change.name}`} className="diff-item changed" data-change="changed">
              <span className="diff-label">{t('sessions.diff.changed')}</span>
              <div className="diff-before">
                <ToolView tool={change.before} />
              </div>
              <ToolView tool={change.after} />
            </div>
          ))}
        </>
      )}
      {(diff.settings.length > 0 || diff.reasoning || diff.previousResponseId) && (
        <>
          <h4>{t('sessions.diff.settings')}</h4>
          <pre className="ctx-text" data-captured>
            {[
              ...diff.settings,
              ...(diff.reasoning ? [diff.reasoning] : []),
              ...(diff.previousResponseId ? [diff.previousResponseId] : []),
            ]
              .map((c) => `${c.key}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)
              .join('\n')}
          </pre>
        </>
      )}
      <h4>
        {t('sessions.diff.messages')}{' '}
        <span className="muted">{t('sessions.diff.unchanged', { count: diff.messages.unchanged })}</span>
      </h4>
      {diff.messages.changes.slice(0, shown).map((change, i) => (
        <MessageChangeView key={i} change={change} />
      ))}
      {diff.messages.changes.length > shown && (
        <button type="button" className="button small" onClick={() => setShown(shown + CHANGES_SHOWN)}>
          {t('sessions.diff.more', { count: Math.min(CHANGES_SHOWN, diff.messages.changes.length - shown) })}
        </button>
      )}
    </section>
  );
}
