// Every masking rule of model/secrets.ts pinned by an exact expectation, so that changing any one
// line of it (a mutant: npm run mutate) breaks a test here. Each value is distinctive and its
// masked form is written out whole.
import { describe, expect, it } from 'vitest';
import {
  isSecretName,
  maskHeaders,
  maskJsonText,
  maskPath,
  maskSecret,
  mayHoldJsonSecret,
  secretParams,
} from '../model/secrets.ts';

const KEY = 'sk-SECRETVALUE-0123456789';
const header = (name: string, value: string) => maskHeaders([[name, value]])[0][1];
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('how a secret is hidden', () => {
  it('keeps the last 4 characters of a secret of 12 or more, and nothing of a shorter one', () => {
    expect(maskSecret('abcdefghijkl')).toBe('****ijkl');
    expect(maskSecret('abcdefghijk')).toBe('****');
    expect(maskSecret('short')).toBe('****');
    expect(maskSecret('')).toBe('****');
    expect(maskSecret(KEY)).toBe('****6789');
  });

  it('keeps a value already masked, and masks one that only starts like it', () => {
    for (const masked of ['****', '****6789', '****ab']) expect(maskSecret(masked)).toBe(masked);
    expect(maskSecret('****sk-SECRETVALUE-6789')).toBe('****6789');
    expect(maskSecret('*****6789')).toBe('****');
    expect(maskSecret('****67890')).toBe('****');
    expect(maskSecret('x****6789')).toBe('****');
  });
});

describe('which names hold a secret', () => {
  it('the names whose words do not say so: cookies and Azure SAS sig, in any case and array form', () => {
    for (const name of ['Cookie', 'set-cookie', 'SIG', 'sig[]']) expect(isSecretName(name), name).toBe(true);
    for (const name of ['cookies', 'cookie-policy', 'signal', 'sig-alg', 'si[]g', 'sig[]x'])
      expect(isSecretName(name), name).toBe(false);
  });

  it('any name with a credential word, split at - _ . spaces brackets and camelCase (after a digit too)', () => {
    const words = [
      'key',
      'keys',
      'apikey',
      'apikeys',
      'token',
      'secret',
      'secrets',
      'auth',
      'authorization',
      'password',
      'passwords',
      'passwd',
      'signature',
      'credential',
      'credentials',
      'session',
      'bearer',
    ];
    for (const word of words) expect(isSecretName(`x-${word}`), word).toBe(true);
    for (const name of [
      'my_key',
      'my.key',
      'my key',
      'data[key]',
      'accessKey',
      'v2Key',
      'X-Relay-Token',
      'API_KEY',
      'api-keys',
      'X-Amz-Signature',
      'X-Goog-Credential',
      'Ocp-Apim-Subscription-Key',
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of [
      'monkey',
      'keyboard',
      'author',
      'tokens',
      'x-tokens',
      'passport',
      'tokenizer',
      'keep-alive',
      'signed',
      'v2key',
      'x-stainless-os',
    ])
      expect(isSecretName(name), name).toBe(false);
  });

  it('not figures and identifiers that only look like credentials', () => {
    const notSecret = [
      'x-ratelimit-remaining-token',
      'X-RateLimit-Key',
      'max_token',
      'max-token',
      'input_token',
      'max_completion_token',
      'max_output_token',
      'Sec-WebSocket-Key',
      'sec-websocket-accept',
      'Access-Control-Allow-Credentials',
      'session-id',
      'session_id',
      'sessionid',
      'x-claude-code-session-id',
      'sessionId',
      'x-sessionId',
      'token_type',
      'token-count',
      'tokenLimits',
      'token_usage',
      'www-authenticate',
      'prompt_cache_key',
      'promptCacheKey',
      'cache_key',
      'Idempotency-Key',
      'x-idempotency-key',
      'thoughtSignature',
      'thought_signature',
    ];
    for (const name of notSecret) expect(isSecretName(name), name).toBe(false);
    // The rules are anchored: the same words around a credential leave it secret.
    for (const name of [
      'x-max_token',
      'max_tokens_key',
      'x-sec-websocket-key',
      'sec-websocket-key-2',
      'x-access-control-token',
      'session-idx',
      'x-token_type',
      'token_type_secret',
      'my-max-session',
      'prompt_cache_key_secret',
      'x-cache-key-token',
      'thoughtSignatureKey',
    ])
      expect(isSecretName(name), name).toBe(true);
  });

  it('decides the same name the same way every time, beyond the names it remembers', () => {
    for (let i = 0; i < 5000; i++) expect(isSecretName(`x-name-${i}-key`)).toBe(true);
    expect(isSecretName('x-name-0-key')).toBe(true);
    expect(isSecretName('x-name-1-plain')).toBe(false);
  });
});

describe('headers', () => {
  it('keeps a scheme for Bearer, Basic and Token anywhere, and any scheme in an Authorization header', () => {
    expect(header('x-api-key', `Bearer ${KEY}`)).toBe('Bearer ****6789');
    expect(header('x-auth-token', `TOKEN ${KEY}`)).toBe('TOKEN ****6789');
    expect(header('x-api-key', `Custom ${KEY}`)).toBe('****6789');
    expect(header('Proxy-Authorization', `Digest ${KEY}`)).toBe('Digest ****6789');
    expect(header('cf-aig-authorization', `Custom-1 ${KEY}`)).toBe('Custom-1 ****6789');
    expect(header('Authorization', `Bearer  ${KEY}`)).toBe('Bearer ****6789');
    expect(header('Authorization', KEY)).toBe('****6789');
    expect(header('Authorization', `1Bearer ${KEY}`)).toBe('****6789');
    expect(header('Authorization', `Bearer ${KEY} tail-part`)).toBe('Bearer ****part');
    // Only these three words, whole: a scheme that merely contains one is part of the secret.
    expect(header('x-api-key', `MyBearer ${KEY}`)).toBe('****6789');
    expect(header('x-api-key', `Bearerish ${KEY}`)).toBe('****6789');
    // A value with a line separator in it (a HAR can hold one) keeps its scheme all the same.
    expect(header('Authorization', `Bearer abc\u2028${KEY}`)).toBe('Bearer ****6789');
  });

  it('shows only the user name of Basic credentials, and nothing of a value without a user', () => {
    expect(header('Authorization', `Basic ${base64('alice:correct-horse-battery-ZA')}`)).toBe('Basic alice:****');
    expect(header('Authorization', `basic ${base64('bob:pw')}`)).toBe('basic bob:****');
    expect(header('Authorization', `Basic ${base64('justapasswordwithoutcolon')}`)).toBe('Basic ****');
    expect(header('Authorization', `Basic ${base64(':passwordonly-0123456789')}`)).toBe('Basic ****');
    expect(header('Authorization', `Basic ${base64('al\u0001ce:password-0123456789')}`)).toBe('Basic ****');
    expect(header('Authorization', `Basic ${base64('\u00e9l\u00e8ve:password-0123456789')}`)).toBe('Basic ****');
    expect(header('Authorization', `Basic ${base64('a:b:c-0123456789')}`)).toBe('Basic a:****');
    // Only the user name must be printable: the password may be anything.
    expect(header('Authorization', `Basic ${base64('alice:p\u00e4ss\u0001word')}`)).toBe('Basic alice:****');
  });

  it('masks each cookie, named or bare, keeping the spaces and attributes around them', () => {
    expect(header('Cookie', `a=${KEY}; ${KEY};b= ${KEY}`)).toBe('a=****6789; ****6789;b=****6789');
    expect(header('Cookie', `  ${KEY}`)).toBe('  ****6789');
    expect(header('Set-Cookie', `sid=${KEY}; Path=/; HttpOnly`)).toBe('sid=****6789; Path=/; HttpOnly');
    expect(header('Set-Cookie', `${KEY}`)).toBe('****6789');
    expect(header('Set-Cookie', `Bearer ${KEY}`)).toBe('****6789');
    expect(header('Set-Cookie', ';Path=/')).toBe('****;Path=/');
    // A cookie whose name is empty, and values measured without the spaces around them (11 characters: nothing shown).
    expect(header('Cookie', `=${KEY}`)).toBe('=****6789');
    expect(header('Cookie', 'a=1; abcdefghijk ;b= abcdefghijk;c=abcdefghij')).toBe('a=****; ****;b=****;c=****');
    expect(header('Cookie', `x=${KEY}  `)).toBe('x=****6789');
  });

  it('leaves other headers as they are, names and order kept', () => {
    const headers: [string, string][] = [
      ['Content-Type', 'application/json'],
      ['X-API-KEY', KEY],
      ['Accept', 'Bearer x'],
    ];
    expect(maskHeaders(headers)).toEqual([
      ['Content-Type', 'application/json'],
      ['X-API-KEY', '****6789'],
      ['Accept', 'Bearer x'],
    ]);
  });
});

describe('URLs', () => {
  it('masks secret pairs of the query wherever they are: ; pairs, &amp;, repeated, any case, percent-encoded or + names', () => {
    expect(maskPath(`/v1/x?a=1;key=${KEY}`)).toBe('/v1/x?a=1;key=****6789');
    expect(maskPath(`/v1/x?a=1&amp;key=${KEY}`)).toBe('/v1/x?a=1&amp;key=****6789');
    expect(maskPath(`/v1/x?key=${KEY}&key=${KEY}a`)).toBe('/v1/x?key=****6789&key=****789a');
    expect(maskPath(`/v1/x?KEY=${KEY}&Api-Key=${KEY}`)).toBe('/v1/x?KEY=****6789&Api-Key=****6789');
    expect(maskPath(`/v1/x?%6Bey=${KEY}`)).toBe('/v1/x?%6Bey=****6789');
    expect(maskPath(`/v1/x?api+key=${KEY}`)).toBe('/v1/x?api+key=****6789');
    expect(maskPath(`/v1/x?sig=${KEY}&se=2030&sp=r`)).toBe('/v1/x?sig=****6789&se=2030&sp=r');
    expect(maskPath(`/v1/x?q=a?key=${KEY}`)).toBe('/v1/x?q=a?key=****6789');
  });

  it('masks the fragment too (an OAuth redirect), and a fragment alone', () => {
    expect(maskPath(`/cb?state=1#access_token=${KEY}&token_type=Bearer`)).toBe(
      '/cb?state=1#access_token=****6789&token_type=Bearer',
    );
    expect(maskPath(`/cb#id_token=${KEY}`)).toBe('/cb#id_token=****6789');
  });

  it('decodes a value before masking it and encodes the masked form', () => {
    expect(maskPath('/v1/x?key=abcdefgh%2Bi%20jk')).toBe('/v1/x?key=****i%20jk');
    expect(maskPath('/v1/x?key=abcdefgh+ijk')).toBe('/v1/x?key=****%20ijk');
    expect(maskPath('/v1/x?key=abc%zzdefghijkl')).toBe('/v1/x?key=****ijkl');
    expect(maskPath('/v1/x?key%zz=abcdefghijkl')).toBe('/v1/x?key%zz=abcdefghijkl');
    expect(maskPath('/v1/x?key=')).toBe('/v1/x?key=****');
  });

  it('leaves names without a value, and everything else, byte for byte', () => {
    expect(maskPath('/v1/x?key&alt=sse&max_tokens=5&a=%20b+c')).toBe('/v1/x?key&alt=sse&max_tokens=5&a=%20b+c');
    expect(maskPath('/v1/x?keys&tokenx')).toBe('/v1/x?keys&tokenx');
    // Nothing before the query: a relative reference that is only a query or a fragment.
    expect(maskPath(`?key=${KEY}`)).toBe('?key=****6789');
    expect(maskPath(`#key=${KEY}`)).toBe('#key=****6789');
    expect(maskPath('/v1/models/gemini:streamGenerateContent')).toBe('/v1/models/gemini:streamGenerateContent');
    expect(maskPath('')).toBe('');
  });

  it('masks matrix parameters in every segment, up to the next ; or /', () => {
    expect(maskPath(`/v1;key=${KEY}/models;a=1;token=${KEY}/x?alt=sse`)).toBe(
      '/v1;key=****6789/models;a=1;token=****6789/x?alt=sse',
    );
    expect(maskPath(`/v1;key=${KEY}`)).toBe('/v1;key=****6789');
    expect(maskPath('/v1;flag/x')).toBe('/v1;flag/x');
  });

  it('hides the password of user info (and a user alone), keeping the user name', () => {
    expect(maskPath(`https://user:${KEY}@host.example/v1?q=1`)).toBe('https://user:****@host.example/v1?q=1');
    expect(maskPath(`http://${KEY}@host.example/`)).toBe('http://****@host.example/');
    expect(maskPath(`HTTP+X://u:p@h/`)).toBe('HTTP+X://u:****@h/');
    expect(maskPath('/v1/x@y?z=1')).toBe('/v1/x@y?z=1');
    expect(maskPath('https://host.example/a@b')).toBe('https://host.example/a@b');
    expect(maskPath(`http://:${KEY}@h/`)).toBe('http://:****@h/');
    // Only the URL's own user info: one inside a parameter is that parameter's value.
    expect(maskPath('/r?to=http://u:p@h/')).toBe('/r?to=http://u:p@h/');
    expect(maskPath(`https://host.example/?token=${KEY}`)).toBe('https://host.example/?token=****6789');
  });

  it('names each masked parameter with its real value (for fingerprints), not those already masked', () => {
    expect(secretParams(`/v1;auth=${KEY}/x?a=1;KEY=${KEY}&api%5Fkey=b+c%20d&token=****6789#sig=${KEY}`)).toEqual([
      ['auth', KEY],
      ['KEY', KEY],
      ['api_key', 'b c d'],
      ['sig', KEY],
    ]);
    expect(secretParams('/v1/x?a=1')).toEqual([]);
  });
});

describe('JSON', () => {
  const mask = (value: unknown) => maskJsonText(JSON.stringify(value));

  it('masks string values of secret members at any depth, every string inside one (arrays too), and nothing else', () => {
    const text = `{"model":"m","api_key":"${KEY}","n":{"deep":[{"token":"${KEY}"}]},"keys":["${KEY}","abc"],"key":{"list":["${KEY}",{"v":"${KEY}"}]},"after":"${KEY}","max_tokens":5,"secret":7}`;
    expect(maskJsonText(text)).toBe(
      `{"model":"m","api_key":"****6789","n":{"deep":[{"token":"****6789"}]},"keys":["****6789","****"],"key":{"list":["****6789",{"v":"****6789"}]},"after":"${KEY}","max_tokens":5,"secret":7}`,
    );
  });

  it('a secret member closes with its value: siblings and later items are not secret', () => {
    expect(maskJsonText(`[{"key":"${KEY}"},"${KEY}",{"a":"${KEY}"}]`)).toBe(
      `[{"key":"****6789"},"${KEY}",{"a":"${KEY}"}]`,
    );
    expect(maskJsonText(`{"key":["${KEY}"],"a":"${KEY}","b":{"token":{"x":"${KEY}"}},"c":"${KEY}"}`)).toBe(
      `{"key":["****6789"],"a":"${KEY}","b":{"token":{"x":"****6789"}},"c":"${KEY}"}`,
    );
    expect(maskJsonText(`{"a":["x","${KEY}"],"token":"${KEY}"}`)).toBe(`{"a":["x","${KEY}"],"token":"****6789"}`);
    // A value with no member name before it (not JSON, but scanned all the same) is not secret.
    expect(maskJsonText(`{{"x":"${KEY}"},"keyword":"v"}`)).toBeNull();
    // A document that is a bare string (valid NDJSON) is never a member name, nor secret.
    expect(maskJsonText(`{"keyword":"v"}\n{}\n"token"\n"${KEY}"\n`)).toBeNull();
    expect(maskJsonText(`{"secret":{"key":"v"}, "a":"${KEY}"}`)).toBe(`{"secret":{"key":"****"}, "a":"${KEY}"}`);
  });

  it('reads names and values written with escapes, and quotes and backslashes inside strings', () => {
    expect(maskJsonText(`{"api_key":"sk\\u002dESCAPED\\u002dSECRET\\u002d0123"}`)).toBe('{"api_key":"****0123"}');
    expect(maskJsonText(`{"\\u006bey":"${KEY}"}`)).toBe('{"\\u006bey":"****6789"}');
    expect(maskJsonText(`{"note":"say \\"key\\": \\"x\\"","token":"${KEY}"}`)).toBe(
      '{"note":"say \\"key\\": \\"x\\"","token":"****6789"}',
    );
    expect(maskJsonText(`{"path":"C:\\\\","token":"${KEY}"}`)).toBe('{"path":"C:\\\\","token":"****6789"}');
    expect(maskJsonText(`{"token":"abcdefghi\\"jk"}`)).toBe('{"token":"****i\\"jk"}');
    expect(maskJsonText(`{"token":"abcdefgh\\qijkl"}`)).toBe('{"token":"****ijkl"}');
  });

  it('masks several documents in a row (NDJSON, JSON text sequences) and one cut short, showing nothing of a cut secret', () => {
    expect(maskJsonText(`{"a":1}\n{"secret":"${KEY}"}\n[{"token":"${KEY}"}]\n`)).toBe(
      '{"a":1}\n{"secret":"****6789"}\n[{"token":"****6789"}]\n',
    );
    expect(maskJsonText(`\x1e{"secret":"${KEY}"}\n`)).toBe('\x1e{"secret":"****6789"}\n');
    expect(maskJsonText(`{"data":{"secret":"${KEY.slice(0, 16)}`)).toBe('{"data":{"secret":"****');
    expect(maskJsonText(`{"secret":"${KEY}","b":"unfinish`)).toBe('{"secret":"****6789","b":"unfinish');
    expect(maskJsonText(`{"a":"x","api_ke`)).toBeNull();
  });

  it('leaves empty and already masked secrets, non-strings, and text that is not JSON alone (null)', () => {
    expect(mask({ api_key: '' })).toBeNull();
    expect(mask({ api_key: '****6789' })).toBeNull();
    expect(mask({ api_key: 12345678901234, token: true, secret: null })).toBeNull();
    expect(mask({ model: 'gpt', max_tokens: 5 })).toBeNull();
    expect(maskJsonText(`not json {"api_key": "${KEY}"}`)).toBeNull();
    expect(maskJsonText(`"api_key": "${KEY}"`)).toBeNull();
    expect(maskJsonText('')).toBeNull();
    expect(maskJsonText(` \n\t[{"api_key":"${KEY}"}]`)).toBe(` \n\t[{"api_key":"****6789"}]`);
  });

  it('keeps whitespace and unicode around secrets byte for byte', () => {
    expect(maskJsonText(`{ "api_key" :\n  "${KEY}" , "t":"é😀" }`)).toBe('{ "api_key" :\n  "****6789" , "t":"é😀" }');
    expect(maskJsonText(`{"token":"abcdefghijk😀é"}`)).toBe('{"token":"****k😀é"}');
  });

  it('nests deeper than the call stack goes', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}{"token":"${KEY}"}${']'.repeat(depth)}`;
    expect(maskJsonText(text)).toBe(text.replace(KEY, '****6789'));
  });

  it('is looked at only when a member name may be secret: every word a secret name has, or an escape', () => {
    for (const name of [
      'key',
      'token',
      'secret',
      'auth',
      'password',
      'passwd',
      'sig',
      'credential',
      'session',
      'cookie',
      'bearer',
      'x\\u0041',
    ]) {
      expect(mayHoldJsonSecret(`{"${name}":"v"}`), name).toBe(true);
      expect(mayHoldJsonSecret(`{"${name.toUpperCase()}" : {`), name).toBe(true);
      expect(mayHoldJsonSecret(`{"${name}":\t[`), name).toBe(true);
    }
    expect(mayHoldJsonSecret('{"key": 5, "token": true, "model": "key"}')).toBe(false);
    expect(mayHoldJsonSecret('{"model":"m"}')).toBe(false);
    expect(mask({ cookie: KEY })).toBe('{"cookie":"****6789"}');
    expect(mask({ bearer: KEY })).toBe('{"bearer":"****6789"}');
    expect(mask({ sig: KEY })).toBe('{"sig":"****6789"}');
    expect(mask({ passwd: KEY })).toBe('{"passwd":"****6789"}');
    expect(mask({ 'my credential': KEY })).toBe('{"my credential":"****6789"}');
  });
});
