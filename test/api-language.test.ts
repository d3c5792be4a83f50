// The API's answers to a request it cannot take, in the request's language (?lang=, else
// Accept-Language): each field named, with how to write it. In memory: Hono's own request().
import { describe, expect, it } from 'vitest';
import { createApi, type ApiOptions } from '../viewer/api-app.ts';

// Validation answers before any handler reads: nothing behind the API is needed.
const api = createApi(
  { reader: {}, live: {}, status: () => ({}), clear: async () => undefined } as unknown as ApiOptions,
  () => new Set(),
);

async function refusal(path: string, init: RequestInit = {}): Promise<{ status: number; error: string }> {
  const res = await api.request(path, init);
  return { status: res.status, error: ((await res.json()) as { error: string }).error };
}

const CJK = /[\u3400-\u9fff]/;

describe('a request the API cannot take, in its language', () => {
  const cases: [string, string, string, string][] = [
    [
      'limit and status',
      '/exchanges?limit=0&status=abc',
      'limit: give a whole number of at least 1; status: status must be a code like 404 or a class like 4xx',
      'limit：请给出不小于 1 的整数；status：状态码要写成 404 这样的代码，或 4xx 这样的类别',
    ],
    [
      'method and state',
      '/exchanges?method=G-T&state=bogus',
      'method: method must be letters, e.g. POST; state: give one of ',
      'method：请求方法只能是字母，比如 POST；state：请从 ',
    ],
    ['an id', '/exchanges/abc', 'id: give a whole number', 'id：请给出一个整数'],
    [
      'since',
      '/export.har?since=yesterday',
      'since: since must be an ISO date such as 2026-11-24T10:00:00Z',
      'since：since 要写成 ISO 日期，比如 2026-11-24T10:00:00Z',
    ],
    [
      'compare with',
      '/compare?a=1&b=nope',
      'b: give the id of an exchange, or working (the last call to its host that worked)',
      'b：请给出一条请求的 id，或者 working（这个主机上次成功的调用）',
    ],
    [
      'snippet target',
      '/exchanges/1/snippet?target=perl',
      'target: give one of curl, fetch, python, openai',
      'target：请从 curl, fetch, python, openai 中选一个',
    ],
  ];
  it.each(cases)('%s', async (_what, path, en, zh) => {
    const english = await refusal(path);
    expect(english.status).toBe(400);
    expect(english.error.startsWith(en), english.error).toBe(true);
    const chinese = await refusal(`${path}&lang=zh-CN`.replace(/^([^?]*)&/, '$1?'));
    expect(chinese.status).toBe(400);
    expect(chinese.error.startsWith(zh), chinese.error).toBe(true);
    // Accept-Language says it too (a browser's own request, an EventSource).
    expect((await refusal(path, { headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' } })).error).toBe(
      chinese.error,
    );
    expect(chinese.error).toMatch(CJK);
  });

  it('a replay body with a field it does not take, or a bad header', async () => {
    const post = (body: unknown, lang: string) =>
      refusal(`/exchanges/1/replay?lang=${lang}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost' },
        body: JSON.stringify(body),
      });
    expect((await post({ urll: 'x' }, 'en')).error).toBe('urll: wirelog takes no such field here: leave it out');
    expect((await post({ urll: 'x' }, 'zh-CN')).error).toBe('urll：这里不接受这个字段：去掉它');
    expect((await post({ headers: [['a b', 'v\n']] }, 'zh-CN')).error).toBe(
      'headers.0.0：请求头名要是合法的 token，比如 Authorization；headers.0.1：请求头的值里不能有换行或 NUL',
    );
  });
});
