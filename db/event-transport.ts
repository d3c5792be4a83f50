// How a batch of events crosses from the forwarding thread to the storage worker: as JSON text
// with the byte payloads beside it, not as objects for postMessage to clone. Rebuilding objects
// from V8's serialization cost the worker about 8 µs per exchange, JSON.parse about 3.5
// (npm run bench: CPU per request of the storage thread); the sending side costs the same.
import type { ExchangeEvent } from '../model/exchange.ts';
import type { RingSpan } from './body-ring.ts';
import { PhraseError } from '../i18n/stored-text.ts';

type BodyChunk = Extract<ExchangeEvent, { type: 'body-chunk' }>;
type WsEvent = Extract<ExchangeEvent, { type: 'ws-message' }>;

/** A body chunk whose bytes wait in the shared ring (db/body-ring.ts), not in the message. */
export type RingChunk = Omit<BodyChunk, 'chunk'> & { ring: RingSpan };
export type PostedEvent = ExchangeEvent | RingChunk;

/**
 * The same body chunk with these bytes (a view of the ring, a copy) or its ring span in place of
 * its own, built key by key: a rest-and-spread copy is a slow object, costly to build and to send.
 */
export function chunkWith(event: Pick<BodyChunk, 'uid' | 'side' | 'atMs'>, chunk: Uint8Array): BodyChunk {
  return { type: 'body-chunk', uid: event.uid, side: event.side, atMs: event.atMs, chunk };
}

export function chunkInRing(event: Pick<BodyChunk, 'uid' | 'side' | 'atMs'>, ring: RingSpan): RingChunk {
  return { type: 'body-chunk', uid: event.uid, side: event.side, atMs: event.atMs, ring };
}

/**
 * A batch as sent: the payloads of copied body chunks and WebSocket messages packed one after
 * another into one buffer (at most one entry in `buffers`, handed over, not copied). One buffer
 * per batch, not one per payload: transferring 250 small ArrayBuffers a turn cost postMessage
 * more than the rest of a WebSocket flood's forwarding (bench/websocket-flood.ts, --cpu-prof).
 */
export interface EncodedEvents {
  json: string;
  buffers: Uint8Array[];
}

/** In the JSON, a payload stands as where its bytes are in the packed buffer: offset and length. */
type Packed = [at: number, length: number];
type BodyChunkRef = Omit<BodyChunk, 'chunk'> & { packed: Packed };
type WsEventRef = Omit<WsEvent, 'message'> & { message: Omit<WsEvent['message'], 'payload'> & { packed: Packed } };

/** The payloads packed into one buffer of exactly their bytes, the rest as JSON. */
export function encodeEvents(events: PostedEvent[]): EncodedEvents {
  let total = 0;
  for (const e of events) {
    if (e.type === 'body-chunk' && 'chunk' in e) total += e.chunk.byteLength;
    else if (e.type === 'ws-message') total += e.message.payload.byteLength;
  }
  const packed = new Uint8Array(total);
  let at = 0;
  const pack = (bytes: Uint8Array): Packed => {
    packed.set(bytes, at);
    at += bytes.byteLength;
    return [at - bytes.byteLength, bytes.byteLength];
  };
  const plain = events.map((e): PostedEvent | BodyChunkRef | WsEventRef => {
    if (e.type === 'body-chunk' && 'chunk' in e)
      return { type: 'body-chunk', uid: e.uid, side: e.side, atMs: e.atMs, packed: pack(e.chunk) };
    if (e.type === 'ws-message') {
      const m = e.message;
      return {
        type: 'ws-message',
        uid: e.uid,
        message: {
          seq: m.seq,
          offsetMs: m.offsetMs,
          direction: m.direction,
          opcode: m.opcode,
          packed: pack(m.payload),
        },
      };
    }
    return e;
  });
  return { json: JSON.stringify(plain), buffers: total > 0 ? [packed] : [] };
}

/**
 * The events as they were encoded, payloads back in place as views of the packed buffer (no
 * copy: they are stored and dropped; what waits longer in a backlog gets bytes of its own there,
 * db/backlog.ts).
 */
export function decodeEvents({ json, buffers }: EncodedEvents): PostedEvent[] {
  const events = JSON.parse(json) as (PostedEvent | BodyChunkRef | WsEventRef)[];
  const packed = buffers[0];
  return events.map((e): PostedEvent => {
    if (e.type === 'body-chunk' && 'packed' in e) return chunkWith(e, bytesAt(packed, e.packed));
    if (e.type === 'ws-message' && 'packed' in e.message) {
      const m = e.message;
      return {
        type: 'ws-message',
        uid: e.uid,
        message: {
          seq: m.seq,
          offsetMs: m.offsetMs,
          direction: m.direction,
          opcode: m.opcode,
          payload: bytesAt(packed, m.packed),
        },
      };
    }
    return e as PostedEvent;
  });
}

/** The payloads of emitted events, in the order an encoded batch names them: each body chunk's, each WebSocket message's. */
export function payloadsOf(events: ExchangeEvent[]): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  for (const e of events) {
    if (e.type === 'body-chunk') payloads.push(e.chunk);
    else if (e.type === 'ws-message') payloads.push(e.message.payload);
  }
  return payloads;
}

/**
 * The events of an encoded batch as they were emitted: `payloads` (payloadsOf) in place of
 * where the JSON says each one's bytes were (the packed buffer, handed over, or the shared ring).
 */
export function eventsWithPayloads(json: string, payloads: Uint8Array[]): ExchangeEvent[] {
  const events = JSON.parse(json) as (PostedEvent | BodyChunkRef | WsEventRef)[];
  let next = 0;
  return events.map((e): ExchangeEvent => {
    if (e.type === 'body-chunk') return chunkWith(e, payloads[next++]);
    if (e.type === 'ws-message') {
      const m = e.message;
      return {
        type: 'ws-message',
        uid: e.uid,
        message: {
          seq: m.seq,
          offsetMs: m.offsetMs,
          direction: m.direction,
          opcode: m.opcode,
          payload: payloads[next++],
        },
      };
    }
    return e;
  });
}

function bytesAt(packed: Uint8Array | undefined, [at, length]: Packed): Uint8Array {
  // A batch whose payloads are all empty (a WebSocket close or ping with no body, alone in its
  // batch) is sent with no buffer: its empty payloads need none. Refusing them killed the
  // storage thread, and its restart marked the open exchanges interrupted.
  if (length === 0 && at === 0) return new Uint8Array(0);
  if (!packed || at < 0 || length < 0 || at + length > packed.byteLength) {
    // A phrase of the catalogue: the storage thread stops on it, and db/writer.ts says it in the console's language.
    throw new PhraseError({
      key: 'qa.malformedBatch',
      params: { from: at, to: at + length, size: packed?.byteLength ?? 0 },
    });
  }
  return new Uint8Array(packed.buffer, packed.byteOffset + at, length);
}

/**
 * The same event with payload bytes of its own when its payload is a view of a larger buffer
 * (a packed batch, the shared ring): an event that waits for long must not keep the rest of
 * that buffer alive, nor bytes the ring will reuse.
 */
export function ownPayload<E extends ExchangeEvent>(event: E): E {
  if (event.type === 'body-chunk') {
    return (isView(event.chunk) ? chunkWith(event, new Uint8Array(event.chunk)) : event) as E;
  }
  if (event.type === 'ws-message' && isView(event.message.payload)) {
    const m = event.message;
    return {
      type: 'ws-message',
      uid: event.uid,
      message: {
        seq: m.seq,
        offsetMs: m.offsetMs,
        direction: m.direction,
        opcode: m.opcode,
        payload: new Uint8Array(m.payload),
      },
    } as E;
  }
  return event;
}

function isView(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof SharedArrayBuffer || bytes.byteLength !== bytes.buffer.byteLength;
}
