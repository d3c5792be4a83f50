// Finished model calls as the proxy reports them, for the list's tests (test/list-columns.test.ts,
// test/list-columns.browser.test.ts): who sent it, which API, status, usage, duration, size.
import type { ExchangeEvent, Header } from '../../model/exchange.ts';

export const CODEX: Header[] = [
  ['User-Agent', 'codex_exec/0.171.0 (Debian 12; x86_64) xterm-256color'],
  ['originator', 'codex_exec'],
];
export const CHERRY: Header[] = [
  [
    'User-Agent',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) CherryStudio/1.5.7 Chrome/138.0.0.0 Electron/37.2.3 Safari/537.36',
  ],
  ['X-Title', 'Cherry Studio'],
];
export const CURL: Header[] = [['User-Agent', 'curl/8.14.1']];

export interface ListCall {
  host?: string;
  path?: string;
  headers?: Header[];
  status?: number;
  /** Responses API instead of chat. */
  responses?: boolean;
  usage?: Record<string, unknown> | null;
  model?: string;
  endMs?: number;
  startedAt?: number;
  /** Extra bytes in the answer (the size sort). */
  pad?: number;
  /** The upstream refused the connection: no response, this error recorded. */
  refused?: string;
}

let serial = 0;

/** One finished model call as the proxy reports it. */
export function listCall(c: ListCall = {}): ExchangeEvent[] {
  const uid = `list-${serial++}`;
  const host = c.host ?? 'relay.example';
  const status = c.status ?? 200;
  const model = c.model ?? 'gpt-4o';
  const path = c.path ?? (c.responses ? '/v1/responses' : '/v1/chat/completions');
  const request = Buffer.from(
    JSON.stringify(c.responses ? { model, input: 'hi' } : { model, messages: [{ role: 'user', content: 'hi' }] }),
  );
  const usage = c.usage === undefined ? { prompt_tokens: 10, completion_tokens: 5 } : c.usage;
  const answer =
    status >= 400
      ? { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }
      : c.responses
        ? {
            id: `resp_${uid}`,
            object: 'response',
            status: 'completed',
            model,
            output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }],
            ...(usage ? { usage } : {}),
          }
        : {
            id: `chatcmpl-${uid}`,
            object: 'chat.completion',
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: `ok${' '.repeat(c.pad ?? 0)}` },
                finish_reason: 'stop',
              },
            ],
            ...(usage ? { usage } : {}),
          };
  const response = Buffer.from(JSON.stringify(answer));
  const end = c.endMs ?? 30;
  if (c.refused) {
    return [
      {
        type: 'request',
        uid,
        head: {
          startedAt: c.startedAt ?? Date.UTC(2026, 10, 20, 12, 0, 0) + serial * 1000,
          clientAddress: '127.0.0.1:5000',
          method: 'POST',
          scheme: 'https',
          host,
          port: 443,
          path,
          httpVersion: '1.1',
          headers: [['Host', host], ['Content-Type', 'application/json'], ...(c.headers ?? CURL)],
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
      {
        type: 'end',
        uid,
        state: 'upstream_error',
        error: c.refused,
        timings: { end },
        requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
        responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
      },
    ];
  }
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: c.startedAt ?? Date.UTC(2026, 10, 20, 12, 0, 0) + serial * 1000,
        clientAddress: '127.0.0.1:5000',
        method: 'POST',
        scheme: 'https',
        host,
        port: 443,
        path,
        httpVersion: '1.1',
        headers: [['Host', host], ['Content-Type', 'application/json'], ...(c.headers ?? CURL)],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 10,
      head: { status, statusText: '', httpVersion: '1.1', headers: [['Content-Type', 'application/json']] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: end - 1 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 10, end },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}
