import { useState } from 'react';
import type { ModelCall, ToolCall, Turn } from '../../../llm/model-call.ts';
import { USAGE_FIELDS } from '../../../model/usage.ts';
import { formatDuration, tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';

function ToolCallBox({ call }: { call: ToolCall }) {
  const args = tryJson(call.arguments);
  return (
    <div className="tool-call">
      <div className="tool-call-head">
        <span className="tool-name mono">{call.name || '(unnamed tool)'}</span>
        {call.id && <span className="muted mono">{call.id}</span>}
      </div>
      {args !== undefined && typeof args === 'object' && args !== null ? <JsonTree value={args} openDepth={3} /> : <pre className="mono">{call.arguments}</pre>}
    </div>
  );
}

function Bubble({ turn }: { turn: Turn }) {
  return (
    <div className={`bubble ${turn.role}`} data-role={turn.role}>
      <div className="bubble-role">
        {turn.role}
        {turn.toolCallId ? <span className="muted mono"> · {turn.toolCallId}</span> : null}
      </div>
      {turn.text && <div className="bubble-text">{turn.text}</div>}
      {turn.toolCalls?.map((call, i) => <ToolCallBox key={i} call={call} />)}
    </div>
  );
}

/** One tab per choice when the request asked for several (`n`, `candidateCount`). */
function ChoiceTabs({ count, selected, onSelect }: { count: number; selected: number; onSelect: (i: number) => void }) {
  return (
    <div className="tabs choices" role="tablist" aria-label="choices">
      {Array.from({ length: count }, (_, i) => (
        <button key={i} type="button" role="tab" aria-selected={i === selected} className={i === selected ? 'tab active' : 'tab'} onClick={() => onSelect(i)}>
          choice {i}
        </button>
      ))}
    </div>
  );
}

const ENDINGS: Record<ModelCall['ending'], string> = {
  complete: 'complete',
  open: 'streaming…',
  truncated: 'cut off',
  error: 'error',
};

/** A captured exchange as a model call: the conversation sent, the answer rebuilt, the figures. */
interface Props {
  call: ModelCall;
  onRawEvents: (() => void) | null;
  /** Calls in this one's agent session, and how to list just them. */
  threadSize: number;
  onShowThread: (() => void) | null;
}

export function ModelCallView({ call, onRawEvents, threadSize, onShowThread }: Props) {
  const { usage } = call;
  const [choice, setChoice] = useState(0);
  const answer = call.choices?.[choice] ?? call.answer;
  const figures: [string, string | number | undefined | null][] = [
    ...USAGE_FIELDS.map(([key, label]): [string, number | undefined] => [label, usage[key]]),
    ['time to first token', call.ttftMs === null ? null : formatDuration(call.ttftMs)],
    ['duration', call.totalMs === null ? null : formatDuration(call.totalMs)],
    ['output tokens/s (computed)', call.outputTokensPerSecond],
  ];
  return (
    <div className="model-call" data-testid="model-call">
      <div className="call-head">
        <span className="dialect">{call.dialect}</span>
        <span className="mono">{call.requestedModel ?? '(no model named)'}</span>
        {call.respondedModel && call.respondedModel !== call.requestedModel && <span className="mono muted">→ answered by {call.respondedModel}</span>}
        <span className={`ending ${call.ending}`}>{ENDINGS[call.ending]}</span>
        {onRawEvents && (
          <button type="button" className="button small" onClick={onRawEvents}>
            Raw events
          </button>
        )}
        {onShowThread && threadSize > 1 && (
          <button type="button" className="button small" onClick={onShowThread}>
            Thread: {threadSize} calls
          </button>
        )}
      </div>
      {call.endingReason && <div className={`banner ${call.ending === 'error' ? 'error' : 'warn'}`}>{call.endingReason}</div>}
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
          <summary>usage as the provider sent it</summary>
          <JsonTree value={call.usageAsSent} openDepth={2} />
        </details>
      )}
      {call.toolsOffered.length > 0 && <p className="muted">Tools offered: {call.toolsOffered.join(', ')}</p>}
      {call.modelsListed && <p>Models listed: {call.modelsListed.join(', ')}</p>}
      <div className="conversation">
        {call.conversation.map((turn, i) => (
          <Bubble key={i} turn={turn} />
        ))}
        {(call.dialect !== 'models' && call.dialect !== 'embeddings') && (
          <div className="bubble assistant answer" data-role="answer">
            {call.choices && <ChoiceTabs count={call.choices.length} selected={choice} onSelect={setChoice} />}
            <div className="bubble-role">
              answer{answer.finishReason ? <span className="muted"> · {answer.finishReason}</span> : null}
            </div>
            {answer.reasoning && (
              <details className="reasoning">
                <summary>reasoning ({answer.reasoning.length} characters)</summary>
                <div className="bubble-text">{answer.reasoning}</div>
              </details>
            )}
            {answer.refusal && <div className="banner warn">Refusal: {answer.refusal}</div>}
            <div className="bubble-text" data-testid="answer-text">
              {answer.text}
            </div>
            {answer.toolCalls.map((c, i) => (
              <ToolCallBox key={i} call={c} />
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
