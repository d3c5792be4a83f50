import http from 'node:http';
import https from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Proxy } from 'http-mitm-proxy';
import type { CertificateAuthority } from '../certs/ca.ts';
import { LeafIssuer } from '../certs/leaf.ts';
import { forwardHttp, sendProxyError, type ForwardSettings, type Target, type UpstreamTimeouts } from './forward.ts';
import { ExchangeRecorder, type CaptureSettings } from './recorder.ts';
import { createUpstreamAgents, type UpstreamOptions } from './upstream.ts';
import { relayUpgrade } from './websocket.ts';

export interface ProxyOptions extends CaptureSettings {
  host: string;
  port: number;
  ca: CertificateAuthority;
  upstream: UpstreamOptions;
  timeouts: UpstreamTimeouts;
  /** "user:pass" every client must send as Proxy-Authorization (Basic); none when absent. */
  proxyAuth?: string;
  /** Diagnostics about wirelog itself, not about captured traffic. */
  debug: (message: string) => void;
}

export interface RunningProxy {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

type Tunnel = Pick<Target, 'host' | 'port'>;

function parseTunnel(authority: string | undefined): Tunnel | null {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(authority ?? '');
  return m ? { host: m[1], port: Number(m[2]) } : null;
}

const PROXY_AUTH_REQUIRED =
  'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="wirelog"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

function formatAddress(socket: { remoteAddress?: string; remotePort?: number }): string {
  const address = socket.remoteAddress ?? '';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.includes(':') ? `[${host}]:${socket.remotePort ?? ''}` : `${host}:${socket.remotePort ?? ''}`;
}

/**
 * http-mitm-proxy listens, answers CONNECT and tells TLS from plain text. From there the
 * tunnel's socket goes straight into an in-process server for that target (TLS terminated
 * with our certificate), instead of its per-host HTTPS servers on loopback ports: one TCP
 * hop less per request. Forwarding is ours too: its own relays lose backpressure, header
 * case, client aborts and refused WebSocket upgrades (see FACTS.md).
 */
class InterceptingProxy extends Proxy {
  private readonly leaves: LeafIssuer;
  /** One server per CONNECT target, so every request on it knows where it goes. */
  private readonly interceptors = new Map<string, http.Server>();
  private readonly tunnels = new Set<Duplex>();
  /** Set while listening starts: the listening socket's own errors (port in use) end up here. */
  onServerError: ((err: Error) => void) | null = null;

  private readonly expectedAuth: Buffer | null;

  constructor(private readonly settings: ForwardSettings & Pick<ProxyOptions, 'debug' | 'ca' | 'proxyAuth'>) {
    super();
    this.leaves = new LeafIssuer(settings.ca);
    this.expectedAuth = settings.proxyAuth ? Buffer.from(`Basic ${Buffer.from(settings.proxyAuth).toString('base64')}`) : null;
  }

  /** With --proxy-auth, every request and CONNECT must carry the credentials (compared in constant time). */
  private authorized(req: http.IncomingMessage): boolean {
    if (!this.expectedAuth) return true;
    const sent = Buffer.from(req.headers['proxy-authorization'] ?? '');
    return sent.length === this.expectedAuth.length && timingSafeEqual(sent, this.expectedAuth);
  }

  override _onHttpServerConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.authorized(req)) return void socket.end(PROXY_AUTH_REQUIRED);
    super._onHttpServerConnect(req, socket, head);
  }

  override _onHttpServerConnectData(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.pause();
    const tunnel = parseTunnel(req.url);
    if (!tunnel || this.isSelf(tunnel)) {
      socket.destroy();
      return;
    }
    // TLS records start with 0x16 (SSLv2-style hellos with 0x80 or 0x00); anything else is plain HTTP.
    const tls = head[0] === 0x16 || head[0] === 0x80 || head[0] === 0x00;
    let server: http.Server;
    try {
      server = this.interceptorFor(tunnel, tls);
    } catch (err) {
      this.settings.debug(`cannot intercept ${req.url}: ${(err as Error).message}`);
      socket.destroy();
      return;
    }
    this.tunnels.add(socket);
    socket.once('close', () => this.tunnels.delete(socket));
    if (tls) {
      // The TLS socket reads what is already buffered on the socket it wraps.
      socket.unshift(head);
      server.emit('connection', socket);
    } else {
      // The HTTP parser reads the socket's handle directly; the first bytes are handed over as an event.
      server.emit('connection', socket);
      socket.emit('data', head);
    }
  }

  private interceptorFor(tunnel: Tunnel, tls: boolean): http.Server {
    const key = `${tls ? 'tls' : 'plain'} ${tunnel.host} ${tunnel.port}`;
    let server = this.interceptors.get(key);
    if (server) return server;
    if (tls) {
      const leaf = this.leaves.issue(tunnel.host);
      const secure = https.createServer({ key: leaf.keyPem, cert: leaf.certPem, ALPNProtocols: ['http/1.1'] });
      secure.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.recordTlsFailure(err, socket, tunnel));
      server = secure;
    } else {
      server = http.createServer();
    }
    server.timeout = 0;
    const scheme = tls ? 'https' : 'http';
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      forwardHttp(req, res, { scheme, ...tunnel, clientAddress: formatAddress(req.socket) }, req.url ?? '/', this.settings);
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      relayUpgrade(req, socket, head, { scheme, ...tunnel, clientAddress: formatAddress(req.socket) }, req.url ?? '/', this.settings);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuseMalformed(err, socket, scheme, tunnel));
    this.interceptors.set(key, server);
    return server;
  }

  /** The listening server: absolute-form requests ("GET http://host/path") and their upgrades. */
  attachToListener(server: http.Server): void {
    server.timeout = 0;
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.authorized(req)) return void socket.end(PROXY_AUTH_REQUIRED);
      const route = this.absoluteRoute(req);
      if (!route || this.isSelf(route.target)) {
        const body = 'wirelog: no upstream for this upgrade here\n';
        socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      relayUpgrade(req, socket, head, route.target, route.path, this.settings);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuseMalformed(err, socket, 'http', null));
  }

  override _onHttpServerRequest(_isSSL: boolean, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.authorized(req)) {
      req.resume();
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="wirelog"', 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('wirelog: this proxy needs the credentials given with --proxy-auth\n');
    }
    const route = this.absoluteRoute(req);
    if (!route) return this.answerDirect(req, res);
    if (this.isSelf(route.target)) return sendProxyError(res, 508, 'wirelog: this request points at the proxy itself (a loop)');
    forwardHttp(req, res, route.target, route.path, this.settings);
  }

  private absoluteRoute(req: http.IncomingMessage): { target: Target; path: string } | null {
    const absolute = /^(https?|wss?):\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^/?#:]*)(?::(\d+))?([^#]*)/i.exec(req.url ?? '');
    if (!absolute) return null;
    const secure = /^(https|wss)$/i.test(absolute[1]);
    const host = absolute[2].replace(/^\[|\]$/g, '');
    const port = absolute[3] ? Number(absolute[3]) : secure ? 443 : 80;
    const path = absolute[4].startsWith('/') ? absolute[4] : `/${absolute[4]}`;
    return { target: { scheme: secure ? 'https' : 'http', host, port, clientAddress: formatAddress(req.socket) }, path };
  }

  private isSelf(target: Tunnel): boolean {
    const loopback = target.host === 'localhost' || target.host === this.httpHost || /^127\.|^::1$|^0\.0\.0\.0$/.test(target.host);
    return loopback && target.port === this.httpPort;
  }

  private answerDirect(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    sendProxyError(res, 404, `wirelog proxy: this port is an HTTP(S) proxy, not a web server.\nUse it as HTTPS_PROXY=http://${this.httpHost}:${this.httpPort} (see \`wirelog env\`), or start a program with \`wirelog run -- <command>\`.`);
  }

  private refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex, scheme: 'http' | 'https', tunnel: Tunnel | null): void {
    // A keep-alive connection closing between requests is not an error.
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const oversize = err.code === 'HPE_HEADER_OVERFLOW';
    const status = oversize ? 431 : 400;
    const reason = oversize ? 'request headers are larger than 16 KB' : `malformed request (${err.code ?? 'parse error'}: ${err.message})`;
    const rawPacket = (err as { rawPacket?: Buffer }).rawPacket;
    const [method = '', path = ''] = (rawPacket ? rawPacket.subarray(0, 2048).toString('latin1').split('\r\n')[0] : '').split(' ');
    const recorder = new ExchangeRecorder(this.settings, {
      startedAt: Date.now(),
      clientAddress: formatAddress(socket as net.Socket),
      method: method.slice(0, 32),
      scheme,
      host: tunnel?.host ?? '',
      port: tunnel?.port ?? 0,
      path: path.slice(0, 2048),
      httpVersion: '',
      headers: [],
    });
    const body = `wirelog: ${reason}\n`;
    recorder.responseHead({ status, statusText: http.STATUS_CODES[status] ?? '', httpVersion: '1.1', headers: [['Content-Type', 'text/plain; charset=utf-8']] });
    recorder.responseChunk(Buffer.from(body));
    recorder.end('proxy_error', reason);
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  private recordTlsFailure(err: NodeJS.ErrnoException, socket: TLSSocket, tunnel: Tunnel): void {
    const recorder = new ExchangeRecorder(this.settings, {
      startedAt: Date.now(),
      clientAddress: formatAddress(socket),
      method: 'CONNECT',
      scheme: 'https',
      host: tunnel.host,
      port: tunnel.port,
      path: '',
      httpVersion: '1.1',
      headers: [],
    });
    recorder.end('proxy_error', `the client ended the TLS handshake with wirelog (${err.code ?? err.message}): it probably does not trust the wirelog CA; start it with \`wirelog run\` or set its CA variable (see \`wirelog env\`)`);
  }

  override _onError(kind: string, _ctx: unknown, err: Error): void {
    if (kind === 'HTTP_SERVER_ERROR' && this.onServerError) return this.onServerError(err);
    this.settings.debug(`http-mitm-proxy ${kind}: ${err?.message ?? err}`);
  }

  closeTunnels(): void {
    for (const socket of this.tunnels) socket.destroy();
  }
}

export function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const agents = createUpstreamAgents(options.upstream);
  const proxy = new InterceptingProxy({ ...options, agents });
  return new Promise((resolve, reject) => {
    proxy.onServerError = reject;
    proxy.listen(
      { host: options.host, port: options.port, sslCaDir: options.ca.files.dir, keepAlive: true, httpAgent: agents.http, httpsAgent: agents.https },
      (err?: Error | null) => {
        if (err) return reject(err);
        proxy.onServerError = null;
        const server = proxy.httpServer!;
        proxy.attachToListener(server);
        // Clients find the credentials in the proxy URL (HTTPS_PROXY=http://user:pass@host:port).
        const credentials = options.proxyAuth ? `${options.proxyAuth.split(':').map(encodeURIComponent).join(':')}@` : '';
        const url = `http://${credentials}${options.host.includes(':') ? `[${options.host}]` : options.host}:${proxy.httpPort}`;
        resolve({
          host: options.host,
          port: proxy.httpPort,
          url,
          close: async () => {
            proxy.close();
            server.closeAllConnections();
            proxy.closeTunnels();
            agents.http.destroy();
            agents.https.destroy();
          },
        });
      },
    );
  });
}
