// What handing a batch of captures to the storage worker costs the forwarding thread, per
// message: the packed hand-over (db/event-transport.ts: one buffer for the batch's payloads)
// beside the one it replaced (a transferred ArrayBuffer per payload), alternately in one process,
// to a worker that decodes each batch. Batches of a WebSocket flood's turn (250 messages of about
// 80 bytes, FLOOD_LIMITS.storedPerTurn) and of a download's copied chunks (16 of 64 KB). Times
// are of the synchronous work on this thread (encode + postMessage), best of the rounds, so a
// busy machine moves them less.
//
//   npx tsx bench/event-transport.ts [--rounds 7] [--batches 400]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { encodeEvents, type EncodedEvents, type PostedEvent } from '../db/event-transport.ts';
import type { ExchangeEvent } from '../model/exchange.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, batches: { type: 'string', default: '400' } },
});
const ROUNDS = Number(values.rounds);
const BATCHES = Number(values.batches);

/** The hand-over before packing: each payload copied into an ArrayBuffer of its own, all of them transferred. */
function encodeEachOwn(events: PostedEvent[]): EncodedEvents {
  const buffers: Uint8Array[] = [];
  const own = (bytes: Uint8Array) => buffers.push(new Uint8Array(bytes)) - 1;
  const plain = events.map((e) => {
    if (e.type === 'body-chunk' && 'chunk' in e)
      return { type: 'body-chunk', uid: e.uid, side: e.side, atMs: e.atMs, buffer: own(e.chunk) };
    if (e.type === 'ws-message') {
      const m = e.message;
      return {
        type: 'ws-message',
        uid: e.uid,
        message: { seq: m.seq, offsetMs: m.offsetMs, direction: m.direction, opcode: m.opcode, buffer: own(m.payload) },
      };
    }
    return e;
  });
  return { json: JSON.stringify(plain), buffers };
}

// The worker rebuilds each batch as the storage worker does (views of the packed buffer, or the
// buffers as they came), then drops it; it says when it has taken every batch.
const WORKER = `
const { parentPort } = require('node:worker_threads');
let n = 0;
parentPort.on('message', (m) => {
  if (m === 'count') return parentPort.postMessage(n);
  const events = JSON.parse(m.json);
  for (const e of events) {
    const ref = e.type === 'ws-message' ? e.message : e;
    if (ref.packed) new Uint8Array(m.buffers[0].buffer, m.buffers[0].byteOffset + ref.packed[0], ref.packed[1]);
    else if (ref.buffer !== undefined) m.buffers[ref.buffer];
  }
  n++;
});`;

function wsTurn(seq0: number): ExchangeEvent[] {
  return Array.from({ length: 250 }, (_, i) => ({
    type: 'ws-message',
    uid: 'flood',
    message: {
      seq: seq0 + i,
      offsetMs: i / 10,
      direction: 'receive',
      opcode: 1,
      payload: Buffer.from(
        JSON.stringify({ type: 'response.output_text.delta', delta: `word ${seq0 + i} `, sequence_number: seq0 + i }),
      ),
    },
  }));
}

function downloadTurn(): ExchangeEvent[] {
  return Array.from({ length: 16 }, (_, i) => ({
    type: 'body-chunk',
    uid: 'download',
    side: 'response',
    atMs: i,
    chunk: Buffer.alloc(64 * 1024, i),
  }));
}

async function round(
  worker: Worker,
  encode: (events: PostedEvent[]) => EncodedEvents,
  batches: ExchangeEvent[][],
): Promise<number> {
  const t = performance.now();
  for (const events of batches) {
    const { json, buffers } = encode(events);
    worker.postMessage(
      { json, buffers },
      buffers.map((b) => b.buffer as ArrayBuffer),
    );
  }
  const ms = performance.now() - t;
  // Every batch taken before the next round: rounds do not overlap.
  await new Promise<void>((resolve) => {
    const ask = () => {
      worker.once('message', (n: number) => (n >= expected ? resolve() : setTimeout(ask, 5)));
      worker.postMessage('count');
    };
    expected += batches.length;
    ask();
  });
  return ms;
}
let expected = 0;

const worker = new Worker(WORKER, { eval: true });
try {
  const kinds = [
    {
      name: 'WebSocket flood turn: 250 messages of ~80 B',
      batches: Array.from({ length: BATCHES }, (_, b) => wsTurn(b * 250)),
      per: 250,
      unit: 'message',
    },
    {
      name: 'download turn: 16 copied chunks of 64 KB',
      batches: Array.from({ length: Math.ceil(BATCHES / 8) }, downloadTurn),
      per: 16,
      unit: 'chunk',
    },
  ];
  const ways = [
    { name: 'one buffer per payload (before)', encode: encodeEachOwn },
    { name: 'one packed buffer per batch (now)', encode: encodeEvents },
  ];
  for (const kind of kinds) {
    const best = ways.map(() => Infinity);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [w, way] of ways.entries()) best[w] = Math.min(best[w], await round(worker, way.encode, kind.batches));
    }
    console.log(kind.name);
    for (const [w, way] of ways.entries()) {
      const perUnit = (best[w] * 1000) / (kind.batches.length * kind.per);
      console.log(
        `  ${way.name.padEnd(36)} ${perUnit.toFixed(2)} µs per ${kind.unit} on the forwarding thread (best of ${ROUNDS} rounds of ${kind.batches.length} batches)`,
      );
    }
  }
} finally {
  await worker.terminate();
}
