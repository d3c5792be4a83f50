// Gemini CLI signed in with Google (its default) talks to Code Assist, not the Gemini API:
// POST https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse with the
// Gemini request inside an envelope, {model, project, user_prompt_id, request: {contents,
// systemInstruction, tools, generationConfig, session_id}}, and each event's response inside
// {response: {candidates, usageMetadata, modelVersion}, traceId} (gemini-cli 0.61's
// toGenerateContentRequest / fromGenerateContentResponse). Read as a plain Gemini call, the
// conversation, the answer, the tokens and the model were all empty, and its turns had no
// session. The call is read through its envelope, and request.session_id names the session.
// Claude Code releases that send no X-Claude-Code-Session-Id name their session in the body too,
// in metadata.user_id (`user_<hash>_account_<uuid>_session_<uuid>`, or as JSON in 2.1): without
// it, a session was keyed by its first message, and /compact (which rewrites it) split it in two.
import { describe, expect, it } from 'vitest';
import { analyzeExchange } from '../llm/analyze.ts';
import type { ModelCall } from '../llm/model-call.ts';
import { threadKeyOf } from '../llm/thread.ts';
import { turnContextOf } from '../llm/turn-context.ts';
import type { Exchange } from '../model/exchange.ts';
import { valueAt } from '../viewer/app/image-base64.ts';

const PATH = '/v1internal:streamGenerateContent?alt=sse';
const SESSION = '6a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
// A 1x1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const ENV = 'This is the Gemini CLI. We are setting up the context for our chat.\nToday is 2026年12月6日.';

function envelope(contents: unknown[], promptId: string): Record<string, unknown> {
  return {
    model: 'gemini-2.5-pro',
    project: 'gen-lang-client-0123456789',
    user_prompt_id: promptId,
    request: {
      contents,
      systemInstruction: { role: 'user', parts: [{ text: 'You are an interactive CLI agent.' }] },
      tools: [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'object' } }] }],
      generationConfig: { temperature: 0, thinkingConfig: { includeThoughts: true, thinkingBudget: -1 } },
      session_id: SESSION,
    },
  };
}

const wrapped = (response: Record<string, unknown>) => JSON.stringify({ response, traceId: 'a1b2c3d4e5f6' });

const FIRST = [
  { role: 'user', parts: [{ text: ENV }] },
  { role: 'user', parts: [{ text: '读一下 README.md，总结一下' }] },
];
const EVENTS = [
  wrapped({
    candidates: [{ content: { role: 'model', parts: [{ text: '我先读取', thought: false }] } }],
    modelVersion: 'gemini-2.5-pro',
  }),
  wrapped({
    candidates: [
      {
        content: { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'README.md' } } }] },
        finishReason: 'STOP',
      },
    ],
    usageMetadata: { promptTokenCount: 9120, candidatesTokenCount: 31, thoughtsTokenCount: 64, totalTokenCount: 9215 },
    modelVersion: 'gemini-2.5-pro',
  }),
];

function exchange(): Exchange {
  return {
    id: 41,
    uid: 'code-assist',
    request: {
      startedAt: Date.UTC(2026, 11, 6, 2, 0, 0),
      clientAddress: '127.0.0.1:1',
      method: 'POST',
      scheme: 'https',
      host: 'cloudcode-pa.googleapis.com',
      port: 443,
      path: PATH,
      httpVersion: '1.1',
      headers: [['User-Agent', 'GeminiCLI/0.61.0/gemini-2.5-pro (darwin; arm64)']],
    },
    response: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'text/event-stream']] },
    state: 'complete',
    error: null,
    timings: { requestSent: 1, firstByte: 300, end: 900 },
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: 'sse',
    eventCount: EVENTS.length,
    call: null,
    diagnosis: null,
  };
}

function analyzed(request: unknown, events: string[]): ModelCall {
  return analyzeExchange({
    exchange: exchange(),
    requestText: JSON.stringify(request),
    responseText: null,
    sseEvents: events.map((data, seq) => ({ seq, offsetMs: 300 + seq * 100, event: null, id: null, data })),
    wsMessages: [],
  })!;
}

describe("Gemini CLI's Code Assist calls (signed in with Google)", () => {
  it('the model, the conversation, the answer and the tokens are read through the envelope', () => {
    const call = analyzed(envelope(FIRST, 'p-1'), EVENTS);
    expect(call.dialect).toBe('gemini');
    expect(call.requestedModel).toBe('gemini-2.5-pro');
    expect(call.respondedModel).toBe('gemini-2.5-pro');
    expect(call.system).toBe('You are an interactive CLI agent.');
    expect(call.toolsOffered).toEqual(['read_file']);
    expect(call.conversation.filter((t) => t.role === 'user').map((t) => t.text)).toEqual([
      ENV,
      '读一下 README.md，总结一下',
    ]);
    expect(call.answer.text).toBe('我先读取');
    expect(call.answer.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['read_file', { path: 'README.md' }],
    ]);
    expect(call.answer.finishReason).toBe('STOP');
    expect(call.ending).toBe('complete');
    expect(call.usage).toMatchObject({ input: 9120, output: 31, reasoning: 64 });
  });

  it('the session is the one Gemini CLI names in request.session_id, not the shared start of two sessions', () => {
    const first = analyzed(envelope(FIRST, 'p-1'), EVENTS);
    expect(threadKeyOf(exchange(), first, null)).toBe(`session:${SESSION}`);
    // Another session in the same folder on the same day starts with the same environment text.
    const other = envelope(FIRST, 'p-9');
    (other.request as Record<string, unknown>).session_id = 'ffffffff-0000-4000-8000-000000000000';
    expect(threadKeyOf(exchange(), analyzed(other, EVENTS), null)).toBe('session:ffffffff-0000-4000-8000-000000000000');
  });

  it("a turn's context: system, tools with their schema, the messages, the generation settings", () => {
    const context = turnContextOf('gemini', envelope(FIRST, 'p-1'), PATH)!;
    expect(context.model).toBe('gemini-2.5-pro');
    expect(context.system.map((b) => b.text)).toEqual(['You are an interactive CLI agent.']);
    expect(context.tools).toEqual([
      { name: 'read_file', type: 'function', description: null, schema: { type: 'object' } },
    ]);
    expect(context.messages.map((m) => m.blocks[0].text)).toEqual([ENV, '读一下 README.md，总结一下']);
    expect(context.settings).toMatchObject({ temperature: 0 });
    expect(context.reasoning).toEqual({ includeThoughts: true, thinkingBudget: -1 });
  });

  it('an image sent and one returned are located inside the envelope, where the viewer reads them', () => {
    const request = envelope(
      [{ role: 'user', parts: [{ text: '这张图里是什么' }, { inlineData: { mimeType: 'image/png', data: PNG } }] }],
      'p-2',
    );
    const events = [
      wrapped({
        candidates: [
          {
            content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] },
            finishReason: 'STOP',
          },
        ],
      }),
    ];
    const images = analyzed(request, events).images ?? [];
    expect(images.map((i) => [i.side, i.mediaType, i.locator.source])).toEqual([
      ['request', 'image/png', 'request-body'],
      ['response', 'image/png', 'sse-event'],
    ]);
    expect(valueAt(request, images[0].locator.path)).toBe(PNG);
    expect(valueAt(JSON.parse(events[0]), images[1].locator.path)).toBe(PNG);
  });
});

describe("Claude Code's session in metadata.user_id (releases without X-Claude-Code-Session-Id)", () => {
  const SESSION_ID = 'c31ac7cf-56a7-4c0a-b363-2b726377687d';
  const claudeExchange = (): Exchange => ({
    ...exchange(),
    request: {
      ...exchange().request,
      host: 'api.anthropic.com',
      path: '/v1/messages?beta=true',
      headers: [['User-Agent', 'claude-cli/1.0.98 (external, cli)']],
    },
    streamKind: null,
    eventCount: 0,
  });
  const claudeCall = (userId: string, first: string): ModelCall =>
    analyzeExchange({
      exchange: claudeExchange(),
      requestText: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 32000,
        system: [{ type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." }],
        messages: [{ role: 'user', content: [{ type: 'text', text: first }] }],
        metadata: { user_id: userId },
      }),
      responseText: JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: '好的' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 10, output_tokens: 2 },
      }),
      sseEvents: [],
      wsMessages: [],
    })!;

  it('user_<hash>_account_<uuid>_session_<uuid> names the session; a /compact that rewrote the first message stays in it', () => {
    const legacy = `user_${'ab'.repeat(32)}_account__session_${SESSION_ID}`;
    expect(threadKeyOf(claudeExchange(), claudeCall(legacy, '修复登录页'), null)).toBe(`session:${SESSION_ID}`);
    expect(threadKeyOf(claudeExchange(), claudeCall(legacy, 'This session is being continued…'), null)).toBe(
      `session:${SESSION_ID}`,
    );
  });

  it('the JSON form ({device_id, account_uuid, session_id}) names it too; a user_id of neither form does not', () => {
    const json = JSON.stringify({ device_id: 'ab'.repeat(32), account_uuid: '', session_id: SESSION_ID });
    expect(threadKeyOf(claudeExchange(), claudeCall(json, '修复登录页'), null)).toBe(`session:${SESSION_ID}`);
    expect(threadKeyOf(claudeExchange(), claudeCall('customer-42', '修复登录页'), null)).toMatch(/^prefix:/);
  });
});
