// Splits a text/event-stream into its events, wherever the bytes come from: the proxy as they
// pass, a HAR file's body, a test's fixture. One splitter, so all three agree.
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseFields {
  event: string | null;
  id: string | null;
  data: string;
}

/**
 * The most text held for one event not yet complete. The parser keeps an unfinished line and an
 * event's data until its blank line: a stream that never sends one would grow that without end.
 * Past it the stream is no longer split (its bytes still pass and are stored).
 */
export const MAX_PENDING_EVENT_BYTES = 32 * 1024 * 1024;

export class SseSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;
  /** Bytes fed since the last event or comment ended. */
  private pending = 0;
  /** An event grew past MAX_PENDING_EVENT_BYTES without ending: nothing after it is split. */
  gaveUp = false;
  /** The last text fed ended with CR (and was given an LF for it). */
  private endedWithCr = false;

  constructor(onEvent: (event: SseFields) => void) {
    this.parser = createParser({
      onEvent: (m) => {
        this.pending = 0;
        onEvent({ event: m.event ?? null, id: m.id ?? null, data: m.data });
      },
      onComment: () => {
        this.pending = 0;
      },
    });
  }

  write(chunk: Uint8Array): void {
    if (this.gaveUp) return;
    this.pending += chunk.length;
    if (this.pending > MAX_PENDING_EVENT_BYTES) {
      this.gaveUp = true;
      return;
    }
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.endedWithCr && text !== '') {
      this.endedWithCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    // A CR ends a line by itself. The parser waits for the next byte to see whether an LF
    // follows: an event ended by CR CR was held until more came, and lost when nothing did.
    // The LF is given now, and one that follows is taken as the CR's own.
    if (text.endsWith('\r')) {
      text += '\n';
      this.endedWithCr = true;
    }
    this.parser.feed(text);
  }

  /**
   * The stream ended cleanly with its last event unterminated (no blank line after it):
   * browsers drop that event, but its bytes arrived, and it is often the terminal one
   * (`data: [DONE]`), so it counts as if the blank line had come.
   */
  end(): void {
    if (!this.gaveUp) this.parser.feed(`${this.decoder.decode()}\n\n`);
  }
}

/** Every event of a whole stream body. */
export function sseEventsOf(body: Uint8Array): SseFields[] {
  const events: SseFields[] = [];
  const splitter = new SseSplitter((e) => events.push(e));
  splitter.write(body);
  splitter.end();
  return events;
}
