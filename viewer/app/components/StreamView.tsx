import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Exchange } from '../../../model/exchange.ts';
import { fetchEvents, type SseEvent, type WsMessageView } from '../api-client.ts';
import { base64Info, numberRun, rawRows, RUN_MIN } from '../body-rows.ts';
import { formatSize, stateLabel, tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';
import { RawLines } from './RawLines.tsx';

/** Up to this many events are all in the DOM; past it only those on screen (a stream of 10,000 events stays one screen's worth). */
const ALL_IN_DOM = 200;
/** Ticks on the time axis at most: past it, events are counted per pixel column. */
const CHART_TICKS = 1000;
/** Event text longer than this shows its head until asked for the rest. */
const EVENT_HEAD = 20_000;
/** Strings in an event's pretty-printed JSON longer than this show their head. */
const STRING_HEAD = 500;

/** An SSE event is titled by its event name (the stream's own word); a WebSocket message by its frame's opcode. */
type Item = {
  seq: number;
  offsetMs: number;
  event?: string;
  opcode?: number;
  direction?: 'send' | 'receive';
  text: string | null;
  base64: string | null;
};

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
  return (
    <span className="event-name">
      {opcode ? t(`stream.opcode.${opcode}`) : t('stream.opcode.other', { code: item.opcode })}
    </span>
  );
}

/** When data arrived: one tick per event on a time axis, so first byte, gaps and stalls show at a glance. */
function EventChart({ items, endMs }: { items: Item[]; endMs: number }) {
  const { t } = useTranslation();
  const span = Math.max(endMs, items[items.length - 1]?.offsetMs ?? 0, 1);
  let widestGap = { from: 0, to: 0 };
  for (let i = 1; i < items.length; i++) {
    if (items[i].offsetMs - items[i - 1].offsetMs > widestGap.to - widestGap.from)
      widestGap = { from: items[i - 1].offsetMs, to: items[i].offsetMs };
  }
  const x = (ms: number) => (ms / span) * 1000;
  // One line per event while they are few; past CHART_TICKS one per column of the axis that has any (the DOM stays bounded).
  const ticks = useMemo(() => {
    if (items.length <= CHART_TICKS)
      return items.map((item) => ({ key: item.seq, at: item.offsetMs, direction: item.direction }));
    const seen = new Map<string, { key: string; at: number; direction?: 'send' | 'receive' }>();
    for (const item of items) {
      const key = `${Math.floor((item.offsetMs / span) * CHART_TICKS)}:${item.direction ?? ''}`;
      if (!seen.has(key)) seen.set(key, { key, at: item.offsetMs, direction: item.direction });
    }
    return [...seen.values()];
  }, [items, span]);
  return (
    <figure className="event-chart">
      <svg
        viewBox="0 0 1000 40"
        preserveAspectRatio="none"
        role="img"
        aria-label={t('stream.chart', { count: items.length, ms: Math.round(span) })}
      >
        {widestGap.to > widestGap.from && (
          <rect x={x(widestGap.from)} width={x(widestGap.to) - x(widestGap.from)} y="0" height="40" className="gap" />
        )}
        {ticks.map((tick) => (
          <line
            key={tick.key}
            x1={x(tick.at)}
            x2={x(tick.at)}
            y1={tick.direction === 'send' ? 22 : 4}
            y2={tick.direction === 'send' ? 36 : 20}
            className={tick.direction ?? 'receive'}
          />
        ))}
      </svg>
      <figcaption className="muted">
        {t('stream.timing', {
          first: Math.round(items[0]?.offsetMs ?? 0),
          last: Math.round(items[items.length - 1]?.offsetMs ?? 0),
        })}
        {widestGap.to > widestGap.from && t('stream.longestGap', { gap: Math.round(widestGap.to - widestGap.from) })}
      </figcaption>
    </figure>
  );
}

/**
 * An event's JSON indented, for reading: base64 runs and number runs said by what they are
 * (`[image/png, 832 KB]`, `[1536 floats]`), long strings by their head. The tree (a click) has them whole.
 */
function prettyEvent(json: unknown, t: TFunction): string {
  return JSON.stringify(
    json,
    (_key, value: unknown) => {
      if (typeof value === 'string' && value.length >= RUN_MIN) {
        const run = base64Info(value);
        if (run)
          return `[${run.mime === 'base64' ? t('bigBody.base64Run', { size: formatSize(run.bytes) }) : t('bigBody.typedRun', { mime: run.mime, size: formatSize(run.bytes) })}]`;
      }
      if (typeof value === 'string' && value.length > STRING_HEAD)
        return `${value.slice(0, STRING_HEAD)}… (${t('bigBody.moreChars', { count: value.length - STRING_HEAD })})`;
      const floats = numberRun(value);
      if (floats !== null) return `[${t('bigBody.floats', { count: floats })}]`;
      return value;
    },
    2,
  );
}

/** Text too long to lay out at once: its head, and the rest in virtualized rows on request. */
function LongText({ text }: { text: string }) {
  const { t } = useTranslation();
  const [whole, setWhole] = useState(false);
  const rows = useMemo(() => (whole ? rawRows(text) : null), [whole, text]);
  if (rows) return <RawLines rows={rows} version={0} />;
  return (
    <pre className="event-data mono" data-captured>
      {text.slice(0, EVENT_HEAD)}…{' '}
      <button type="button" className="link-button" onClick={() => setWhole(true)}>
        {t('bigBody.moreChars', { count: text.length - EVENT_HEAD })}
      </button>
    </pre>
  );
}

function EventBody({ item }: { item: Item }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  // The button pressed goes away as the view changes: the focus moves to the one that replaces it.
  const toggled = useRef(false);
  const asTree = useRef<HTMLButtonElement>(null);
  const asText = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!toggled.current) return;
    toggled.current = false;
    (open ? asText : asTree).current?.focus();
  }, [open]);
  const show = (tree: boolean) => {
    toggled.current = true;
    setOpen(tree);
  };
  const json = useMemo(() => (item.text === null ? undefined : tryJson(item.text)), [item.text]);
  const pretty = useMemo(
    () => (json !== undefined && typeof json === 'object' && json !== null ? prettyEvent(json, t) : null),
    [json, t],
  );
  if (item.text === null)
    return (
      <pre className="event-data mono" data-captured>
        {item.base64 ? `base64: ${item.base64.slice(0, 2000)}` : ''}
      </pre>
    );
  if (pretty === null) {
    if (item.text.length > EVENT_HEAD) return <LongText text={item.text} />;
    return (
      <pre className="event-data mono" data-captured>
        {item.text}
      </pre>
    );
  }
  return open ? (
    <div className="event-data">
      <button
        type="button"
        ref={asText}
        className="button small event-as-text"
        aria-expanded
        title={t('keyboardAccess.eventAsTextTitle')}
        onClick={() => show(false)}
      >
        {t('keyboardAccess.eventAsText')}
      </button>
      <JsonTree value={json} openDepth={2} />
    </div>
  ) : (
    // The pretty-printed text is itself the button that opens it as a tree (Enter or Space from the keyboard).
    <button
      type="button"
      ref={asTree}
      className="event-data mono clickable event-as-tree"
      aria-expanded={false}
      title={t('stream.expand')}
      onClick={() => show(true)}
      data-captured
    >
      {pretty}
    </button>
  );
}

function EventRow({ item }: { item: Item }) {
  const { t } = useTranslation();
  return (
    <>
      <div className="event-head">
        <span className="mono event-time">+{item.offsetMs.toFixed(1)} ms</span>
        {item.direction && (
          <span className={`direction ${item.direction}`}>
            {t(item.direction === 'send' ? 'stream.sent' : 'stream.received')}
          </span>
        )}
        <ItemTitle item={item} />
      </div>
      <EventBody item={item} />
    </>
  );
}

/** Past ALL_IN_DOM events: only those on screen are rendered, each measured as it shows (their heights differ). */
function VirtualEvents({
  items,
  listRef,
  follow,
}: {
  items: Item[];
  listRef: RefObject<HTMLDivElement | null>;
  follow: RefObject<boolean>;
}) {
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => listRef.current,
    estimateSize: () => 120,
    overscan: 6,
    getItemKey: (i) => items[i].seq,
  });
  useLayoutEffect(() => {
    if (follow.current && items.length > 0) virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
  }, [items.length, virtualizer, follow]);
  return (
    <div className="event-list-inner" style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((v) => {
        const item = items[v.index];
        return (
          <div
            key={v.key}
            ref={virtualizer.measureElement}
            data-index={v.index}
            className={`event virtual ${item.direction ?? ''}`}
            data-seq={item.seq}
            style={{ transform: `translateY(${v.start}px)` }}
          >
            <EventRow item={item} />
          </div>
        );
      })}
    </div>
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

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is not read, it says when to ask for the events after the last one held: the live feed bumps it when the exchange changed.
  useEffect(() => {
    let cancelled = false;
    fetchEvents(exchange.id, lastSeq.current).then(
      (res) => {
        if (cancelled) return;
        setFailure(null);
        const fresh = [...res.sseEvents.map(fromSse), ...res.wsMessages.map(fromWs)].filter(
          (i) => i.seq > lastSeq.current,
        );
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
    // Past ALL_IN_DOM the virtual list follows the tail itself (its height is only estimated until rows are measured).
    if (list && follow.current && items.length <= ALL_IN_DOM) list.scrollTop = list.scrollHeight;
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
        {items.length > ALL_IN_DOM ? (
          <VirtualEvents items={items} listRef={listRef} follow={follow} />
        ) : (
          items.map((item) => (
            <div key={item.seq} className={`event ${item.direction ?? ''}`} data-seq={item.seq}>
              <EventRow item={item} />
            </div>
          ))
        )}
      </div>
    </div>
  );
}
