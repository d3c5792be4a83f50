// A store holding a call for every diagnosis `wirelog doctor` can give, captured as the proxy
// captures (db/capture-store.ts, the storage hook of llm/stored-calls.ts): refusals with their
// error bodies, answered and refused streams with their SSE events, a WebSocket turn, a refused
// WebSocket before Responses POSTs, failed tunnels, and ordinary answered streams around them.
import type { ExchangeEvent, Header, SseEvent } from '../../model/exchange.ts';

export interface StoredCall {
  method?: string;
  scheme?: 'http' | 'https' | 'ws' | 'wss';
  host: string;
  path: string;
  /** null: no answer (the exchange ends in `state` with `error`). */
  status: number | null;
  headers?: Header[];
  request?: unknown;
  response?: unknown;
  responseType?: string;
  /** SSE events' data (an event name first when given as [name, data]); the response is then an event stream. */
  events?: (string | [string, string])[];
  /** A WebSocket turn: messages sent and received, in order. */
  messages?: { direction: 'send' | 'receive'; text: string }[];
  state?: 'complete' | 'aborted' | 'upstream_error' | 'proxy_error';
  error?: string;
}

const CODEX: Header[] = [
  ['user-agent', 'codex_exec/0.171.0 (Debian 13; x86_64)'],
  ['authorization', 'Bearer sk-codex-0000000000000000'],
];
const CHERRY: Header[] = [
  ['user-agent', 'CherryStudio/1.5.7'],
  ['authorization', 'Bearer sk-cherry-000000000000000'],
];

/** One stored call's events, started at `startedAt`. */
export function storedCallEvents(uid: string, startedAt: number, call: StoredCall): ExchangeEvent[] {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const request = call.request === undefined ? Buffer.alloc(0) : Buffer.from(text(call.request));
  const events: SseEvent[] = (call.events ?? []).map((e, seq) => ({
    seq,
    offsetMs: 100 + seq,
    event: Array.isArray(e) ? e[0] : null,
    id: null,
    data: Array.isArray(e) ? e[1] : e,
  }));
  const response = call.events
    ? Buffer.from(events.map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`).join(''))
    : call.response === undefined
      ? Buffer.alloc(0)
      : Buffer.from(text(call.response));
  const responseType = call.events ? 'text/event-stream' : (call.responseType ?? 'application/json');
  const out: ExchangeEvent[] = [
    {
      type: 'request',
      uid,
      head: {
        startedAt,
        clientAddress: '127.0.0.1:5000',
        method: call.method ?? 'POST',
        scheme: call.scheme ?? 'https',
        host: call.host,
        port: 443,
        path: call.path,
        httpVersion: '1.1',
        headers: [['host', call.host], ['content-type', 'application/json'], ...(call.headers ?? CODEX)],
      },
    },
  ];
  if (request.length) out.push({ type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 });
  if (call.status !== null)
    out.push({
      type: 'response-head',
      uid,
      atMs: 50,
      head: { status: call.status, statusText: '', httpVersion: '1.1', headers: [['content-type', responseType]] },
    });
  for (const event of events) out.push({ type: 'sse-event', uid, event });
  (call.messages ?? []).forEach((m, seq) =>
    out.push({
      type: 'ws-message',
      uid,
      message: { seq, offsetMs: 60 + seq, direction: m.direction, opcode: 1, payload: Buffer.from(m.text) },
    }),
  );
  if (response.length) out.push({ type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 60 });
  out.push({
    type: 'end',
    uid,
    state: call.state ?? 'complete',
    error: call.error ?? null,
    timings: { requestSent: 1, ...(call.status !== null ? { responseHeaders: 50, firstByte: 60 } : {}), end: 200 },
    requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
    responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
  });
  return out;
}

const chatRequest = (model: string, stream = true) => ({
  model,
  messages: [{ role: 'user', content: 'write the test' }],
  stream,
});
const responsesRequest = { model: 'gpt-5-codex', input: [{ role: 'user', content: 'fix it' }], stream: true };
const chunk = (delta: unknown, finish: string | null = null, usage?: unknown) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'deepseek-chat',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  });

/** A chat stream answered to its end (`finish`), or cut before [DONE] (`cut`). */
export function chatStream(host: string, finish = 'stop', cut = false): StoredCall {
  return {
    host,
    path: '/v1/chat/completions',
    status: 200,
    headers: CHERRY,
    request: chatRequest('deepseek-chat'),
    events: [
      chunk({ role: 'assistant', content: 'Here ' }),
      chunk({ content: 'it is.' }),
      chunk({}, finish, { prompt_tokens: 12, completion_tokens: 256 }),
      ...(cut ? [] : ['[DONE]']),
    ],
  };
}

/** A Codex Responses stream answered to its end, or failed by the provider mid-stream (`failed`). */
export function responsesStream(host: string, failed = false): StoredCall {
  const response = (status: string) => ({
    id: 'resp_1',
    object: 'response',
    status,
    model: 'gpt-5-codex',
    output: [],
    usage: { input_tokens: 40, output_tokens: 12 },
  });
  return {
    host,
    path: '/v1/responses',
    status: 200,
    request: responsesRequest,
    events: [
      ['response.created', JSON.stringify({ type: 'response.created', response: response('in_progress') })],
      ['response.output_text.delta', JSON.stringify({ type: 'response.output_text.delta', delta: 'Done.' })],
      failed
        ? [
            'response.failed',
            JSON.stringify({
              type: 'response.failed',
              response: {
                ...response('failed'),
                error: { code: 'server_error', message: 'The model is overloaded, try again' },
              },
            }),
          ]
        : ['response.completed', JSON.stringify({ type: 'response.completed', response: response('completed') })],
    ],
  };
}

const RELAY = 'relay.example';
const error = (message: string, extra: Record<string, unknown> = {}) => ({ error: { message, ...extra } });

/** One call for each diagnosis (and the calls some of them need before them), oldest first. */
export function everyDiagnosisCalls(): StoredCall[] {
  const models = { object: 'list', data: [{ id: 'deepseek-chat' }, { id: 'deepseek-reasoner' }] };
  return [
    { method: 'GET', host: RELAY, path: '/v1/models', status: 200, headers: CHERRY, response: models },
    // repeated-endpoint: Codex's base_url already ended in /chat/completions.
    {
      host: RELAY,
      path: '/v1/chat/completions/responses',
      status: 404,
      request: responsesRequest,
      response: error('Invalid URL (POST /v1/chat/completions/responses)'),
    },
    // unknown-route
    {
      host: RELAY,
      path: '/api/chat/completions',
      status: 404,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: error('Invalid URL (POST /api/chat/completions)'),
    },
    // html-answer
    {
      host: 'openrouter.ai',
      path: '/v1/chat/completions',
      status: 404,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: '<!DOCTYPE html><html><body>Not found</body></html>',
      responseType: 'text/html',
    },
    // missing-key
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 401,
      headers: [['user-agent', 'CherryStudio/1.5.7']],
      request: chatRequest('deepseek-chat'),
      response: error('no token given'),
    },
    // key-rejected
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 401,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: error('Invalid token'),
    },
    // model-unavailable: the model is named by the request alone, the relay's list gives the fix.
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 503,
      headers: CHERRY,
      request: chatRequest('deepseek-chat-v9'),
      response: error('No available channel for this model (distributor)', { type: 'new_api_error' }),
    },
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 404,
      headers: CHERRY,
      request: chatRequest('deepseek-v9'),
      response: error('The model does not exist or you do not have access to it.'),
    },
    // model-not-activated
    {
      host: 'ark.cn-beijing.volces.com',
      path: '/api/v3/chat/completions',
      status: 404,
      headers: CHERRY,
      request: chatRequest('doubao-seed-1-6'),
      response: error('Your account has not activated the model doubao-seed-1-6.', { code: 'ModelNotOpen' }),
    },
    // rate-limited
    {
      host: RELAY,
      path: '/v1/responses',
      status: 429,
      request: responsesRequest,
      response: error('Rate limit reached for requests'),
    },
    // out-of-credit
    {
      host: 'openrouter.ai',
      path: '/api/v1/chat/completions',
      status: 402,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: error(
        'This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can only afford 1234.',
      ),
    },
    // server-error
    {
      host: RELAY,
      path: '/v1/responses',
      status: 502,
      request: responsesRequest,
      response: error('upstream failed'),
    },
    // stream-error: a provider's error event in a stream that began 200...
    responsesStream(RELAY, true),
    // ...and a 200 with an error body to a request that asked to stream (its request says it streamed).
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 200,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: error('upstream stream broke: 余额不足'),
    },
    // prompt-blocked
    {
      host: 'generativelanguage.googleapis.com',
      path: '/v1beta/models/gemini-2.5-flash:generateContent',
      status: 200,
      headers: [
        ['user-agent', 'google-genai-sdk/1.0'],
        ['x-goog-api-key', 'AIza-test-000000000000'],
      ],
      request: { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] },
      response: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3 } },
    },
    // content-filtered: the prompt refused, and an answer stopped.
    {
      host: 'contoso.openai.azure.com',
      path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
      status: 400,
      headers: [
        ['user-agent', 'python-requests/2.32'],
        ['api-key', 'azure-test-000000000'],
      ],
      request: chatRequest('gpt-4o', false),
      response: error(
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        {
          code: 'content_filter',
        },
      ),
    },
    chatStream(RELAY, 'content_filter'),
    // request-refused
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 400,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      response: error(
        "This model's maximum context length is 65536 tokens. Please reduce the length of the messages.",
        {
          code: 'context_length_exceeded',
        },
      ),
    },
    // output-limit
    chatStream(RELAY, 'length'),
    // truncated-stream
    chatStream('api.deepseek.example', 'stop', true),
    // A refused stream: a 429 sent as an event stream with its error event (the events say nothing more).
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: 429,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      events: [JSON.stringify(error('Too many requests, slow down'))],
    },
    // untrusted-ca and wrong-protocol: tunnels that failed before any request.
    {
      method: 'CONNECT',
      host: 'api.openai.com',
      path: '/',
      status: null,
      headers: [['user-agent', 'curl/8.14.1']],
      state: 'proxy_error',
      error:
        'the client ended the TLS handshake with wirelog (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): it probably does not trust the wirelog CA; trust it',
    },
    {
      method: 'CONNECT',
      host: '127.0.0.1',
      path: '/',
      status: null,
      headers: [],
      state: 'proxy_error',
      error: 'the client spoke TLS: a proxy URL for wirelog is http://127.0.0.1:8080, not https://',
    },
    // A call that got no answer: the relay's connection failed.
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: null,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      state: 'upstream_error',
      error: 'ECONNRESET',
    },
    // undelivered: one wirelog could not deliver, as proxy/upstream.ts records it.
    {
      host: RELAY,
      path: '/v1/chat/completions',
      status: null,
      headers: CHERRY,
      request: chatRequest('deepseek-chat'),
      state: 'upstream_error',
      error: `connection refused by ${RELAY}:443`,
    },
    // A Codex WebSocket turn answered in full.
    {
      method: 'GET',
      scheme: 'wss',
      host: 'chatgpt.com',
      path: '/backend-api/codex/responses',
      status: 101,
      messages: [
        { direction: 'send', text: JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [] }) },
        {
          direction: 'receive',
          text: JSON.stringify({
            type: 'response.completed',
            response: {
              id: 'resp_ws',
              status: 'completed',
              model: 'gpt-5-codex',
              output: [],
              usage: { output_tokens: 3 },
            },
          }),
        },
      ],
    },
    // websocket-fallback: Codex's WebSocket refused, then its POSTs; past 20 exchanges to the host the refusal is out of sight.
    {
      method: 'GET',
      scheme: 'wss',
      host: 'ws-relay.example',
      path: '/v1/responses',
      status: 426,
      response: error('Upgrade Required'),
    },
    ...Array.from({ length: 24 }, () => responsesStream('ws-relay.example')),
  ];
}
