import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${h.upstream.httpsUrl}${path}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.body.text();
  await h.stored();
  return h.wirelog.reader.list({ limit: 1 })[0].id;
}

const threadOf = (id: number) => h.wirelog.reader.get(id)!.call!.threadKey;

describe('calls of one agent session form a thread', () => {
  it('a conversation growing turn by turn (same system and first message)', async () => {
    const system = { role: 'system', content: 'You are a pirate.' };
    const first = { role: 'user', content: 'Ahoy?' };
    const a = await post('/v1/chat/completions', { model: 'm', messages: [system, first] });
    const b = await post('/v1/chat/completions', {
      model: 'm',
      messages: [system, first, { role: 'assistant', content: 'Arr' }, { role: 'user', content: 'More' }],
    });
    const other = await post('/v1/chat/completions', {
      model: 'm',
      messages: [system, { role: 'user', content: 'Something else' }],
    });
    expect(threadOf(a)).toMatch(/^prefix:/);
    expect(threadOf(b)).toBe(threadOf(a));
    expect(threadOf(other)).not.toBe(threadOf(a));
    const listed = (await (
      await fetch(`${h.wirelog.viewer!.url}/api/exchanges?thread=${encodeURIComponent(threadOf(a)!)}`)
    ).json()) as { exchanges: { id: number }[] };
    expect(listed.exchanges.map((e) => e.id)).toEqual([b, a]);
    const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${b}`)).json()) as {
      threadSize: number;
    };
    expect(detail.threadSize).toBe(2);
  });

  it('a Responses chain through previous_response_id', async () => {
    const first = await post('/v1/responses', { model: 'm', input: 'start' });
    const next = await post('/v1/responses', {
      model: 'm',
      input: [{ role: 'user', content: 'continue' }],
      previous_response_id: 'resp_test1',
    });
    expect(threadOf(first)).toBe('response:resp_test1');
    expect(threadOf(next)).toBe(threadOf(first));
  });

  it('a session header, as Codex sends with every turn', async () => {
    const a = await post('/v1/responses', { model: 'm', input: 'one' }, { 'session-id': 'sess-42' });
    const b = await post('/v1/responses', { model: 'm', input: 'two' }, { 'session-id': 'sess-42' });
    expect(threadOf(a)).toBe('session:sess-42');
    expect(threadOf(b)).toBe('session:sess-42');
  });
});
