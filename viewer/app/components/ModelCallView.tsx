import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { ModelCall, ModelImage, ToolCall, Turn } from '../../../llm/model-call.ts';
import { formatDuration, tryJson, usageFigures } from '../format.ts';
import { AgentSteps } from './AgentSteps.tsx';
import { CostBadge } from './CostBadge.tsx';
import type { CallCost } from '../../../llm/cost.ts';
import { ImageThumb } from './ImageThumb.tsx';
import { JsonTree } from './JsonTree.tsx';

function ToolCallBox({ call }: { call: ToolCall }) {
  const { t } = useTranslation();
  const args = tryJson(call.arguments);
  return (
    <div className="tool-call">
      <div className="tool-call-head">
        {call.name ? (
          <span className="tool-name mono" data-captured>
            {call.name}
          </span>
        ) : (
          <span className="tool-name mono">{t('modelCall.unnamedTool')}</span>
        )}
        {call.id && (
          <span className="muted mono" data-captured>
            {call.id}
          </span>
        )}
      </div>
      {args !== undefined && typeof args === 'object' && args !== null ? (
        <JsonTree value={args} openDepth={3} />
      ) : (
        <pre className="mono" data-captured>
          {call.arguments}
        </pre>
      )}
    </div>
  );
}

function Bubble({ turn }: { turn: Turn }) {
  const { t } = useTranslation();
  return (
    <div className={`bubble ${turn.role}`} data-role={turn.role}>
      <div className="bubble-role">
        {t(`modelCall.role.${turn.role}`, { defaultValue: turn.role })}
        {turn.toolCallId ? (
          <span className="muted mono" data-captured>
            {' '}
            · {turn.toolCallId}
          </span>
        ) : null}
      </div>
      {turn.text && (
        <div className="bubble-text" data-captured>
          {turn.text}
        </div>
      )}
      {turn.toolCalls?.map((call, i) => (
        <ToolCallBox key={i} call={call} />
      ))}
      {turn.steps && <AgentSteps answer={turn} history />}
    </div>
  );
}

/** The images sent, or those the answer returned, each a thumbnail that opens full size. */
function ImageStrip({
  images,
  label,
  testId,
}: {
  images: ModelImage[];
  label: 'images.sent' | 'images.returned';
  testId: string;
}) {
  const { t } = useTranslation();
  if (images.length === 0) return null;
  return (
    <section className="images" data-testid={testId} aria-label={t(label, { count: images.length })}>
      <div className="bubble-role">{t(label, { count: images.length })}</div>
      {images.map((image, i) => (
        <ImageThumb key={i} image={image} />
      ))}
    </section>
  );
}

/** One tab per choice when the request asked for several (`n`, `candidateCount`). */
function ChoiceTabs({ count, selected, onSelect }: { count: number; selected: number; onSelect: (i: number) => void }) {
  const { t } = useTranslation();
  return (
    <div className="tabs choices" role="tablist" aria-label={t('modelCall.choices')}>
      {Array.from({ length: count }, (_, i) => (
        <button
          key={i}
          type="button"
          role="tab"
          aria-selected={i === selected}
          className={i === selected ? 'tab active' : 'tab'}
          onClick={() => onSelect(i)}
        >
          {t('modelCall.choice', { index: i })}
        </button>
      ))}
    </div>
  );
}

/** A captured exchange as a model call: the conversation sent, the answer rebuilt, the figures. */
interface Props {
  /** With its cost when the API priced it (viewer/api-app.ts: the provider's figure, estimated, or unknown and why). */
  call: ModelCall & { cost?: CallCost };
  onRawEvents: (() => void) | null;
  /** Calls in this one's agent session, and how to list just them. */
  threadSize: number;
  onShowThread: (() => void) | null;
}

export function ModelCallView({ call, onRawEvents, threadSize, onShowThread }: Props) {
  const { t } = useTranslation();
  const [choice, setChoice] = useState(0);
  const answer = call.choices?.[choice] ?? call.answer;
  const figures: [string, string | number | undefined | null][] = [
    ...usageFigures(call.usage, t),
    [t('modelCall.timeToFirstToken'), call.ttftMs === null ? null : formatDuration(call.ttftMs)],
    [t('modelCall.duration'), call.totalMs === null ? null : formatDuration(call.totalMs)],
    [t('modelCall.tokensPerSecond'), call.outputTokensPerSecond],
  ];
  return (
    <div className="model-call" data-testid="model-call">
      <div className="call-head">
        <span className="dialect" translate="no">
          {call.dialect}
        </span>
        {call.requestedModel ? (
          <span className="mono" data-captured>
            {call.requestedModel}
          </span>
        ) : (
          <span className="mono">{t('modelCall.noModel')}</span>
        )}
        {call.respondedModel && call.respondedModel !== call.requestedModel && (
          <span className="mono muted">
            <Trans
              t={t}
              i18nKey="modelCall.answeredBy"
              components={{ model: <span data-captured>{call.respondedModel}</span> }}
            />
          </span>
        )}
        <span className={`ending ${call.ending}`}>{t(`modelCall.ending.${call.ending}`)}</span>
        {call.cost && <CostBadge cost={call.cost} labelled />}
        {onRawEvents && (
          <button type="button" className="button small" onClick={onRawEvents}>
            {t('modelCall.rawEvents')}
          </button>
        )}
        {onShowThread && threadSize > 1 && (
          <button type="button" className="button small" onClick={onShowThread}>
            {t('modelCall.thread', { count: threadSize })}
          </button>
        )}
      </div>
      {/* Written by llm/ from the provider's own error: shown as captured, not translated here. */}
      {call.endingReason && (
        <div className={`banner ${call.ending === 'error' ? 'error' : 'warn'}`} data-captured>
          {call.endingReason}
        </div>
      )}
      <dl className="figures">
        {figures
          .filter(([, value]) => value !== undefined && value !== null)
          .map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </div>
          ))}
      </dl>
      {call.usageAsSent !== undefined && (
        <details className="usage-as-sent" data-testid="usage-as-sent">
          <summary>{t('modelCall.usageAsSent')}</summary>
          <JsonTree value={call.usageAsSent} openDepth={2} />
        </details>
      )}
      {call.toolsOffered.length > 0 && (
        <p className="muted">
          {t('modelCall.toolsOffered')} <span data-captured>{call.toolsOffered.join(', ')}</span>
        </p>
      )}
      {call.modelsListed && (
        <p>
          {t('modelCall.modelsListed')} <span data-captured>{call.modelsListed.join(', ')}</span>
        </p>
      )}
      <div className="conversation">
        {call.conversation.map((turn, i) => (
          <Bubble key={i} turn={turn} />
        ))}
        <ImageStrip
          images={call.images?.filter((image) => image.side === 'request') ?? []}
          label="images.sent"
          testId="images-sent"
        />
        {call.dialect !== 'models' && call.dialect !== 'embeddings' && (
          <div className="bubble assistant answer" data-role="answer">
            {call.choices && <ChoiceTabs count={call.choices.length} selected={choice} onSelect={setChoice} />}
            <div className="bubble-role">
              {t('modelCall.answer')}
              {answer.finishReason ? (
                <span className="muted" data-captured>
                  {' '}
                  · {answer.finishReason}
                </span>
              ) : null}
            </div>
            {answer.reasoning && (
              <details className="reasoning">
                <summary>{t('modelCall.reasoning', { count: answer.reasoning.length })}</summary>
                <div className="bubble-text" data-captured>
                  {answer.reasoning}
                </div>
              </details>
            )}
            {answer.refusal && (
              <div className="banner warn">
                {t('modelCall.refusal')} <span data-captured>{answer.refusal}</span>
              </div>
            )}
            <AgentSteps answer={answer} />
            <div className="bubble-text" data-testid="answer-text" data-captured>
              {answer.text}
            </div>
            <ImageStrip
              images={
                call.images?.filter(
                  (image) => image.side === 'response' && (!call.choices || image.index === choice),
                ) ?? []
              }
              label="images.returned"
              testId="images-returned"
            />
            {answer.toolCalls.map((c, i) => (
              <ToolCallBox key={i} call={c} />
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
