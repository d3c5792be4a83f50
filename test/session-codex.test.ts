// Issue 27, done when: the real Codex CLI (0.171, node_modules/@openai/codex) runs a multi-turn
// task through the gateway against a scripted fake upstream (two shell calls, their outputs, then
// an answer), and the session API shows every turn, the diff between two turns is exactly the
// items the second request added (checked against the bodies the upstream received), the tool
// calls pair with the results Codex sent back, and the header's tokens are the sum of the calls'.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionHeader } from '../llm/session.ts';
import type { SessionPage, TurnDiffAnswer } from '../llm/session-read.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';
import { answerWithItem, runCodex, scriptedCodexHome } from './support/scripted-codex.ts';

/** What the scripted upstream answers, turn by turn: two commands, then the answer quoting their outputs. */
const COMMANDS = [
  { callId: 'call_alpha', cmd: 'echo alpha-42' },
  { callId: 'call_beta', cmd: 'echo beta-7' },
];
const FINAL = 'Both ran: alpha-42 and beta-7.';
const USAGE = [
  { input_tokens: 5000, output_tokens: 30, input_tokens_details: { cached_tokens: 0 } },
  { input_tokens: 5200, output_tokens: 25, input_tokens_details: { cached_tokens: 4900 } },
  { input_tokens: 5400, output_tokens: 12, input_tokens_details: { cached_tokens: 5100 } },
];

interface Received {
  input: unknown[];
  tools: unknown[];
}

let h: Harness;
let upstream: http.Server;
let upstreamPort: number;
let home: string;
const received: Received[] = [];
let codexOutput = '';

/** Turn by turn: a shell call while any is left, then the answer quoting their outputs. */
function answer(res: http.ServerResponse, turn: number): void {
  const command = COMMANDS[turn];
  const item = command
    ? {
        type: 'function_call',
        id: `fc_${turn}`,
        status: 'completed',
        name: 'exec_command',
        arguments: JSON.stringify({ cmd: command.cmd }),
        call_id: command.callId,
      }
    : {
        type: 'message',
        id: `msg_${turn}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: FINAL, annotations: [] }],
      };
  answerWithItem(res, `resp_script_${turn}`, item, { ...USAGE[Math.min(turn, USAGE.length - 1)], total_tokens: 0 });
}

beforeAll(async () => {
  h = await startHarness();
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end('{"error":{"message":"not scripted"}}');
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received;
      received.push({ input: body.input, tools: body.tools });
      // The turn is how many of the scripted calls Codex has answered with their outputs.
      const outputs = body.input.filter((i) => (i as { type?: string }).type === 'function_call_output').length;
      answer(res, outputs);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as { port: number }).port;

  // The gateway: no proxy setting and no CA, Codex sends plain HTTP to wirelog, which forwards to the fake upstream.
  const codex = scriptedCodexHome(`http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${upstreamPort}/v1`);
  home = codex.home;
  const { stdout, stderr } = await runCodex(
    ['exec', '--skip-git-repo-check', 'Run `echo alpha-42`, then `echo beta-7`, then report both outputs.'],
    { cwd: codex.work, env: codex.env },
    120_000,
  );
  codexOutput = `${stdout}\n${stderr}`;
}, 180_000);

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

const api = async <T>(url: string): Promise<T> => {
  const res = await fetch(`${h.wirelog.viewer!.url}${url}`);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
};

describe('a real Codex session through the gateway, read as a session', () => {
  let header: SessionHeader;
  let page: SessionPage;

  beforeAll(async () => {
    expect(codexOutput).toContain(FINAL);
    expect(received).toHaveLength(3);
    // Understanding (thread keys) follows storage in slices: wait until the session has its three calls.
    header = await eventually(
      async () =>
        (await api<{ sessions: SessionHeader[] }>('/api/sessions')).sessions.find(
          (s) => s.calls === 3 && s.key.startsWith('session:'),
        ),
      'the Codex session with its three calls',
    );
    page = await api<SessionPage>(`/api/sessions/${encodeURIComponent(header.key)}`);
  }, 60_000);

  it('the header: Codex 0.171.0 by its User-Agent, the upstream host, the model, tokens summed from the calls', () => {
    expect(header.client).toEqual({ kind: 'codex', label: 'Codex 0.171.0' });
    expect(header.hosts).toEqual(['127.0.0.1']);
    expect(header.models).toEqual(['fake-codex-model']);
    expect(header.tokens.input).toBe(USAGE.reduce((s, u) => s + u.input_tokens, 0));
    expect(header.tokens.output).toBe(USAGE.reduce((s, u) => s + u.output_tokens, 0));
    expect(header.tokens.cacheRead).toBe(USAGE.reduce((s, u) => s + u.input_tokens_details.cached_tokens, 0));
    // A fake upstream on 127.0.0.1 is nobody's price list: unknown, never guessed.
    expect(header.cost).toEqual({ usd: null, pricedUsd: 0, source: 'unknown' });
  });

  it('every turn, in order: what was said last and what the model answered', () => {
    expect(page.total).toBe(3);
    const [first, second, third] = page.turns;
    expect(first.inputs.at(-1)).toMatchObject({ role: 'user', text: expect.stringContaining('echo alpha-42') });
    expect(first.answer.toolCalls).toEqual([
      { id: 'call_alpha', name: 'exec_command', arguments: JSON.stringify({ cmd: 'echo alpha-42' }) },
    ]);
    expect(second.inputs.at(-1)).toMatchObject({
      role: 'tool',
      toolCallId: 'call_alpha',
      text: expect.stringContaining('alpha-42'),
    });
    expect(second.answer.toolCalls.map((c) => c.id)).toEqual(['call_beta']);
    expect(third.answer.text).toBe(FINAL);
    expect(page.turns.map((t) => [t.status, t.usage.input])).toEqual(USAGE.map((u) => [200, u.input_tokens]));
  });

  it('the tool calls pair with the results Codex sent back in the next turn, with the time Codex took', () => {
    const [first, second, third] = page.turns;
    expect(first.tools).toEqual([
      expect.objectContaining({
        callId: 'call_alpha',
        name: 'exec_command',
        result: expect.stringContaining('alpha-42'),
        resultTurnId: second.id,
      }),
    ]);
    expect(second.tools).toEqual([
      expect.objectContaining({
        callId: 'call_beta',
        result: expect.stringContaining('beta-7'),
        resultTurnId: third.id,
      }),
    ]);
    for (const pair of [first.tools[0], second.tools[0]]) expect(pair.clientDelayMs).toBeGreaterThanOrEqual(0);
    expect(third.tools).toEqual([]);
  });

  it('the diff between two turns is exactly the items the second request added', async () => {
    for (const [a, b] of [
      [0, 1],
      [1, 2],
      [0, 2],
    ]) {
      const earlier = received[a].input;
      const later = received[b].input;
      // What Codex sent: the earlier request's items again, then the new ones.
      expect(later.slice(0, earlier.length)).toEqual(earlier);
      const added = later.slice(earlier.length) as { type: string; call_id?: string }[];
      const { diff } = await api<TurnDiffAnswer>(
        `/api/sessions/${encodeURIComponent(header.key)}/diff?a=${page.turns[a].id}&b=${page.turns[b].id}`,
      );
      expect(diff.messages.unchanged).toBe(earlier.length);
      expect(diff.earlierChanged).toBeNull();
      expect(diff.messages.changes.map((c) => c.kind)).toEqual(added.map(() => 'added'));
      expect(
        diff.messages.changes.map((c) => (c.kind === 'added' ? (c.message.blocks[0].callId ?? null) : 'x')),
      ).toEqual(added.map((i) => i.call_id ?? null));
      expect(diff.tools).toMatchObject({ added: [], removed: [], changed: [], unchanged: received[b].tools.length });
    }
    // The items added between turn 1 and 2 are Codex's call and its output (and whatever else it chose to add, counted above).
    const { diff } = await api<TurnDiffAnswer>(
      `/api/sessions/${encodeURIComponent(header.key)}/diff?b=${page.turns[1].id}`,
    );
    const blocks = diff.messages.changes.flatMap((c) => (c.kind === 'added' ? c.message.blocks : []));
    expect(blocks.filter((b) => b.callId === 'call_alpha').map((b) => b.kind)).toEqual(['tool-call', 'tool-result']);
  });

  it("a turn's context: Codex's developer messages, every tool with its schema, reasoning settings", async () => {
    const answer = await api<{
      context: { tools: { name: string; schema: unknown }[]; messages: { role: string }[]; reasoning: unknown };
    }>(`/api/sessions/${encodeURIComponent(header.key)}/context?turn=${page.turns[2].id}`);
    expect(answer.context.tools.map((t) => t.name)).toContain('exec_command');
    expect(answer.context.tools.find((t) => t.name === 'exec_command')!.schema).toMatchObject({
      type: 'object',
      properties: { cmd: { type: 'string' } },
    });
    expect(answer.context.messages.length).toBe(received[2].input.length);
    expect(answer.context.messages.some((m) => m.role === 'developer')).toBe(true);
    expect(answer.context.reasoning).not.toBeNull();
  });

  it('refusals name the cause, in the language asked for', async () => {
    const missing = await fetch(`${h.wirelog.viewer!.url}/api/sessions/session%3Anope?lang=zh-CN`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('没有保存名为 "session:nope" 的会话');
    const bad = await fetch(`${h.wirelog.viewer!.url}/api/sessions/${encodeURIComponent(header.key)}/diff?b=abc`);
    expect(bad.status).toBe(400);
    const first = await fetch(
      `${h.wirelog.viewer!.url}/api/sessions/${encodeURIComponent(header.key)}/diff?b=${page.turns[0].id}`,
    );
    expect(first.status).toBe(422);
    expect(((await first.json()) as { error: string }).error).toMatch(
      /^exchange \d+ has no request context to compare/,
    );
  });
});
