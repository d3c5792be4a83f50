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

export function upstreamRequestOptions(
  req: http.IncomingMessage,
  target: Target,
  path: string,
  settings: ForwardSettings,
  keepUpgrade: boolean,
): https.RequestOptions {
  return {
    method: req.method,
    host: target.host,
    port: target.port,
    path,
    headers: forwardableHeaders(headerPairs(req.rawHeaders), keepUpgrade) as unknown as http.OutgoingHttpHeaders,
    agent: target.scheme === 'https' ? settings.agents.https : settings.agents.http,
    servername: target.scheme === 'https' && !net.isIP(target.host) ? target.host : undefined,
    // Upstream slowness is the provider's business: the client decides when to give up.
    timeout: 0,
  };
}

/** Relays one HTTP request upstream and its response back, recording every stage. */
export function forwardHttp(req: http.IncomingMessage, res: http.ServerResponse, target: Target, path: string, settings: ForwardSettings): void {
  const recorder = new ExchangeRecorder(settings, requestHead(req, target, target.scheme, path));
  const transport = target.scheme === 'https' ? https : http;
  let upstream: http.ClientRequest;
  try {
    upstream = transport.request(upstreamRequestOptions(req, target, path, settings, false));
  } catch (err) {
    // Node refuses some requests outright (an invalid header, a bad host name).
    req.resume();
    sendProxyError(res, 502, `wirelog: cannot forward this request: ${(err as Error).message}`);
    recorder.end('proxy_error', `cannot forward this request: ${(err as Error).message}`);
    return;
  }
  let upstreamResponse: http.IncomingMessage | null = null;

  req.on('data', (chunk: Buffer) => recorder.requestBody.add(chunk));
  req.pipe(upstream);
  upstream.on('finish', () => recorder.requestSent());
  upstream.once('socket', (socket) => recorder.upstreamSocket(socket));

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
    upRes.on('data', (chunk: Buffer) => {
      recorder.responseChunk(chunk);
      sse?.write(chunk);
    });
    upRes.pipe(res);
    upRes.on('end', () => sse?.end());
    upRes.on('aborted', () => failMidResponse('the upstream closed the connection before the response ended'));
    upRes.on('error', (err) => failMidResponse(`the upstream response failed mid-body: ${err.message}`));
  });

  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (recorder.isEnded) return;
    if (upstreamResponse) return failMidResponse(`the upstream response failed mid-body: ${err.message}`);
    const cause = describeUpstreamError(err, target.host, target.port);
    req.unpipe(upstream);
    req.resume();
    sendProxyError(res, 502, `wirelog: ${cause}\n`);
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
