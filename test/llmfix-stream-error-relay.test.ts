import { describe, expect, it } from 'vitest';
import { analyzeExchange } from '../llm/analyze.ts';
import { diagnose } from '../llm/diagnose.ts';
import type { Exchange, SseEvent } from '../model/exchange.ts';
import { storedExchange } from './support/exchange-factory.ts';

// An error that arrives inside a stream the answering host began with 200. Anthropic documents
// that an error can come after the 200 of a stream (`event: error`), typed as in its HTTP errors:
// overloaded_error (529) and api_error (500) are Anthropic's own. A relay (OpenRouter, a new-api
// site) that began the stream had reached the provider and passes its error on: the failure is
// behind the relay, whatever dialect carries it. A relay names its own failures by its own type
// (new-api's new_api_error, one-api's one_api_error).

const exchangeAt = (host: string, path: string): Exchange => storedExchange(host, path, { id: 3, uid: 'stream-error' });

const events = (list: [string | null, object][]): SseEvent[] =>
  list.map(([event, data], seq) => ({ seq, offsetMs: 100 * (seq + 1), event, id: null, data: JSON.stringify(data) }));

/** Anthropic's stream: message_start, then its documented error event. */
function anthropicFailing(type: string, message: string): SseEvent[] {
  return events([
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          usage: {},
        },
      },
    ],
    ['error', { type: 'error', error: { type, message } }],
  ]);
}

/** A Chat Completions stream whose error chunk is the relay's own (new-api's type). */
function chatFailing(type: string, message: string): SseEvent[] {
  return events([
    [null, { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant' } }] }],
    [null, { error: { type, message } }],
  ]);
}

function diagnosed(host: string, path: string, sse: SseEvent[], request: object, lang: 'en' | 'zh-CN' = 'en') {
  const exchange = exchangeAt(host, path);
  const call = analyzeExchange({
    exchange,
    requestText: JSON.stringify(request),
    responseText: null,
    sseEvents: sse,
    wsMessages: [],
  });
  expect(call?.ending).toBe('error');
  return diagnose({ exchange, call, responseText: null, earlier: [], modelsListed: null, lang })[0];
}

const messages = {
  model: 'claude-sonnet-4-5',
  stream: true,
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi' }],
};
const chat = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] };

describe("a provider's error inside a stream a relay began with 200 is behind the relay", () => {
  for (const [type, message] of [
    ['overloaded_error', 'Overloaded'],
    ['api_error', 'Internal server error'],
  ]) {
    it(`Anthropic ${type} through a relay: the provider behind it failed, pick another provider/model`, () => {
      const d = diagnosed('openrouter.ai', '/api/v1/messages', anthropicFailing(type, message), messages);
      expect(d.rule).toBe('stream-error');
      expect(d.summary).toBe(
        `The stream began with 200 and then failed: the model provider it forwards to failed ("${message} (${type})").`,
      );
      expect(d.summary).not.toMatch(/relay itself/);
      expect(d.fix).toMatch(/pick another provider\/model on the relay/);
      const zh = diagnosed('openrouter.ai', '/api/v1/messages', anthropicFailing(type, message), messages, 'zh-CN');
      expect(zh.summary).toContain('上游服务商出错了');
      expect(zh.fix).toContain('换个渠道/模型');
    });
  }

  it('the same overload from Anthropic itself says the provider is overloaded', () => {
    const d = diagnosed(
      'api.anthropic.com',
      '/v1/messages',
      anthropicFailing('overloaded_error', 'Overloaded'),
      messages,
    );
    expect(d.summary).toMatch(/api\.anthropic\.com, the provider itself, is overloaded/);
  });

  it("an error the relay types as its own (new-api's new_api_error) is the relay's", () => {
    const d = diagnosed('x666.me', '/v1/chat/completions', chatFailing('new_api_error', 'count_token_failed'), chat);
    expect(d.summary).toMatch(/the relay itself failed \("count_token_failed \(new_api_error\)"\)/);
    expect(d.fix).toMatch(/report it to the relay/);
  });
});
