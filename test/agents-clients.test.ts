// Issue 29, done when: `wirelog run -- codex exec …`, `wirelog run -- claude -p …` and
// `wirelog run -- gemini -p …` each capture a two-turn tool-using session against a scripted
// fake upstream on 127.0.0.1 with nothing else configured. Each agent is the real client from
// the registry (node_modules/.bin on PATH, as a user's global install), pointed at the fake
// upstream by its own config as a user would point it at a relay (Codex's config.toml provider,
// Claude Code's settings.json env as cc-switch writes it, Gemini CLI's ~/.gemini/.env); wirelog
// run picks the capture (the gateway for all three here), and the running wirelog stores every
// turn, its streamed events, and threads the session. The user's config files are never written.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionHeader } from '../llm/session.ts';
import type { SessionPage } from '../llm/session-read.ts';
import {
  WIRELOG_BIN,
  WIRELOG_NODE_FLAGS,
  startWirelogProcess,
  type CliResult,
  type WirelogProcess,
} from './support/cli.ts';
import { eventually, tempDir } from './support/harness.ts';

const BIN = path.resolve('node_modules/.bin');
const FINAL = 'Done: the command printed alpha-42.';
const COMMAND = 'echo alpha-42';

type Dialect = 'responses' | 'anthropic' | 'gemini';
const received: Record<Dialect, unknown[]> = { responses: [], anthropic: [], gemini: [] };

function sse(res: http.ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`);
  res.end();
}

/** Codex: an exec_command call until the request carries its output, then the answer. */
function answerResponses(res: http.ServerResponse, body: { input: { type?: string }[] }): void {
  const answered = body.input.some((i) => i.type === 'function_call_output');
  const item = answered
    ? {
        type: 'message',
        id: 'msg_final',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: FINAL, annotations: [] }],
      }
    : {
        type: 'function_call',
        id: 'fc_1',
        status: 'completed',
        name: 'exec_command',
        arguments: JSON.stringify({ cmd: COMMAND }),
        call_id: 'call_alpha',
      };
  const id = answered ? 'resp_2' : 'resp_1';
  const event = (type: string, data: Record<string, unknown>) => ({ event: type, data: { type, ...data } });
  sse(res, [
    event('response.created', { response: { id, model: 'fake-model', status: 'in_progress' } }),
    event('response.output_item.added', { output_index: 0, item }),
    event('response.output_item.done', { output_index: 0, item }),
    event('response.completed', {
      response: {
        id,
        model: 'fake-model',
        status: 'completed',
        output: [item],
        usage: { input_tokens: 100, output_tokens: 10, total_tokens: 110 },
      },
    }),
  ]);
}

interface AnthropicBody {
  stream?: boolean;
  model: string;
  tools?: { name: string }[];
  messages: { role: string; content: string | { type: string }[] }[];
}

/** Claude Code: a Bash tool_use while the conversation has no tool_result, then the answer; any side request gets a short text. */
function answerAnthropic(res: http.ServerResponse, body: AnthropicBody): void {
  const hasResult = body.messages.some(
    (m) => Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result'),
  );
  const wantsTool = !hasResult && (body.tools ?? []).some((t) => t.name === 'Bash');
  const text = hasResult ? FINAL : 'ok';
  const usage = { input_tokens: 100, output_tokens: 10 };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(
      JSON.stringify({
        id: 'msg_side',
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage,
      }),
    );
  }
  const block = wantsTool
    ? { type: 'tool_use', id: 'toolu_alpha', name: 'Bash', input: {} }
    : { type: 'text', text: '' };
  const delta = wantsTool
    ? { type: 'input_json_delta', partial_json: JSON.stringify({ command: COMMAND, description: 'Print alpha-42' }) }
    : { type: 'text_delta', text };
  sse(res, [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: wantsTool ? 'msg_1' : 'msg_2',
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 100, output_tokens: 1 },
        },
      },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: block } },
    { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta } },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: wantsTool ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: 10 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]);
}

interface GeminiBody {
  contents: { role: string; parts: Record<string, unknown>[] }[];
  tools?: { functionDeclarations?: { name: string }[] }[];
}

/** Gemini CLI: a run_shell_command call until a functionResponse comes back, then the answer; side requests (JSON checks) get a plain answer. */
function answerGemini(res: http.ServerResponse, url: string, body: GeminiBody): void {
  const hasResult = body.contents.some((c) => c.parts.some((p) => 'functionResponse' in p));
  const wantsTool =
    !hasResult &&
    (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((f) => f.name === 'run_shell_command'));
  const part = wantsTool
    ? { functionCall: { name: 'run_shell_command', args: { command: COMMAND, description: 'Print alpha-42' } } }
    : { text: hasResult ? FINAL : '{"reasoning":"the answer is complete","next_speaker":"user"}' };
  const chunk = {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 110 },
    modelVersion: 'gemini-fake',
  };
  if (url.includes(':streamGenerateContent')) return sse(res, [{ data: chunk }]);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(chunk));
}

/** `wirelog ARGS` in a working directory, its standard input closed (`codex exec` reads more of the prompt from one left open). */
function wirelogIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args], {
      cwd,
      env: { ...env, WIRELOG_LANG: 'en' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    child.once('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let upstream: http.Server;
let upstreamUrl: string;
let wirelog: WirelogProcess;
let dataDir: string;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      let body: unknown = null;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        body = null;
      }
      if (req.method === 'POST' && url.endsWith('/v1/responses')) {
        received.responses.push(body);
        return answerResponses(res, body as { input: { type?: string }[] });
      }
      if (req.method === 'POST' && url.startsWith('/v1/messages') && !url.includes('count_tokens')) {
        received.anthropic.push(body);
        return answerAnthropic(res, body as AnthropicBody);
      }
      if (req.method === 'POST' && /:(stream)?generateContent/i.test(url)) {
        received.gemini.push(body);
        return answerGemini(res, url, body as GeminiBody);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not scripted"}}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  dataDir = tempDir('wirelog-agents-');
  wirelog = await startWirelogProcess(dataDir);
}, 120_000);

afterAll(async () => {
  await wirelog?.stop();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  upstream?.closeAllConnections();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const api = async <T>(url: string): Promise<T> => {
  const res = await fetch(`${wirelog.viewerUrl}${url}`);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
};

/** A config file's hash and time of change: the user's config before and after. */
function hashes(file: string): string {
  return `${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')} ${fs.statSync(file).mtimeMs}`;
}

interface Agent {
  name: string;
  /** wirelog run's own flags before the `--`. */
  flags?: string[];
  dialect: Dialect;
  /** The host path the model calls go to (under the fake upstream). */
  path: RegExp;
  /** Writes the user's own config (pointing the agent at the fake upstream, as at a relay); returns the config files to watch. */
  configure(home: string, work: string): string[];
  env(home: string): NodeJS.ProcessEnv;
  args: string[];
}

const AGENTS: Agent[] = [
  {
    name: 'codex',
    dialect: 'responses',
    path: /\/v1\/responses$/,
    configure(home) {
      const dir = path.join(home, '.codex');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'config.toml'),
        [
          'model = "fake-model"',
          'model_provider = "relay"',
          'approval_policy = "never"',
          'sandbox_mode = "danger-full-access"',
          '[model_providers.relay]',
          'name = "relay"',
          `base_url = "${upstreamUrl}/v1"`,
          'env_key = "RELAY_API_KEY"',
          'wire_api = "responses"',
          '[analytics]',
          'enabled = false',
          '[features]',
          'plugins = false',
          '',
        ].join('\n'),
      );
      return [path.join(dir, 'config.toml')];
    },
    env: () => ({ RELAY_API_KEY: 'sk-relay-000011112222' }),
    args: ['codex', 'exec', '--skip-git-repo-check', `Run \`${COMMAND}\` and report its output.`],
  },
  {
    name: 'claude',
    dialect: 'anthropic',
    path: /\/v1\/messages/,
    configure(home) {
      // As cc-switch writes a relay into Claude Code's user settings.
      const dir = path.join(home, '.claude');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'settings.json'),
        JSON.stringify({ env: { ANTHROPIC_BASE_URL: upstreamUrl, ANTHROPIC_MODEL: 'claude-fake' } }, null, 2),
      );
      return [path.join(dir, 'settings.json')];
    },
    // Nothing else leaves for the internet: the test stays on 127.0.0.1.
    env: () => ({ ANTHROPIC_API_KEY: 'sk-ant-fake-000011112222', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' }),
    args: [
      'claude',
      '-p',
      '--allowedTools',
      'Bash',
      '--output-format',
      'text',
      `Run \`${COMMAND}\` and report its output.`,
    ],
  },
  {
    name: 'gemini',
    dialect: 'gemini',
    path: /generatecontent/i,
    configure(home, work) {
      // As cc-switch writes a relay for Gemini CLI: its ~/.gemini/.env.
      const dir = path.join(home, '.gemini');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, '.env'),
        `GOOGLE_GEMINI_BASE_URL=${upstreamUrl}\nGEMINI_API_KEY=AIza-fake-000011112222\n`,
      );
      fs.writeFileSync(
        path.join(dir, 'settings.json'),
        JSON.stringify(
          {
            security: { auth: { selectedType: 'gemini-api-key' } },
            privacy: { usageStatisticsEnabled: false },
            general: { enableAutoUpdate: false },
          },
          null,
          2,
        ),
      );
      // The user trusts the project folder (else Gemini CLI reads no ~/.gemini/.env and turns --yolo off).
      fs.writeFileSync(path.join(dir, 'trustedFolders.json'), JSON.stringify({ [work]: 'TRUST_FOLDER' }));
      return [path.join(dir, '.env'), path.join(dir, 'settings.json'), path.join(dir, 'trustedFolders.json')];
    },
    env: () => ({}),
    args: ['gemini', '--yolo', '-p', `Run \`${COMMAND}\` and report its output.`],
  },
];
// --mode proxy overrides the table: Codex through the proxy variables and the CA (it follows HTTP(S)_PROXY, loopback included).
AGENTS.push({ ...AGENTS[0], name: 'codex --mode proxy', flags: ['--mode', 'proxy'] });

describe.each(AGENTS)('wirelog run -- $name, nothing else configured', (agent) => {
  let home: string;
  let work: string;
  let before: string[];
  let watched: string[];
  let result: CliResult;
  let explain: CliResult;
  let calls: { id: number; status: number | null }[] = [];
  let receivedBefore = 0;
  let lastIdBefore = 0;

  beforeAll(async () => {
    home = tempDir(`wirelog-${agent.name}-home-`);
    work = path.join(home, 'work');
    fs.mkdirSync(work);
    watched = agent.configure(home, work);
    before = watched.map(hashes);
    const env: NodeJS.ProcessEnv = {
      PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
      HOME: home,
      TERM: 'dumb',
      ...agent.env(home),
    };
    explain = await wirelogIn(
      work,
      ['run', '--data-dir', dataDir, ...(agent.flags ?? []), '--explain', '--', ...agent.args],
      env,
    );
    receivedBefore = received[agent.dialect].length;
    lastIdBefore = (await api<{ exchanges: { id: number }[] }>('/api/exchanges?limit=1')).exchanges[0]?.id ?? 0;
    result = await wirelogIn(work, ['run', '--data-dir', dataDir, ...(agent.flags ?? []), '--', ...agent.args], env);
  }, 240_000);

  afterAll(() => {
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('explains the capture it will use, keeping the upstream from the user config', () => {
    expect(explain.code, explain.stderr).toBe(0);
    const why = explain.stdout.trim().split('\n').at(-1);
    if (agent.flags) {
      expect(explain.stdout).toContain(`HTTPS_PROXY='${wirelog.proxyUrl}'`);
      expect(why).toBe('# Codex through the proxy, as --mode asked');
      // The relay is on loopback, which many clients reach past a proxy: its gateway form is said.
      expect(explain.stderr).toContain(`${upstreamUrl}/v1 is on this machine`);
      expect(explain.stderr).toContain(
        `http://127.0.0.1:${new URL(wirelog.proxyUrl).port}/http/${new URL(upstreamUrl).host}/v1`,
      );
    } else {
      const base = `http://127.0.0.1:${new URL(wirelog.proxyUrl).port}/http/${new URL(upstreamUrl).host}`;
      expect(explain.stdout).toContain(base);
      expect(why).toMatch(/^# .*gateway/);
    }
  });

  it('the agent finishes its two turns with the tool result', () => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(FINAL);
  });

  it('every model call was captured, each a stream with its events stored, the tool call then its result', async () => {
    const host = new URL(upstreamUrl).host;
    calls = await eventually(async () => {
      const { exchanges } = await api<{
        exchanges: { id: number; url: string; status: number | null; state: string }[];
      }>(`/api/exchanges?limit=200`);
      const mine = exchanges.filter(
        (e) =>
          e.id > lastIdBefore &&
          new URL(e.url).host === host &&
          agent.path.test(new URL(e.url).pathname) &&
          e.state !== 'open',
      );
      return mine.length >= received[agent.dialect].length - receivedBefore && mine.length >= 2 ? mine : null;
    }, `${agent.name}'s calls in the running wirelog`);
    expect(calls.length).toBe(received[agent.dialect].length - receivedBefore);
    for (const call of calls) expect(call.status).toBe(200);
    const streamed = [];
    for (const call of calls) {
      const events = await api<{ sseEvents: unknown[] }>(`/api/exchanges/${call.id}/events`);
      if (events.sseEvents.length > 0) streamed.push(call.id);
    }
    expect(streamed.length).toBeGreaterThanOrEqual(2);
  });

  it('the session is threaded: the tool call in one turn, its result in the next', async () => {
    const header = await eventually(async () => {
      const { sessions } = await api<{ sessions: SessionHeader[] }>('/api/sessions');
      return sessions.find((s) => s.calls >= 2 && calls.some((c) => c.id === s.firstId || c.id === s.lastId));
    }, `${agent.name}'s session`);
    const page = await api<SessionPage>(`/api/sessions/${encodeURIComponent(header.key)}`);
    const withCall = page.turns.findIndex((t) => t.answer.toolCalls.length > 0);
    expect(withCall).toBeGreaterThanOrEqual(0);
    const pair = page.turns[withCall].tools[0];
    expect(pair.result).toContain('alpha-42');
    expect(page.turns.some((t) => t.answer.text?.includes(FINAL))).toBe(true);
  });

  it("the user's config files are byte for byte as they were", () => {
    expect(watched.map(hashes)).toEqual(before);
  });
});
