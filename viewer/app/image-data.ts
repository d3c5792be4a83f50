// An image of a model call, found in the stored body or event that holds it and decoded here in
// the browser: the server describes images (llm/images.ts) but never sends their data twice, and
// nothing is ever inlined as HTML. The bytes become a Blob shown through an object URL.
import type { ImageLocator, JsonPath } from '../../llm/images.ts';
import { partialJsonArray } from '../../llm/json.ts';
import { fetchEvents, fetchExchange, type StreamEvents } from './api.ts';

/** The value at `path` inside parsed JSON; undefined when the path leads nowhere. */
export function valueAt(root: unknown, path: JsonPath): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** The base64 an image's string holds: itself, or what follows a data URL's `;base64,`. */
export function base64Of(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1;
  return comma >= 0 ? value.slice(comma + 1) : value;
}

/** The bytes of base64 text (standard or URL-safe alphabet, line breaks allowed); throws on other characters. */
export function bytesOf(base64: string): Uint8Array {
  const standard = base64.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  // The browser's own decoder where it has one (Chromium 140+): no byte-by-byte loop over megabytes.
  const native = (Uint8Array as { fromBase64?: (text: string) => Uint8Array }).fromBase64;
  if (native) return native.call(Uint8Array, standard);
  const binary = atob(standard);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Why an image's data could not be read (the catalogue's images.why.*). */
export type MissingImage = 'notText' | 'notJson' | 'notThere' | 'notBase64';

/** The base64 at `path` in stored JSON text, or why it is not there. */
export function base64In(jsonText: string | null, path: JsonPath): { base64: string } | { missing: MissingImage } {
  if (jsonText === null) return { missing: 'notText' };
  let root: unknown;
  try {
    root = JSON.parse(jsonText);
  } catch {
    // A JSON-array stream (Gemini without alt=sse) cut partway: its whole elements, as llm/ read them.
    root = typeof path[0] === 'number' ? partialJsonArray(jsonText) : null;
    if (!root) return { missing: 'notJson' };
  }
  const base64 = base64Of(valueAt(root, path));
  return base64 ? { base64 } : { missing: 'notThere' };
}

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
  const find = (events: StreamEvents) => (source === 'sse-event' ? events.sseEvents.find((e) => e.seq === seq)?.data : events.wsMessages.find((m) => m.seq === seq)?.text);
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
