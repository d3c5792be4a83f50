// Streams as the providers and relays document them, each cut or failed the way they say it
// happens, rebuilt and diagnosed: the answer that arrived is kept, and the call is said to be
// what it is (failed, cut, still open, complete), never something else.
//
// Sources (reference only):
// - new-api relay/helper/relay_terminal_guard.go (QuantumNous/new-api#7059): when the upstream
//   broke off, new-api used to close the stream as if it had finished (its usage chunk, then
//   `data: [DONE]`, with no finish_reason); it now sends, in every stream it relays, a chunk
//   `{"object":"chat.completion.chunk","choices":[],"error":{"type":"relay_stream_error",...}}`.
//   Its Responses and Claude events go out as `event: TYPE` then `data: JSON` (relay/helper/common.go).
// - OpenAI Chat Completions streaming: every choice of a chunk has `finish_reason`, null until
//   the answer ends; `stream_options.include_usage` adds a last chunk with `choices: []`.
// - OpenAI Responses WebSocket mode: one socket, each turn a `response.create`; a
//   `previous_response_not_found` error is answered by sending the whole input again.
// - Anthropic Messages streaming: message_start, content_block_*, message_delta, message_stop.
import { describe, expect, it } from 'vitest';
import { analyzeExchange, type WsText } from '../llm/analyze.ts';
import { diagnose } from '../llm/diagnose.ts';
import type { ModelCall } from '../llm/model-call.ts';
import type { Exchange, ExchangeState } from '../model/exchange.ts';
import { SseSplitter } from '../model/sse-split.ts';
import { serverText } from '../i18n/stored-text.ts';
import { storedExchange } from './support/exchange-factory.ts';

function exchangeOf(
  path: string,
  status: number | null,
  streamKind: Exchange['streamKind'],
  state: ExchangeState,
  host = 'relay.example',
): Exchange {
  return storedExchange(host, path, {
    uid: 'streams',
    response: status === null ? null : { status, statusText: '', httpVersion: '1.1', headers: [] },
    state,
    error: state === 'upstream_error' ? 'socket hang up' : null,
    streamKind,
  });
}

/** The events of a raw stream, split as the proxy splits them, fed three bytes at a time (a CJK character is three). */
function eventsOf(raw: string) {
  const events: { seq: number; offsetMs: number; event: string | null; id: string | null; data: string }[] = [];
  const splitter = new SseSplitter((e) => events.push({ seq: events.length, offsetMs: 100 + events.length, ...e }));
  const bytes = Buffer.from(raw);
  for (let i = 0; i < bytes.length; i += 3) splitter.write(bytes.subarray(i, i + 3));
  splitter.end();
  return events;
}

/** An SSE event as new-api writes it: `event: TYPE` (when it has one), then `data: JSON`, CRLF-ended. */
function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\r\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\r\n\r\n`;
}

function understood(
  exchange: Exchange,
  request: unknown,
  parts: { raw?: string; responseText?: string | null; ws?: WsText[] },
): { call: ModelCall; en: ReturnType<typeof diagnose>; zh: ReturnType<typeof diagnose> } {
  const responseText = parts.responseText ?? null;
  const call = analyzeExchange({
    exchange,
    requestText: JSON.stringify(request),
    responseText,
    sseEvents: parts.raw === undefined ? [] : eventsOf(parts.raw),
    wsMessages: parts.ws ?? [],
  })!;
  const ctx = { exchange, call, responseText, earlier: [], modelsListed: null };
  return { call, en: diagnose(ctx, 'en'), zh: diagnose(ctx, 'zh-CN') };
}

/** new-api's failure chunk, as relay_terminal_guard.go writes it after an upstream reset. */
const RELAY_FAILURE = {
  id: 'relay-error-scanner_error',
  object: 'chat.completion.chunk',
  choices: [],
  error: {
    message: 'stream relay failure: scanner_error: read tcp: connection reset by peer',
    type: 'relay_stream_error',
    code: 'upstream_stream_failure_scanner_error',
    param: null,
  },
};

describe("a relay's own failure chunk inside a 200 stream is the call's error, in every dialect", () => {
  it('Responses API: the text that arrived is kept, and the call failed with the relay’s words', () => {
    const raw =
      sse(
        { type: 'response.created', response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress', output: [] } },
        'response.created',
      ) +
      sse(
        { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: '部分回答' },
        'response.output_text.delta',
      ) +
      sse(RELAY_FAILURE) +
      sse('[DONE]');
    const { call, en, zh } = understood(exchangeOf('/v1/responses', 200, 'sse', 'complete'), { stream: true }, { raw });
    expect(call.ending).toBe('error');
    expect(call.endingReason).toContain('stream relay failure: scanner_error');
    expect(call.answer.text).toBe('部分回答');
    expect(call.respondedModel).toBe('gpt-5');
    expect(en[0].rule).toBe('stream-error');
    expect(en[0].summary).toContain('The stream began with 200 and then failed');
    expect(en[0].summary).toContain('stream relay failure');
    expect(zh[0].summary).toContain('流以 200 开始，随后出错');
  });

  it('Anthropic Messages: the text and the usage that arrived are kept, and the call failed', () => {
    const raw =
      sse(
        {
          type: 'message_start',
          message: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5',
            content: [],
            stop_reason: null,
            usage: { input_tokens: 25, output_tokens: 1 },
          },
        },
        'message_start',
      ) +
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start') +
      sse({ type: 'ping' }, 'ping') +
      sse(
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '你好，' } },
        'content_block_delta',
      ) +
      sse(RELAY_FAILURE) +
      sse('[DONE]');
    const { call, en, zh } = understood(exchangeOf('/v1/messages', 200, 'sse', 'complete'), { stream: true }, { raw });
    expect(call.ending).toBe('error');
    expect(call.endingReason).toContain('stream relay failure: scanner_error');
    expect(call.answer.text).toBe('你好，');
    expect(call.usage).toEqual({ input: 25, output: 1 });
    expect(en[0].rule).toBe('stream-error');
    expect(zh[0].summary).toContain('流以 200 开始，随后出错');
  });

  it('Chat Completions: the same chunk', () => {
    const raw =
      sse({
        id: 'c1',
        model: 'deepseek-chat',
        choices: [{ index: 0, delta: { content: '部分' }, finish_reason: null }],
      }) +
      sse(RELAY_FAILURE) +
      sse('[DONE]');
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'),
      { stream: true },
      { raw },
    );
    expect(call.ending).toBe('error');
    expect(call.answer.text).toBe('部分');
    expect(en[0].rule).toBe('stream-error');
  });
});

describe('a Chat Completions stream closed with [DONE] whose answer never got its finish_reason', () => {
  // new-api before its terminal guard: the upstream broke off, and it still sent its usage chunk and [DONE].
  const deltas =
    sse({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      model: 'gpt-4o',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    }) +
    sse({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      model: 'gpt-4o',
      choices: [{ index: 0, delta: { content: '快速排序的思路是' }, finish_reason: null }],
    });
  const usage = sse({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o',
    choices: [],
    usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
  });

  it('is cut, with what arrived kept, and diagnosed as a stream a relay closed as if it had finished', () => {
    const { call, en, zh } = understood(
      exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'),
      { stream: true, stream_options: { include_usage: true } },
      { raw: deltas + usage + sse('[DONE]') },
    );
    expect(call.ending).toBe('truncated');
    expect(call.answer.text).toBe('快速排序的思路是');
    expect(call.answer.finishReason).toBeNull();
    expect(call.usage).toEqual({ input: 12, output: 8, total: 20 });
    expect(en[0].rule).toBe('truncated-stream');
    expect(en[0].summary).toContain('closed with data: [DONE], but the answer never got its finish_reason');
    expect(zh[0].summary).toContain('回答一直没有 finish_reason');
  });

  it('while the same stream with its finish_reason is complete, and nothing is diagnosed', () => {
    const finish = sse({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      model: 'gpt-4o',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    });
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'),
      { stream: true, stream_options: { include_usage: true } },
      { raw: deltas + finish + usage + sse('[DONE]') },
    );
    expect(call.ending).toBe('complete');
    expect(call.answer.finishReason).toBe('stop');
    expect(en).toEqual([]);
  });
});

describe('an answer not streamed whose JSON body stopped partway', () => {
  const whole = JSON.stringify({
    id: 'chatcmpl-2',
    object: 'chat.completion',
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: '你好！有什么可以帮你？' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  });
  const cut = whole.slice(0, whole.indexOf('有什么'));

  it('is cut when the provider reset the connection, and said so of the body, not of a stream', () => {
    const { call, en, zh } = understood(
      exchangeOf('/v1/chat/completions', 200, null, 'upstream_error'),
      {},
      { responseText: cut },
    );
    expect(call.ending).toBe('truncated');
    expect(call.endingReason).toContain('upstream error');
    expect(en[0].rule).toBe('truncated-stream');
    expect(en[0].summary).toBe('The answer stopped before its JSON body ended: the provider reset the connection.');
    expect(zh[0].summary).toBe('回答的 JSON 正文还没传完就断了：服务商重置了连接。');
  });

  it('is cut when the client closed the connection, and the fix looks at the client', () => {
    const { call, en } = understood(exchangeOf('/v1/messages', 200, null, 'aborted'), {}, { responseText: cut });
    expect(call.ending).toBe('truncated');
    expect(en[0].summary).toContain('the client closed the connection');
    expect(en[0].fix).toContain("client's timeout");
  });

  it('is open while its body is still arriving: nothing is diagnosed', () => {
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, null, 'streaming'),
      {},
      { responseText: cut },
    );
    expect(call.ending).toBe('open');
    expect(en).toEqual([]);
  });

  it('is complete when the whole body came', () => {
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, null, 'complete'),
      {},
      { responseText: whole },
    );
    expect(call.ending).toBe('complete');
    expect(call.answer.text).toBe('你好！有什么可以帮你？');
    expect(en).toEqual([]);
  });
});

describe('a Responses WebSocket: the call is the last turn, answered by what came after its response.create', () => {
  let seq = 0;
  const send = (body: object): WsText => ({
    seq: seq++,
    direction: 'send',
    offsetMs: seq * 10,
    text: JSON.stringify({ type: 'response.create', ...body }),
  });
  const receive = (body: object): WsText => ({
    seq: seq++,
    direction: 'receive',
    offsetMs: seq * 10,
    text: JSON.stringify(body),
  });
  const notFound = {
    type: 'error',
    status: 400,
    error: {
      type: 'invalid_request_error',
      code: 'previous_response_not_found',
      message: "Previous response with id 'resp_old' not found.",
      param: 'previous_response_id',
    },
  };
  const answered = (id: string, text: string) => [
    receive({ type: 'response.created', response: { id, model: 'gpt-5-codex', status: 'in_progress', output: [] } }),
    receive({ type: 'response.output_text.delta', item_id: 'm', output_index: 0, content_index: 0, delta: text }),
    receive({
      type: 'response.completed',
      response: {
        id,
        model: 'gpt-5-codex',
        status: 'completed',
        output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
        usage: { input_tokens: 40, output_tokens: 2, total_tokens: 42 },
      },
    }),
  ];

  it('an error the client recovered from on the same socket (previous_response_not_found, then the whole input) is not the call’s', () => {
    const ws = [
      send({ model: 'gpt-5-codex', previous_response_id: 'resp_old', input: [{ role: 'user', content: 'next' }] }),
      receive(notFound),
      send({
        model: 'gpt-5-codex',
        input: [
          { role: 'user', content: 'first' },
          { role: 'user', content: 'next' },
        ],
      }),
      ...answered('resp_new', 'Done.'),
    ];
    const exchange = exchangeOf('/v1/responses', 101, 'websocket', 'complete');
    const { call, en } = understood(exchange, {}, { ws });
    expect(call.ending).toBe('complete');
    expect(call.endingReason).toBeNull();
    expect(call.answer.text).toBe('Done.');
    expect(call.inputCount).toBe(2);
    expect(call.responseId).toBe('resp_new');
    expect(call.usage).toEqual({ input: 40, output: 2, total: 42 });
    expect(en).toEqual([]);
  });

  it('while an error in the last turn, after an earlier turn that completed, is the call’s error', () => {
    const ws = [
      send({ model: 'gpt-5-codex', input: [{ role: 'user', content: 'first' }] }),
      ...answered('resp_1', 'One.'),
      send({ model: 'gpt-5-codex', previous_response_id: 'resp_1', input: [{ role: 'user', content: 'next' }] }),
      receive(notFound),
    ];
    const { call, en } = understood(exchangeOf('/v1/responses', 101, 'websocket', 'complete'), {}, { ws });
    expect(call.ending).toBe('error');
    expect(call.endingReason).toContain('previous_response_not_found');
    expect(call.answer.text).toBe('');
    expect(en[0].rule).toBe('stream-error');
  });
});

describe("Anthropic's message_delta usage: cumulative counts replace message_start's, null ones say nothing", () => {
  const start = sse(
    {
      type: 'message_start',
      message: {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 2095, cache_read_input_tokens: 1800, cache_creation_input_tokens: 0, output_tokens: 1 },
      },
    },
    'message_start',
  );
  const text =
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start') +
    sse(
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      'content_block_delta',
    ) +
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
  const delta = (usage: object) =>
    sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage }, 'message_delta') +
    sse({ type: 'message_stop' }, 'message_stop');

  it('a proxy that sends the optional input and cache counts as null keeps those of message_start', () => {
    const raw =
      start +
      text +
      delta({
        input_tokens: null,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens: 503,
      });
    const { call } = understood(exchangeOf('/v1/messages', 200, 'sse', 'complete'), { stream: true }, { raw });
    expect(call.ending).toBe('complete');
    expect(call.usage).toEqual({ input: 2095, output: 503, cacheRead: 1800, cacheCreation: 0 });
  });

  it('counts message_delta sends replace those of message_start', () => {
    const raw = start + text + delta({ input_tokens: 2100, cache_read_input_tokens: 1800, output_tokens: 503 });
    const { call } = understood(exchangeOf('/v1/messages', 200, 'sse', 'complete'), { stream: true }, { raw });
    expect(call.usage).toEqual({ input: 2100, output: 503, cacheRead: 1800, cacheCreation: 0 });
    expect(call.answer).toMatchObject({ text: 'Hello', finishReason: 'end_turn' });
  });
});

describe("Responses API tools the client runs, called by their own item types, are the answer's tool calls", () => {
  // Output items as the Responses API reference describes them: local_shell_call (action exec),
  // shell_call (action commands), apply_patch_call (operation), computer_call (action); each
  // answered by the client with a *_call_output item naming its call_id.
  const localShell = {
    type: 'local_shell_call',
    id: 'lsh_1',
    call_id: 'call_ls',
    status: 'completed',
    action: { type: 'exec', command: ['ls', '-la'], env: {}, working_directory: '/repo' },
  };
  const applyPatch = {
    type: 'apply_patch_call',
    id: 'apc_1',
    call_id: 'call_patch',
    status: 'completed',
    operation: { type: 'update_file', path: 'src/排序.ts', diff: '@@\n-a\n+b\n' },
  };
  const shell = {
    type: 'shell_call',
    id: 'sh_1',
    call_id: 'call_sh',
    status: 'completed',
    action: { commands: ['npm test'], timeout_ms: 120000 },
  };
  const computer = {
    type: 'computer_call',
    id: 'cu_1',
    call_id: 'call_cu',
    status: 'completed',
    action: { type: 'click', button: 'left', x: 100, y: 200 },
    pending_safety_checks: [],
  };
  const calls = [
    { id: 'call_ls', name: 'local_shell', arguments: JSON.stringify(localShell.action) },
    { id: 'call_patch', name: 'apply_patch', arguments: JSON.stringify(applyPatch.operation) },
    { id: 'call_sh', name: 'shell', arguments: JSON.stringify(shell.action) },
    { id: 'call_cu', name: 'computer', arguments: JSON.stringify(computer.action) },
  ];
  const response = {
    id: 'resp_tools',
    object: 'response',
    model: 'gpt-5.1',
    status: 'completed',
    output: [localShell, applyPatch, shell, computer],
    usage: { input_tokens: 50, output_tokens: 30, total_tokens: 80 },
  };

  it('in a response not streamed', () => {
    const { call } = understood(
      exchangeOf('/v1/responses', 200, null, 'complete'),
      {},
      { responseText: JSON.stringify(response) },
    );
    expect(call.answer.toolCalls).toEqual(calls);
    expect(call.ending).toBe('complete');
  });

  it('in a stream, from response.completed, and from the items alone when the stream was cut before it', () => {
    const items = [localShell, applyPatch, shell, computer];
    const added = items
      .map((item, output_index) =>
        sse(
          { type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress' } },
          'response.output_item.added',
        ),
      )
      .join('');
    const done = items
      .map((item, output_index) =>
        sse({ type: 'response.output_item.done', output_index, item }, 'response.output_item.done'),
      )
      .join('');
    const created = sse(
      { type: 'response.created', response: { ...response, status: 'in_progress', output: [], usage: null } },
      'response.created',
    );
    const completed = sse({ type: 'response.completed', response }, 'response.completed');
    const whole = understood(
      exchangeOf('/v1/responses', 200, 'sse', 'complete'),
      { stream: true },
      {
        raw: created + added + done + completed,
      },
    );
    expect(whole.call.answer.toolCalls).toEqual(calls);
    expect(whole.call.ending).toBe('complete');
    const cut = understood(
      exchangeOf('/v1/responses', 200, 'sse', 'upstream_error'),
      { stream: true },
      {
        raw: created + added + done,
      },
    );
    expect(cut.call.answer.toolCalls).toEqual(calls);
    expect(cut.call.ending).toBe('truncated');
  });

  it('in the conversation sent back: the call, then its output as the tool turn', () => {
    const request = {
      model: 'gpt-5.1',
      input: [
        { role: 'user', content: '列出文件' },
        localShell,
        { type: 'local_shell_call_output', call_id: 'call_ls', output: 'README.md\nsrc\n' },
        applyPatch,
        { type: 'apply_patch_call_output', call_id: 'call_patch', status: 'completed', output: 'Updated src/排序.ts' },
      ],
    };
    const { call } = understood(exchangeOf('/v1/responses', 200, null, 'complete'), request, {
      responseText: JSON.stringify({ ...response, output: [] }),
    });
    expect(call.conversation).toEqual([
      { role: 'user', text: '列出文件' },
      { role: 'assistant', text: '', toolCalls: [calls[0]] },
      { role: 'tool', text: 'README.md\nsrc\n', toolCallId: 'call_ls' },
      { role: 'assistant', text: '', toolCalls: [calls[1]] },
      { role: 'tool', text: 'Updated src/排序.ts', toolCallId: 'call_patch' },
    ]);
  });
});

describe('a JSON answer that begins with a byte order mark (RFC 8259 8.1: a parser may ignore it)', () => {
  const answer = {
    id: 'chatcmpl-3',
    object: 'chat.completion',
    model: 'qwen-plus',
    choices: [{ index: 0, message: { role: 'assistant', content: '好的' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };

  it('is read as the answer it is', () => {
    const { call } = understood(
      exchangeOf('/v1/chat/completions', 200, null, 'complete'),
      {},
      {
        responseText: `\uFEFF${JSON.stringify(answer)}`,
      },
    );
    expect(call.answer).toMatchObject({ text: '好的', finishReason: 'stop' });
    expect(call.usage).toEqual({ input: 3, output: 2, total: 5 });
    expect(call.ending).toBe('complete');
  });

  it("a relay's error answered with 200 is still found", () => {
    const error = { error: { message: '当前分组上游负载已饱和，请稍后再试', type: 'new_api_error' } };
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, null, 'complete'),
      {},
      {
        responseText: `\uFEFF${JSON.stringify(error)}`,
      },
    );
    expect(call.ending).toBe('error');
    expect(call.endingReason).toBe('当前分组上游负载已饱和，请稍后再试');
    expect(en[0].rule).toBe('stream-error');
  });
});

describe("Chat Completions' deprecated function_call (the functions API) is a tool call", () => {
  it('in an answer not streamed, and in the conversation sent back', () => {
    const request = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: '北京天气' },
        { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"上海"}' } },
        { role: 'function', name: 'get_weather', content: '{"temp":20}' },
      ],
      functions: [{ name: 'get_weather', parameters: { type: 'object' } }],
    };
    const response = {
      id: 'chatcmpl-4',
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            function_call: { name: 'get_weather', arguments: '{"city":"北京"}' },
          },
          finish_reason: 'function_call',
        },
      ],
    };
    const { call } = understood(exchangeOf('/v1/chat/completions', 200, null, 'complete'), request, {
      responseText: JSON.stringify(response),
    });
    expect(call.answer.toolCalls).toEqual([{ id: null, name: 'get_weather', arguments: '{"city":"北京"}' }]);
    expect(call.answer.finishReason).toBe('function_call');
    expect(call.conversation[1]).toMatchObject({
      role: 'assistant',
      toolCalls: [{ id: null, name: 'get_weather', arguments: '{"city":"上海"}' }],
    });
  });

  it('streamed: its name and arguments put back together from the deltas', () => {
    const chunk = (delta: object, finish: string | null = null) =>
      sse({
        id: 'c5',
        object: 'chat.completion.chunk',
        model: 'gpt-4o',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const raw =
      chunk({ role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '' } }) +
      chunk({ function_call: { arguments: '{"city":' } }) +
      chunk({ function_call: { arguments: '"北京"}' } }) +
      chunk({}, 'function_call') +
      sse('[DONE]');
    const { call, en } = understood(
      exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'),
      { stream: true },
      {
        raw,
      },
    );
    expect(call.answer.toolCalls).toEqual([{ id: null, name: 'get_weather', arguments: '{"city":"北京"}' }]);
    expect(call.ending).toBe('complete');
    expect(call.ttftMs).not.toBeNull();
    expect(en).toEqual([]);
  });
});

describe('OpenRouter: an error while the model produces its output comes inside the 200 stream', () => {
  // OpenRouter's streaming reference ("Handling Errors During Streaming"): a chunk with a top-level
  // `error` ({code, message}) and its choice ended with finish_reason "error"; its error reference:
  // once the model started, the status stays 200 and the error is an SSE data event.
  const first = sse({
    id: 'gen-1',
    object: 'chat.completion.chunk',
    model: 'openai/gpt-4o',
    provider: 'OpenAI',
    choices: [{ index: 0, delta: { role: 'assistant', content: '第一段' }, finish_reason: null }],
  });

  it('is the call’s error, said to be behind the relay (the provider failed), not the relay itself', () => {
    const raw =
      first +
      ': OPENROUTER PROCESSING\r\n\r\n' +
      sse({
        id: 'gen-1',
        object: 'chat.completion.chunk',
        created: 1234567890,
        model: 'openai/gpt-4o',
        provider: 'OpenAI',
        error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      }) +
      sse('[DONE]');
    const { call, en, zh } = understood(
      exchangeOf('/api/v1/chat/completions', 200, 'sse', 'complete', 'openrouter.ai'),
      { stream: true },
      { raw },
    );
    expect(call.ending).toBe('error');
    expect(call.endingReason).toBe('Provider disconnected unexpectedly (server_error)');
    expect(call.answer.text).toBe('第一段');
    expect(en[0].rule).toBe('stream-error');
    expect(en[0].summary).toBe(
      'The stream began with 200 and then failed: the model provider it forwards to failed ("Provider disconnected unexpectedly (server_error)").',
    );
    expect(en[0].fix).toContain('pick another provider/model');
    expect(zh[0].summary).toContain('它转发到的上游服务商出错了');
  });

  it('a choice that ended with finish_reason "error" and nothing more is still the call’s error', () => {
    const raw =
      first +
      sse({
        id: 'gen-1',
        object: 'chat.completion.chunk',
        model: 'openai/gpt-4o',
        choices: [{ index: 0, delta: {}, finish_reason: 'error' }],
      }) +
      sse('[DONE]');
    const { call, en } = understood(
      exchangeOf('/api/v1/chat/completions', 200, 'sse', 'complete', 'openrouter.ai'),
      { stream: true },
      { raw },
    );
    expect(call.ending).toBe('error');
    expect(call.endingReason).toBe('the answer ended with finish_reason "error"');
    expect(en[0].rule).toBe('stream-error');
  });

  it('not streamed: the error beside the choice fails the call', () => {
    const response = {
      id: 'gen-2',
      object: 'chat.completion',
      model: 'openai/gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '' },
          finish_reason: 'error',
          error: { code: 502, message: 'Upstream provider returned an invalid response' },
        },
      ],
    };
    const { call, en } = understood(
      exchangeOf('/api/v1/chat/completions', 200, null, 'complete', 'openrouter.ai'),
      {},
      { responseText: JSON.stringify(response) },
    );
    expect(call.ending).toBe('error');
    expect(call.endingReason).toBe('Upstream provider returned an invalid response (502)');
    expect(en[0].rule).toBe('stream-error');
    expect(en[0].summary).toContain('The answer came with status 200 but is an error');
  });
});

describe('legacy completions (POST /v1/completions) streamed: the same endings as Chat Completions', () => {
  const piece = (text: string, finish: string | null = null) =>
    sse({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1700000000,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    });

  it('complete with its finish_reason and [DONE]', () => {
    const { call, en } = understood(
      exchangeOf('/v1/completions', 200, 'sse', 'complete'),
      { stream: true },
      {
        raw: piece('从前') + piece('有座山', 'stop') + sse('[DONE]'),
      },
    );
    expect(call.ending).toBe('complete');
    expect(call.answer).toMatchObject({ text: '从前有座山', finishReason: 'stop' });
    expect(en).toEqual([]);
  });

  it('cut when [DONE] closed it with no finish_reason', () => {
    const { call, en } = understood(
      exchangeOf('/v1/completions', 200, 'sse', 'complete'),
      { stream: true },
      {
        raw: piece('从前') + sse('[DONE]'),
      },
    );
    expect(call.ending).toBe('truncated');
    expect(en[0].rule).toBe('truncated-stream');
    expect(en[0].summary).toContain('never got its finish_reason');
  });

  it("failed when a chunk carries an error (OpenRouter's mid-stream error)", () => {
    const error = sse({
      id: 'cmpl-1',
      object: 'text_completion',
      error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
      choices: [{ text: '', index: 0, finish_reason: 'error' }],
    });
    const { call, en } = understood(
      exchangeOf('/api/v1/completions', 200, 'sse', 'complete', 'openrouter.ai'),
      { stream: true },
      { raw: piece('从前') + error + sse('[DONE]') },
    );
    expect(call.ending).toBe('error');
    expect(call.endingReason).toBe('Provider disconnected unexpectedly (server_error)');
    expect(call.answer.text).toBe('从前');
    expect(en[0].rule).toBe('stream-error');
  });
});

describe('a stream whose events wirelog stopped splitting out is not said to be cut by the provider', () => {
  // proxy/forward.ts records why (a compressed stream still decoding after it ended, one that does
  // not decode, one decoded past its bound): the client got every byte, the record lacks events.
  const raw = sse({
    id: 'c6',
    model: 'gpt-4o',
    choices: [{ index: 0, delta: { content: '很长的回答' }, finish_reason: null }],
  });
  const notSplit = serverText('en', 'stored.eventsNotSplit', {
    why: serverText('en', 'stored.stillDecoding', { seconds: 10 }),
  });

  it('ended cleanly: no diagnosis, the record is what is incomplete', () => {
    const exchange = { ...exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'), error: notSplit };
    const { call, en } = understood(exchange, { stream: true }, { raw });
    expect(call.ending).toBe('truncated');
    expect(en).toEqual([]);
  });

  it('while the same record without that note is a stream the provider cut', () => {
    const { en } = understood(exchangeOf('/v1/chat/completions', 200, 'sse', 'complete'), { stream: true }, { raw });
    expect(en[0].rule).toBe('truncated-stream');
    expect(en[0].summary).toContain('the provider ended the stream without its final event');
  });

  it('a client that closed the connection is known from the connection, not the events: still said', () => {
    const exchange = {
      ...exchangeOf('/v1/chat/completions', 200, 'sse', 'aborted'),
      error: `the client closed the connection before the response ended; ${notSplit}`,
    };
    const { en } = understood(exchange, { stream: true }, { raw });
    expect(en[0].rule).toBe('truncated-stream');
    expect(en[0].summary).toContain('the client closed the connection');
  });
});

describe('Anthropic tool_use: its input as the Anthropic SDK accumulates it', () => {
  // The SDK's MessageStream keeps the block content_block_start gave, then builds `input` from the
  // input_json_delta pieces: a block whose start already held its input, with no delta after, keeps it.
  const stream = (input: object, deltas: string[]) =>
    sse(
      {
        type: 'message_start',
        message: { id: 'msg_3', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 9, output_tokens: 1 } },
      },
      'message_start',
    ) +
    sse(
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input },
      },
      'content_block_start',
    ) +
    deltas
      .map((partial_json) =>
        sse(
          { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json } },
          'content_block_delta',
        ),
      )
      .join('') +
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop') +
    sse({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } }, 'message_delta') +
    sse({ type: 'message_stop' }, 'message_stop');
  const callOf = (raw: string) =>
    understood(exchangeOf('/v1/messages', 200, 'sse', 'complete'), { stream: true }, { raw }).call.answer.toolCalls;

  it('from its deltas, as documented (the start holds {})', () => {
    expect(callOf(stream({}, ['', '{"city": "北', '京"}']))).toEqual([
      { id: 'toolu_1', name: 'get_weather', arguments: '{"city": "北京"}' },
    ]);
  });

  it('from its start block when no delta came', () => {
    expect(callOf(stream({ city: '北京' }, []))).toEqual([
      { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"北京"}' },
    ]);
  });

  it('{} when it takes no input', () => {
    expect(callOf(stream({}, []))).toEqual([{ id: 'toolu_1', name: 'get_weather', arguments: '{}' }]);
  });
});
