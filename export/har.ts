// Converts stored exchanges to HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/),
// with SSE events and WebSocket messages as custom fields in Chrome DevTools' shape.
import { randomBytes } from 'node:crypto';
import { bodyView, bodyViewOf, type BodyView } from '../db/body-view.ts';
import { decodeBody, isTextBody } from '../db/decode.ts';
import type { PageStreams, SseEventBytes } from '../db/page-reads.ts';
import type { ExchangeFilter, ExchangeReader, PartCache } from '../db/reader.ts';
import type { BodyInfo, BodySide, Exchange, Header, SseEvent, WsMessage } from '../model/exchange.ts';
import { exchangeUrl, headerValue } from '../model/exchange.ts';
import { serverText } from '../i18n/stored-text.ts';
import { HarOutput, type MarkedBody } from './har-output.ts';

const PAGE_SIZE = 50;

interface HarNameValue {
  name: string;
  value: string;
}

interface HarCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
}

function harHeaders(headers: Header[]): HarNameValue[] {
  return headers.map(([name, value]) => ({ name, value }));
}

function queryString(path: string): HarNameValue[] {
  const q = path.indexOf('?');
  if (q < 0) return [];
  return path
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      const decode = (s: string) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          return s;
        }
      };
      return eq < 0
        ? { name: decode(part), value: '' }
        : { name: decode(part.slice(0, eq)), value: decode(part.slice(eq + 1)) };
    });
}

function httpVersion(version: string): string {
  return version ? `HTTP/${version}` : 'HTTP/1.1';
}

function epochSeconds(startedAt: number, offsetMs: number): number {
  return Math.round(startedAt + offsetMs) / 1000;
}

function wirelogNote(view: BodyView): string | undefined {
  const notes: string[] = [];
  if (view.truncated) notes.push(`truncated: ${view.storedSize} of ${view.size} bytes stored`);
  if (view.decodeError) notes.push(view.decodeError);
  return notes.length ? notes.join('; ') : undefined;
}

/** Everything one HAR entry is made of: an exchange with its bodies decoded and its stream. A pure input. */
export interface HarSource {
  exchange: Exchange;
  requestBody: BodyView;
  responseBody: BodyView;
  sseEvents: SseEvent[];
  wsMessages: WsMessage[];
}

export function harSource(reader: ExchangeReader, exchange: Exchange): HarSource {
  return {
    exchange,
    requestBody: bodyView(reader, exchange, 'request'),
    responseBody: bodyView(reader, exchange, 'response'),
    sseEvents: exchange.streamKind === 'sse' ? reader.sseEvents(exchange.id) : [],
    wsMessages: exchange.streamKind === 'websocket' ? reader.wsMessages(exchange.id) : [],
  };
}

/** A form's body is read as text: its `params` are made from it (postData). */
const FORM = /^application\/x-www-form-urlencoded\b/i;

/**
 * As harSource, with each body's text or base64 a marker that `bodies` gets the bytes of
 * (HarOutput writes them where the marker stands), not a string made of them. The same
 * fields as bodyViewOf's otherwise.
 */
function markedSource(
  exchange: Exchange,
  streams: PageStreams,
  marker: (side: BodySide) => string,
  bodies: MarkedBody[],
): HarSource {
  const view = (side: BodySide): BodyView => {
    const info = side === 'request' ? exchange.requestBody : exchange.responseBody;
    const headers = side === 'request' ? exchange.request.headers : (exchange.response?.headers ?? []);
    const raw = streams[side];
    const mimeType = headerValue(headers, 'content-type') ?? '';
    if (FORM.test(mimeType)) return bodyViewOf(raw, info, headers);
    return markedView(raw, info, mimeType, marker(side), bodies);
  };
  return {
    exchange,
    requestBody: view('request'),
    responseBody: view('response'),
    sseEvents: streams.sseEvents,
    wsMessages: streams.wsMessages,
  };
}

/** A page's bodies, events and messages, read together (db/page-reads.ts); damaged rows are not read. */
function pageStreams(reader: ExchangeReader, rows: Exchange[], parts: PartCache): Map<number, PageStreams> {
  const readable = rows.filter((exchange) => !exchange.damaged);
  const kind = (k: Exchange['streamKind']) => new Set(readable.filter((e) => e.streamKind === k).map((e) => e.id));
  return reader.pageStreams(
    readable.map((exchange) => exchange.id),
    { sse: kind('sse'), websocket: kind('websocket'), sseAsBytes: true },
    parts,
  );
}

function markedView(raw: Buffer, info: BodyInfo, mimeType: string, marker: string, bodies: MarkedBody[]): BodyView {
  const decoded = decodeBody(raw, info.encoding);
  const text = isTextBody(mimeType, decoded.data);
  const stands = decoded.data.length ? marker : '';
  if (stands) bodies.push({ marker, bytes: decoded.data, base64: !text });
  return {
    mimeType,
    encoding: info.encoding,
    size: info.size,
    storedSize: info.storedSize,
    truncated: info.truncated,
    decodeError: decoded.error,
    text: text ? stands : null,
    base64: text ? null : stands,
    decodedSize: decoded.data.length,
  };
}

// Parts of split bodies kept decompressed while an export runs, the least recently used dropped
// first: a session's working set (its instructions, tools and history: a few hundred parts), not
// the store's. A part costs its bytes and some 300 more (its hash, two Buffers, the map's entry).
const PART_CACHE_PARTS = 4096;
const PART_CACHE_BYTES = 16 * 1024 * 1024;
const PART_OVERHEAD_BYTES = 300;
const KEPT_AFTER_DROP = 15 / 16;

/** The parts a session's turns share (its instructions, tools, history), each decompressed once, not once a turn. */
export class RecentParts implements PartCache {
  private readonly parts = new Map<number, { hash: Buffer; bytes: Buffer }>();
  private bytes = 0;

  get(id: number): { hash: Buffer; bytes: Buffer } | undefined {
    const part = this.parts.get(id);
    if (part) {
      // Most recently used last: Map keeps insertion order.
      this.parts.delete(id);
      this.parts.set(id, part);
    }
    return part;
  }

  set(id: number, found: { hash: Buffer; bytes: Buffer }): void {
    // A part decompressed is a view of zlib's larger output buffer: kept, it would hold all of it.
    const part =
      found.bytes.length < found.bytes.buffer.byteLength
        ? { hash: found.hash, bytes: Buffer.from(found.bytes) }
        : found;
    const old = this.parts.get(id);
    if (old) this.bytes -= old.bytes.length + PART_OVERHEAD_BYTES;
    this.parts.delete(id);
    this.parts.set(id, part);
    this.bytes += part.bytes.length + PART_OVERHEAD_BYTES;
    if (this.bytes <= PART_CACHE_BYTES && this.parts.size <= PART_CACHE_PARTS) return;
    // Over a bound: the oldest dropped down to 15/16 of both at once. A Map walked from its start
    // passes the places of the entries deleted since it last grew: dropping one entry a time, each
    // part stored walked thousands of them (3% of an export's CPU).
    for (const [oldest, kept] of this.parts) {
      if (this.bytes <= PART_CACHE_BYTES * KEPT_AFTER_DROP && this.parts.size <= PART_CACHE_PARTS * KEPT_AFTER_DROP)
        break;
      this.parts.delete(oldest);
      this.bytes -= kept.bytes.length + PART_OVERHEAD_BYTES;
    }
  }
}

const DAY_MS = 24 * 3600 * 1000;
// The last day asked for and its page: an export asks twice an entry, for days in order.
let lastDay = Number.NaN;
let lastPage = '';

/** The page an entry belongs to: one per day of capture (pagexray and others need pages). */
export function pageId(startedAt: number): string {
  // Whole milliseconds, as a Date holds them (toward zero), then whole days (down, as UTC dates turn).
  const day = Math.floor(Math.trunc(startedAt) / DAY_MS);
  if (day === lastDay) return lastPage;
  // A time no Date holds throws here, as it did before the day was kept.
  const page = `wirelog_${new Date(startedAt).toISOString().slice(0, 10)}`;
  lastDay = day;
  lastPage = page;
  return page;
}

/** `a=1; b=2` as HAR cookies. */
function requestCookies(headers: Header[]): HarCookie[] {
  return headers
    .filter(([n]) => n.toLowerCase() === 'cookie')
    .flatMap(([, v]) => v.split(';'))
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? { name: pair, value: '' } : { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
    });
}

const EARLIEST_ISO_YEAR_MS = Date.parse('0000-01-01T00:00:00Z');
const LATEST_ISO_YEAR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Each Set-Cookie header as a HAR cookie with its attributes. */
function responseCookies(headers: Header[]): HarCookie[] {
  return headers
    .filter(([n]) => n.toLowerCase() === 'set-cookie')
    .map(([, v]) => {
      const [pair, ...attributes] = v.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      const cookie: HarCookie =
        eq < 0 ? { name: pair, value: '' } : { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const value = rest.join('=');
        switch (key.toLowerCase()) {
          case 'path':
            cookie.path = value;
            break;
          case 'domain':
            cookie.domain = value;
            break;
          case 'expires': {
            // Only a date HAR readers take (ISO 8601, years 0000-9999); anything else stays in the header.
            const when = Date.parse(value);
            if (when >= EARLIEST_ISO_YEAR_MS && when <= LATEST_ISO_YEAR_MS)
              cookie.expires = new Date(when).toISOString();
            break;
          }
          case 'httponly':
            cookie.httpOnly = true;
            break;
          case 'secure':
            cookie.secure = true;
            break;
          case 'samesite':
            cookie.sameSite = value;
            break;
        }
      }
      return cookie;
    });
}

/**
 * The request body as readers replay it: text when it is text (with `params` for a form, as
 * httpsnippet and har-to-k6 send those); otherwise base64 with `encoding: "base64"`, the
 * field HAR gives response content, which Playwright's routeFromHAR also reads on postData.
 */
function postData(view: BodyView, size: number): Record<string, unknown> | undefined {
  if (size === 0) return undefined;
  const data: Record<string, unknown> = { mimeType: view.mimeType, text: view.text ?? view.base64 ?? '' };
  if (view.text === null && view.base64 !== null) data.encoding = 'base64';
  if (/^application\/x-www-form-urlencoded\b/i.test(view.mimeType) && view.text !== null) {
    data.params = [...new URLSearchParams(view.text)].map(([name, value]) => ({ name, value }));
  }
  const comment = wirelogNote(view);
  if (comment) data.comment = comment;
  return data;
}

/** Where a redirect points, absolute, as browsers write it. */
function redirectUrl(headers: Header[], status: number, base: string): string {
  const location = headers.find(([n]) => n.toLowerCase() === 'location')?.[1];
  if (!location || status < 300 || status >= 400) return '';
  try {
    return new URL(location, base).toString();
  } catch {
    return location;
  }
}

function micro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** One HAR entry: a pure function of its source, so it is tested from factories, without sockets or a database. */
export function harEntry(source: HarSource): Record<string, unknown> {
  const { exchange, requestBody, responseBody } = source;
  const req = exchange.request;
  const t = exchange.timings;
  const url = exchangeUrl(req);
  // HAR counts the TLS handshake inside connect, and send from when the connection was ready.
  const connect = t.secured ?? t.connected;
  const ready = connect ?? 0;
  // Microseconds, as they were measured: differences of floats would print 0.31500000000000017.
  const send = micro(Math.max(0, (t.requestSent ?? ready) - ready));
  const wait = t.responseHeaders !== undefined ? micro(Math.max(0, t.responseHeaders - (t.requestSent ?? ready))) : 0;
  const receive =
    t.end !== undefined && t.responseHeaders !== undefined ? micro(Math.max(0, t.end - t.responseHeaders)) : 0;

  const request: Record<string, unknown> = {
    method: req.method || 'GET',
    url,
    httpVersion: httpVersion(req.httpVersion),
    cookies: requestCookies(req.headers),
    headers: harHeaders(req.headers),
    queryString: queryString(req.path),
    headersSize: -1,
    bodySize: exchange.requestBody.size,
  };
  const body = postData(requestBody, exchange.requestBody.size);
  if (body) request.postData = body;

  const res = exchange.response;
  const content: Record<string, unknown> = {
    size: responseBody.decodedSize,
    mimeType: responseBody.mimeType || (res ? '' : 'x-unknown'),
    text: responseBody.text ?? responseBody.base64 ?? '',
  };
  if (responseBody.base64 !== null) content.encoding = 'base64';
  if (responseBody.encoding && !responseBody.decodeError)
    content.compression = Math.max(0, responseBody.decodedSize - responseBody.storedSize);
  const contentNote = wirelogNote(responseBody);
  if (contentNote) content.comment = contentNote;

  // No response at all (refused, reset, timed out): status -1, which Playwright's routeFromHAR
  // replays as a request that never completes (not as an empty 200), with the error as Chrome
  // (`_error`) and Playwright (`_failureText`) name it.
  const response: Record<string, unknown> = res
    ? {
        status: res.status,
        statusText: res.statusText,
        httpVersion: httpVersion(res.httpVersion),
        cookies: responseCookies(res.headers),
        headers: harHeaders(res.headers),
        content,
        redirectURL: redirectUrl(res.headers, res.status, url),
        headersSize: -1,
        bodySize: exchange.responseBody.size,
      }
    : {
        status: -1,
        statusText: '',
        httpVersion: '',
        cookies: [],
        headers: [],
        content,
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
        _error: exchange.error ?? exchange.state,
        _failureText: exchange.error ?? exchange.state,
      };
  // HAR has no place for trailer fields: a custom one, as the headers are written.
  if (res?.trailers) response._trailers = harHeaders(res.trailers);

  const entry: Record<string, unknown> = {
    pageref: pageId(req.startedAt),
    startedDateTime: new Date(req.startedAt).toISOString(),
    time: micro((connect ?? 0) + send + wait + receive),
    request,
    response,
    cache: {},
    timings: {
      blocked: -1,
      dns: -1,
      connect: connect ?? -1,
      ssl: t.secured !== undefined && t.connected !== undefined ? micro(t.secured - t.connected) : -1,
      send,
      wait,
      receive,
    },
    _wirelog: {
      id: exchange.id,
      state: exchange.state,
      error: exchange.error,
      clientAddress: req.clientAddress,
      via: req.via ?? 'proxy',
      ...(req.replayOf !== undefined ? { replayOf: req.replayOf } : {}),
      ...(t.retried !== undefined ? { retried: t.retried } : {}),
      ...(req.imported !== undefined ? { imported: req.imported } : {}),
      ...(exchange.call?.threadKey ? { session: exchange.call.threadKey } : {}),
    },
  };
  if (exchange.error) entry.comment = `${exchange.state}: ${exchange.error}`;
  // What was cut to store it (a field past its bound): readers that know no `_wirelogNotes` still show the comment.
  if (exchange.notes?.length) {
    entry._wirelogNotes = exchange.notes;
    entry.comment = [entry.comment, `cut to store: ${exchange.notes.join('; ')}`].filter(Boolean).join('; ');
  }
  if (exchange.streamKind === 'sse') {
    entry._sseEvents = source.sseEvents.map((e) => ({
      time: epochSeconds(req.startedAt, e.offsetMs),
      event: e.event ?? 'message',
      id: e.id ?? '',
      data: e.data,
    }));
  }
  if (exchange.streamKind === 'websocket') {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = source.wsMessages.map((m) => {
      const payload = Buffer.from(m.payload);
      return {
        type: m.direction,
        time: epochSeconds(req.startedAt, m.offsetMs),
        opcode: m.opcode,
        data: m.opcode === 1 ? payload.toString('utf8') : payload.toString('base64'),
      };
    });
  }
  return entry;
}

/** What writeHar wrote: entries, and the rows it left out because the database could not read them whole. */
export interface HarWritten {
  entries: number;
  skipped: number;
  /** The first skipped ids, at most SKIPPED_IDS_NAMED. */
  skippedIds: number[];
}

const SKIPPED_IDS_NAMED = 20;

/** The sentence a HAR file and `wirelog export` say about rows left out, or null when none were. */
export function skippedLine(written: HarWritten): string | null {
  if (written.skipped === 0) return null;
  const more = written.skipped > written.skippedIds.length ? ', …' : '';
  // English in the HAR file; `wirelog export` says it in the CLI's language (server.advice.harSkipped, rendered where shown).
  return serverText('en', 'advice.harSkipped', {
    n: written.skipped,
    ids: `${written.skippedIds.map((id) => `#${id}`).join(', ')}${more}`,
  });
}

/** Where a HAR's entries are (first startedAt of each page id, in the order entries came): its pages, written after the entries. */
export type HarPages = Map<string, number>;

/** A HAR document's first bytes, up to its entries. */
export function harHead(version: string): string {
  return `{"log":{"version":"1.2","creator":{"name":"wirelog","version":${JSON.stringify(version)}},"entries":[`;
}

/** A HAR document's last bytes, after its entries: its pages, and the rows left out. */
export function harTail(written: HarWritten, pages: HarPages): string {
  const pageList = [...pages].map(([id, startedAt]) => ({
    id,
    startedDateTime: new Date(startedAt).toISOString(),
    title: `wirelog capture, ${id.slice('wirelog_'.length)}`,
    pageTimings: { onContentLoad: -1, onLoad: -1 },
  }));
  const skipped = skippedLine(written);
  const said =
    skipped === null
      ? ''
      : `,"comment":${JSON.stringify(skipped)},"_wirelog":${JSON.stringify({ skippedDamaged: written.skipped, skippedIds: written.skippedIds })}`;
  return `\n],"pages":${JSON.stringify(pageList)}${said}}}\n`;
}

/** Rows left out, as one more piece of an export counts them: the first SKIPPED_IDS_NAMED named. */
export function addSkipped(written: HarWritten, more: HarWritten): void {
  written.skipped += more.skipped;
  for (const id of more.skippedIds) if (written.skippedIds.length < SKIPPED_IDS_NAMED) written.skippedIds.push(id);
}

/**
 * The entries of the exchanges `filter` matches (from `filter.after`, below `filter.before`), oldest
 * first, a page of rows at a time, each entry after a separator (`\n` before the first, `,\n`
 * before the others); `written` and `pages` count them. A damaged row (db/stored-values.ts) is left
 * out, counted and named. `parts`: kept from one range to the next (export/har-export-thread.ts
 * writes ranges of ids on two threads with it).
 */
export async function writeHarEntries(
  reader: ExchangeReader,
  filter: Omit<ExchangeFilter, 'limit' | 'sort'>,
  out: HarOutput,
  written: HarWritten,
  pages: HarPages,
  parts: PartCache = new RecentParts(),
): Promise<void> {
  // Where a body goes in an entry's JSON: random, so that no text an exchange holds can be it.
  const nonce = randomBytes(12).toString('hex');
  const marker = (side: BodySide) => `wirelog-body-${nonce}-${side}`;
  // Oldest first, a page of rows at a time: each row read once, memory flat however many match.
  for (let after = filter.after ?? 0; ; ) {
    const rows = reader.list({ ...filter, after, limit: PAGE_SIZE });
    const streams = pageStreams(reader, rows, parts);
    for (const exchange of rows) {
      if (exchange.damaged) {
        written.skipped++;
        if (written.skippedIds.length < SKIPPED_IDS_NAMED) written.skippedIds.push(exchange.id);
        continue;
      }
      const page = pageId(exchange.request.startedAt);
      if (!pages.has(page)) pages.set(page, exchange.request.startedAt);
      const bodies: MarkedBody[] = [];
      const source = markedSource(exchange, streams.get(exchange.id) as PageStreams, marker, bodies);
      await out.text(written.entries ? ',\n' : '\n');
      if (exchange.streamKind === 'sse') await writeSseEntry(out, source, bodies);
      else await out.entry(JSON.stringify(harEntry(source)), bodies);
      written.entries++;
    }
    if (rows.length < PAGE_SIZE) break;
    after = rows[rows.length - 1].id;
  }
}

// How an SSE entry's JSON ends with its events left out: `_sseEvents` is its last member (harEntry).
const NO_EVENTS_END = '"_sseEvents":[]}';

/**
 * An SSE exchange's entry: its JSON (harEntry's) with the events left out, then each event written
 * as harEntry writes it, its data escaped from the bytes it was inflated to (db/page-reads.ts
 * SseEventBytes) into the output, with no string or HAR object per event. Byte for byte what
 * JSON.stringify(harEntry(source)) is (test/har-sse-direct.test.ts).
 */
export async function writeSseEntry(out: HarOutput, source: HarSource, bodies: MarkedBody[]): Promise<void> {
  const events = source.sseEvents as SseEventBytes[];
  const json = JSON.stringify(harEntry({ ...source, sseEvents: [] }));
  // Never otherwise while harEntry puts `_sseEvents` last; if it did not, the events as strings.
  if (!json.endsWith(NO_EVENTS_END)) {
    const sseEvents = events.map((e) =>
      e.dataBytes ? { ...e, data: e.dataBytes.toString('utf8', e.dataFrom, e.dataTo) } : e,
    );
    return out.entry(JSON.stringify(harEntry({ ...source, sseEvents })), bodies);
  }
  await out.entry(json.slice(0, json.length - 2), bodies);
  const startedAt = source.exchange.request.startedAt;
  let pending = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const time = epochSeconds(startedAt, e.offsetMs);
    // As JSON.stringify writes a number (the same digits as String), and null for one not finite.
    pending += `${i ? ',' : ''}{"time":${Number.isFinite(time) ? String(time) : 'null'},"event":${JSON.stringify(e.event ?? 'message')},"id":${JSON.stringify(e.id ?? '')},"data":`;
    if (e.dataBytes) {
      const head = `${pending}"`;
      if (!out.textThenEscapedNow(head, e.dataBytes, e.dataFrom, e.dataTo))
        await out.textThenEscaped(head, e.dataBytes, e.dataFrom, e.dataTo);
      pending = '"}';
    } else pending += `${JSON.stringify(e.data)}}`;
  }
  await out.text(`${pending}]}`);
}

/**
 * Writes a HAR document entry by entry, oldest first, reading the database a page at a
 * time: memory stays flat however many exchanges match. `write` may return a promise to
 * apply backpressure. A damaged row (db/stored-values.ts) is left out, counted, and named in
 * the log's comment and `_wirelog`.
 */
export async function writeHar(
  reader: ExchangeReader,
  filter: Omit<ExchangeFilter, 'before' | 'after' | 'limit' | 'sort'>,
  write: (chunk: string | Buffer) => unknown,
  version: string,
): Promise<HarWritten> {
  const out = new HarOutput(write);
  await out.text(harHead(version));
  const written: HarWritten = { entries: 0, skipped: 0, skippedIds: [] };
  // Pages (one per day) are known once every entry is out: JSON readers take them after the entries.
  const pages: HarPages = new Map();
  await writeHarEntries(reader, filter, out, written, pages);
  await out.text(harTail(written, pages));
  await out.flush();
  return written;
}
