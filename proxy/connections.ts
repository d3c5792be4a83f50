import fs from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Language } from '../i18n/languages.ts';
import { answerText, serverText } from '../i18n/stored-text.ts';

export interface ClientLimits {
  /** Client connections open at once; past it new ones are answered 503 and closed. */
  maxConnections: number;
  /** From a CONNECT's 200 to the end of the TLS handshake inside the tunnel. */
  handshakeMs: number;
  /** From a connection's start, or the end of its last response, to a complete request head. */
  requestHeadMs: number;
}

export const DEFAULT_HANDSHAKE_MS = 10_000;
export const DEFAULT_REQUEST_HEAD_MS = 30_000;

/**
 * How long an idle client connection stays open for its next request. Node's 5 s default closed
 * connections clients were about to reuse, which a direct connection to the upstream would have
 * kept (nginx keeps them 75 s, the soak's upstream over 100 s): a client then fails on reuse.
 * Announced to clients as `Keep-Alive: timeout=120`.
 */
export const CLIENT_KEEP_ALIVE_MS = 120_000;

/**
 * This process's limit on open files. Node raises the soft limit to the hard one at start,
 * so what is read here is already as high as it goes; null where it cannot be read.
 */
export function openFileLimit(): number | null {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
    return soft ? Number(soft) : null;
  } catch {
    return null;
  }
}

/**
 * Each client connection may hold an upstream connection, and as many again may wait idle
 * in the upstream pools: three descriptors a client, beside some for the database, the
 * viewer and the worker.
 */
export function defaultMaxConnections(fileLimit = openFileLimit()): number {
  if (fileLimit === null) return 1000;
  return Math.max(16, Math.min(4096, Math.floor((fileLimit - 64) / 3)));
}

/**
 * Counts the listening server's client connections (a CONNECT tunnel is one of them) and
 * refuses those past the cap with a 503 before any parser sees them.
 */
export function capConnections(
  server: net.Server,
  max: number,
  warn: (message: string) => void,
  language: Language = 'en',
): { open(): number; closeAll(): void } {
  const open = new Set<net.Socket>();
  const handlers = server.listeners('connection') as ((socket: net.Socket) => void)[];
  server.removeAllListeners('connection');
  let warned = false;
  server.on('connection', (socket: net.Socket) => {
    if (open.size >= max) {
      if (!warned) warn(`wirelog: ${serverText(language, 'stored.connectionsFull', { n: max })}`);
      warned = true;
      return refuse(socket, max, language);
    }
    if (open.size < max * 0.9) warned = false;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    for (const handle of handlers) handle.call(server, socket);
  });
  return {
    open: () => open.size,
    closeAll: () => {
      for (const socket of open) socket.destroy();
    },
  };
}

/** The 503 in wirelog's language (`language`: the proxy's, as its other answers to clients). */
function refuse(socket: net.Socket, max: number, language: Language): void {
  const body = answerText(serverText('en', 'stored.tooManyConnections', { n: max }), language);
  socket.on('error', () => socket.destroy());
  // Under a flood every descriptor counts: this one is given back as soon as the answer is out.
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * A last answer on a raw socket. Whatever the client does next, its descriptor comes back: a
 * second after the answer is out, or ten seconds after it was written to a client not reading.
 */
export function endRaw(socket: Duplex, answer: string | Buffer): void {
  const destroyAfter = (ms: number) => setTimeout(() => socket.destroy(), ms).unref();
  socket.end(answer, () => destroyAfter(1000));
  destroyAfter(10_000);
}

export type HeadTimeoutKind = 'no-request' | 'partial-head';

/**
 * Gives each connection of an HTTP server `ms` to deliver a complete request head: from its
 * start, and again from the end of each response. Node's own headersTimeout is checked only
 * on servers that listen, and never for a second request on a kept-alive connection.
 * Attach it before capConnections, which passes accepted connections on to it.
 */
export class RequestHeadWatch {
  private readonly watches = new WeakMap<
    Duplex,
    { timer: NodeJS.Timeout | null; requests: number; inFlight: number }
  >();

  constructor(
    server: http.Server,
    private readonly ms: number,
    private readonly onTimeout: (socket: Duplex, kind: HeadTimeoutKind) => void,
  ) {
    server.on('connection', (socket: Duplex) => {
      this.watches.set(socket, { timer: null, requests: 0, inFlight: 0 });
      socket.once('close', () => this.handedOver(socket));
      this.arm(socket);
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      const watch = this.watches.get(socket);
      if (!watch) return;
      this.disarm(watch);
      watch.requests++;
      // Pipelined requests answer in turn: the wait for the next head starts after the last.
      watch.inFlight++;
      res.once('close', () => {
        watch.inFlight--;
        if (watch.inFlight === 0) this.arm(socket);
      });
    });
  }

  /** The connection is no longer HTTP (an upgrade, a CONNECT): other watches take over. */
  handedOver(socket: Duplex): void {
    const watch = this.watches.get(socket);
    if (watch) this.disarm(watch);
    this.watches.delete(socket);
  }

  private disarm(watch: { timer: NodeJS.Timeout | null }): void {
    if (watch.timer) clearTimeout(watch.timer);
    watch.timer = null;
  }

  private arm(socket: Duplex & { bytesRead?: number }): void {
    const watch = this.watches.get(socket);
    if (!watch || socket.destroyed) return;
    const bytesAtStart = socket.bytesRead ?? 0;
    watch.timer = setTimeout(() => {
      watch.timer = null;
      const partial = (socket.bytesRead ?? 0) > bytesAtStart;
      if (partial || watch.requests === 0) return this.onTimeout(socket, partial ? 'partial-head' : 'no-request');
      // An idle kept-alive connection is Node's to close (keepAliveTimeout), and not an exchange:
      // the watch goes on, for a head that starts later and never ends.
      this.arm(socket);
    }, this.ms);
    watch.timer.unref();
  }
}
