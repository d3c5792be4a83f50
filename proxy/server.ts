import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Proxy } from 'http-mitm-proxy';
import type { CertificateAuthority } from '../certs/ca.ts';
import { LeafIssuer } from '../certs/leaf.ts';
import { forwardHttp, sendProxyError, type ForwardSettings, type Target } from './forward.ts';
import { ExchangeRecorder, type CaptureSettings } from './recorder.ts';
import { createUpstreamAgents, type UpstreamOptions } from './upstream.ts';
import { relayUpgrade } from './websocket.ts';

export interface ProxyOptions extends CaptureSettings {
  host: string;
  port: number;
  ca: CertificateAuthority;
  upstream: UpstreamOptions;
  /** Diagnostics about wirelog itself, not about captured traffic. */
  debug: (message: string) => void;
}

export interface RunningProxy {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

type CertCallback = (error: Error | null, data?: unknown) => void;

/**
 * http-mitm-proxy accepts connections, answers CONNECT and terminates TLS with our
 * certificates. Forwarding itself is ours: its own relays lose backpressure, header case,
 * client aborts and refused WebSocket upgrades (see FACTS.md).
 */
class InterceptingProxy extends Proxy {
  private readonly leaves: LeafIssuer;

  constructor(private readonly settings: ForwardSettings & Pick<ProxyOptions, 'debug' | 'ca'>) {
    super();
    this.leaves = new LeafIssuer(settings.ca);
  }

  override onCertificateRequired(hostname: string, callback: (error: Error | null, data: { keyFile: string; certFile: string; hosts: string[] }) => void): void {
    // Paths that never exist, so every new host goes through onCertificateMissing (no disk).
    callback(null, { keyFile: '\0wirelog-no-file', certFile: '\0wirelog-no-file', hosts: [hostname] });
  }

  override onCertificateMissing(ctx: { hostname: string }, _files: unknown, callback: CertCallback): void {
    try {
      const leaf = this.leaves.issue(ctx.hostname);
      callback(null, { certFileData: leaf.certPem, keyFileData: leaf.keyPem, hosts: [ctx.hostname] });
    } catch (err) {
      callback(err as Error);
    }
  }

  override _createHttpsServer(options: https.ServerOptions & { hosts?: string[] }, callback: (port: number, server: https.Server, wss: never) => void): void {
    const server = https.createServer({ key: options.key, cert: options.cert, ALPNProtocols: ['http/1.1'] });
    server.timeout = 0;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this._onHttpServerRequest(true, req, res));
    this.attach(server, true);
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.recordTlsFailure(err, socket));
    server.listen({ port: 0, host: this.httpHost }, () => {
      callback((server.address() as net.AddressInfo).port, server, undefined as never);
    });
  }

  /** Routes requests, upgrades and malformed input of one of our servers to our handlers. */
  attach(server: http.Server, isSSL: boolean): void {
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(isSSL, req, socket, head));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuseMalformed(err, socket, isSSL));
  }

  override _onHttpServerRequest(isSSL: boolean, req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = this.route(isSSL, req);
    if (!route) return this.answerDirect(req, res);
    if (this.isSelf(route.target)) return sendProxyError(res, 508, 'wirelog: this request points at the proxy itself (a loop)');
    forwardHttp(req, res, route.target, route.path, this.settings);
  }

  private handleUpgrade(isSSL: boolean, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = this.route(isSSL, req);
    if (!route || this.isSelf(route.target)) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 44\r\nConnection: close\r\n\r\nwirelog: no upstream for this upgrade here\n');
      return;
    }
    relayUpgrade(req, socket, head, route.target, route.path, this.settings);
  }

  /** The upstream of a request: its absolute URL, or else the CONNECT tunnel it arrived through. */
  private route(isSSL: boolean, req: http.IncomingMessage): { target: Target; path: string } | null {
    const url = req.url ?? '/';
    const connect = this.connectRequests[`${req.socket.remotePort}:${req.socket.localPort}`];
    const clientAddress = formatAddress(connect?.socket ?? req.socket);
    const absolute = /^(https?|wss?):\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^/?#:]*)(?::(\d+))?([^#]*)/i.exec(url);
    if (absolute) {
      const secure = /^(https|wss)$/i.test(absolute[1]);
      const host = absolute[2].replace(/^\[|\]$/g, '');
      const port = absolute[3] ? Number(absolute[3]) : secure ? 443 : 80;
      const path = absolute[4].startsWith('/') ? absolute[4] : `/${absolute[4]}`;
      return { target: { scheme: secure ? 'https' : 'http', host, port, clientAddress }, path };
    }
    if (!connect?.url) return null;
    const tunnel = /^\[?([^\]]*?)\]?:(\d+)$/.exec(connect.url);
    if (!tunnel) return null;
    return { target: { scheme: isSSL ? 'https' : 'http', host: tunnel[1], port: Number(tunnel[2]), clientAddress }, path: url };
  }

  private isSelf(target: Target): boolean {
    const loopback = target.host === 'localhost' || target.host === this.httpHost || /^127\.|^::1$|^0\.0\.0\.0$/.test(target.host);
    return loopback && target.port === this.httpPort;
  }

  private answerDirect(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    sendProxyError(res, 404, `wirelog proxy: this port is an HTTP(S) proxy, not a web server.\nUse it as HTTPS_PROXY=http://${this.httpHost}:${this.httpPort} (see \`wirelog env\`), or start a program with \`wirelog run -- <command>\`.`);
  }

  private refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex, isSSL: boolean): void {
    // A keep-alive connection closing between requests is not an error.
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const oversize = err.code === 'HPE_HEADER_OVERFLOW';
    const status = oversize ? 431 : 400;
    const reason = oversize ? 'request headers are larger than 16 KB' : `malformed request (${err.code ?? 'parse error'}: ${err.message})`;
    const rawPacket = (err as { rawPacket?: Buffer }).rawPacket;
    const line = rawPacket ? rawPacket.subarray(0, 2048).toString('latin1').split('\r\n')[0] : '';
    const [method = '', path = ''] = line.split(' ');
    const net = socket as unknown as net.Socket;
    const connect = this.connectRequests[`${net.remotePort}:${net.localPort}`];
    const tunnel = connect?.url ? /^\[?([^\]]*?)\]?:(\d+)$/.exec(connect.url) : null;
    const recorder = new ExchangeRecorder(this.settings, {
      startedAt: Date.now(),
      clientAddress: formatAddress(connect?.socket ?? net),
      method: method.slice(0, 32),
      scheme: isSSL ? 'https' : 'http',
      host: tunnel?.[1] ?? '',
      port: Number(tunnel?.[2] ?? 0),
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

  private recordTlsFailure(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    const connect = this.connectRequests[`${socket.remotePort}:${socket.localPort}`];
    const tunnel = connect?.url ? /^\[?([^\]]*?)\]?:(\d+)$/.exec(connect.url) : null;
    const recorder = new ExchangeRecorder(this.settings, {
      startedAt: Date.now(),
      clientAddress: formatAddress(connect?.socket ?? socket),
      method: 'CONNECT',
      scheme: 'https',
      host: tunnel?.[1] ?? '',
      port: Number(tunnel?.[2] ?? 443),
      path: '',
      httpVersion: connect?.httpVersion ?? '1.1',
      headers: [],
    });
    recorder.end('proxy_error', `the client ended the TLS handshake with wirelog (${err.code ?? err.message}): it probably does not trust the wirelog CA; start it with \`wirelog run\` or set its CA variable (see \`wirelog env\`)`);
  }

  /** Set while listening starts: the listening socket's own errors (port in use) end up here. */
  onServerError: ((err: Error) => void) | null = null;

  override _onError(kind: string, _ctx: unknown, err: Error): void {
    if (kind === 'HTTP_SERVER_ERROR' && this.onServerError) return this.onServerError(err);
    this.settings.debug(`http-mitm-proxy ${kind}: ${err?.message ?? err}`);
  }
}

function formatAddress(socket: { remoteAddress?: string; remotePort?: number }): string {
  const address = socket.remoteAddress ?? '';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.includes(':') ? `[${host}]:${socket.remotePort ?? ''}` : `${host}:${socket.remotePort ?? ''}`;
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
        server.timeout = 0;
        proxy.attach(server, false);
        const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${proxy.httpPort}`;
        resolve({
          host: options.host,
          port: proxy.httpPort,
          url,
          close: () =>
            new Promise<void>((done) => {
              const servers = [server, ...Object.values(proxy.sslServers).map((s) => s.server)];
              proxy.close();
              for (const s of servers) s?.closeAllConnections?.();
              agents.http.destroy();
              agents.https.destroy();
              done();
            }),
        });
      },
    );
  });
}
