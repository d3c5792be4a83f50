import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeEvent, RequestHead } from '../model/exchange.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { SseTap } from '../proxy/sse.ts';
import { curl, startHarness, type Harness } from './support/harness.ts';

// Seeded: a failure names its seed and replays the same inputs.
const SEED = 20261124;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** Sends bytes to the proxy; resolves when it answers and closes, or after a grace period. */
function send(bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(h.wirelog.proxy.port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve('') : reject(err)));
  });
}

const VALID = Buffer.from(`GET http://127.0.0.1:1/v1/models HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 0\r\n\r\n`);

describe('hostile input at the request parser', () => {
  it('random and mutated requests never crash or hang the proxy, and it keeps serving', async () => {
    const mutated = fc
      .tuple(fc.nat({ max: VALID.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat({ max: VALID.length }))
      .map(([at, insert, cut]) => Buffer.concat([VALID.subarray(0, at), insert, VALID.subarray(at + 1, Math.max(at + 1, cut))]));
    const garbage = fc.uint8Array({ minLength: 1, maxLength: 2048 });
    const headerNoise = fc.string({ maxLength: 300 }).map((s) => Buffer.from(`POST http://127.0.0.1:1/ HTTP/1.1\r\nX-Noise: ${s}\r\nContent-Length: 3\r\n\r\nabc`));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, garbage, headerNoise), async (bytes) => {
        const answer = await send(bytes);
        // Whatever arrived is an HTTP answer (an error status, or a 502 for the dead upstream), or nothing.
        return answer === '' || /^HTTP\/1\.[01] \d{3} /.test(answer);
      }),
      { seed: SEED, numRuns: 150 },
    );
    const after = await curl(h, [`${h.upstream.httpsUrl}/v1/models`]);
    expect(JSON.parse(after.stdout.toString()).object).toBe('list');
  });
});

describe('hostile input in SSE streams', () => {
  function eventsOf(chunks: Uint8Array[]): string[] {
    const events: string[] = [];
    const sink = { emit: (e: ExchangeEvent) => e.type === 'sse-event' && events.push(JSON.stringify([e.event.event, e.event.id, e.event.data])) };
    const head: RequestHead = { startedAt: 0, clientAddress: '', method: 'GET', scheme: 'https', host: 'x', port: 443, path: '/', httpVersion: '1.1', headers: [] };
    const recorder = new ExchangeRecorder({ sink, maxBodyBytes: 1 << 20, keepSecrets: false, onSinkError: (err) => { throw err; } }, head);
    const tap = new SseTap(recorder);
    for (const chunk of chunks) tap.write(Buffer.from(chunk));
    tap.end();
    return events;
  }

  it('splits a stream into the same events however its bytes are chunked', () => {
    const stream = Buffer.from('event: a\ndata: {"x":1}\n\nid: 7\ndata: line one\ndata: line two\n\n: comment\ndata: héllo wörld ✓\n\nretry: 5\ndata: [DONE]\n\n');
    const whole = eventsOf([stream]);
    expect(whole).toHaveLength(4);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b);
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        expect(eventsOf(chunks)).toEqual(whole);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 10 }), (chunks) => {
        eventsOf(chunks);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
