import { describe, expect, it } from 'vitest';
import { checkEntry, entryEvents, MAX_BODY_BYTES } from '../export/har-import.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { MAX_JSON_DEPTH } from '../model/json-depth.ts';
import { maskJsonText } from '../model/secrets.ts';

// An imported body is masked from the HAR's own text (export/har-import.ts maskedBody), not from
// its bytes decoded again: what is stored must be what the bytes' way stores, byte for byte.

/** The bytes' way: the text encoded, decoded, masked when JSON (a cut body is stored as it is), encoded again. */
function bytesWay(text: string, encoding: string | undefined, mask: boolean): Buffer {
  const bytes = Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');
  if (!mask || bytes.length === 0 || bytes.length > MAX_BODY_BYTES) return bytes.subarray(0, MAX_BODY_BYTES);
  const masked = maskJsonText(bytes.toString('utf8'));
  return masked === null ? bytes : Buffer.from(masked);
}

function entry(requestText: string, responseText: string, encoding?: string): unknown {
  return {
    startedDateTime: '2026-01-01T00:00:00.000Z',
    request: {
      method: 'POST',
      url: 'https://api.example/v1/chat/completions',
      headers: [{ name: 'content-type', value: 'application/json' }],
      postData: { mimeType: 'application/json', text: requestText, ...(encoding ? { encoding } : {}) },
    },
    response: {
      status: 200,
      headers: [{ name: 'content-type', value: 'application/json' }],
      content: { mimeType: 'application/json', text: responseText, ...(encoding ? { encoding } : {}) },
    },
  };
}

function imported(value: unknown, keepSecrets: boolean) {
  const checked = checkEntry({ number: 1, value, cut: [], problem: null });
  expect(checked.problems).toEqual([]);
  const made = entryEvents(checked.entry!, { source: 'x.har', keepSecrets });
  const body = (side: 'request' | 'response') =>
    Buffer.concat(
      made.events
        .filter((e): e is Extract<ExchangeEvent, { type: 'body-chunk' }> => e.type === 'body-chunk' && e.side === side)
        .map((e) => e.chunk),
    );
  const end = made.events.find((e): e is Extract<ExchangeEvent, { type: 'end' }> => e.type === 'end')!;
  return { request: body('request'), response: body('response'), end, notes: made.notes };
}

const deep = `${'['.repeat(MAX_JSON_DEPTH + 5)}${']'.repeat(MAX_JSON_DEPTH + 5)}`;
const TEXTS = [
  '',
  '{"model":"m","api_key":"sk-live-1234567890abcdef","messages":[{"role":"user","content":"hi"}]}',
  '{"client_secret":{"value":"s3cr3t"},"keys":["a","b"],"note":"caf\u00e9 \u4ee4\u724c"}',
  // A lone surrogate: its bytes hold U+FFFD.
  '{"token":"abc","text":"half \ud800 a pair"}',
  '{"text":"\udc00 first","password":"p"}',
  'not json at all, password=hunter2',
  '[{"authorization":"Bearer xyz"}]\n{"secret":"two documents"}',
  deep,
  `{"access_token":"${'x'.repeat(70_000)}","pad":"${'é'.repeat(40_000)}"}`,
];

describe('an imported body masked from its text', () => {
  for (const keepSecrets of [false, true])
    it(`stores what the bytes' way stores (${keepSecrets ? 'secrets kept' : 'masked'})`, () => {
      for (const text of TEXTS) {
        const got = imported(entry(text, text), keepSecrets);
        const want = bytesWay(text, undefined, !keepSecrets);
        expect(got.request.equals(want), JSON.stringify(text.slice(0, 60))).toBe(true);
        expect(got.response.equals(want), JSON.stringify(text.slice(0, 60))).toBe(true);
        expect(got.end.requestBody.storedSize).toBe(want.length);
        expect(got.end.responseBody.size).toBe(want.length);
      }
    });

  it('reads base64 bodies through their bytes', () => {
    const text = Buffer.from('{"api_key":"sk-abc","x":1}').toString('base64');
    const got = imported(entry(text, text, 'base64'), false);
    expect(got.request.equals(bytesWay(text, 'base64', true))).toBe(true);
    expect(got.request.toString()).not.toContain('sk-abc');
  });

  it('notes JSON too deep to read as JSON, from the text it has', () => {
    const got = imported(entry(deep, deep), false);
    expect(got.notes).toHaveLength(2);
    expect(got.notes.join('\n')).toContain(String(MAX_JSON_DEPTH));
  });
});
