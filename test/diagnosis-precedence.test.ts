import { describe, expect, it } from 'vitest';
import { gatewayOfReplayed, sendingClient } from '../llm/working-config.ts';
import { diagnose, PRECEDENCE, RULES, worst, type Diagnosis } from '../llm/diagnose.ts';
import { groupDiagnoses, withoutRequestIds } from '../llm/doctor-groups.ts';
import type { Exchange, Header } from '../model/exchange.ts';
import { fixEdits } from '../replay/fix.ts';

// Which diagnosis wins is data (PRECEDENCE), pinned here; the fixtures (test/fixtures/diagnoses)
// pin each rule's words, quoted message and action.

let nextId = 1;
function exchange(
  host: string,
  path: string,
  status: number,
  headers: Header[] = [],
  extra: Partial<Exchange['request']> = {},
): Exchange {
  const id = nextId++;
  return {
    id,
    uid: `p-${id}`,
    request: {
      startedAt: 1_000 + id,
      clientAddress: '127.0.0.1:1',
      method: 'POST',
      scheme: 'https',
      host,
      port: 443,
      path,
      httpVersion: '1.1',
      headers,
      ...extra,
    },
    response: { status, statusText: '', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: {},
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

function rulesOf(ex: Exchange, body: unknown): string[] {
  return diagnose({
    exchange: ex,
    call: null,
    responseText: JSON.stringify(body),
    earlier: [],
    modelsListed: null,
  }).map((d) => d.rule);
}

const KEY: Header[] = [['Authorization', 'Bearer ****abcd']];
const CHERRY_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) CherryStudio/1.5.7 Chrome/134.0.6998.205 Electron/35.6.0 Safari/537.36';

describe('precedence is data, not the order the rules run in', () => {
  it('every rule has a place in PRECEDENCE, and PRECEDENCE names no rule that does not exist', () => {
    expect(Object.keys(RULES).filter((r) => !PRECEDENCE[r])).toEqual([]);
    const named = Object.entries(PRECEDENCE).flatMap(([rule, p]) => [rule, ...(p.over ?? [])]);
    expect(named.filter((r) => !RULES[r])).toEqual([]);
  });

  it('a 403 saying the model is not allowed is never "the provider rejected the key"', () => {
    for (const message of [
      'The model o3-pro is not allowed for this token',
      '该令牌无权使用模型：gpt-5',
      'key not authorized to access the requested model',
      'You do not have permission to use model gpt-5',
    ]) {
      const rules = rulesOf(exchange('relay.example.com', '/v1/chat/completions', 403, KEY), { error: { message } });
      expect(rules, message).not.toContain('key-rejected');
      expect(rules[0], message).toBe('model-unavailable');
    }
  });

  it('a balance message at 402, 403, 429 or 500 is never "key rejected" nor "retry later"', () => {
    const bodies = [
      { error: { message: 'user quota is not enough', type: 'one_api_error', code: 'insufficient_user_quota' } },
      {
        error: {
          message: '用户额度不足, 剩余额度: ＄0.000000 (request id: 2025120512000011112222)',
          type: 'new_api_error',
        },
      },
      { error: { code: '1113', message: '您的账户已欠费，请充值后重试。' } },
      {
        error: {
          code: 'Arrearage',
          message: 'Access denied, please make sure your account is in good standing.',
          type: 'Arrearage',
        },
      },
      { type: 'error', error: { type: 'api_error', message: 'insufficient balance (1008)' } },
      { error: { message: 'Insufficient Balance', type: 'unknown_error' } },
    ];
    for (const status of [402, 403, 429, 500]) {
      for (const body of bodies) {
        const found = diagnose({
          exchange: exchange('relay.example.com', '/v1/chat/completions', status, KEY),
          call: null,
          responseText: JSON.stringify(body),
          earlier: [],
          modelsListed: null,
        });
        const rules = found.map((d) => d.rule);
        expect(rules, `${status} ${JSON.stringify(body)}`).not.toContain('key-rejected');
        expect(rules, `${status} ${JSON.stringify(body)}`).not.toContain('rate-limited');
        expect(rules, `${status} ${JSON.stringify(body)}`).not.toContain('server-error');
        expect(worst(found)?.rule, `${status} ${JSON.stringify(body)}`).toBe('out-of-credit');
        expect(worst(found)?.fix).not.toMatch(/retry later|slow down/i);
      }
    }
  });

  it('worst: severity first, then the priority in PRECEDENCE, whatever order the findings come in', () => {
    const d = (rule: string, severity: Diagnosis['severity']): Diagnosis => ({
      rule,
      severity,
      summary: rule,
      fix: '',
    });
    const findings = [
      d('websocket-fallback', 'info'),
      d('output-limit', 'warning'),
      d('request-refused', 'error'),
      d('model-unavailable', 'error'),
      d('out-of-credit', 'error'),
      d('rate-limited', 'warning'),
    ];
    // Every rotation and its reverse: the headline is the same.
    for (let i = 0; i < findings.length; i++) {
      const rotated = [...findings.slice(i), ...findings.slice(0, i)];
      expect(worst(rotated)?.rule).toBe('out-of-credit');
      expect(worst([...rotated].reverse())?.rule).toBe('out-of-credit');
    }
    expect(worst([d('rate-limited', 'warning'), d('server-error', 'error')])?.rule).toBe('server-error');
    expect(worst([d('server-error', 'error'), d('missing-key', 'error')])?.rule).toBe('missing-key');
    expect(worst([d('a-rule-not-listed', 'error'), d('request-refused', 'error')])?.rule).toBe('request-refused');
    expect(worst([])).toBeNull();
  });

  it('diagnose lists the headline first, and renders the same finding in English or Chinese with the same action', () => {
    const ex = exchange('openrouter.ai', '/api/v1/chat/completions', 402, KEY);
    const body = {
      error: {
        message:
          'This request requires more credits, or fewer max_tokens. You requested up to 8192 tokens, but can only afford 700.',
        code: 402,
      },
    };
    const en = diagnose({
      exchange: ex,
      call: null,
      responseText: JSON.stringify(body),
      earlier: [],
      modelsListed: null,
    });
    const zh = diagnose(
      { exchange: ex, call: null, responseText: JSON.stringify(body), earlier: [], modelsListed: null },
      'zh-CN',
    );
    expect(en[0]).toMatchObject({
      rule: 'out-of-credit',
      action: { kind: 'max-tokens', maxTokens: 700 },
      message: { id: 'out-of-credit' },
    });
    expect(zh[0]).toMatchObject({
      rule: 'out-of-credit',
      action: { kind: 'max-tokens', maxTokens: 700 },
      message: en[0].message,
    });
    expect(zh[0].summary).toContain('余额不足');
    expect(zh[0].fix).toContain('max_tokens 降到 700');
  });
});

describe('which client sent the call', () => {
  it('names the app, not its Chromium User-Agent', () => {
    expect(sendingClient([['User-Agent', CHERRY_UA]])).toEqual({ kind: 'cherry-studio', label: 'Cherry Studio 1.5.7' });
    expect(
      sendingClient([
        ['X-Title', 'Cherry Studio'],
        ['HTTP-Referer', 'https://cherry-ai.com'],
      ]),
    ).toEqual({ kind: 'cherry-studio', label: 'Cherry Studio' });
    expect(sendingClient([['user-agent', 'codex_exec/0.169.0 (Ubuntu 24.4.0; x86_64) xterm-256color']])).toEqual({
      kind: 'codex',
      label: 'Codex 0.169.0',
    });
    expect(sendingClient([['user-agent', 'codex_vscode/0.171.0 (Mac OS 15.1.0; arm64) vscode/1.99.0']])).toEqual({
      kind: 'codex',
      label: 'Codex 0.171.0',
    });
    expect(sendingClient([['User-Agent', 'OpenAI/JS 6.9.1']])).toEqual({
      kind: 'openai-node',
      label: 'openai (Node) 6.9.1',
    });
    expect(sendingClient([['User-Agent', 'OpenAI/Python 1.109.1']])).toEqual({
      kind: 'openai-python',
      label: 'openai (Python) 1.109.1',
    });
    expect(sendingClient([['User-Agent', 'curl/8.14.1']])).toEqual({ kind: 'curl', label: 'curl 8.14.1' });
    expect(sendingClient([['User-Agent', 'python-requests/2.32.3']])).toEqual({
      kind: 'other',
      label: 'python-requests 2.32.3',
    });
    expect(
      sendingClient([
        [
          'User-Agent',
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36',
        ],
      ]).label,
    ).not.toContain('Mozilla');
    expect(sendingClient([])).toEqual({ kind: 'other', label: null });
  });
});

describe('doctor: retries of one error are one entry, whatever the request id', () => {
  it('new-api stamps each answer with its own request id; the three tries group', () => {
    const items = ['20251205120000000000001', '20251205120000000000002', '20251205120000000000003'].map((rid) => {
      const ex = exchange('relay.example.com', '/v1/chat/completions', 403, [...KEY, ['User-Agent', CHERRY_UA]]);
      const body = {
        error: { message: `用户额度不足, 剩余额度: ＄0.000000 (request id: ${rid})`, type: 'new_api_error' },
      };
      return {
        exchange: ex,
        diagnoses: diagnose({
          exchange: ex,
          call: null,
          responseText: JSON.stringify(body),
          earlier: [],
          modelsListed: null,
        }),
      };
    });
    expect(new Set(items.map((i) => i.diagnoses[0].summary)).size).toBe(3);
    const groups = groupDiagnoses([...items].reverse());
    expect(groups).toHaveLength(1);
    expect(groups[0].ids).toEqual(items.map((i) => i.exchange.id));
    expect(groups[0].client).toBe('Cherry Studio 1.5.7');
    expect(groups[0].diagnoses[0].rule).toBe('out-of-credit');
  });

  it('request ids in the forms providers write them are left out of the comparison, other words are not', () => {
    expect(withoutRequestIds('无效的令牌 (request id: 2025120512000033334444)')).toBe('无效的令牌');
    expect(
      withoutRequestIds(
        'Please activate the model service in the Ark Console. Request id: 021765163426813dc4a53fe90c8b0d0dbae7674229aa8223a977c',
      ),
    ).toBe('Please activate the model service in the Ark Console.');
    expect(withoutRequestIds('failed, request_id: 5b1a9c2e-0000-4f00-9e00-aabbccddeeff')).toBe('failed,');
    expect(withoutRequestIds('model gpt-5 not found')).toBe('model gpt-5 not found');
    const a = groupDiagnoses([
      {
        exchange: exchange('r.example', '/v1/x', 500),
        diagnoses: [
          { rule: 'server-error', severity: 'error', summary: '500: the relay itself failed ("disk full")', fix: '' },
        ],
      },
      {
        exchange: exchange('r.example', '/v1/x', 500),
        diagnoses: [
          { rule: 'server-error', severity: 'error', summary: '500: the relay itself failed ("timeout")', fix: '' },
        ],
      },
    ]);
    expect(a).toHaveLength(2);
  });
});

describe('the fixes as data', () => {
  const sources = { bodyText: null, workingKey: () => null };
  it("max-tokens lowers the field the call used, else the dialect's own", () => {
    const chat = exchange('openrouter.ai', '/api/v1/chat/completions', 402);
    const edit = (path: string, body: object) =>
      JSON.parse(
        fixEdits(
          path === chat.request.path ? chat : exchange('x.example', path, 402),
          { kind: 'max-tokens', maxTokens: 700 },
          { body: JSON.stringify(body) },
          sources,
        ).body!,
      ) as Record<string, unknown>;
    expect(edit('/api/v1/chat/completions', { model: 'm', max_tokens: 64000 })).toEqual({
      model: 'm',
      max_tokens: 700,
    });
    expect(edit('/api/v1/chat/completions', { model: 'm', max_completion_tokens: 64000 })).toEqual({
      model: 'm',
      max_completion_tokens: 700,
    });
    expect(edit('/api/v1/chat/completions', { model: 'm' })).toEqual({ model: 'm', max_tokens: 700 });
    expect(edit('/v1/responses', { model: 'm' })).toEqual({ model: 'm', max_output_tokens: 700 });
    expect(
      edit('/v1beta/models/g:generateContent', { generationConfig: { maxOutputTokens: 9000, temperature: 1 } }),
    ).toEqual({ generationConfig: { maxOutputTokens: 700, temperature: 1 } });
    expect(() => fixEdits(chat, { kind: 'max-tokens', maxTokens: 700 }, { body: 'not json' }, sources)).toThrow(
      /not a JSON object/,
    );
  });

  it('a replay of a gateway call (stored as a proxy call) is written in the gateway form of the call it replays', () => {
    const original = exchange(
      'relay.example.com',
      '/v1/chat/completions/responses',
      404,
      [['Host', '127.0.0.1:8899']],
      { via: 'gateway' },
    );
    const replay = exchange('relay.example.com', '/v1/responses', 200, [['host', '127.0.0.1:8899']], {
      replayOf: original.id,
    });
    const again = exchange('relay.example.com', '/v1/responses', 200, [], { replayOf: replay.id });
    const byId = new Map([original, replay, again].map((e) => [e.id, e]));
    const get = (id: number) => byId.get(id) ?? null;
    expect(gatewayOfReplayed(replay, get)).toBe('http://127.0.0.1:8899');
    expect(gatewayOfReplayed(again, get)).toBe('http://127.0.0.1:8899');
    expect(gatewayOfReplayed(original, get)).toBeUndefined();
    const proxied = exchange('relay.example.com', '/v1/responses', 404);
    expect(
      gatewayOfReplayed(exchange('relay.example.com', '/v1/responses', 200, [], { replayOf: proxied.id }), (id) =>
        id === proxied.id ? proxied : null,
      ),
    ).toBeUndefined();
  });
});
