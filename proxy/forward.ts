import type http from 'node:http';
import { answerText, serverText } from '../i18n/stored-text.ts';
import type { ExchangeEvent, RequestHead } from '../model/exchange.ts';
import { gatewayResponseHeaders } from './gateway.ts';
import { addTrailers, headerPairs, responseHeadersFor, trailersOf } from './headers.ts';
import { FlowGate } from './flow-gate.ts';
import type { ForwardSettings, Target } from './forward-types.ts';
import { ExchangeRecorder } from './recorder.ts';
import { takeReplayMark } from './replay-mark.ts';
import { SseTap } from './sse-capture.ts';
import { describeUpstreamError } from './upstream.ts';
import { sendUpstream, upstreamRequestOptions, type UpstreamCall } from './upstream-request.ts';

// The shared shapes live below this module; named here too for the modules that import them from it.
export type { ForwardSettings, Target, UpstreamTimeouts } from './forward-types.ts';

export function requestHead(
  req: http.IncomingMessage,
  target: Target,
  scheme: RequestHead['scheme'],
  path: string,
): RequestHead {
  const head: RequestHead = {
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
  // Added, not spread in: a spread in a literal makes a slow object, for every request.
  if (target.gateway) head.via = 'gateway';
  return head;
}

/** Relays one HTTP request upstream and its response back, recording every stage. */
export function forwardHttp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: Target,
  path: string,
  settings: ForwardSettings,
): void {
  const { head, uid } = takeReplayMark(requestHead(req, target, target.scheme, path), settings.replayToken);
  const recorder = new ExchangeRecorder(settings, head, undefined, uid);
  let upstreamResponse: http.IncomingMessage | null = null;
  let sse: SseTap | null = null;
  let ending = false;
  let upstream: UpstreamCall;

  /**
   * Ends the record once: for an event stream, after its last events have been split (a
   * compressed stream's are decoded behind its bytes), with a note when some could not be.
   */
  function finish(state: Extract<ExchangeEvent, { type: 'end' }>['state'], reason: string | null = null): void {
    if (ending || recorder.isEnded) return;
    ending = true;
    if (!sse) return recorder.end(state, reason);
    const tap = sse;
    tap.whenSettled(() => {
      const note = tap.stopped && serverText('en', 'stored.eventsNotSplit', { why: tap.stopped });
      recorder.end(state, [reason, note].filter(Boolean).join('; ') || null);
    });
  }
  // A request with no body is sent and ended at once, not streamed through listeners as an empty one.
  const body = hasBody(req) ? req : null;
  if (!body) req.resume();
  try {
    upstream = sendUpstream(upstreamRequestOptions(head, target, settings, false), target, settings, recorder, body, {
      response: (upRes) => relayResponse(upRes),
      error: (err) => upstreamFailed(err),
    });
  } catch (err) {
    // Node refuses some requests outright (an invalid header, a bad host name).
    req.resume();
    sendProxyError(res, 502, answerText(`cannot forward this request: ${(err as Error).message}`, settings.language));
    finish('proxy_error', `cannot forward this request: ${(err as Error).message}`);
    return;
  }

  function relayResponse(upRes: http.IncomingMessage): void {
    upstreamResponse = upRes;
    const headers = headerPairs(upRes.rawHeaders);
    recorder.responseHead({
      status: upRes.statusCode ?? 0,
      statusText: upRes.statusMessage ?? '',
      httpVersion: upRes.httpVersion,
      headers,
    });
    sse = SseTap.forResponse(headers, recorder);
    try {
      res.writeHead(
        upRes.statusCode ?? 502,
        upRes.statusMessage,
        gatewayResponseHeaders(responseHeadersFor(headers), target),
      );
    } catch (err) {
      // Headers Node refuses to send (invalid characters) mean the client cannot get this response.
      upRes.destroy();
      sendProxyError(
        res,
        502,
        answerText(
          `the upstream response has headers that cannot be relayed: ${(err as Error).message}`,
          settings.language,
        ),
      );
      finish('upstream_error', `invalid response headers from upstream: ${(err as Error).message}`);
      return;
    }
    // A stream's headers go out at once (the client may wait long for the first event); a
    // sized body's headers ride with its first bytes, one write instead of two.
    if (sse || upRes.headers['content-length'] === undefined) res.flushHeaders();
    // Not pipe: the upstream is held back by the client's socket and, within a bound, by storage.
    const gate = new FlowGate(upRes);
    upRes.on('data', (chunk: Buffer) => {
      gate.writeTo(res, chunk);
      recorder.responseChunk(chunk, gate);
      sse?.write(chunk);
    });
    upRes.on('end', () => {
      const trailers = trailersOf(upRes);
      if (trailers) recorder.responseTrailers(trailers);
      addTrailers(res, trailers);
      res.end();
      sse?.end();
    });
    // A stream that breaks off keeps what was decoded of it (finish() waits for that).
    if (sse) upRes.once('close', () => !upRes.complete && sse?.abort());
    upRes.on('aborted', () => failMidResponse('the upstream closed the connection before the response ended'));
    upRes.on('error', (err: NodeJS.ErrnoException) =>
      failMidResponse(`the upstream response failed mid-body: ${describeUpstreamError(err, target.host, target.port)}`),
    );
  }

  function upstreamFailed(err: NodeJS.ErrnoException): void {
    if (ending || recorder.isEnded) return;
    if (upstreamResponse)
      return failMidResponse(
        `the upstream response failed mid-body: ${describeUpstreamError(err, target.host, target.port)}`,
      );
    const cause = describeUpstreamError(err, target.host, target.port, recorder.inTlsHandshake);
    // The rest of the request body goes nowhere; reading it lets the client see the answer.
    req.resume();
    // A gateway that gave up waiting answers 504; one that could not reach the upstream, 502.
    sendProxyError(res, err.code === 'WIRELOG_TIMEOUT' ? 504 : 502, answerText(cause, settings.language));
    finish('upstream_error', cause);
  }

  // Mid-body the only honest signal is a broken connection: appending an error text would
  // hand the client a body that looks complete.
  function failMidResponse(reason: string): void {
    if (ending || recorder.isEnded) return;
    finish('upstream_error', reason);
    res.destroy();
  }

  res.on('close', () => {
    if (res.writableFinished) {
      if (upstreamResponse?.complete) finish('complete');
      return;
    }
    if (ending || recorder.isEnded) return;
    // The client left: stop the upstream too, so the provider stops generating (and billing).
    upstream.destroy();
    finish(
      'aborted',
      upstreamResponse
        ? 'the client closed the connection before the response ended'
        : 'the client closed the connection before a response arrived',
    );
  });
  res.on('finish', () => {
    if (upstreamResponse?.complete) finish('complete');
  });
}

/**
 * Whether a request has a body: one with neither Transfer-Encoding nor Content-Length has none
 * (RFC 9112 section 6.3), as Node's parser reads it: most GETs.
 */
export function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

export function sendProxyError(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  // Our own answers are text and stay text: never sniffed as HTML, never a document with this origin.
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-wirelog-error': '1',
    'x-content-type-options': 'nosniff',
    'content-security-policy': 'sandbox',
  });
  res.end(body);
}
