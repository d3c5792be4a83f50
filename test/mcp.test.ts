// Issue 29: `wirelog mcp` through the MCP SDK's own client (stdio, spawning the real CLI) against
// a running capture: each tool, bad arguments answered as tool errors (the server goes on), a
// database held by a writer (read as WAL), one held exclusively (a clear error after the busy
// timeout), replay only with --allow-replay and never sending a key to another origin, and
// --print-config's snippets read back by TOML, a shell and JSON.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { databasePath, openDatabase } from '../db/schema.ts';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS, runCli, startWirelogProcess } from './support/cli.ts';
import { eventually, lockDatabase, startHarness, tempDir, type Harness } from './support/harness.ts';

const KEY = 'sk-mcp-test-0123456789abcdef';
const SESSION = 'sess-mcp-1';

interface Received {
  url: string;
  authorization: string | undefined;
}

/** A relay on 127.0.0.1: chat completions answer with usage; a base_url that already ended in /chat/completions gets 404. */
function startRelay(received: Received[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/v1/chat/completions') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            model: 'gpt-4o-mini',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'Hello from the relay, a long answer to trim' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020 },
          }),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        '{"error":{"message":"Invalid URL (POST /v1/chat/completions/responses)","type":"invalid_request_error"}}',
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: http.Server) => (server.address() as { port: number }).port;

interface Session {
  client: Client;
  stderr: () => string;
}

/** The real CLI's `wirelog mcp` as a child process, driven by the SDK's client over its stdio. */
async function connect(dataDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, 'mcp', '--data-dir', dataDir, ...extra],
    env: { ...(process.env as Record<string, string>), WIRELOG_LANG: 'en', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d));
  const client = new Client({ name: 'wirelog-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

interface ToolAnswer {
  isError?: boolean;
  content: { type: string; text: string }[];
}

async function call(session: Session, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  return (await session.client.callTool({ name, arguments: args })) as ToolAnswer;
}

/** A tool's answer as JSON, failing the test with the error's text when it was one. */
async function json<T = Record<string, any>>(
  session: Session,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const answer = await call(session, name, args);
  expect(answer.isError ?? false, answer.content[0]?.text).toBe(false);
  return JSON.parse(answer.content[0].text) as T;
}

/** A tool error's one line. */
async function refusal(session: Session, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const answer = await call(session, name, args);
  expect(answer.isError, answer.content[0]?.text).toBe(true);
  expect(answer.content).toHaveLength(1);
  return answer.content[0].text;
}

let h: Harness;
let relay: http.Server;
let other: http.Server;
const relayReceived: Received[] = [];
const otherReceived: Received[] = [];
let mcp: Session;
let working: number[] = [];
let failed: number[] = [];
const sessions: Session[] = [];

beforeAll(async () => {
  h = await startHarness();
  relay = await startRelay(relayReceived);
  other = await startRelay(otherReceived);
  const gateway = `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${portOf(relay)}`;
  const send = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    }).then((r) => r.text());
  // Two calls that work, in one session; then a client that retries a base_url ending in /chat/completions.
  await send('/v1/chat/completions', { 'session-id': SESSION });
  await send('/v1/chat/completions', { 'session-id': SESSION });
  await send('/v1/chat/completions/responses', { 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) dumb' });
  await send('/v1/chat/completions/responses', { 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) dumb' });
  await h.stored();
  const all = h.wirelog.reader.list({ limit: 10 }).reverse();
  working = all.filter((e) => e.response?.status === 200).map((e) => e.id);
  failed = all.filter((e) => e.response?.status === 404).map((e) => e.id);
  expect([working.length, failed.length]).toEqual([2, 2]);
  mcp = await connect(h.dataDir);
  sessions.push(mcp);
}, 120_000);

afterAll(async () => {
  for (const s of sessions) await s.client.close().catch(() => undefined);
  await h?.close();
  for (const server of [relay, other])
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('wirelog mcp, read-only, beside a running capture', () => {
  it('offers the five read tools, each with an input schema, and no replay without --allow-replay', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'compare_with_working',
      'diagnose',
      'list_calls',
      'read_call',
      'session_usage',
    ]);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.description!.length).toBeGreaterThan(40);
    }
    expect(await refusal(mcp, 'replay_call', { id: working[0] })).toMatch(/replay is off.*--allow-replay/);
  });

  it('list_calls: compact rows, newest first, filtered by status, host, session and time', async () => {
    const all = await json(mcp, 'list_calls');
    expect(all.calls.map((c: { id: number }) => c.id)).toEqual([...failed, ...working].sort((a, b) => b - a));
    expect(all.more).toBe(false);
    const row = all.calls.find((c: { id: number }) => c.id === working[0]);
    expect(row).toMatchObject({
      method: 'POST',
      status: 200,
      model: 'gpt-4o-mini',
      tokens: { input: 1000, output: 20 },
      session: `session:${SESSION}`,
    });
    expect(Object.keys(row)).not.toContain('request');
    const notFound = await json(mcp, 'list_calls', { status: '4xx' });
    expect(notFound.calls.map((c: { id: number }) => c.id)).toEqual([...failed].reverse());
    expect(notFound.calls[0].diagnosis).toMatch(/^error: .*chat\/completions\/responses/);
    expect((await json(mcp, 'list_calls', { session: `session:${SESSION}` })).calls).toHaveLength(2);
    expect((await json(mcp, 'list_calls', { host: 'nowhere.example' })).calls).toHaveLength(0);
    expect((await json(mcp, 'list_calls', { since: '2999-01-01' })).calls).toHaveLength(0);
    const page = await json(mcp, 'list_calls', { limit: 1 });
    expect([page.calls.length, page.more]).toEqual([1, true]);
  });

  it('read_call: request, response and model call as stored, the key masked, bodies cut to maxBodyChars', async () => {
    const read = await json(mcp, 'read_call', { id: working[0], maxBodyChars: 12 });
    expect(read.request.method).toBe('POST');
    const authorization = read.request.headers.find(([name]: string[]) => name.toLowerCase() === 'authorization')[1];
    expect(authorization).not.toContain(KEY);
    expect(authorization).toMatch(/cdef$/);
    expect(JSON.stringify(read)).not.toContain(KEY);
    expect(read.request.body.text).toMatch(/^\{"model":"gp… \[\d+ more characters; ask with a larger maxBodyChars\]$/);
    expect(read.response.status).toBe(200);
    expect(read.modelCall).toMatchObject({
      dialect: 'openai-chat',
      requestedModel: 'gpt-4o-mini',
      answer: { text: 'Hello from t… [31 more characters; ask with a larger maxBodyChars]', finishReason: 'stop' },
      usage: { input: 1000, output: 20 },
    });
    const whole = await json(mcp, 'read_call', { id: failed[0], maxBodyChars: 100_000 });
    expect(whole.response.body.text).toContain('Invalid URL');
    expect(whole.diagnoses[0].rule).toBe('repeated-endpoint');
  });

  it('diagnose: the retries of the 404 are one entry with the repeated-endpoint diagnosis and its fix; a call that worked has none', async () => {
    const last = await json(mcp, 'diagnose', { last: 10 });
    expect(last.problems).toHaveLength(1);
    const [problem] = last.problems;
    expect(problem).toMatchObject({ ids: failed, status: 404, client: 'Codex 0.171.0' });
    expect(problem.diagnoses[0]).toMatchObject({ rule: 'repeated-endpoint', severity: 'error' });
    expect(problem.diagnoses[0].summary).toContain('/chat/completions/responses');
    expect(problem.diagnoses[0].fix).toContain(
      `base_url = "http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${portOf(relay)}/v1"`,
    );
    expect(problem.comparedWithLastWorking).toContain(`#${working[1]}`);
    expect((await json(mcp, 'diagnose', { id: working[0] })).problems).toEqual([]);
  });

  it('compare_with_working: the failed call beside the last that worked, the key compared by fingerprint', async () => {
    const compared = await json(mcp, 'compare_with_working', { id: failed[1] });
    expect(compared.a.id).toBe(failed[1]);
    expect(compared.b).toMatchObject({ id: working[1], status: 200, lastThatWorked: true });
    expect(compared.summary).toContain('(the same key)');
    expect(compared.keys).toContainEqual({ name: 'authorization', verdict: 'same key' });
    expect(compared.sameRequestLine).toBe(false);
    expect(JSON.stringify(compared)).not.toContain(KEY);
  });

  it("session_usage: a session's calls and tokens summed, by session key, by a call's id, and the newest", async () => {
    const usage = await json(mcp, 'session_usage', { session: `session:${SESSION}` });
    expect(usage).toMatchObject({ session: `session:${SESSION}`, calls: 2, inputTokens: 2000, outputTokens: 40 });
    expect(['provider', 'estimated', 'unknown']).toContain(usage.costSource);
    expect(await json(mcp, 'session_usage', { id: working[1] })).toEqual(usage);
    expect(await refusal(mcp, 'session_usage', { session: 'session:none' })).toBe(
      'no stored model call belongs to session "session:none" (list_calls shows each call\'s session)',
    );
  });

  it('bad arguments: one line naming the argument and the way to fix it, and the server answers the next call', async () => {
    expect(await refusal(mcp, 'list_calls', { limit: 'ten' })).toBe(
      "wrong arguments to list_calls: limit: Expected number, received string (the tool's input schema lists what it takes)",
    );
    expect(await refusal(mcp, 'list_calls', { limit: 5000 })).toMatch(
      /^wrong arguments to list_calls: limit: Number must be less than or equal to 200/,
    );
    expect(await refusal(mcp, 'list_calls', { hots: 'x' })).toMatch(
      /^wrong arguments to list_calls: arguments: Unrecognized key\(s\) in object: 'hots'/,
    );
    expect(await refusal(mcp, 'list_calls', { since: 'yesterday' })).toBe(
      'since takes an ISO date or time such as 2026-11-24 or 2026-11-24T10:00:00Z, not "yesterday"',
    );
    expect(await refusal(mcp, 'list_calls', { status: 'bad' })).toBe(
      'status takes a code such as 404 or a class such as 4xx, not "bad"',
    );
    expect(await refusal(mcp, 'read_call', {})).toMatch(/^wrong arguments to read_call: id: Required/);
    expect(await refusal(mcp, 'read_call', { id: 999_999 })).toBe(
      'no call #999999 is stored (list_calls gives the ids there are)',
    );
    expect(await refusal(mcp, 'compare_with_working', { id: 1.5 })).toMatch(
      /^wrong arguments to compare_with_working: id: Expected integer/,
    );
    expect(await refusal(mcp, 'no_such_tool')).toMatch(
      /^there is no tool "no_such_tool" \(tools: list_calls, read_call/,
    );
    expect((await json(mcp, 'list_calls', { limit: 1 })).calls).toHaveLength(1);
  });

  it('reads while another program holds the write lock (WAL readers), and the capture goes on', async () => {
    const release = lockDatabase(h.dataDir);
    try {
      expect((await json(mcp, 'list_calls')).calls).toHaveLength(4);
      expect((await json(mcp, 'diagnose', { id: failed[0] })).problems).toHaveLength(1);
    } finally {
      release();
    }
  });
});

describe('wirelog mcp where the database cannot be read', () => {
  it('no database yet: says where it looked and how to capture', async () => {
    const empty = tempDir('wirelog-mcp-empty-');
    const session = await connect(empty);
    sessions.push(session);
    expect(await refusal(session, 'list_calls')).toBe(
      `no captures in ${empty} yet (no wirelog.sqlite there): capture some calls first (\`wirelog start\`, or \`wirelog run -- CMD\`), or start this server with --data-dir pointing at the directory that holds them`,
    );
    // Nothing was created: the server only reads.
    expect(fs.readdirSync(empty)).toEqual([]);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('held exclusively by another program: a clear error after the busy timeout, then answers once it lets go', async () => {
    const dir = tempDir('wirelog-mcp-locked-');
    openDatabase(dir).close();
    const session = await connect(dir);
    sessions.push(session);
    // A WAL database held in exclusive locking mode (as a tool that opened it so would): no other connection reads it.
    const holder = new Database(databasePath(dir));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE; UPDATE upkeep SET purge = purge; COMMIT');
    try {
      expect(await refusal(session, 'list_calls')).toMatch(
        new RegExp(
          `^the database ${databasePath(dir).replace(/[.]/g, '\\.')} is locked by another program and could not be read within 5 s \\(.+\\): ask again once it lets go`,
        ),
      );
    } finally {
      holder.close();
    }
    expect((await json(session, 'list_calls')).calls).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

describe('wirelog mcp --allow-replay', () => {
  it('replays through the running wirelog, and a key captured for the relay is not sent to another origin', async () => {
    // `wirelog start` as its own process: replay goes through the instance it records in the data dir.
    const dir = tempDir('wirelog-mcp-replay-');
    const running = await startWirelogProcess(dir);
    try {
      const proxyPort = new URL(running.proxyUrl).port;
      const sent = await fetch(`http://127.0.0.1:${proxyPort}/http/127.0.0.1:${portOf(relay)}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"again"}]}',
      });
      expect(sent.status).toBe(200);
      await sent.text();
      const session = await connect(dir, ['--allow-replay']);
      sessions.push(session);
      expect((await session.client.listTools()).tools.map((t) => t.name)).toContain('replay_call');
      const captured = await eventually(
        async () => (await json(session, 'list_calls', { status: '200' }).catch(() => ({ calls: [] }))).calls[0],
        'the call stored',
      );
      const same = await json(session, 'replay_call', { id: captured.id });
      expect(same).toMatchObject({ replayOf: captured.id, status: 200, state: 'complete', withheld: [] });
      // The replay reached the relay with the key wirelog remembered from the capture.
      expect(relayReceived.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
      const moved = await json(session, 'replay_call', {
        id: captured.id,
        url: `http://127.0.0.1:${portOf(other)}/v1/chat/completions`,
      });
      expect(moved.status).toBe(200);
      expect(moved.withheld).toHaveLength(1);
      expect(moved.withheld[0]).toMatch(/authorization/i);
      expect(otherReceived).toHaveLength(1);
      expect(otherReceived[0].authorization ?? '').not.toContain(KEY.slice(3, -4));
    } finally {
      await running.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('wirelog mcp --print-config', () => {
  const dir = '/tmp/it\'s a "dir" $HOME `id`';

  it('codex: a [mcp_servers.wirelog] table whose strings hold the path as it is', async () => {
    const printed = await runCli(['mcp', '--print-config', 'codex', '--data-dir', dir]);
    expect(printed.code).toBe(0);
    expect(printed.stderr).toContain('config.toml');
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toBe('[mcp_servers.wirelog]');
    expect(lines[1]).toMatch(/^command = "/);
    // TOML basic strings are JSON strings for these characters: read back, the array is the arguments.
    const args = JSON.parse(lines[2].replace(/^args = /, '')) as string[];
    expect(args.slice(-3)).toEqual(['mcp', '--data-dir', dir]);
    // Then, commented with why, the line that offers MCP tools to a relay's model (Codex 0.171 defers them behind tool_search).
    expect(lines.slice(3)).toEqual([
      '',
      expect.stringMatching(/^# Codex 0\.171 hides MCP tools behind tool_search.*uncomment/),
      '# [features]',
      '# tool_search_always_defer_mcp_tools = false',
    ]);
    expect(parseToml(printed.stdout)).toEqual({ mcp_servers: { wirelog: { command: expect.any(String), args } } });
    const uncommented = printed.stdout.replace(/^# (\[features\]|tool_search)/gm, '$1');
    expect(parseToml(uncommented).features).toEqual({ tool_search_always_defer_mcp_tools: false });
  });

  it('claude: a shell line that passes every value as one word, running nothing else', async () => {
    const printed = await runCli(['mcp', '--print-config', 'claude', '--data-dir', dir, '--allow-replay']);
    expect(printed.code).toBe(0);
    const bin = tempDir('wirelog-mcp-bin-');
    fs.writeFileSync(
      path.join(bin, 'claude'),
      `#!${process.execPath}\nconsole.log(JSON.stringify(process.argv.slice(2)))\n`,
      { mode: 0o755 },
    );
    const argv = await new Promise<string[]>((resolve, reject) =>
      execFile(
        '/bin/sh',
        ['-c', printed.stdout],
        { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: '/nonexistent' } },
        (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as string[])),
      ),
    );
    fs.rmSync(bin, { recursive: true, force: true });
    expect(argv.slice(0, 3)).toEqual(['mcp', 'add', 'wirelog']);
    expect(argv.slice(-4)).toEqual(['mcp', '--data-dir', dir, '--allow-replay']);
  });

  it('cherry-studio: its MCP settings JSON', async () => {
    const printed = await runCli(['mcp', '--print-config', 'cherry-studio', '--data-dir', dir]);
    const settings = JSON.parse(printed.stdout) as {
      mcpServers: { wirelog: { type: string; command: string; args: string[] } };
    };
    expect(settings.mcpServers.wirelog.type).toBe('stdio');
    expect(settings.mcpServers.wirelog.args.slice(-3)).toEqual(['mcp', '--data-dir', dir]);
  });

  it('an unknown client: one line naming the three', async () => {
    const printed = await runCli(['mcp', '--print-config', 'vscode']);
    expect([printed.code, printed.stderr.trim()]).toEqual([
      2,
      'wirelog: --print-config takes codex, claude or cherry-studio, not "vscode"',
    ]);
  });
});
