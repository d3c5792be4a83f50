import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInstance, type Wirelog } from '../cli/instance.ts';
import type { Exchange } from '../model/exchange.ts';
import { runCli } from './support/cli.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

// A fix is written for the client that sent the call, and the settings that worked keep the way
// the call came (the gateway form for a gateway call), through the real proxy, API and CLI.

const CHERRY_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) CherryStudio/1.5.7 Chrome/134.0.6998.205 Electron/35.6.0 Safari/537.36';

let h: Harness;
let unregister: () => void;
beforeAll(async () => {
  h = await startHarness();
  unregister = registerInstance(h.dataDir, {
    pid: process.pid,
    proxyUrl: h.proxyUrl,
    proxyPort: h.wirelog.proxy.port,
    viewerUrl: h.wirelog.viewer!.url,
    startedAt: new Date().toISOString(),
  });
});
afterAll(async () => {
  unregister?.();
  await h?.close();
});

const gateway = () => `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}`;

async function api(
  w: Wirelog,
  route: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${w.viewer!.url}/api${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: w.viewer!.url, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function ended(id: number): Promise<Exchange> {
  return eventually(
    async () => {
      await h.wirelog.writer.flush();
      const e = h.wirelog.reader.get(id);
      return e && e.state !== 'pending' && e.state !== 'streaming' ? e : null;
    },
    `exchange ${id} to end`,
    15_000,
  );
}

describe("Cherry Studio gets Cherry Studio's fix, and doctor names it", () => {
  it('a Cherry Studio call with no key to a new-api relay: 401 未提供令牌, fixed in its API Key field, named "Cherry Studio 1.5.7"', async () => {
    const res = await request(`${h.upstream.httpsUrl}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        'content-type': 'application/json',
        'user-agent': CHERRY_UA,
        'x-title': 'Cherry Studio',
        'http-referer': 'https://cherry-ai.com',
      },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: '你好' }] }),
    });
    expect(res.statusCode).toBe(401);
    await res.body.text();
    await h.stored();
    const id = h.wirelog.reader.list({ limit: 1 })[0].id;
    const doctor = await runCli(['doctor', String(id), '--data-dir', h.dataDir]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `^#${id} POST https://localhost:\\d+/keyed/v1/chat/completions → 401  \\(Cherry Studio 1\\.5\\.7, `,
        'm',
      ),
    );
    expect(doctor.stdout).not.toContain('Mozilla/5.0');
    expect(doctor.stdout).toContain("fix: Cherry Studio sent no key: paste it into this provider's API Key field");
    expect(doctor.stdout).not.toContain('model_providers');
    const json = JSON.parse((await runCli(['doctor', String(id), '--json', '--data-dir', h.dataDir])).stdout) as {
      client: string;
      diagnoses: { rule: string; action: unknown }[];
    }[];
    expect(json[0]).toMatchObject({
      client: 'Cherry Studio 1.5.7',
      diagnoses: [
        { rule: 'missing-key', action: { kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' } },
      ],
    });
  });

  it("the same mistake from Codex keeps Codex's fix", async () => {
    const res = await request(`${h.upstream.httpsUrl}/keyed/v1/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'codex_exec/0.169.0 (Ubuntu 24.4.0; x86_64) xterm-256color',
        originator: 'codex_exec',
      },
      body: JSON.stringify({ model: 'gpt-5-codex', input: 'hi' }),
    });
    expect(res.statusCode).toBe(401);
    await res.body.text();
    await h.stored();
    const id = h.wirelog.reader.list({ limit: 1 })[0].id;
    const doctor = await runCli(['doctor', String(id), '--data-dir', h.dataDir]);
    expect(doctor.stdout).toContain('(Codex 0.169.0, ');
    expect(doctor.stdout).toContain('env_key = "YOUR_KEY_VARIABLE"');
  });
});

describe('"Try this fix" on a gateway call: the block that worked keeps the gateway', () => {
  it('the viewer API, `wirelog replay --fix` (text and --json) and `wirelog codex-config` all give base_url in the gateway form', async () => {
    const res = await request(`${gateway()}/v1/chat/completions/responses`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-gateway-codex-0000000042',
        'user-agent': 'codex_exec/0.169.0 (Ubuntu 24.4.0; x86_64) xterm-256color',
      },
      body: JSON.stringify({ model: 'gpt-5-codex', input: 'hi' }),
    });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    await h.stored();
    const failed = h.wirelog.reader.list({ limit: 1 })[0];
    expect(failed.request.via).toBe('gateway');
    const base = `${gateway()}/v1`;

    // The viewer: what "Try this fix" shows once the replay answered 200.
    const { status, json } = await api(h.wirelog, `/exchanges/${failed.id}/replay`, { fix: true });
    expect(status).toBe(200);
    const fixed = await ended(json.id as number);
    expect(fixed.response?.status).toBe(200);
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${fixed.id}`)).json()) as {
      clientConfig: { client: { kind: string }; codex: { toml: string } } | null;
    };
    expect(detail.clientConfig?.client.kind).toBe('codex');
    expect(detail.clientConfig?.codex.toml).toContain(`base_url = "${base}"`);

    // The terminal: the same block, in text and in JSON.
    const text = await runCli(['replay', String(failed.id), '--fix', '--data-dir', h.dataDir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('For Codex (~/.codex/config.toml), exactly what worked:');
    expect(text.stdout).toContain(`    base_url = "${base}"`);
    const asJson = await runCli(['replay', String(failed.id), '--fix', '--json', '--data-dir', h.dataDir]);
    const answer = JSON.parse(asJson.stdout) as {
      id: number;
      status: number;
      clientConfig: { codex: { toml: string } };
    };
    expect(answer.status).toBe(200);
    expect(answer.clientConfig.codex.toml).toContain(`base_url = "${base}"`);

    // codex-config of the replay that worked: the gateway form too, without --gateway.
    const config = await runCli(['codex-config', String(answer.id), '--data-dir', h.dataDir]);
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toContain(`base_url = "${base}"`);

    // A replay of a call that came through the proxy keeps the upstream's own URL.
    const proxied = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-proxy-codex-00000000043' },
      body: JSON.stringify({ model: 'gpt-5-codex', input: 'hi' }),
    });
    await proxied.body.text();
    await h.stored();
    const viaProxy = h.wirelog.reader.list({ limit: 1 })[0];
    expect(viaProxy.request.via).toBeUndefined();
    const plain = JSON.parse(
      (await runCli(['replay', String(viaProxy.id), '--fix', '--json', '--data-dir', h.dataDir])).stdout,
    ) as { clientConfig: { codex: { toml: string } } };
    expect(plain.clientConfig.codex.toml).toContain(`base_url = "https://localhost:${h.upstream.httpsPort}/v1"`);
  });
});
