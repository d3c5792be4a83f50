import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { ProxiedHttpAgent, ProxiedHttpsAgent, type UpstreamProxy } from './upstream-proxy.ts';

export interface UpstreamOptions {
  /** Extra PEM CA certificates trusted for upstream servers, added to the system roots. */
  extraCaPem?: string;
  /** Skip upstream certificate checks (local test servers only). */
  insecure?: boolean;
  /** System roots as PEM; Node's bundled roots when absent. */
  systemRootsPem?: string;
  /** Host name resolution for upstream connections; the system resolver when absent. */
  lookup?: net.LookupFunction;
  /** --upstream-proxy: every upstream connection is a CONNECT tunnel through it, opened within `connectMs`. */
  proxy?: UpstreamProxy;
  connectMs?: number;
}

export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * How long an upstream connection may wait idle for reuse. Servers close idle connections
 * without notice (Node's after 5 s); reusing one they are closing fails the request. Node's
 * agent shortens this to 1 s under a `Keep-Alive: timeout=N` the server announces.
 */
export const UPSTREAM_IDLE_MS = 4000;

/**
 * An HTTPS agent whose trusted roots are parsed on its first connection, not when it is made:
 * parsing the system's 140-odd roots (tls.createSecureContext) took 21-78 ms of the main thread
 * before the proxy listened, at every start, whether or not anything went upstream over HTTPS.
 * Built once: a `ca` option would be re-parsed per connection and copied into the agent's pool
 * key on every request (measured: 15% of the proxy's CPU). The context is not part of the pool
 * key (Node's https.Agent.getName), so connections are pooled as before.
 */
class TrustingAgent extends https.Agent {
  private context: tls.SecureContext | null = null;

  constructor(
    private readonly ca: () => string[],
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    ...[options, callback]: Parameters<https.Agent['createConnection']>
  ): ReturnType<https.Agent['createConnection']> {
    this.context ??= tls.createSecureContext({ ca: this.ca() });
    // What https.Agent hands tls.connect: the request's and the agent's options (the types know only the request's).
    return super.createConnection({ ...options, secureContext: this.context } as typeof options, callback);
  }
}

export function createUpstreamAgents(options: UpstreamOptions, maxClients = 4096): UpstreamAgents {
  const ca = () => {
    const roots = [options.systemRootsPem ?? tls.rootCertificates.join('\n')];
    if (options.extraCaPem) roots.push(options.extraCaPem);
    return roots;
  };
  // Node keeps at most 256 idle connections by default: past that, every request of a busy
  // proxy would close one upstream connection and open (and handshake) another.
  // Bounded by the client cap too: idle upstream connections hold descriptors as well.
  const maxFreeSockets = Math.min(1024, maxClients);
  const httpsOptions: https.AgentOptions = {
    keepAlive: true,
    maxFreeSockets,
    timeout: UPSTREAM_IDLE_MS,
    lookup: options.lookup,
    rejectUnauthorized: !options.insecure,
    // Our client-facing side speaks HTTP/1.1, so the upstream side does too.
    ALPNProtocols: ['http/1.1'],
  };
  if (options.proxy) {
    const connectMs = options.connectMs ?? 30_000;
    return {
      http: new ProxiedHttpAgent(options.proxy, connectMs, {
        keepAlive: true,
        maxFreeSockets,
        timeout: UPSTREAM_IDLE_MS,
      }),
      https: new ProxiedHttpsAgent(options.proxy, connectMs, options.insecure ? null : ca, httpsOptions),
    };
  }
  return {
    http: new http.Agent({ keepAlive: true, maxFreeSockets, timeout: UPSTREAM_IDLE_MS, lookup: options.lookup }),
    https: options.insecure ? new https.Agent(httpsOptions) : new TrustingAgent(ca, httpsOptions),
  };
}

/**
 * The largest response head taken from an upstream: Chrome's limit. Node's default, 16 KB, is
 * less than clients accept (curl takes 300 KB): a large Set-Cookie or policy header made a
 * response that reaches its client directly fail through wirelog.
 */
export const MAX_RESPONSE_HEAD_BYTES = 256 * 1024;

/** One short sentence naming why the upstream could not be used, for the client and the store. */
export function describeUpstreamError(
  err: NodeJS.ErrnoException,
  host: string,
  port: number,
  inHandshake = false,
): string {
  const where = `${host}:${port}`;
  if (inHandshake && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
    return `TLS handshake with ${where} failed: the server closed the connection before the handshake ended (${err.code}); check that this port serves HTTPS`;
  }
  switch (err.code) {
    case 'WIRELOG_UPSTREAM_PROXY':
      return err.message;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed for ${host} (${err.code})`;
    case 'ECONNREFUSED':
      return `connection refused by ${where}`;
    case 'ECONNRESET':
      return `connection to ${where} was reset`;
    case 'WIRELOG_TIMEOUT':
      return `${err.message} (raise --connect-timeout / --idle-timeout if it is just slow)`;
    case 'ETIMEDOUT':
      return `connection to ${where} timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable (${err.code})`;
    case 'HPE_HEADER_OVERFLOW':
      return `${where} sent a response head over ${MAX_RESPONSE_HEAD_BYTES / 1024} KB, more than wirelog (and Chrome) take`;
    default:
      if (err.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/.test(err.code)) {
        return `TLS handshake with ${where} failed: ${err.message} (${err.code}); pass --upstream-ca FILE to trust its CA, or --insecure-upstream for a local test server`;
      }
      return `upstream ${where} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`;
  }
}
