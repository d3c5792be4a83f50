// A remembered secret goes back only to the origin it was captured for: a real wirelog captures
// calls with keys to one 127.0.0.1 upstream over HTTPS, replays them elsewhere (another port,
// plain HTTP on the same port, through a redirect, with a fix), and the tests read what the
// *other* upstream received, byte for byte.
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInstance, type Wirelog } from '../cli/instance.ts';
import type { Exchange } from '../model/exchange.ts';
import { runCli } from './support/cli.ts';
import { startDualUpstream, type DualUpstream } from './support/dual-upstream.ts';
import { eventually, startHarness, tempDir, type Harness } from './support/harness.ts';

// Distinct tails: the masked forms keep the last 4 characters, and none of them may arrive either.
const KEY = 'sk-live-QWERTYUIOPASDFGH-K3Y9';
const QUERY_KEY = 'AIzaQUERYKEYVALUEPLMOKN-Q7W8';
const BODY_KEY = 'bodysecret-ZXCVBNMLKJHGF-B5N6';
const SECRETS = [KEY, QUERY_KEY, BODY_KEY];

let a: DualUpstream;
let b: DualUpstream;
let caDir: string;
let h: Harness;

beforeAll(async () => {
  a = await startDualUpstream(KEY);
  b = await startDualUpstream(KEY, a.cert);
  caDir = tempDir('wirelog-ca-');
  fs.writeFileSync(path.join(caDir, 'upstreams.pem'), a.cert.certPem);
  h = await startHarness({ upstreamCaFile: path.join(caDir, 'upstreams.pem') });
});
afterAll(async () => {
  await h?.close();
  await a?.close();
  await b?.close();
  if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
});

/** Every key, and every key's last 4 characters (what a masked stand-in shows), that appears in `text`. */
function keyBytesIn(text: string): string[] {
  return SECRETS.flatMap((s) => [s, s.slice(-4)]).filter((piece) => text.includes(piece));
}

interface ReplayJson {
  id?: number;
  error?: string;
  withheld?: {
    name: string;
    capturedFor: string;
    target: string;
    reason: string;
    allowWith: string | null;
    message: string;
  }[];
}

async function api(w: Wirelog, route: string, body: unknown): Promise<{ status: number; json: ReplayJson }> {
  const res = await fetch(`${w.viewer!.url}/api${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: w.viewer!.url, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as ReplayJson };
}

async function ended(w: Wirelog, id: number): Promise<Exchange> {
  return eventually(
    async () => {
      await w.writer.flush();
      const e = w.reader.get(id);
      return e && e.state !== 'pending' && e.state !== 'streaming' ? e : null;
    },
    `exchange ${id} to end`,
    15_000,
  );
}

/** A call carrying a key three ways: the Authorization header, `?key=` and a JSON body member. */
async function keyedCall(harness: Harness, url: string): Promise<Exchange> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: harness.agent(),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: 'gpt-4o', api_key: BODY_KEY, messages: [] }),
  });
  await res.body.text();
  await harness.stored();
  return harness.wirelog.reader.list({ limit: 1 })[0];
}

describe('a replay to another origin', () => {
  it('another port, same scheme: the request goes without any byte of the keys, and the answer names each one withheld, the host, and how to allow it', async () => {
    const original = await keyedCall(h, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
    expect(keyBytesIn(JSON.stringify(original.request)).filter((p) => p.length > 4)).toEqual([]); // stored masked
    const mark = b.mark();
    const count = b.received.length;
    // As the editor sends it: the stored (masked) path and headers, another host typed in.
    const { status, json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
      url: `https://localhost:${b.port}${original.request.path}`,
      headers: original.request.headers,
    });
    expect(status).toBe(200);
    const replay = await ended(h.wirelog, json.id!);
    expect(replay.response?.status).toBe(200);
    expect(b.received.length).toBe(count + 1);
    expect(b.received[count].url.startsWith('/echo')).toBe(true);
    expect(keyBytesIn(b.since(mark))).toEqual([]);
    expect(b.received[count].rawHeaders.map((v) => v.toLowerCase())).not.toContain('authorization');
    const names = json.withheld!.map((w) => w.name).sort();
    expect(names).toEqual(['?key', 'authorization', 'body:api_key']);
    for (const w of json.withheld!) {
      expect(w).toMatchObject({
        capturedFor: `https://localhost:${a.port}`,
        target: `https://localhost:${b.port}`,
        reason: 'other-origin',
        allowWith: `localhost:${b.port}`,
      });
      expect(w.message).toContain(`--send-secrets-to localhost:${b.port}`);
    }
  });

  it('with consent naming exactly that host and port, the real keys go there; consent naming another spelling of it is refused, nothing sent', async () => {
    const original = await keyedCall(h, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
    const count = b.received.length;
    const wrong = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
      url: `https://localhost:${b.port}${original.request.path}`,
      sendSecretsTo: `127.0.0.1:${b.port}`,
    });
    expect(wrong.status).toBe(409);
    expect(wrong.json.error).toContain(`name exactly localhost:${b.port}`);
    expect(b.received.length).toBe(count);
    const { status, json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
      url: `https://localhost:${b.port}${original.request.path}`,
      sendSecretsTo: `LOCALHOST:${b.port}`,
    });
    expect(status).toBe(200);
    expect(json.withheld).toEqual([]);
    await ended(h.wirelog, json.id!);
    const got = b.received[count];
    expect(got.rawHeaders).toContain(`Bearer ${KEY}`);
    expect(got.url).toBe(`/echo?key=${QUERY_KEY}`);
    expect(JSON.parse(got.body.toString()).api_key).toBe(BODY_KEY);
  });

  it('plain HTTP on the same host and port: never, not even with consent (the key is not in a single byte on the wire)', async () => {
    const original = await keyedCall(h, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
    for (const consent of [undefined, `localhost:${a.port}`]) {
      const mark = a.mark();
      const count = a.received.length;
      const { status, json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
        url: `http://localhost:${a.port}${original.request.path}`,
        ...(consent ? { sendSecretsTo: consent } : {}),
      });
      expect(status).toBe(200);
      await ended(h.wirelog, json.id!);
      expect(a.received.length).toBe(count + 1);
      expect(a.received[count].tls).toBe(false);
      expect(keyBytesIn(a.since(mark))).toEqual([]);
      expect(json.withheld!.map((w) => [w.name, w.reason, w.allowWith])).toEqual(
        expect.arrayContaining([
          ['authorization', 'downgrade', null],
          ['?key', 'downgrade', null],
          ['body:api_key', 'downgrade', null],
        ]),
      );
      expect(json.withheld![0].message).toContain('never sent over plain HTTP');
    }
  });

  it('the same origin spelled otherwise (upper case, the default port written) is the same origin: the key goes, as before', async () => {
    const original = await keyedCall(h, `https://localhost:${a.port}/keyed/v1/chat/completions`);
    const count = a.received.length;
    const { json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
      url: `HTTPS://LocalHost:${a.port}/keyed/v1/chat/completions`,
    });
    expect(json.withheld).toEqual([]);
    expect((await ended(h.wirelog, json.id!)).response?.status).toBe(200);
    expect(a.received[count].rawHeaders).toContain(`Bearer ${KEY}`);
  });

  it('a 3xx to another origin: the replay is answered by the redirect itself, and the other origin receives nothing', async () => {
    const original = await keyedCall(h, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
    const markB = b.mark();
    const countB = b.received.length;
    const countA = a.received.length;
    const { json } = await api(h.wirelog, `/exchanges/${original.id}/replay`, {
      url: `https://localhost:${a.port}/redirect?to=${encodeURIComponent(`https://localhost:${b.port}/echo`)}`,
    });
    expect(json.withheld).toEqual([]); // its own origin: the key goes there
    expect((await ended(h.wirelog, json.id!)).response?.status).toBe(302);
    expect(a.received[countA].rawHeaders).toContain(`Bearer ${KEY}`);
    expect(b.received.length).toBe(countB);
    expect(keyBytesIn(b.since(markB))).toEqual([]);
  });
});

describe('try this fix', () => {
  it("a call over plain HTTP without a key: the working call's key, captured over HTTPS on the same host and port, is not sent in clear text", async () => {
    const working = await request(`https://localhost:${a.port}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: '{"model":"gpt-4o","messages":[]}',
    });
    expect(working.statusCode).toBe(200);
    await working.body.text();
    const plain = await request(`http://localhost:${a.port}/keyed/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4o","messages":[]}',
    });
    expect(plain.statusCode).toBe(401);
    await plain.body.text();
    await h.stored();
    const failed = h.wirelog.reader.list({ limit: 1 })[0];
    expect(failed.request.scheme).toBe('http');
    const mark = a.mark();
    const count = a.received.length;
    const { status, json } = await api(h.wirelog, `/exchanges/${failed.id}/replay`, { fix: true });
    expect(status).toBe(200);
    expect((await ended(h.wirelog, json.id!)).response?.status).toBe(401);
    expect(a.received[count].tls).toBe(false);
    expect(keyBytesIn(a.since(mark))).toEqual([]);
    expect(json.withheld).toEqual([
      expect.objectContaining({
        name: 'Authorization',
        capturedFor: `https://localhost:${a.port}`,
        target: `http://localhost:${a.port}`,
        reason: 'downgrade',
        allowWith: null,
      }),
    ]);
  });
});

describe('wirelog replay --url to another origin', () => {
  it('says what it withheld and how to send it; --send-secrets-to HOST:PORT sends it; a consent naming another host is refused', async () => {
    const unregister = registerInstance(h.dataDir, {
      pid: process.pid,
      proxyUrl: h.proxyUrl,
      proxyPort: h.wirelog.proxy.port,
      viewerUrl: h.wirelog.viewer!.url,
      startedAt: new Date().toISOString(),
    });
    try {
      const original = await keyedCall(h, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
      const url = `https://localhost:${b.port}/echo`;
      let mark = b.mark();
      const withheld = await runCli(['replay', String(original.id), '--url', url, '--data-dir', h.dataDir]);
      expect(withheld.code).toBe(0);
      expect(withheld.stdout).toContain(
        `[withheld] authorization withheld: it was captured for https://localhost:${a.port}, and this replay goes to https://localhost:${b.port}`,
      );
      expect(withheld.stdout).toContain(`--send-secrets-to localhost:${b.port}`);
      expect(keyBytesIn(b.since(mark))).toEqual([]);

      const json = await runCli(['replay', String(original.id), '--url', url, '--json', '--data-dir', h.dataDir]);
      expect((JSON.parse(json.stdout) as { withheld: { name: string }[] }).withheld.map((w) => w.name).sort()).toEqual([
        'authorization',
        'body:api_key',
      ]);

      const wrong = await runCli([
        'replay',
        String(original.id),
        '--url',
        url,
        '--send-secrets-to',
        'api.example.com',
        '--data-dir',
        h.dataDir,
      ]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(
        `names api.example.com:443, but this replay goes to https://localhost:${b.port}: name exactly localhost:${b.port}`,
      );

      mark = b.mark();
      const count = b.received.length;
      const allowed = await runCli([
        'replay',
        String(original.id),
        '--url',
        url,
        '--send-secrets-to',
        `localhost:${b.port}`,
        '--data-dir',
        h.dataDir,
      ]);
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).not.toContain('[withheld]');
      expect(b.received[count].rawHeaders).toContain(`Bearer ${KEY}`);
      expect(JSON.parse(b.received[count].body.toString()).api_key).toBe(BODY_KEY);
      expect(keyBytesIn(b.since(mark))).toContain(KEY);
    } finally {
      unregister();
    }
  });
});

describe('secrets kept in the database (--keep-secrets)', () => {
  it('are captured secrets too: they go back to their own origin, and not to another', async () => {
    const kept = await startHarness({ upstreamCaFile: path.join(caDir, 'upstreams.pem'), keepSecrets: true });
    try {
      const original = await keyedCall(kept, `https://localhost:${a.port}/echo?key=${QUERY_KEY}`);
      expect(original.request.headers).toContainEqual(['authorization', `Bearer ${KEY}`]);
      const mark = b.mark();
      const count = b.received.length;
      const other = await api(kept.wirelog, `/exchanges/${original.id}/replay`, {
        url: `https://localhost:${b.port}${original.request.path}`,
      });
      expect(other.status).toBe(200);
      await ended(kept.wirelog, other.json.id!);
      expect(b.received.length).toBe(count + 1);
      expect(keyBytesIn(b.since(mark))).toEqual([]);
      expect(other.json.withheld!.map((w) => w.name).sort()).toEqual(['?key', 'authorization', 'body:api_key']);
      const countA = a.received.length;
      const own = await api(kept.wirelog, `/exchanges/${original.id}/replay`, {});
      expect(own.json.withheld).toEqual([]);
      await ended(kept.wirelog, own.json.id!);
      expect(a.received[countA].rawHeaders).toContain(`Bearer ${KEY}`);
      expect(a.received[countA].url).toBe(`/echo?key=${QUERY_KEY}`);
    } finally {
      await kept.close();
    }
  });
});
