import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  Header,
  BodyInfo,
  BodyRoom,
  BodySide,
  ExchangeEvent,
  ExchangeSink,
  RequestHead,
  ResponseHead,
  Timings,
  WsMessage,
  SseEvent,
  SecretFingerprint,
} from '../model/exchange.ts';
import { headerValue } from '../model/exchange.ts';
import {
  maskBodyText,
  maskHeaders,
  maskJsonText,
  maskPath,
  mayHoldFormSecret,
  mayHoldJsonSecret,
  secretParams,
} from '../model/secrets.ts';
import { boundHeaders, boundRequestHead, boundResponseHead } from '../model/head-bounds.ts';
import { shedNote } from '../model/shed-note.ts';
import type { FlowGate } from './flow-gate.ts';
import { forwardGarbage } from './forward-garbage.ts';
import type { Fingerprint, RememberedSecrets, SecretMemory } from './secret-memory.ts';

export interface CaptureSettings {
  sink: ExchangeSink;
  /** Bytes stored per body; the rest is counted and forwarded, not stored. */
  maxBodyBytes: number;
  keepSecrets: boolean;
  /** Reports a failure of the sink; forwarding carries on regardless. */
  onSinkError: (err: Error) => void;
  /** Where the real values of masked secrets are kept for replays (memory only). */
  secretMemory?: SecretMemory;
  /** Fingerprints each masked secret, so two requests can be compared without storing keys. */
  fingerprint?: Fingerprint;
  /** The secret that marks wirelog's own replays (proxy/replay-mark.ts). */
  replayToken?: string;
}

type EndState = Extract<ExchangeEvent, { type: 'end' }>['state'];

/**
 * A new exchange's uid: a UUID whose first 48 bits are the time in milliseconds (the layout of
 * RFC 9562's version 7), the rest random. Its unique index in the store then grows at its end,
 * as the rowid does. A random UUID put each new row's entry on a page of its own among the
 * index's pages: with 6,400 exchanges stored, a batch of 32 wrote 30-36 pages of that index (of
 * 85-112 in all), now 1-4 (of 57-84); each written page is 4 KB through the WAL and a checkpoint.
 */
export function timeOrderedUid(now = Date.now()): string {
  if (randomAt + UID_RANDOM_BYTES > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  // 18 random hex digits, and the variant's 2 random bits from the tenth byte (its digits unused).
  const hex = randomPool.toString('hex', randomAt, randomAt + UID_RANDOM_BYTES);
  const variant = VARIANT_DIGITS[randomPool[randomAt + UID_RANDOM_BYTES - 1] & 3];
  randomAt += UID_RANDOM_BYTES;
  if (now !== uidMs) {
    const ms = now.toString(16).padStart(12, '0').slice(-12);
    uidMs = now;
    uidTime = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  }
  return `${uidTime}${hex.slice(0, 3)}-${variant}${hex.slice(3, 6)}-${hex.slice(6, 18)}`;
}

// A uid's random part is drawn from a pool filled 4 KB at a time: randomUUID built each of its
// strings from two dozen joined pieces, 930 bytes of garbage a uid (of 4.2 KB in all to record
// a small GET), where one hex string of the pool's bytes is 80.
const UID_RANDOM_BYTES = 10;
const VARIANT_DIGITS = ['8', '9', 'a', 'b'];
const randomPool = Buffer.alloc(4096);
let randomAt = randomPool.length;
// The time part of the last uid made, for the next made in the same millisecond.
let uidMs = -1;
let uidTime = '';

// JSON bodies up to this size are held until they end, to mask the secrets in them before storage.
const MAX_MASKED_BODY = 1024 * 1024;
// Chunks that arrive while one waits for storage (a source resumed by someone else) are kept up to this.
const MAX_WAITING_BYTES = 1024 * 1024;
// Bytes of the previous chunk looked at again with the next, for a secret member split between them.
const HINT_OVERLAP = 1024;

const BODY_TOO_LARGE = 'its JSON exceeded the 1 MB held for masking';
const FORM_TOO_LARGE = 'its form exceeded the 1 MB held for masking';
const LINE_TOO_LONG = 'a line of its JSON exceeded the 1 MB held for masking';

/** A form body (an OAuth token request's refresh_token and client_secret, RFC 6749): held whole and masked as a query is. */
const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\b/i;

/** Newline-delimited JSON (Ollama's streams, JSON Lines, JSON text sequences): one document per line. */
const JSON_LINES_TYPE = /\b(x-)?nd-?json\b|\bjson-?l(ines)?\b|\bjson-seq\b/i;

/**
 * Google's streaming methods (`:streamGenerateContent`, Vertex's `:streamRawPredict`,
 * `:serverStreamingPredict`) answer a JSON array that grows as the model writes, unless the
 * request asks for SSE (`alt=sse`).
 */
function streamsJsonArray(path: string): boolean {
  const query = path.search(/[?#]/);
  const method = /:(\w+)$/.exec(query < 0 ? path : path.slice(0, query));
  return method !== null && /stream/i.test(method[1]) && !/[?&]alt=sse(&|#|$)/i.test(path);
}

/**
 * How a body's secrets are masked before it is stored: 'whole', held until it ends (up to
 * MAX_MASKED_BODY); 'lines', each line masked once it is complete, so a stream is still stored
 * as it comes; 'none'.
 */
type Masking = 'none' | 'whole' | 'lines';

class BodyRecorder {
  size = 0;
  encoding = '';
  private capped = 0;
  private emitted = 0;
  private masking: Masking = 'none';
  /** The body is a form (`a=1&refresh_token=…`), masked as a query is, not as JSON. */
  private form = false;
  /** What is held for masking: the whole body so far, or the line not yet complete. */
  private held: Buffer[] = [];
  private heldSize = 0;
  /** Set once a whole body held passed MAX_MASKED_BODY: the rest is stored as it comes, watched for secrets. */
  private overBound = false;
  /** Within a line longer than MAX_MASKED_BODY: stored as it comes, watched, until its newline. */
  private inLongLine = false;
  private lastBytes = '';
  /** Why part of the body was stored unmasked though it looks like it holds a secret (said on the exchange). */
  private unmasked: string | null = null;
  /** Chunks waiting for storage to have room, oldest first; the source is held meanwhile. */
  private waiting: Buffer[] = [];
  private waitingSize = 0;
  /** The source is held until storage has room (which it says within STORAGE_WAIT_MS, or gives up). */
  private holding = false;
  /** Storage fell behind: the rest of this body is not stored. */
  private leftOut = false;

  constructor(
    private readonly exchange: ExchangeRecorder,
    private readonly side: BodySide,
    private readonly maxBytes: number,
  ) {}

  /**
   * An uncompressed JSON body is stored once it is whole, its secrets masked (model/secrets.ts),
   * a chunked JSON answer too (a key list sent without Content-Length): only what is stored
   * waits, the client gets every chunk as it comes. Google's JSON-array streams are stored as
   * they come, so the viewer shows them growing; newline-delimited JSON line by line.
   */
  chooseMasking(headers: Header[], keepSecrets: boolean, requestPath: string): void {
    if (keepSecrets || this.encoding !== '') return;
    const type = headerValue(headers, 'content-type') ?? '';
    if (JSON_LINES_TYPE.test(type)) this.masking = 'lines';
    else if (FORM_TYPE.test(type)) {
      this.masking = 'whole';
      this.form = true;
    } else if (!/\bjson\b/i.test(type)) return;
    else if (
      this.side === 'response' &&
      headerValue(headers, 'content-length') === undefined &&
      streamsJsonArray(requestPath)
    )
      return;
    else this.masking = 'whole';
  }

  /** Why this body was stored unmasked though it looks like it holds secrets; null when it was not. */
  get unmaskedNote(): string | null {
    return this.unmasked === null
      ? null
      : `${this.side} body stored unmasked (${this.unmasked}), and ${this.form ? 'parameters' : 'members'} named like secrets are in it`;
  }

  /** Why the rest of this body is not stored (storage had no room for it), for the viewer to say; null when it all was. */
  get leftOutNote(): string | null {
    if (!this.leftOut) return null;
    return shedNote(
      { sseEvents: 0, wsMessages: 0, bodyBytes: this.size - this.emitted, eventBytes: 0 },
      `storage had no room for the rest of the ${this.side} body (it was behind or failing)`,
    );
  }

  /** A chunk as it passed; `gate` holds its source back while storage has no room for it (without one, it is handed over regardless). */
  add(chunk: Buffer, gate?: FlowGate): void {
    this.size += chunk.length;
    forwardGarbage.add(chunk.length);
    const room = this.maxBytes - this.capped;
    if (room <= 0 || this.leftOut) return;
    let stored = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.capped += stored.length;
    if (this.masking === 'none') {
      if (this.overBound) this.watch(stored, this.form ? FORM_TOO_LARGE : BODY_TOO_LARGE);
      return this.store(stored, gate);
    }
    if (this.inLongLine) {
      const newline = stored.indexOf(0x0a);
      const rest = newline < 0 ? stored.length : newline + 1;
      this.watch(stored.subarray(0, rest), LINE_TOO_LONG);
      this.store(stored.subarray(0, rest), gate);
      if (newline < 0) return;
      this.inLongLine = false;
      stored = stored.subarray(rest);
    }
    this.held.push(stored);
    this.heldSize += stored.length;
    if (this.masking === 'lines') {
      const newline = stored.lastIndexOf(0x0a);
      if (newline >= 0) this.storeLines(stored.length - newline - 1, gate);
    }
    if (this.heldSize > MAX_MASKED_BODY) this.passBound(gate);
  }

  /** Stores the complete lines held, masked; keeps the `partial` bytes after the last newline. */
  private storeLines(partial: number, gate: FlowGate | undefined): void {
    const all = Buffer.concat(this.held);
    this.held = partial > 0 ? [all.subarray(all.length - partial)] : [];
    this.heldSize = partial;
    this.store(this.masked(all.subarray(0, all.length - partial)), gate);
  }

  /**
   * Too large to hold: a whole body held so far is stored as it is, and the rest as it comes; a
   * line held is, up to its newline (later lines are masked again). Either is watched for secrets.
   */
  private passBound(gate: FlowGate | undefined): void {
    const held = this.held;
    this.held = [];
    this.heldSize = 0;
    if (this.masking === 'lines') {
      this.inLongLine = true;
      for (const piece of held) this.watch(piece, LINE_TOO_LONG);
      // After earlier lines still waiting for storage; else at once, as a body held whole is.
      if (this.waiting.length === 0) this.emit(Buffer.concat(held));
      else for (const piece of held) this.store(piece, gate);
      return;
    }
    this.masking = 'none';
    this.overBound = true;
    for (const piece of held) this.watch(piece, this.form ? FORM_TOO_LARGE : BODY_TOO_LARGE);
    // Nothing of a body held whole was stored before it.
    this.emit(Buffer.concat(held));
  }

  /** Notes why a part stored unmasked looks like it holds a secret (a member split across two parts is seen too). */
  private watch(part: Buffer, why: string): void {
    if (this.unmasked !== null) return;
    const text = this.lastBytes + part.toString('latin1');
    if (mayHoldJsonSecret(text) || (this.form && mayHoldFormSecret(text))) this.unmasked = why;
    this.lastBytes = text.slice(-HINT_OVERLAP);
  }

  /** JSON text with its secrets masked; bytes that are not UTF-8 are masked as Latin-1, which keeps them byte for byte. */
  private masked(bytes: Buffer): Buffer {
    const utf8 = bytes.toString('utf8');
    const valid = Buffer.byteLength(utf8) === bytes.length;
    const masked = maskBodyText(valid ? utf8 : bytes.toString('latin1'), this.form);
    if (masked === null) return bytes;
    if (this.side === 'request' && this.masking === 'whole')
      this.exchange.rememberSecrets({ headers: [], body: bytes });
    return Buffer.from(masked, valid ? 'utf8' : 'latin1');
  }

  /** The body ended (or, for a request, was sent): what is held is stored, masked. */
  release(): void {
    if (this.heldSize === 0) return;
    const held = Buffer.concat(this.held);
    this.held = [];
    this.heldSize = 0;
    const masked = this.masked(held);
    // A line's stream may have earlier lines still waiting for storage: this comes after them.
    if (this.waiting.length === 0) return this.emit(masked);
    this.waiting.push(masked);
    this.waitingSize += masked.length;
  }

  private store(chunk: Buffer, gate: FlowGate | undefined): void {
    this.waiting.push(chunk);
    this.waitingSize += chunk.length;
    if (this.waitingSize > MAX_WAITING_BYTES) return this.leaveOut(gate);
    if (this.waiting.length === 1) this.offer(gate);
  }

  /** Hands over waiting chunks while storage has room; holds the source when it has not. */
  private offer(gate: FlowGate | undefined): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      const answer: BodyRoom = gate
        ? this.exchange.room(next.length, this.emitted, (ok) => (ok ? this.offer(gate) : this.leaveOut(gate)))
        : 'now';
      if (answer === 'skip') return this.leaveOut(gate);
      if (answer === 'wait') {
        if (!this.holding) gate!.hold('storage');
        this.holding = true;
        return;
      }
      this.waiting.shift();
      this.waitingSize -= next.length;
      this.emit(next);
    }
    this.stopWaiting(gate);
  }

  private stopWaiting(gate: FlowGate | undefined): void {
    if (!this.holding) return;
    this.holding = false;
    gate?.release('storage');
  }

  /** Storage is too far behind: what waits and the rest of the body are not stored (the body shows as truncated). */
  private leaveOut(gate: FlowGate | undefined): void {
    if (this.leftOut) return;
    this.leftOut = true;
    this.waiting = [];
    this.waitingSize = 0;
    this.stopWaiting(gate);
  }

  /** The body ended: what still waits is handed over as it is (one chunk or so, its source was held). */
  finish(): void {
    this.release();
    for (const chunk of this.waiting) this.emit(chunk);
    this.waiting = [];
    this.waitingSize = 0;
    this.holding = false;
  }

  private emit(chunk: Buffer): void {
    this.emitted += chunk.length;
    this.exchange.send({
      type: 'body-chunk',
      uid: this.exchange.uid,
      side: this.side,
      chunk,
      atMs: this.exchange.elapsed(),
    });
  }

  info(): BodyInfo {
    return {
      size: this.size,
      storedSize: this.emitted,
      truncated: this.capped < this.size || this.leftOut,
      encoding: this.encoding,
    };
  }
}

/**
 * One exchange as the proxy sees it: turns wire stages into ExchangeEvents,
 * masking secrets first, and guarantees exactly one 'end'.
 */
export class ExchangeRecorder {
  readonly uid: string;
  readonly requestBody: BodyRecorder;
  readonly responseBody: BodyRecorder;
  private readonly t0: number;
  private readonly timings: Timings = {};
  private upstreamTls = false;
  private ended = false;
  private wsSeq = 0;
  private sseSeq = 0;
  private trailers: Header[] | null = null;
  /** What was cut of the trailers to store them. */
  private readonly trailerNotes: string[] = [];
  /** The request's path as sent: whether an answer is a stream can depend on it. */
  private readonly requestPath: string;

  constructor(
    private readonly settings: CaptureSettings,
    head: RequestHead,
    /** performance.now() at head.startedAt, when the exchange began before it is recorded (a CONNECT). */
    startedAtPerf = performance.now(),
    /** A replay names its exchange's uid before it is sent, to find it once stored. */
    uid: string = timeOrderedUid(),
  ) {
    this.uid = uid;
    this.t0 = startedAtPerf;
    this.requestPath = head.path;
    this.requestBody = new BodyRecorder(this, 'request', settings.maxBodyBytes);
    this.responseBody = new BodyRecorder(this, 'response', settings.maxBodyBytes);
    this.requestBody.encoding = headerValue(head.headers, 'content-encoding') ?? '';
    this.requestBody.chooseMasking(head.headers, settings.keepSecrets, head.path);
    // Bounded before masking: the work per head stays bounded whatever its fields hold (model/head-bounds.ts).
    const bounded = boundRequestHead(head);
    this.send({ type: 'request', uid: this.uid, head: settings.keepSecrets ? bounded : this.masked(bounded) });
  }

  /** The head as stored: secrets masked, each fingerprinted, and their real values remembered in memory. */
  private masked(head: RequestHead): RequestHead {
    const headers = maskHeaders(head.headers);
    const path = maskPath(head.path);
    const real: Header[] = head.headers.filter((h, i) => headers[i][1] !== h[1]);
    const fingerprint = this.settings.fingerprint;
    const secrets = fingerprint ? real.map(([name, value]) => ({ name, fingerprint: fingerprint(value) })) : [];
    if (fingerprint && path !== head.path)
      for (const [name, value] of secretParams(head.path))
        secrets.push({ name: `?${name}`, fingerprint: fingerprint(value) });
    if (real.length || path !== head.path)
      this.rememberSecrets({ headers: real, ...(path !== head.path ? { path: head.path } : {}) });
    return maskedHead(head, path, headers, secrets);
  }

  rememberSecrets(secrets: RememberedSecrets): void {
    try {
      this.settings.secretMemory?.remember(this.uid, secrets);
    } catch (err) {
      this.settings.onSinkError(err as Error);
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  elapsed(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  /** Whether storage has room for `bytes` more of a body now (see ExchangeSink.room); a sink that fails says 'now'. */
  room(bytes: number, stored: number, ready: (ok: boolean) => void): BodyRoom {
    if (this.ended || !this.settings.sink.room) return 'now';
    try {
      return this.settings.sink.room(bytes, stored, ready);
    } catch (err) {
      this.settings.onSinkError(err as Error);
      return 'now';
    }
  }

  send(event: ExchangeEvent): void {
    try {
      this.settings.sink.emit(event);
    } catch (err) {
      this.settings.onSinkError(err as Error);
    }
  }

  /** Records when a new upstream connection was made and, for TLS, secured. */
  upstreamSocket(socket: import('node:net').Socket): void {
    if (!socket.connecting) return; // a kept-alive connection: no connect, no handshake
    this.upstreamTls = 'encrypted' in socket;
    socket.once('connect', () => (this.timings.connected = this.elapsed()));
    socket.once('secureConnect', () => (this.timings.secured = this.elapsed()));
  }

  /**
   * A new TLS connection upstream is connected but not yet secured: a reset or close now
   * means the port does not speak TLS as expected.
   */
  get inTlsHandshake(): boolean {
    return this.upstreamTls && this.timings.connected !== undefined && this.timings.secured === undefined;
  }

  /** The request went out again on a new connection (see sendUpstream); noted, not an error. */
  retried(): void {
    this.timings.retried = this.elapsed();
  }

  requestSent(): void {
    this.requestBody.release();
    this.timings.requestSent ??= this.elapsed();
    this.send({ type: 'request-sent', uid: this.uid, atMs: this.timings.requestSent });
  }

  responseHead(head: ResponseHead): void {
    const atMs = this.elapsed();
    this.timings.responseHeaders = atMs;
    this.responseBody.encoding = headerValue(head.headers, 'content-encoding') ?? '';
    this.responseBody.chooseMasking(head.headers, this.settings.keepSecrets, this.requestPath);
    const bounded = boundResponseHead(head);
    const stored = this.settings.keepSecrets ? bounded : { ...bounded, headers: maskHeaders(bounded.headers) };
    this.send({ type: 'response-head', uid: this.uid, head: stored, atMs });
  }

  responseChunk(chunk: Buffer, gate?: FlowGate): void {
    this.timings.firstByte ??= this.elapsed();
    this.responseBody.add(chunk, gate);
  }

  sseEvent(event: Omit<SseEvent, 'seq' | 'offsetMs'>): void {
    // Built key by key, here and below: a spread with keys added is a slow object, costly to send.
    this.send({
      type: 'sse-event',
      uid: this.uid,
      event: { seq: this.sseSeq++, offsetMs: this.elapsed(), event: event.event, id: event.id, data: event.data },
    });
  }

  wsMessage(message: Omit<WsMessage, 'seq' | 'offsetMs'>): void {
    this.timings.firstByte ??= this.elapsed();
    if (!this.settings.keepSecrets && message.opcode === 1) {
      const { buffer, byteOffset, byteLength } = message.payload;
      const masked = maskJsonText(Buffer.from(buffer, byteOffset, byteLength).toString('utf8'));
      if (masked !== null)
        message = { direction: message.direction, opcode: message.opcode, payload: Buffer.from(masked) };
    }
    this.send({
      type: 'ws-message',
      uid: this.uid,
      message: {
        seq: this.wsSeq++,
        offsetMs: this.elapsed(),
        direction: message.direction,
        opcode: message.opcode,
        payload: message.payload,
      },
    });
  }

  /** Trailer fields after the response body, masked as its headers are. */
  responseTrailers(trailers: Header[]): void {
    const bounded = boundHeaders(trailers, 'response trailer', this.trailerNotes);
    this.trailers = this.settings.keepSecrets ? bounded : maskHeaders(bounded);
  }

  /** `notes`: what else was not stored as it came (WebSocket messages left out of a flood: proxy/websocket.ts). */
  end(state: EndState, error: string | null = null, notes: string[] = []): void {
    if (this.ended) return;
    this.ended = true;
    this.requestBody.finish();
    this.responseBody.finish();
    this.timings.end = this.elapsed();
    // Nothing is stored unmasked unsaid: a body too large to mask is noted on the exchange.
    notes = [...this.trailerNotes, ...notes];
    for (const note of [
      this.requestBody.unmaskedNote,
      this.responseBody.unmaskedNote,
      this.requestBody.leftOutNote,
      this.responseBody.leftOutNote,
    ])
      if (note !== null) notes.push(note);
    const event: Extract<ExchangeEvent, { type: 'end' }> = {
      type: 'end',
      uid: this.uid,
      state,
      error,
      timings: { ...this.timings },
      requestBody: this.requestBody.info(),
      responseBody: this.responseBody.info(),
    };
    if (this.trailers) event.responseTrailers = this.trailers;
    if (notes.length) event.notes = notes;
    this.send(event);
  }
}

/**
 * The head with its masked path and headers, built key by key: a spread with a key added
 * makes a slow object (about 0.6 KB and 1.4 µs more per request, and slower to send to storage).
 */
function maskedHead(head: RequestHead, path: string, headers: Header[], secrets: SecretFingerprint[]): RequestHead {
  const out: RequestHead = {
    startedAt: head.startedAt,
    clientAddress: head.clientAddress,
    method: head.method,
    scheme: head.scheme,
    host: head.host,
    port: head.port,
    path,
    httpVersion: head.httpVersion,
    headers,
  };
  if (head.via !== undefined) out.via = head.via;
  if (head.replayOf !== undefined) out.replayOf = head.replayOf;
  if (head.imported !== undefined) out.imported = head.imported;
  if (head.notes !== undefined) out.notes = head.notes;
  if (secrets.length) out.secrets = secrets;
  else if (head.secrets !== undefined) out.secrets = head.secrets;
  return out;
}
