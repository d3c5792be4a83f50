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

  /**
   * A stream that ended cleanly with its last event unterminated (no blank line after it):
   * browsers drop that event, but its bytes arrived, and it is often the terminal one
   * (`data: [DONE]`), so it is recorded as if the blank line had come. A stream cut off by the
   * upstream never gets here.
   */
  end(): void {
    this.parser.feed(`${this.decoder.decode()}\n\n`);
  }
}
