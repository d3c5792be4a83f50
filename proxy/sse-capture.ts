import type { Header } from '../model/exchange.ts';
import { headerValue, isEventStream } from '../model/exchange.ts';
import { MAX_PENDING_EVENT_BYTES, SseSplitter } from '../model/sse-split.ts';
import type { ExchangeRecorder } from './recorder.ts';
import { canDecodeStream, streamDecoder, type StreamDecoder } from './stream-decoder.ts';
import { serverText } from '../i18n/stored-text.ts';

/** The longest a finished stream's end waits for its decoder's last events before it is recorded anyway. */
export const DECODER_SETTLE_MS = 10_000;

/**
 * Splits a response stream into SSE events as its chunks pass by, each stamped when it
 * became complete. A compressed stream (a relay that gzips or brotli-encodes its events for a
 * client that accepts it, as httpx does) is decoded for the split as it passes; its bytes go
 * on to the client, and to storage, as they came. zlib decodes on libuv's thread pool, behind
 * the bytes: on a busy machine most of a stream's events are still being decoded when its last
 * byte has gone to the client, so the exchange's end waits for them (`whenSettled`).
 */
export class SseTap {
  private readonly splitter: SseSplitter;
  /** Null for an identity stream. */
  private readonly decoder: StreamDecoder | null;
  private closing: 'end' | 'abort' | null = null;
  private settled = false;
  private readonly waiting: (() => void)[] = [];
  /** Why decoding stopped before the stream's end, when it did. */
  private decodingStopped: string | null = null;

  /**
   * Why events stopped being split out before the stream's end, when they did (said on the
   * exchange): its decoder stopped, or one event grew past the splitter's bound without ending.
   * Without the note the stream's missing last event would read as the provider's cut.
   */
  get stopped(): string | null {
    if (this.decodingStopped) return this.decodingStopped;
    if (this.splitter.gaveUp)
      return serverText('en', 'stored.eventTooLong', { mb: MAX_PENDING_EVENT_BYTES / (1024 * 1024) });
    return null;
  }

  /** `encoding`: the stream's Content-Encoding, one streamDecoder takes ('' for identity). */
  constructor(recorder: ExchangeRecorder, encoding = '') {
    this.splitter = new SseSplitter((event) => recorder.sseEvent(event));
    this.decoder = encoding
      ? streamDecoder(
          encoding,
          (bytes) => this.splitter.write(bytes),
          () => {
            // A stream that broke off keeps its events, less an unterminated last one.
            if (this.closing === 'end') this.splitter.end();
            this.settle();
          },
          (why) => {
            if (this.closing !== 'abort') this.decodingStopped = why;
            this.settle();
          },
        )
      : null;
  }

  /** A tap for an event stream in an encoding it can decode; null for anything else. */
  static forResponse(headers: Header[], recorder: ExchangeRecorder): SseTap | null {
    if (!isEventStream(headers)) return null;
    const encoding = (headerValue(headers, 'content-encoding') ?? '').trim().toLowerCase();
    const coded = encoding !== '' && encoding !== 'identity';
    if (coded && !canDecodeStream(encoding)) return null;
    return new SseTap(recorder, coded ? encoding : '');
  }

  write(chunk: Buffer): void {
    if (this.closing) return;
    if (this.decoder) this.decoder.write(chunk);
    else this.splitter.write(chunk);
  }

  /** The stream ended cleanly: its unterminated last event counts. */
  end(): void {
    this.close('end');
  }

  /** The stream broke off (the upstream or the client went away): what was sent so far is still decoded. */
  abort(): void {
    this.close('abort');
  }

  private close(how: 'end' | 'abort'): void {
    if (this.closing) return;
    this.closing = how;
    if (this.decoder) return this.decoder.end();
    if (how === 'end') this.splitter.end();
    this.settle();
  }

  /**
   * Runs `then` once every event of the stream has been split: at once for an identity stream,
   * after the decoder's last output for a compressed one (within DECODER_SETTLE_MS, after which
   * the decoder is stopped and that is said). A stream not yet closed is taken as broken off.
   */
  whenSettled(then: () => void): void {
    if (!this.closing) this.abort();
    if (this.settled) return then();
    this.waiting.push(then);
    if (this.waiting.length > 1) return;
    const timer = setTimeout(() => {
      this.decoder?.destroy();
      this.decodingStopped = serverText('en', 'stored.stillDecoding', { seconds: DECODER_SETTLE_MS / 1000 });
      this.settle();
    }, DECODER_SETTLE_MS);
    timer.unref();
    this.waiting.push(() => clearTimeout(timer));
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const then of this.waiting.splice(0)) then();
  }
}
