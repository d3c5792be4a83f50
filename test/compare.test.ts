import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareBodies, headerDifferences, jsonDifferences } from '../model/exchange-diff.ts';
import { runCli } from './support/cli.ts';
import { startHarness, type Harness } from './support/harness.ts';

describe('comparing two exchanges, as pure functions', () => {
  it('lists JSON differences as paths: added, removed, changed, in arrays and odd keys', () => {
    expect(
      jsonDifferences(
        { model: 'a', messages: [{ role: 'user' }], keep: 1, 'odd key': 1 },
        { model: 'b', messages: [{ role: 'user' }, { role: 'tool' }], keep: 1, stream: true },
      ),
    ).toEqual({
      differences: [
        { path: '$.model', change: 'changed', a: 'a', b: 'b' },
        { path: '$.messages[1]', change: 'added', b: { role: 'tool' } },
        { path: '$["odd key"]', change: 'removed', a: 1 },
        { path: '$.stream', change: 'added', b: true },
      ],
      truncated: false,
    });
    const many = jsonDifferences(
      Array.from({ length: 500 }, (_, i) => i),
      [],
      300,
    );
    expect([many.differences.length, many.truncated]).toEqual([300, true]);
  });

  it('compares headers by name, whatever their case, leaving out the ones that always differ', () => {
    expect(
      headerDifferences(
        [
          ['Content-Type', 'application/json'],
          ['Date', 'x'],
          ['X-A', '1'],
        ],
        [
          ['content-type', 'application/json'],
          ['date', 'y'],
          ['x-b', '2'],
        ],
      ),
    ).toEqual([
      { name: 'X-A', a: '1', b: null, change: 'removed' },
      { name: 'x-b', a: null, b: '2', change: 'added' },
    ]);
    expect(compareBodies('not json', 'not json')).toEqual({ kind: 'text', same: true, aSize: 8, bSize: 8 });
  });
});

describe('a failing Codex call compared with a working Cherry Studio call to the same relay', () => {
  let h: Harness;
  let failed: number;
  let working: number;
  beforeAll(async () => {
    h = await startHarness();
    const ok = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-cherry-key-000000000007',
        'user-agent': 'CherryStudio/1.5.3 Electron/35',
      },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await ok.body.text();
    await h.stored();
    working = h.wirelog.reader.list({ limit: 1 })[0].id;
    const bad = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'codex_exec/0.169.0 (Debian 12; x86_64)',
        originator: 'codex_exec',
      },
      body: JSON.stringify({ model: 'gpt-5-codex', input: 'hi', stream: true }),
    });
    expect(bad.statusCode).toBe(404);
    await bad.body.text();
    await h.stored();
    failed = h.wirelog.reader.list({ limit: 1 })[0].id;
  });
  afterAll(() => h?.close());

  it('GET /api/compare?a=ID&b=working: request line, headers, keys by fingerprint, body paths and responses', async () => {
    const res = await fetch(`${h.wirelog.viewer!.url}/api/compare?a=${failed}&b=working`);
    expect(res.status).toBe(200);
    const c = (await res.json()) as Record<string, unknown> & {
      requestHeaders: { name: string }[];
      requestBody: { differences: { path: string }[] };
    };
    expect(c).toMatchObject({
      a: failed,
      b: working,
      request: {
        a: `POST https://localhost:${h.upstream.httpsPort}/v1/chat/completions/responses`,
        b: `POST https://localhost:${h.upstream.httpsPort}/v1/chat/completions`,
        same: false,
      },
      secrets: [{ name: 'authorization', verdict: 'no key in a' }],
      response: { a: 404, b: 200, same: false },
    });
    expect(c.requestHeaders.map((d) => d.name).sort()).toEqual(['originator', 'user-agent']);
    expect(c.requestBody.differences.map((d) => d.path)).toEqual(['$.model', '$.input', '$.stream', '$.messages']);
    // Nothing secret in the answer: keys are compared, never shown.
    expect(JSON.stringify(c)).not.toContain('sk-cherry');
    expect((await fetch(`${h.wirelog.viewer!.url}/api/compare?a=${failed}&b=abc`)).status).toBe(400);
  });

  it('says "same key" and "different key" by fingerprint', async () => {
    const send = async (key: string) => {
      const r = await request(`${h.upstream.httpsUrl}/v1/models`, {
        dispatcher: h.agent(),
        headers: { authorization: `Bearer ${key}` },
      });
      await r.body.text();
      await h.stored();
      return h.wirelog.reader.list({ limit: 1 })[0].id;
    };
    // Same tail, different keys: the masked values look alike, the fingerprints do not.
    const [one, again, other] = [
      await send('sk-first-key-0000000000AB'),
      await send('sk-first-key-0000000000AB'),
      await send('sk-other-key-0000000000AB'),
    ];
    const verdict = async (a: number, b: number) =>
      (
        (await (await fetch(`${h.wirelog.viewer!.url}/api/compare?a=${a}&b=${b}`)).json()) as {
          secrets: { verdict: string }[];
        }
      ).secrets[0].verdict;
    expect(await verdict(one, again)).toBe('same key');
    expect(await verdict(one, other)).toBe('different key');
  });

  it('wirelog doctor says how the working call differs, under the failed one', async () => {
    const { stdout } = await runCli(['doctor', String(failed), '--data-dir', h.dataDir]);
    expect(stdout).toContain(
      `compared: The working call #${working} from CherryStudio/1.5.3 went to /v1/chat/completions with a key and model "gpt-4o"; this one (from codex_exec/0.169.0) went to /v1/chat/completions/responses with no key and model "gpt-5-codex".`,
    );
  });
});
