// Converts stored exchanges to HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/),
// with SSE events and WebSocket messages as custom fields in Chrome DevTools' shape.
import { bodyView, type BodyView } from '../db/body-view.ts';
import type { ExchangeFilter, ExchangeReader } from '../db/reader.ts';
import type { Exchange, Header } from '../model/exchange.ts';
import { exchangeUrl } from '../model/exchange.ts';

const PAGE_SIZE = 200;

interface HarNameValue {
  name: string;
  value: string;
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
      return eq < 0 ? { name: decode(part), value: '' } : { name: decode(part.slice(0, eq)), value: decode(part.slice(eq + 1)) };
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

export function harEntry(reader: ExchangeReader, exchange: Exchange): Record<string, unknown> {
  const req = exchange.request;
  const t = exchange.timings;
  const requestBody = bodyView(reader, exchange, 'request');
  const responseBody = bodyView(reader, exchange, 'response');
  // HAR counts the TLS handshake inside connect, and send from when the connection was ready.
  const connect = t.secured ?? t.connected;
  const ready = connect ?? 0;
  const send = Math.max(0, (t.requestSent ?? ready) - ready);
  const wait = t.responseHeaders !== undefined ? Math.max(0, t.responseHeaders - (t.requestSent ?? ready)) : 0;
  const receive = t.end !== undefined && t.responseHeaders !== undefined ? Math.max(0, t.end - t.responseHeaders) : 0;

  const request: Record<string, unknown> = {
    method: req.method || 'GET',
    url: exchangeUrl(req),
    httpVersion: httpVersion(req.httpVersion),
    cookies: [],
    headers: harHeaders(req.headers),
    queryString: queryString(req.path),
    headersSize: -1,
    bodySize: exchange.requestBody.size,
  };
  if (exchange.requestBody.size > 0) {
    const postData: Record<string, unknown> = { mimeType: requestBody.mimeType, text: requestBody.text ?? requestBody.base64 ?? '' };
    // HAR 1.2 has no encoding field for postData; tools that read one (Chrome) use this name.
    if (requestBody.base64 !== null) postData._encoding = 'base64';
    const comment = wirelogNote(requestBody);
    if (comment) postData.comment = comment;
    request.postData = postData;
  }

  const res = exchange.response;
  const content: Record<string, unknown> = {
    size: responseBody.decodedSize,
    mimeType: responseBody.mimeType,
    text: responseBody.text ?? responseBody.base64 ?? '',
  };
  if (responseBody.base64 !== null) content.encoding = 'base64';
  if (responseBody.encoding && !responseBody.decodeError) content.compression = Math.max(0, responseBody.decodedSize - responseBody.storedSize);
  const contentNote = wirelogNote(responseBody);
  if (contentNote) content.comment = contentNote;

  const entry: Record<string, unknown> = {
    startedDateTime: new Date(req.startedAt).toISOString(),
    time: (connect ?? 0) + send + wait + receive,
    request,
    response: {
      status: res?.status ?? 0,
      statusText: res?.statusText ?? '',
      httpVersion: httpVersion(res?.httpVersion ?? ''),
      cookies: [],
      headers: harHeaders(res?.headers ?? []),
      content,
      redirectURL: '',
      headersSize: -1,
      bodySize: exchange.responseBody.size,
    },
    cache: {},
    timings: {
      blocked: -1,
      dns: -1,
      connect: connect ?? -1,
      ssl: t.secured !== undefined && t.connected !== undefined ? t.secured - t.connected : -1,
      send,
      wait,
      receive,
    },
    _wirelog: { id: exchange.id, state: exchange.state, error: exchange.error, clientAddress: req.clientAddress, via: req.via ?? 'proxy' },
  };
  if (exchange.error) entry.comment = `${exchange.state}: ${exchange.error}`;
  if (exchange.streamKind === 'sse') {
    entry._sseEvents = reader.sseEvents(exchange.id).map((e) => ({ time: epochSeconds(req.startedAt, e.offsetMs), event: e.event ?? 'message', id: e.id ?? '', data: e.data }));
  }
  if (exchange.streamKind === 'websocket') {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = reader.wsMessages(exchange.id).map((m) => {
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

/**
 * Writes a HAR document entry by entry, oldest first, reading the database a page at a
 * time: memory stays flat however many exchanges match. `write` may return a promise to
 * apply backpressure.
 */
export async function writeHar(reader: ExchangeReader, filter: Omit<ExchangeFilter, 'before' | 'limit'>, write: (text: string) => unknown, version: string): Promise<number> {
  // Newest-first pages, collected as ids only, so the document can run oldest first.
  const ids: number[] = [];
  for (let before: number | undefined; ; ) {
    const page = reader.list({ ...filter, before, limit: PAGE_SIZE });
    for (const ex of page) ids.push(ex.id);
    if (page.length < PAGE_SIZE) break;
    before = page[page.length - 1].id;
  }
  ids.reverse();
  await write(`{"log":{"version":"1.2","creator":{"name":"wirelog","version":${JSON.stringify(version)}},"pages":[],"entries":[`);
  let count = 0;
  for (const id of ids) {
    const exchange = reader.get(id);
    if (!exchange) continue;
    await write(`${count ? ',' : ''}\n${JSON.stringify(harEntry(reader, exchange))}`);
    count++;
  }
  await write('\n]}}\n');
  return count;
}
