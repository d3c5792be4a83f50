// What a call cost, from calls made in memory: the provider's figure wins, an official host's known
// model is estimated from the bundled price table (with the price and its date), a relay or an unknown
// model is "price unknown", and cache reads and writes are priced at their own rates.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PRICE_TABLE,
  cacheHitRate,
  callCost,
  groupSource,
  priceUsage,
  providerOfHost,
  type PricedCall,
} from '../llm/cost.ts';

const AT = Date.UTC(2026, 10, 24, 10, 0, 0);
const call = (parts: Partial<PricedCall>): PricedCall => ({
  host: 'api.openai.com',
  model: 'gpt-4o',
  dialect: 'openai-chat',
  usage: {},
  startedAt: AT,
  ...parts,
});
/** Dollars for tokens at a rate per million. */
const at = (tokens: number, perMTok: number) => (tokens * perMTok) / 1e6;

describe('the cost of one call', () => {
  it("the provider's own figure wins over any estimate (OpenRouter's usage.cost)", () => {
    expect(
      callCost(
        call({ host: 'openrouter.ai', model: 'openai/gpt-4o', usage: { input: 1000, output: 100, cost: 0.0123 } }),
      ),
    ).toEqual({ source: 'provider', usd: 0.0123 });
    // Even on a host the table prices: the figure reported is what was charged.
    expect(callCost(call({ usage: { input: 1000, output: 100, cost: 0.5 } }))).toEqual({
      source: 'provider',
      usd: 0.5,
    });
    // And on a relay, whose prices are its own.
    expect(callCost(call({ host: 'relay.example.com', usage: { input: 1000, output: 100, cost: 0.07 } }))).toEqual({
      source: 'provider',
      usd: 0.07,
    });
  });

  it('a known model on its provider’s own API is estimated, with the price used and the table’s date', () => {
    const cost = callCost(call({ usage: { input: 1000, output: 100 } }));
    expect(cost.source).toBe('estimated');
    if (cost.source !== 'estimated') return;
    // gpt-4o: $2.50 input, $10 output per million tokens in the 0.1.8 table.
    expect(cost.usd).toBeCloseTo(at(1000, 2.5) + at(100, 10), 12);
    expect(cost.price).toMatchObject({
      provider: 'OpenAI',
      inputPerMTok: 2.5,
      outputPerMTok: 10,
      table: '@pydantic/genai-prices 0.1.8',
      date: '2026-09-23',
      tiered: false,
    });
  });

  it('cache reads and writes are priced at their own rates (Anthropic input leaves them out; OpenAI input holds them)', () => {
    // claude-sonnet-4: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
    const anthropic = callCost(
      call({
        host: 'api.anthropic.com',
        model: 'claude-sonnet-4-20250514',
        dialect: 'anthropic-messages',
        usage: { input: 100, cacheRead: 1000, cacheCreation: 2000, output: 50 },
      }),
    );
    expect(anthropic.source).toBe('estimated');
    expect(anthropic.usd).toBeCloseTo(at(100, 3) + at(1000, 0.3) + at(2000, 3.75) + at(50, 15), 12);
    // gpt-4o: cached input $1.25; 800 of the 1000 input tokens were read from the cache.
    const openai = callCost(call({ usage: { input: 1000, cacheRead: 800, output: 10 } }));
    expect(openai.usd).toBeCloseTo(at(200, 2.5) + at(800, 1.25) + at(10, 10), 12);
    expect(openai.source === 'estimated' && openai.price.cacheReadPerMTok).toBe(1.25);
  });

  it("Gemini's thinking tokens are billed as output (candidatesTokenCount leaves them out)", () => {
    expect(priceUsage('gemini', { input: 10, output: 100, reasoning: 400 })).toEqual({
      input_tokens: 10,
      output_tokens: 500,
    });
    const plain = callCost(
      call({
        host: 'generativelanguage.googleapis.com',
        model: 'gemini-2.5-flash',
        dialect: 'gemini',
        usage: { input: 10, output: 500 },
      }),
    );
    const thinking = callCost(
      call({
        host: 'generativelanguage.googleapis.com',
        model: 'gemini-2.5-flash',
        dialect: 'gemini',
        usage: { input: 10, output: 100, reasoning: 400 },
      }),
    );
    expect(thinking.source).toBe('estimated');
    expect(thinking.usd).toBeCloseTo(plain.usd!, 12);
  });

  it('a relay, an unknown model or missing token counts: price unknown, never a guess', () => {
    expect(callCost(call({ host: 'relay.example.com', usage: { input: 1000, output: 100 } }))).toEqual({
      source: 'unknown',
      usd: null,
      why: 'relay',
    });
    expect(callCost(call({ host: '127.0.0.1', usage: { input: 1000, output: 100 } }))).toMatchObject({
      source: 'unknown',
      why: 'relay',
    });
    // The table has no Alibaba (DashScope) provider: Qwen stays unknown.
    expect(
      callCost(call({ host: 'dashscope.aliyuncs.com', model: 'qwen-max', usage: { input: 1000, output: 100 } })),
    ).toMatchObject({ source: 'unknown', why: 'relay' });
    expect(callCost(call({ model: 'my-own-finetune-7', usage: { input: 1000, output: 100 } }))).toEqual({
      source: 'unknown',
      usd: null,
      why: 'model',
    });
    expect(callCost(call({ model: null, usage: { input: 1000, output: 100 } }))).toMatchObject({
      source: 'unknown',
      why: 'model',
    });
    expect(callCost(call({ usage: {} }))).toEqual({ source: 'unknown', usd: null, why: 'tokens' });
    expect(callCost(call({ usage: { input: 1000 } }))).toMatchObject({ source: 'unknown', why: 'tokens' });
  });

  it("the providers' own API hosts are matched, others are not", () => {
    expect(providerOfHost('api.openai.com')).toBe('openai');
    expect(providerOfHost('API.Anthropic.com')).toBe('anthropic');
    expect(providerOfHost('generativelanguage.googleapis.com')).toBe('google');
    expect(providerOfHost('api.deepseek.com')).toBe('deepseek');
    expect(providerOfHost('api.moonshot.cn')).toBe('moonshotai');
    expect(providerOfHost('openrouter.ai')).toBe('openrouter');
    expect(providerOfHost('api.example-relay.com')).toBeNull();
  });

  it('cache hit rate: reads over the whole prompt', () => {
    expect(cacheHitRate('openai-chat', { input: 1000, cacheRead: 250 })).toBe(0.25);
    expect(cacheHitRate('anthropic-messages', { input: 100, cacheRead: 800, cacheCreation: 100 })).toBe(0.8);
    expect(cacheHitRate('anthropic-messages', { input: 100, cacheCreation: 900 })).toBe(0);
    expect(cacheHitRate('openai-chat', { input: 1000 })).toBeNull();
  });

  it('a group is unknown when any call is, else estimated when any is, else the provider’s', () => {
    expect(groupSource(['provider', 'provider'])).toBe('provider');
    expect(groupSource(['provider', 'estimated'])).toBe('estimated');
    expect(groupSource(['estimated', 'unknown', 'provider'])).toBe('unknown');
    expect(groupSource([])).toBe('unknown');
  });

  it('the date said for the prices is the one of the installed table (an upgrade must update it)', () => {
    const installed = JSON.parse(fs.readFileSync('node_modules/@pydantic/genai-prices/package.json', 'utf8')) as {
      version: string;
    };
    expect(installed.version).toBe(PRICE_TABLE.version);
  });
});
