// The one list of "headers that carry a key" (model/secrets.ts KEY_HEADERS, with KEY_PARAMS for
// the query) replaced three: the masking list SECRET_HEADERS (masking now goes by rules, not a
// list), the diagnosis's SENT_KEY_HEADERS and the comparison's KEY_HEADERS. Every name any of
// them had is still covered, and the diagnosis and the comparison read the one list.
import { describe, expect, it } from 'vitest';
import { missingKey, keyRejected, type DiagnosisContext } from '../llm/diagnose.ts';
import { compareExchanges, differenceLine } from '../model/exchange-diff.ts';
import type { Exchange, Header } from '../model/exchange.ts';
import { KEY_HEADERS, KEY_PARAMS, isSecretName, maskHeaders, maskPath } from '../model/secrets.ts';
import { harFlow } from './support/exchange-factory.ts';

/** The old lists, as they were before they became one (git history of model/secrets.ts, llm/diagnose.ts, model/exchange-diff.ts). */
const OLD_SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'x-auth-token',
  'helicone-auth',
  'cf-aig-authorization',
  'x-portkey-api-key',
  'ocp-apim-subscription-key',
  'x-amz-security-token',
];
const OLD_SENT_KEY_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];
const OLD_SENT_KEY_PARAMS = ['key', 'api_key', 'api-key'];
const OLD_COMPARE_KEY_NAMES = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', '?key'];

const KEY = 'sk-one-list-key-0000004242';

describe('the one list covers every name the three lists had', () => {
  it('masking: every header of the old SECRET_HEADERS, and every key header and parameter, is masked', () => {
    for (const name of [...OLD_SECRET_HEADERS, ...KEY_HEADERS]) {
      expect(isSecretName(name), name).toBe(true);
      expect(maskHeaders([[name, KEY]])[0][1], name).not.toContain('one-list');
    }
    for (const name of KEY_PARAMS) expect(maskPath(`/v1/x?${name}=${KEY}`), name).toBe(`/v1/x?${name}=****4242`);
  });

  it('the diagnosis: every header and parameter of the old SENT_KEY_HEADERS and its query pattern', () => {
    expect(KEY_HEADERS).toEqual(expect.arrayContaining(OLD_SENT_KEY_HEADERS));
    expect(KEY_PARAMS).toEqual(expect.arrayContaining(OLD_SENT_KEY_PARAMS));
  });

  it("the comparison: every name of the old KEY_HEADERS ('?key' is the query parameter key)", () => {
    const names = [...KEY_HEADERS, ...KEY_PARAMS.map((p) => `?${p}`)];
    expect(names).toEqual(expect.arrayContaining(OLD_COMPARE_KEY_NAMES));
  });

  it('the list is lower case and has no name twice (headers are matched by lower-case name)', () => {
    for (const list of [KEY_HEADERS, KEY_PARAMS]) {
      expect(list.map((n) => n.toLowerCase())).toEqual(list);
      expect(new Set(list).size).toBe(list.length);
    }
  });
});

function call(status: number, headers: Header[], path = '/v1/chat/completions'): Exchange {
  const { exchange } = harFlow({
    request: { path, headers: [['Host', 'relay.example'], ['User-Agent', 'CherryStudio/1.5.3'], ...headers] },
    response: { status },
  });
  return exchange;
}

function context(exchange: Exchange): DiagnosisContext {
  return {
    exchange,
    call: null,
    responseText: '{"error":{"message":"invalid api key"}}',
    earlier: [],
    modelsListed: null,
  };
}

describe('the diagnosis reads the one list', () => {
  const sent: [string, Exchange][] = [
    ...KEY_HEADERS.map((name): [string, Exchange] => [name, call(401, [[name, KEY]])]),
    ...KEY_PARAMS.map((name): [string, Exchange] => [`?${name}`, call(401, [], `/v1/chat/completions?${name}=${KEY}`)]),
  ];

  it('a 401 with the key in any of its headers or parameters is "key rejected", not "missing key"', () => {
    for (const [name, exchange] of sent) {
      expect(missingKey(context(exchange)), name).toBeNull();
      expect(keyRejected(context(exchange))?.rule, name).toBe('key-rejected');
    }
  });

  it('a 401 with none of them is "missing key"', () => {
    expect(missingKey(context(call(401, [['x-other', KEY]])))?.rule).toBe('missing-key');
  });
});

describe('the comparison reads the one list', () => {
  it('says "the same key" for a key in any of its headers or parameters', () => {
    const names = [...KEY_HEADERS, ...KEY_PARAMS.map((p) => `?${p}`)];
    for (const name of names) {
      const withKey = (id: number, status: number): Exchange => ({
        ...call(status, []),
        id,
        request: { ...call(status, []).request, secrets: [{ name, fingerprint: 'fp-same' }] },
      });
      const failed = withKey(2, 404);
      const working = withKey(1, 200);
      const line = differenceLine(
        failed,
        working,
        compareExchanges(
          { exchange: failed, requestText: null, responseText: null },
          { exchange: working, requestText: null, responseText: null },
        ),
      );
      expect(line, name).toContain('with a key (the same key)');
    }
  });
});
