// What is stored of each field of a request or response head, at most. Every source (live
// capture, HAR import, replay) goes through these before storage, so that no field of any size
// makes storing, listing or showing an exchange cost more than a bounded amount of work. Each
// bound is above what real clients and servers send, so nothing real is cut; what is cut is
// said in a note on the exchange, with the size it had.
import type { ExchangeEvent, Header, RequestHead, ResponseHead } from './exchange.ts';
import { serverText } from '../i18n/stored-text.ts';

/** A stored note's English, from the catalogue (read back in the reader's language: i18n/stored-text.ts). */
const say = (key: string, params?: Record<string, string | number>) =>
  params ? serverText('en', `stored.${key}`, params) : fieldName(key);
// A field's name is looked up for every head bounded, cut or not: once per key, not through i18next
// each time (a tenth of the storage thread's CPU per exchange: bench/side-by-side.ts --recording-cost).
const fieldNames = new Map<string, string>();
function fieldName(key: string): string {
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = serverText('en', `stored.${key}`, {});
    fieldNames.set(key, name);
  }
  return name;
}

/** The header lists of a head, and how their fields are named in notes. */
type HeaderList = 'request header' | 'response header' | 'response trailer';
const LIST_WORDS: Record<HeaderList, { list: string; value: string; name: string }> = {
  'request header': { list: 'fieldRequestHeader', value: 'requestHeaderNamed', name: 'requestHeaderNameOf' },
  'response header': { list: 'fieldResponseHeader', value: 'responseHeaderNamed', name: 'responseHeaderNameOf' },
  'response trailer': { list: 'fieldTrailer', value: 'trailerNamed', name: 'trailerNameOf' },
};

export const HEAD_LIMITS = {
  /** Bytes of a method. The longest registered method (UPDATEREDIRECTREF, WebDAV) is 17. */
  method: 64,
  /** Bytes of a path and query. Node takes 16 KB for a whole request head, nginx and Apache 8 KB per line, Cloudflare 16 KB: no server answers a longer one. */
  path: 64 * 1024,
  /** Bytes of a host name (DNS names have at most 253) and of a client address. */
  host: 1024,
  /** Bytes of a header name: nginx refuses a header line over 8 KB. */
  headerName: 8 * 1024,
  /** Bytes of a header value: a whole response head is at most 256 KB (Chrome's limit, and wirelog's: proxy/upstream.ts). */
  headerValue: 256 * 1024,
  /** Headers per head: Node's http client and server drop those past 2,000 by default; Apache takes 100. */
  headerCount: 2000,
  /** Bytes of all names and values of a head together: twice the largest head Chrome takes. */
  headBytes: 512 * 1024,
  /** Bytes of a status text, an HTTP version, a body's Content-Encoding or a HAR file name. */
  short: 1024,
  /** Bytes of an error reason (wirelog's own, or an upstream's it quotes). */
  error: 16 * 1024,
} as const;

/** Notes said per exchange at most; past them one note counts the rest. */
export const MAX_NOTES = 24;
// Header fields cut one by one that are each named in a note; the rest of a head's are counted in one.
const NAMED_CUTS = 8;

/** "20 MB", "256 KB", "64 B": sizes in notes, in binary units as the limits are. */
export function sizeText(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  for (const [unit, name] of units) if (bytes >= unit) return `${Number((bytes / unit).toFixed(1))} ${name}`;
  return `${bytes} B`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Whether the text's UTF-8 is at most `max` bytes, without encoding it when its length decides. */
function fits(text: string, max: number): boolean {
  if (text.length * 3 <= max) return true;
  if (text.length > max) return false;
  return Buffer.byteLength(text) <= max;
}

/** The longest prefix of whole characters whose UTF-8 is at most `max` bytes. */
function prefix(text: string, max: number): string {
  const head = text.slice(0, max);
  const bytes = Buffer.from(head);
  if (bytes.length <= max) return head;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** A name as a note shows it: short, on one line. */
function label(name: string): string {
  const shown = name.slice(0, 64).replace(/[\x00-\x1f\x7f]/g, '?');
  return name.length > 64 ? `${shown}…` : shown;
}

/** The text within `max` bytes; when cut, a note says what it was and how big. */
export function boundText(text: string, max: number, what: string, notes: string[]): string {
  if (fits(text, max)) return text;
  const size = Buffer.byteLength(text);
  const kept = prefix(text, max);
  notes.push(say('cut', { what, size: sizeText(size), bytes: count(size), kept: sizeText(Buffer.byteLength(kept)) }));
  return kept;
}

/**
 * The headers within the count, per-field and whole-head bounds, in order; the same array when
 * nothing is over (the common case costs one pass over lengths). `list`: "request header".
 */
export function boundHeaders(headers: Header[], list: HeaderList, notes: string[]): Header[] {
  if (headers.length <= HEAD_LIMITS.headerCount) {
    let chars = 0;
    let longestName = 0;
    for (const [name, value] of headers) {
      chars += name.length + value.length;
      if (name.length > longestName) longestName = name.length;
    }
    if (chars * 3 <= HEAD_LIMITS.headBytes && longestName * 3 <= HEAD_LIMITS.headerName) return headers;
  }
  const words = LIST_WORDS[list];
  const what = say(words.list);
  const out: Header[] = [];
  let bytes = 0;
  let cutFields = 0;
  let full = false;
  const fieldNotes: string[] = [];
  for (const [name, value] of headers) {
    if (out.length === HEAD_LIMITS.headerCount) break;
    const nameNotes: string[] = [];
    const keptName = boundText(name, HEAD_LIMITS.headerName, say(words.name, { name: label(name) }), nameNotes);
    const keptValue = boundText(value, HEAD_LIMITS.headerValue, say(words.value, { name: label(name) }), nameNotes);
    const size = Buffer.byteLength(keptName) + Buffer.byteLength(keptValue);
    if (bytes + size > HEAD_LIMITS.headBytes) {
      full = true;
      break;
    }
    bytes += size;
    cutFields += nameNotes.length;
    if (fieldNotes.length < NAMED_CUTS) fieldNotes.push(...nameNotes.slice(0, NAMED_CUTS - fieldNotes.length));
    out.push([keptName, keptValue]);
  }
  notes.push(...fieldNotes);
  if (cutFields > fieldNotes.length) {
    notes.push(
      say('cutMoreFields', {
        n: count(cutFields - fieldNotes.length),
        what,
        name: sizeText(HEAD_LIMITS.headerName),
        value: sizeText(HEAD_LIMITS.headerValue),
      }),
    );
  }
  if (out.length < headers.length) {
    const why = full
      ? say('cutHeadBytes', { size: sizeText(HEAD_LIMITS.headBytes) })
      : say('cutHeaderCount', { n: count(HEAD_LIMITS.headerCount) });
    notes.push(
      say('cutHeaders', { n: count(headers.length), what, stored: count(out.length), size: sizeText(bytes), why }),
    );
  }
  return out;
}

/** At most MAX_NOTES notes, the last one counting those left out. */
export function boundNotes(notes: string[]): string[] {
  if (notes.length <= MAX_NOTES) return notes;
  return [...notes.slice(0, MAX_NOTES - 1), say('cutMoreNotes', { n: count(notes.length - MAX_NOTES + 1) })];
}

/** The request head as stored: each field within its bound, cuts noted; the same object when nothing is over. */
export function boundRequestHead(head: RequestHead): RequestHead {
  const notes: string[] = [];
  const method = boundText(head.method, HEAD_LIMITS.method, say('fieldMethod'), notes);
  const path = boundText(head.path, HEAD_LIMITS.path, say('fieldPath'), notes);
  const host = boundText(head.host, HEAD_LIMITS.host, say('fieldHost'), notes);
  const clientAddress = boundText(head.clientAddress, HEAD_LIMITS.host, say('fieldClient'), notes);
  const httpVersion = boundText(head.httpVersion, HEAD_LIMITS.short, say('fieldRequestVersion'), notes);
  const headers = boundHeaders(head.headers, 'request header', notes);
  const imported =
    head.imported === undefined ? undefined : boundText(head.imported, HEAD_LIMITS.short, say('fieldHarName'), notes);
  const secrets =
    head.secrets && head.secrets.length > HEAD_LIMITS.headerCount
      ? head.secrets.slice(0, HEAD_LIMITS.headerCount)
      : head.secrets;
  if (notes.length === 0 && secrets === head.secrets) return head;
  // Built key by key: a spread with keys added makes a slow object, costly to send to storage.
  const out: RequestHead = {
    startedAt: head.startedAt,
    clientAddress,
    method,
    scheme: head.scheme,
    host,
    port: head.port,
    path,
    httpVersion,
    headers,
  };
  if (head.via !== undefined) out.via = head.via;
  if (head.replayOf !== undefined) out.replayOf = head.replayOf;
  if (secrets !== undefined) out.secrets = secrets;
  if (imported !== undefined) out.imported = imported;
  out.notes = boundNotes([...(head.notes ?? []), ...notes]);
  return out;
}

/** The response head as stored (see boundRequestHead). */
export function boundResponseHead(head: ResponseHead): ResponseHead {
  const notes: string[] = [];
  const statusText = boundText(head.statusText, HEAD_LIMITS.short, say('fieldStatusText'), notes);
  const httpVersion = boundText(head.httpVersion, HEAD_LIMITS.short, say('fieldResponseVersion'), notes);
  const headers = boundHeaders(head.headers, 'response header', notes);
  const trailers = head.trailers && boundHeaders(head.trailers, 'response trailer', notes);
  if (notes.length === 0) return head;
  const out: ResponseHead = { status: head.status, statusText, httpVersion, headers };
  if (trailers !== undefined) out.trailers = trailers;
  out.notes = boundNotes([...(head.notes ?? []), ...notes]);
  return out;
}

type EndEvent = Extract<ExchangeEvent, { type: 'end' }>;

/** The end as stored: its error, trailers and body encodings within their bounds (see boundRequestHead). */
export function boundEnd(event: EndEvent): EndEvent {
  const notes: string[] = [];
  const error = event.error === null ? null : boundText(event.error, HEAD_LIMITS.error, say('fieldError'), notes);
  const trailers = event.responseTrailers && boundHeaders(event.responseTrailers, 'response trailer', notes);
  const requestEncoding = boundText(event.requestBody.encoding, HEAD_LIMITS.short, say('fieldRequestEncoding'), notes);
  const responseEncoding = boundText(
    event.responseBody.encoding,
    HEAD_LIMITS.short,
    say('fieldResponseEncoding'),
    notes,
  );
  if (notes.length === 0) return event;
  const out: EndEvent = {
    type: 'end',
    uid: event.uid,
    state: event.state,
    error,
    timings: event.timings,
    requestBody: {
      size: event.requestBody.size,
      storedSize: event.requestBody.storedSize,
      truncated: event.requestBody.truncated,
      encoding: requestEncoding,
    },
    responseBody: {
      size: event.responseBody.size,
      storedSize: event.responseBody.storedSize,
      truncated: event.responseBody.truncated,
      encoding: responseEncoding,
    },
  };
  if (trailers !== undefined) out.responseTrailers = trailers;
  out.notes = boundNotes([...(event.notes ?? []), ...notes]);
  return out;
}

/** The event with every head field within its bound; the same event when nothing is over. */
export function boundEvent(event: ExchangeEvent): ExchangeEvent {
  switch (event.type) {
    case 'request': {
      const head = boundRequestHead(event.head);
      return head === event.head ? event : { type: 'request', uid: event.uid, head };
    }
    case 'response-head': {
      const head = boundResponseHead(event.head);
      return head === event.head ? event : { type: 'response-head', uid: event.uid, head, atMs: event.atMs };
    }
    case 'end':
      return boundEnd(event);
    default:
      return event;
  }
}
