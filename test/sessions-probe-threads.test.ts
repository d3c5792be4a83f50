// Which session a call joins, for Codex releases before the hyphenated headers: codex-rs sent
// `conversation_id` and `session_id` (underscores; "Send session_id for compatibility") with every
// Responses request, and its full history each turn without previous_response_id. Those turns
// are one session; read as Responses calls without a session, each was a session of its own
// (`response:<its id>`). Through the real proxy and a fake upstream.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function post(body: unknown, headers: Record<string, string>): Promise<number> {
  const res = await request(`${h.upstream.httpsUrl}/v1/responses`, {
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

/** Turn k of a Codex conversation: the whole history, as codex-rs sends it (store: false). */
function codexTurn(k: number, conversation: string): Record<string, unknown> {
  const input: unknown[] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: '列出当前目录' }] }];
  for (let i = 0; i < k; i++)
    input.push(
      { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}', call_id: `call_${i}` },
      { type: 'function_call_output', call_id: `call_${i}`, output: 'a.ts\nb.ts' },
    );
  return {
    model: 'gpt-5-codex',
    instructions: 'You are Codex.',
    input,
    store: false,
    stream: true,
    prompt_cache_key: conversation,
  };
}

describe("older Codex's underscore session headers", () => {
  it('conversation_id and session_id: the turns of one conversation are one session, another is another', async () => {
    const conversation = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    const other = '0199a1b2-c3d4-7e5f-8a9b-ffffffffffff';
    const headers = (id: string) => ({
      'user-agent': 'codex_cli_rs/0.46.0 (Mac OS 15.6.1; arm64) iTerm.app/3.6.1',
      originator: 'codex_cli_rs',
      conversation_id: id,
      session_id: id,
    });
    const first = await post(codexTurn(0, conversation), headers(conversation));
    const second = await post(codexTurn(1, conversation), headers(conversation));
    const third = await post(codexTurn(2, conversation), headers(conversation));
    const elsewhere = await post(codexTurn(0, other), headers(other));
    expect(threadOf(first)).toBe(`session:${conversation}`);
    expect(threadOf(second)).toBe(threadOf(first));
    expect(threadOf(third)).toBe(threadOf(first));
    expect(threadOf(elsewhere)).toBe(`session:${other}`);
  });

  it('a Responses call with no session header still starts a thread of its own response', async () => {
    const alone = await post({ model: 'm', input: 'start' }, {});
    expect(threadOf(alone)).toMatch(/^response:/);
  });
});
