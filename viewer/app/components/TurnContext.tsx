// One turn's request context in structure (llm/turn-context.ts): system prompt, every tool with its
// schema (folded), the message history by message and block (long blocks folded, JSON as a tree),
// reasoning settings, cache breakpoints and previous_response_id. The history is virtualized: a
// late turn of a long session holds a thousand messages.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { readableJson } from '../readable-json.ts';
import {
  fetchTurnContext,
  type ContextBlock,
  type ContextMessage,
  type ContextTool,
  type TurnContextAnswer,
} from '../session-data.ts';
import { JsonTree } from './JsonTree.tsx';

/** Characters of a block shown before it is unfolded. */
const FOLD_AT = 600;

export function BlockView({ block }: { block: ContextBlock }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  // JSON (a tool's result, a call's arguments) read as text: its escaped strings unescaped, JSON inside strings read too.
  const text = useMemo(() => (block.json ? (readableJson(block.text) ?? block.text) : block.text), [block]);
  const long = text.length > FOLD_AT;
  return (
    <div className={`ctx-block ${block.kind}`} data-kind={block.kind}>
      <div className="ctx-block-head muted">
        {/* The part's own type as the request names it (input_text, tool_use), else its kind in the user's language. */}
        {block.type ? (
          <span className="mono" data-captured>
            {block.type}
          </span>
        ) : (
          <span>{t(`sessions.context.kind.${block.kind}`)}</span>
        )}
        {block.name && (
          <span className="mono" data-captured>
            {block.name}
          </span>
        )}
        {block.callId && (
          <span className="mono" data-captured>
            {block.callId}
          </span>
        )}
        {block.cacheBreakpoint && <span className="badge info">{t('sessions.context.cacheBreakpoint')}</span>}
      </div>
      <pre className="ctx-text" data-captured>
        {long && !open ? `${text.slice(0, FOLD_AT)}…` : text}
      </pre>
      {long && (
        <button type="button" className="link-button" onClick={() => setOpen(!open)}>
          {open ? t('sessions.context.fold') : t('sessions.context.unfold', { count: text.length })}
        </button>
      )}
    </div>
  );
}

export function MessageView({ message, index }: { message: ContextMessage; index: number }) {
  const { t } = useTranslation();
  return (
    <div className={`ctx-message role-${message.role}`} data-role={message.role}>
      <div className="bubble-role">
        {t('sessions.diff.messageAt', { n: index + 1 })} · <span data-captured>{message.role}</span>
      </div>
      {message.blocks.map((block, i) => (
        <BlockView key={i} block={block} />
      ))}
    </div>
  );
}

export function ToolView({ tool }: { tool: ContextTool }) {
  const { t } = useTranslation();
  return (
    <details className="ctx-tool">
      <summary>
        <span className="mono" data-captured>
          {tool.name}
        </span>{' '}
        <span className="muted mono" data-captured>
          {tool.type}
        </span>
        {tool.cacheBreakpoint && <span className="badge info">{t('sessions.context.cacheBreakpoint')}</span>}
        {tool.description && (
          <span className="muted ctx-tool-description" data-captured>
            {' '}
            {tool.description.length > 160 ? `${tool.description.slice(0, 160)}…` : tool.description}
          </span>
        )}
      </summary>
      {tool.description && tool.description.length > 160 && (
        <pre className="ctx-text" data-captured>
          {tool.description}
        </pre>
      )}
      {tool.schema !== null && typeof tool.schema === 'object' ? (
        <JsonTree value={tool.schema} openDepth={3} />
      ) : (
        <p className="muted">{t('sessions.context.noSchema')}</p>
      )}
    </details>
  );
}

/** The history in a scroll box of its own, only the messages on screen in the page. */
function MessageList({ messages }: { messages: ContextMessage[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 90,
    overscan: 6,
  });
  // Opened at the end: the newest messages are what a turn added.
  useEffect(() => {
    if (messages.length) virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
  }, [messages.length, virtualizer]);
  return (
    <div className="ctx-messages" ref={scrollRef} data-testid="context-messages">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
          >
            <MessageView message={messages[item.index]} index={item.index} />
          </div>
        ))}
      </div>
    </div>
  );
}

export function TurnContextView({
  sessionKey,
  turnId,
  turnNumber,
}: {
  sessionKey: string;
  turnId: number;
  turnNumber: number;
}) {
  const { t } = useTranslation();
  const [answer, setAnswer] = useState<TurnContextAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setAnswer(null);
    setError(null);
    fetchTurnContext(sessionKey, turnId).then(setAnswer, (err: Error) => setError(err.message));
  }, [sessionKey, turnId]);
  if (error) return <div className="detail-error">{t('sessions.error', { error })}</div>;
  if (!answer) return <div className="detail-loading">{t('sessions.loading')}</div>;
  const context = answer.context;
  if (!context) return <p className="muted">{t('sessions.context.notAModelCall')}</p>;
  return (
    <section
      className="turn-context"
      data-testid="turn-context"
      aria-label={t('sessions.context.title', { n: turnNumber })}
    >
      <h3>{t('sessions.context.title', { n: turnNumber })}</h3>
      {context.previousResponseId && (
        <p className="muted">
          {t('sessions.context.previousResponse')}:{' '}
          <span className="mono" data-captured>
            {context.previousResponseId}
          </span>{' '}
          · {t('sessions.context.previousResponseHint')}
        </p>
      )}
      <h4>{t('sessions.context.system')}</h4>
      {context.system.length ? (
        context.system.map((block, i) => <BlockView key={i} block={block} />)
      ) : (
        <p className="muted">{t('sessions.context.noSystem')}</p>
      )}
      <h4>{t('sessions.context.tools', { count: context.tools.length })}</h4>
      {context.tools.map((tool, i) => (
        <ToolView key={i} tool={tool} />
      ))}
      {context.reasoning !== null && (
        <>
          <h4>{t('sessions.context.reasoning')}</h4>
          <pre className="ctx-text" data-captured>
            {JSON.stringify(context.reasoning, null, 2)}
          </pre>
        </>
      )}
      {Object.keys(context.settings).length > 0 && (
        <>
          <h4>{t('sessions.context.settings')}</h4>
          <pre className="ctx-text" data-captured>
            {JSON.stringify(context.settings, null, 2)}
          </pre>
        </>
      )}
      {context.cacheBreakpoints.length > 0 && (
        <p className="muted">
          {t('sessions.context.cacheBreakpoints')}: {context.cacheBreakpoints.join(' · ')}
        </p>
      )}
      <h4>{t('sessions.context.messages', { count: context.messages.length })}</h4>
      <MessageList messages={context.messages} />
    </section>
  );
}
