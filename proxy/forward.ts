import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { RequestHead } from '../model/exchange.ts';
import { forwardableHeaders, headerPairs } from './headers.ts';
import { ExchangeRecorder, type CaptureSettings } from './recorder.ts';
import { SseTap } from './sse.ts';
import { describeUpstreamError, type UpstreamAgents } from './upstream.ts';

/** Where a request goes, as decided from the absolute URL or the CONNECT tunnel it came through. */
export interface Target {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  clientAddress: string;
}

export interface ForwardSettings extends CaptureSettings {
  agents: UpstreamAgents;
  timeouts: UpstreamTimeouts;
}

export interface UpstreamTimeouts {
  /** Connecting to the upstream, TLS handshake included. */
  connectMs: number;
  /** Silence from the upstream: no response head, or no body bytes, for this long. */
  idleMs: number;
}

/** Gives up on an upstream that does not connect, or goes silent, within the configured times. */
export function watchUpstream(upstream: http.ClientRequest, timeouts: UpstreamTimeouts, target: Target): void {
  const fail = (message: string) => upstream.destroy(Object.assign(new Error(message), { code: 'WIRELOG_TIMEOUT' }));
  upstream.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => fail(`connecting to ${target.host}:${target.port} took longer than ${timeouts.connectMs / 1000} s`), timeouts.connectMs);
    socket.once(target.scheme === 'https' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
  upstream.setTimeout(timeouts.idleMs, () => fail(`no data from ${target.host}:${target.port} for ${timeouts.idleMs / 1000} s`));
}

export function requestHead(req: http.IncomingMessage, target: Target, scheme: RequestHead['scheme'], path: string): RequestHead {
  return {
    startedAt: Date.now(),
    clientAddress: target.clientAddress,
    method: req.method ?? 'GET',
    scheme,
    host: target.host,
    port: target.port,
    path,
    httpVersion: req.httpVersion,
    headers: headerPairs(req.rawHeaders),
  };
}

/** Options for the upstream request, from the request head as recorded (headers unmasked). */
export function upstreamRequestOptions(head: RequestHead, target: Target, settings: ForwardSettings, keepUpgrade: boolean): https.RequestOptions {
  return {
    method: head.method,
    host: target.host,
    port: target.port,
    path: head.path,
    headers: forwardableHeaders(head.headers, keepUpgrade) as unknown as http.OutgoingHttpHeaders,
    agent: target.scheme === 'https' ? settings.agents.https : settings.agents.http,
    servername: target.scheme === 'https' && !net.isIP(target.host) ? target.host : undefined,
  };
}

/** Relays one HTTP request upstream and its response back, recording every stage. */
export function forwardHttp(req: http.IncomingMessage, res: http.ServerResponse, target: Target, path: string, settings: ForwardSettings): void {
  const head = requestHead(req, target, target.scheme, path);
  const recorder = new ExchangeRecorder(settings, head);
  const transport = target.scheme === 'https' ? https : http;
  let upstream: http.ClientRequest;
  try {
    upstream = transport.request(upstreamRequestOptions(head, target, settings, false));
  } catch (err) {
    // Node refuses some requests outright (an invalid header, a bad host name).
    req.resume();
    sendProxyError(res, 502, `wirelog: cannot forward this request: ${(err as Error).message}`);
    recorder.end('proxy_error', `cannot forward this request: ${(err as Error).message}`);
    return;
  }
  let upstreamResponse: http.IncomingMessage | null = null;

  // Forwarding listens first: each chunk is on its way before it is recorded.
  req.pipe(upstream);
  req.on('data', (chunk: Buffer) => recorder.requestBody.add(chunk));
  upstream.on('finish', () => recorder.requestSent());
  upstream.once('socket', (socket) => recorder.upstreamSocket(socket));
  watchUpstream(upstream, settings.timeouts, target);

  upstream.on('response', (upRes) => {
    upstreamResponse = upRes;
    const headers = headerPairs(upRes.rawHeaders);
    recorder.responseHead({ status: upRes.statusCode ?? 0, statusText: upRes.statusMessage ?? '', httpVersion: upRes.httpVersion, headers });
    const sse = SseTap.forResponse(headers, recorder);
    try {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardableHeaders(headers));
    } catch (err) {
      // Headers Node refuses to send (invalid characters) mean the client cannot get this response.
      upRes.destroy();
      sendProxyError(res, 502, `wirelog: the upstream response has headers that cannot be relayed: ${(err as Error).message}`);
      recorder.end('upstream_error', `invalid response headers from upstream: ${(err as Error).message}`);
      return;
    }
    // A stream's headers go out at once (the client may wait long for the first event); a
    // sized body's headers ride with its first bytes, one write instead of two.
    if (sse || upRes.headers['content-length'] === undefined) res.flushHeaders();
    upRes.pipe(res);
    upRes.on('data', (chunk: Buffer) => {
      recorder.responseChunk(chunk);
      sse?.write(chunk);
    });
    upRes.on('end', () => sse?.end());
    upRes.on('aborted', () => failMidResponse('the upstream closed the connection before the response ended'));
    upRes.on('error', (err: NodeJS.ErrnoException) => failMidResponse(`the upstream response failed mid-body: ${describeUpstreamError(err, target.host, target.port)}`));
  });

  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (recorder.isEnded) return;
    if (upstreamResponse) return failMidResponse(`the upstream response failed mid-body: ${describeUpstreamError(err, target.host, target.port)}`);
    const cause = describeUpstreamError(err, target.host, target.port, recorder.inTlsHandshake);
    req.unpipe(upstream);
    req.resume();
    // A gateway that gave up waiting answers 504; one that could not reach the upstream, 502.
    sendProxyError(res, err.code === 'WIRELOG_TIMEOUT' ? 504 : 502, `wirelog: ${cause}\n`);
    recorder.end('upstream_error', cause);
  });

  // Mid-body the only honest signal is a broken connection: appending an error text would
  // hand the client a body that looks complete.
  function failMidResponse(reason: string): void {
    if (recorder.isEnded) return;
    recorder.end('upstream_error', reason);
    res.destroy();
  }

  res.on('close', () => {
    if (res.writableFinished) {
      if (upstreamResponse?.complete) recorder.end('complete');
      return;
    }
    if (recorder.isEnded) return;
    // The client left: stop the upstream too, so the provider stops generating (and billing).
    upstream.destroy();
    recorder.end('aborted', upstreamResponse ? 'the client closed the connection before the response ended' : 'the client closed the connection before a response arrived');
  });
  res.on('finish', () => {
    if (upstreamResponse?.complete) recorder.end('complete');
  });
}

export function sendProxyError(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, 'x-wirelog-error': '1' });
  res.end(body);
}
