// The turn diff as Claude Code's turns look on the wire: Anthropic's prompt caching reads up to a
// cache_control breakpoint, and Claude Code marks the newest message's last block every turn (the
// mark leaves the message that had it). Moving the mark rewrites nothing the model reads: an
// appended turn must stay "appended", not "earlier messages rewritten" (compaction).
import { describe, expect, it } from 'vitest';
import { turnContextOf, type TurnContext } from '../llm/turn-context.ts';
import { diffTurns, onlyAppended } from '../llm/turn-diff.ts';

const EPHEMERAL = { type: 'ephemeral' };
const SYSTEM = [
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
  { type: 'text', text: '项目规则：所有注释用中文。', cache_control: EPHEMERAL },
];
const READ = {
  name: 'Read',
  description: 'Reads a file',
  input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] },
};
const BASH = {
  name: 'Bash',
  description: 'Runs a command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

/** The last block of the last message carries the breakpoint, as Claude Code sends it. */
function marked(messages: { role: string; content: Record<string, unknown>[] }[]) {
  return messages.map((m, i) =>
    i === messages.length - 1
      ? {
          ...m,
          content: m.content.map((b, j) => (j === m.content.length - 1 ? { ...b, cache_control: EPHEMERAL } : b)),
        }
      : m,
  );
}

const task = { role: 'user', content: [{ type: 'text', text: '修复登录页的错误，并解释原因。' }] };
const call = {
  role: 'assistant',
  content: [
    { type: 'text', text: '我先读一下文件。' },
    { type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: 'src/登录.ts' } },
  ],
};
const result = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'export const 用户名 = "张三";' }],
};
const answer = { role: 'assistant', content: [{ type: 'text', text: '原因是变量名拼错了。' }] };
const followUp = { role: 'user', content: [{ type: 'text', text: '好的，再加一个测试。' }] };

const turn = (
  messages: { role: string; content: Record<string, unknown>[] }[],
  tools: Record<string, unknown>[] = [READ],
): TurnContext =>
  turnContextOf('anthropic-messages', {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    system: SYSTEM,
    tools: tools.map((t, i) => (i === tools.length - 1 ? { ...t, cache_control: EPHEMERAL } : t)),
    messages: marked(messages),
    stream: true,
  })!;

describe("Claude Code's moving cache breakpoint in a turn diff", () => {
  it('the tool call and its result appended: two messages added, nothing earlier rewritten', () => {
    const before = turn([task]);
    const after = turn([task, call, result]);
    expect(before.cacheBreakpoints).toContain('message 1 block 1');
    expect(after.cacheBreakpoints).not.toContain('message 1 block 1');
    const diff = diffTurns(before, after);
    expect(diff.earlierChanged).toBeNull();
    expect(onlyAppended(diff)).toBe(true);
    expect(diff.messages.unchanged).toBe(1);
    expect(diff.messages.changes.map((c) => c.kind === 'added' && [c.index, c.message.role])).toEqual([
      [1, 'assistant'],
      [2, 'user'],
    ]);
  });

  it('a later user turn in Chinese: only what was added, the Chinese text as sent', () => {
    const diff = diffTurns(turn([task, call, result]), turn([task, call, result, answer, followUp]));
    expect(diff.earlierChanged).toBeNull();
    expect(diff.messages.changes.map((c) => (c.kind === 'added' ? c.message.blocks[0].text : c.kind))).toEqual([
      '原因是变量名拼错了。',
      '好的，再加一个测试。',
    ]);
  });

  it('a tool appended after the marked one: one tool added, the one that lost its mark unchanged', () => {
    const diff = diffTurns(turn([task]), turn([task, call, result], [READ, BASH]));
    expect(diff.tools.added.map((t) => t.name)).toEqual(['Bash']);
    expect(diff.tools.changed).toEqual([]);
    expect(diff.tools.unchanged).toBe(1);
  });

  it('a real rewrite of an earlier message is still called out when its mark moved too', () => {
    const trimmed = {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '[内容已省略]' }],
    };
    const diff = diffTurns(turn([task, call, result]), turn([task, call, trimmed, answer, followUp]));
    expect(diff.earlierChanged).toEqual({ dropped: 0, rewritten: 1 });
    const changed = diff.messages.changes.find((c) => c.kind === 'changed');
    expect(changed?.kind === 'changed' && changed.blocks.map((b) => [b.kind, b.after?.text])).toEqual([
      ['changed', '[内容已省略]'],
    ]);
  });
});
