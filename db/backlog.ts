import type { BodySide, ExchangeEvent } from '../model/exchange.ts';
import { shedNote } from '../model/shed-note.ts';
import { ownPayload } from './event-transport.ts';

// What a head or an end costs besides its payload: a rough figure, only used for the bound.
export const EVENT_OVERHEAD = 256;

/** Content left out of storage because the backlog was full, per exchange: said in its notes when it ends. */
interface Shed {
  bodyBytes: Record<BodySide, number>;
  sseEvents: number;
  wsMessages: number;
  eventBytes: number;
}

export interface ShedReport {
  /** Exchanges left out whole (their request head was shed). */
  exchanges: number;
  /** Body, SSE and WebSocket bytes left out of exchanges that are still stored. */
  bytes: number;
  /** SSE events and WebSocket messages left out of exchanges that are still stored. */
  events: number;
}

/**
 * Events waiting to be stored, bounded in bytes. While storage fails, captures wait here and are
 * retried; past the bound, payloads go first (the exchange is kept, its body marked truncated),
 * then whole exchanges, oldest first. The proxy never waits for storage, so this is where memory
 * would otherwise grow without end.
 */
export class Backlog {
  private events: ExchangeEvent[] = [];
  private size = 0;
  private readonly shed = new Map<string, Shed>();
  /** Exchanges whose request head was shed: the rest of their events are dropped on arrival. */
  private readonly dropped = new Set<string>();
  /** Bodies (uid and side) cut short: what is kept of one is its beginning, so its later chunks are shed on arrival. */
  private readonly cut = new Set<string>();

  constructor(
    private readonly maxBytes: number,
    /** Why content is left out here, for the notes of the exchanges it is left out of ("storage was failing"). */
    private readonly cause = 'storage was too far behind',
  ) {}

  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.events.length;
  }

  /** Some exchange had content shed and has not ended: its later events must pass through here to be marked or dropped. */
  get adjusting(): boolean {
    return this.shed.size > 0 || this.dropped.size > 0;
  }

  /** How many exchanges ended among the events waiting here. */
  waitingEnds(): number {
    let n = 0;
    for (const e of this.events) if (e.type === 'end') n++;
    return n;
  }

  /** How many exchanges have something waiting here (a head, a chunk, an end): the count falls as they are stored. */
  waitingExchanges(): number {
    return new Set(this.events.map((e) => e.uid)).size;
  }

  add(events: ExchangeEvent[]): ShedReport {
    const report = { exchanges: 0, bytes: 0, events: 0 };
    for (const event of events) {
      if (this.dropped.has(event.uid)) {
        if (event.type === 'end') this.forget(event.uid);
        continue;
      }
      if (event.type === 'body-chunk' && this.cut.has(bodyKey(event.uid, event.side))) {
        report.bytes += this.leaveOut(event);
        continue;
      }
      this.events.push(this.adjustEnd(event));
      this.size += costOf(event);
    }
    if (this.size <= this.maxBytes) return report;
    const shrunk = this.shrink();
    return {
      exchanges: report.exchanges + shrunk.exchanges,
      bytes: report.bytes + shrunk.bytes,
      events: report.events + shrunk.events,
    };
  }

  /** Takes every waiting event, in order. */
  take(): ExchangeEvent[] {
    const events = this.events;
    this.events = [];
    this.size = 0;
    return events;
  }

  /**
   * The oldest waiting events, at most `maxEvents` of them and about `maxBytes` (one at least):
   * a batch small enough to fit where storage has little room again (a disk that was full).
   */
  takeFirst(maxEvents: number, maxBytes: number): ExchangeEvent[] {
    let n = 0;
    let bytes = 0;
    while (n < this.events.length && n < maxEvents && (n === 0 || bytes + costOf(this.events[n]) <= maxBytes))
      bytes += costOf(this.events[n++]);
    const first = this.events.slice(0, n);
    this.events = this.events.slice(n);
    this.size -= bytes;
    return first;
  }

  /**
   * Puts back a batch that could not be stored, ahead of what arrived since. Storage is failing:
   * they may wait long, so each payload gets bytes of its own instead of a view of the batch it
   * came in (db/event-transport.ts), which would keep the whole batch in memory.
   */
  putBack(events: ExchangeEvent[]): ShedReport {
    const later = this.take().map(ownPayload);
    this.events = events.map(ownPayload);
    this.size = events.reduce((n, e) => n + costOf(e), 0);
    return this.add(later);
  }

  private shrink(): ShedReport {
    const report = { exchanges: 0, bytes: 0, events: 0 };
    const target = this.maxBytes / 2;
    // Payloads first, newest first: the exchanges stay, with what is known about them, and what
    // is kept of a body is its beginning.
    const keep = this.events.map(() => true);
    for (let i = this.events.length - 1; i >= 0 && this.size > target; i--) {
      const event = this.events[i];
      if (payloadBytes(event) === 0) continue;
      keep[i] = false;
      this.size -= costOf(event);
      report.bytes += this.leaveOut(event);
      if (event.type !== 'body-chunk') report.events++;
    }
    let kept = this.events.filter((_, i) => keep[i]);
    // Then whole exchanges, oldest first.
    if (this.size > target) {
      const remaining: ExchangeEvent[] = [];
      for (const event of kept) {
        if (this.size > target && event.type === 'request') {
          this.dropped.add(event.uid);
          report.exchanges++;
        }
        if (this.dropped.has(event.uid)) {
          this.size -= costOf(event);
          if (event.type === 'end') this.forget(event.uid);
          continue;
        }
        remaining.push(event);
      }
      kept = remaining;
    }
    // What stays owns its bytes: a payload left out must not stay in memory through a view of its batch kept beside it.
    this.events = kept.map((e) => ownPayload(this.adjustEnd(e)));
    return report;
  }

  /** A dropped exchange ended: nothing more is kept about it. */
  private forget(uid: string): void {
    this.dropped.delete(uid);
    this.shed.delete(uid);
    this.cut.delete(bodyKey(uid, 'request'));
    this.cut.delete(bodyKey(uid, 'response'));
  }

  private shedOf(uid: string): Shed {
    let shed = this.shed.get(uid);
    if (!shed) {
      shed = { bodyBytes: { request: 0, response: 0 }, sseEvents: 0, wsMessages: 0, eventBytes: 0 };
      this.shed.set(uid, shed);
    }
    return shed;
  }

  /** Records a payload left out; a body chunk cuts its body there. Returns the bytes left out. */
  private leaveOut(event: ExchangeEvent): number {
    const payload = payloadBytes(event);
    const shed = this.shedOf(event.uid);
    if (event.type === 'body-chunk') {
      shed.bodyBytes[event.side] += payload;
      this.cut.add(bodyKey(event.uid, event.side));
    } else {
      if (event.type === 'sse-event') shed.sseEvents++;
      else shed.wsMessages++;
      shed.eventBytes += payload;
    }
    return payload;
  }

  /** An end says what was stored: less, and truncated, when part of its body was shed; its notes count what was left out. */
  private adjustEnd(event: ExchangeEvent): ExchangeEvent {
    if (event.type !== 'end') return event;
    this.cut.delete(bodyKey(event.uid, 'request'));
    this.cut.delete(bodyKey(event.uid, 'response'));
    const shed = this.shed.get(event.uid);
    if (!shed) return event;
    this.shed.delete(event.uid);
    const side = (info: typeof event.requestBody, bytes: number) =>
      bytes === 0 ? info : { ...info, storedSize: Math.max(0, info.storedSize - bytes), truncated: true };
    const note = shedNote(
      {
        sseEvents: shed.sseEvents,
        wsMessages: shed.wsMessages,
        eventBytes: shed.eventBytes,
        bodyBytes: shed.bodyBytes.request + shed.bodyBytes.response,
      },
      this.cause,
    );
    return {
      ...event,
      requestBody: side(event.requestBody, shed.bodyBytes.request),
      responseBody: side(event.responseBody, shed.bodyBytes.response),
      notes: [...(event.notes ?? []), note],
    };
  }
}

function bodyKey(uid: string, side: BodySide): string {
  return `${uid} ${side}`;
}

export function payloadBytes(event: ExchangeEvent): number {
  switch (event.type) {
    case 'body-chunk':
      return event.chunk.byteLength;
    case 'ws-message':
      return event.message.payload.byteLength;
    case 'sse-event':
      return event.event.data.length;
    default:
      return 0;
  }
}

/** What an event is counted as against a bound: its payload, a head's header text, and a rough figure for the rest. */
export function costOf(event: ExchangeEvent): number {
  return (
    EVENT_OVERHEAD +
    payloadBytes(event) +
    (event.type === 'request' || event.type === 'response-head' ? headerBytes(event.head.headers) : 0)
  );
}

function headerBytes(headers: [string, string][]): number {
  let n = 0;
  for (const [name, value] of headers) n += name.length + value.length;
  return n;
}
