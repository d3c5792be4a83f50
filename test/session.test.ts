// Sessions (issue 27) from factories: each dialect's request read as its context in structure,
// the diff between two turns by message and block (appends, compaction, rewrites, tools,
// settings, a Responses chain), tool calls paired with the next turn's results and the client's
// delay, the header's sums, and a generated 500-turn session whose page and diff read a bounded
// number of bodies (no pass over every turn's body for one turn).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { callCost } from '../llm/cost.ts';
import { pairTools, type StoredTurn } from '../llm/session.ts';
import type { ModelCall } from '../llm/model-call.ts';
import type { Exchange } from '../model/exchange.ts';
import { recentSessions, sessionPage, turnContext, turnDiff, SessionQuestionError } from '../llm/session-read.ts';
import { turnContextOf, type TurnContext } from '../llm/turn-context.ts';
import { diffTurns, onlyAppended } from '../llm/turn-diff.ts';
import { readableJson, readableLine } from '../viewer/app/readable-json.ts';
import { tempDir } from './support/harness.ts';
import { CLIENT_MS, generatedSession, SHELL_TOOL, storeSession, TURN_MS } from './support/session-store.ts';

const ctx = (dialect: Parameters<typeof turnContextOf>[0], body: unknown, path = ''): TurnContext =>
  turnContextOf(dialect, body, path)!;

describe("a turn's context in structure, per dialect", () => {
  it('Chat Completions: system, tools with schemas, tool calls and results (escaped JSON read as text), reasoning', () => {
    const request = {
      model: 'deepseek-chat',
      reasoning_effort: 'high',
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: JSON.stringify({ temp: '21°C', note: 'line1\nline2' }) },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Weather now',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    };
    // As it crossed the wire: the tool's JSON result is a string inside the JSON, its quotes and newline escaped twice.
    const wire = JSON.stringify(request);
    expect(wire).toContain('\\"note\\":\\"line1\\\\nline2\\"');
    const c = ctx('openai-chat', JSON.parse(wire));
    expect(c.system).toEqual([{ kind: 'text', text: 'Be brief.' }]);
    expect(c.tools).toEqual([
      {
        name: 'weather',
        type: 'function',
        description: 'Weather now',
        schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(c.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(c.messages[0].blocks[1]).toMatchObject({ kind: 'image', text: 'image/png (26 characters)' });
    expect(c.messages[1].blocks).toEqual([
      { kind: 'tool-call', text: '{"city":"Paris"}', json: true, name: 'weather', callId: 'c1', type: 'function' },
    ]);
    // Read as the text the tool returned (one level of escapes gone), marked as JSON for the viewer's tree, whose strings hold the real newline.
    expect(c.messages[2].blocks[0]).toEqual({
      kind: 'tool-result',
      text: '{"temp":"21°C","note":"line1\\nline2"}',
      json: true,
      callId: 'c1',
      type: 'tool',
    });
    expect(JSON.parse(c.messages[2].blocks[0].text).note).toBe('line1\nline2');
    expect(c.reasoning).toEqual({ reasoning_effort: 'high' });
    expect(c.settings).toEqual({ temperature: 0.2 });
    expect(c.model).toBe('deepseek-chat');
  });

  it('Responses: instructions, developer message, function call and output, reasoning item, previous_response_id', () => {
    const c = ctx('openai-responses', {
      model: 'gpt-5',
      instructions: 'You are Codex.',
      previous_response_id: 'resp_1',
      reasoning: { effort: 'high', summary: 'auto' },
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>' }] },
        {
          type: 'reasoning',
          summary: [{ type: 'summary_text', text: 'Thinking about ls' }],
          encrypted_content: 'gAAA',
        },
        { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'call_1' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a.txt\nb.txt' },
      ],
      tools: [SHELL_TOOL, { type: 'web_search' }],
    });
    expect(c.system).toEqual([{ kind: 'text', text: 'You are Codex.', type: 'instructions' }]);
    expect(c.messages.map((m) => [m.role, m.blocks[0].kind])).toEqual([
      ['developer', 'text'],
      ['assistant', 'reasoning'],
      ['assistant', 'tool-call'],
      ['tool', 'tool-result'],
    ]);
    expect(c.messages[3].blocks[0]).toEqual({
      kind: 'tool-result',
      text: 'a.txt\nb.txt',
      callId: 'call_1',
      type: 'function_call_output',
    });
    expect(c.tools.map((t) => [t.name, t.schema !== null])).toEqual([
      ['shell', true],
      ['web_search', false],
    ]);
    expect(c.previousResponseId).toBe('resp_1');
    expect(c.reasoning).toEqual({ reasoning: { effort: 'high', summary: 'auto' } });
  });

  it('a Responses WebSocket turn: the response.create message read the same way', () => {
    const c = ctx('openai-responses', {
      type: 'response.create',
      response: {
        model: 'gpt-5',
        instructions: 'I',
        input: [{ role: 'user', content: 'hi' }],
        previous_response_id: 'resp_9',
      },
    });
    expect(c.model).toBe('gpt-5');
    expect(c.previousResponseId).toBe('resp_9');
    expect(c.messages).toEqual([{ role: 'user', blocks: [{ kind: 'text', text: 'hi' }] }]);
  });

  it('Anthropic Messages: system blocks and tools with cache_control breakpoints, tool_use and tool_result, thinking', () => {
    const c = ctx('anthropic-messages', {
      model: 'claude-sonnet-4-5',
      thinking: { type: 'enabled', budget_tokens: 2048 },
      system: [
        { type: 'text', text: 'You are Claude Code.' },
        { type: 'text', text: 'Project rules', cache_control: { type: 'ephemeral' } },
      ],
      tools: [
        {
          name: 'Read',
          description: 'Read a file',
          input_schema: { type: 'object', properties: { path: { type: 'string' } } },
          cache_control: { type: 'ephemeral' },
        },
      ],
      messages: [
        { role: 'user', content: 'fix it' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm' },
            { type: 'tool_use', id: 'tu_1', name: 'Read', input: { path: 'a.ts' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'tu_1',
              content: [{ type: 'text', text: 'export {}' }],
              cache_control: { type: 'ephemeral' },
            },
          ],
        },
      ],
    });
    expect(c.system.map((b) => b.cacheBreakpoint ?? false)).toEqual([false, true]);
    expect(c.tools[0]).toMatchObject({ name: 'Read', schema: { type: 'object' }, cacheBreakpoint: true });
    expect(c.messages[1].blocks).toEqual([
      { kind: 'reasoning', text: 'hmm', type: 'thinking' },
      { kind: 'tool-call', text: '{"path":"a.ts"}', json: true, name: 'Read', callId: 'tu_1', type: 'tool_use' },
    ]);
    expect(c.messages[2].blocks[0]).toMatchObject({
      kind: 'tool-result',
      text: 'export {}',
      callId: 'tu_1',
      cacheBreakpoint: true,
    });
    expect(c.cacheBreakpoints).toEqual(['system 2', 'tool Read', 'message 3 block 1']);
    expect(c.reasoning).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('Gemini: systemInstruction, functionDeclarations and built-in tools, functionCall and functionResponse, thinkingConfig', () => {
    const c = ctx(
      'gemini',
      {
        systemInstruction: { parts: [{ text: 'Be helpful' }] },
        contents: [
          { role: 'user', parts: [{ text: 'list files' }] },
          { role: 'model', parts: [{ functionCall: { name: 'ls', args: { dir: '.' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'ls', response: { files: ['a'] } } }] },
        ],
        tools: [
          { functionDeclarations: [{ name: 'ls', description: 'List', parameters: { type: 'OBJECT' } }] },
          { googleSearch: {} },
        ],
        generationConfig: { temperature: 1, thinkingConfig: { thinkingBudget: 1024 } },
      },
      '/v1beta/models/gemini-2.5-pro:streamGenerateContent',
    );
    expect(c.model).toBe('gemini-2.5-pro');
    expect(c.system).toEqual([{ kind: 'text', text: 'Be helpful' }]);
    expect(c.tools.map((t) => t.name)).toEqual(['ls', 'googleSearch']);
    expect(c.messages[1].blocks[0]).toMatchObject({ kind: 'tool-call', name: 'ls', text: '{"dir":"."}' });
    expect(c.messages[2].blocks[0]).toMatchObject({ kind: 'tool-result', name: 'ls', text: '{"files":["a"]}' });
    expect(c.reasoning).toEqual({ thinkingBudget: 1024 });
    expect(c.settings).toEqual({ temperature: 1 });
  });

  it('no context for what is not a conversation (embeddings)', () => {
    expect(turnContextOf('embeddings', { input: 'x' })).toBeNull();
  });
});

describe('the diff between two turns', () => {
  const turns = generatedSession(4).map((t) => ctx('openai-responses', t.request));

  it('an agent turn: exactly the messages the later turn added (the call and its output), nothing else', () => {
    const diff = diffTurns(turns[1], turns[2]);
    expect(onlyAppended(diff)).toBe(true);
    expect(diff.messages.unchanged).toBe(turns[1].messages.length);
    expect(
      diff.messages.changes.map((c) => c.kind === 'added' && [c.index, c.message.role, c.message.blocks[0].kind]),
    ).toEqual([
      [3, 'assistant', 'tool-call'],
      [4, 'tool', 'tool-result'],
    ]);
    expect(diff.tools).toEqual({ added: [], removed: [], changed: [], unchanged: 1 });
    expect(diff.system).toEqual([]);
    expect(diff.earlierChanged).toBeNull();
  });

  it('two turns apart: the four messages between them', () => {
    expect(diffTurns(turns[1], turns[3]).messages.changes.map((c) => c.kind)).toEqual([
      'added',
      'added',
      'added',
      'added',
    ]);
  });

  it('compaction: earlier messages dropped and one rewritten are called out', () => {
    const before = turns[3];
    const summary = { role: 'user', blocks: [{ kind: 'text' as const, text: 'Summary of the work so far' }] };
    const after: TurnContext = { ...before, messages: [summary, ...before.messages.slice(5)] };
    const diff = diffTurns(before, after);
    // The task message rewritten as the summary; the next four (two calls, two outputs) dropped; the last two kept.
    expect(diff.earlierChanged).toEqual({ dropped: 4, rewritten: 1 });
    expect(diff.messages.unchanged).toBe(2);
    expect(onlyAppended(diff)).toBe(false);
    const changed = diff.messages.changes.find((c) => c.kind === 'changed');
    expect(changed).toMatchObject({ kind: 'changed', index: 0, indexBefore: 0, role: 'user' });
  });

  it('one block of an earlier message rewritten, a tool changed, one added, a setting and the reasoning changed', () => {
    const before = turns[2];
    const messages = before.messages.map((m, i) =>
      i === 2 ? { ...m, blocks: [{ ...m.blocks[0], text: 'truncated output' }] } : m,
    );
    const tools = [
      { ...before.tools[0], description: 'Runs a command' },
      { name: 'apply_patch', type: 'custom', description: null, schema: null },
    ];
    const after: TurnContext = {
      ...before,
      messages,
      tools,
      settings: { ...before.settings, tool_choice: 'required' },
      reasoning: { reasoning: { effort: 'low' } },
    };
    const diff = diffTurns(before, after);
    expect(diff.earlierChanged).toEqual({ dropped: 0, rewritten: 1 });
    expect(diff.messages.changes).toEqual([
      expect.objectContaining({
        kind: 'changed',
        index: 2,
        blocks: [expect.objectContaining({ kind: 'changed', index: 0 })],
      }),
    ]);
    expect(diff.tools.changed.map((t) => t.name)).toEqual(['shell']);
    expect(diff.tools.added.map((t) => t.name)).toEqual(['apply_patch']);
    expect(diff.settings).toEqual([{ key: 'tool_choice', before: 'auto', after: 'required' }]);
    expect(diff.reasoning).toEqual({
      key: 'reasoning',
      before: { reasoning: { effort: 'medium' } },
      after: { reasoning: { effort: 'low' } },
    });
  });

  it('a Responses chain: the later turn continues a stored response, so its messages are new and nothing is dropped', () => {
    const a = ctx('openai-responses', { input: [{ role: 'user', content: 'one' }] });
    const b = ctx('openai-responses', { input: [{ role: 'user', content: 'two' }], previous_response_id: 'resp_a' });
    const diff = diffTurns(a, b);
    expect(diff.messages.chained).toBe(true);
    expect(diff.earlierChanged).toBeNull();
    expect(diff.messages.changes.map((c) => c.kind)).toEqual(['added']);
    expect(diff.previousResponseId).toEqual({ key: 'previous_response_id', before: null, after: 'resp_a' });
  });
});

describe('a stored session read', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  let ids: number[];
  let bigIds: number[];
  const big = generatedSession(500);

  beforeAll(() => {
    dir = tempDir('wirelog-session-');
    db = openDatabase(dir);
    ids = storeSession(db, 'small', generatedSession(4));
    bigIds = storeSession(db, 'big', big);
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the header: client from the User-Agent, host, model, start, duration, calls, tokens and cost summed from the calls', () => {
    const page = sessionPage(reader, 'session:small', 0, 10);
    const turns = generatedSession(4);
    expect(page.header).toMatchObject({
      key: 'session:small',
      client: { kind: 'codex', label: 'Codex 0.171.0' },
      hosts: ['api.openai.com'],
      models: ['gpt-5-codex'],
      calls: 4,
      failed: 0,
      startedAt: turns[0].startedAt,
    });
    expect(page.header.durationMs).toBe(3 * (TURN_MS + CLIENT_MS) + TURN_MS);
    expect(page.header.tokens.input).toBe(turns.reduce((s, t) => s + t.usage.input, 0));
    expect(page.header.tokens.cacheRead).toBe(turns.reduce((s, t) => s + t.usage.cacheRead, 0));
    const costs = turns.map((t) =>
      callCost({
        host: 'api.openai.com',
        model: 'gpt-5-codex',
        dialect: 'openai-responses',
        usage: t.usage,
        startedAt: t.startedAt,
      }),
    );
    expect(page.header.cost.source).toBe(costs[0].source);
    if (page.header.cost.usd !== null)
      expect(page.header.cost.usd).toBeCloseTo(
        costs.reduce((s, c) => s + (c.usd ?? 0), 0),
        10,
      );
    expect(page.total).toBe(4);
  });

  it("a row per turn: what was said last, the answer, figures; tool calls paired with the next turn's results and the client's delay", () => {
    const { turns } = sessionPage(reader, 'session:small', 0, 10);
    expect(turns.map((t) => t.id)).toEqual(ids);
    expect(turns[0].inputs).toEqual([{ role: 'user', text: 'Read every part file and summarise them.' }]);
    expect(turns[1].inputs).toEqual([
      {
        role: 'tool',
        text: JSON.stringify({ output: 'line one of part 0\n"quoted" two', metadata: { exit_code: 0 } }),
        toolCallId: 'call_gen_0',
      },
    ]);
    expect(turns[0].answer.toolCalls).toEqual([
      { id: 'call_gen_0', name: 'shell', arguments: '{"command":["bash","-lc","cat part-0.txt"]}' },
    ]);
    expect(turns[0].tools).toEqual([
      {
        callId: 'call_gen_0',
        name: 'shell',
        arguments: '{"command":["bash","-lc","cat part-0.txt"]}',
        result: expect.stringContaining('line one of part 0'),
        resultTurnId: ids[1],
        clientDelayMs: CLIENT_MS,
      },
    ]);
    expect(turns[3].answer.text).toBe('All 3 parts read.');
    expect(turns[3].tools).toEqual([]);
    expect(turns[2].usage).toMatchObject({ input: 1080, output: 20, cacheRead: 1040 });
    expect(turns.map((t) => t.index)).toEqual([0, 1, 2, 3]);
  });

  it('the last turn of a page is still paired (the next turn is read for it)', () => {
    const { turns } = sessionPage(reader, 'session:small', 1, 1);
    expect(turns).toHaveLength(1);
    expect(turns[0].tools[0]).toMatchObject({ callId: 'call_gen_1', resultTurnId: ids[2] });
  });

  it("the API reads: a turn's context, the diff with the turn before by default, and refusals naming the cause", () => {
    const context = turnContext(reader, 'session:small', ids[2]);
    expect(context.index).toBe(2);
    expect(context.context!.messages).toHaveLength(5);
    const diff = turnDiff(reader, 'session:small', ids[2]);
    expect(diff.a.id).toBe(ids[1]);
    expect(diff.diff.messages.changes).toHaveLength(2);
    expect(diff.b.inputTokens! - diff.a.inputTokens!).toBe(40);
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof SessionQuestionError ? err.reason : String(err);
      }
      return 'answered';
    };
    expect(reason(() => turnDiff(reader, 'session:small', ids[0]))).toBe('noContext');
    expect(reason(() => turnDiff(reader, 'session:small', ids[1], ids[1]))).toBe('sameTurn');
    expect(reason(() => turnDiff(reader, 'session:small', bigIds[0]))).toBe('notInSession');
    expect(reason(() => sessionPage(reader, 'session:none', 0, 1))).toBe('noSession');
  });

  it('recent sessions, newest first, each with its header', () => {
    expect(recentSessions(reader, 10).map((s) => [s.key, s.calls])).toEqual([
      ['session:big', 500],
      ['session:small', 4],
    ]);
  });

  it('500 turns: the last page and the last diff read only their own bodies, and the diff is exactly the two messages added', () => {
    const bodyReads: number[] = [];
    const counting = new Proxy(reader, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name === 'body')
          return (id: number, side: 'request' | 'response') => (bodyReads.push(id), target.body(id, side));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const page = sessionPage(counting, 'session:big', 480, 20);
    expect(page.turns.map((t) => t.index)).toEqual(Array.from({ length: 20 }, (_, i) => 480 + i));
    expect(page.total).toBe(500);
    // Each turn's two bodies, and none of the 480 before.
    expect(new Set(bodyReads)).toEqual(new Set(bigIds.slice(480)));
    expect(bodyReads.length).toBe(2 * 20);
    expect(page.turns[18].tools[0]).toMatchObject({ callId: 'call_gen_498', resultTurnId: bigIds[499] });

    bodyReads.length = 0;
    const diff = turnDiff(counting, 'session:big', bigIds[499]);
    expect(bodyReads).toEqual([bigIds[498], bigIds[499]]);
    expect(diff.diff.messages.unchanged).toBe(1 + 2 * 498);
    expect(diff.diff.messages.changes.map((c) => c.kind === 'added' && c.message.blocks[0].callId)).toEqual([
      'call_gen_498',
      'call_gen_498',
    ]);

    // Any two turns: the first against the last is every call and output between them, still two bodies.
    bodyReads.length = 0;
    const far = turnDiff(counting, 'session:big', bigIds[499], bigIds[0]);
    expect(bodyReads).toHaveLength(2);
    expect(far.diff.messages.changes).toHaveLength(2 * 499);
    expect(far.diff.earlierChanged).toBeNull();
  });
});

describe('JSON in a context read as text', () => {
  it('escaped strings unescaped, JSON inside a string read as JSON, one line for a row', () => {
    const result = JSON.stringify({
      output: 'line one\n"quoted" two',
      metadata: { exit_code: 0 },
      args: JSON.stringify({ cmd: 'ls -la' }),
      empty: [],
    });
    expect(readableJson(result)).toBe(
      [
        'output:',
        '  line one',
        '  "quoted" two',
        'metadata:',
        '  exit_code: 0',
        'args:',
        '  cmd: ls -la',
        'empty: []',
      ].join('\n'),
    );
    expect(readableLine(result)).toBe(
      'output: ⏎ line one ⏎ "quoted" two ⏎ metadata: ⏎ exit_code: 0 ⏎ args: ⏎ cmd: ls -la ⏎ empty: []',
    );
    expect(readableJson('plain text')).toBeNull();
    expect(readableLine('plain\ntext')).toBe('plain ⏎ text');
  });
});

describe('tool calls paired with their results', () => {
  /** A stored turn made in memory: an exchange started at `at` ending `endMs` later, its model call's conversation and answer's tool calls. */
  const stored = (
    id: number,
    at: number,
    endMs: number,
    call: Pick<ModelCall, 'conversation'> & { toolCalls?: ModelCall['answer']['toolCalls'] },
  ): StoredTurn => ({
    exchange: { id, request: { startedAt: at }, timings: { end: endMs } } as Exchange,
    call: {
      conversation: call.conversation,
      answer: { text: '', reasoning: '', toolCalls: call.toolCalls ?? [], refusal: '', finishReason: null },
    } as unknown as ModelCall,
  });

  it('Anthropic: tool_use ids answered by tool_result blocks of the next turn, two at once, in any order', () => {
    const turn = stored(1, 1000, 300, {
      conversation: [{ role: 'user', text: 'go' }],
      toolCalls: [
        { id: 'tu_a', name: 'Read', arguments: '{"path":"a"}' },
        { id: 'tu_b', name: 'Read', arguments: '{"path":"b"}' },
      ],
    });
    const next = stored(2, 1500, 200, {
      conversation: [
        { role: 'user', text: 'go' },
        { role: 'assistant', text: '', toolCalls: [] },
        { role: 'tool', text: 'B', toolCallId: 'tu_b' },
        { role: 'tool', text: 'A', toolCallId: 'tu_a' },
      ],
    });
    expect(pairTools(turn, next).map((p) => [p.callId, p.result, p.resultTurnId, p.clientDelayMs])).toEqual([
      ['tu_a', 'A', 2, 200],
      ['tu_b', 'B', 2, 200],
    ]);
  });

  it('Gemini: calls without ids matched by the function named in functionResponse', () => {
    const turn = stored(1, 0, 100, {
      conversation: [],
      toolCalls: [
        { id: null, name: 'ls', arguments: '{}' },
        { id: null, name: 'cat', arguments: '{}' },
      ],
    });
    const next = stored(2, 150, 100, {
      conversation: [
        { role: 'tool', text: '{"out":"cat"}', toolCallId: 'cat' },
        { role: 'tool', text: '{"out":"ls"}', toolCallId: 'ls' },
      ],
    });
    expect(pairTools(turn, next).map((p) => [p.name, p.result])).toEqual([
      ['ls', '{"out":"ls"}'],
      ['cat', '{"out":"cat"}'],
    ]);
  });

  it('no next turn, or a next turn without the result: said as such, nothing invented', () => {
    const turn = stored(1, 0, 100, { conversation: [], toolCalls: [{ id: 'c1', name: 'ls', arguments: '{}' }] });
    expect(pairTools(turn, null)).toEqual([
      { callId: 'c1', name: 'ls', arguments: '{}', result: null, resultTurnId: null, clientDelayMs: null },
    ]);
    expect(
      pairTools(turn, stored(2, 400, 10, { conversation: [{ role: 'user', text: 'never mind' }] }))[0],
    ).toMatchObject({ result: null, resultTurnId: null, clientDelayMs: 300 });
  });
});
