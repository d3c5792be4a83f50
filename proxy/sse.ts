import type { Header } from '../model/exchange.ts';
import { headerValue, isEventStream } from '../model/exchange.ts';
import { SseSplitter } from '../model/sse.ts';
import type { ExchangeRecorder } from './recorder.ts';
import { canDecodeStream, streamDecoder, type StreamDecoder } from './stream-decoder.ts';

/**
 * Splits a response stream into SSE events as its chunks pass by, each stamped when it
 * became complete. A compressed stream (a relay that gzips or brotli-encodes its events for a
 * client that accepts it, as httpx does) is decoded for the split as it passes; its bytes go
 * on to the client, and to storage, as they came.
 */
export class SseTap {
  private readonly splitter: SseSplitter;
  /** Null for an identity stream. */
  private readonly decoder: StreamDecoder | null;

  /** `encoding`: the stream's Content-Encoding, one streamDecoder takes ('' for identity). */
  constructor(recorder: ExchangeRecorder, encoding = '') {
    this.splitter = new SseSplitter((event) => recorder.sseEvent(event));
    this.decoder = encoding ? streamDecoder(encoding, (bytes) => this.splitter.write(bytes), () => this.splitter.end()) : null;
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
    if (this.decoder) this.decoder.write(chunk);
    else this.splitter.write(chunk);
  }

  /** The response broke off (the upstream or the client went away): a decoder is released at once. */
  abort(): void {
    this.decoder?.destroy();
  }

  /** A stream that ended cleanly (a stream cut off by the upstream never gets here): its unterminated last event counts. */
  end(): void {
    if (this.decoder) this.decoder.end();
    else this.splitter.end();
  }
}
