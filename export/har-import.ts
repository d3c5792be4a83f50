// Reads a HAR document (Chrome DevTools, Playwright, mitmproxy, wirelog) into the exchange
// events a capture produces, so imported calls are stored, understood and diagnosed the same
// way. Pure: every entry is checked before anything is made, and a bad one is named.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BodyInfo, ExchangeEvent, Header, RequestHead, ResponseHead, Timings } from '../model/exchange.ts';
import { isEventStream } from '../model/exchange.ts';
import { maskHeaders, maskJsonText, maskPath } from '../model/secrets.ts';
import { sseEventsOf } from '../model/sse.ts';

export class HarImportError extends Error {}

const nameValue = z.object({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean()]).transform(String) });
const content = z.object({ text: z.string().optional(), encoding: z.string().optional(), mimeType: z.string().optional(), size: z.number().optional() }).passthrough();
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
        postData: content.extend({ params: z.array(z.object({ name: z.string(), value: z.string().optional() }).passthrough()).optional() }).optional(),
      })
      .passthrough(),
    response: z
      .object({ status: z.number().int(), statusText: z.string().optional(), httpVersion: z.string().optional(), headers: z.array(nameValue), content: content.optional(), _trailers: z.array(nameValue).optional() })
      .passthrough(),
    timings: z.record(z.string(), z.number().nullable().optional()).optional(),
    _sseEvents: z.array(z.object({ time: z.number().optional(), event: z.string().optional(), id: z.string().optional(), data: z.string() }).passthrough()).optional(),
    _webSocketMessages: z.array(z.object({ type: z.enum(['send', 'receive']), time: z.number(), opcode: z.number().int(), data: z.string() }).passthrough()).optional(),
    _resourceType: z.string().optional(),
    _error: z.string().optional(),
  })
  .passthrough();

type HarEntry = z.infer<typeof entrySchema>;

export interface HarImportOptions {
  /** The file's name, kept with each exchange. */
  source: string;
  keepSecrets: boolean;
}

/** Every problem of a document, each naming its entry; none when it can be imported whole. */
function check(document: unknown): { entries: HarEntry[]; problems: string[] } {
  const log = (document as { log?: { entries?: unknown } } | null)?.log;
  if (!log || typeof log !== 'object' || !Array.isArray(log.entries)) return { entries: [], problems: ['it is not a HAR document: there is no log.entries array (HAR 1.2 files start {"log": {"entries": [...]}})'] };
  const entries: HarEntry[] = [];
  const problems: string[] = [];
  log.entries.forEach((raw: unknown, i: number) => {
    const parsed = entrySchema.safeParse(raw);
    if (parsed.success) return void entries.push(parsed.data);
    const request = (raw as { request?: { method?: unknown; url?: unknown } } | null)?.request;
    const what = typeof request?.url === 'string' ? ` (${String(request.method ?? '?')} ${request.url.slice(0, 120)})` : '';
    for (const issue of parsed.error.issues.slice(0, 3)) problems.push(`entry ${i + 1}${what}: ${issue.path.join('.') || 'entry'} ${issue.message === 'Required' ? 'is missing' : issue.message}`);
  });
  return { entries, problems };
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
  const timings: Timings = { requestSent: micro(sent), responseHeaders: micro(headers), firstByte: micro(headers), end: micro(headers + phase('receive')) };
  if ((t.connect ?? -1) > 0) {
    timings.connected = micro(connectedAt - ssl);
    if (ssl > 0) timings.secured = micro(connectedAt);
  }
  return timings;
}

function bodyInfo(size: number): BodyInfo {
  return { size, storedSize: size, truncated: false, encoding: '' };
}

function entryEvents(entry: HarEntry, options: HarImportOptions): ExchangeEvent[] {
  const uid = randomUUID();
  const url = new URL(entry.request.url);
  const startedAt = Date.parse(entry.startedDateTime);
  const websocket = entry._resourceType === 'websocket' || entry._webSocketMessages !== undefined || url.protocol === 'ws:' || url.protocol === 'wss:';
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const scheme: RequestHead['scheme'] = websocket ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
  const mask = !options.keepSecrets;
  const rawHeaders = headersOf(entry.request.headers);
  const requestHeaders = rawHeaders.some(([n]) => n.toLowerCase() === 'host') ? rawHeaders : [['Host', url.host] as Header, ...rawHeaders];
  const path = `${url.pathname}${url.search}`;
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
  };
  const timings = timingsOf(entry);
  const events: ExchangeEvent[] = [{ type: 'request', uid, head }];
  let requestBody = bytesOf(entry.request.postData?.text, entry.request.postData?.encoding);
  if (mask && requestBody.length) {
    const masked = maskJsonText(requestBody.toString('utf8'));
    if (masked !== null) requestBody = Buffer.from(masked);
  }
  if (requestBody.length) events.push({ type: 'body-chunk', uid, side: 'request', chunk: requestBody, atMs: 0 });
  events.push({ type: 'request-sent', uid, atMs: timings.requestSent ?? 0 });

  // status 0 (Chrome) or -1 (Playwright): the request got no response.
  const answered = entry.response.status > 0;
  let responseSize = 0;
  if (answered) {
    const responseHeaders = headersOf(entry.response.headers);
    const response: ResponseHead = {
      status: entry.response.status,
      statusText: entry.response.statusText ?? '',
      httpVersion: (entry.response.httpVersion ?? '').replace(/^HTTP\//i, '') || '1.1',
      headers: mask ? maskHeaders(responseHeaders) : responseHeaders,
    };
    events.push({ type: 'response-head', uid, head: response, atMs: timings.responseHeaders ?? 0 });
    let body = bytesOf(entry.response.content?.text, entry.response.content?.encoding);
    if (mask && /\bjson\b/i.test(response.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '')) {
      const masked = maskJsonText(body.toString('utf8'));
      if (masked !== null) body = Buffer.from(masked);
    }
    responseSize = body.length;
    if (body.length) events.push({ type: 'body-chunk', uid, side: 'response', chunk: body, atMs: timings.firstByte ?? 0 });
    const sse = entry._sseEvents
      ? entry._sseEvents.map((e) => ({ event: e.event && e.event !== 'message' ? e.event : null, id: e.id || null, data: e.data, at: e.time }))
      : isEventStream(responseHeaders)
        ? sseEventsOf(body).map((e) => ({ ...e, at: undefined }))
        : [];
    sse.forEach((e, seq) => events.push({ type: 'sse-event', uid, event: { seq, offsetMs: e.at !== undefined ? Math.max(0, e.at * 1000 - startedAt) : (timings.firstByte ?? 0), event: e.event, id: e.id, data: e.data } }));
    (entry._webSocketMessages ?? []).forEach((m, seq) => {
      let payload = m.opcode === 1 ? Buffer.from(m.data, 'utf8') : Buffer.from(m.data, 'base64');
      if (mask && m.opcode === 1) {
        const masked = maskJsonText(payload.toString('utf8'));
        if (masked !== null) payload = Buffer.from(masked);
      }
      events.push({ type: 'ws-message', uid, message: { seq, offsetMs: Math.max(0, m.time * 1000 - startedAt), direction: m.type, opcode: m.opcode, payload } });
    });
  }
  const error = answered ? null : (entry._error ?? (entry.response as { _failureText?: string })._failureText ?? 'no response in the HAR');
  const end: Extract<ExchangeEvent, { type: 'end' }> = { type: 'end', uid, state: answered ? 'complete' : 'upstream_error', error, timings, requestBody: bodyInfo(requestBody.length), responseBody: bodyInfo(responseSize) };
  const trailers = answered && entry.response._trailers ? headersOf(entry.response._trailers) : [];
  if (trailers.length) end.responseTrailers = mask ? maskHeaders(trailers) : trailers;
  events.push(end);
  return events;
}

/** The events of every entry, oldest first; throws HarImportError naming each bad entry, before making any. */
export function harToEvents(text: string, options: HarImportOptions): { events: ExchangeEvent[]; entries: number } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new HarImportError(`${options.source} is not JSON (${(err as Error).message}): a HAR file is a JSON document`);
  }
  const { entries, problems } = check(document);
  if (problems.length) {
    const more = problems.length > 10 ? `\n  ... and ${problems.length - 10} more` : '';
    throw new HarImportError(`${options.source} cannot be imported, nothing was:\n  ${problems.slice(0, 10).join('\n  ')}${more}`);
  }
  const sorted = [...entries].sort((a, b) => Date.parse(a.startedDateTime) - Date.parse(b.startedDateTime));
  return { events: sorted.flatMap((entry) => entryEvents(entry, options)), entries: sorted.length };
}

/** The largest file imported: it is read whole (V8 strings end near 512 MB). */
export const MAX_HAR_BYTES = 500 * 1024 * 1024;
