// Reads HAR entries (Chrome DevTools, Playwright, mitmproxy, wirelog) into the exchange events a
// capture produces, so imported calls are stored, understood and diagnosed the same way. Pure:
// an entry is checked before anything is made of it, and a bad one is named with its field.
// export/har-stream.ts reads a file entry by entry and calls these.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BodyInfo, ExchangeEvent, Header, RequestHead, ResponseHead, Timings } from '../model/exchange.ts';
import { isEventStream } from '../model/exchange.ts';
import { HEAD_LIMITS } from '../model/head-bounds.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../model/json-depth.ts';
import { maskBodyText, maskHeaders, maskPath } from '../model/secrets.ts';
import { sseEventsOf } from '../model/sse-split.ts';
import { serverText } from '../i18n/stored-text.ts';

/** An import's sentence in English, from the catalogue (said to the reader in their language: i18n/stored-text.ts). */
const say = (key: string, params: Record<string, string | number> = {}) => serverText('en', `api.${key}`, params);

export class HarImportError extends Error {}

// What one imported entry may hold. A file's size is not limited (it is read as a stream, one
// entry at a time); these bound what one entry costs to hold, check and store, and what a
// stored head costs every later reader (the list, replays, snippets). The head's are storage's
// own bounds (model/head-bounds.ts, which cuts a live capture's fields there): an imported
// entry past one is refused, naming the field, rather than stored cut.
export const MAX_METHOD_BYTES = HEAD_LIMITS.method;
/** Longest URL: storage's bound for a path and query. */
export const MAX_URL_BYTES = HEAD_LIMITS.path;
export const MAX_HOST_BYTES = HEAD_LIMITS.host;
export const MAX_HEADER_NAME_BYTES = HEAD_LIMITS.headerName;
export const MAX_HEADER_VALUE_BYTES = HEAD_LIMITS.headerValue;
/** Headers in one list (request, response or trailers). */
export const MAX_HEADERS = HEAD_LIMITS.headerCount;
/** URL plus every header name and value of one head. */
export const MAX_HEAD_BYTES = HEAD_LIMITS.headBytes;
/** Other short fields: versions, status text, the start date. */
export const MAX_SHORT_FIELD_BYTES = HEAD_LIMITS.short;
/** A body is stored up to this many bytes, as live captures are by default (--max-body-mb 50); the rest is cut, marked truncated. */
export const MAX_BODY_BYTES = 50 * 1024 * 1024;
/** A body's text (base64 takes 4 characters for 3 bytes) is read up to this many characters; past it, left unread. */
export const MAX_BODY_CHARS = Math.ceil(MAX_BODY_BYTES / 3) * 4;
/** An SSE event's data or a WebSocket message, up to this many characters. */
export const MAX_FIELD_CHARS = 16 * 1024 * 1024;
/** Any other string of an entry (URL, method, header, date): read up to this many characters, more refuses the entry. */
export const MAX_HEAD_FIELD_CHARS = 1024 * 1024;
/** All strings of one entry together (bodies counted as read): what holding one entry may cost. */
export const MAX_ENTRY_CHARS = 2 * MAX_BODY_CHARS + 64 * 1024 * 1024;
/** The longest a timing phase may be: a year, in milliseconds (their sum stays a finite number of microseconds). */
export const MAX_TIMING_MS = 366 * 24 * 3600 * 1000;
/** An SSE event's or a WebSocket message's time, in seconds since 1970: at most what a Date holds. */
const MAX_EPOCH_SECONDS = 8.64e12;
/** Objects and arrays inside one another in an entry (its own fields need 4; vendors' extras more). */
export const MAX_ENTRY_DEPTH = 64;

/** RFC 9110 token: what a method and a header name are made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 field value: no CR, LF or NUL (they would start another header wherever it is sent again). */
const FIELD_VALUE = /^[^\r\n\0]*$/;

const nameValue = z.object({
  name: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
});
const content = z
  .object({
    text: z.string().optional(),
    encoding: z.string().optional(),
    mimeType: z.string().optional(),
    size: z.number().optional(),
  })
  .passthrough();
const entrySchema = z
  .object({
    startedDateTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a date'),
    time: z.number().optional(),
    request: z
      .object({
        method: z.string().min(1),
        url: z.string().refine((u) => URL.canParse(u), 'is not an absolute URL'),
        httpVersion: z.string().optional(),
        headers: z.array(nameValue),
        postData: content
          .extend({
            params: z.array(z.object({ name: z.string(), value: z.string().optional() }).passthrough()).optional(),
          })
          .optional(),
        // HTTP Toolkit's own fields for a request body that is not UTF-8 text (see requestBodyOf).
        _content: content.optional(),
        _requestBodyStatus: z.string().optional(),
      })
      .passthrough(),
    response: z
      .object({
        status: z.number().int(),
        statusText: z.string().optional(),
        httpVersion: z.string().optional(),
        headers: z.array(nameValue),
        content: content.optional(),
        _trailers: z.array(nameValue).optional(),
      })
      .passthrough(),
    timings: z.record(z.string(), z.number().nullable().optional()).optional(),
    _sseEvents: z
      .array(
        z
          .object({
            time: z.number().optional(),
            event: z.string().optional(),
            id: z.string().optional(),
            data: z.string(),
          })
          .passthrough(),
      )
      .optional(),
    _webSocketMessages: z
      .array(
        z
          .object({ type: z.enum(['send', 'receive']), time: z.number(), opcode: z.number().int(), data: z.string() })
          .passthrough(),
      )
      .optional(),
    _resourceType: z.string().optional(),
    _error: z.string().optional(),
  })
  .passthrough();

export type HarEntry = z.infer<typeof entrySchema>;

export interface HarImportOptions {
  /** The file's name, kept with each exchange. */
  source: string;
  keepSecrets: boolean;
}

/** A body text read only in part (the reader stopped at MAX_BODY_CHARS): how long it was. */
export interface CutBody {
  side: 'request' | 'response';
  /** The text was HTTP Toolkit's request._content.text, not request.postData.text. */
  own?: true;
  /** Characters of the whole text. */
  chars: number;
  /** UTF-8 bytes of the part left unread. */
  unreadBytes: number;
}

/** An entry as read: its number in the file (from 1), its value, and which body texts were cut while reading. */
export interface ReadEntry {
  number: number;
  value: unknown;
  cut: CutBody[];
  /** Why the reader could not read it whole (too deep, too large), naming where; null when it could. */
  problem: string | null;
}

/** `entry 3 (POST https://…)`: how messages name an entry. */
export function entryName(number: number, raw: unknown): string {
  const named = entryWords(number, raw);
  return say(named.url === undefined ? 'harEntry' : 'harEntryOf', named);
}

/** `entry 3 (POST https://…): request.url is missing`: a problem of an entry, naming it. */
function entryProblem(number: number, raw: unknown, problem: string): string {
  const named = entryWords(number, raw);
  return say(named.url === undefined ? 'harEntryProblem' : 'harEntryOfProblem', { ...named, problem });
}

function entryWords(number: number, raw: unknown): { n: number; method?: string; url?: string } {
  const request = (raw as { request?: { method?: unknown; url?: unknown } } | null)?.request;
  if (typeof request?.url !== 'string') return { n: number };
  return {
    n: number,
    method: typeof request.method === 'string' ? printable(request.method, 20) : '?',
    url: printable(request.url, 120),
  };
}

/** At most `max` characters of untrusted text, control characters shown as `?`, so a message stays one line. */
function printable(text: string, max: number): string {
  const shown = text.slice(0, max).replace(/[\x00-\x1f\x7f]/g, '?');
  return text.length > max ? `${shown}…` : shown;
}

/** 20.0 MB, 64 KB, 17 bytes. */
export function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 ** 2).toFixed(1)} MB`
    : bytes >= 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${bytes} bytes`;
}

/** The limits a head (method, URL, header lists) must keep; each problem names its field. */
function headProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const entry = raw as { request?: Record<string, unknown>; response?: Record<string, unknown> } | null;
  const request = entry?.request;
  const method = request?.method;
  if (typeof method === 'string') {
    if (method.length > MAX_METHOD_BYTES)
      problems.push(say('harMethodLong', { size: sizeText(Buffer.byteLength(method)), max: MAX_METHOD_BYTES }));
    else if (method && !TOKEN.test(method))
      problems.push(say('harMethodToken', { quoted: JSON.stringify(printable(method, 40)) }));
  }
  const url = request?.url;
  let headBytes = typeof url === 'string' ? Buffer.byteLength(url) : 0;
  if (headBytes > MAX_URL_BYTES)
    problems.push(
      say('harOverImported', { field: 'request.url', size: sizeText(headBytes), max: sizeText(MAX_URL_BYTES) }),
    );
  else if (typeof url === 'string' && URL.canParse(url) && Buffer.byteLength(new URL(url).hostname) > MAX_HOST_BYTES)
    problems.push(say('harHostLong', { max: sizeText(MAX_HOST_BYTES) }));
  const lists: [string, unknown][] = [
    ['request.headers', request?.headers],
    ['response.headers', entry?.response?.headers],
    ['response._trailers', entry?.response?._trailers],
  ];
  for (const [field, list] of lists) {
    if (!Array.isArray(list)) continue;
    if (list.length > MAX_HEADERS) {
      problems.push(say('harHeaderCount', { field, n: list.length, max: MAX_HEADERS }));
      continue;
    }
    list.forEach((header: unknown, i: number) => {
      const { name, value } = (header ?? {}) as { name?: unknown; value?: unknown };
      if (typeof name === 'string') {
        // HTTP/2 pseudo-headers (:authority, from Chrome) are dropped on import; their names are tokens too.
        const bare = name.startsWith(':') ? name.slice(1) : name;
        headBytes += Buffer.byteLength(name);
        if (name.length > MAX_HEADER_NAME_BYTES)
          problems.push(
            say('harHeaderNameLong', {
              field: `${field}.${i}.name`,
              size: sizeText(Buffer.byteLength(name)),
              max: sizeText(MAX_HEADER_NAME_BYTES),
            }),
          );
        else if (!TOKEN.test(bare))
          problems.push(
            say('harHeaderNameToken', { field: `${field}.${i}.name`, quoted: JSON.stringify(printable(name, 40)) }),
          );
      }
      if (typeof value === 'string') {
        const bytes = Buffer.byteLength(value);
        headBytes += bytes;
        if (bytes > MAX_HEADER_VALUE_BYTES)
          problems.push(
            say('harHeaderValueLong', {
              field: `${field}.${i}.value`,
              size: sizeText(bytes),
              max: sizeText(MAX_HEADER_VALUE_BYTES),
            }),
          );
        else if (!FIELD_VALUE.test(value)) problems.push(say('harHeaderValueBreak', { field: `${field}.${i}.value` }));
      }
    });
  }
  if (headBytes > MAX_HEAD_BYTES)
    problems.push(say('harHeadLong', { size: sizeText(headBytes), max: sizeText(MAX_HEAD_BYTES) }));
  const short: [string, unknown][] = [
    ['startedDateTime', (entry as Record<string, unknown> | null)?.startedDateTime],
    ['request.httpVersion', request?.httpVersion],
    ['response.httpVersion', entry?.response?.httpVersion],
    ['response.statusText', entry?.response?.statusText],
  ];
  for (const [field, value] of short) {
    if (typeof value !== 'string') continue;
    if (value.length > MAX_SHORT_FIELD_BYTES)
      problems.push(
        say('harOverImported', {
          field,
          size: sizeText(Buffer.byteLength(value)),
          max: sizeText(MAX_SHORT_FIELD_BYTES),
        }),
      );
    else if (!FIELD_VALUE.test(value)) problems.push(say('harFieldBreak', { field }));
  }
  return problems;
}

/**
 * Figures the exchange is made of: a status of three digits (RFC 9110 15), timings and event
 * times a stored row can hold. JSON reads 1e400 as Infinity, and 1e308 milliseconds overflow once
 * counted in microseconds: stored, such a row read back as damaged (not replayable, not copyable).
 */
function figureProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const entry = raw as {
    response?: { status?: unknown };
    timings?: unknown;
    _sseEvents?: unknown;
    _webSocketMessages?: unknown;
  } | null;
  const status = entry?.response?.status;
  if (typeof status === 'number' && Number.isInteger(status) && status > 0 && (status < 100 || status > 999))
    problems.push(say('harStatus', { value: String(status) }));
  const timings = entry?.timings;
  if (timings !== null && typeof timings === 'object')
    for (const [name, value] of Object.entries(timings))
      if (typeof value === 'number' && !(Number.isFinite(value) && value <= MAX_TIMING_MS))
        problems.push(say('harTiming', { field: `timings.${name}`, value: String(value) }));
  for (const list of ['_sseEvents', '_webSocketMessages'] as const) {
    const items = entry?.[list];
    if (!Array.isArray(items)) continue;
    for (let i = 0; i < items.length && problems.length < 3; i++) {
      const time = (items[i] as { time?: unknown } | null)?.time;
      if (typeof time === 'number' && !(Math.abs(time) <= MAX_EPOCH_SECONDS))
        problems.push(say('harEventTime', { field: `${list}.${i}.time`, value: String(time) }));
    }
  }
  return problems;
}

/** URL schemes of the exchanges wirelog stores. */
const STORED_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/**
 * The scheme of a checked entry that is not an HTTP or WebSocket exchange (`data:`, `blob:`,
 * `chrome-extension:`, `file:`, which browsers list beside their requests), or null. Such an
 * entry is skipped, and the import says how many and which: stored, it became `http://` with no
 * host (`data:image/png;…` as http://image/png;…).
 */
export function unstoredScheme(entry: HarEntry): string | null {
  const { protocol } = new URL(entry.request.url);
  return STORED_SCHEMES.has(protocol) ? null : printable(protocol.slice(0, -1), 40);
}

/** The note of an import that skipped such entries. */
export function skippedNote(n: number, schemes: Iterable<string>): string {
  return say('harSkippedScheme', { n, schemes: [...schemes].slice(0, 5).join(', ') });
}

/** An entry checked: the entry when it can be imported, else every problem, each naming the entry and its field. */
export function checkEntry(read: ReadEntry): { entry: HarEntry | null; problems: string[] } {
  const problem = (text: string) => entryProblem(read.number, read.value, text);
  if (read.problem) return { entry: null, problems: [problem(read.problem)] };
  // The limits first: a 100,000-header entry is refused without a schema object per header.
  const limits = [...headProblems(read.value), ...figureProblems(read.value)];
  if (limits.length) return { entry: null, problems: limits.slice(0, 3).map(problem) };
  const parsed = entrySchema.safeParse(read.value);
  if (parsed.success) return { entry: parsed.data, problems: [] };
  // zod's own words for other issues stay as zod says them.
  const field = (issue: z.ZodIssue) => issue.path.join('.') || 'entry';
  return {
    entry: null,
    problems: parsed.error.issues
      .slice(0, 3)
      .map((issue) =>
        problem(
          issue.message === 'Required'
            ? say('harMissing', { field: field(issue) })
            : `${field(issue)} ${issue.message}`,
        ),
      ),
  };
}

/**
 * An entry the first reading of the same, unchanged file checked, as checkEntry would give it
 * (header values as text) without checking it again: the schema is the costliest part of a
 * reading (about 40 µs an entry).
 */
export function checkedBefore(read: ReadEntry): HarEntry {
  const entry = read.value as HarEntry;
  for (const list of [entry.request.headers, entry.response.headers, entry.response._trailers ?? []])
    for (const header of list) header.value = String(header.value);
  return entry;
}

/**
 * Where an entry's request body is, and what of it the HAR does not hold. HTTP Toolkit
 * (httptoolkit-ui, src/model/http/har.ts, generateHarRequest) writes a body that is not UTF-8
 * as `request._content: { text, size, encoding: 'base64' }` with `_requestBodyStatus:
 * 'discarded:not-representable'` and no postData, and marks a body it left out
 * `discarded:too-large` or `discarded:not-decodable`; its own import reads `_content` first.
 * A body given only as form `params` (no text) is not rebuilt: its bytes are not in the file.
 */
function requestBodyOf(request: HarEntry['request']): {
  text?: string;
  encoding?: string;
  own?: true;
  dropped: string | null;
} {
  const own = request._content;
  if (own?.text !== undefined) {
    if (own.encoding === undefined || own.encoding === 'base64')
      return { text: own.text, encoding: own.encoding, own: true, dropped: null };
    return {
      dropped: say('harRequestEncoding', { field: 'request._content.encoding', encoding: printable(own.encoding, 40) }),
    };
  }
  const post = request.postData;
  if (post?.text !== undefined) return { text: post.text, encoding: post.encoding, dropped: null };
  if (post?.params?.length) return { dropped: say('harRequestParamsOnly', { n: post.params.length }) };
  const status = request._requestBodyStatus;
  if (status?.startsWith('discarded'))
    return { dropped: say('harRequestDiscarded', { status: printable(status, 40) }) };
  return { dropped: null };
}

function bytesOf(text: string | undefined, encoding: string | undefined): Buffer {
  return Buffer.from(text ?? '', encoding === 'base64' ? 'base64' : 'utf8');
}

function headersOf(list: { name: string; value: string }[]): Header[] {
  // HTTP/2 captures (Chrome) carry pseudo-headers; the stored head has Host instead.
  return list.filter((h) => !h.name.startsWith(':')).map((h) => [h.name, h.value]);
}

/** HAR timings (each phase, -1 when it did not happen) as offsets from the start. */
function timingsOf(entry: HarEntry): Timings {
  const t = entry.timings ?? {};
  const phase = (name: string) => Math.max(0, t[name] ?? 0);
  const ssl = phase('ssl');
  const connectedAt = phase('blocked') + phase('dns') + phase('connect');
  const sent = connectedAt + phase('send');
  const headers = sent + phase('wait');
  // Microseconds, as wirelog measures them, so a round trip gives back the same figures.
  const micro = (ms: number) => Math.round(ms * 1000) / 1000;
  const timings: Timings = {
    requestSent: micro(sent),
    responseHeaders: micro(headers),
    firstByte: micro(headers),
    end: micro(headers + phase('receive')),
  };
  if ((t.connect ?? -1) > 0) {
    timings.connected = micro(connectedAt - ssl);
    if (ssl > 0) timings.secured = micro(connectedAt);
  }
  return timings;
}

/** A body's bytes as stored (cut at MAX_BODY_BYTES), and what it was. */
function storedBody(
  text: string | undefined,
  encoding: string | undefined,
  cut: CutBody | undefined,
): { bytes: Buffer; info: BodyInfo } {
  const whole = bytesOf(text, encoding);
  // What the reader left unread counts in the size: base64 by the bytes its characters stand for.
  const unread = !cut
    ? 0
    : encoding === 'base64'
      ? Math.floor(((cut.chars - (text?.length ?? 0)) * 3) / 4)
      : cut.unreadBytes;
  const bytes = whole.length > MAX_BODY_BYTES ? whole.subarray(0, MAX_BODY_BYTES) : whole;
  const size = whole.length + unread;
  return { bytes, info: { size, storedSize: bytes.length, truncated: bytes.length < size, encoding: '' } };
}

/** A form body (`refresh_token=…&client_secret=…`), masked as a query is, as live captures' are. */
const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\b/i;

/** JSON (or a form) masked when asked; a body that was cut is not whole and is stored as it is, as live captures' large bodies are. */
function masked(body: Buffer, mask: boolean, truncated: boolean, form = false): Buffer {
  if (!mask || truncated || body.length === 0) return body;
  const text = maskBodyText(body.toString('utf8'), form);
  return text === null ? body : Buffer.from(text);
}

/** String.prototype.isWellFormed (Node 20 has it; the TypeScript lib this tree builds with does not name it). */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * A body's bytes as stored, masked when asked, with its text when it is at hand: the HAR's own
 * text, masked, without decoding the bytes made from it again (each decode and encode of every
 * body was a tenth of the import thread's garbage). A text that is not well-formed UTF-16 (a
 * lone surrogate, which its bytes hold as U+FFFD) and base64 bodies take the bytes' way.
 */
function maskedBody(
  stored: { bytes: Buffer; info: BodyInfo },
  text: string | undefined,
  encoding: string | undefined,
  mask: boolean,
  form = false,
): { body: Buffer; text: string | null } {
  const whole = text !== undefined && encoding !== 'base64' && !stored.info.truncated && isWellFormed(text);
  if (!whole) return { body: masked(stored.bytes, mask, stored.info.truncated, form), text: null };
  if (!mask || text.length === 0) return { body: stored.bytes, text };
  const maskedText = maskBodyText(text, form);
  return maskedText === null ? { body: stored.bytes, text } : { body: Buffer.from(maskedText), text: maskedText };
}

/** What an import says about an entry besides storing it: a cut body, JSON too deep to read as JSON. */
function notesOf(
  name: () => string,
  side: 'request' | 'response',
  body: Buffer,
  info: BodyInfo,
  /** The body's text when it is at hand (the same as its bytes decoded). */
  text: string | null = null,
): string[] {
  const notes: string[] = [];
  if (info.truncated)
    notes.push(
      say(side === 'request' ? 'harRequestBodyCut' : 'harResponseBodyCut', {
        name: name(),
        size: sizeText(info.size),
        stored: sizeText(info.storedSize),
      }),
    );
  else if (
    body.length > MAX_JSON_DEPTH &&
    (body[0] === 0x7b || body[0] === 0x5b) &&
    nestedDeeperThan(text ?? body.toString('utf8'))
  ) {
    notes.push(say(side === 'request' ? 'harRequestDeep' : 'harResponseDeep', { name: name(), depth: MAX_JSON_DEPTH }));
  }
  return notes;
}

/** The events of one checked entry, and the notes to report about it. */
export function entryEvents(
  entry: HarEntry,
  options: HarImportOptions,
  read: Pick<ReadEntry, 'number' | 'cut'> = { number: 0, cut: [] },
): { events: ExchangeEvent[]; notes: string[] } {
  const uid = randomUUID();
  // Said only in a note (rendered through the catalogue: a tenth of an import's time when made for every entry).
  const name = () => entryName(read.number, entry);
  const url = new URL(entry.request.url);
  const startedAt = Date.parse(entry.startedDateTime);
  const websocket =
    entry._resourceType === 'websocket' ||
    entry._webSocketMessages !== undefined ||
    url.protocol === 'ws:' ||
    url.protocol === 'wss:';
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const scheme: RequestHead['scheme'] = websocket ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
  const mask = !options.keepSecrets;
  const rawHeaders = headersOf(entry.request.headers);
  const requestHeaders = rawHeaders.some(([n]) => n.toLowerCase() === 'host')
    ? rawHeaders
    : [['Host', url.host] as Header, ...rawHeaders];
  const path = `${url.pathname}${url.search}`;
  const source = requestBodyOf(entry.request);
  const dropped = source.dropped && say('harRequestBodyDropped', { name: name(), why: source.dropped });
  const head: RequestHead = {
    startedAt,
    clientAddress: '',
    method: entry.request.method.toUpperCase(),
    scheme,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port) || (secure ? 443 : 80),
    path: mask ? maskPath(path) : path,
    httpVersion: (entry.request.httpVersion ?? '').replace(/^HTTP\//i, '') || '1.1',
    headers: mask ? maskHeaders(requestHeaders) : requestHeaders,
    imported: options.source,
    // Kept on the exchange too, so its empty request body is not read as a request without one.
    ...(dropped ? { notes: [dropped] } : {}),
  };
  const timings = timingsOf(entry);
  const events: ExchangeEvent[] = [{ type: 'request', uid, head }];
  const request = storedBody(
    source.text,
    source.encoding,
    read.cut.find((c) => c.side === 'request' && c.own === source.own),
  );
  const requestType = requestHeaders.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  const { body: requestBody, text: requestText } = maskedBody(
    request,
    source.text,
    source.encoding,
    mask,
    FORM_TYPE.test(requestType),
  );
  const notes = notesOf(name, 'request', requestBody, request.info, requestText);
  if (dropped) notes.push(dropped);
  if (requestBody.length) events.push({ type: 'body-chunk', uid, side: 'request', chunk: requestBody, atMs: 0 });
  events.push({ type: 'request-sent', uid, atMs: timings.requestSent ?? 0 });

  // status 0 (Chrome) or -1 (Playwright): the request got no response.
  const answered = entry.response.status > 0;
  let responseInfo: BodyInfo = { size: 0, storedSize: 0, truncated: false, encoding: '' };
  if (answered) {
    const responseHeaders = headersOf(entry.response.headers);
    const response: ResponseHead = {
      status: entry.response.status,
      statusText: entry.response.statusText ?? '',
      httpVersion: (entry.response.httpVersion ?? '').replace(/^HTTP\//i, '') || '1.1',
      headers: mask ? maskHeaders(responseHeaders) : responseHeaders,
    };
    events.push({ type: 'response-head', uid, head: response, atMs: timings.responseHeaders ?? 0 });
    const stored = storedBody(
      entry.response.content?.text,
      entry.response.content?.encoding,
      read.cut.find((c) => c.side === 'response'),
    );
    const responseType = response.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
    const isForm = FORM_TYPE.test(responseType);
    const { body, text } = maskedBody(
      stored,
      entry.response.content?.text,
      entry.response.content?.encoding,
      mask && (isForm || /\bjson\b/i.test(responseType)),
      isForm,
    );
    responseInfo = {
      ...stored.info,
      storedSize: body.length,
      size: stored.info.size - stored.bytes.length + body.length,
    };
    notes.push(...notesOf(name, 'response', body, responseInfo, text));
    if (body.length)
      events.push({ type: 'body-chunk', uid, side: 'response', chunk: body, atMs: timings.firstByte ?? 0 });
    const sse = entry._sseEvents
      ? entry._sseEvents.map((e) => ({
          event: e.event && e.event !== 'message' ? e.event : null,
          id: e.id || null,
          data: e.data,
          at: e.time,
        }))
      : isEventStream(responseHeaders)
        ? sseEventsOf(body).map((e) => ({ ...e, at: undefined }))
        : [];
    sse.forEach((e, seq) =>
      events.push({
        type: 'sse-event',
        uid,
        event: {
          seq,
          offsetMs: e.at !== undefined ? Math.max(0, e.at * 1000 - startedAt) : (timings.firstByte ?? 0),
          event: e.event,
          id: e.id,
          data: e.data,
        },
      }),
    );
    (entry._webSocketMessages ?? []).forEach((m, seq) => {
      const payload = m.opcode === 1 ? masked(Buffer.from(m.data, 'utf8'), mask, false) : Buffer.from(m.data, 'base64');
      events.push({
        type: 'ws-message',
        uid,
        message: {
          seq,
          offsetMs: Math.max(0, m.time * 1000 - startedAt),
          direction: m.type,
          opcode: m.opcode,
          payload,
        },
      });
    });
  }
  const error = answered
    ? null
    : (entry._error ?? (entry.response as { _failureText?: string })._failureText ?? 'no response in the HAR');
  const requestInfo = {
    ...request.info,
    storedSize: requestBody.length,
    size: request.info.size - request.bytes.length + requestBody.length,
  };
  const end: Extract<ExchangeEvent, { type: 'end' }> = {
    type: 'end',
    uid,
    state: answered ? 'complete' : 'upstream_error',
    error,
    timings,
    requestBody: requestInfo,
    responseBody: responseInfo,
  };
  const trailers = answered && entry.response._trailers ? headersOf(entry.response._trailers) : [];
  if (trailers.length) end.responseTrailers = mask ? maskHeaders(trailers) : trailers;
  events.push(end);
  return { events, notes };
}

/** The sentence for a file that cannot be imported: each problem (at most 10) on its own line. */
export function refusal(source: string, problems: string[], total = problems.length): string {
  const listed = problems.slice(0, 10);
  if (total > 10) listed.push(say('harMoreProblems', { n: total - 10 }));
  return say('refusedEntries', { source, problems: listed.join('\n  ') });
}

/**
 * The events of every entry of a HAR document held in memory (tests, small documents), oldest
 * first; throws HarImportError naming each bad entry, before making any. Files go through
 * export/har-stream.ts, which never holds more than a few entries.
 */
export function harToEvents(text: string, options: HarImportOptions): { events: ExchangeEvent[]; entries: number } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new HarImportError(say('notJsonHar', { source: options.source, error: (err as Error).message }));
  }
  const log = (document as { log?: { entries?: unknown } } | null)?.log;
  if (!log || typeof log !== 'object' || !Array.isArray(log.entries)) throw new HarImportError(notHar(options.source));
  const checked = (log.entries as unknown[]).map((value, i) =>
    checkEntry({ number: i + 1, value, cut: [], problem: null }),
  );
  const problems = checked.flatMap((c) => c.problems);
  if (problems.length) throw new HarImportError(refusal(options.source, problems));
  const sorted = checked
    .map((c, i) => ({ entry: c.entry!, number: i + 1 }))
    .filter(({ entry }) => unstoredScheme(entry) === null)
    .sort((a, b) => Date.parse(a.entry.startedDateTime) - Date.parse(b.entry.startedDateTime));
  return {
    events: sorted.flatMap(({ entry, number }) => entryEvents(entry, options, { number, cut: [] }).events),
    entries: sorted.length,
  };
}

/** The refusal of a JSON file that is not a HAR document. */
export const notHar = (source: string): string => say('notHar', { source });
