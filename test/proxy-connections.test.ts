// proxy/connections.ts, the parts that need no socket: the cap on client connections (fed a
// server and sockets that are event emitters), the last answer on a raw socket, the wait for a
// request head, and the default cap from the open-file limit. The 503 is an HTTP/1.1 message
// (RFC 9112): a status line, Content-Length counting octets, not characters (RFC 9110 8.6), so a
// Chinese answer is framed right; Retry-After in seconds (RFC 9110 10.2.3); Connection: close.
// Requests on one connection are answered in order (RFC 9112 9.3.2): the wait for the next head
// starts when the last response is done.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  capConnections,
  defaultMaxConnections,
  endRaw,
  type HeadTimeoutKind,
  openFileLimit,
  RequestHeadWatch,
} from '../proxy/connections.ts';

/** A client socket as the server's 'connection' listeners see it: what they call on it, recorded. */
class FakeSocket extends EventEmitter {
  written: string[] = [];
  ended = false;
  destroyed = false;
  bytesRead = 0;
  end(data?: string | Buffer, done?: () => void): this {
    if (data !== undefined) this.written.push(data.toString());
    this.ended = true;
    done?.();
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}

const asSocket = (s: FakeSocket) => s as unknown as net.Socket;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the default cap on client connections', () => {
  it('three descriptors a client, beside 64 for the rest', () => {
    expect(defaultMaxConnections(1024)).toBe(320);
    expect(defaultMaxConnections(65_536)).toBe(4096);
    expect(defaultMaxConnections(Number.POSITIVE_INFINITY)).toBe(4096);
    expect(defaultMaxConnections(100)).toBe(16);
    expect(defaultMaxConnections(null)).toBe(1000);
  });

  it("this process's open-file limit is a positive number where it can be read", () => {
    const limit = openFileLimit();
    if (limit !== null) expect(limit).toBeGreaterThan(0);
  });
});

describe('the cap', () => {
  function capped(max: number, language: 'en' | 'zh-CN' = 'en') {
    const server = new EventEmitter();
    const accepted: FakeSocket[] = [];
    server.on('connection', (socket: FakeSocket) => accepted.push(socket));
    const warnings: string[] = [];
    const cap = capConnections(server as unknown as net.Server, max, (m) => warnings.push(m), language);
    const connect = () => {
      const socket = new FakeSocket();
      server.emit('connection', asSocket(socket));
      return socket;
    };
    return { accepted, warnings, cap, connect };
  }

  it("connections up to the cap go on to the server's own listeners, and are counted while open", () => {
    const { accepted, cap, connect } = capped(2);
    const [a, b] = [connect(), connect()];
    expect(accepted).toEqual([a, b]);
    expect(cap.open()).toBe(2);
    a.destroy();
    expect(cap.open()).toBe(1);
  });

  it('past it, a connection is answered 503 and closed before any listener sees it', () => {
    const { accepted, cap, connect } = capped(1);
    connect();
    const refused = connect();
    expect(accepted).toHaveLength(1);
    expect(cap.open()).toBe(1);
    expect(refused.ended).toBe(true);
    const [head, body] = refused.written[0].split('\r\n\r\n');
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(lines).toContain('Retry-After: 1');
    expect(lines).toContain('Connection: close');
    expect(lines).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(body).toMatch(/--max-connections/);
  });

  it('its descriptor comes back as soon as the answer is out', () => {
    const { connect } = capped(0);
    expect(connect().destroyed).toBe(true);
  });

  it('a Chinese answer is framed by its bytes, not its characters', () => {
    const { connect } = capped(0, 'zh-CN');
    const [head, body] = connect().written[0].split('\r\n\r\n');
    expect(body).toMatch(/[\u4e00-\u9fff]/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
  });

  it('the owner is told once when the cap is reached, and again only after the count fell below 90%', () => {
    const { warnings, connect } = capped(10);
    const open = Array.from({ length: 10 }, connect);
    connect();
    connect();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^wirelog: .*10/);
    open[0].destroy();
    connect(); // 10 open again, still above 90%: no reset
    connect();
    expect(warnings).toHaveLength(1);
    for (const s of open.slice(1, 3)) s.destroy();
    connect(); // 8 open when it came: below 90%, the next refusal is said again
    connect();
    connect();
    expect(warnings).toHaveLength(2);
  });

  it('closeAll closes every open connection', () => {
    const { cap, connect } = capped(3);
    const sockets = [connect(), connect()];
    cap.closeAll();
    expect(sockets.map((s) => s.destroyed)).toEqual([true, true]);
    expect(cap.open()).toBe(0);
  });
});

describe('a last answer on a raw socket', () => {
  it('is closed a second after the answer is out', () => {
    const socket = new FakeSocket();
    endRaw(socket as unknown as Duplex, 'HTTP/1.1 400 Bad Request\r\n\r\n');
    expect(socket.written).toEqual(['HTTP/1.1 400 Bad Request\r\n\r\n']);
    vi.advanceTimersByTime(999);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('to a client that does not read, it is closed ten seconds after it was written', () => {
    const socket = new FakeSocket();
    // The answer never gets out: end's callback never runs.
    socket.end = function (this: FakeSocket, data?: string | Buffer) {
      if (data !== undefined) this.written.push(data.toString());
      return this;
    };
    endRaw(socket as unknown as Duplex, 'x');
    vi.advanceTimersByTime(9_999);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });
});

describe('the wait for a request head', () => {
  const MS = 1000;

  function watched() {
    const server = new EventEmitter();
    const timeouts: [FakeSocket, HeadTimeoutKind][] = [];
    const watch = new RequestHeadWatch(server as unknown as http.Server, MS, (socket, kind) =>
      timeouts.push([socket as unknown as FakeSocket, kind]),
    );
    const connect = () => {
      const socket = new FakeSocket();
      server.emit('connection', socket);
      return socket;
    };
    /** A complete head arrived; the response ends when the returned function is called. */
    const request = (socket: FakeSocket) => {
      const res = new EventEmitter();
      server.emit('request', { socket } as unknown as http.IncomingMessage, res);
      return () => res.emit('close');
    };
    return { watch, timeouts, connect, request };
  }

  it('a connection that sends nothing is timed out as no request', () => {
    const { timeouts, connect } = watched();
    const socket = connect();
    vi.advanceTimersByTime(MS - 1);
    expect(timeouts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(timeouts).toEqual([[socket, 'no-request']]);
  });

  it('one that sent part of a head is timed out as a partial head', () => {
    const { timeouts, connect } = watched();
    const socket = connect();
    socket.bytesRead = 20;
    vi.advanceTimersByTime(MS);
    expect(timeouts).toEqual([[socket, 'partial-head']]);
  });

  it('no wait runs while a request is answered, however long', () => {
    const { timeouts, connect, request } = watched();
    const socket = connect();
    request(socket);
    vi.advanceTimersByTime(10 * MS);
    expect(timeouts).toEqual([]);
  });

  it('after a response, an idle kept-alive connection is left to Node; a head that starts and stalls is timed out', () => {
    const { timeouts, connect, request } = watched();
    const socket = connect();
    socket.bytesRead = 100;
    request(socket)();
    vi.advanceTimersByTime(5 * MS);
    expect(timeouts).toEqual([]);
    socket.bytesRead = 130;
    vi.advanceTimersByTime(MS);
    expect(timeouts).toEqual([[socket, 'partial-head']]);
  });

  it('pipelined requests: the wait starts after the last response, not the first', () => {
    const { timeouts, connect, request } = watched();
    const socket = connect();
    const endFirst = request(socket);
    const endSecond = request(socket);
    endFirst();
    socket.bytesRead = 50;
    vi.advanceTimersByTime(5 * MS);
    expect(timeouts).toEqual([]);
    endSecond();
    socket.bytesRead = 60;
    vi.advanceTimersByTime(MS);
    expect(timeouts).toEqual([[socket, 'partial-head']]);
  });

  it('a connection handed over (CONNECT, upgrade) or closed is no longer watched', () => {
    const { watch, timeouts, connect } = watched();
    const tunnel = connect();
    watch.handedOver(tunnel as unknown as Duplex);
    connect().destroy();
    vi.advanceTimersByTime(10 * MS);
    expect(timeouts).toEqual([]);
  });

  it('a request on a connection it does not watch is let be', () => {
    const { timeouts, request } = watched();
    request(new FakeSocket())();
    vi.advanceTimersByTime(10 * MS);
    expect(timeouts).toEqual([]);
  });
});
