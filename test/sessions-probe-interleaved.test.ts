// Two conversations in one session, as Claude Code sends them: every request carries the same
// X-Claude-Code-Session-Id, the main agent's and a subagent's (its Task tool) alike, so the
// subagent's turns stand between the main agent's Task call and the turn that sends its result
// back. The Task call is paired with that later turn (by its tool_use id), not left unanswered
// because the very next call is the subagent's; and a turn's diff is taken by default against the
// last turn of its own conversation, not against the subagent's turn before it (which would call
// every message dropped, as compaction).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { sessionPage, turnDiff } from '../llm/session-read.ts';
import { tempDir } from './support/harness.ts';

const SESSION = '5f0c7e2a-0b7e-4a57-9d1e-claude-probe';
const START = Date.UTC(2026, 11, 3, 2, 0, 0);
const TURN_MS = 1000;

const MAIN_SYSTEM = [{ type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." }];
const AGENT_SYSTEM = [{ type: 'text', text: 'You are an agent for Claude Code. Search the codebase and report.' }];
const TOOLS = [
  { name: 'Task', description: 'Launch a subagent', input_schema: { type: 'object', properties: {} } },
  { name: 'Grep', description: 'Search files', input_schema: { type: 'object', properties: {} } },
];

const userTask = { role: 'user', content: [{ type: 'text', text: '找出所有调用 登录接口 的地方，然后修复。' }] };
const taskCall = {
  role: 'assistant',
  content: [{ type: 'tool_use', id: 'toolu_task', name: 'Task', input: { prompt: '搜索 登录接口 的调用' } }],
};
const taskResult = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_task', content: '找到 3 处：a.ts、b.ts、c.ts' }],
};
const agentTask = { role: 'user', content: [{ type: 'text', text: '搜索 登录接口 的调用' }] };
const grepCall = {
  role: 'assistant',
  content: [{ type: 'tool_use', id: 'toolu_grep', name: 'Grep', input: { pattern: 'login(' } }],
};
const grepResult = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_grep', content: 'a.ts:3\nb.ts:9\nc.ts:12' }],
};

interface Turn {
  system: unknown[];
  messages: unknown[];
  answer: unknown[];
}

/** Main 1 (calls Task), subagent 1 (calls Grep), subagent 2 (answers), main 2 (the Task's result back, answers). */
const TURNS: Turn[] = [
  { system: MAIN_SYSTEM, messages: [userTask], answer: taskCall.content },
  { system: AGENT_SYSTEM, messages: [agentTask], answer: grepCall.content },
  {
    system: AGENT_SYSTEM,
    messages: [agentTask, grepCall, grepResult],
    answer: [{ type: 'text', text: '找到 3 处：a.ts、b.ts、c.ts' }],
  },
  { system: MAIN_SYSTEM, messages: [userTask, taskCall, taskResult], answer: [{ type: 'text', text: '已修复。' }] },
];

function store(db: Db): number[] {
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, state, status, status_text,
      response_http_version, response_headers, timings, request_size, request_stored, response_size, response_stored, dialect, model, input_tokens, output_tokens, usage, thread_key, to_index)
    VALUES (@uid, @startedAt, '127.0.0.1:5000', 'POST', 'https', 'api.anthropic.com', 443, '/v1/messages', '1.1', @headers, 'complete', 200, 'OK', '1.1', '[["Content-Type","application/json"]]',
      @timings, @requestSize, @requestSize, @responseSize, @responseSize, 'anthropic-messages', 'claude-sonnet-4-5', 100, 10, '{"input":100,"output":10}', @thread, 0)`);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, 0, ?)');
  const headers = JSON.stringify([
    ['Host', 'api.anthropic.com'],
    ['Content-Type', 'application/json'],
    ['User-Agent', 'claude-cli/2.1.112 (external, cli)'],
    ['X-Claude-Code-Session-Id', SESSION],
  ]);
  return TURNS.map((turn, k) => {
    const request = Buffer.from(
      JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 32000,
        system: turn.system,
        tools: TOOLS,
        messages: turn.messages,
      }),
    );
    const response = Buffer.from(
      JSON.stringify({
        id: `msg_${k}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: turn.answer,
        stop_reason: turn.answer.some((b) => (b as { type: string }).type === 'tool_use') ? 'tool_use' : 'end_turn',
        usage: { input_tokens: 100, output_tokens: 10 },
      }),
    );
    const { lastInsertRowid } = insert.run({
      uid: `claude-${k}`,
      startedAt: START + k * 2 * TURN_MS,
      headers,
      timings: JSON.stringify({ requestSent: 1, responseHeaders: TURN_MS - 10, firstByte: TURN_MS - 10, end: TURN_MS }),
      requestSize: request.length,
      responseSize: response.length,
      thread: `session:${SESSION}`,
    });
    const id = Number(lastInsertRowid);
    body.run(id, 'request', request);
    body.run(id, 'response', response);
    return id;
  });
}

describe("a subagent's turns between the main agent's", () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  let ids: number[];
  const key = `session:${SESSION}`;

  beforeAll(() => {
    dir = tempDir('wirelog-interleaved-');
    db = openDatabase(dir);
    ids = store(db);
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the Task call is paired with the main agent's next turn, which sent its result, after the subagent's", () => {
    const { turns } = sessionPage(reader, key, 0, 10);
    expect(turns.map((t) => t.id)).toEqual(ids);
    expect(turns[0].tools).toEqual([
      {
        callId: 'toolu_task',
        name: 'Task',
        arguments: JSON.stringify({ prompt: '搜索 登录接口 的调用' }),
        result: '找到 3 处：a.ts、b.ts、c.ts',
        resultTurnId: ids[3],
        // From the Task call's end to the turn that sent its result: the subagent's work.
        clientDelayMs: 5 * TURN_MS,
      },
    ]);
    // The subagent's Grep call still pairs with the very next turn.
    expect(turns[1].tools.map((p) => [p.callId, p.resultTurnId, p.clientDelayMs])).toEqual([
      ['toolu_grep', ids[2], TURN_MS],
    ]);
  });

  it("the main agent's turn is compared by default with its own last turn: two messages added, nothing dropped", () => {
    const answer = turnDiff(reader, key, ids[3]);
    expect(answer.a.id).toBe(ids[0]);
    expect(answer.diff.earlierChanged).toBeNull();
    expect(answer.diff.system).toEqual([]);
    expect(answer.diff.messages.changes.map((c) => c.kind)).toEqual(['added', 'added']);
  });

  it("the subagent's second turn against its first; its first against the turn before (no earlier turn of its own)", () => {
    expect(turnDiff(reader, key, ids[2]).a.id).toBe(ids[1]);
    expect(turnDiff(reader, key, ids[1]).a.id).toBe(ids[0]);
  });

  it('a turn asked for by id is compared with that turn, whatever its conversation', () => {
    const answer = turnDiff(reader, key, ids[3], ids[2]);
    expect(answer.a.id).toBe(ids[2]);
    expect(answer.diff.system.map((c) => c.kind)).toEqual(['changed']);
  });
});
