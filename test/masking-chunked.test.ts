// Secrets in JSON answers sent without Content-Length (chunked), live through the proxy: a
// provider's key list is held until it ends and stored masked, while the client gets every
// chunk as it comes; newline-delimited JSON (Ollama's streams) is masked line by line and still
// stored as it comes; a body past the 1 MB held for masking is stored as it came, and a note on
// the exchange says so.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import type { Exchange, ExchangeEvent, Header } from '../model/exchange.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let n = 0;
// Distinctive values: a match anywhere can only be a leak. The masked form may show the last 4.
const secret = (what: string) => `LEAK${what}${'q'.repeat(10)}${String(n++).padStart(4, '0')}`;

let h: Harness;
let upstream: http.Server;
let upstreamUrl = '';
/** The parts the upstream sends for each path, one write each; it sends the next once the test says so. */
const scripts = new Map<string, { type: string; parts: string[]; next: Array<() => void> }>();

beforeAll(async () => {
  h = await startHarness();
  upstream = http.createServer(async (req, res) => {
    const script = scripts.get(req.url ?? '');
    if (!script) return void res.writeHead(404).end();
    // No Content-Length: Node sends the body chunked, each write its own chunk.
    res.writeHead(200, { 'Content-Type': script.type });
    for (const part of script.parts) {
      res.write(part);
      await new Promise<void>((go) => script.next.push(go));
    }
    res.end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream?.close(r));
  await h?.close();
});

/**
 * Requests `url` through wirelog and reads the answer chunk by chunk: the upstream sends its next
 * part only once the client has the previous one, so a client that got nothing until the end
 * would never finish (and time out). `beforeNext` is awaited before each next part is asked for.
 * Returns what the client got, part by part.
 */
async function fetchPartByPart(
  urlPath: string,
  type: string,
  parts: string[],
  beforeNext: (got: number) => Promise<void> = async () => undefined,
): Promise<string[]> {
  const script = { type, parts, next: [] as Array<() => void> };
  scripts.set(urlPath, script);
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: h.wirelog.proxy.port,
        path: `${upstreamUrl}${urlPath}`,
        headers: { host: new URL(upstreamUrl).host },
      },
      (res) => {
        let pending = '';
        res.setEncoding('latin1');
        res.on('data', (text: string) => {
          pending += text;
          // A part may arrive in more than one read: the next is asked for once this one is whole.
          while (got.length < parts.length && pending.startsWith(parts[got.length])) {
            pending = pending.slice(parts[got.length].length);
            got.push(parts[got.length]);
            void beforeNext(got.length).then(() => script.next.shift()?.(), reject);
          }
        });
        res.on('end', () =>
          pending === '' ? resolve() : reject(new Error(`unexpected bytes: ${pending.slice(0, 80)}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
  return got;
}

/** Everything wirelog keeps or hands out about its exchanges: the database and its WAL, the API, a HAR export. */
async function everywhere(): Promise<[string, string][]> {
  await h.stored();
  const viewer = h.wirelog.viewer!.url;
  const api: string[] = [await (await fetch(`${viewer}/api/exchanges?limit=1000`)).text()];
  for (const e of h.wirelog.reader.list({ limit: 1000 }))
    api.push(await (await fetch(`${viewer}/api/exchanges/${e.id}`)).text());
  const har = await (await fetch(`${viewer}/api/export.har`)).text();
  const db = databasePath(h.dataDir);
  return [
    ...[db, `${db}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f): [string, string] => [path.basename(f), fs.readFileSync(f).toString('latin1')]),
    ['the API', api.join('\n')],
    ['a HAR export', har],
  ];
}

function leaksOf(places: [string, string][], secrets: string[]): string[] {
  const leaks: string[] = [];
  // The secret whole, or all of it but the last 4 characters the masked form may show.
  for (const [place, text] of places)
    for (const s of secrets) if (text.includes(s) || text.includes(s.slice(0, -4))) leaks.push(`${s} in ${place}`);
  return leaks;
}

const byPath = (prefix: string) =>
  h.wirelog.reader.list({ limit: 1000 }).find((e) => e.request.path.startsWith(prefix))!;

describe('a JSON answer sent chunked', () => {
  it('is stored with its keys masked (a provider key list split mid-key over chunks), and the client gets every chunk as it came', async () => {
    const apiKey = secret('apikey');
    const clientSecret = secret('secret');
    const listed = secret('listed');
    const whole = JSON.stringify({
      data: [{ name: 'ci', key: listed, created: 1 }],
      api_key: apiKey,
      client: { secret: clientSecret },
      note: 'key list',
    });
    // Cut inside a member name, inside each secret, and between a name and its value.
    const cuts = [
      whole.indexOf('"ke') + 3,
      whole.indexOf(listed) + 7,
      whole.indexOf(apiKey) + 12,
      whole.indexOf('"secret"') + 8,
      whole.indexOf(clientSecret) + 20,
    ];
    const parts = [0, ...cuts].map((at, i, all) => whole.slice(at, all[i + 1]));
    expect(parts.join('')).toBe(whole);

    const got = await fetchPartByPart('/v1/keys', 'application/json; charset=utf-8', parts);
    expect(got).toEqual(parts);

    const leaks = leaksOf(await everywhere(), [apiKey, clientSecret, listed]);
    expect(leaks).toEqual([]);
    const stored = h.wirelog.reader.body(byPath('/v1/keys').id, 'response').toString();
    expect(JSON.parse(stored)).toEqual({
      data: [{ name: 'ci', key: `****${listed.slice(-4)}`, created: 1 }],
      api_key: `****${apiKey.slice(-4)}`,
      client: { secret: `****${clientSecret.slice(-4)}` },
      note: 'key list',
    });
    expect(byPath('/v1/keys').error).toBeNull();
    expect(byPath('/v1/keys').notes).toBeUndefined();
  });

  it('is masked line by line when it is newline-delimited (Ollama), each line stored before the stream ends', async () => {
    const lineKey = secret('ndjson');
    const lines = [
      `{"model":"llama3","message":{"content":"Hi"},"done":false}\n`,
      `{"model":"llama3","session":{"token":"${lineKey}"},"done":false}\n`,
      `{"model":"llama3","done":true}\n`,
    ];
    const parts = [lines[0], lines[1].slice(0, 40), lines[1].slice(40) + lines[2]];
    // Once the client has the first line and part of the second, the stream waits: the first line is stored by then (the viewer shows it growing), the cut one is not.
    let open: Exchange | null = null;
    const got = await fetchPartByPart('/api/chat', 'application/x-ndjson', parts, async (count) => {
      if (count !== 2) return;
      open = await eventually(async () => {
        await h.wirelog.writer.flush();
        const e = h.wirelog.reader.list({ limit: 1000 }).find((x) => x.request.path === '/api/chat');
        return e && h.wirelog.reader.body(e.id, 'response').length > 0 ? e : null;
      }, 'the first line stored while streaming');
    });
    expect(open!.state).toBe('streaming');
    expect(h.wirelog.reader.body(open!.id, 'response').toString()).toBe(lines[0]);
    expect(got).toEqual(parts);

    expect(leaksOf(await everywhere(), [lineKey])).toEqual([]);
    expect(h.wirelog.reader.body(byPath('/api/chat').id, 'response').toString()).toBe(
      lines.join('').replace(lineKey, `****${lineKey.slice(-4)}`),
    );
  });

  it("is still stored as it comes when it is Google's JSON-array stream (:streamGenerateContent without alt=sse)", async () => {
    const queryKey = secret('geminiquery');
    const parts = [
      '[{"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]}',
      ',{"candidates":[{"content":{"parts":[{"text":"lo"}]}}]}',
      ']',
    ];
    let open: Exchange | null = null;
    const got = await fetchPartByPart(
      `/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=${queryKey}`,
      'application/json; charset=UTF-8',
      parts,
      async (count) => {
        if (count !== 1) return;
        open = await eventually(async () => {
          await h.wirelog.writer.flush();
          const e = h.wirelog.reader
            .list({ limit: 1000 })
            .find((x) => x.request.path.includes(':streamGenerateContent'));
          return e && h.wirelog.reader.body(e.id, 'response').length > 0 ? e : null;
        }, 'the first part stored while streaming');
      },
    );
    expect(got).toEqual(parts);
    expect(open!.state).toBe('streaming');
    expect(h.wirelog.reader.body(open!.id, 'response').toString()).toBe(parts[0]);
    expect(leaksOf(await everywhere(), [queryKey])).toEqual([]);
    // The same answer to the call that is not a stream is held and masked like any other.
    const heldKey = secret('generate');
    const whole = [`{"candidates":[],"session":{"token":"${heldKey.slice(0, 9)}`, `${heldKey.slice(9)}"}}`];
    expect(await fetchPartByPart('/v1beta/models/gemini-2.5-flash:generateContent', 'application/json', whole)).toEqual(
      whole,
    );
    expect(leaksOf(await everywhere(), [heldKey])).toEqual([]);
  });

  it('past the 1 MB held for masking, is stored as it came and the exchange says it was not masked', async () => {
    const bigKey = secret('big');
    const filler = JSON.stringify({ text: 'x'.repeat(64 * 1024) });
    const parts = [
      '{"items":[',
      ...Array.from({ length: 20 }, (_, i) => `${i ? ',' : ''}${filler}`),
      `],"api_key":"${bigKey}"}`,
    ];
    const got = await fetchPartByPart('/v1/big', 'application/json', parts);
    expect(got.length).toBe(parts.length);
    await h.stored();
    const big = byPath('/v1/big');
    expect(big.state).toBe('complete');
    expect(big.error).toBeNull();
    expect(big.notes).toEqual([
      'response body stored unmasked (its JSON exceeded the 1 MB held for masking), and members named like secrets are in it',
    ]);
    // Said wherever the exchange goes: its detail and a HAR export.
    expect(JSON.stringify(await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${big.id}`)).json())).toContain(
      'response body stored unmasked',
    );
    expect(await (await fetch(`${h.wirelog.viewer!.url}/api/export.har`)).text()).toContain(
      'response body stored unmasked',
    );
    expect(h.wirelog.reader.body(big.id, 'response').toString()).toBe(parts.join(''));
  });
});

/** One exchange through the recorder alone (no sockets): its body chunks as stored, and its end. */
function record(
  request: { headers: Header[]; chunks: string[] },
  response: { headers: Header[]; chunks: (string | Buffer)[] } | null,
  path = '/v1/x',
) {
  const events: ExchangeEvent[] = [];
  const head = {
    startedAt: 0,
    clientAddress: '',
    method: 'POST',
    scheme: 'https' as const,
    host: 'h',
    port: 443,
    path,
    httpVersion: '1.1',
    headers: request.headers,
  };
  const recorder = new ExchangeRecorder(
    {
      sink: { emit: (e) => events.push(e) },
      maxBodyBytes: 50 << 20,
      keepSecrets: false,
      onSinkError: (err) => {
        throw err;
      },
    },
    head,
  );
  for (const chunk of request.chunks) recorder.requestBody.add(Buffer.from(chunk));
  recorder.requestSent();
  if (response) {
    recorder.responseHead({ status: 200, statusText: 'OK', httpVersion: '1.1', headers: response.headers });
    for (const chunk of response.chunks) recorder.responseChunk(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  recorder.end('complete');
  const stored = (side: 'request' | 'response') =>
    Buffer.concat(events.flatMap((e) => (e.type === 'body-chunk' && e.side === side ? [Buffer.from(e.chunk)] : [])));
  const end = events.find((e) => e.type === 'end') as Extract<ExchangeEvent, { type: 'end' }>;
  return { request: stored('request'), response: stored('response'), error: end.error, notes: end.notes };
}

describe('what is held, masked and said (the recorder alone)', () => {
  const json: Header[] = [['Content-Type', 'application/json']];
  const big = JSON.stringify({ text: 'x'.repeat(1100 * 1024) });

  it('says nothing of a body past 1 MB with no member named like a secret, and says which body it was when it has one', () => {
    expect(record({ headers: json, chunks: [big] }, { headers: json, chunks: [big] }).notes).toBeUndefined();
    const key = secret('request');
    const withKey = record({ headers: json, chunks: [big.slice(0, -1), `,"api_key":"${key}"}`] }, null);
    expect(withKey.notes).toEqual([
      'request body stored unmasked (its JSON exceeded the 1 MB held for masking), and members named like secrets are in it',
    ]);
    expect(withKey.error).toBeNull();
    expect(withKey.request.toString()).toContain(key);
  });

  it('says so of a form past 1 MB with a parameter named like a secret (an OAuth refresh with a long field), and nothing of one without', () => {
    const form: Header[] = [['Content-Type', 'application/x-www-form-urlencoded']];
    const long = `scope=${'x'.repeat(1100 * 1024)}`;
    expect(record({ headers: form, chunks: [long] }, null).notes).toBeUndefined();
    const token = secret('form');
    const withToken = record({ headers: form, chunks: [long, `&refresh_`, `token=${token}`] }, null);
    expect(withToken.notes).toEqual([
      'request body stored unmasked (its form exceeded the 1 MB held for masking), and parameters named like secrets are in it',
    ]);
    expect(withToken.request.toString()).toContain(token);
  });

  it('sees a secret member split between two chunks past the bound', () => {
    const key = secret('split');
    const r = record(
      { headers: json, chunks: [] },
      { headers: json, chunks: [big.slice(0, -1), ',"api_', `key":"${key}"}`] },
    );
    expect(r.notes).toEqual([expect.stringMatching(/^response body stored unmasked/)]);
  });

  it('keeps an error as it was, the note beside it', () => {
    const events: ExchangeEvent[] = [];
    const head = {
      startedAt: 0,
      clientAddress: '',
      method: 'POST',
      scheme: 'https' as const,
      host: 'h',
      port: 443,
      path: '/x',
      httpVersion: '1.1',
      headers: json,
    };
    const recorder = new ExchangeRecorder(
      {
        sink: { emit: (e) => events.push(e) },
        maxBodyBytes: 50 << 20,
        keepSecrets: false,
        onSinkError: () => undefined,
      },
      head,
    );
    recorder.requestBody.add(Buffer.from(`${big.slice(0, -1)},"token":"${secret('witherror')}"}`));
    recorder.end('aborted', 'the client closed the connection');
    const end = events.at(-1) as Extract<ExchangeEvent, { type: 'end' }>;
    expect(end.error).toBe('the client closed the connection');
    expect(end.notes).toEqual([
      'request body stored unmasked (its JSON exceeded the 1 MB held for masking), and members named like secrets are in it',
    ]);
  });

  it('masks newline-delimited JSON line by line, a line past 1 MB stored as it came and said', () => {
    const key = secret('line');
    const ndjson: Header[] = [['Content-Type', 'application/jsonl']];
    const lines = record({ headers: ndjson, chunks: [`{"a":1}\n{"tok`, `en":"${key}"}\n{"b":`, '2}'] }, null);
    expect(lines.request.toString()).toBe(`{"a":1}\n{"token":"****${key.slice(-4)}"}\n{"b":2}`);
    expect(lines.notes).toBeUndefined();
    const long = record(
      { headers: [['Content-Type', 'application/x-ndjson']], chunks: [] },
      {
        headers: [['Content-Type', 'application/x-ndjson']],
        chunks: ['{"a":1}\n', big.slice(0, -1), `,"secret":"${key}"}\n`, `{"secret":"${key}"}\n`],
      },
    );
    expect(long.notes).toEqual([
      'response body stored unmasked (a line of its JSON exceeded the 1 MB held for masking), and members named like secrets are in it',
    ]);
    // Stored as it came up to its newline; the lines after it are masked again.
    expect(long.response.toString()).toBe(
      `{"a":1}\n${big.slice(0, -1)},"secret":"${key}"}\n{"secret":"****${key.slice(-4)}"}\n`,
    );
  });

  it('masks JSON that is not valid UTF-8 byte for byte around the secret', () => {
    const key = secret('latin');
    const body = Buffer.concat([
      Buffer.from('{"t":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`","api_key":"${key}"}`),
    ]);
    const r = record(
      { headers: json, chunks: [] },
      {
        headers: [
          ['Content-Type', 'application/problem+json'],
          ['Content-Length', String(body.length)],
        ],
        chunks: [body],
      },
    );
    expect(r.response).toEqual(
      Buffer.concat([
        Buffer.from('{"t":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`","api_key":"****${key.slice(-4)}"}`),
      ]),
    );
  });

  it('leaves compressed bodies, bodies that are not JSON, and --keep-secrets alone', () => {
    const key = secret('alone');
    const body = `{"api_key":"${key}"}`;
    expect(
      record(
        {
          headers: [
            ['Content-Type', 'application/json'],
            ['Content-Encoding', 'gzip'],
          ],
          chunks: [body],
        },
        null,
      ).request.toString(),
    ).toBe(body);
    expect(record({ headers: [['Content-Type', 'text/plain']], chunks: [body] }, null).request.toString()).toBe(body);
  });
});
