import type { ExchangeEvent, RequestHead } from '../../model/exchange.ts';

/**
 * The events of one finished exchange, as the proxy would emit them: a chat completion
 * answered with JSON. For filling a store without sockets (see db/capture-store.ts).
 */
export function finishedExchange(i: number, head: Partial<RequestHead> = {}, status = 200): ExchangeEvent[] {
  const uid = `made-${i}-${Math.random().toString(36).slice(2)}`;
  const request = Buffer.from(
    JSON.stringify({ model: 'gpt-made', messages: [{ role: 'user', content: `question ${i}` }] }),
  );
  const answer =
    status === 200
      ? {
          id: `chatcmpl-${i}`,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: `answer ${i}` }, finish_reason: 'stop' }],
        }
      : {
          error: {
            message: `Invalid URL (POST ${head.path ?? '/v1/chat/completions'})`,
            type: 'invalid_request_error',
          },
        };
  const response = Buffer.from(JSON.stringify(answer));
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now() - 1000,
        clientAddress: '127.0.0.1:50000',
        method: 'POST',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path: `/v1/chat/completions?n=${i}`,
        httpVersion: '1.1',
        headers: [
          ['Host', 'relay.example'],
          ['Content-Type', 'application/json'],
        ],
        ...head,
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: {
        status,
        statusText: status === 200 ? 'OK' : 'Error',
        httpVersion: '1.1',
        headers: [['Content-Type', 'application/json']],
      },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 25 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 20, firstByte: 25, end: 30 },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

/**
 * The events of one JSON call Cherry Studio sent to a relay (POST HOST PATH, a Bearer key),
 * answered `status` with `response`, both bodies given: the doctor tests' calls.
 */
export function relayCallEvents(call: {
  uid: string;
  startedAt: number;
  host: string;
  path: string;
  status: number;
  request: Buffer;
  response: Buffer;
}): ExchangeEvent[] {
  const { uid, startedAt, host, path, status, request, response } = call;
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt,
        clientAddress: '127.0.0.1:5000',
        method: 'POST',
        scheme: 'https',
        host,
        port: 443,
        path,
        httpVersion: '1.1',
        headers: [
          ['host', host],
          ['content-type', 'application/json'],
          ['user-agent', 'CherryStudio/1.5.7'],
          ['authorization', 'Bearer sk-test-0000000000000000'],
        ],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 50,
      head: { status, statusText: '', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 60 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 50, firstByte: 60, end: 70 },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

/**
 * The events of a plain GET of https://relay.example/{uid}, one step each, for tests that apply
 * them in batches of their own choosing: its request, its response head, a chunk of its answer,
 * its end (`size`: the answer's bytes).
 */
export const plainGet = {
  request: (uid: string): ExchangeEvent => ({
    type: 'request',
    uid,
    head: {
      startedAt: Date.now(),
      clientAddress: '127.0.0.1:1',
      method: 'GET',
      scheme: 'https',
      host: 'relay.example',
      port: 443,
      path: `/${uid}`,
      httpVersion: '1.1',
      headers: [['Host', 'relay.example']],
    },
  }),
  responseHead: (uid: string): ExchangeEvent => ({
    type: 'response-head',
    uid,
    atMs: 1,
    head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'text/plain']] },
  }),
  chunk: (uid: string, text: string): ExchangeEvent => ({
    type: 'body-chunk',
    uid,
    side: 'response',
    chunk: Buffer.from(text),
    atMs: 2,
  }),
  end: (uid: string, size: number, timings: Record<string, number> = { end: 3 }): ExchangeEvent => ({
    type: 'end',
    uid,
    state: 'complete',
    error: null,
    timings,
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size, storedSize: size, truncated: false, encoding: '' },
  }),
};

/**
 * A chat completion's answer streamed as 40 SSE events, as the proxy emits them (each chunk and
 * the event read from it, 1 ms apart from `fromMs`): 38 deltas, the usage in the 39th, `[DONE]`.
 */
export function chatStreamEvents(
  uid: string,
  i: number,
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
  fromMs = 21,
): { events: ExchangeEvent[]; size: number } {
  const events: ExchangeEvent[] = [];
  let size = 0;
  for (let n = 0; n < 40; n++) {
    const data =
      n === 39
        ? '[DONE]'
        : JSON.stringify({
            id: `chatcmpl-${i}`,
            object: 'chat.completion.chunk',
            model: 'gpt-made',
            choices: [{ index: 0, delta: { content: ` word${n}` }, finish_reason: null }],
            ...(n === 38 ? { usage } : {}),
          });
    const chunk = Buffer.from(`data: ${data}\n\n`);
    size += chunk.length;
    events.push({ type: 'body-chunk', uid, side: 'response', chunk, atMs: fromMs + n });
    events.push({ type: 'sse-event', uid, event: { seq: n, offsetMs: fromMs + n, event: null, id: null, data } });
  }
  return { events, size };
}
