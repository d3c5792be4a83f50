import { HttpsProxyAgent } from 'https-proxy-agent';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responsesStreamEvents } from './support/fake-upstream.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

function proxyAgent(): HttpsProxyAgent<string> {
  return new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem });
}

describe('Responses over WebSocket, as Codex uses it', () => {
  it('relays a permessage-deflate WebSocket and stores every message inflated, with direction and time', async () => {
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: proxyAgent(),
      ca: h.caPem,
      perMessageDeflate: true,
      headers: { Authorization: 'Bearer sk-ws-secret-key-abcd1234' },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.extensions).toContain('permessage-deflate');
    const warmup = JSON.stringify({ type: 'response.create', model: 'ws-model', generate: false, input: [] });
    const turn = JSON.stringify({
      type: 'response.create',
      model: 'ws-model',
      input: [{ role: 'user', content: 'hi' }],
    });
    const expected = responsesStreamEvents('ws-model').map((e) => JSON.stringify(e.data));
    const received: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        received.push(data.toString());
        if (received.length === expected.length * 2) resolve();
      }),
    );
    ws.send(warmup);
    ws.send(turn);
    await done;
    ws.close(1000, 'bye');
    await new Promise((r) => ws.once('close', r));
    expect(received).toEqual([...expected, ...expected]);
    expect(h.upstream.wsReceived).toEqual([warmup, turn]);

    const ex = await eventually(() => {
      const found = h.wirelog.reader.list().find((e) => e.streamKind === 'websocket');
      return found && found.state === 'complete' ? found : null;
    }, 'the WebSocket exchange to complete');
    expect(ex.request).toMatchObject({ method: 'GET', scheme: 'wss', host: 'localhost', path: '/v1/responses' });
    expect(ex.response?.status).toBe(101);
    expect(ex.request.headers.find(([n]) => n === 'Authorization')?.[1]).toBe('Bearer ****1234');
    const messages = h.wirelog.reader.wsMessages(ex.id);
    const data = messages.filter((m) => m.opcode === 1);
    expect(data.filter((m) => m.direction === 'send').map((m) => Buffer.from(m.payload).toString())).toEqual([
      warmup,
      turn,
    ]);
    expect(data.filter((m) => m.direction === 'receive').map((m) => Buffer.from(m.payload).toString())).toEqual([
      ...expected,
      ...expected,
    ]);
    const close = messages.find((m) => m.opcode === 8 && m.direction === 'send')!;
    expect(Buffer.from(close.payload).readUInt16BE(0)).toBe(1000);
    for (let i = 1; i < messages.length; i++)
      expect(messages[i].offsetMs).toBeGreaterThanOrEqual(messages[i - 1].offsetMs - 1);
  });

  it('passes a refused upgrade through as it was sent (426), never as 400, so Codex falls back to SSE', async () => {
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/no-websocket-here`, {
      agent: proxyAgent(),
      ca: h.caPem,
    });
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgrade should have been refused')));
    });
    expect(status).toBe(426);
    // The row is stored when the upgrade request arrives, before the answer: wait for the exchange to end, not for the row.
    const ex = await eventually(
      () =>
        h.wirelog.reader
          .list()
          .find((e) => e.request.path === '/v1/no-websocket-here' && e.state !== 'pending' && e.state !== 'streaming'),
      'the refused upgrade to end',
    );
    expect(ex.state).toBe('complete');
    expect(ex.response?.status).toBe(426);
    expect(h.wirelog.reader.body(ex.id, 'response').toString()).toBe('Upgrade Required: use POST /v1/responses');
  });

  it('answers 502 when the WebSocket upstream cannot be reached', async () => {
    const ws = new WebSocket('wss://localhost:1/v1/responses', { agent: proxyAgent(), ca: h.caPem });
    const status = await new Promise<number>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(502);
  });
});

describe('the end of a compressed WebSocket', () => {
  it('stores the last messages even when the connection closes while they are still being inflated', async () => {
    const http = await import('node:http');
    const { WebSocketServer } = await import('ws');
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: true });
    // Large and compressible: inflating it takes a while after its bytes have been relayed.
    const big = JSON.stringify({ type: 'response.completed', text: 'abcdefgh '.repeat(400_000) });
    wss.on('connection', (socket) => {
      socket.send(big, () => socket.terminate());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      for (let i = 0; i < 5; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/end-${i}`, { agent: proxyAgent(), perMessageDeflate: true });
        ws.on('error', () => undefined);
        await new Promise((r) => ws.once('close', r));
      }
      await h.stored();
      const ended = h.wirelog.reader.list({ limit: 100 }).filter((e) => e.request.path.startsWith('/end-'));
      expect(ended).toHaveLength(5);
      for (const e of ended) {
        const messages = h.wirelog.reader.wsMessages(e.id);
        expect(messages.map((m) => Buffer.from(m.payload).length)).toContain(Buffer.byteLength(big));
      }
    } finally {
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
