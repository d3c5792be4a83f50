// `--upstream-proxy http://[user:pass@]host:port`: every upstream connection wirelog makes for
// forwarded traffic goes through the user's own HTTP proxy (Clash's http://127.0.0.1:7890, common
// in mainland China) as a CONNECT tunnel; an HTTPS target's TLS then runs over that tunnel, with
// the same trust and SNI as a direct connection. The agents are chosen once, at start
// (createUpstreamAgents): without the flag nothing here runs.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { serverText } from '../i18n/stored-text.ts';
import { maskPath } from '../model/secrets.ts';

export interface UpstreamProxy {
  host: string;
  port: number;
  /** `Basic ...` when the URL carries credentials; held in memory only, never stored or shown. */
  authorization: string | null;
  /** The proxy as shown in errors and on the console: its credentials masked. */
  shown: string;
}

/** Why a --upstream-proxy value cannot be used: `scheme` (socks5://, https://...) or `invalid`. */
export type UpstreamProxyProblem = { problem: 'scheme'; scheme: string } | { problem: 'invalid' };

/** The proxy a `--upstream-proxy` value names, or why not. Only http:// proxies that take CONNECT. */
export function parseUpstreamProxy(value: string): UpstreamProxy | UpstreamProxyProblem {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { problem: 'invalid' };
  }
  if (url.protocol !== 'http:') return { problem: 'scheme', scheme: url.protocol.replace(/:$/, '') };
  if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    return { problem: 'invalid' };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 80),
    authorization: user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : null,
    shown: maskPath(`http://${url.username ? `${url.username}:${url.password}@` : ''}${url.host}`),
  };
}

/** The largest answer head taken from the proxy to a CONNECT. */
const MAX_CONNECT_HEAD_BYTES = 16 * 1024;

/** The error a failed CONNECT ends the request with: its message is the stored (catalogued) sentence. */
function proxyError(message: string, code = 'WIRELOG_UPSTREAM_PROXY'): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Opens a tunnel to host:port through the proxy. Calls back once: with the tunnel's socket (the
 * proxy's `200` read, nothing after it), or with an error naming the proxy; the socket is closed
 * on every failing path, and the whole wait is bounded by `timeoutMs`.
 */
export function connectThrough(
  proxy: UpstreamProxy,
  host: string,
  port: number,
  timeoutMs: number,
  done: (err: NodeJS.ErrnoException | null, socket?: net.Socket) => void,
): net.Socket {
  const where = authority(host, port);
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  let finished = false;
  const finish = (err: NodeJS.ErrnoException | null) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    if (err) {
      socket.destroy();
      return done(err);
    }
    done(null, socket);
  };
  const timer = setTimeout(
    () =>
      finish(
        proxyError(
          serverText('en', 'stored.proxyTimeout', { proxy: proxy.shown, where, seconds: timeoutMs / 1000 }),
          'WIRELOG_TIMEOUT',
        ),
      ),
    timeoutMs,
  );
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_CONNECT_HEAD_BYTES)
        finish(proxyError(serverText('en', 'stored.proxyInvalid', { proxy: proxy.shown, where })));
      return;
    }
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
    if (!status) return finish(proxyError(serverText('en', 'stored.proxyInvalid', { proxy: proxy.shown, where })));
    const code = Number(status[1]);
    if (code === 407)
      return finish(
        proxyError(
          serverText('en', proxy.authorization ? 'stored.proxyBadCredentials' : 'stored.proxyNeedsCredentials', {
            proxy: proxy.shown,
            where,
          }),
        ),
      );
    if (code < 200 || code > 299)
      return finish(
        proxyError(serverText('en', 'stored.proxyStatus', { proxy: proxy.shown, status: code, where, target: where })),
      );
    // A proxy speaks only after the target's bytes arrive, which cannot precede our first request.
    if (head.length > end + 4)
      return finish(proxyError(serverText('en', 'stored.proxyInvalid', { proxy: proxy.shown, where })));
    finish(null);
  };
  socket.on('data', onData);
  socket.once('connect', () => {
    const lines = [`CONNECT ${where} HTTP/1.1`, `Host: ${where}`];
    if (proxy.authorization) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (finished) return;
    finish(
      proxyError(
        err.code === 'ECONNREFUSED'
          ? serverText('en', 'stored.proxyRefused', { proxy: proxy.shown })
          : serverText('en', 'stored.proxyFailed', { proxy: proxy.shown, error: err.message }),
      ),
    );
  });
  socket.once('close', () => finish(proxyError(serverText('en', 'stored.proxyClosed', { proxy: proxy.shown, where }))));
  return socket;
}

/**
 * What the agents hand createConnection: the request's options and the agent's. Its host is where
 * a direct connection would go (the address a client's CONNECT named, or the one checked for
 * being wirelog itself): the tunnel goes there too.
 */
type ConnectOptions = net.NetConnectOpts & tls.ConnectionOptions & { host: string; port: number };

function targetName(options: ConnectOptions): string {
  return options.host;
}

export class ProxiedHttpAgent extends http.Agent {
  constructor(
    private readonly proxy: UpstreamProxy,
    private readonly connectMs: number,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    ...[options, callback]: Parameters<http.Agent['createConnection']>
  ): ReturnType<http.Agent['createConnection']> {
    const o = options as ConnectOptions;
    connectThrough(this.proxy, targetName(o), Number(o.port), this.connectMs, (err, socket) =>
      (callback as (err: Error | null, socket?: net.Socket) => void)(err, socket),
    );
    return undefined as unknown as ReturnType<http.Agent['createConnection']>;
  }
}

export class ProxiedHttpsAgent extends https.Agent {
  private context: tls.SecureContext | null = null;

  constructor(
    private readonly proxy: UpstreamProxy,
    private readonly connectMs: number,
    /** The trusted roots (null: Node's own with --insecure-upstream, where nothing is checked). */
    private readonly ca: (() => string[]) | null,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    ...[options, callback]: Parameters<https.Agent['createConnection']>
  ): ReturnType<https.Agent['createConnection']> {
    const o = options as ConnectOptions;
    let called = false;
    const done = (err: Error | null, socket?: net.Socket) => {
      if (called) return;
      called = true;
      (callback as (err: Error | null, socket?: net.Socket) => void)(err, socket);
    };
    const started = Date.now();
    connectThrough(this.proxy, targetName(o), Number(o.port), this.connectMs, (err, raw) => {
      if (err || !raw) return done(err);
      if (this.ca) this.context ??= tls.createSecureContext({ ca: this.ca() });
      const secure = tls.connect({
        ...o,
        socket: raw,
        ...(this.context ? { secureContext: this.context } : {}),
      });
      // The tunnel's time and the handshake's share the one --connect-timeout.
      const timer = setTimeout(
        () => {
          secure.destroy();
          raw.destroy();
          done(
            proxyError(
              serverText('en', 'stored.proxySlowTls', {
                where: authority(targetName(o), Number(o.port)),
                proxy: this.proxy.shown,
                seconds: this.connectMs / 1000,
              }),
              'WIRELOG_TIMEOUT',
            ),
          );
        },
        Math.max(0, this.connectMs - (Date.now() - started)),
      );
      const failed = (e: Error) => {
        clearTimeout(timer);
        secure.destroy();
        raw.destroy();
        done(e);
      };
      const closed = () =>
        failed(
          proxyError(
            serverText('en', 'stored.proxyTlsClosed', {
              where: authority(targetName(o), Number(o.port)),
              proxy: this.proxy.shown,
            }),
          ),
        );
      secure.once('error', failed);
      secure.once('close', closed);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.off('error', failed);
        secure.off('close', closed);
        done(null, secure);
      });
    });
    return undefined as unknown as ReturnType<https.Agent['createConnection']>;
  }
}
