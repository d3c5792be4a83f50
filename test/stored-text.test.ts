// What wirelog stores on an exchange (errors, notes) and answers as an API refusal, read in
// Chinese: each sentence below is made by the code that stores it, so a producer whose wording
// drifts from the catalogue (i18n/messages/server.en.ts) fails here instead of showing English.
import { describe, expect, it } from 'vitest';
import { INTERRUPTED } from '../db/capture-store.ts';
import { damagedRefusal, damageNote } from '../db/stored-values.ts';
import { localized } from '../i18n/stored-text.ts';
import { boundHeaders, boundText } from '../model/head-bounds.ts';
import type { Exchange } from '../model/exchange.ts';
import { shedNote } from '../model/shed-note.ts';
import { browserRefusal } from '../proxy/gateway.ts';
import { misdirectedProtocol } from '../proxy/proxy-server.ts';
import { describeUpstreamError } from '../proxy/upstream.ts';
import { HarImportError, harToEvents } from '../export/har-import.ts';
import { harEntry } from '../export/har.ts';
import { SnippetError, snippet, type HarRequest, type SnippetTarget } from '../export/snippets.ts';
import type { RequestHead } from '../model/exchange.ts';
import { harFlow } from './support/exchange-factory.ts';

const CJK = /[\u3400-\u9fff]/;
/** Terms a Chinese developer writes as they are (as test/i18n-screens.browser.test.ts allows them), and the parameters. */
const TERMS =
  /(HTTPS?|JSON|SSE|HAR|URL|API|TLS|CA|SDK|KB|MB|WebSocket|Codex|Cherry Studio|wirelog|connection refused|HOST|PORT|PATH|TOKEN|FILE)(?![A-Za-z])|`[^`]*`|--[\w-]+|\([A-Z_]+\)|（[A-Z_]+）/g;

/** Two English words in a row left in a Chinese sentence, once the allowed terms and the given parameters are taken out. */
function englishLeft(text: string, params: string[]): string | null {
  let rest = text;
  for (const p of params) rest = rest.split(p).join(' ');
  rest = rest.replace(TERMS, ' ');
  return /[A-Za-z]{2,}\s+[A-Za-z]{2,}/.exec(rest)?.[0] ?? null;
}

function err(code: string, message = 'boom'): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const exchange = {
  id: 7,
  damaged: [damageNote({ column: 'request_headers', why: 'not JSON (Unexpected token x); read as none' } as never)],
} as unknown as Exchange;

/** [what, the stored text, parameters that stay as they are]. */
const STORED: [string, string, string[]][] = [
  ['interrupted', INTERRUPTED, []],
  ['refused', describeUpstreamError(err('ECONNREFUSED'), '127.0.0.1', 9), ['127.0.0.1:9']],
  ['dns', describeUpstreamError(err('ENOTFOUND'), 'relay.example', 443), ['relay.example']],
  ['reset', describeUpstreamError(err('ECONNRESET'), 'relay.example', 443), ['relay.example:443']],
  [
    'reset in the handshake',
    describeUpstreamError(err('ECONNRESET'), 'relay.example', 443, true),
    ['relay.example:443'],
  ],
  ['timed out', describeUpstreamError(err('ETIMEDOUT'), 'relay.example', 443), ['relay.example:443']],
  ['unreachable', describeUpstreamError(err('EHOSTUNREACH'), 'relay.example', 443), ['relay.example:443']],
  ['head overflow', describeUpstreamError(err('HPE_HEADER_OVERFLOW'), 'relay.example', 443), ['relay.example:443']],
  [
    'certificate',
    describeUpstreamError(
      err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'relay.example',
      443,
    ),
    ['relay.example:443', 'self-signed certificate in certificate chain'],
  ],
  [
    'slow',
    describeUpstreamError(
      err('WIRELOG_TIMEOUT', 'connecting to relay.example:443 took longer than 10 s'),
      'relay.example',
      443,
    ),
    ['relay.example:443'],
  ],
  [
    'TLS to the proxy port',
    misdirectedProtocol(Buffer.from([0x16, 0x03, 0x01]), '127.0.0.1:8899')!,
    ['127.0.0.1:8899'],
  ],
  ['h2c', misdirectedProtocol(Buffer.from('PRI * HTTP/2.0\r\n'), '127.0.0.1:8899')!, ['prior knowledge']],
  [
    'SOCKS',
    misdirectedProtocol(Buffer.from([0x05, 0x01]), '127.0.0.1:8899')!,
    ['127.0.0.1:8899', 'socks5://...', 'ALL_PROXY', 'HTTPS_PROXY'],
  ],
  ['gateway navigation', browserRefusal({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })!, []],
  [
    'gateway same-origin page',
    browserRefusal({ 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' })!,
    ['file://'],
  ],
  ['shed', shedNote({ sseEvents: 3, wsMessages: 0, eventBytes: 120, bodyBytes: 5 }, 'storage was too far behind'), []],
  [
    'shed WebSocket',
    shedNote({ sseEvents: 0, wsMessages: 2, eventBytes: 40, bodyBytes: 0 }, 'storage was too far behind'),
    [],
  ],
  ['damaged column', exchange.damaged![0], ['request_headers', 'Unexpected token x']],
  ['damaged refusal', damagedRefusal(exchange, 'replayed')!, ['request_headers', 'Unexpected token x']],
];

describe('stored errors and notes in Chinese', () => {
  for (const [what, text, params] of STORED) {
    it(what, () => {
      const zh = localized(text, 'zh-CN');
      expect(zh, text).toMatch(CJK);
      expect(englishLeft(zh, params), zh).toBeNull();
      // English readers get the stored text itself.
      expect(localized(text, 'en')).toBe(text);
    });
  }

  it('notes of fields cut to fit', () => {
    const notes: string[] = [];
    boundText('m'.repeat(5000), 128, 'model name', notes);
    boundHeaders([['x-big', 'v'.repeat(70_000)]], 'request header', notes);
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) {
      const zh = localized(note, 'zh-CN');
      expect(zh, note).toMatch(CJK);
      expect(englishLeft(zh, ['x-big']), zh).toBeNull();
    }
  });

  it('a failure inside another (forward.ts joins a reason and a note) and a sentence from elsewhere', () => {
    const inner = describeUpstreamError(err('ECONNREFUSED'), '127.0.0.1', 9);
    expect(localized(`cannot forward this request: ${inner}`, 'zh-CN')).toBe(
      '无法转发这个请求：127.0.0.1:9 拒绝了连接',
    );
    expect(
      localized(`the upstream closed the connection before the response ended; the SSE decoder gave up`, 'zh-CN'),
    ).toBe('响应还没结束，上游就关闭了连接；the SSE decoder gave up');
    // Not one of wirelog's sentences (an older row, a provider's words): as it is.
    expect(localized('Service Unavailable: try again later', 'zh-CN')).toBe('Service Unavailable: try again later');
  });

  it('an import error', () => {
    let message = '';
    try {
      harToEvents('{"not": "a har"}', { source: 'x.har' } as never);
    } catch (e) {
      expect(e).toBeInstanceOf(HarImportError);
      message = (e as Error).message;
    }
    const zh = localized(message, 'zh-CN');
    expect(zh, message).toMatch(/^x\.har：这不是 HAR 文档/);
    expect(localized('x.har is not JSON (Unexpected token): a HAR file is a JSON document', 'zh-CN')).toBe(
      'x.har 不是 JSON（Unexpected token）：HAR 文件是一个 JSON 文档',
    );
  });
});

/** Why `snippet` refuses to write `target` for a request like `head` (what the copy button's title says). */
function snippetRefusal(
  target: SnippetTarget,
  head: Partial<RequestHead>,
  body = '',
  dialect: string | null = null,
): string {
  const source = harFlow({
    request: {
      host: '127.0.0.1',
      port: 8080,
      scheme: 'http',
      ...head,
      headers: [['Host', '127.0.0.1:8080'], ...(head.headers ?? [])],
    },
    requestBody: [body, body ? 'application/json' : ''],
  });
  try {
    snippet(
      { exchange: source.exchange, request: harEntry(source).request as HarRequest, body: Buffer.from(body), dialect },
      target,
    );
  } catch (e) {
    expect(e).toBeInstanceOf(SnippetError);
    return (e as Error).message;
  }
  throw new Error('a snippet was written');
}

describe("copy as code's refusals in Chinese (the disabled button's title)", () => {
  /** [what, the refusal, its Chinese start, parameters that stay as they are]. */
  const cases: [string, () => string, string, string[]][] = [
    ['method', () => snippetRefusal('curl', { method: 'GET /x' }), '请求方法 "GET /x" 不是合法的 HTTP token', []],
    [
      'header name',
      () => snippetRefusal('curl', { headers: [['a:b', 'v']] }),
      '请求头名 "a:b" 不是合法的 HTTP token',
      [],
    ],
    ['control character', () => snippetRefusal('fetch', { headers: [['X-A', 'a\rb']] }), '请求头 "X-A" 的值里有', []],
    [
      'white space',
      () => snippetRefusal('python', { headers: [['X-A', 'a\t']] }),
      '请求头 "X-A" 的值以空白开头或结尾',
      [],
    ],
    ['wss', () => snippetRefusal('curl', { scheme: 'wss' }), '这是一条 wss 请求', []],
    ['host', () => snippetRefusal('curl', { host: 'a$b' }), '主机 "a$b" 既不是域名', []],
    ['no host', () => snippetRefusal('curl', { host: '' }), '这条请求没有可以发送的 URL', []],
    [
      'shell bytes',
      () => snippetRefusal('curl', { headers: [['X-B', 'a\tb']] }),
      '请求头 "X-B" 里有粘贴到 shell 的命令',
      [],
    ],
    [
      'SDK endpoint',
      () => snippetRefusal('openai', { path: '/v1/embeddings' }, '{}', 'openai-chat'),
      'openai SDK 代码片段只适用于',
      [],
    ],
    [
      'SDK body',
      () => snippetRefusal('openai', { path: '/v1/chat/completions' }, 'nope', 'openai-chat'),
      '请求体不是 JSON，',
      [],
    ],
    [
      'SDK body object',
      () => snippetRefusal('openai', { path: '/v1/chat/completions' }, '[1]', 'openai-chat'),
      '请求体不是 JSON 对象',
      [],
    ],
    [
      'SDK query',
      () => snippetRefusal('openai', { path: '/v1/chat/completions?a=1&a=2' }, '{}', 'openai-chat'),
      '查询参数有重复',
      [],
    ],
    [
      'SDK query encoding',
      () => snippetRefusal('openai', { path: '/v1/chat/completions?a=%E9' }, '{}', 'openai-chat'),
      '查询参数里有 "%E9"',
      [],
    ],
    [
      'SDK secret name',
      () => snippetRefusal('openai', { path: '/v1/chat/completions?****1234=1' }, '{}', 'openai-chat'),
      '某个查询参数名里有打了码的密钥',
      [],
    ],
  ];
  it.each(cases)('%s', (_what, refusal, start, params) => {
    const text = refusal();
    const zh = localized(text, 'zh-CN');
    expect(zh.startsWith(start), `${text}\n${zh}`).toBe(true);
    expect(englishLeft(zh, params), zh).toBeNull();
    expect(localized(text, 'en')).toBe(text);
  });
});
