// Finding an image's base64 in stored JSON text and turning it into bytes: pure, with no fetch
// and no page, so it is tested from factories (test/images.test.ts) and used by image-data.ts.
import type { JsonPath } from '../../llm/images.ts';
import { partialJsonArray } from '../../llm/json.ts';

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
