import fc from 'fast-check';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeExchange } from '../llm/analyze.ts';
import { diagnose } from '../llm/diagnose.ts';
import { callFacts } from '../llm/stored-calls.ts';
import type { Exchange, Header } from '../model/exchange.ts';
import { percentDecoded } from '../model/percent.ts';
import { apiErrorHandler } from '../viewer/errors.ts';
import { harFlow } from './support/exchange-factory.ts';
import { startHarness, type Harness } from './support/harness.ts';

describe('percentDecoded', () => {
  it.each([
    ['gemini-2.5-pro', 'gemini-2.5-pro'],
    ['%E4%BB%A4%E7%89%8C', '令牌'],
    ['a%20b', 'a b'],
    ['%E0%A4%A', '%E0%A4%A'],
    ['x%E0%A4%Ay', 'x%E0%A4%Ay'],
    ['100%', '100%'],
    ['%zz%41', '%zzA'],
    ['%41%E0%A4%41', 'A%E0%A4A'],
    ['%FF%E4%BB%A4', '%FF令'],
  ])('%s reads as %s', (written, shown) => {
    expect(percentDecoded(written)).toBe(shown);
  });

  it('takes + as a space in a query value only when asked', () => {
    expect(percentDecoded('a+b%2B')).toBe('a+b+');
    expect(percentDecoded('a+b%2B', true)).toBe('a b+');
  });

  it('never throws, and leaves text without escapes as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const out = percentDecoded(text);
        if (!text.includes('%')) expect(out).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

// Paths of the dialects wirelog understands, with noise where a relay or a client put some.
const paths = fc.oneof(
  fc.constantFrom(
    '/v1/chat/completions',
    '/v1/responses',
    '/v1/messages',
    '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    '/v1/models',
    '/v1/embeddings',
  ),
  fc
    .tuple(
      fc.constantFrom('/v1beta/models/', '/v1/models/', '/api/v1/'),
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.constantFrom('gemini%E0%A4%A', '%', 'm%ZZ', '%C0%AF', 'a%2Fb'),
      ),
      fc.constantFrom(':generateContent', ':streamGenerateContent', '/chat/completions', ''),
      fc.constantFrom('', '?key=%E0%A4%A', '?alt=sse&key=', '?%', '?a=1;key=x'),
    )
    .map(([a, b, c, d]) => `${a}${b}${c}${d}`),
);
const jsonish = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.nat({ max: 300_000 }).map((n) => '['.repeat(n) + ']'.repeat(n % 3 === 0 ? n : 0)),
  fc.constantFrom(
    '{"error":{"message":"未提供令牌"}}',
    '{"choices":[{"delta":{"content":1}}]}',
    '{"type":"error"}',
    'null',
    '[]',
    '{"candidates":"x"}',
    '{"output":[{"type":"message","content":null}]}',
  ),
);
const headers = fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 60 })), {
  maxLength: 6,
}) as fc.Arbitrary<Header[]>;

describe('the analysis and the diagnoses never throw on captured input', () => {
  it('random paths, heads, bodies, events and messages', () => {
    fc.assert(
      fc.property(
        paths,
        headers,
        fc.oneof(fc.constantFrom(200, 400, 401, 402, 403, 404, 429, 500, 502), fc.integer({ min: 100, max: 599 })),
        jsonish,
        jsonish,
        fc.array(jsonish, { maxLength: 5 }),
        fc.constantFrom<Exchange['streamKind']>(null, 'sse', 'websocket'),
        fc.constantFrom<Exchange['state']>('complete', 'aborted', 'upstream_error', 'streaming'),
        (path, requestHeaders, status, requestText, responseText, events, streamKind, state) => {
          const { exchange } = harFlow({
            request: { path, headers: requestHeaders },
            response: { status, headers: [['Content-Type', 'application/json'], ...requestHeaders] },
            exchange: { streamKind, state },
          });
          const call = analyzeExchange({
            exchange,
            requestText,
            responseText,
            sseEvents: events.map((data, seq) => ({ seq, offsetMs: seq, event: null, id: null, data })),
            wsMessages: events.map((text, i) => ({ direction: i % 2 ? 'receive' : 'send', offsetMs: i, text })),
          } as Parameters<typeof analyzeExchange>[0]);
          diagnose({
            exchange: { ...exchange, call: call && callFacts(call) },
            call,
            responseText,
            earlier: [exchange],
            modelsListed: ['gemini-2.5-pro'],
          });
        },
      ),
      { numRuns: 600 },
    );
  });
});

describe('the API when a handler fails', () => {
  it('answers JSON naming the call and the cause, and logs it', async () => {
    const logged: string[] = [];
    const app = new Hono();
    app.onError(apiErrorHandler((m) => logged.push(m)));
    const api = new Hono();
    api.get('/exchanges/:id', () => {
      throw new URIError('URI malformed');
    });
    app.route('/api', api);
    const res = await app.request('/api/exchanges/7');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^wirelog could not answer GET \/api\/exchanges\/7: URIError: URI malformed/,
    );
    expect(logged).toHaveLength(1);
  });
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('a captured URL with a malformed percent-escape', () => {
  it('its detail answers, its model reads as written, and search finds it', async () => {
    const path = `/http/127.0.0.1:${h.upstream.httpPort}/v1beta/models/gemini%E0%A4%A:generateContent?key=%E0%A4%A`;
    const res = await fetch(`http://127.0.0.1:${h.wirelog.proxy.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"contents":[{"parts":[{"text":"hi"}]}]}',
    });
    await res.arrayBuffer();
    await h.stored();
    const e = h.wirelog.reader.list({ limit: 10 }).find((x) => x.request.path.startsWith('/v1beta/models/gemini'))!;
    const detail = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${e.id}`);
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as { modelCall: { requestedModel: string | null } | null };
    expect(body.modelCall?.requestedModel).toBe('gemini%E0%A4%A');
    const found = await fetch(`${h.wirelog.viewer!.url}/api/exchanges?q=${encodeURIComponent('gemini')}`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { exchanges: { id: number }[] }).exchanges.map((x) => x.id)).toContain(e.id);
  });
});
