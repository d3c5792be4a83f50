// The last English of issue 25, read in Chinese: compare's refusals, replay's refusals and the
// secrets it withheld, a HAR import's problems and notes, the names of cut header fields and the
// reasons a stream's events stopped being split out. Each sentence is made by the code that says
// it, so a producer whose English drifts from the catalogue (i18n/messages/server.en.ts) comes
// back in English under zh-CN and fails here; English readers get the producer's text itself.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerComparison } from '../db/compare-reader.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { checkEntry, entryEvents, harToEvents } from '../export/har-import.ts';
import { importHarFile } from '../export/har-stream.ts';
import { localized, serverText } from '../i18n/stored-text.ts';
import type { FixAction } from '../llm/diagnose.ts';
import type { Exchange, RequestHead } from '../model/exchange.ts';
import { boundEnd, boundHeaders } from '../model/head-bounds.ts';
import { SseTap } from '../proxy/sse-capture.ts';
import type { ExchangeRecorder } from '../proxy/recorder.ts';
import { fixEdits } from '../replay/fix.ts';
import { buildReplay } from '../replay/request.ts';
import { withholdSecrets } from '../replay/secret-guard.ts';
import { originOf } from '../replay/secret-origin.ts';
import { tempDir } from './support/harness.ts';

const CJK = /[\u3400-\u9fff]/;
/** Terms a Chinese developer writes as they are (as test/stored-text.test.ts allows them), and the parameters. */
const TERMS =
  /(HTTPS?|JSON|SSE|HAR|URL|API|TLS|CA|SDK|KB|MB|WebSocket|Codex|wirelog|CONNECT|POST|NUL|YOUR_KEY|Bearer|HOST|PORT|Content-Encoding|trailer)(?![A-Za-z])|`[^`]*`|--[\w-]+|\([A-Z_]+\)|（[A-Z_]+）/g;

/** Two English words in a row left in a Chinese sentence, once the allowed terms and the given parameters are taken out. */
function englishLeft(text: string, params: string[]): string | null {
  let rest = text;
  for (const p of params) rest = rest.split(p).join(' ');
  rest = rest.replace(TERMS, ' ');
  return /[A-Za-z]{2,}\s+[A-Za-z]{2,}/.exec(rest)?.[0] ?? null;
}

/** The text read in Chinese: some Chinese, no English sentence left; read in English: itself. */
function expectChinese(text: string, params: string[] = []): string {
  const zh = localized(text, 'zh-CN');
  expect(zh, text).toMatch(CJK);
  expect(englishLeft(zh, params), `${text}\n${zh}`).toBeNull();
  expect(localized(text, 'en')).toBe(text);
  return zh;
}

function thrown(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('nothing was refused');
}

async function rejected(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('nothing was refused');
}

function head(extra: Partial<RequestHead> = {}): RequestHead {
  return {
    startedAt: 0,
    clientAddress: '127.0.0.1:1',
    method: 'POST',
    scheme: 'https',
    host: 'relay.example',
    port: 443,
    path: '/v1/chat/completions',
    httpVersion: '1.1',
    headers: [],
    ...extra,
  };
}

function exchange(request: RequestHead, requestBody: Partial<Exchange['requestBody']> = {}): Exchange {
  return {
    id: 7,
    uid: 'u7',
    request,
    response: { status: 401, statusText: '', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: {},
    requestBody: { size: 2, storedSize: 2, truncated: false, encoding: '', ...requestBody },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

describe('compare in Chinese', () => {
  it("answers a missing exchange in the request's language, and in English by default", () => {
    const reader = new ExchangeReader(openDatabase(tempDir()));
    const zh = answerComparison(reader, 41, 42, 'zh-CN');
    expect(zh.status).toBe(404);
    const error = (JSON.parse(zh.json) as { error: string }).error;
    expect(error).toMatch(CJK);
    expect(englishLeft(error, [])).toBeNull();
    const en = (JSON.parse(answerComparison(reader, 41, 42).json) as { error: string }).error;
    expect(en).toBe('no exchange 41');
    expectChinese(en);
  });

  it.each([
    ['no working call', serverText('en', 'api.compareNoWorking', { host: 'relay.example' }), ['relay.example']],
    ['out of memory', serverText('en', 'api.compareOutOfMemory', { a: 1, b: 2, mb: 256 }), []],
    ['failed', serverText('en', 'api.compareFailed', { a: 1, b: 2, error: 'SQLITE_BUSY' }), ['SQLITE_BUSY']],
    ['stopped', serverText('en', 'api.compareStopped', { a: 1, b: 2, code: 1 }), []],
    [
      'bodies by bytes',
      serverText('en', 'api.compareResponseBytesEncodings', {
        a: '9.0 MB',
        b: '9.5 MB',
        max: '8.0 MB',
        x: 'gzip',
        y: 'identity',
      }),
      ['identity'],
    ],
  ])('%s', (_what, text, params) => void expectChinese(text, params));
});

describe('replay refusals in Chinese', () => {
  const plain = exchange(head());
  const cases: [string, () => string, string[]][] = [
    ['not a method', () => thrown(() => buildReplay(plain, Buffer.from('{}'), null, { method: 'GE T' })), ['GE T']],
    ['CONNECT', () => thrown(() => buildReplay(plain, Buffer.from(''), null, { method: 'CONNECT' })), []],
    [
      'not a URL',
      () => thrown(() => buildReplay(plain, Buffer.from('{}'), null, { url: 'relay dot example' })),
      ['relay dot example', 'https://api.example.com/v1/chat/completions'],
    ],
    [
      'scheme',
      () => thrown(() => buildReplay(plain, Buffer.from('{}'), null, { url: 'ftp://relay.example/x' })),
      ['http or https'],
    ],
    [
      'consent names another host',
      () => thrown(() => buildReplay(plain, Buffer.from('{}'), null, { sendSecretsTo: 'other.example' })),
      ['other.example', 'relay.example'],
    ],
    [
      'bad consent',
      () => thrown(() => buildReplay(plain, Buffer.from('{}'), null, { sendSecretsTo: 'a b/c' })),
      ['a b/c', 'api.example.com', 'sendSecretsTo'],
    ],
    [
      'body cut',
      () =>
        thrown(() =>
          buildReplay(exchange(head(), { size: 900, storedSize: 100, truncated: true }), Buffer.from('x'), null),
        ),
      [],
    ],
    [
      'a key not in memory',
      () =>
        thrown(() =>
          buildReplay(
            exchange(
              head({ headers: [['Authorization', 'Bearer ****abcd']], secrets: [{ name: 'Authorization' }] as never }),
            ),
            Buffer.from('{}'),
            null,
          ),
        ),
      ['Authorization'],
    ],
  ];
  it.each(cases)('%s', (_what, refusal, params) => void expectChinese(refusal(), params));

  const noKey = { bodyText: '[1]', workingKey: () => null };
  it.each<[string, FixAction, string[]]>([
    [
      'the fix needs a key',
      { kind: 'header', name: 'x-api-key', value: null, scheme: null } as unknown as FixAction,
      ['x-api-key', 'relay.example'],
    ],
    [
      'the fix needs a Bearer key',
      { kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' } as unknown as FixAction,
      ['Authorization', 'relay.example'],
    ],
    [
      'the output limit of a body that is not an object',
      { kind: 'max-tokens', maxTokens: 100 } as unknown as FixAction,
      [],
    ],
  ])(
    '%s',
    (_what, action, params) =>
      void expectChinese(
        thrown(() => fixEdits(plain, action, {}, noKey)),
        params,
      ),
  );

  it('the model of a body that is not JSON', () => {
    expectChinese(
      thrown(() =>
        fixEdits(
          plain,
          { kind: 'model', model: 'gpt-x' } as unknown as FixAction,
          {},
          { bodyText: 'nope', workingKey: () => null },
        ),
      ),
    );
  });
});

describe('secrets a replay withheld, in Chinese', () => {
  const from = originOf('https', 'relay.example', 443);
  const secret = {
    where: 'header' as const,
    name: 'Authorization',
    value: 'Bearer sk-live-0123456789abcdef',
    origin: from,
  };
  const request = (url: string, body: string | null = null, headers: [string, string][] = []) => ({
    url: new URL(url),
    headers: [['Authorization', secret.value], ...headers] as [string, string][],
    body: body === null ? null : Buffer.from(body),
    messages: [],
  });

  it('to another origin, and over plain HTTP', () => {
    const other = withholdSecrets(
      request('https://other.example/v1'),
      [secret],
      originOf('https', 'other.example', 443),
      null,
    );
    const downgrade = withholdSecrets(
      request('http://relay.example/v1'),
      [secret],
      originOf('http', 'relay.example', 80),
      null,
    );
    expect([other.withheld.length, downgrade.withheld.length]).toEqual([1, 1]);
    expectChinese(other.withheld[0].message, [
      'Authorization',
      'https://relay.example',
      'https://other.example',
      'other.example',
    ]);
    expectChinese(downgrade.withheld[0].message, ['Authorization', 'https://relay.example', 'http://relay.example']);
  });

  it('found in a body, and a body that cannot be decoded to take it out', () => {
    const inBody = withholdSecrets(
      request('https://other.example/v1', '{"note":"sk-live-0123456789abcdef"}'),
      [secret],
      originOf('https', 'other.example', 443),
      null,
    );
    const named = inBody.withheld.find((w) => w.name !== 'Authorization');
    expect(named?.name).toBe('body (Authorization)');
    expect(localized(named!.name, 'zh-CN')).toBe('请求体（Authorization）');
    expectChinese(named!.message, ['Authorization', 'https://relay.example', 'https://other.example', 'other.example']);
    const encoded = thrown(() =>
      withholdSecrets(
        request('https://other.example/v1', 'not gzip at all', [['Content-Encoding', 'gzip']]),
        [secret],
        originOf('https', 'other.example', 443),
        null,
      ),
    );
    // The decoder's own words (db/decode.ts) stay as they are.
    expectChinese(encoded, [
      'https://relay.example',
      'https://other.example',
      'could not decode gzip: incorrect header check',
      'gzip',
    ]);
  });
});

describe('a HAR import in Chinese', () => {
  const entry = (request: Record<string, unknown>, response: Record<string, unknown> = {}) => ({
    startedDateTime: '2026-01-01T00:00:00.000Z',
    time: 1,
    request: {
      method: 'POST',
      url: 'https://relay.example/v1/chat/completions',
      httpVersion: 'HTTP/1.1',
      headers: [],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: 0,
      ...request,
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      headers: [],
      cookies: [],
      content: { size: 0, mimeType: 'application/json' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 0,
      ...response,
    },
    cache: {},
    timings: { send: 0, wait: 1, receive: 0 },
  });

  it("refuses a file's bad entries, each problem on its line", () => {
    const entries = [
      entry({ method: 'P'.repeat(100) }),
      entry({ headers: [{ name: 'bad name', value: 'x' }] }),
      entry({ headers: [{ name: 'x-a', value: 'a\nb' }] }),
      entry({ url: undefined }),
      entry({ httpVersion: 'HTTP/1.1\nX' }),
      ...Array.from({ length: 8 }, () => entry({ method: 'GET /' })),
    ];
    const text = thrown(() =>
      harToEvents(JSON.stringify({ log: { entries } }), { source: 'x.har', keepSecrets: false }),
    );
    const zh = expectChinese(text, [
      'x.har',
      '"bad name"',
      'request.method',
      'request.headers.0.name',
      'request.headers.0.value',
      'request.url',
      'request.httpVersion',
      'https://relay.example/v1/chat/completions',
    ]);
    expect(zh.split('\n').length, zh).toBe(12);
    expect(zh).toMatch(/^x\.har 无法导入/);
    expect(zh).toContain('……还有 3 处');
  });

  it('notes a body nested too deep to read as JSON', () => {
    const deep = `${'['.repeat(1200)}${']'.repeat(1200)}`;
    const checked = checkEntry({
      number: 3,
      value: entry({ postData: { mimeType: 'application/json', text: deep } }),
      cut: [],
      problem: null,
    });
    expect(checked.problems).toEqual([]);
    const { notes } = entryEvents(checked.entry!, { source: 'x.har', keepSecrets: false }, { number: 3, cut: [] });
    expect(notes.length).toBe(1);
    expect(localized(notes[0], 'zh-CN')).toMatch(
      /^第 3 条（POST https:\/\/relay\.example\/v1\/chat\/completions）：请求体是嵌套超过/,
    );
    expectChinese(notes[0], ['https://relay.example/v1/chat/completions']);
  });

  it('a file that is not JSON, from its start or after an entry, and one that cannot be read', async () => {
    const dir = tempDir();
    const store = async () => [];
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const atStart = await rejected(() =>
      importHarFile(file('a.har', 'nope'), { source: 'a.har', keepSecrets: false, store }),
    );
    const afterEntry = await rejected(() =>
      importHarFile(file('b.har', JSON.stringify({ log: { entries: [entry({})] } }).slice(0, -20)), {
        source: 'b.har',
        keepSecrets: false,
        store,
      }),
    );
    const missing = await rejected(() =>
      importHarFile(path.join(dir, 'none.har'), { source: 'none.har', keepSecrets: false, store }),
    );
    expect(localized(afterEntry, 'zh-CN')).toContain('第 1 条或之后');
    for (const [text, params] of [
      [atStart, ['a.har']],
      [afterEntry, ['b.har']],
      [missing, ['none.har', 'ENOENT']],
    ] as [string, string[]][]) {
      expectChinese(text.replace(/: [^)]*\)\): /, ': x)): '), params);
    }
  });
});

describe('cut header fields and stream decoding, in Chinese', () => {
  it('names a cut header name and value by its list, and the end fields by theirs', () => {
    const notes: string[] = [];
    boundHeaders([[`x-${'n'.repeat(9000)}`, 'v']], 'response trailer', notes);
    boundHeaders([['x-big', 'v'.repeat(300_000)]], 'response header', notes);
    const end = boundEnd({
      type: 'end',
      uid: 'u',
      state: 'complete',
      error: 'e'.repeat(20_000),
      timings: {},
      requestBody: { size: 0, storedSize: 0, truncated: false, encoding: 'g'.repeat(5000) },
      responseBody: { size: 0, storedSize: 0, truncated: false, encoding: 'b'.repeat(5000) },
    });
    notes.push(...(end.notes ?? []));
    expect(notes.length).toBe(5);
    const zh = notes.map((note) => expectChinese(note, ['x-big', 'x-nnnnnnnn']));
    expect(zh[0]).toMatch(/^响应 trailer 名 x-n+…：/);
    expect(zh[1]).toMatch(/^响应头 x-big：/);
    expect(zh.slice(2).map((z) => z.split('：')[0])).toEqual([
      '错误信息',
      '请求的 Content-Encoding',
      '响应的 Content-Encoding',
    ]);
  });

  it("says why a compressed stream's events stopped being split out", async () => {
    const recorder = { sseEvent: () => undefined } as unknown as ExchangeRecorder;
    const tap = new SseTap(recorder, 'gzip');
    tap.write(Buffer.from('this is not gzip at all, not even its header'));
    tap.end();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the tap never settled')), 5000);
      tap.whenSettled(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(tap.stopped).toMatch(/^the gzip stream does not decode: /);
    const note = serverText('en', 'stored.eventsNotSplit', { why: tap.stopped! });
    const zh = expectChinese(note, ['gzip', tap.stopped!.replace(/^.*?: /, '')]);
    expect(zh).toMatch(/这段 gzip 流解码失败/);
    expectChinese(
      serverText('en', 'stored.eventsNotSplit', { why: serverText('en', 'stored.stillDecoding', { seconds: 2 }) }),
    );
  });
});
