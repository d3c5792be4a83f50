import { describe, expect, it } from 'vitest';
import { closestModel } from '../llm/diagnose.ts';
import type { Exchange, RequestHead } from '../model/exchange.ts';
import { REPLAY_HEADER, replayMarkValue, takeReplayMark } from '../proxy/replay-mark.ts';
import { SecretMemory } from '../proxy/secret-memory.ts';
import { fixEdits } from '../replay/fix.ts';
import { buildReplay, ReplayRefused } from '../replay/request.ts';

const UID = '0f8b5a52-8d0c-4d8e-9a55-7f3f0b7a8c11';

function head(headers: RequestHead['headers'], extra: Partial<RequestHead> = {}): RequestHead {
  return {
    startedAt: 0,
    clientAddress: '127.0.0.1:1',
    method: 'POST',
    scheme: 'https',
    host: 'relay.example',
    port: 443,
    path: '/v1/chat/completions',
    httpVersion: '1.1',
    headers,
    ...extra,
  };
}

function exchange(request: RequestHead): Exchange {
  return {
    id: 7,
    uid: 'u7',
    request,
    response: { status: 401, statusText: '', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: {},
    requestBody: { size: 2, storedSize: 2, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

describe('the replay mark', () => {
  it("is taken off every request; only the one with this instance's token links a replay", () => {
    const token = 'secret-token';
    const ours = takeReplayMark(
      head(
        [
          ['a', 'b'],
          [REPLAY_HEADER, replayMarkValue(token, 12, UID)],
        ],
        { via: 'gateway' },
      ),
      token,
    );
    expect(ours).toEqual({ head: head([['a', 'b']], { replayOf: 12 }), uid: UID });
    const forged = takeReplayMark(head([[REPLAY_HEADER, replayMarkValue('guessed', 12, UID)]]), token);
    expect(forged).toEqual({ head: head([]) });
    const twice = takeReplayMark(
      head([
        [REPLAY_HEADER, replayMarkValue(token, 1, UID)],
        [REPLAY_HEADER, replayMarkValue(token, 2, UID)],
      ]),
      token,
    );
    expect(twice).toEqual({ head: head([]) });
  });
});

describe('secret memory', () => {
  it('forgets by count, by age and by bytes, oldest first', () => {
    let now = 0;
    const memory = new SecretMemory({ maxEntries: 2, maxAgeMs: 1000, maxBytes: 10_000 }, () => now);
    memory.remember('a', { headers: [['authorization', 'Bearer A']] });
    memory.remember('b', { headers: [['authorization', 'Bearer B']] });
    memory.remember('c', { headers: [['authorization', 'Bearer C']] });
    expect([memory.recall('a'), memory.recall('b')?.headers, memory.size]).toEqual([
      null,
      [['authorization', 'Bearer B']],
      2,
    ]);
    now = 1500;
    memory.remember('d', { headers: [['x', 'y']] });
    expect([memory.recall('b'), memory.recall('c'), memory.size]).toEqual([null, null, 1]);
    memory.remember('big', { headers: [], body: Buffer.alloc(9000) });
    expect(memory.recall('big')?.body).toBeUndefined(); // larger than a quarter of the bound: not kept
    const small = new SecretMemory({ maxEntries: 100, maxAgeMs: 1000, maxBytes: 100 }, () => now);
    small.remember('one', { headers: [['k', 'v'.repeat(60)]] });
    small.remember('two', { headers: [['k', 'w'.repeat(60)]] });
    expect([small.recall('one'), small.size]).toEqual([null, 1]);
  });
});

describe('what a replay sends', () => {
  const stored = exchange(
    head(
      [
        ['Host', 'relay.example'],
        ['authorization', 'Bearer ****0001'],
        ['content-length', '2'],
        ['content-type', 'application/json'],
      ],
      { secrets: [{ name: 'authorization', fingerprint: 'f' }] },
    ),
  );

  it('restores a masked value from memory, drops framing headers, keeps the body', () => {
    const sent = buildReplay(stored, Buffer.from('{}'), { headers: [['authorization', 'Bearer sk-real-0001']] });
    expect(sent.headers).toEqual([
      ['authorization', 'Bearer sk-real-0001'],
      ['content-type', 'application/json'],
    ]);
    expect(sent.url.toString()).toBe('https://relay.example/v1/chat/completions');
    expect(sent.body?.toString()).toBe('{}');
  });

  it('names the header whose value memory does not have, and takes a value given instead', () => {
    expect(() => buildReplay(stored, Buffer.from('{}'), null)).toThrow(ReplayRefused);
    try {
      buildReplay(stored, Buffer.from('{}'), null);
    } catch (err) {
      expect((err as ReplayRefused).missingSecrets).toEqual(['authorization']);
    }
    const given = buildReplay(stored, Buffer.from('{}'), null, {
      headers: [['authorization', 'Bearer typed-by-hand']],
    });
    expect(given.headers).toEqual([['authorization', 'Bearer typed-by-hand']]);
  });

  it('refuses a truncated body, a CONNECT and a URL of another scheme, saying why', () => {
    expect(() =>
      buildReplay({ ...stored, requestBody: { ...stored.requestBody, size: 10, truncated: true } }, Buffer.from('{}'), {
        headers: [['authorization', 'x']],
      }),
    ).toThrow(/--max-body-mb/);
    expect(() => buildReplay(stored, Buffer.alloc(0), null, { method: 'CONNECT' })).toThrow(/tunnel/);
    expect(() => buildReplay(stored, Buffer.alloc(0), null, { url: 'ftp://x/y' })).toThrow(/not ftp/);
  });

  it('applies fixes: a URL, a model in the body or in a Gemini path, a key', () => {
    expect(
      fixEdits(stored, { kind: 'url', url: 'https://x/v1/responses' }, {}, { bodyText: null, workingKey: () => null }),
    ).toEqual({ url: 'https://x/v1/responses' });
    expect(
      JSON.parse(
        fixEdits(
          stored,
          { kind: 'model', model: 'gpt-4o' },
          {},
          { bodyText: '{"model":"gpt-5","n":1}', workingKey: () => null },
        ).body!,
      ),
    ).toEqual({ model: 'gpt-4o', n: 1 });
    const gemini = exchange(head([], { path: '/v1beta/models/gemini-pro:generateContent?alt=sse' }));
    expect(
      fixEdits(gemini, { kind: 'model', model: 'gemini-2.5-pro' }, {}, { bodyText: '{}', workingKey: () => null }).url,
    ).toBe('https://relay.example/v1beta/models/gemini-2.5-pro:generateContent?alt=sse');
    const working = {
      where: 'header' as const,
      name: 'Authorization',
      value: 'Bearer from-memory',
      origin: { scheme: 'https' as const, host: 'relay.example', port: 443 },
    };
    const keyed = fixEdits(
      stored,
      { kind: 'header', name: 'Authorization', value: null },
      {},
      { bodyText: null, workingKey: () => working },
    );
    expect(keyed.headers?.filter(([n]) => n.toLowerCase() === 'authorization')).toEqual([
      ['Authorization', 'Bearer from-memory'],
    ]);
    // The borrowed key travels with the origin it was captured for: the replay's guard decides where it may go.
    expect(keyed.borrowedSecrets).toEqual([working]);
    expect(() =>
      fixEdits(
        stored,
        { kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' },
        {},
        { bodyText: null, workingKey: () => null },
      ),
    ).toThrow(/Authorization: Bearer YOUR_KEY/);
  });

  it('picks the listed model most like the one asked for', () => {
    expect(closestModel('gpt-4o-mini', ['claude-3', 'gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4'])).toBe(
      'gpt-4o-mini-2024-07-18',
    );
    expect(closestModel('openai/gpt-5', ['gpt-5', 'gpt-4'])).toBe('gpt-5');
  });
});
