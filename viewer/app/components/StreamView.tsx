import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Exchange } from '../../../model/exchange.ts';
import { fetchEvents, type SseEvent, type WsMessageView } from '../api.ts';
import { stateLabel, tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';

/** An SSE event is titled by its event name (the stream's own word); a WebSocket message by its frame's opcode. */
type Item = { seq: number; offsetMs: number; event?: string; opcode?: number; direction?: 'send' | 'receive'; text: string | null; base64: string | null };

const OPCODES: Record<number, string> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

function fromSse(e: SseEvent): Item {
  // "message" is what SSE calls an event that names none.
  return { seq: e.seq, offsetMs: e.offsetMs, event: e.event ?? 'message', text: e.data, base64: null };
}

function fromWs(m: WsMessageView): Item {
  return { seq: m.seq, offsetMs: m.offsetMs, opcode: m.opcode, direction: m.direction, text: m.text, base64: m.base64 };
}

function ItemTitle({ item }: { item: Item }) {
  const { t } = useTranslation();
  if (item.event !== undefined)
    return (
      <span className="event-name" data-captured>
        {item.event}
      </span>
    );
  const opcode = OPCODES[item.opcode ?? -1];
  return <span className="event-name">{opcode ? t(`stream.opcode.${opcode}`) : t('stream.opcode.other', { code: item.opcode })}</span>;
}

/** When data arrived: one tick per event on a time axis, so first byte, gaps and stalls show at a glance. */
function EventChart({ items, endMs }: { items: Item[]; endMs: number }) {
  const { t } = useTranslation();
  const span = Math.max(endMs, items[items.length - 1]?.offsetMs ?? 0, 1);
  let widestGap = { from: 0, to: 0 };
  for (let i = 1; i < items.length; i++) {
    if (items[i].offsetMs - items[i - 1].offsetMs > widestGap.to - widestGap.from) widestGap = { from: items[i - 1].offsetMs, to: items[i].offsetMs };
  }
  const x = (ms: number) => (ms / span) * 1000;
  return (
    <figure className="event-chart">
      <svg viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label={t('stream.chart', { count: items.length, ms: Math.round(span) })}>
        {widestGap.to > widestGap.from && <rect x={x(widestGap.from)} width={x(widestGap.to) - x(widestGap.from)} y="0" height="40" className="gap" />}
        {items.map((item) => (
          <line key={item.seq} x1={x(item.offsetMs)} x2={x(item.offsetMs)} y1={item.direction === 'send' ? 22 : 4} y2={item.direction === 'send' ? 36 : 20} className={item.direction ?? 'receive'} />
        ))}
      </svg>
      <figcaption className="muted">
        {t('stream.timing', { first: Math.round(items[0]?.offsetMs ?? 0), last: Math.round(items[items.length - 1]?.offsetMs ?? 0) })}
        {widestGap.to > widestGap.from && t('stream.longestGap', { gap: Math.round(widestGap.to - widestGap.from) })}
      </figcaption>
    </figure>
  );
}

function EventBody({ item }: { item: Item }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  if (item.text === null)
    return (
      <pre className="event-data mono" data-captured>
        {item.base64 ? `base64: ${item.base64.slice(0, 2000)}` : ''}
      </pre>
    );
  const json = tryJson(item.text);
  if (json === undefined || typeof json !== 'object' || json === null)
    return (
      <pre className="event-data mono" data-captured>
        {item.text}
      </pre>
    );
  return open ? (
    <div className="event-data" onDoubleClick={() => setOpen(false)}>
      <JsonTree value={json} openDepth={2} />
    </div>
  ) : (
    <pre className="event-data mono clickable" title={t('stream.expand')} onClick={() => setOpen(true)} data-captured>
      {item.text}
    </pre>
  );
}

/** SSE events or WebSocket messages, growing live while the stream is open and following its tail. */
export function StreamView({ exchange, version }: { exchange: Exchange; version: number }) {
  // A new exchange gets a new StreamView (the detail pane is keyed by id): no reset needed here.
  const { t } = useTranslation();
  const [items, setItems] = useState<Item[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const lastSeq = useRef(-1);
  const listRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    let cancelled = false;
    fetchEvents(exchange.id, lastSeq.current).then(
      (res) => {
        if (cancelled) return;
        setFailure(null);
        const fresh = [...res.sseEvents.map(fromSse), ...res.wsMessages.map(fromWs)].filter((i) => i.seq > lastSeq.current);
        if (fresh.length === 0) return;
        lastSeq.current = fresh[fresh.length - 1].seq;
        setItems((current) => [...current, ...fresh]);
      },
      // The next change the live feed reports asks again.
      (err: Error) => !cancelled && setFailure(err.message),
    );
    return () => {
      cancelled = true;
    };
  }, [exchange.id, version]);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && follow.current) list.scrollTop = list.scrollHeight;
  }, [items]);

  const open = exchange.state === 'streaming' || exchange.state === 'pending';
  return (
    <div className="stream">
      <EventChart items={items} endMs={exchange.timings.end ?? items[items.length - 1]?.offsetMs ?? 0} />
      <div className="stream-status muted">
        {t(exchange.streamKind === 'sse' ? 'stream.events' : 'stream.messages', { count: items.length })}
        {open ? t('stream.open') : ` · ${stateLabel(exchange.state, t)}`}
      </div>
      {failure && <div className="banner warn">{t('stream.failed', { error: failure })}</div>}
      <div
        className="event-list"
        ref={listRef}
        data-testid="stream-events"
        onScroll={(e) => {
          const el = e.currentTarget;
          // Following the tail until the user scrolls away from the bottom.
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {items.map((item) => (
          <div key={item.seq} className={`event ${item.direction ?? ''}`} data-seq={item.seq}>
            <div className="event-head">
              <span className="mono event-time">+{item.offsetMs.toFixed(1)} ms</span>
              {item.direction && <span className={`direction ${item.direction}`}>{t(item.direction === 'send' ? 'stream.sent' : 'stream.received')}</span>}
              <ItemTitle item={item} />
            </div>
            <EventBody item={item} />
          </div>
        ))}
      </div>
    </div>
  );
}
