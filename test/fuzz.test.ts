import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import fc from 'fast-check';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeEvent, RequestHead } from '../model/exchange.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { SseTap } from '../proxy/sse-capture.ts';
import { FrameTap } from '../proxy/websocket.ts';
import { curl, startHarness, type Harness } from './support/harness.ts';

// Seeded: a failure names its seed and replays the same inputs.
const SEED = 20261124;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const HUNG = 'no answer and no close within 5 s';

/** Sends bytes to the proxy; resolves with its answer once it closes, or HUNG if it neither answers nor closes. */
function send(bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(h.wirelog.proxy.port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    // Everything here is answered or closed in milliseconds; 5 s leaves room for a loaded machine.
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(HUNG);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve('') : reject(err),
    );
  });
}

const VALID = Buffer.from(
  `GET http://127.0.0.1:1/v1/models HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 0\r\n\r\n`,
);

describe('hostile input at the request parser', () => {
  it('random and mutated requests never crash or hang the proxy, and it keeps serving', async () => {
    const mutated = fc
      .tuple(
        fc.nat({ max: VALID.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        fc.nat({ max: VALID.length }),
      )
      .map(([at, insert, cut]) =>
        Buffer.concat([VALID.subarray(0, at), insert, VALID.subarray(at + 1, Math.max(at + 1, cut))]),
      );
    const garbage = fc.uint8Array({ minLength: 1, maxLength: 2048 });
    const headerNoise = fc
      .string({ maxLength: 300 })
      .map((s) => Buffer.from(`POST http://127.0.0.1:1/ HTTP/1.1\r\nX-Noise: ${s}\r\nContent-Length: 3\r\n\r\nabc`));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, garbage, headerNoise), async (bytes) => {
        const answer = await send(bytes);
        // Whatever arrived is an HTTP answer (an error status, or a 502 for the dead upstream), or nothing; never a hang.
        expect(answer).not.toBe(HUNG);
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
    const sink = {
      emit: (e: ExchangeEvent) =>
        e.type === 'sse-event' && events.push(JSON.stringify([e.event.event, e.event.id, e.event.data])),
    };
    const head: RequestHead = {
      startedAt: 0,
      clientAddress: '',
      method: 'GET',
      scheme: 'https',
      host: 'x',
      port: 443,
      path: '/',
      httpVersion: '1.1',
      headers: [],
    };
    const recorder = new ExchangeRecorder(
      {
        sink,
        maxBodyBytes: 1 << 20,
        keepSecrets: false,
        onSinkError: (err) => {
          throw err;
        },
      },
      head,
    );
    const tap = new SseTap(recorder);
    for (const chunk of chunks) tap.write(Buffer.from(chunk));
    tap.end();
    return events;
  }

  it('splits a stream into the same events however its bytes are chunked', () => {
    const stream = Buffer.from(
      'event: a\ndata: {"x":1}\n\nid: 7\ndata: line one\ndata: line two\n\n: comment\ndata: héllo wörld ✓\n\nretry: 5\ndata: [DONE]\n\n',
    );
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

  it('stops splitting a stream that holds more than 32 MB back without ending an event, instead of holding it all', () => {
    const line = Buffer.alloc(1024 * 1024, 'a');
    const events = eventsOf([
      Buffer.from('data: before\n\n'),
      ...Array.from({ length: 33 }, () => line),
      Buffer.from('\n\ndata: after\n\n'),
    ]);
    // Had the 33 MB been held, the blank line would have ended it and "after" would be an event.
    expect(events).toEqual([JSON.stringify([null, null, 'before'])]);
    // Below the bound the same shape splits whole.
    expect(eventsOf([Buffer.from('data: before\n\n'), line, Buffer.from('\n\ndata: after\n\n')])).toHaveLength(2);
  });
});

describe('hostile input in WebSocket frames', () => {
  const wsSender = createRequire(import.meta.url)('ws').Sender as {
    frame(
      data: Buffer,
      options: {
        fin: boolean;
        opcode: number;
        mask: boolean;
        readOnly: boolean;
        rsv1: boolean;
        generateMask?: (mask: Buffer) => void;
      },
    ): Buffer[];
  };
  type Message = { opcode: 1 | 2 | 9 | 10; payload: Buffer };

  function tapOf(deflate: boolean): { tap: FrameTap; messages: Message[]; recorded: ExchangeEvent[] } {
    const messages: Message[] = [];
    const recorded: ExchangeEvent[] = [];
    const sink = {
      emit: (e: ExchangeEvent) => {
        recorded.push(e);
        if (e.type === 'ws-message')
          messages.push({ opcode: e.message.opcode as Message['opcode'], payload: Buffer.from(e.message.payload) });
      },
    };
    const head: RequestHead = {
      startedAt: 0,
      clientAddress: '',
      method: 'GET',
      scheme: 'wss',
      host: 'x',
      port: 443,
      path: '/',
      httpVersion: '1.1',
      headers: [],
    };
    const recorder = new ExchangeRecorder(
      {
        sink,
        maxBodyBytes: 1 << 20,
        keepSecrets: false,
        onSinkError: (err) => {
          throw err;
        },
      },
      head,
    );
    const headers: [string, string][] = deflate ? [['Sec-WebSocket-Extensions', 'permessage-deflate']] : [];
    return { tap: new FrameTap(recorder, headers), messages, recorded };
  }

  const message = fc
    .record({
      opcode: fc.constantFrom(1 as const, 2 as const, 9 as const, 10 as const),
      size: fc.oneof(fc.nat({ max: 125 }), fc.integer({ min: 126, max: 70_000 })),
      fill: fc.nat({ max: 255 }),
    })
    .map(({ opcode, size, fill }): Message => {
      // Control frames carry at most 125 bytes; text frames here are ASCII.
      const length = opcode >= 8 ? Math.min(size, 125) : size;
      return { opcode, payload: Buffer.alloc(length, opcode === 1 ? 0x20 + (fill % 95) : fill) };
    });

  function framesOf(messages: Message[], masked: boolean): Buffer {
    return Buffer.concat(
      messages.flatMap((m) =>
        wsSender.frame(m.payload, {
          fin: true,
          opcode: m.opcode,
          mask: masked,
          readOnly: true,
          rsv1: false,
          generateMask: (mask) => mask.set([0x5a, 0x13, 0xc7, 0x81]),
        }),
      ),
    );
  }

  it('decodes the same messages in both directions however the frames are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (sent, cuts, fromClient) => {
          const bytes = framesOf(sent, fromClient);
          const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort(
            (a, b) => a - b,
          );
          const { tap, messages } = tapOf(false);
          for (let i = 1; i < points.length; i++)
            tap.write(fromClient ? 'send' : 'receive', bytes.subarray(points[i - 1], points[i]));
          // Buffers compared as bytes: a deep equality walks every byte as a value.
          expect(messages.map((m) => m.opcode)).toEqual(sent.map((m) => m.opcode));
          expect(messages.every((m, i) => m.payload.equals(sent[i].payload))).toBe(true);
          expect(tap.decodeError).toBeNull();
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('never throws on random or mutated frames, with or without permessage-deflate; it stops decoding and says so', () => {
    const first: Message = { opcode: 1, payload: Buffer.from('{"type":"response.create"}') };
    const firstFrame = framesOf([first], true);
    const valid = framesOf([first, { opcode: 2, payload: Buffer.alloc(300, 7) }], true);
    // Mutated after the first frame, that frame is intact and must still decode as sent.
    const mutated = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 6 }))
      .map(([at, noise]) => ({
        bytes: Buffer.concat([valid.subarray(0, at), noise, valid.subarray(at + noise.length)]),
        intactFirst: at >= firstFrame.length,
      }));
    const random = fc.uint8Array({ maxLength: 4096 }).map((a) => ({ bytes: Buffer.from(a), intactFirst: false }));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(mutated, random), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (chunks, deflate, fromClient) => {
          const { tap, messages } = tapOf(deflate);
          for (const chunk of chunks) {
            const failedBefore = tap.decodeError !== null;
            const countBefore = messages.length;
            tap.write(fromClient ? 'send' : 'receive', chunk.bytes);
            // Once a direction stopped decoding, nothing more is recorded from it.
            if (failedBefore) expect(messages.length).toBe(countBefore);
          }
          // Client frames are masked: from the client side, an intact first frame is its message.
          if (fromClient && chunks[0].intactFirst) {
            expect(messages[0]?.opcode).toBe(1);
            expect(messages[0]?.payload.equals(first.payload)).toBe(true);
          }
          if (tap.decodeError !== null)
            expect(tap.decodeError).toMatch(
              /^WebSocket frames \((send|receive)\) could not be decoded after this point: /,
            );
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('hostile WebSocket frames relayed to a live server', () => {
  it('never crash the proxy: random frames after a real upgrade, then a real client still gets its echo', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined); // the server's own complaint about bad frames
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const upgrade = `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    let upgraded = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 1024 }), { minLength: 1, maxLength: 4 }),
          async (chunks) => {
            await new Promise<void>((resolve) => {
              const socket = net.connect(h.wirelog.proxy.port, '127.0.0.1', () => socket.write(upgrade));
              let head = '';
              socket.on('data', (d) => {
                if (head.includes('\r\n\r\n')) return;
                head += d.toString('latin1');
                if (!head.includes('\r\n\r\n')) return;
                expect(head).toMatch(/^HTTP\/1\.1 101 /);
                upgraded++;
                for (const chunk of chunks) socket.write(chunk);
              });
              socket.setTimeout(300, () => socket.destroy());
              socket.on('close', () => resolve());
              socket.on('error', () => undefined);
            });
          },
        ),
        { seed: SEED, numRuns: 60 },
      );
      expect(upgraded).toBe(60);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { agent: new HttpsProxyAgent(h.proxyUrl) });
      const echo = await new Promise<string>((resolve, reject) => {
        ws.on('open', () => ws.send('still here'));
        ws.on('message', (d) => resolve(d.toString()));
        ws.on('error', reject);
      });
      ws.close();
      expect(echo).toBe('still here');
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise((r) => server.close(r));
    }
  });
});
