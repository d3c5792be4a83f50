import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Proxy as MitmProxy } from 'http-mitm-proxy';
import type { Language } from '../i18n/languages.ts';
import { answerText, serverText } from '../i18n/stored-text.ts';
import type { CertificateAuthority } from '../certs/ca.ts';
import { LeafIssuer } from '../certs/leaf.ts';
import {
  CLIENT_KEEP_ALIVE_MS,
  capConnections,
  endRaw,
  RequestHeadWatch,
  type ClientLimits,
  type HeadTimeoutKind,
} from './connections.ts';
import { forwardHttp, sendProxyError, type ForwardSettings, type Target, type UpstreamTimeouts } from './forward.ts';
import { gatewayRoute, isGatewayPath, parseHostHeader, type GatewayRefusal, type GatewayRoute } from './gateway.ts';
import { ExchangeRecorder, type CaptureSettings } from './recorder.ts';
import { openTunnel, type Tunnel } from './tunnel.ts';
import { createUpstreamAgents, type UpstreamOptions } from './upstream.ts';
import { relayUpgrade } from './websocket.ts';
import { checkSelf, resolverOf, type Resolve } from './self-address.ts';
import { headWithoutUpgradeOffer, offersWebSocket } from './upgrade-offer.ts';
import { headerPairs } from './headers.ts';
import type { Header } from '../model/exchange.ts';

export interface ProxyOptions extends CaptureSettings {
  host: string;
  port: number;
  ca: CertificateAuthority;
  upstream: UpstreamOptions;
  timeouts: UpstreamTimeouts;
  clients: ClientLimits;
  /** "user:pass" every client must send as Proxy-Authorization (Basic); none when absent. */
  proxyAuth?: string;
  /** Diagnostics about wirelog itself, not about captured traffic. */
  debug: (message: string) => void;
  /** Said once on the console: wirelog itself is in trouble (too many connections). */
  warn: (message: string) => void;
  /** Gateway URLs (/https/HOST/...) need /t/TOKEN/ first; null on loopback, where the Host decides. */
  gatewayToken: string | null;
  /** Ports of this wirelog besides the proxy's (the viewer): a request for them is a loop. */
  ownPorts: () => number[];
  /** The language of what wirelog answers clients itself (refusals, 502/504): wirelog's own, English when absent. */
  language?: Language;
}

export interface RunningProxy {
  host: string;
  port: number;
  url: string;
  /** Client connections open now (a tunnel is one). */
  openConnections(): number;
  close(): Promise<void>;
}

type Authority = Pick<Target, 'host' | 'port'>;

function parseAuthority(authority: string | undefined): Authority | null {
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
 * http-mitm-proxy listens and parses the first request of each connection. CONNECT tunnels
 * are ours from the 200 on (proxy/tunnel.ts): TLS is terminated in this process with our
 * certificate and the decrypted connection goes into one in-process HTTP server, instead of
 * its per-host HTTPS servers on loopback ports. Forwarding is ours too: its own relays lose
 * backpressure, header case, client aborts and refused WebSocket upgrades (see FACTS.md).
 */
class InterceptingProxy extends MitmProxy {
  private readonly leaves: LeafIssuer;
  private readonly contexts = new Map<string, tls.SecureContext>();
  /** Every connection out of a tunnel, plain or decrypted; the tunnel says where it goes. */
  private readonly interceptor = http.createServer();
  private readonly tunnelOf = new WeakMap<Duplex, Tunnel>();
  private readonly interceptorHeads: RequestHeadWatch;
  private listenerHeads: RequestHeadWatch | null = null;
  /** Set while listening starts: the listening socket's own errors (port in use) end up here. */
  onServerError: ((err: Error) => void) | null = null;

  private readonly expectedAuth: Buffer | null;
  private readonly resolve: Resolve;

  constructor(
    private readonly settings: ForwardSettings &
      Pick<
        ProxyOptions,
        'debug' | 'warn' | 'ca' | 'proxyAuth' | 'clients' | 'gatewayToken' | 'ownPorts' | 'language'
      > & { lookup?: net.LookupFunction },
  ) {
    super();
    this.resolve = resolverOf(settings.lookup);
    this.leaves = new LeafIssuer(settings.ca);
    this.expectedAuth = settings.proxyAuth
      ? Buffer.from(`Basic ${Buffer.from(settings.proxyAuth).toString('base64')}`)
      : null;
    const server = this.interceptor;
    prepareHttpServer(server);
    this.interceptorHeads = new RequestHeadWatch(server, settings.clients.requestHeadMs, (socket, kind) =>
      this.headTimedOut(socket, kind, this.tunnelOf.get(socket) ?? null),
    );
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const tunnel = this.tunnelOf.get(req.socket);
      if (!tunnel) return void req.socket.destroy();
      tunnel.requests++;
      forwardHttp(req, res, this.targetOf(tunnel, req.socket), req.url ?? '/', this.settings);
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.interceptorHeads.handedOver(socket);
      const tunnel = this.tunnelOf.get(socket);
      if (!tunnel) return void socket.destroy();
      if (!offersWebSocket(req)) return declineUpgrade(server, req, socket, head);
      tunnel.requests++;
      relayUpgrade(req, socket, head, this.targetOf(tunnel, socket), req.url ?? '/', this.settings);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const tunnel = this.tunnelOf.get(socket);
      this.refuseMalformed(err, socket, tunnel?.tls ? 'https' : 'http', tunnel ?? null);
    });
  }

  private targetOf(tunnel: Tunnel, socket: Duplex): Target {
    const target: Target = {
      scheme: tunnel.tls ? 'https' : 'http',
      host: tunnel.sni ?? tunnel.host,
      port: tunnel.port,
      clientAddress: formatAddress(socket as net.Socket),
    };
    if (tunnel.address) target.connectHost = tunnel.address;
    else if (tunnel.sni) target.connectHost = tunnel.host;
    return target;
  }

  /** With --proxy-auth, every request and CONNECT must carry the credentials (compared in constant time). */
  private authorized(req: http.IncomingMessage): boolean {
    if (!this.expectedAuth) return true;
    const sent = Buffer.from(req.headers['proxy-authorization'] ?? '');
    return sent.length === this.expectedAuth.length && timingSafeEqual(sent, this.expectedAuth);
  }

  override _onHttpServerConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.listenerHeads?.handedOver(socket);
    if (!this.authorized(req)) {
      socket.on('error', () => socket.destroy());
      return endRaw(socket, PROXY_AUTH_REQUIRED);
    }
    const authority = parseAuthority(req.url);
    if (!authority) {
      socket.destroy();
      return;
    }
    this.unlessSelf(
      { scheme: 'https', ...authority, clientAddress: formatAddress(socket as net.Socket) },
      socket,
      (why) => {
        this.recordRefused(
          null,
          'http',
          { method: 'CONNECT', path: '', clientAddress: formatAddress(socket as net.Socket) },
          508,
          `this CONNECT points at wirelog itself (${why}): a loop`,
          authority,
        );
        sendRawError(socket, 508, this.answer(`this CONNECT points at wirelog itself (${why}): a loop`));
      },
      (target) => this.openTunnelTo(socket, head, authority, target.connectHost, headerPairs(req.rawHeaders)),
    );
  }

  private openTunnelTo(
    socket: Duplex,
    head: Buffer,
    authority: Authority,
    address: string | undefined,
    headers: Header[],
  ): void {
    const tunnel = {
      ...authority,
      address,
      headers,
      clientAddress: formatAddress(socket as net.Socket),
      startedAt: Date.now(),
      startedAtPerf: performance.now(),
    };
    openTunnel(socket as net.Socket, head, tunnel, this.settings.clients.handshakeMs, {
      secureContext: (host) => this.secureContext(host),
      deliver: (connection, t, first) => {
        this.tunnelOf.set(connection, t);
        this.interceptor.emit('connection', connection);
        // The HTTP parser reads a plain socket's handle directly; bytes already read are handed over as an event.
        if (first) connection.emit('data', first);
      },
      failed: (t, reason) =>
        this.recordRefused(t, t.tls ? 'https' : 'http', { method: 'CONNECT', path: '' }, null, reason),
    });
  }

  private secureContext(host: string): tls.SecureContext {
    let context = this.contexts.get(host);
    if (!context) {
      const leaf = this.leaves.issue(host);
      context = tls.createSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
      // Bounded: a long day visits many hosts; the leaf itself stays cached by the issuer.
      if (this.contexts.size >= 1000) this.contexts.delete(this.contexts.keys().next().value!);
      this.contexts.set(host, context);
    }
    return context;
  }

  /** The listening server: absolute-form requests ("GET http://host/path") and their upgrades. */
  attachToListener(server: http.Server): void {
    prepareHttpServer(server);
    // Node's own head timeout (checked every 30 s, answered without a record) gives way to ours.
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    this.listenerHeads = new RequestHeadWatch(server, this.settings.clients.requestHeadMs, (socket, kind) =>
      this.headTimedOut(socket, kind, null),
    );
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.listenerHeads?.handedOver(socket);
      if (!offersWebSocket(req)) return declineUpgrade(server, req, socket, head);
      // Never 400 to an upgrade: Codex gives up on it, where it falls back to HTTP on others.
      const refuse = (status: number, reason: string) =>
        sendRawError(socket, status === 400 ? 404 : status, this.answer(reason));
      if (isGatewayPath(req.url)) {
        const route = this.gatewayRouteOf(req);
        if (!('target' in route)) return refuse(route.status, route.reason);
        return this.unlessSelf(
          route.target,
          socket,
          (why) => this.refuseLoop(req, refuse, why),
          (target) => relayUpgrade(req, socket, head, target, route.path, this.settings),
        );
      }
      if (!this.authorized(req)) return endRaw(socket, PROXY_AUTH_REQUIRED);
      const route = this.absoluteRoute(req);
      if (!route) return refuse(502, 'no upstream for this upgrade here');
      this.unlessSelf(
        route.target,
        socket,
        (why) => this.refuseLoop(req, refuse, why, route),
        (target) => relayUpgrade(req, socket, head, target, route.path, this.settings),
      );
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
      this.refuseMalformed(err, socket, 'http', null),
    );
  }

  override _onHttpServerRequest(_isSSL: boolean, req: http.IncomingMessage, res: http.ServerResponse): void {
    const refuse = (status: number, reason: string) => {
      req.resume();
      sendProxyError(res, status, this.answer(reason));
    };
    if (isGatewayPath(req.url)) {
      const route = this.gatewayRouteOf(req);
      if (!('target' in route)) return refuse(route.status, route.reason);
      return this.unlessSelf(
        route.target,
        req.socket,
        (why) => this.refuseLoop(req, refuse, why),
        (target) => forwardHttp(req, res, target, route.path, this.settings),
      );
    }
    if (!this.authorized(req)) {
      req.resume();
      res.writeHead(407, {
        'Proxy-Authenticate': 'Basic realm="wirelog"',
        'Content-Type': 'text/plain; charset=utf-8',
      });
      return void res.end(this.answer('this proxy needs the credentials given with --proxy-auth'));
    }
    const route = this.absoluteRoute(req);
    if (!route) return this.answerDirect(req, res);
    this.unlessSelf(
      route.target,
      req.socket,
      (why) => this.refuseLoop(req, refuse, why, route),
      (target) => forwardHttp(req, res, target, route.path, this.settings),
    );
  }

  /**
   * A gateway request's upstream, or why not: it carries the token (beyond loopback) or a
   * loopback Host instead of Proxy-Authorization, and never points at wirelog itself. A
   * refusal is recorded like any request wirelog refuses.
   */
  private gatewayRouteOf(req: http.IncomingMessage): GatewayRoute | GatewayRefusal {
    const route = gatewayRoute(req, this.httpPort, this.settings.gatewayToken, formatAddress(req.socket));
    if ('status' in route) this.recordRefusedRequest(req, route.status, route.reason);
    return route;
  }

  /** A request wirelog answers itself, recorded by the address the client sent it to (`http://127.0.0.1:8899/https/...`). */
  private recordRefusedRequest(req: http.IncomingMessage, status: number, reason: string): void {
    const path = isGatewayPath(req.url) ? (req.url ?? '').replace(/^\/t\/[^/]+/, '/t/****') : (req.url ?? '');
    const sentTo = parseHostHeader(req.headers.host) ?? { host: this.httpHost ?? '127.0.0.1', port: this.httpPort };
    this.recordRefused(
      null,
      'http',
      { method: req.method ?? '', path, clientAddress: formatAddress(req.socket) },
      status,
      reason,
      sentTo,
    );
  }

  /** Refuses a request for wirelog's own ports; an absolute-form one is recorded by the URL it named. */
  private refuseLoop(
    req: http.IncomingMessage,
    refuse: (status: number, reason: string) => void,
    why: string,
    named?: { target: Target; path: string },
  ): void {
    const reason = `this request points at wirelog itself (${why}): a loop, or a page reaching wirelog's own ports through it; refused`;
    if (named)
      this.recordRefused(
        null,
        named.target.scheme,
        { method: req.method ?? '', path: named.path, clientAddress: named.target.clientAddress },
        508,
        reason,
        named.target,
      );
    else this.recordRefusedRequest(req, 508, reason);
    refuse(508, reason);
  }

  /**
   * Goes on with `target` unless it is one of wirelog's own ports on this machine, however the
   * host is spelled or resolves. Only a target on one of our ports waits for the resolver; it
   * then connects to the address that was checked.
   */
  private unlessSelf(
    target: Target,
    client: Duplex,
    refuse: (why: string) => void,
    go: (target: Target) => void,
  ): void {
    const ports = [this.httpPort, ...this.settings.ownPorts()];
    if (!ports.includes(target.port)) return go(target);
    void checkSelf(target.connectHost ?? target.host, target.port, ports, this.resolve).then(
      (check) => {
        if (check.self) return refuse(check.why);
        // The client left while the name was being resolved: nothing to forward it to.
        if (client.destroyed)
          return this.recordRefused(
            null,
            target.scheme,
            { method: '', path: '', clientAddress: target.clientAddress },
            null,
            'the client closed the connection before wirelog had checked where it pointed',
            target,
          );
        if (check.address) target.connectHost = check.address;
        go(target);
      },
      (err: Error) => refuse(`the check failed: ${err.message}`),
    );
  }

  private absoluteRoute(req: http.IncomingMessage): { target: Target; path: string } | null {
    const absolute = /^(https?|wss?):\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^/?#:]*)(?::(\d+))?([^#]*)/i.exec(req.url ?? '');
    if (!absolute) return null;
    const secure = /^(https|wss)$/i.test(absolute[1]);
    const host = absolute[2].replace(/^\[|\]$/g, '');
    const port = absolute[3] ? Number(absolute[3]) : secure ? 443 : 80;
    const path = absolute[4].startsWith('/') ? absolute[4] : `/${absolute[4]}`;
    return {
      target: { scheme: secure ? 'https' : 'http', host, port, clientAddress: formatAddress(req.socket) },
      path,
    };
  }

  private answerDirect(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    sendProxyError(
      res,
      404,
      serverText(this.settings.language ?? 'en', 'stored.notAServer', { address: `${this.httpHost}:${this.httpPort}` }),
    );
  }

  private refuseMalformed(
    err: NodeJS.ErrnoException,
    socket: Duplex,
    scheme: 'http' | 'https',
    tunnel: Tunnel | null,
  ): void {
    // A keep-alive connection closing between requests is not an error.
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const oversize = err.code === 'HPE_HEADER_OVERFLOW';
    const status = oversize ? 431 : 400;
    const raw = (err as { rawPacket?: Buffer }).rawPacket;
    const reason = oversize
      ? 'request headers are larger than 16 KB'
      : (misdirectedProtocol(raw, `${this.httpHost}:${this.httpPort}`) ??
        `malformed request (${err.code ?? 'parse error'}: ${err.message})`);
    this.recordRefused(
      tunnel,
      scheme,
      { ...requestLineOf(raw), clientAddress: formatAddress(socket as net.Socket) },
      status,
      reason,
    );
    sendRawError(socket, status, this.answer(reason));
  }

  private headTimedOut(socket: Duplex, kind: HeadTimeoutKind, tunnel: Tunnel | null): void {
    const seconds = `${this.settings.clients.requestHeadMs / 1000} s (--request-head-timeout)`;
    const reason =
      kind === 'partial-head'
        ? `the client sent part of a request head but not all of it within ${seconds}; wirelog closed the connection`
        : `the client opened a connection but sent no request within ${seconds}; wirelog closed it`;
    const scheme = tunnel?.tls ? 'https' : 'http';
    this.recordRefused(
      tunnel,
      scheme,
      { method: '', path: '', clientAddress: formatAddress(socket as net.Socket) },
      408,
      reason,
    );
    sendRawError(socket, 408, this.answer(reason));
  }

  /** One exchange for a request wirelog refused or a connection that ended before one. */
  private recordRefused(
    tunnel: Tunnel | null,
    scheme: 'http' | 'https',
    request: { method: string; path: string; clientAddress?: string },
    status: number | null,
    reason: string,
    sentTo?: Authority,
  ): void {
    // A refused request is the tunnel's exchange: its close is not recorded again.
    if (tunnel) tunnel.requests++;
    const recorder = new ExchangeRecorder(
      this.settings,
      {
        startedAt: tunnel && request.method === 'CONNECT' ? tunnel.startedAt : Date.now(),
        clientAddress: request.clientAddress ?? tunnel?.clientAddress ?? '',
        method: request.method,
        scheme,
        host: tunnel?.host ?? sentTo?.host ?? '',
        port: tunnel?.port ?? sentTo?.port ?? 0,
        path: request.path,
        httpVersion: request.method === 'CONNECT' ? '1.1' : '',
        // A failed tunnel's record keeps the CONNECT's headers: its User-Agent may name the client (llm/diagnose.ts).
        headers: (request.method === 'CONNECT' && tunnel?.headers) || [],
      },
      tunnel && request.method === 'CONNECT' ? tunnel.startedAtPerf : undefined,
    );
    if (status !== null) {
      recorder.responseHead({
        status,
        statusText: http.STATUS_CODES[status] ?? '',
        httpVersion: '1.1',
        headers: [['Content-Type', 'text/plain; charset=utf-8']],
      });
      // The body as the client got it; the reason stays English (rendered in the reader's language).
      recorder.responseChunk(Buffer.from(this.answer(reason)));
    }
    recorder.end('proxy_error', reason);
  }

  /** What the client reads of a refusal: in wirelog's language (the exchange keeps the English reason). */
  private answer(reason: string): string {
    return answerText(reason, this.settings.language);
  }

  override _onError(kind: string, _ctx: unknown, err: Error): void {
    if (kind === 'HTTP_SERVER_ERROR' && this.onServerError) return this.onServerError(err);
    this.settings.debug(`http-mitm-proxy ${kind}: ${err?.message ?? err}`);
  }
}

/**
 * The method and target of a refused request, when its bytes start with a whole request line
 * (`GET /v1/models HTTP/1.1`). Anything else may be the middle of a head, a header line split
 * across TCP segments with its key in it: nothing of it is kept.
 */
export function requestLineOf(raw: Buffer | undefined): { method: string; path: string } {
  const line =
    /^([A-Z][A-Z0-9_-]{0,31}) (\/[\x21-\x7e]{0,2047}|https?:\/\/[\x21-\x7e]{1,2040}|[\w.:[\]-]{1,300}) HTTP\/\d\.\d\r\n/.exec(
      raw?.subarray(0, 2200).toString('latin1') ?? '',
    );
  return line ? { method: line[1], path: line[2] } : { method: '', path: '' };
}

/**
 * What a client spoke instead of HTTP/1.x, from its first bytes, as the cause and its fix; null
 * when it looks like HTTP. Each is a client set up for another kind of proxy or server.
 */
export function misdirectedProtocol(raw: Buffer | undefined, address: string): string | null {
  if (!raw || raw.length === 0) return null;
  if (raw[0] === 0x16 && raw[1] === 0x03) {
    return `the client spoke TLS: a proxy URL for wirelog is http://${address}, not https:// (HTTPS_PROXY=http://${address} still carries HTTPS traffic), and a gateway URL is http://${address}/https/HOST/...`;
  }
  if (raw.subarray(0, 14).toString('latin1') === 'PRI * HTTP/2.0') {
    return `the client spoke HTTP/2 without TLS (prior knowledge, h2c): wirelog takes HTTP/1.1; turn that option off (curl --http2-prior-knowledge, a gRPC client's plaintext mode)`;
  }
  if (raw[0] === 0x05 || raw[0] === 0x04) {
    return `the client spoke SOCKS${raw[0]}: wirelog is an HTTP proxy; give the client http://${address} as its proxy (HTTPS_PROXY, not ALL_PROXY=socks5://...)`;
  }
  return null;
}

/** Settings both HTTP servers share: no idle timeout of their own, and no header count limit. */
function prepareHttpServer(server: http.Server): void {
  server.timeout = 0;
  server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  // Node drops headers past 2000 entries without a word; the 16 KB head limit (431) still holds.
  server.maxHeadersCount = 0;
}

/**
 * Answers an upgrade offer that is not a WebSocket (h2c) as the plain HTTP/1.1 request it also
 * is: the connection goes back to the server's parser, fed the same head without the offer and
 * the bytes that followed it.
 */
function declineUpgrade(server: http.Server, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  server.emit('connection', socket);
  socket.emit('data', Buffer.concat([headWithoutUpgradeOffer(req), head]));
}

/** Answers a connection with `body` (already in the client's words) and closes it. */
function sendRawError(socket: Duplex, status: number, body: string): void {
  endRaw(
    socket,
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const agents = createUpstreamAgents(options.upstream, options.clients.maxConnections);
  const proxy = new InterceptingProxy({ ...options, agents, lookup: options.upstream.lookup });
  return new Promise((resolve, reject) => {
    proxy.onServerError = reject;
    proxy.listen(
      {
        host: options.host,
        port: options.port,
        sslCaDir: options.ca.files.dir,
        keepAlive: true,
        httpAgent: agents.http,
        httpsAgent: agents.https,
      },
      (err?: Error | null) => {
        if (err) return reject(err);
        proxy.onServerError = null;
        const server = proxy.httpServer!;
        proxy.attachToListener(server);
        const connections = capConnections(server, options.clients.maxConnections, options.warn, options.language);
        // Clients find the credentials in the proxy URL (HTTPS_PROXY=http://user:pass@host:port).
        const credentials = options.proxyAuth
          ? `${options.proxyAuth.split(':').map(encodeURIComponent).join(':')}@`
          : '';
        const url = `http://${credentials}${options.host.includes(':') ? `[${options.host}]` : options.host}:${proxy.httpPort}`;
        resolve({
          host: options.host,
          port: proxy.httpPort,
          url,
          openConnections: connections.open,
          close: async () => {
            proxy.close();
            connections.closeAll();
            agents.http.destroy();
            agents.https.destroy();
          },
        });
      },
    );
  });
}
