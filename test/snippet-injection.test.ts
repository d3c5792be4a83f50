// "Copy as ..." is safe to paste: snippets of exchanges whose every field carries canaries (shell
// substitutions, backticks, template and f-string injections, quotes, backslashes, line and
// paragraph separators, bidi controls) run against a raw 127.0.0.1 server, by sh, bash, fish,
// node and python3; no canary file appears, and the server gets the captured method, path,
// header values and body bytes. Exchanges come from a hostile HAR (through the import path, or
// stored directly when the import refuses them) and from a live capture through the proxy.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { harToEvents } from '../export/har-import.ts';
import { snippetOf } from '../export/snippet-of.ts';
import { SnippetError, keyVariable, type SnippetTarget } from '../export/snippets.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import type { Exchange, ExchangeEvent, Header, RequestHead } from '../model/exchange.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

const work = tempDir('wirelog-snippet-canary-');
const canaries = path.join(work, 'canaries');
fs.mkdirSync(canaries);

/** Commands each language would run if a field escaped its literal: every one makes a file in `canaries`. */
function canary(field: string): string {
  const file = (kind: string) => path.join(canaries, `${kind}-${field}`);
  return [
    `$(touch ${file('sh')})`,
    `\`touch ${file('bt')}\``,
    `$CANARY_CMD`,
    `(touch ${file('fish')})`,
    `\${process.getBuiltinModule('fs').writeFileSync('${file('tpl')}', '')}`,
    `' + process.getBuiltinModule('fs').writeFileSync('${file('js')}', '') + '`,
    `" + __import__('os').system('touch ${file('py')}') + "`,
    `{__import__('os').system('touch ${file('fstr')}')}`,
    `#{x} %s %n \\ \\' \\" '"`,
  ].join(' ');
}
const shellCanaryEnv = { CANARY_CMD: `touch ${path.join(canaries, 'env')}` };

interface Received {
  method: string;
  target: string;
  headers: Header[];
  body: Buffer;
}

/** An HTTP/1.1 server that takes any method and records every request byte for byte (Node's own parser refuses unknown methods). */
function startRawServer(): Promise<{ port: number; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line, ...fields] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = fields.map((f): Header => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1).trim()]);
      const length = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0);
      if (data.length < end + 4 + length) return;
      const [method, target] = line.split(' ');
      received.push({ method, target, headers, body: data.subarray(end + 4, end + 4 + length) });
      const answer = '{"id":"c1","object":"chat.completion","model":"m","choices":[]}';
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${answer.length}\r\nConnection: close\r\n\r\n${answer}`,
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

let raw: Awaited<ReturnType<typeof startRawServer>>;
let h: Harness;
beforeAll(async () => {
  raw = await startRawServer();
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
  await raw?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      file,
      args,
      {
        cwd: work,
        timeout: 30_000,
        env: { PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8', ...shellCanaryEnv, ...env },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const hasFish = fs.existsSync('/usr/bin/fish');
const hasRequests = (await run('python3', ['-c', 'import requests'], {})).code === 0;

// The openai package for Python is not installed here: a stand-in that sends what the SDK sends
// (POST base_url + endpoint, `Authorization: Bearer <api_key>`, default_headers and default_query,
// the keyword arguments as the JSON body) with http.client, which keeps header names as given.
const stubDir = path.join(work, 'pystub');
fs.mkdirSync(path.join(stubDir, 'openai'), { recursive: true });
fs.writeFileSync(
  path.join(stubDir, 'openai', '__init__.py'),
  `import http.client, json, urllib.parse
class _Endpoint:
    def __init__(self, client, path):
        self.client, self.path = client, path
    def create(self, **request):
        c = self.client
        url = urllib.parse.urlsplit(c.base_url + self.path)
        query = "&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="") for k, v in c.default_query.items())
        headers = {"Authorization": "Bearer " + c.api_key, "Content-Type": "application/json", **c.default_headers}
        conn = http.client.HTTPConnection(url.hostname, url.port)
        conn.request("POST", url.path + ("?" + query if query else ""), json.dumps(request).encode(), headers)
        return conn.getresponse().read().decode()
class _Chat:
    def __init__(self, client):
        self.completions = _Endpoint(client, "/chat/completions")
class OpenAI:
    def __init__(self, base_url, api_key, default_headers=None, default_query=None):
        self.base_url, self.api_key = base_url, api_key
        self.default_headers, self.default_query = default_headers or {}, default_query or {}
        self.chat = _Chat(self)
        self.responses = _Endpoint(self, "/responses")
`,
);

/** Runs a snippet as its user would; returns what the raw server got from it (null: it sent nothing). */
async function runSnippet(
  target: SnippetTarget | 'bash' | 'fish',
  code: string,
  env: NodeJS.ProcessEnv,
): Promise<Received | null> {
  const before = raw.received.length;
  let result: Awaited<ReturnType<typeof run>>;
  if (target === 'curl') result = await run('sh', ['-c', code], env);
  else if (target === 'bash') result = await run('bash', ['-c', code], env);
  else if (target === 'fish') result = await run('fish', ['-c', code], env);
  else if (target === 'fetch') {
    const file = path.join(work, 'snippet.mjs');
    fs.writeFileSync(file, code);
    result = await run(process.execPath, [file], env);
  } else {
    const file = path.join(work, 'snippet.py');
    fs.writeFileSync(file, code);
    result = await run('python3', [file], { ...env, PYTHONPATH: stubDir });
  }
  // curl prints its progress meter on standard error when a body comes from standard input.
  if (target === 'fetch' || target === 'python' || target === 'openai')
    expect(result.stderr.trim(), `${target} failed:\n${code}`).toBe('');
  expect(result.code, `${target} failed: ${result.stderr}\n${code}`).toBe(0);
  return raw.received.length > before ? raw.received[raw.received.length - 1] : null;
}

function noCanary(): void {
  expect(fs.readdirSync(canaries)).toEqual([]);
}

/** Headers a client adds of its own (never one that was captured). */
const CLIENT_DEFAULTS = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'sec-fetch-mode',
  'connection',
  'content-length',
  'content-type',
]);

/** The server got the method, target and body, and every sent header by its exact name and value; anything else only a client's own. */
function expectSame(
  got: Received | null,
  sent: { method: string; target: string; headers: Header[]; body: Buffer },
  target: string,
): void {
  expect(got, `${target} sent nothing`).not.toBeNull();
  expect(got!.method).toBe(sent.method);
  expect(got!.target).toBe(sent.target);
  expect(got!.body.equals(sent.body), `${target} body:\n${got!.body.toString('latin1')}`).toBe(true);
  for (const [n, v] of sent.headers)
    expect(
      got!.headers.filter(([gn]) => gn === n).map(([, gv]) => gv),
      `${target}: header ${n}`,
    ).toEqual([v]);
  const sentNames = new Set(sent.headers.map(([n]) => n.toLowerCase()));
  for (const [n] of got!.headers)
    expect(sentNames.has(n.toLowerCase()) || CLIENT_DEFAULTS.has(n.toLowerCase()), `${target} added ${n}`).toBe(true);
}

const TARGETS: ('curl' | 'bash' | 'fish' | 'fetch' | 'python')[] = [
  'curl',
  'bash',
  ...(hasFish ? (['fish'] as const) : []),
  'fetch',
  ...(hasRequests ? (['python'] as const) : []),
];

function withDb<T>(dataDir: string, read: (reader: ExchangeReader) => T): T {
  const db = openDatabase(dataDir);
  try {
    return read(new ExchangeReader(db));
  } finally {
    db.close();
  }
}

/** Stores events as `wirelog import` does, into a data directory of their own. */
function store(events: ExchangeEvent[]): string {
  const dataDir = tempDir('wirelog-snippet-db-');
  const db = openDatabase(dataDir);
  try {
    new CaptureStore(db, understandEnded).apply(events);
  } finally {
    db.close();
  }
  return dataDir;
}

/** An exchange as a capture from before the import checked methods and names stores it: no check of ours in the way. */
function storedDirectly(head: Partial<RequestHead>, body: Buffer): string {
  const uid = `direct-${Math.random()}`;
  const full: RequestHead = {
    startedAt: Date.now(),
    clientAddress: '127.0.0.1:1',
    method: 'POST',
    scheme: 'http',
    host: '127.0.0.1',
    port: raw.port,
    path: '/x',
    httpVersion: '1.1',
    headers: [],
    ...head,
  };
  return store([
    { type: 'request', uid, head: full },
    ...(body.length ? [{ type: 'body-chunk' as const, uid, side: 'request' as const, chunk: body, atMs: 0 }] : []),
    { type: 'request-sent', uid, atMs: 1 },
    {
      type: 'end',
      uid,
      state: 'upstream_error',
      error: 'test',
      timings: { requestSent: 1 },
      requestBody: { size: body.length, storedSize: body.length, truncated: false, encoding: '' },
      responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    },
  ]);
}

function snippetsOf(dataDir: string, target: SnippetTarget): { exchange: Exchange; code: string }[] {
  return withDb(dataDir, (reader) =>
    reader.list({ limit: 100 }).map((exchange) => ({ exchange, code: snippetOf(reader, exchange, target) })),
  );
}

function refusal(dataDir: string, target: SnippetTarget): string {
  return withDb(dataDir, (reader) => {
    try {
      snippetOf(reader, reader.list({ limit: 1 })[0], target);
    } catch (err) {
      expect(err).toBeInstanceOf(SnippetError);
      return (err as Error).message;
    }
    throw new Error(`the ${target} snippet was written`);
  });
}

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
// Every special character a body can have: the canaries, controls, NUL, CR, separators, bidi overrides, non-UTF-8.
const HOSTILE_BODY = Buffer.concat([
  Buffer.from(
    `{"model":"m","messages":[{"role":"user","content":${JSON.stringify(canary('body'))}}],"x":"\u2028\u2029\u202e\u2066 \r\n\t\u001b[201~ \u0000 中文 😀"}`,
  ),
  Buffer.from([0x0a]),
]);

describe('a hostile HAR: every field a canary', () => {
  const secret = 'sk-hostile-secret-key-99998888';
  const password = `pa'ss$(touch ${path.join(canaries, 'pw')})"\`word`;
  const user = `us'er"\`$CANARY_CMD\`\\`;
  // Token characters a shell, JavaScript or Python would read: ' ` $ | & ! # % * + . ^ ~
  const method = "X`$CANARY_CMD`|'&!#%*+.^~";
  const headerName = "x-`$CANARY_CMD`'|&!#$%*+.^~";
  const target = `/v1/chat/completions;key=${secret}?q=${encodeURIComponent(canary('query'))}&'+process.getBuiltinModule('fs').writeFileSync('${path.join(canaries, 'url')}','')+'=1&key=${secret}`;
  const headers: Header[] = [
    ['Host', `127.0.0.1:0`],
    ['Authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`],
    ['x-api-key', secret],
    [headerName, latin1(canary('header'))],
    ['X-Latin', latin1('café ünïcode 中文')],
    ['Content-Type', 'application/json'],
  ];
  let harDir: string;
  let importedTarget: string;

  beforeAll(() => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'hostile', version: '1' },
        entries: [
          {
            startedDateTime: new Date().toISOString(),
            request: {
              method,
              url: `http://127.0.0.1:${raw.port}${target}`,
              httpVersion: 'HTTP/1.1',
              headers: headers.map(([name, value]) => ({
                name,
                value: name === 'Host' ? `127.0.0.1:${raw.port}` : value,
              })),
              postData: { mimeType: 'application/json', text: HOSTILE_BODY.toString('base64'), encoding: 'base64' },
            },
            response: { status: 200, headers: [], content: { text: '{}', mimeType: 'application/json' } },
          },
        ],
      },
    };
    let events: ExchangeEvent[];
    try {
      events = harToEvents(JSON.stringify(har), { source: 'hostile.har', keepSecrets: false }).events;
    } catch (err) {
      // The import refuses such a method or name: then as a database from before holds it.
      expect((err as Error).message).toMatch(/entry 1/);
      const imported = harToEvents(
        JSON.stringify({
          log: {
            ...har.log,
            entries: [
              {
                ...har.log.entries[0],
                request: {
                  ...har.log.entries[0].request,
                  method: 'POST',
                  headers: har.log.entries[0].request.headers.filter((x) => x.name !== headerName),
                },
              },
            ],
          },
        }),
        { source: 'hostile.har', keepSecrets: false },
      ).events;
      const head = (imported[0] as { head: RequestHead }).head;
      events = imported.map((e) =>
        e.type === 'request'
          ? {
              ...e,
              head: { ...head, method, headers: [...head.headers, [headerName, latin1(canary('header'))] as Header] },
            }
          : e,
      );
    }
    harDir = store(events);
    importedTarget = withDb(harDir, (r) => r.list({ limit: 1 })[0].request.path);
  });

  const env = { OPENAI_API_KEY: '', WIRELOG_127_0_0_1_API_KEY: secret, WIRELOG_127_0_0_1_PASSWORD: password };
  const expected = () => ({
    method,
    // Masked in storage: the variable fills in what was masked.
    target: importedTarget.replace(/\*{4}\d{4}/g, secret),
    headers: headers.filter(([n]) => n !== 'Host'),
    body: HOSTILE_BODY,
  });

  it('stores the query and matrix secrets masked, to become variables', () => {
    expect(importedTarget).toContain('key=****');
    expect(importedTarget).not.toContain(secret);
  });

  for (const target of TARGETS) {
    it(`${target}: runs no canary and sends the captured bytes`, async () => {
      const code = snippetsOf(harDir, target === 'bash' || target === 'fish' ? 'curl' : target)[0].code;
      const got = await runSnippet(target, code, env);
      noCanary();
      expectSame(got, expected(), target === 'bash' || target === 'fish' ? 'curl' : target);
    });
  }

  // Not UTF-8; a paragraph separator, a bidi override and a tab, which a terminal would take or show otherwise.
  for (const bytes of ['\xe9\xff caf\xe9', latin1('a\u2029b'), latin1('a\u202eb'), 'a\tb']) {
    it(`curl gives way to fetch and Python for a header of bytes ${JSON.stringify(bytes)}; they send them`, async () => {
      const dir = storedDirectly({ headers: [['X-Bytes', bytes]] }, Buffer.from('x'));
      expect(refusal(dir, 'curl')).toMatch(/header "X-Bytes".*fetch or Python/);
      for (const target of ['fetch', ...(hasRequests ? ['python' as const] : [])] as const) {
        const got = await runSnippet(target, snippetsOf(dir, target)[0].code, {});
        expect(got!.headers.find(([n]) => n.toLowerCase() === 'x-bytes')?.[1]).toBe(bytes);
      }
    });
  }

  it('the openai SDK call (Python): no canary, the body, key, headers and query as captured', async () => {
    const dir = storedDirectly(
      {
        method: 'POST',
        path: `/v1/chat/completions?q=${encodeURIComponent(canary('oq'))}&key=****9888`,
        headers: [
          ['Authorization', 'Bearer ****9888'],
          [headerName, latin1(canary('oh'))],
          ['Content-Type', 'application/json'],
        ],
      },
      Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: canary('ob') }] })),
    );
    withDb(dir, (reader) => {
      const e = reader.list({ limit: 1 })[0];
      expect(e.call?.dialect ?? 'openai-chat').toBe('openai-chat');
    });
    const code = withDb(dir, (reader) =>
      snippetOf(
        reader,
        { ...reader.list({ limit: 1 })[0], call: { dialect: 'openai-chat' } as Exchange['call'] },
        'openai',
      ),
    );
    const got = await runSnippet('openai', code, { WIRELOG_127_0_0_1_API_KEY: secret });
    noCanary();
    expect(got!.headers.find(([n]) => n === 'Authorization')?.[1]).toBe(`Bearer ${secret}`);
    expect(got!.headers.find(([n]) => n === headerName)?.[1]).toBe(latin1(canary('oh')));
    expect(JSON.parse(got!.body.toString())).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: canary('ob') }],
    });
    expect(Object.fromEntries(new URL(got!.target, 'http://x').searchParams)).toEqual({ q: canary('oq'), key: secret });
  });
});

describe('fields no client can send as captured are refused by name, in every target', () => {
  const cases: [string, Partial<RequestHead>, RegExp][] = [
    [
      'a method with a space and a substitution',
      { method: 'GET $(touch x)' },
      /the method "GET \$\(touch x\)" is not an HTTP token/,
    ],
    ['a method with a newline', { method: 'GET\nrm' }, /the method "GET\\nrm" is not an HTTP token/],
    ['a method with a quote', { method: 'GE"T' }, /the method/],
    ['a header name with a space', { headers: [['x a', 'v']] }, /the header name "x a" is not an HTTP token/],
    ['a header name with a double quote', { headers: [['x"a', 'v']] }, /the header name "x\\"a"/],
    ['a header name with a U+2028', { headers: [['x\u2028a', 'v']] }, /the header name "x\\u2028a"/],
    ['an empty header name', { headers: [['', 'v']] }, /the header name ""/],
    [
      'a header value with CR LF',
      { headers: [['X-A', 'v\r\nX-Injected: 1']] },
      /the header "X-A" holds a control character/,
    ],
    ['a header value with NUL', { headers: [['X-A', 'v\0w']] }, /the header "X-A" holds a control character/],
    ['a header value with ESC', { headers: [['X-A', 'v\x1b[201~']] }, /the header "X-A" holds a control character/],
    ['a header value with leading white space', { headers: [['X-A', ' v']] }, /starts or ends with white space/],
    ['a WebSocket exchange', { scheme: 'ws' }, /this is a ws exchange/],
    ['a host that is not a name', { host: "a'$(touch x)" }, /the host|no URL/],
  ];
  for (const [name, head, reason] of cases) {
    it(name, () => {
      const dir = storedDirectly(head, Buffer.from('{}'));
      for (const target of ['curl', 'fetch', 'python'] as const) expect(refusal(dir, target)).toMatch(reason);
    });
  }

  it('the viewer answers 422 with the reason', async () => {
    const res = await request(`http://127.0.0.1:${raw.port}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'text/plain' },
      body: 'not json',
    });
    await res.body.text();
    await h.stored();
    const id = h.wirelog.reader.list({ limit: 1 })[0].id;
    const answer = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${id}/snippet?target=openai`);
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { error: string }).error).toMatch(/not JSON/);
  });
});

describe('a live capture through the proxy: every field a canary', () => {
  const key = 'sk-live-canary-key-00007777';
  const password = `p'w"\`$(touch ${path.join(canaries, 'livepw')})`;
  const user = `u'"\`$CANARY_CMD\\`;
  // What undici lets a client send: token names with shell and JS characters, values with every printable byte.
  const headers: Header[] = [
    ['Authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`],
    ['x-api-key', key],
    ["x-`$CANARY_CMD`'|&!#$%*+.^~", canary('h1')],
    ['X-Latin', latin1('café 中文')],
    ['X-Empty', ''],
    ['Content-Type', 'application/json'],
  ];
  // Characters every client sends as they are (fetch, curl and requests re-encode others).
  const sentTarget = `/v1/'+process.getBuiltinModule('fs').writeFileSync('canary','')+'/chat/completions;key=${key}?q=$(touch${'%20'}x)&s=%60x%60%22%5C%27&key=${key}`;
  let id: number;

  beforeAll(async () => {
    const res = await request(`http://127.0.0.1:${raw.port}${sentTarget}`, {
      method: 'PATCH',
      dispatcher: h.agent(),
      headers: headers.flat(),
      body: HOSTILE_BODY,
    });
    await res.body.text();
    await h.stored();
    id = h.wirelog.reader.list({ limit: 1 })[0].id;
  });

  const env = () => ({ WIRELOG_127_0_0_1_API_KEY: key, WIRELOG_127_0_0_1_PASSWORD: password });

  for (const target of TARGETS) {
    it(`${target}: runs no canary and sends the captured bytes`, async () => {
      const stored = h.wirelog.reader.get(id)!;
      expect(stored.request.path).not.toContain(key);
      const res = await fetch(
        `${h.wirelog.viewer!.url}/api/exchanges/${id}/snippet?target=${target === 'bash' || target === 'fish' ? 'curl' : target}`,
      );
      expect(res.status).toBe(200);
      const got = await runSnippet(target, await res.text(), env());
      noCanary();
      const sentHeaders = headers;
      expectSame(
        got,
        { method: 'PATCH', target: sentTarget, headers: sentHeaders, body: HOSTILE_BODY },
        target === 'bash' || target === 'fish' ? 'curl' : target,
      );
    });
  }
});

describe('keyVariable: always an identifier in sh, fish, JavaScript and Python', () => {
  it.each([
    ['api.openai.com', 'OPENAI_API_KEY'],
    ['openrouter.ai', 'OPENROUTER_API_KEY'],
    ['127.0.0.1', 'WIRELOG_127_0_0_1_API_KEY'],
    ['::1', 'WIRELOG_IPV6_1_API_KEY'],
    ['[::1]', 'WIRELOG_IPV6_1_API_KEY'],
    ['fe80::1', 'WIRELOG_IPV6_FE80_1_API_KEY'],
    ['fe80::1%eth0', 'WIRELOG_IPV6_FE80_1_ETH0_API_KEY'],
    ['1relay.example', 'WIRELOG_1RELAY_API_KEY'],
    ['my-relay.example', 'MY_RELAY_API_KEY'],
    ['_x.example', 'X_API_KEY'],
    ['a..b.example', 'A_API_KEY'],
    ['api.com', 'WIRELOG_API_KEY'],
    ['', 'WIRELOG_API_KEY'],
    ['xn--fiq228c.example', 'XN_FIQ228C_API_KEY'],
  ])('%s -> %s', (host, name) => {
    expect(keyVariable(host, 'authorization')).toBe(name);
    expect(keyVariable(host, 'Cookie')).toBe(name.replace(/API_KEY$/, 'COOKIE'));
    expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});
