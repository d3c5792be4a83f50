import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { headerValue, type RequestHead } from '../model/exchange.ts';
import { FlowGate } from './flow-gate.ts';
import type { ForwardSettings, Target, UpstreamTimeouts } from './forward-types.ts';
import { GATEWAY_DROPPED_REQUEST_FIELDS } from './gateway.ts';
import { addTrailers, forwardableHeaders, trailersOf } from './headers.ts';
import type { ExchangeRecorder } from './recorder.ts';
import { MAX_RESPONSE_HEAD_BYTES } from './upstream.ts';

// What a reused connection fails with when the server closed it as it was being reused.
const STALE_CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Request bodies kept for a retry until the response starts; a longer body is not retried. */
const MAX_REPLAY_BYTES = 4 * 1024 * 1024;

export interface UpstreamHandlers {
  response(res: http.IncomingMessage): void;
  upgrade?(res: http.IncomingMessage, socket: net.Socket, head: Buffer): void;
  /** The request failed for good: after a retry, or where none was possible. */
  error(err: NodeJS.ErrnoException): void;
}

export interface UpstreamCall {
  /** Stops the request, whichever attempt is under way (the client left). */
  destroy(): void;
}

/** Options for the upstream request, from the request head as recorded (headers unmasked). */
export function upstreamRequestOptions(
  head: RequestHead,
  target: Target,
  settings: ForwardSettings,
  keepUpgrade: boolean,
): https.RequestOptions {
  // A gateway request's Host names wirelog: the upstream gets its own, and nothing else is
  // added. A browser's cookies for 127.0.0.1 belong to this machine's services, not the upstream.
  const headers = target.gateway
    ? forwardableHeaders(
        head.headers.filter(([name]) => name.toLowerCase() !== 'host'),
        keepUpgrade,
        GATEWAY_DROPPED_REQUEST_FIELDS,
      )
    : forwardableHeaders(head.headers, keepUpgrade);
  // HTTP/1.0 clients may send no Host; HTTP/1.1 servers answer 400 without one.
  if (target.gateway || headerValue(head.headers, 'host') === undefined) headers.unshift('Host', hostHeader(target));
  return {
    method: head.method,
    host: target.connectHost ?? target.host,
    port: target.port,
    path: head.path,
    headers: headers as unknown as http.OutgoingHttpHeaders,
    agent: target.scheme === 'https' ? settings.agents.https : settings.agents.http,
    servername: target.scheme === 'https' && !net.isIP(target.host) ? target.host : undefined,
    maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
  };
}

function hostHeader(target: Target): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  return target.port === defaultPort ? host : `${host}:${target.port}`;
}

/**
 * Sends a request upstream with `body` streamed into it under backpressure. A request that
 * fails on a reused keep-alive connection before any response byte (the server closed that
 * connection as it was reused) is sent once more on a new connection, with the body bytes
 * kept for that, and the client never sees the race. Throws as http.request does.
 */
export function sendUpstream(
  options: https.RequestOptions,
  target: Target,
  settings: ForwardSettings,
  recorder: ExchangeRecorder,
  body: Readable | null,
  handlers: UpstreamHandlers,
): UpstreamCall {
  const transport = target.scheme === 'https' ? https : http;
  let kept: Buffer[] | null = [];
  let keptBytes = 0;
  let bodyEnded = body === null;
  let answered = false;
  let retried = false;
  // The body is held back by the upstream's socket and, within a bound, by storage.
  const gate = body ? new FlowGate(body) : null;

  const attempt = (): http.ClientRequest => {
    const upstream = transport.request(options);
    // Node keeps 2000 header entries of a response and drops the rest without a word.
    upstream.maxHeadersCount = 0;
    upstream.once('socket', (socket) => recorder.upstreamSocket(socket));
    upstream.on('finish', () => recorder.requestSent());
    upstream.on('drain', () => upstream === current && gate?.release('destination'));
    watchUpstream(upstream, settings.timeouts, target);
    upstream.on('response', (res) => {
      if (upstream !== current) return void res.destroy();
      answered = true;
      kept = null;
      handlers.response(res);
    });
    // Without a listener, Node destroys the socket of an unexpected 101 itself.
    const upgrade = handlers.upgrade;
    if (upgrade)
      upstream.on('upgrade', (res, socket, head) => {
        if (upstream !== current) return void socket.destroy();
        answered = true;
        kept = null;
        upgrade(res, socket, head);
      });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (upstream !== current) return;
      if (!answered && !retried && kept && upstream.reusedSocket && STALE_CONNECTION_ERRORS.has(err.code ?? ''))
        return retry();
      handlers.error(err);
    });
    return upstream;
  };

  const retry = () => {
    retried = true;
    // The idle connections beside it waited as long: the retry gets a new one.
    // The agent names its pools from the request's options merged with its own.
    const agent = options.agent as https.Agent;
    for (const socket of agent.freeSockets[agent.getName({ ...options, ...agent.options })] ?? []) socket.destroy();
    recorder.retried();
    try {
      current = attempt();
    } catch (thrown) {
      return handlers.error(thrown as NodeJS.ErrnoException);
    }
    for (const chunk of kept ?? []) current.write(chunk);
    if (bodyEnded) endBody();
    else gate?.release('destination');
  };

  // A chunked request's trailer fields go on after its body, as they came.
  const endBody = () => {
    if (body) addTrailers(current, trailersOf(body as { rawTrailers?: string[] }));
    current.end();
  };

  let current = attempt();
  if (body) {
    body.on('data', (chunk: Buffer) => {
      // Forwarding first: each chunk is on its way before it is kept or recorded.
      if (!current.destroyed && !current.write(chunk)) gate!.hold('destination');
      if (kept) {
        keptBytes += chunk.length;
        if (keptBytes > MAX_REPLAY_BYTES) kept = null;
        else kept.push(chunk);
      }
      recorder.requestBody.add(chunk, gate!);
    });
    body.on('end', () => {
      bodyEnded = true;
      endBody();
    });
  } else {
    current.end();
  }
  return { destroy: () => current.destroy() };
}

/**
 * Gives up on an upstream that does not connect, or goes silent, within the configured times.
 * Silence is measured here, from the last byte heard (or the request's end), not taken from the
 * socket's 'timeout' event alone: a reused connection can still carry the pool's shorter idle
 * timeout, which fired after seconds and was reported as the full --idle-timeout.
 */
export function watchUpstream(
  upstream: http.ClientRequest,
  timeouts: UpstreamTimeouts,
  target: Target,
  now: () => number = performance.now.bind(performance),
): void {
  const fail = (message: string) => upstream.destroy(Object.assign(new Error(message), { code: 'WIRELOG_TIMEOUT' }));
  let lastHeard = now();
  const heard = () => (lastHeard = now());
  upstream.once('socket', (socket) => {
    socket.on('data', heard);
    // A kept-alive socket outlives this request: its listener goes with the request.
    upstream.once('close', () => socket.off('data', heard));
    if (!socket.connecting) return;
    const timer = setTimeout(
      () => fail(`connecting to ${target.host}:${target.port} took longer than ${timeouts.connectMs / 1000} s`),
      timeouts.connectMs,
    );
    socket.once(target.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      heard();
    });
    socket.once('close', () => clearTimeout(timer));
  });
  upstream.once('finish', heard);
  // The socket tells the request of its first timeout only; a silence not yet long enough is
  // waited out with a timer of ours, checked again each time it fires.
  let recheck: NodeJS.Timeout | null = null;
  const check = () => {
    if (recheck) clearTimeout(recheck);
    recheck = null;
    const silent = now() - lastHeard;
    if (silent >= timeouts.idleMs)
      return fail(
        `no data from ${target.host}:${target.port} for ${formatSeconds(silent)} (--idle-timeout ${timeouts.idleMs / 1000} s)`,
      );
    recheck = setTimeout(check, Math.ceil(timeouts.idleMs - silent));
    recheck.unref();
  };
  upstream.on('timeout', check);
  upstream.once('close', () => recheck && clearTimeout(recheck));
  upstream.setTimeout(timeouts.idleMs);
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
