import type { Header } from '../model/exchange.ts';
import { headerValue, isEventStream } from '../model/exchange.ts';
import { SseSplitter } from '../model/sse.ts';
import type { ExchangeRecorder } from './recorder.ts';

/**
 * Splits a response stream into SSE events as its chunks pass by, each stamped when it
 * became complete. Only identity-encoded streams are split live; a compressed stream is
 * stored as a body and decoded when read.
 */
export class SseTap {
  private readonly splitter: SseSplitter;

  constructor(recorder: ExchangeRecorder) {
    this.splitter = new SseSplitter((event) => recorder.sseEvent(event));
  }

  static forResponse(headers: Header[], recorder: ExchangeRecorder): SseTap | null {
    const encoding = (headerValue(headers, 'content-encoding') ?? '').trim().toLowerCase();
    if (!isEventStream(headers) || (encoding !== '' && encoding !== 'identity')) return null;
    return new SseTap(recorder);
  }

  write(chunk: Buffer): void {
    this.splitter.write(chunk);
  }

  /** A stream that ended cleanly (a stream cut off by the upstream never gets here): its unterminated last event counts. */
  end(): void {
    this.splitter.end();
  }
}
