// An image of a model call, found in the stored body or event that holds it and decoded here in
// the browser: the server describes images (llm/images.ts) but never sends their data twice, and
// nothing is ever inlined as HTML. The bytes become a Blob shown through an object URL.
import type { ImageLocator } from '../../llm/images.ts';
import { fetchEvents, fetchExchange, type StreamEvents } from './api-client.ts';
import { base64In, bytesOf, type MissingImage } from './image-base64.ts';

export { base64In, base64Of, bytesOf, valueAt, type MissingImage } from './image-base64.ts';

// The stored texts read for images, by exchange and place: several images of one body parse it once.
// A few only: a body can be megabytes, and the detail pane shows one exchange at a time.
const KEPT = 4;
const texts = new Map<string, Promise<string | null>>();

function storedText(locator: ImageLocator): Promise<string | null> {
  const key = `${locator.exchangeId}:${locator.source}:${locator.seq ?? ''}`;
  let text = texts.get(key);
  if (!text) {
    text = readStored(locator);
    texts.set(key, text);
    if (texts.size > KEPT) texts.delete(texts.keys().next().value!);
    // A failed read is tried again next time, not remembered.
    text.catch(() => texts.delete(key));
  }
  return text;
}

// An exchange's events from the first one holding an image on, read once for all its images (a
// Responses call's partial images and final image would otherwise each read the ones after them).
let eventsRead: { exchangeId: number; after: number; events: Promise<StreamEvents> } | null = null;

function eventsFrom(exchangeId: number, seq: number): Promise<StreamEvents> {
  if (!eventsRead || eventsRead.exchangeId !== exchangeId || eventsRead.after >= seq) {
    const events = fetchEvents(exchangeId, seq - 1);
    eventsRead = { exchangeId, after: seq - 1, events };
    events.catch(() => eventsRead?.events === events && (eventsRead = null));
  }
  return eventsRead.events;
}

async function readStored({ exchangeId, source, seq = 0 }: ImageLocator): Promise<string | null> {
  if (source === 'request-body' || source === 'response-body') {
    const detail = await fetchExchange(exchangeId);
    return (source === 'request-body' ? detail.requestBody : detail.responseBody).text;
  }
  const find = (events: StreamEvents) =>
    source === 'sse-event'
      ? events.sseEvents.find((e) => e.seq === seq)?.data
      : events.wsMessages.find((m) => m.seq === seq)?.text;
  const found = find(await eventsFrom(exchangeId, seq));
  if (found !== undefined) return found;
  // Stored after the events were read (a stream still open then): read again from it on.
  eventsRead = null;
  return find(await eventsFrom(exchangeId, seq)) ?? null;
}

/** The image's bytes, read from where it is stored; `missing` says why they could not be. */
export async function imageBytes(locator: ImageLocator): Promise<{ bytes: Uint8Array } | { missing: MissingImage }> {
  const found = base64In(await storedText(locator), locator.path);
  if ('missing' in found) return found;
  try {
    return { bytes: bytesOf(found.base64) };
  } catch {
    return { missing: 'notBase64' };
  }
}
