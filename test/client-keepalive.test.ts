import { EventEmitter } from 'node:events';
import type http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEEP_ALIVE_MS } from '../proxy/connections.ts';
import { watchUpstream } from '../proxy/upstream-request.ts';
import { eventually, startHarness, within, type Harness } from './support/harness.ts';

/** A stand-in for http.ClientRequest: the events and calls watchUpstream uses. */
class FakeRequest extends EventEmitter {
  timeoutMs = 0;
  destroyedWith: Error | null = null;
  setTimeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }
  destroy(err: Error): this {
    this.destroyedWith = err;
    return this;
  }
}

describe('the upstream idle watch', () => {
  const target = { scheme: 'http' as const, host: 'relay.example', port: 80, clientAddress: '' };
  const timeouts = { connectMs: 30_000, idleMs: 600_000 };

  it('a timeout event before the silence is long enough (a socket still carrying the pool idle timeout) only waits out the rest', () => {
    let clock = 0;
    const req = new FakeRequest();
    watchUpstream(req as unknown as http.ClientRequest, timeouts, target, () => clock);
    expect(req.timeoutMs).toBe(600_000);
    clock = 4_000;
    req.emit('timeout');
    expect(req.destroyedWith).toBeNull();
    clock = 600_000;
    req.emit('timeout');
    expect(req.destroyedWith?.message).toBe('no data from relay.example:80 for 600 s (--idle-timeout 600 s)');
    req.emit('close');
  });

  it('waits out the rest with its own timer: the socket reports only its first timeout', async () => {
    let clock = 0;
    const req = new FakeRequest();
    watchUpstream(req as unknown as http.ClientRequest, { connectMs: 1000, idleMs: 50 }, target, () => clock);
    clock = 10;
    req.emit('timeout');
    expect(req.destroyedWith).toBeNull();
    clock = 60;
    const deadline = Date.now() + 10_000;
    while (!req.destroyedWith && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(req.destroyedWith?.message).toBe('no data from relay.example:80 for 0.1 s (--idle-timeout 0.05 s)');
  });

  it('counts silence from the last byte heard', () => {
    let clock = 0;
    const req = new FakeRequest();
    const socket = Object.assign(new EventEmitter(), { connecting: false });
    watchUpstream(req as unknown as http.ClientRequest, { connectMs: 1000, idleMs: 10_000 }, target, () => clock);
    req.emit('socket', socket);
    clock = 9_000;
    socket.emit('data', Buffer.from('x'));
    clock = 12_000;
    req.emit('timeout');
    expect(req.destroyedWith).toBeNull();
    clock = 19_000;
    req.emit('timeout');
    expect(req.destroyedWith?.message).toBe('no data from relay.example:80 for 10 s (--idle-timeout 10 s)');
    // The socket outlives the request: the listener goes with it.
    req.emit('close');
    expect(socket.listenerCount('data')).toBe(0);
  });
});

let h: Harness;
beforeAll(async () => {
  // A short head timeout: an idle kept-alive connection outlives it.
  h = await startHarness({ requestHeadTimeoutS: 0.3 });
});
afterAll(() => h?.close());

/** Sends requests one after another on one connection, waiting `idleMs` between them; the answers' heads. */
async function onOneConnection(
  port: number,
  requests: string[],
  idleMs: number,
): Promise<{ heads: string[]; closedEarly: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  const heads: string[] = [];
  let buffered = '';
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.on('data', (d) => (buffered += d.toString('latin1')));
  try {
    for (const request of requests) {
      if (closed) return { heads, closedEarly: true };
      socket.write(request);
      const deadline = Date.now() + 15_000;
      while (!/\r\n\r\n/.test(buffered) && !closed && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      const head = buffered.split('\r\n\r\n')[0];
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      while (buffered.length < head.length + 4 + length && !closed && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      heads.push(head);
      buffered = buffered.slice(head.length + 4 + length);
      // The idle period is the scenario: longer than the request-head timeout.
      await new Promise((r) => setTimeout(r, idleMs));
    }
    return { heads, closedEarly: closed };
  } finally {
    socket.destroy();
  }
}

describe('idle client connections stay open for their next request', () => {
  it(`announces Keep-Alive: timeout=${CLIENT_KEEP_ALIVE_MS / 1000} and keeps an idle connection past the request-head timeout`, async () => {
    const port = h.wirelog.proxy.port;
    const request = `GET /http/127.0.0.1:${h.upstream.httpPort}/v1/models HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const { heads, closedEarly } = await onOneConnection(port, [request, request, request], 1000);
    expect(closedEarly).toBe(false);
    expect(heads).toHaveLength(3);
    for (const head of heads) {
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head).toMatch(new RegExp(`keep-alive: timeout=${CLIENT_KEEP_ALIVE_MS / 1000}`, 'i'));
    }
  });

  it('still closes a connection that starts a head and never ends it', async () => {
    const port = h.wirelog.proxy.port;
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(`GET /http/127.0.0.1:${h.upstream.httpPort}/v1/models HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    // The first answer in whole, then a head that never ends.
    await eventually(
      () => /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n[\s\S]*"object":"list"[\s\S]*\}$/.test(answer),
      'the first answer',
    );
    socket.write('GET /v1/models HTTP/1.1\r\nHost: x\r\n');
    await within(closed, 'the connection to be closed');
    expect(answer).toMatch(/HTTP\/1\.1 408 /);
  });
});
