// Exchanges and their HAR sources made in memory, as mitmproxy's tflow does for flows: for
// testing the pure conversions without sockets or a database.
import { bodyViewOf, type BodyView } from '../../db/body-view.ts';
import type { HarSource } from '../../export/har.ts';
import type { Exchange, Header, RequestHead, ResponseHead } from '../../model/exchange.ts';

export function bodyOf(bytes: Buffer | string, mimeType: string): BodyView {
  const data = Buffer.from(bytes);
  return bodyViewOf(
    data,
    { size: data.length, storedSize: data.length, truncated: false, encoding: '' },
    mimeType ? [['Content-Type', mimeType]] : [],
  );
}

export interface FlowParts {
  request?: Partial<RequestHead>;
  response?: Partial<ResponseHead> | null;
  requestBody?: [Buffer | string, string];
  responseBody?: [Buffer | string, string];
  exchange?: Partial<Exchange>;
}

export function harFlow(parts: FlowParts = {}): HarSource {
  const [reqBytes, reqType] = parts.requestBody ?? ['', ''];
  const [resBytes, resType] = parts.responseBody ?? ['{}', 'application/json'];
  const requestHeaders: Header[] = [
    ['Host', 'api.example.com'],
    ...(reqType ? ([['Content-Type', reqType]] as Header[]) : []),
  ];
  const request: RequestHead = {
    startedAt: Date.UTC(2026, 11, 1, 10, 0, 0),
    clientAddress: '127.0.0.1:5000',
    method: 'POST',
    scheme: 'https',
    host: 'api.example.com',
    port: 443,
    path: '/v1/thing',
    httpVersion: '1.1',
    headers: requestHeaders,
    ...parts.request,
  };
  const response: ResponseHead | null =
    parts.response === null
      ? null
      : { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', resType]], ...parts.response };
  const requestBody = bodyOf(reqBytes, reqType);
  const responseBody = bodyOf(response ? resBytes : '', response ? resType : '');
  const exchange: Exchange = {
    id: 1,
    uid: 'flow-1',
    request,
    response,
    state: response ? 'complete' : 'upstream_error',
    error: response ? null : 'connection refused by 127.0.0.1:9',
    timings: { requestSent: 1, responseHeaders: 5, firstByte: 6, end: 7 },
    requestBody: { size: requestBody.size, storedSize: requestBody.size, truncated: false, encoding: '' },
    responseBody: { size: responseBody.size, storedSize: responseBody.size, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
    ...parts.exchange,
  };
  return { exchange, requestBody, responseBody, sseEvents: [], wsMessages: [] };
}

/**
 * A stored exchange as the reader gives it back: a POST to `host` + `path` from 127.0.0.1, its
 * answer a 200 streamed as SSE, complete, no bodies counted, not yet understood. Tests change
 * what their case is about (`response`, `state`, `error`, `streamKind`).
 */
export function storedExchange(host: string, path: string, parts: Partial<Exchange> = {}): Exchange {
  return {
    id: 1,
    uid: 'stored',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:1',
      method: 'POST',
      scheme: 'https',
      host,
      port: 443,
      path,
      httpVersion: '1.1',
      headers: [],
    },
    response: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: { end: 900 },
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: 'sse',
    eventCount: 0,
    call: null,
    diagnosis: null,
    ...parts,
  };
}
