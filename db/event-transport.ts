// How a batch of events crosses from the forwarding thread to the storage worker: as JSON text
// with the byte payloads beside it, not as objects for postMessage to clone. Rebuilding objects
// from V8's serialization cost the worker about 8 µs per exchange, JSON.parse about 3.5
// (npm run bench: CPU per request of the storage thread); the sending side costs the same.
import type { ExchangeEvent } from '../model/exchange.ts';
import type { RingSpan } from './body-ring.ts';

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

/** A batch as sent: `buffers` hold the bytes of copied body chunks and WebSocket payloads, each exactly its bytes. */
export interface EncodedEvents {
  json: string;
  buffers: Uint8Array[];
}

/** In the JSON, a payload stands as the index of its bytes in `buffers`. */
type BodyChunkRef = Omit<BodyChunk, 'chunk'> & { buffer: number };
type WsEventRef = Omit<WsEvent, 'message'> & { message: Omit<WsEvent['message'], 'payload'> & { buffer: number } };

/** Copies of the payloads (exactly their bytes, ready to transfer) and the rest as JSON. */
export function encodeEvents(events: PostedEvent[]): EncodedEvents {
  const buffers: Uint8Array[] = [];
  const own = (bytes: Uint8Array) => buffers.push(new Uint8Array(bytes)) - 1;
  const plain = events.map((e): PostedEvent | BodyChunkRef | WsEventRef => {
    if (e.type === 'body-chunk' && 'chunk' in e) return { type: 'body-chunk', uid: e.uid, side: e.side, atMs: e.atMs, buffer: own(e.chunk) };
    if (e.type === 'ws-message') {
      const m = e.message;
      return { type: 'ws-message', uid: e.uid, message: { seq: m.seq, offsetMs: m.offsetMs, direction: m.direction, opcode: m.opcode, buffer: own(m.payload) } };
    }
    return e;
  });
  return { json: JSON.stringify(plain), buffers };
}

/** The events as they were encoded, payloads back in place. */
export function decodeEvents({ json, buffers }: EncodedEvents): PostedEvent[] {
  const events = JSON.parse(json) as (PostedEvent | BodyChunkRef | WsEventRef)[];
  return events.map((e): PostedEvent => {
    if (e.type === 'body-chunk' && 'buffer' in e) return chunkWith(e, bytesAt(buffers, e.buffer));
    if (e.type === 'ws-message' && 'buffer' in e.message) {
      const m = e.message;
      return { type: 'ws-message', uid: e.uid, message: { seq: m.seq, offsetMs: m.offsetMs, direction: m.direction, opcode: m.opcode, payload: bytesAt(buffers, m.buffer) } };
    }
    return e as PostedEvent;
  });
}

function bytesAt(buffers: Uint8Array[], index: number): Uint8Array {
  const bytes = buffers[index];
  if (!bytes) throw new Error(`a batch of captures refers to payload ${index} of ${buffers.length}`);
  return bytes;
}
