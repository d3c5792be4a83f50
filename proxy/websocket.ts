import type http from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { answerText } from '../i18n/stored-text.ts';
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
export function relayUpgrade(
  req: http.IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: Target,
  path: string,
  settings: ForwardSettings,
): void {
  const wsScheme = target.scheme === 'https' ? 'wss' : 'ws';
  const { head: requested, uid } = takeReplayMark(requestHead(req, target, wsScheme, path), settings.replayToken);
  const recorder = new ExchangeRecorder(settings, requested, undefined, uid);
  let upstream: UpstreamCall;
  try {
    upstream = sendUpstream(
      upstreamRequestOptions(requested, target, settings, true),
      target,
      settings,
      recorder,
      null,
      {
        upgrade: (upRes, upSocket, upHead) => relayFrames(upRes, upSocket, upHead),
        response: (upRes) => relayRefusal(upRes),
        error: (err) => upstreamFailed(err),
      },
    );
  } catch (err) {
    const body = Buffer.from(answerText(`cannot forward this upgrade: ${(err as Error).message}`, settings.language));
    endRaw(
      client,
      Buffer.concat([
        rawResponseHead(502, 'Bad Gateway', [
          'Content-Type',
          'text/plain; charset=utf-8',
          'Content-Length',
          String(body.length),
          'Connection',
          'close',
        ]),
        body,
      ]),
    );
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

  function relayFrames(
    upRes: http.IncomingMessage,
    upSocket: Duplex & { setTimeout(ms: number): void },
    upHead: Buffer,
  ): void {
    answered = true;
    // A WebSocket may stay quiet for as long as its two ends like.
    upSocket.setTimeout(0);
    const headers = headerPairs(upRes.rawHeaders);
    recorder.responseHead({
      status: upRes.statusCode ?? 101,
      statusText: upRes.statusMessage ?? '',
      httpVersion: upRes.httpVersion,
      headers,
    });
    if (clientGone) {
      upSocket.destroy();
      recorder.end('aborted', 'the client closed the connection before the upgrade completed');
      return;
    }
    client.write(
      rawResponseHead(
        upRes.statusCode ?? 101,
        upRes.statusMessage ?? 'Switching Protocols',
        forwardableHeaders(headers, true),
      ),
    );
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
    // Messages a flood had left out of storage are counted in the exchange's notes (FrameTap.notes).
    const closed = (unclean: () => void) => {
      void frames.finish().then(() => {
        if (failure !== null) recorder.end('upstream_error', failure, frames.notes());
        // Frames left undecoded may have held the close: no claim that there was none.
        else if (!frames.closeSeen && !frames.overflowed) unclean();
        else recorder.end('complete', frames.decodeError, frames.notes());
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
    recorder.responseHead({
      status: upRes.statusCode ?? 0,
      statusText: upRes.statusMessage ?? '',
      httpVersion: upRes.httpVersion,
      headers,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    upRes.on('data', (chunk: Buffer) => {
      recorder.responseChunk(chunk);
      if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    upRes.on('end', () => {
      const body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY);
      const flat = dropPairs(
        gatewayResponseHeaders(forwardableHeaders(headers), target),
        /^(content-length|transfer-encoding)$/i,
      );
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
    const body = Buffer.from(answerText(cause, settings.language));
    const timedOut = err.code === 'WIRELOG_TIMEOUT';
    endRaw(
      client,
      Buffer.concat([
        rawResponseHead(timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway', [
          'Content-Type',
          'text/plain; charset=utf-8',
          'Content-Length',
          String(body.length),
          'Connection',
          'close',
        ]),
        body,
      ]),
    );
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

/**
 * What one connection's frames may cost the forwarding thread. Decoding happens as bytes arrive,
 * up to so many bytes and messages decoded, and messages handed to storage, per event-loop turn;
 * the rest waits for the next turns (a socket read loop can bring 2 MB, 30,000 small messages, at
 * once: 200,000 of them held other clients' requests for seconds). Past maxUndecodedBytes
 * waiting, the direction stops decoding and says so.
 */
export const FLOOD_LIMITS = {
  decodeBytesPerTurn: 1024 * 1024,
  decodedPerTurn: 1000,
  storedPerTurn: 250,
  maxUndecodedBytes: 16 * 1024 * 1024,
  /** Messages handed to storage per connection: a burst of so many, then so many a second (a token bucket); past it they are counted, not stored. */
  burstMessages: 20_000,
  messagesPerSecond: 5_000,
  burstBytes: 32 * 1024 * 1024,
  bytesPerSecond: 16 * 1024 * 1024,
};

/** Messages of one direction decoded but not stored because the connection sent more than storage keeps up with. */
interface LeftOut {
  messages: number;
  bytes: number;
  /** Milliseconds into the exchange when the first was left out. */
  firstAtMs: number;
}

/** Decodes frames in both directions from copies of the relayed bytes, with ws's own parser, a bounded slice at a time. */
export class FrameTap {
  closeSeen = false;
  /** A direction stopped decoding because too much waited to be decoded: whether a close frame came is not known. */
  overflowed = false;
  /** Set when a direction stopped decoding: the bytes still flowed, the messages after it are not stored. */
  decodeError: string | null = null;
  private readonly receivers: Record<WsDirection, ReceiverLike | null>;
  /** Bytes relayed and not decoded yet, oldest first, per direction. */
  private readonly undecoded: Record<WsDirection, Buffer[]> = { send: [], receive: [] };
  private undecodedBytes = 0;
  /** What this turn has spent of its budget (reset by the next turn's drain). */
  private turnBytes = 0;
  private turnStored = 0;
  private turnDecoded = 0;
  private drainScheduled = false;
  private drained: (() => void) | null = null;
  /** The token bucket of messages and bytes handed to storage. */
  private tokens = { messages: FLOOD_LIMITS.burstMessages, bytes: FLOOD_LIMITS.burstBytes, at: performance.now() };
  private readonly leftOut: Record<WsDirection, LeftOut | null> = { send: null, receive: null };
  /** Messages decoded past this turn's share, handed to storage in the next turn. */
  private deferred: { direction: WsDirection; opcode: number; payload: Buffer }[] = [];
  private finishing: Promise<void> | null = null;

  constructor(
    private readonly recorder: ExchangeRecorder,
    responseHeaders: Header[],
    private readonly limits = FLOOD_LIMITS,
  ) {
    const deflate = /permessage-deflate/i.test(headerValue(responseHeaders, 'sec-websocket-extensions') ?? '');
    this.receivers = { send: this.receiver('send', deflate), receive: this.receiver('receive', deflate) };
    this.tokens = { messages: limits.burstMessages, bytes: limits.burstBytes, at: performance.now() };
  }

  /**
   * Resolves once every byte written so far is decoded: inflating permessage-deflate happens on
   * the thread pool, behind the bytes, and on a busy machine a session's last messages (Codex's
   * response.completed among them) come seconds after its sockets closed. Past
   * FRAMES_SETTLE_MS the exchange ends anyway and says what was not decoded.
   */
  finish(): Promise<void> {
    // Both sockets' closes ask: one wait, one answer.
    this.finishing ??= this.settle();
    return this.finishing;
  }

  private settle(): Promise<void> {
    const decoded =
      this.undecodedBytes === 0 && this.deferred.length === 0
        ? Promise.resolve()
        : new Promise<void>((done) => (this.drained = done));
    const pending = decoded
      .then(() =>
        Promise.all(
          Object.values(this.receivers).map(
            (receiver) =>
              new Promise<void>((done) => {
                if (!receiver || receiver.writableFinished) return done();
                receiver.once('finish', done);
                receiver.once('error', done);
                receiver.end();
              }),
          ),
        ),
      )
      // The connection is over: what its last turn decoded is handed over at once (a slice's worth at most).
      .then(() => this.storeDeferred(Number.POSITIVE_INFINITY));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((done) => {
      timer = setTimeout(() => {
        this.decodeError ??= `WebSocket messages were still being decoded ${FRAMES_SETTLE_MS / 1000} s after the connection closed; later ones are not stored`;
        done();
      }, FRAMES_SETTLE_MS);
      timer.unref();
    });
    return Promise.race([pending.then(() => clearTimeout(timer)), late]);
  }

  /** What was not stored of the messages, one note per direction (for the exchange's notes). */
  notes(): string[] {
    const l = this.limits;
    return (['receive', 'send'] as const).flatMap((direction) => {
      const left = this.leftOut[direction];
      if (!left) return [];
      const what = direction === 'receive' ? 'received from the upstream' : 'sent by the client';
      return [
        `${left.messages.toLocaleString('en-US')} WebSocket message(s) ${what}, ${left.bytes.toLocaleString('en-US')} bytes, not stored: the connection sent more than the storage keeps up with (past a burst of ${l.burstMessages.toLocaleString('en-US')} messages, ${l.messagesPerSecond.toLocaleString('en-US')} messages or ${l.bytesPerSecond / 1048576} MB a second are stored); the first was left out ${Math.round(left.firstAtMs)} ms in`,
      ];
    });
  }

  write(direction: WsDirection, chunk: Buffer): void {
    if (!this.receivers[direction]) return;
    if (this.undecodedBytes + chunk.length > this.limits.maxUndecodedBytes) {
      this.overflowed = true;
      this.stopDecoding(
        direction,
        `WebSocket frames (${direction}) were not decoded after this point: more than ${this.limits.maxUndecodedBytes / 1048576} MB of frames waited to be decoded (the connection sent faster than wirelog decodes); the bytes were relayed whole`,
      );
      return;
    }
    // A copy: ws's parser unmasks payloads in place, and these bytes are still on their way.
    this.undecoded[direction].push(Buffer.from(chunk));
    this.undecodedBytes += chunk.length;
    this.decode();
  }

  /** Stores what waits, then decodes what waits, within this turn's budget; the rest in the next turns. */
  private decode(): void {
    this.storeDeferred(this.limits.storedPerTurn);
    while (
      this.undecodedBytes > 0 &&
      this.deferred.length === 0 &&
      this.turnBytes < this.limits.decodeBytesPerTurn &&
      this.turnDecoded < this.limits.decodedPerTurn &&
      this.turnStored < this.limits.storedPerTurn
    ) {
      let progressed = false;
      for (const direction of ['send', 'receive'] as const) {
        const queue = this.undecoded[direction];
        if (queue.length === 0) continue;
        progressed = true;
        // A slice at most: the budget is checked between slices.
        const slice = Math.min(queue[0].length, 16 * 1024);
        const bytes = queue[0].subarray(0, slice);
        if (slice === queue[0].length) queue.shift();
        else queue[0] = queue[0].subarray(slice);
        this.undecodedBytes -= slice;
        this.turnBytes += slice;
        this.receivers[direction]?.write(bytes);
      }
      // Never spin: bytes counted as waiting are always in a queue, but a miscount must not hang the thread.
      if (!progressed) {
        this.undecodedBytes = 0;
        break;
      }
    }
    if (this.undecodedBytes === 0 && this.deferred.length === 0) {
      const drained = this.drained;
      this.drained = null;
      drained?.();
    }
    this.scheduleTurn();
  }

  /** The budget is a turn's: the next turn starts afresh, and goes on with what still waits. */
  private scheduleTurn(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.turnBytes = 0;
      this.turnStored = 0;
      this.turnDecoded = 0;
      if (this.undecodedBytes > 0 || this.deferred.length > 0) this.decode();
    });
  }

  /** Hands over up to `limit` decoded messages that waited for a turn with budget left, in order. */
  private storeDeferred(limit: number): void {
    let i = 0;
    for (; i < this.deferred.length && this.turnStored < limit; i++) {
      this.turnStored++;
      this.recorder.wsMessage(this.deferred[i]);
    }
    if (i > 0) this.deferred = this.deferred.slice(i);
  }

  /** A direction stops decoding (`why` is the exchange's error): what waits of it is dropped; the bytes were relayed whole. */
  private stopDecoding(direction: WsDirection, why: string): void {
    this.receivers[direction] = null;
    this.undecodedBytes -= this.undecoded[direction].reduce((n, b) => n + b.length, 0);
    this.undecoded[direction] = [];
    this.decodeError ??= why;
    if (this.undecodedBytes === 0) this.decode();
  }

  /** Hands a decoded message to storage while the connection's budget lasts; past it, counts it. Close frames are always stored. */
  private message(direction: WsDirection, opcode: number, payload: Buffer): void {
    this.turnDecoded++;
    // Inflated messages come from the thread pool, outside decode(): their turn is counted, and what they defer is handed over, too.
    this.scheduleTurn();
    if (opcode !== 8 && !this.take(payload.length)) {
      const left = (this.leftOut[direction] ??= { messages: 0, bytes: 0, firstAtMs: this.recorder.elapsed() });
      left.messages++;
      left.bytes += payload.length;
      return;
    }
    // A slice can decode more than a turn's share: the rest waits for the next turn (one slice's worth at most).
    if (this.deferred.length > 0 || this.turnStored >= this.limits.storedPerTurn) {
      this.deferred.push({ direction, opcode, payload });
      return;
    }
    this.turnStored++;
    this.recorder.wsMessage({ direction, opcode, payload });
  }

  /** Takes one message of `bytes` from the token bucket, refilled at the limits' rates (updated in place: this runs for every message of a flood). */
  private take(bytes: number): boolean {
    const now = performance.now();
    const tokens = this.tokens;
    const seconds = (now - tokens.at) / 1000;
    const l = this.limits;
    tokens.messages = Math.min(l.burstMessages, tokens.messages + seconds * l.messagesPerSecond);
    tokens.bytes = Math.min(l.burstBytes, tokens.bytes + seconds * l.bytesPerSecond);
    tokens.at = now;
    if (tokens.messages < 1 || tokens.bytes < bytes) return false;
    tokens.messages--;
    tokens.bytes -= bytes;
    return true;
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
    const receiver = new wsInternals.Receiver({
      isServer: direction === 'send',
      extensions,
      binaryType: 'nodebuffer',
      skipUTF8Validation: true,
    });
    receiver.on('message', (data: Buffer, isBinary: boolean) => this.message(direction, isBinary ? 2 : 1, data));
    receiver.on('ping', (data: Buffer) => this.message(direction, 9, data));
    receiver.on('pong', (data: Buffer) => this.message(direction, 10, data));
    receiver.on('conclude', (code: number, reason: Buffer) => {
      this.closeSeen = true;
      const payload = code === 1005 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reason]);
      this.message(direction, 8, payload);
    });
    receiver.on('error', (err: Error) =>
      this.stopDecoding(
        direction,
        `WebSocket frames (${direction}) could not be decoded after this point: ${err.message}`,
      ),
    );
    return receiver;
  }
}
