import type { BodySide, ExchangeEvent } from '../model/exchange.ts';

// What a head or an end costs besides its payload: a rough figure, only used for the bound.
const EVENT_OVERHEAD = 256;

/** Content left out of storage because the backlog was full, per exchange. */
interface Shed {
  bodyBytes: Record<BodySide, number>;
}

export interface ShedReport {
  /** Exchanges left out whole (their request head was shed). */
  exchanges: number;
  /** Body, SSE and WebSocket bytes left out of exchanges that are still stored. */
  bytes: number;
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

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.events.length;
  }

  /** How many exchanges (request heads) are waiting. */
  waitingExchanges(): number {
    return this.events.reduce((n, e) => n + (e.type === 'request' ? 1 : 0), 0);
  }

  add(events: ExchangeEvent[]): ShedReport {
    for (const event of events) {
      if (this.dropped.has(event.uid)) {
        if (event.type === 'end') this.dropped.delete(event.uid);
        continue;
      }
      this.events.push(this.adjustEnd(event));
      this.size += costOf(event);
    }
    return this.size > this.maxBytes ? this.shrink() : { exchanges: 0, bytes: 0 };
  }

  /** Takes every waiting event, in order. */
  take(): ExchangeEvent[] {
    const events = this.events;
    this.events = [];
    this.size = 0;
    return events;
  }

  /** Puts back a batch that could not be stored, ahead of what arrived since. */
  putBack(events: ExchangeEvent[]): ShedReport {
    const later = this.take();
    this.events = events;
    this.size = events.reduce((n, e) => n + costOf(e), 0);
    return this.add(later);
  }

  private shrink(): ShedReport {
    const report = { exchanges: 0, bytes: 0 };
    const target = this.maxBytes / 2;
    // Payloads first: the exchanges stay, with what is known about them.
    let kept: ExchangeEvent[] = [];
    for (const event of this.events) {
      const payload = payloadBytes(event);
      if (this.size > target && payload > 0) {
        this.size -= costOf(event);
        report.bytes += payload;
        const shed = this.shedOf(event.uid);
        if (event.type === 'body-chunk') shed.bodyBytes[event.side] += payload;
        continue;
      }
      kept.push(event);
    }
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
          if (event.type === 'end') this.dropped.delete(event.uid);
          continue;
        }
        remaining.push(event);
      }
      kept = remaining;
    }
    this.events = kept.map((e) => this.adjustEnd(e));
    return report;
  }

  private shedOf(uid: string): Shed {
    let shed = this.shed.get(uid);
    if (!shed) {
      shed = { bodyBytes: { request: 0, response: 0 } };
      this.shed.set(uid, shed);
    }
    return shed;
  }

  /** An end says what was stored: less, and truncated, when part of its body was shed. */
  private adjustEnd(event: ExchangeEvent): ExchangeEvent {
    if (event.type !== 'end') return event;
    const shed = this.shed.get(event.uid);
    if (!shed) return event;
    this.shed.delete(event.uid);
    const side = (info: typeof event.requestBody, bytes: number) =>
      bytes === 0 ? info : { ...info, storedSize: Math.max(0, info.storedSize - bytes), truncated: true };
    return { ...event, requestBody: side(event.requestBody, shed.bodyBytes.request), responseBody: side(event.responseBody, shed.bodyBytes.response) };
  }
}

function payloadBytes(event: ExchangeEvent): number {
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

function costOf(event: ExchangeEvent): number {
  return EVENT_OVERHEAD + payloadBytes(event);
}
