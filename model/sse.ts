// Splits a text/event-stream into its events, wherever the bytes come from: the proxy as they
// pass, a HAR file's body, a test's fixture. One splitter, so all three agree.
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseFields {
  event: string | null;
  id: string | null;
  data: string;
}

export class SseSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;

  constructor(onEvent: (event: SseFields) => void) {
    this.parser = createParser({ onEvent: (m) => onEvent({ event: m.event ?? null, id: m.id ?? null, data: m.data }) });
  }

  write(chunk: Uint8Array): void {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /**
   * The stream ended cleanly with its last event unterminated (no blank line after it):
   * browsers drop that event, but its bytes arrived, and it is often the terminal one
   * (`data: [DONE]`), so it counts as if the blank line had come.
   */
  end(): void {
    this.parser.feed(`${this.decoder.decode()}\n\n`);
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
