// Code snippets (cURL, fetch, Python requests and the openai SDK call), run
// against the fake upstream: each sends exactly the captured bytes, runs nothing else, and reads
// a masked key from the variable it names.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyVariable } from '../export/snippets.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const cwd = tempDir('wirelog-snippet-');
const marker = path.join(cwd, 'ran');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      file,
      args,
      {
        cwd,
        env: {
          ...process.env,
          http_proxy: '',
          HTTP_PROXY: '',
          https_proxy: '',
          HTTPS_PROXY: '',
          NODE_OPTIONS: '',
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

/** Captures a POST to the fake upstream's /echo (plain HTTP, so the snippet can call it directly) and returns its id. */
async function capture(body: Buffer, headers: Record<string, string>): Promise<number> {
  const res = await request(`${h.upstream.httpUrl}/echo?snippet=1`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers,
    body,
  });
  await res.body.text();
  await h.stored();
  return h.wirelog.reader.list({ limit: 1 })[0].id;
}

async function snippetOf(id: number, target: string): Promise<string> {
  const res = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${id}/snippet?target=${target}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The body and Authorization the fake upstream got, from its echo. */
function echoed(stdout: string): { body: Buffer; authorization: string | undefined } {
  const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { body: string; rawHeaders: string[] };
  const i = json.rawHeaders.findIndex((v, k) => k % 2 === 0 && v.toLowerCase() === 'authorization');
  return { body: Buffer.from(json.body, 'base64'), authorization: i < 0 ? undefined : json.rawHeaders[i + 1] };
}

const python = fs.existsSync('/usr/bin/python3') || fs.existsSync('/usr/local/bin/python3');
const hasRequests = await run('python3', ['-c', 'import requests']).then(
  () => true,
  () => false,
);

describe('copy as cURL sends exactly the captured bytes, and runs nothing else', () => {
  const bodies: Record<string, Buffer> = {
    'a leading @ (curl --data would upload that file)': Buffer.from('@/etc/passwd'),
    'quotes of both kinds': Buffer.from(`{"a": "it's \\"quoted\\""}`),
    'newlines and carriage returns': Buffer.from('line one\nline two\r\n\n'),
    'a command substitution': Buffer.from(`$(touch ${marker}) \`touch ${marker}\``),
    'NUL bytes in text': Buffer.from('before\0after'),
    binary: Buffer.from([0x00, 0xff, 0x27, 0x40, 0x0a, 0x80]),
  };
  for (const [name, body] of Object.entries(bodies)) {
    it(name, async () => {
      const id = await capture(body, { 'content-type': name === 'binary' ? 'application/octet-stream' : 'text/plain' });
      const code = await snippetOf(id, 'curl');
      expect(code).toMatch(/^(printf .*\| )?curl /);
      const got = echoed(await run('sh', ['-c', code]));
      expect(got.body.equals(body)).toBe(true);
      expect(fs.existsSync(marker)).toBe(false);
    });
  }
});

describe('a masked key becomes a variable reference in every snippet', () => {
  const KEY = 'sk-snippet-real-key-00004242';
  const body = Buffer.from(
    JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'it\'s "fine"\nreally' }] }),
  );
  let id: number;
  beforeAll(async () => {
    id = await capture(body, { 'content-type': 'application/json', authorization: `Bearer ${KEY}` });
  });
  const variable = () => keyVariable('127.0.0.1', 'authorization');

  it('names the variable by host: OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENROUTER_API_KEY', () => {
    expect([
      keyVariable('api.openai.com', 'Authorization'),
      keyVariable('api.anthropic.com', 'x-api-key'),
      keyVariable('openrouter.ai', 'Authorization'),
      keyVariable('localhost', 'Authorization'),
      keyVariable('127.0.0.1', 'Authorization'),
      keyVariable('1relay.example', 'Authorization'),
    ]).toEqual([
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'OPENROUTER_API_KEY',
      'LOCALHOST_API_KEY',
      'WIRELOG_127_0_0_1_API_KEY',
      'WIRELOG_1RELAY_API_KEY',
    ]);
  });

  it('cURL: "$WIRELOG_127_0_0_1_API_KEY" (the host is an address), the masked value nowhere', async () => {
    const code = await snippetOf(id, 'curl');
    expect(code).toContain(`'"$${variable()}"'`);
    expect(code).not.toContain('****');
    const got = echoed(await run('sh', ['-c', code], { [variable()]: KEY }));
    expect(got).toEqual({ body, authorization: `Bearer ${KEY}` });
  });

  it('JavaScript fetch: process.env, run by Node', async () => {
    const code = await snippetOf(id, 'fetch');
    expect(code).toContain(`process.env.${variable()}`);
    const file = path.join(cwd, 'snippet.mjs');
    fs.writeFileSync(file, code);
    const got = echoed(await run(process.execPath, [file], { [variable()]: KEY }));
    expect(got).toEqual({ body, authorization: `Bearer ${KEY}` });
  });

  it.skipIf(!python || !hasRequests)('Python requests: os.environ, run by python3', async () => {
    const code = await snippetOf(id, 'python');
    expect(code).toContain(`os.environ["${variable()}"]`);
    const file = path.join(cwd, 'snippet.py');
    fs.writeFileSync(file, code);
    const got = echoed(await run('python3', [file], { [variable()]: KEY }));
    expect(got).toEqual({ body, authorization: `Bearer ${KEY}` });
  });

  it('the openai SDK call, for a model call: base_url, the key from the variable, the request as sent', async () => {
    const res = await request(`${h.upstream.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: '{"model":"sdk-model","messages":[{"role":"user","content":"hi"}]}',
    });
    await res.body.text();
    await h.stored();
    const code = await snippetOf(h.wirelog.reader.list({ limit: 1 })[0].id, 'openai');
    expect(code).toContain(`client = OpenAI(base_url="${h.upstream.httpUrl}/v1", api_key=os.environ["${variable()}"])`);
    expect(code).toContain('client.chat.completions.create(**request)');
    expect(code).toContain('sdk-model');
    // Not a model call: said plainly.
    const notCall = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${id}/snippet?target=openai`);
    expect(notCall.status).toBe(422);
  });
});
