// A session's turn row (viewer/app/components/SessionView.tsx), rendered by React on the server
// with the viewer's catalogue, in English and in zh-CN: its cost says where it comes from as the
// list's badge does. It showed a bare "$0.0123" for an estimate (no "~", no price in the title)
// and nothing at all for a cost the table cannot give (a relay, a model it does not price), so an
// unknown cost read as no cost. No English is left in the row under zh-CN but what was captured.
import i18next, { type i18n as I18n } from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../i18n/index.ts';
import { callCost, type CallCost } from '../llm/cost.ts';
import type { SessionHeader, SessionTurn } from '../llm/session.ts';
import { HeaderFigures, TurnRow } from '../viewer/app/components/SessionView.tsx';

const languages: Record<'en' | 'zh-CN', I18n> = {} as never;

beforeAll(async () => {
  for (const lng of ['en', 'zh-CN'] as const) {
    const i18n = i18next.createInstance().use(initReactI18next);
    await i18n.init({
      lng,
      fallbackLng: 'en',
      resources: RESOURCES as never,
      initAsync: false,
      interpolation: { escapeValue: false },
    });
    languages[lng] = i18n;
  }
});

function turn(cost: CallCost | null): SessionTurn {
  return {
    id: 7,
    index: 2,
    startedAt: Date.UTC(2026, 11, 6, 2, 0, 0),
    durationMs: 1200,
    status: 200,
    state: 'complete',
    dialect: 'openai-responses',
    model: 'gpt-5-codex',
    inputs: [{ role: 'user', text: '修复登录页' }],
    inputCount: 1,
    answer: { text: '已修复', reasoningChars: 0, toolCalls: [], images: 0, finishReason: 'stop', ending: 'complete' },
    usage: { input: 12000, output: 300 },
    ttftMs: 400,
    outputTokensPerSecond: null,
    diagnosis: null,
    cost,
    tools: [],
  };
}

/** The row as HTML, and its cost badge: source, text and title (null: the row shows no cost). */
function rendered(lng: 'en' | 'zh-CN', cost: CallCost | null): { html: string; badge: string[] | null } {
  const html = renderToStaticMarkup(
    createElement(
      I18nextProvider,
      { i18n: languages[lng] },
      createElement(TurnRow, { turn: turn(cost), active: null, onOpen: () => {} }),
    ),
  );
  const m =
    /<span class="cost-badge [^"]*" title="([^"]*)" data-testid="cost" data-source="([^"]*)">(.*?)<\/span>/.exec(html);
  return { html, badge: m ? [m[2], m[3], m[1]] : null };
}

const usage = { input: 12000, output: 300 };
const estimated = callCost({
  host: 'api.openai.com',
  model: 'gpt-5-codex',
  dialect: 'openai-responses',
  usage,
  startedAt: Date.UTC(2026, 11, 6),
});
const relay = callCost({ host: 'x666.me', model: 'gpt-5-codex', dialect: 'openai-responses', usage, startedAt: 0 });
const unlisted = callCost({
  host: 'api.openai.com',
  model: 'gpt-5-codex-preview-internal',
  dialect: 'openai-responses',
  usage,
  startedAt: 0,
});

describe("a session turn row's cost", () => {
  it('the table and the figures priced the calls as the rows are meant to show them', () => {
    expect([estimated.source, relay.source, unlisted.source]).toEqual(['estimated', 'unknown', 'unknown']);
  });

  it('an estimate: ~$ and the price used in its title', () => {
    const { badge } = rendered('en', estimated);
    expect(badge?.[0]).toBe('estimated');
    expect(badge?.[1]).toMatch(/^~\$0\.\d+/);
    expect(badge?.[2]).toContain('@pydantic/genai-prices');
  });

  it("the provider's own figure: $ with no ~", () => {
    expect(rendered('en', { source: 'provider', usd: 0.0123 }).badge).toEqual([
      'provider',
      '$0.0123',
      'the provider’s own figure for this call',
    ]);
  });

  it('unknown: said, with why, in English and in Chinese; never nothing', () => {
    expect(rendered('en', unlisted).badge).toEqual([
      'unknown',
      'price unknown',
      'price unknown: the price table has no price for this model at this provider',
    ]);
    expect(rendered('zh-CN', relay).badge?.slice(0, 2)).toEqual(['unknown', '价格未知']);
    expect(rendered('zh-CN', relay).badge?.[2]).toMatch(/^价格未知：/);
  });

  it('a call that reported no tokens has no cost, as in the list', () => {
    expect(rendered('en', null).badge).toBeNull();
  });

  it('under zh-CN, no English outside what was captured', () => {
    const { html } = rendered('zh-CN', relay);
    const text = html
      .replace(/<span[^>]*data-captured="true"[^>]*>[^<]*<\/span>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\b(ms|s|k|M)\b/g, ' ');
    expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(text.match(/[A-Za-z]{2,}/g)).toBeNull();
  });
});

describe("a session's header under zh-CN", () => {
  const header: SessionHeader = {
    key: 'session:zh',
    client: { kind: 'codex', label: 'Codex 0.171.0' } as SessionHeader['client'],
    hosts: ['api.openai.com'],
    models: ['gpt-5-codex'],
    dialects: ['openai-responses'],
    // Noon UTC: the same calendar day in every time zone from UTC-11 to UTC+11.
    startedAt: Date.UTC(2026, 11, 6, 12, 0, 0),
    durationMs: 65_000,
    calls: 3,
    failed: 1,
    tokens: { input: 12000, output: 300, cacheRead: 8000, cacheWrite: null, reasoning: null },
    cost: { usd: null, pricedUsd: 0.0123, source: 'unknown' },
    firstId: 1,
    lastId: 3,
  };
  const headerHtml = (lng: 'en' | 'zh-CN') =>
    renderToStaticMarkup(
      createElement(I18nextProvider, { i18n: languages[lng] }, createElement(HeaderFigures, { header })),
    );

  it("the start date is written in the viewer's language, not the browser's", () => {
    expect(headerHtml('zh-CN')).toContain('2026/12/6');
    expect(headerHtml('en')).toContain('12/6/2026');
  });
});
