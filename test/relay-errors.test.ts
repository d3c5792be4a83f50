import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { curl, eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

type Detail = { diagnoses: { rule: string; severity: string; summary: string; fix: string }[] };

describe('failed provider set-ups, reproduced against the fake relay, explained with the fix', () => {
  it('a Codex-style base_url ending in /chat/completions: 404 Invalid URL (POST /v1/chat/completions/responses)', async () => {
    const client = new OpenAI({
      apiKey: 'sk-good-key-000000000001',
      baseURL: `${h.upstream.httpsUrl}/v1/chat/completions`,
      fetchOptions: { dispatcher: h.agent() } as never,
      maxRetries: 0,
    });
    const failure = await client.responses.create({ model: 'gpt-5-codex', input: 'hi' }).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as Error).message).toContain('Invalid URL (POST /v1/chat/completions/responses)');
    await h.stored();
    const ex = h.wirelog.reader.list()[0];
    expect(ex.request.path).toBe('/v1/chat/completions/responses');
    expect(ex.diagnosis).toMatchObject({ severity: 'error' });
    expect(ex.diagnosis!.summary).toContain('base_url already ends in /chat/completions');
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as Detail;
    expect(detail.diagnoses[0].rule).toBe('repeated-endpoint');
    // Written for the client that sent it: the openai SDK's baseURL, not Codex's [model_providers].
    expect(detail.diagnoses[0].fix).toContain(`Set baseURL: "https://localhost:${h.upstream.httpsPort}/v1"`);
    expect(detail.diagnoses[0].fix).not.toContain('model_providers');
  });

  it('no key sent to a new-api relay: 401 未提供令牌', async () => {
    const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(401);
    expect(await res.body.text()).toContain('未提供令牌');
    await h.stored();
    const ex = h.wirelog.reader.list()[0];
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as Detail;
    expect(detail.diagnoses.map((d) => d.rule)).toEqual(['missing-key']);
    expect(detail.diagnoses[0].fix).toContain('env_key');
  });

  it('a wrong key: 401 无效的令牌, with the masked tail of the key that was sent', async () => {
    const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-wrong-key-00000000777' },
      body: '{"model":"gpt-4o","messages":[]}',
    });
    await res.body.text();
    await h.stored();
    const ex = h.wirelog.reader.list()[0];
    expect(ex.diagnosis!.summary).toContain('rejected the key ****0777');
  });

  it('a working key through the same relay: no diagnosis', async () => {
    const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-good-key-000000000001' },
      body: '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}',
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await h.stored();
    expect(h.wirelog.reader.list()[0].diagnosis).toBeNull();
  });

  it('a client that does not trust the wirelog CA: its dropped handshake is recorded and explained', async () => {
    const { code } = await curl(h, [`https://localhost:${h.upstream.httpsPort}/v1/models`], { trustCa: false });
    expect(code).not.toBe(0);
    await h.stored();
    const ex = await eventually(async () => {
      await h.stored();
      const found = h.wirelog.reader.list().find((e) => e.request.method === 'CONNECT');
      return found?.diagnosis ? found : null;
    }, 'the dropped handshake to be stored with its diagnosis');
    expect(ex).not.toBeNull();
    expect(ex!.state).toBe('proxy_error');
    expect(ex!.error).toContain('TLS handshake');
    expect(ex!.diagnosis!.summary).toContain('does not trust the wirelog CA');
  });

  it('wirelog doctor prints the same diagnoses, newest first, and exits 1 on errors', async () => {
    const all = await runCli(['doctor', '--data-dir', h.dataDir]);
    expect(all.code).toBe(1);
    const lines = all.stdout.split('\n');
    const order = ['****0777', 'no API key', 'base_url already ends in /chat/completions'].map((text) =>
      lines.findIndex((l) => l.includes(text)),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(all.stdout).toContain('fix: Set baseURL');
    const healthy = h.wirelog.reader.list().find((e) => e.response?.status === 200)!.id;
    const one = await runCli(['doctor', String(healthy), '--data-dir', h.dataDir]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`No problems found in exchange ${healthy}`);
  });

  it('wirelog codex-config turns a Responses call that worked into a Codex provider block', async () => {
    const client = new OpenAI({
      apiKey: 'sk-good-key-000000000001',
      baseURL: `${h.upstream.httpsUrl}/keyed/v1`,
      fetchOptions: { dispatcher: h.agent() } as never,
      maxRetries: 0,
    });
    await client.responses.create({ model: 'gpt-5-codex', input: 'hi' });
    await h.stored();
    const id = h.wirelog.reader.list()[0].id;
    const result = await runCli(['codex-config', String(id), '--data-dir', h.dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('model = "gpt-5-codex"');
    expect(result.stdout).toContain('[model_providers.localhost]');
    expect(result.stdout).toContain(`base_url = "https://localhost:${h.upstream.httpsPort}/keyed/v1"`);
    expect(result.stdout).toContain('wire_api = "responses"');
    expect(result.stdout).toContain('env_key = "LOCALHOST_API_KEY"');
    expect(result.stdout).toContain('ending in 0001');

    const failed = h.wirelog.reader.list().find((e) => e.response?.status === 404)!;
    const refused = await runCli(['codex-config', String(failed.id), '--data-dir', h.dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`wirelog doctor ${failed.id}`);
  });

  it('for a Chat Completions call from another client, says what Codex would need instead', async () => {
    const chat = h.wirelog.reader.list().find((e) => e.call?.dialect === 'openai-chat' && e.response?.status === 200)!;
    const result = await runCli(['codex-config', String(chat.id), '--data-dir', h.dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Codex speaks only the Responses API');
    expect(result.stdout).toContain(`/keyed/v1/responses`);
  });
});

describe('errors inside a stream that began with 200, through the proxy', () => {
  const cases: [string, string, RegExp][] = [
    [
      '/v1/messages',
      JSON.stringify({
        model: 'claude-test',
        stream: true,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      // Anthropic's overloaded_error is the provider's (its documented error types), passed on by the
      // relay that began the stream: the failure is behind the relay, as OpenRouter's mid-stream errors are.
      /began with 200 and then failed: the model provider it forwards to failed \("Overloaded \(overloaded_error\)"\)/,
    ],
    [
      '/v1/responses',
      JSON.stringify({ model: 'gpt-test', stream: true, input: 'hi' }),
      /began with 200 and then failed: the account is out of quota or credit \("You exceeded your current quota.*\(insufficient_quota\)"\)/,
    ],
    [
      '/v1/chat/completions',
      JSON.stringify({ model: 'relay-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      /began with 200 and then failed: rate limited \("Rate limit reached for requests \(rate_limit_exceeded\)"\)/,
    ],
  ];
  for (const [path, body, expected] of cases) {
    it(`${path}: diagnosed like the same error sent as a status, with the provider's message`, async () => {
      const res = await request(`${h.upstream.httpsUrl}${path}?stream-error`, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: { 'content-type': 'application/json', 'x-test-stream-error': '1' },
        body,
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      await h.stored();
      const e = h.wirelog.reader.list({ limit: 1000 }).find((x) => x.request.path === `${path}?stream-error`)!;
      expect(e.diagnosis?.summary).toMatch(expected);
      const doctor = await runCli(['doctor', String(e.id), '--data-dir', h.dataDir]);
      expect(doctor.stdout).toMatch(expected);
    });
  }
});

describe('wirelog doctor on a client that retries', () => {
  it('groups the tries of the same failing call into one entry, newest group first, and --json gives one object per entry', async () => {
    // The real openai SDK retrying on 429 as it does by default, with the wait the upstream asks for.
    const client = new OpenAI({
      apiKey: 'sk-retry-key-000011112222',
      baseURL: `${h.upstream.httpsUrl}/busy/v1`,
      fetchOptions: { dispatcher: h.agent() } as never,
      maxRetries: 5,
    });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toThrow(/429/);
    await h.stored();
    const tries = h.wirelog.reader.list({ limit: 1000 }).filter((e) => e.request.path === '/busy/v1/chat/completions');
    expect(tries).toHaveLength(6);
    const text = await runCli(['doctor', '--last', '200', '--data-dir', h.dataDir]);
    const ids = tries.map((e) => e.id).sort((a, b) => a - b);
    const entry = text.stdout
      .split('\n')
      .filter((line) => line.startsWith('#') && line.includes('/busy/v1/chat/completions'));
    expect(entry).toHaveLength(1);
    // Named as the app that sent it (the openai SDK's User-Agent is OpenAI/JS 6.x).
    expect(entry[0]).toMatch(
      new RegExp(
        `^#${ids[0]}-#${ids[5]} POST https://localhost:\\d+/busy/v1/chat/completions → 429  \\(openai \\(Node\\) \\d+\\.\\d+\\.\\d+, 6 tries, \\d\\d:\\d\\d:\\d\\d-\\d\\d:\\d\\d:\\d\\d\\)$`,
      ),
    );
    expect(text.stdout.split('\n').filter((line) => line.includes('429: rate limited'))).toHaveLength(1);
    // The newest group comes first.
    expect(text.stdout.indexOf('/busy/v1/chat/completions')).toBeLessThan(
      text.stdout.indexOf('/v1/chat/completions/responses'),
    );
    const json = JSON.parse((await runCli(['doctor', '--last', '200', '--json', '--data-dir', h.dataDir])).stdout) as {
      ids: number[];
      diagnoses: { rule: string }[];
    }[];
    const busy = json.find((g) => g.ids.includes(ids[0]))!;
    expect(busy.ids).toEqual(ids);
    expect(busy.diagnoses.map((d) => d.rule)).toEqual(['rate-limited']);
  });
});
