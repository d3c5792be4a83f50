import type http from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Header, WsDirection } from '../model/exchange.ts';
import { headerValue } from '../model/exchange.ts';
import { forwardableHeaders, headerPairs } from './headers.ts';
import { endRaw } from './connections.ts';
import { gatewayResponseHeaders } from './gateway.ts';
import { requestHead, type ForwardSettings, type Target } from './forward.ts';
import { ExchangeRecorder } from './recorder.ts';
import { takeReplayMark } from './replay-mark.ts';
import { describeUpstreamError } from './upstream.ts';
import { sendUpstream, upstreamRequestOptions, type UpstreamCall } from './upstream-request.ts';

// The largest non-101 answer to an upgrade we relay (an error page); beyond it the body is cut.
const MAX_REFUSAL_BODY = 1024 * 1024;

/**
 * Relays a WebSocket upgrade byte for byte: the upstream answers first, and only its 101 is
 * passed to the client, so a refusal (404, 426...) reaches the client as it was sent and
 * clients like Codex can fall back to SSE. Frames are decoded from a copy of the bytes.
 */
export function relayUpgrade(req: http.IncomingMessage, client: Duplex, head: Buffer, target: Target, path: string, settings: ForwardSettings): void {
  const wsScheme = target.scheme === 'https' ? 'wss' : 'ws';
  const { head: requested, uid } = takeReplayMark(requestHead(req, target, wsScheme, path), settings.replayToken);
  const recorder = new ExchangeRecorder(settings, requested, undefined, uid);
  let upstream: UpstreamCall;
  try {
    upstream = sendUpstream(upstreamRequestOptions(requested, target, settings, true), target, settings, recorder, null, {
      upgrade: (upRes, upSocket, upHead) => relayFrames(upRes, upSocket, upHead),
      response: (upRes) => relayRefusal(upRes),
      error: (err) => upstreamFailed(err),
    });
  } catch (err) {
    const body = Buffer.from(`wirelog: cannot forward this upgrade: ${(err as Error).message}\n`);
    endRaw(client, Buffer.concat([rawResponseHead(502, 'Bad Gateway', ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length), 'Connection', 'close']), body]));
    recorder.end('proxy_error', `cannot forward this upgrade: ${(err as Error).message}`);
    return;
  }
  let clientGone = false;
  let answered = false;
  client.on('error', () => undefined);
  client.on('close', () => {
    clientGone = true;
    if (answered) return;
    // The client left while the upstream was still deciding: stop asking.
    upstream.destroy();
    recorder.end('aborted', 'the client closed the connection before the upgrade was answered');
  });

  function relayFrames(upRes: http.IncomingMessage, upSocket: Duplex & { setTimeout(ms: number): void }, upHead: Buffer): void {
    answered = true;
    // A WebSocket may stay quiet for as long as its two ends like.
    upSocket.setTimeout(0);
    const headers = headerPairs(upRes.rawHeaders);
    recorder.responseHead({ status: upRes.statusCode ?? 101, statusText: upRes.statusMessage ?? '', httpVersion: upRes.httpVersion, headers });
    if (clientGone) {
      upSocket.destroy();
      recorder.end('aborted', 'the client closed the connection before the upgrade completed');
      return;
    }
    client.write(rawResponseHead(upRes.statusCode ?? 101, upRes.statusMessage ?? 'Switching Protocols', forwardableHeaders(headers, true)));
    const frames = new FrameTap(recorder, headers);
    if (upHead.length) {
      client.write(upHead);
      frames.write('receive', upHead);
    }
    if (head.length) {
      upSocket.write(head);
      frames.write('send', head);
    }
    // Relaying listens first: each chunk is on its way before its frames are decoded.
    upSocket.pipe(client);
    client.pipe(upSocket);
    upSocket.on('data', (chunk: Buffer) => frames.write('receive', chunk));
    client.on('data', (chunk: Buffer) => frames.write('send', chunk));
    // The sockets close at once; the exchange ends once the frames relayed are all decoded.
    let failure: string | null = null;
    const closed = (unclean: () => void) => {
      void frames.finish().then(() => {
        if (failure !== null) recorder.end('upstream_error', failure);
        else if (!frames.closeSeen) unclean();
        else recorder.end('complete', frames.decodeError);
      });
    };
    upSocket.on('error', (err) => {
      failure ??= `the upstream WebSocket connection failed: ${err.message}`;
      client.destroy();
    });
    upSocket.on('close', () => {
      closed(() => recorder.end('upstream_error', 'the upstream closed the WebSocket without a close frame'));
      client.destroy();
    });
    client.on('close', () => {
      closed(() => recorder.end('aborted', 'the client closed the WebSocket without a close frame'));
      upSocket.destroy();
    });
  }

  // Anything but 101: the upstream refused the upgrade. Relay its answer as it came.
  function relayRefusal(upRes: http.IncomingMessage): void {
    answered = true;
    const headers = headerPairs(upRes.rawHeaders);
    recorder.responseHead({ status: upRes.statusCode ?? 0, statusText: upRes.statusMessage ?? '', httpVersion: upRes.httpVersion, headers });
    const chunks: Buffer[] = [];
    let size = 0;
    upRes.on('data', (chunk: Buffer) => {
      recorder.responseChunk(chunk);
      if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    upRes.on('end', () => {
      const body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY);
      const flat = dropPairs(gatewayResponseHeaders(forwardableHeaders(headers), target), /^(content-length|transfer-encoding)$/i);
      flat.push('Content-Length', String(body.length), 'Connection', 'close');
      endRaw(client, Buffer.concat([rawResponseHead(upRes.statusCode ?? 502, upRes.statusMessage ?? '', flat), body]));
      recorder.end('complete');
    });
    upRes.on('error', (err) => {
      recorder.end('upstream_error', `the upstream response to the upgrade failed: ${err.message}`);
      client.destroy();
    });
  }

  function upstreamFailed(err: NodeJS.ErrnoException): void {
    if (recorder.isEnded) return;
    const cause = describeUpstreamError(err, target.host, target.port, recorder.inTlsHandshake);
    // 502 or 504, never 400: Codex gives up on a 400 but falls back to SSE on other statuses.
    const body = Buffer.from(`wirelog: ${cause}\n`);
    const timedOut = err.code === 'WIRELOG_TIMEOUT';
    endRaw(client, Buffer.concat([rawResponseHead(timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway', ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length), 'Connection', 'close']), body]));
    recorder.end('upstream_error', cause);
  }
}

function dropPairs(flat: string[], name: RegExp): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (!name.test(flat[i])) kept.push(flat[i], flat[i + 1]);
  return kept;
}

function rawResponseHead(status: number, statusText: string, flatHeaders: string[]): Buffer {
  let text = `HTTP/1.1 ${status} ${statusText}\r\n`;
  for (let i = 0; i + 1 < flatHeaders.length; i += 2) text += `${flatHeaders[i]}: ${flatHeaders[i + 1]}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

type ReceiverLike = Writable;

// ws exports its frame parser and deflate extension at run time; @types/ws does not describe them.
const wsInternals = createRequire(import.meta.url)('ws') as {
  PerMessageDeflate: new (options: object, isServer: boolean, maxPayload: number) => { accept(params: object[]): void };
  Receiver: new (options: object) => ReceiverLike;
};

/** The longest a closed WebSocket's end waits for its last frames to be decoded. */
export const FRAMES_SETTLE_MS = 10_000;

/** Decodes frames in both directions from copies of the relayed bytes, with ws's own parser. */
export class FrameTap {
  closeSeen = false;
  /** Set when a direction stopped decoding: the bytes still flowed, the messages after it are not stored. */
  decodeError: string | null = null;
  private readonly receivers: Record<WsDirection, ReceiverLike | null>;

  constructor(
    private readonly recorder: ExchangeRecorder,
    responseHeaders: Header[],
  ) {
    const deflate = /permessage-deflate/i.test(headerValue(responseHeaders, 'sec-websocket-extensions') ?? '');
    this.receivers = { send: this.receiver('send', deflate), receive: this.receiver('receive', deflate) };
  }

  /**
   * Resolves once every byte written so far is decoded: inflating permessage-deflate happens on
   * the thread pool, behind the bytes, and on a busy machine a session's last messages (Codex's
   * response.completed among them) come seconds after its sockets closed. Past
   * FRAMES_SETTLE_MS the exchange ends anyway and says what was not decoded.
   */
  finish(): Promise<void> {
    const pending = Object.values(this.receivers).map(
      (receiver) =>
        new Promise<void>((done) => {
          if (!receiver || receiver.writableFinished) return done();
          receiver.once('finish', done);
          receiver.once('error', done);
          receiver.end();
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((done) => {
      timer = setTimeout(() => {
        this.decodeError ??= `WebSocket messages were still being decoded ${FRAMES_SETTLE_MS / 1000} s after the connection closed; later ones are not stored`;
        done();
      }, FRAMES_SETTLE_MS);
      timer.unref();
    });
    return Promise.race([Promise.all(pending).then(() => clearTimeout(timer)), late]);
  }

  write(direction: WsDirection, chunk: Buffer): void {
    // A copy: ws's parser unmasks payloads in place, and these bytes are still on their way.
    this.receivers[direction]?.write(Buffer.from(chunk));
  }

  private receiver(direction: WsDirection, deflate: boolean): ReceiverLike {
    const extensions: Record<string, unknown> = {};
    if (deflate) {
      // Client-mode accept of an empty answer: keeps the inflate context across messages,
      // which decodes both context takeover and no_context_takeover streams.
      const pmd = new wsInternals.PerMessageDeflate({}, false, 0);
      pmd.accept([{}]);
      extensions['permessage-deflate'] = pmd;
    }
    // Frames from the client are masked: parse them as a server would.
    const receiver = new wsInternals.Receiver({ isServer: direction === 'send', extensions, binaryType: 'nodebuffer', skipUTF8Validation: true });
    receiver.on('message', (data: Buffer, isBinary: boolean) => this.recorder.wsMessage({ direction, opcode: isBinary ? 2 : 1, payload: data }));
    receiver.on('ping', (data: Buffer) => this.recorder.wsMessage({ direction, opcode: 9, payload: data }));
    receiver.on('pong', (data: Buffer) => this.recorder.wsMessage({ direction, opcode: 10, payload: data }));
    receiver.on('conclude', (code: number, reason: Buffer) => {
      this.closeSeen = true;
      const payload = code === 1005 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reason]);
      this.recorder.wsMessage({ direction, opcode: 8, payload });
    });
    receiver.on('error', (err: Error) => {
      this.receivers[direction] = null;
      this.decodeError ??= `WebSocket frames (${direction}) could not be decoded after this point: ${err.message}`;
    });
    return receiver;
  }
}
