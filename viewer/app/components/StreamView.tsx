import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Exchange } from '../../../model/exchange.ts';
import { fetchEvents, type SseEvent, type WsMessageView } from '../api.ts';
import { tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';

type Item = { seq: number; offsetMs: number; title: string; direction?: 'send' | 'receive'; text: string | null; base64: string | null };

const OPCODES: Record<number, string> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

function fromSse(e: SseEvent): Item {
  return { seq: e.seq, offsetMs: e.offsetMs, title: e.event ?? 'message', text: e.data, base64: null };
}

function fromWs(m: WsMessageView): Item {
  return { seq: m.seq, offsetMs: m.offsetMs, title: OPCODES[m.opcode] ?? `opcode ${m.opcode}`, direction: m.direction, text: m.text, base64: m.base64 };
}

/** When data arrived: one tick per event on a time axis, so first byte, gaps and stalls show at a glance. */
function EventChart({ items, endMs }: { items: Item[]; endMs: number }) {
  const span = Math.max(endMs, items[items.length - 1]?.offsetMs ?? 0, 1);
  let widestGap = { from: 0, to: 0 };
  for (let i = 1; i < items.length; i++) {
    if (items[i].offsetMs - items[i - 1].offsetMs > widestGap.to - widestGap.from) widestGap = { from: items[i - 1].offsetMs, to: items[i].offsetMs };
  }
  const x = (ms: number) => (ms / span) * 1000;
  return (
    <figure className="event-chart">
      <svg viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label={`${items.length} events over ${Math.round(span)} ms`}>
        {widestGap.to > widestGap.from && <rect x={x(widestGap.from)} width={x(widestGap.to) - x(widestGap.from)} y="0" height="40" className="gap" />}
        {items.map((item) => (
          <line key={item.seq} x1={x(item.offsetMs)} x2={x(item.offsetMs)} y1={item.direction === 'send' ? 22 : 4} y2={item.direction === 'send' ? 36 : 20} className={item.direction ?? 'receive'} />
        ))}
      </svg>
      <figcaption className="muted">
        first event +{Math.round(items[0]?.offsetMs ?? 0)} ms · last +{Math.round(items[items.length - 1]?.offsetMs ?? 0)} ms
        {widestGap.to > widestGap.from && ` · longest gap ${Math.round(widestGap.to - widestGap.from)} ms (shaded)`}
      </figcaption>
    </figure>
  );
}

function EventBody({ item }: { item: Item }) {
  const [open, setOpen] = useState(false);
  if (item.text === null) return <pre className="event-data mono">{item.base64 ? `base64: ${item.base64.slice(0, 2000)}` : ''}</pre>;
  const json = tryJson(item.text);
  if (json === undefined || typeof json !== 'object' || json === null) return <pre className="event-data mono">{item.text}</pre>;
  return open ? (
    <div className="event-data" onDoubleClick={() => setOpen(false)}>
      <JsonTree value={json} openDepth={2} />
    </div>
  ) : (
    <pre className="event-data mono clickable" title="Click to expand" onClick={() => setOpen(true)}>
      {item.text}
    </pre>
  );
}

/** SSE events or WebSocket messages, growing live while the stream is open and following its tail. */
export function StreamView({ exchange, version }: { exchange: Exchange; version: number }) {
  // A new exchange gets a new StreamView (the detail pane is keyed by id): no reset needed here.
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
      (err: Error) => !cancelled && setFailure(`could not read the events: ${err.message}`),
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
        {items.length} {exchange.streamKind === 'sse' ? 'events' : 'messages'}
        {open ? ' · open, new ones appear as they arrive' : ` · ${exchange.state}`}
      </div>
      {failure && <div className="banner warn">{failure}</div>}
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
              {item.direction && <span className={`direction ${item.direction}`}>{item.direction === 'send' ? '↑ sent' : '↓ received'}</span>}
              <span className="event-name">{item.title}</span>
            </div>
            <EventBody item={item} />
          </div>
        ))}
      </div>
    </div>
  );
}
