// Issue 29, done when: the real Codex CLI (0.171, node_modules/@openai/codex) answers "why did my
// last call fail?" through `wirelog mcp`. A 404 on a base_url that already ended in
// /chat/completions is captured first; Codex is configured with the snippet `wirelog mcp
// --print-config codex` prints (in a CODEX_HOME of the test's own); a scripted upstream on
// 127.0.0.1 has the model call wirelog's diagnose tool, and Codex's next request must carry the
// tool's result: the repeated-endpoint diagnosis and its fix.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { answerWithItem, runCodex, scriptedCodexHome } from './support/scripted-codex.ts';

const FINAL = 'Your base_url ends in /chat/completions; set it to end at /v1.';

interface Item {
  type?: string;
  name?: string;
  call_id?: string;
  output?: unknown;
}
interface Received {
  input: Item[];
  tools: { type?: string; name?: string; tools?: { name?: string }[] }[];
}

let h: Harness;
let relay: http.Server;
let upstream: http.Server;
let home: string;
const received: Received[] = [];
let codexOutput = '';
let relayPort = 0;
let toolName = '';
let toolNamespace: string | null = null;

/** A Responses stream: one item (a function call or the final message), then response.completed. */
function answer(res: http.ServerResponse, turn: number, item: Record<string, unknown>): void {
  answerWithItem(res, `resp_mcp_${turn}`, item, { input_tokens: 100, output_tokens: 10, total_tokens: 110 });
}

/**
 * Every function Codex offers, as `namespace.name`: Codex 0.171 offers an MCP server's tools in a
 * namespace of their own (`mcp__wirelog`, then `diagnose`), other versions as `mcp__wirelog__diagnose`.
 */
function offered(body: Received): { namespace: string | null; name: string }[] {
  return body.tools.flatMap((t) =>
    t.type === 'namespace'
      ? (t.tools ?? []).map((inner) => ({ namespace: t.name ?? null, name: inner.name ?? '' }))
      : [{ namespace: null, name: t.name ?? '' }],
  );
}

/** wirelog's diagnose tool as Codex offers it. */
function diagnoseTool(body: Received): { namespace: string | null; name: string } | undefined {
  return offered(body).find((t) => /wirelog/.test(`${t.namespace ?? ''}${t.name}`) && /diagnose/.test(t.name));
}

beforeAll(async () => {
  h = await startHarness();
  // The relay a client reached with a base_url that already ended in /chat/completions: 404.
  relay = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"Invalid URL (POST /v1/chat/completions/responses)"}}');
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayPort = (relay.address() as { port: number }).port;
  const failed = await fetch(
    `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${relayPort}/v1/chat/completions/responses`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-relay-000011112222',
        'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) dumb',
      },
      body: '{"model":"gpt-5","input":"hello","stream":true}',
    },
  );
  expect(failed.status).toBe(404);
  await failed.text();
  await h.stored();

  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end('{"error":{"message":"not scripted"}}');
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received;
      received.push(body);
      const output = body.input.find((i) => i.type === 'function_call_output');
      const tool = diagnoseTool(body);
      if (!output && tool) {
        [toolName, toolNamespace] = [tool.name, tool.namespace];
        const item = {
          type: 'function_call',
          id: 'fc_1',
          status: 'completed',
          name: tool.name,
          ...(tool.namespace ? { namespace: tool.namespace } : {}),
          arguments: '{"last":5}',
          call_id: 'call_wirelog_1',
        };
        return answer(res, received.length, item);
      }
      answer(res, received.length, {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [
          { type: 'output_text', text: tool || output ? FINAL : 'no wirelog tool was offered', annotations: [] },
        ],
      });
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as { port: number }).port;

  // The MCP server's table exactly as `wirelog mcp --print-config codex` prints it (node and this checkout's CLI: PATH has no wirelog).
  const printed = await runCli(['mcp', '--print-config', 'codex', '--data-dir', h.dataDir], {
    env: { PATH: path.dirname(process.execPath) },
  });
  expect(printed.code, printed.stderr).toBe(0);
  const codex = scriptedCodexHome(`http://127.0.0.1:${upstreamPort}/v1`, [
    // Codex 0.171 defers MCP tools behind its tool_search tool, which a model it has no metadata for is not given: offer them directly.
    'tool_search_always_defer_mcp_tools = false',
    '',
    printed.stdout.trim(),
    // The server's start on a loaded 2-core machine (tsx or the bundle): more than Codex's default 10 s may pass.
    'startup_timeout_sec = 60',
    // An optional server still starting after a grace of 1 s is left out of the first turn's tools
    // without a word (docs/facts.md): a required one is waited for.
    'required = true',
  ]);
  home = codex.home;
  const env: NodeJS.ProcessEnv = { ...codex.env, WIRELOG_LANG: 'en' };
  try {
    const { stdout, stderr } = await runCodex(
      ['exec', '--skip-git-repo-check', 'Why did my last call fail? Ask wirelog.'],
      { cwd: codex.work, env },
    );
    codexOutput = `${stdout}\n${stderr}`;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    codexOutput = `${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`;
  }
}, 240_000);

afterAll(async () => {
  await h?.close();
  for (const server of [relay, upstream])
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('the real Codex CLI asks wirelog mcp why its last call failed', () => {
  it("offers wirelog's tools to the model, calls diagnose, and sends its result back: the repeated-endpoint diagnosis and its fix", () => {
    expect(received.length, codexOutput).toBe(2);
    const names = offered(received[0]).map((t) => `${t.namespace ? `${t.namespace}.` : ''}${t.name}`);
    expect(toolName, `tools offered: ${names.join(', ')}`).not.toBe('');
    expect(`${toolNamespace ?? ''}${toolName}`).toMatch(/wirelog.*diagnose/);
    for (const name of ['list_calls', 'read_call', 'compare_with_working', 'session_usage'])
      expect(
        names.some((o) => /wirelog/.test(o) && o.endsWith(name)),
        name,
      ).toBe(true);
    expect(names.some((o) => o.includes('replay_call'))).toBe(false);
    const output = received[1].input.find((i) => i.type === 'function_call_output' && i.call_id === 'call_wirelog_1');
    expect(output, JSON.stringify(received[1].input).slice(0, 2000)).toBeDefined();
    // Codex passes the tool's text on as content items (its wall time first); the text is the tool's JSON answer.
    const items = Array.isArray(output!.output)
      ? (output!.output as { text?: string }[])
      : [{ text: String(output!.output) }];
    const text = items.map((i) => i.text ?? '').join('\n');
    const result = JSON.parse(text.slice(text.indexOf('{'))) as {
      problems: { status: number; diagnoses: { rule: string; summary: string; fix: string }[] }[];
    };
    expect(result.problems).toHaveLength(1);
    const [diagnosis] = result.problems[0].diagnoses;
    expect(result.problems[0].status).toBe(404);
    expect(diagnosis.rule).toBe('repeated-endpoint');
    expect(diagnosis.summary).toContain('/chat/completions/responses');
    expect(diagnosis.fix).toContain(
      `Set base_url = "http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${relayPort}/v1"`,
    );
    expect(codexOutput).toContain(FINAL);
  });
});
