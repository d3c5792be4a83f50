// A turn's context in the viewer under zh-CN (viewer/app/components/TurnContext.tsx), rendered
// by React on the server with the viewer's catalogue: each block is labelled by the part's own
// type as the request names it (input_text, tool_use, functionCall: captured, kept as sent) or,
// where the request names none (a chat message's content as a plain string, a Gemini text part),
// by its kind in the user's language. It showed wirelog's own English kind ("text", "other").
import i18next, { type i18n as I18n } from 'i18next';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../i18n/index.ts';
import { turnContextOf, type TurnContext } from '../llm/turn-context.ts';
import { MessageView, ToolView } from '../viewer/app/components/TurnContext.tsx';

const i18ns: Partial<Record<'en' | 'zh-CN', I18n>> = {};

beforeAll(async () => {
  for (const lng of ['en', 'zh-CN'] as const) {
    const i18n = i18next.createInstance().use(initReactI18next);
    await i18n.init({ lng, fallbackLng: 'en', resources: RESOURCES as never, initAsync: false });
    i18ns[lng] = i18n;
  }
});

const html = (lng: 'en' | 'zh-CN', element: ReactElement) =>
  renderToStaticMarkup(createElement(I18nextProvider, { i18n: i18ns[lng]! }, element));

/** Every message and tool of a context, rendered. */
const rendered = (lng: 'en' | 'zh-CN', context: TurnContext) =>
  [
    ...context.messages.map((message, index) => html(lng, createElement(MessageView, { message, index }))),
    ...context.tools.map((tool) => html(lng, createElement(ToolView, { tool }))),
  ].join('\n');

/** The text a reader sees that was not captured: English words left there are untranslated. */
function englishLeft(markup: string): string[] {
  const uncaptured = markup
    .replace(/<(span|pre|summary)[^>]*data-captured="true"[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ');
  return uncaptured.match(/[A-Za-z]{2,}/g) ?? [];
}

const CHAT = turnContextOf('openai-chat', {
  model: 'deepseek-chat',
  messages: [
    { role: 'system', content: '你是一个有帮助的助手。' },
    { role: 'user', content: '帮我写一个快速排序' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run', arguments: '{"code":"1"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '完成' },
  ],
  tools: [{ type: 'function', function: { name: 'run', description: '运行代码', parameters: { type: 'object' } } }],
})!;

const GEMINI = turnContextOf(
  'gemini',
  {
    contents: [
      { role: 'user', parts: [{ text: '这张图是什么' }, { unknownPart: { x: 1 } }] },
      { role: 'model', parts: [{ text: '一只猫', thought: true }, { text: '一只猫' }] },
    ],
    tools: [{ googleSearch: {} }],
  },
  '/v1beta/models/gemini-2.5-flash:generateContent',
)!;

describe("a turn's context under zh-CN", () => {
  it('a chat whose content is plain strings: its text blocks named 文本, the others by their type as sent, no English', () => {
    const zh = rendered('zh-CN', CHAT);
    expect(zh).toContain('<span>文本</span>');
    expect(englishLeft(zh)).toEqual([]);
  });

  it('Gemini text parts, a thought and a part of a kind not read here: 文本, 推理, 其他; built-in tools as sent', () => {
    const zh = rendered('zh-CN', GEMINI);
    for (const kind of ['文本', '其他']) expect(zh).toContain(`<span>${kind}</span>`);
    expect(zh).toContain('thought');
    expect(englishLeft(zh)).toEqual([]);
  });

  it('a type the request names is shown as sent, marked captured; English kinds in English', () => {
    const anthropic = turnContextOf('anthropic-messages', {
      messages: [{ role: 'user', content: [{ type: 'text', text: '你好' }] }],
    })!;
    expect(rendered('zh-CN', anthropic)).toContain('<span class="mono" data-captured="true">text</span>');
    expect(rendered('en', CHAT)).toContain('<span>text</span>');
  });
});
