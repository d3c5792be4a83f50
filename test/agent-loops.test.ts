// Issue 26's smaller promises, as functions fed in memory: doctor's comparison names a Gemini
// call's model from its path, and "Try this fix" raises an output limit in the field the
// diagnosis names for the dialect. What the readers make of recorded bytes is in the fixtures
// (test/fixtures/llm, test/fixtures/diagnoses), served through wirelog by fixtures-proxy.test.ts.
import { describe, expect, it } from 'vitest';
import { compareExchanges, differenceLine } from '../model/exchange-diff.ts';
import type { Exchange } from '../model/exchange.ts';
import { fixEdits } from '../replay/fix.ts';
import { harFlow } from './support/exchange-factory.ts';

function exchange(id: number, path: string, status: number, body: unknown, model: string | null): Exchange {
  const { exchange } = harFlow({
    request: { host: 'zenmux.ai', path, headers: [['User-Agent', 'CherryStudio/1.5.3']] },
    response: { status },
    requestBody: [JSON.stringify(body), 'application/json'],
  });
  return {
    ...exchange,
    id,
    call:
      model === null
        ? null
        : { dialect: 'x', model, inputTokens: null, outputTokens: null, usage: {}, ttftMs: null, threadKey: null },
  };
}

describe('doctor compares a failed Gemini call with the call that worked', () => {
  it('names the model from the path, never "undefined"', () => {
    const gemini = { contents: [{ role: 'user', parts: [{ text: 'draw a cat' }] }] };
    const failed = exchange(
      7,
      '/api/vertex-ai/v1/models/gemini-3-pro-image-preview:generateContent',
      404,
      gemini,
      'gemini-3-pro-image-preview',
    );
    const working = exchange(
      5,
      '/api/v1/chat/completions',
      200,
      { model: 'openai/gpt-5', messages: [{ role: 'user', content: 'hi' }] },
      'openai/gpt-5',
    );
    const line = differenceLine(
      failed,
      working,
      compareExchanges(
        { exchange: failed, requestText: JSON.stringify(gemini), responseText: null },
        { exchange: working, requestText: JSON.stringify({ model: 'openai/gpt-5', messages: [] }), responseText: null },
      ),
    );
    expect(line).not.toContain('undefined');
    expect(line).toContain('with no key and model "openai/gpt-5"');
    expect(line).toContain('generateContent with no key and model "gemini-3-pro-image-preview"');
  });
});

describe('"Try this fix" for an answer cut at its output limit', () => {
  const sources = { bodyText: null, workingKey: () => null };
  it("puts Gemini's limit in generationConfig.maxOutputTokens, not a max_tokens Gemini ignores", () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'a long story' }] }] };
    const e = exchange(1, '/v1beta/models/gemini-2.5-flash:generateContent', 200, body, 'gemini-2.5-flash');
    const edits = fixEdits(
      e,
      { kind: 'max-tokens', maxTokens: 2000, field: 'generationConfig.maxOutputTokens' },
      {},
      { ...sources, bodyText: JSON.stringify(body) },
    );
    expect(JSON.parse(edits.body!)).toEqual({ ...body, generationConfig: { maxOutputTokens: 2000 } });
  });
  it('keeps the field a body already uses (max_completion_tokens)', () => {
    const body = { model: 'o4-mini', max_completion_tokens: 100, messages: [] };
    const e = exchange(1, '/v1/chat/completions', 200, body, 'o4-mini');
    const edits = fixEdits(
      e,
      { kind: 'max-tokens', maxTokens: 200, field: 'max_tokens' },
      {},
      { ...sources, bodyText: JSON.stringify(body) },
    );
    expect(JSON.parse(edits.body!)).toEqual({ ...body, max_completion_tokens: 200 });
  });
});
