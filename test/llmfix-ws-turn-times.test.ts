import { describe, expect, it } from 'vitest';
import { analyzeExchange, type WsText } from '../llm/analyze.ts';
import { spanOf } from '../export/otlp-span.ts';
import type { Exchange } from '../model/exchange.ts';

// Codex's WebSocket transport for the Responses API: one socket carries many turns, each begun by
// the client's `response.create` and answered by response.created, deltas and response.completed.
// A turn's time to first token, duration and tokens/s count from its own response.create.

function socket(end: number | undefined, state: Exchange['state'] = 'complete'): Exchange {
  return {
    id: 7,
    uid: 'ws-turns',
    request: {
      startedAt: 1_000_000,
      clientAddress: '127.0.0.1:1',
      method: 'GET',
      scheme: 'wss',
      host: 'chatgpt.com',
      port: 443,
      path: '/backend-api/codex/responses',
      httpVersion: '1.1',
      headers: [],
    },
    response: { status: 101, statusText: 'Switching Protocols', httpVersion: '1.1', headers: [] },
    state,
    error: null,
    timings: end === undefined ? {} : { end },
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: 'websocket',
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

const send = (offsetMs: number, body: object): WsText => ({
  direction: 'send',
  offsetMs,
  text: JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', ...body }),
});
const receive = (offsetMs: number, event: object): WsText => ({
  direction: 'receive',
  offsetMs,
  text: JSON.stringify(event),
});
const created = (id: string) => ({
  type: 'response.created',
  response: { id, status: 'in_progress', output: [] },
});
const delta = (text: string) => ({
  type: 'response.output_text.delta',
  item_id: 'm',
  output_index: 0,
  content_index: 0,
  delta: text,
});
const completed = (id: string, output: number, text: string) => ({
  type: 'response.completed',
  response: {
    id,
    status: 'completed',
    output: [{ id: 'm', type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }],
    usage: { input_tokens: 10, output_tokens: output, total_tokens: 10 + output },
  },
});

/** Two turns on a socket that stays open for minutes between and after them. */
const twoTurns: WsText[] = [
  send(1_000, { input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] }] }),
  receive(1_100, created('resp_1')),
  receive(1_300, delta('first')),
  receive(1_500, completed('resp_1', 4, 'first')),
  send(120_000, { previous_response_id: 'resp_1', input: [] }),
  receive(120_100, created('resp_2')),
  receive(120_400, delta('second')),
  receive(121_000, completed('resp_2', 60, 'second')),
];

describe('a WebSocket turn is timed from its own response.create', () => {
  it('TTFT, total and tokens/s of the last turn on a socket of several', () => {
    const call = analyzeExchange({
      exchange: socket(300_000),
      requestText: null,
      responseText: null,
      sseEvents: [],
      wsMessages: twoTurns,
    });
    expect(call).toMatchObject({ ending: 'complete', answer: { text: 'second' }, responseId: 'resp_2' });
    // First text 400 ms after this turn's response.create; response.completed 1000 ms after it.
    expect(call!.ttftMs).toBe(400);
    expect(call!.totalMs).toBe(1_000);
    // 60 output tokens over the 600 ms between the first text and response.completed.
    expect(call!.outputTokensPerSecond).toBe(100);
    expect(call!.turnStartMs).toBe(120_000);
  });

  it('a turn cut by the socket closing runs to the close', () => {
    const cut = twoTurns.slice(0, 7);
    const call = analyzeExchange({
      exchange: socket(125_000, 'aborted'),
      requestText: null,
      responseText: null,
      sseEvents: [],
      wsMessages: cut,
    });
    expect(call!.ending).toBe('truncated');
    expect(call!.ttftMs).toBe(400);
    expect(call!.totalMs).toBe(5_000);
  });

  it("the OTLP span's first-token event sits at the turn's first text, not the socket's start plus the turn's TTFT", () => {
    const exchange = socket(300_000);
    const call = analyzeExchange({
      exchange,
      requestText: null,
      responseText: null,
      sseEvents: [],
      wsMessages: twoTurns,
    });
    const span = spanOf(exchange, call, null, null, { content: false });
    const first = span.events.find((e) => e.name === 'gen_ai.first_token');
    expect(first?.atMs).toBe(exchange.request.startedAt + 120_400);
  });

  it('an HTTP call keeps its times from the request', () => {
    const exchange: Exchange = {
      ...socket(900),
      request: { ...socket(900).request, method: 'POST', scheme: 'https', path: '/v1/responses' },
      response: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [] },
      streamKind: 'sse',
    };
    const call = analyzeExchange({
      exchange,
      requestText: JSON.stringify({ model: 'gpt-5', stream: true, input: 'hi' }),
      responseText: null,
      sseEvents: [
        { seq: 0, offsetMs: 300, id: null, event: 'response.output_text.delta', data: JSON.stringify(delta('hi')) },
        { seq: 1, offsetMs: 500, id: null, event: 'response.completed', data: JSON.stringify(completed('r', 2, 'hi')) },
      ],
      wsMessages: [],
    });
    expect(call!.ttftMs).toBe(300);
    expect(call!.totalMs).toBe(900);
    expect(call!.turnStartMs).toBeUndefined();
  });
});
