import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { request, type Dispatcher } from 'undici';
import { readBody } from '../support/fake-upstream.ts';
import { selfSignedCertificate, type TestCertificate } from '../support/upstream-cert.ts';

/**
 * A local upstream that misbehaves on request, over plain HTTP and TLS on 127.0.0.1:
 * resets, stalls, malformed responses, bad certificates, and well-behaved routes whose
 * every body can be checked against what was stored.
 */
export interface HostileUpstream {
  httpUrl: string;
  httpsUrl: string;
  /** TLS servers that present an expired certificate and one for another host. */
  expiredUrl: string;
  wrongHostUrl: string;
  /** Accepts TCP, then closes in the middle of the TLS handshake. */
  tlsCloseUrl: string;
  /** Every certificate these servers present, for --upstream-ca: trust is not what they fail on. */
  caPem: string;
  /** When the upstream side of the request with this `tag` query parameter closed (epoch ms). */
  closedAt(key: string): Promise<number>;
  /** How many of these keys' requests reached the upstream and have closed there. */
  closedKeys(keys: string[]): number;
  /** Bytes moved so far by key: sent by /bytes, received by /upload. */
  progress: Map<string, number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What /load answers for a request body: distinct per request, so a mix-up shows. */
export function loadReply(token: string, body: Buffer): string {
  return JSON.stringify({
    tag: token,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    pad: `reply-${token}-`.repeat(20),
  });
}

/** POST /load?t=token through `dispatcher`: the status and the reply as text. */
export async function postLoad(
  baseUrl: string,
  dispatcher: Dispatcher,
  token: string,
  body: Buffer | string,
): Promise<{ status: number; reply: string }> {
  const res = await request(`${baseUrl}/load?t=${token}`, { dispatcher, method: 'POST', body });
  return { status: res.statusCode, reply: await res.body.text() };
}

export function sseEvent(id: string, seq: number): string {
  return `data: {"stream":"${id}","seq":${seq}}\n\n`;
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const good = selfSignedCertificate();
  const expired = selfSignedCertificate(['localhost', '127.0.0.1'], -2);
  const wrongHost = selfSignedCertificate(['other.example']);
  const closed = new Map<string, { at?: number; resolve?: (at: number) => void }>();
  const progress = new Map<string, number>();
  const noteClosed = (key: string) => {
    const entry = closed.get(key) ?? {};
    entry.at ??= Date.now();
    entry.resolve?.(entry.at);
    closed.set(key, entry);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.searchParams.get('tag');
    if (key) res.on('close', () => noteClosed(key));
    const socket = req.socket;
    switch (url.pathname) {
      case '/load': {
        const body = await readBody(req);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(loadReply(url.searchParams.get('t') ?? '', body));
      }
      case '/sse': {
        const id = url.searchParams.get('id') ?? '';
        const n = Number(url.searchParams.get('n') ?? 0);
        const every = Number(url.searchParams.get('every') ?? 100);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let seq = 0;
        const timer = setInterval(() => {
          if (n && seq >= n) {
            clearInterval(timer);
            return void res.end('data: [DONE]\n\n');
          }
          res.write(sseEvent(id, seq++));
        }, every);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/reset':
        // The pauses are the scenario: two events apart, then a reset.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sseEvent('reset', 0));
        await sleep(50);
        res.write(sseEvent('reset', 1));
        await sleep(50);
        return void socket.resetAndDestroy();
      case '/stall':
        return;
      case '/stall-body':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.write(sseEvent('stall', 0));
      case '/bad-status':
        await readBody(req);
        return void socket.end('HTTP/1.1 2x0 Not A Status\r\ncontent-length: 2\r\n\r\nok');
      case '/bad-chunked':
        return void socket.end(
          'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nnot a chunk\r\n',
        );
      case '/bytes': {
        const total = Number(url.searchParams.get('n') ?? 0);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
            sent += piece.length;
            if (key) progress.set(key, sent);
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/upload': {
        // Reads whatever arrives and answers only once the whole body is in.
        if (key) req.on('data', (c: Buffer) => progress.set(key, (progress.get(key) ?? 0) + c.length));
        const body = await readBody(req);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ size: body.length, sha256: createHash('sha256').update(body).digest('hex') }),
        );
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no route ${url.pathname}`);
    }
  }
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) =>
    void handle(req, res).catch(() => res.destroy());

  const plain = http.createServer(onRequest);
  const tls = https.createServer({ cert: good.certPem, key: good.keyPem }, onRequest);
  const expiredServer = https.createServer({ cert: expired.certPem, key: expired.keyPem }, onRequest);
  const wrongHostServer = https.createServer({ cert: wrongHost.certPem, key: wrongHost.keyPem }, onRequest);
  const tlsClose = net.createServer((s) => s.once('data', () => s.destroy()));
  const servers: net.Server[] = [plain, tls, expiredServer, wrongHostServer, tlsClose];
  const ports = await Promise.all(servers.map((s) => listen(s)));
  const [plainPort, tlsPort, expiredPort, wrongPort, closePort] = ports;

  return {
    httpUrl: `http://127.0.0.1:${plainPort}`,
    httpsUrl: `https://127.0.0.1:${tlsPort}`,
    expiredUrl: `https://127.0.0.1:${expiredPort}`,
    wrongHostUrl: `https://127.0.0.1:${wrongPort}`,
    tlsCloseUrl: `https://127.0.0.1:${closePort}`,
    caPem: [good, expired, wrongHost].map((c: TestCertificate) => c.certPem).join(''),
    progress,
    closedKeys: (keys) => keys.filter((k) => closed.get(k)?.at !== undefined).length,
    closedAt(key) {
      const entry = closed.get(key) ?? {};
      closed.set(key, entry);
      if (entry.at !== undefined) return Promise.resolve(entry.at);
      return new Promise((resolve) => (entry.resolve = resolve));
    },
    async close() {
      for (const s of servers) {
        if (s instanceof http.Server) s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/**
 * An upstream that closes connections left idle for `idleMs`, as servers and middleboxes do:
 * a request that arrives on such a connection is dropped unanswered, which is what a client
 * sees when the close crosses its request on the wire. With `announce`, it says so first in
 * `Keep-Alive: timeout=N`. Counts what it answered and what it dropped, for the tests to check
 * wirelog's record against.
 */
export interface IdleClosingUpstream {
  url: string;
  /** Requests dropped because their connection had been idle too long. */
  dropped: number;
  /** Answered requests by their `t` query parameter. */
  answered: Map<string, number>;
  /** Tokens of the requests answered as the first on their connection. */
  firstOnConnection: Set<string>;
  connections: number;
  close(): Promise<void>;
}

export async function startIdleClosingUpstream(
  idleMs: number,
  announce: boolean,
  secure = false,
): Promise<IdleClosingUpstream> {
  const idleSince = new WeakMap<net.Socket, number>();
  const state: IdleClosingUpstream = {
    url: '',
    dropped: 0,
    answered: new Map(),
    firstOnConnection: new Set(),
    connections: 0,
    close: async () => undefined,
  };
  const used = new WeakSet<net.Socket>();
  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const since = idleSince.get(req.socket);
    if (since !== undefined && Date.now() - since >= idleMs) {
      state.dropped++;
      return void req.socket.destroy();
    }
    idleSince.delete(req.socket);
    const body = await readBody(req);
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('t') ?? '';
    state.answered.set(token, (state.answered.get(token) ?? 0) + 1);
    if (!used.has(req.socket)) state.firstOnConnection.add(token);
    used.add(req.socket);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (announce) headers['keep-alive'] = `timeout=${Math.round(idleMs / 1000)}`;
    res.writeHead(200, headers);
    res.end(loadReply(token, body));
    res.on('finish', () => idleSince.set(req.socket, Date.now()));
  };
  const cert = secure ? selfSignedCertificate() : null;
  const server = cert
    ? https.createServer({ cert: cert.certPem, key: cert.keyPem }, onRequest)
    : http.createServer(onRequest);
  // No timer and no header of Node's own: the idle rule above is the only one.
  server.keepAliveTimeout = 0;
  server.on(secure ? 'secureConnection' : 'connection', () => state.connections++);
  const port = await listen(server);
  state.url = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return state;
}
