import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Header } from '../model/exchange.ts';
import { headerValue, isEventStream } from '../model/exchange.ts';
import type { ExchangeRecorder } from './recorder.ts';

/**
 * Splits a response stream into SSE events as its chunks pass by, each stamped when it
 * became complete. Only identity-encoded streams are split live; a compressed stream is
 * stored as a body and decoded when read.
 */
export class SseTap {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;

  constructor(recorder: ExchangeRecorder) {
    this.parser = createParser({
      onEvent: (message) => recorder.sseEvent({ event: message.event ?? null, id: message.id ?? null, data: message.data }),
    });
  }

  static forResponse(headers: Header[], recorder: ExchangeRecorder): SseTap | null {
    const encoding = (headerValue(headers, 'content-encoding') ?? '').trim().toLowerCase();
    if (!isEventStream(headers) || (encoding !== '' && encoding !== 'identity')) return null;
    return new SseTap(recorder);
  }

  write(chunk: Buffer): void {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** As in browsers, an event the stream ended without its blank line is dropped; the stored body still has it. */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.parser.feed(rest);
  }
}
