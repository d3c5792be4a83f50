import { describe, expect, it } from 'vitest';
import { isSecretName, maskHeaders, maskJsonText, maskPath } from '../model/secrets.ts';

const SECRET = 'sk-SECRETVALUE-0123456789';

describe('secrets in headers', () => {
  it('masks the credentials AI gateways and clouds send, by name', () => {
    const names = [
      'Authorization',
      'x-api-key',
      'api-key',
      'x-goog-api-key',
      'x-auth-token',
      'Helicone-Auth',
      'cf-aig-authorization',
      'x-portkey-api-key',
      'Ocp-Apim-Subscription-Key',
      'X-Amz-Security-Token',
    ];
    for (const name of names) {
      const [[, value]] = maskHeaders([[name, SECRET]]);
      expect(value, name).not.toContain('SECRETVALUE');
      expect(value, name).toMatch(/\*\*\*\*6789$/);
    }
  });

  it('masks names not seen before by their words, and leaves usage figures and identifiers alone', () => {
    for (const name of [
      'X-Relay-Token',
      'x-my-gateway-key',
      'X-Client-Secret',
      'db_password',
      'X-Amz-Signature',
      'accessKey',
      'sessionToken',
      'X-Session',
      'x-credentials',
      'x-api_key',
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of [
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-limit-tokens',
      'anthropic-ratelimit-input-tokens-remaining',
      'max_tokens',
      'max_output_tokens',
      'openai-processing-ms',
      'sec-websocket-key',
      'access-control-allow-credentials',
      'session-id',
      'x-claude-code-session-id',
      'author',
      'keep-alive',
      'monkey',
      'x-stainless-os',
      'content-type',
      'www-authenticate',
    ])
      expect(isSecretName(name), name).toBe(false);
    expect(maskHeaders([['x-ratelimit-remaining-tokens', '149000']])).toEqual([
      ['x-ratelimit-remaining-tokens', '149000'],
    ]);
  });

  it('keeps the scheme, and of Basic credentials only the user name', () => {
    expect(maskHeaders([['Authorization', `Bearer ${SECRET}`]])).toEqual([['Authorization', 'Bearer ****6789']]);
    const basic = Buffer.from('alice:correct-horse-battery-ZA').toString('base64');
    expect(maskHeaders([['Authorization', `Basic ${basic}`]])).toEqual([['Authorization', 'Basic alice:****']]);
    expect(maskHeaders([['Proxy-Authorization', 'Basic !!notbase64']])[0][1]).toBe('Basic ****');
  });

  it('masks cookie values with and without a name', () => {
    expect(maskHeaders([['Cookie', `a=${SECRET}; ${SECRET}`]])).toEqual([['Cookie', 'a=****6789; ****6789']]);
    expect(maskHeaders([['Set-Cookie', `${SECRET}; Path=/`]])).toEqual([['Set-Cookie', '****6789; Path=/']]);
    expect(maskHeaders([['Set-Cookie', `sid=${SECRET}; HttpOnly`]])).toEqual([
      ['Set-Cookie', 'sid=****6789; HttpOnly'],
    ]);
  });
});

describe('secrets in URLs', () => {
  it('masks query, array and matrix parameters and user info, the rest byte for byte', () => {
    for (const name of [
      'key',
      'api_key',
      'token',
      'x-api-key',
      'auth',
      'sig',
      'client_secret',
      'access_token',
      'key%5B%5D',
      'key[]',
      'relay_token',
    ]) {
      expect(maskPath(`/v1/x?alt=sse&${name}=${SECRET}`), name).toBe(`/v1/x?alt=sse&${name}=****6789`);
    }
    expect(maskPath(`/v1/models;key=${SECRET}?alt=sse`)).toBe('/v1/models;key=****6789?alt=sse');
    expect(maskPath(`https://user:${SECRET}@host.example/v1?q=1`)).toBe('https://user:****@host.example/v1?q=1');
    expect(maskPath('/v1/chat?max_tokens=100&stream=true')).toBe('/v1/chat?max_tokens=100&stream=true');
  });
});

describe('secrets in JSON bodies', () => {
  it('masks string values under secret names, anywhere, and keeps the text byte for byte otherwise', () => {
    const text = `{ "model": "gpt-x",\n  "api_key": "${SECRET}", "usage": {"max_tokens": 100, "total_tokens": 7},\n  "client_secret": {"value": "ek_${SECRET}", "expires_at": 1}, "list": [{"token": "${SECRET}"}] }`;
    const masked = maskJsonText(text)!;
    expect(masked).not.toContain('SECRETVALUE');
    expect(masked).toBe(text.split(`"${SECRET}"`).join('"****6789"').replace(`"ek_${SECRET}"`, '"****6789"'));
    expect(JSON.parse(masked).usage).toEqual({ max_tokens: 100, total_tokens: 7 });
  });

  it('masks a secret written with escapes too', () => {
    const masked = maskJsonText(`{"api_key":"sk\\u002dESCAPED\\u002dSECRET\\u002d0123"}`)!;
    expect(masked).not.toMatch(/ESCAPED/);
    expect(JSON.parse(masked)).toEqual({ api_key: '****0123' });
  });

  it('leaves what is not JSON, or holds no secret, alone', () => {
    expect(maskJsonText('not json {"api_key": "x"}')).toBeNull();
    expect(maskJsonText('{"model": "gpt", "max_tokens": 5}')).toBeNull();
  });
});
