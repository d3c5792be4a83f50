// Codex hangs up as soon as response.completed reaches it, before the upstream ends the
// response: its every successful call used to be stored as "aborted" and shown in red. A client
// that closes after the answer's final event got a whole answer: the exchange is complete, with
// a note saying what happened. A client that closes before the final event still aborted it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localized } from '../i18n/stored-text.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let relay: http.Server;
let relayUrl: string;
// Responses the relay holds open after its last event, ended when the test is done.
const held = new Set<http.ServerResponse>();

const EVENTS = [
  '{"choices":[{"index":0,"delta":{"content":"whole"}}]}',
  '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
];

beforeAll(async () => {
  h = await startHarness();
  // A relay that sends its events (with [DONE] unless ?cut), then keeps the response open: the
  // client decides when the exchange ends.
  relay = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const cut = req.url?.includes('cut');
    for (const data of cut ? EVENTS.slice(0, 1) : EVENTS) res.write(`data: ${data}\n\n`);
    if (!cut) res.write('data: [DONE]\n\n');
    held.add(res);
    res.on('close', () => held.delete(res));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((resolve) => relay?.close(resolve));
  await h?.close();
});

/** Streams a chat call through wirelog, reads until `until` is in what arrived, then hangs up. */
async function hangUpAfter(path: string, until: string): Promise<void> {
  const res = await request(`${relayUrl}${path}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'relay-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  let seen = '';
  for await (const chunk of res.body) {
    seen += String(chunk);
    if (seen.includes(until)) break;
  }
  // Leaving the loop early destroys the body: the client closes its connection here.
  expect(seen).toContain(until);
}

async function storedFor(path: string) {
  return eventually(() => {
    const row = h.wirelog.reader
      .list({ limit: 50 })
      .find((e) => e.request.path === path && e.state !== 'pending' && e.state !== 'streaming' && e.call);
    return row && h.wirelog.reader.get(row.id);
  }, `the exchange for ${path}, ended and understood`);
}

describe('a client that hangs up after the final event', () => {
  it('got the whole answer: stored as complete, with a note saying the client closed after the final event', async () => {
    await hangUpAfter('/v1/chat/completions?whole', '[DONE]');
    const ex = await storedFor('/v1/chat/completions?whole');
    expect(ex.state).toBe('complete');
    expect(ex.error).toBeNull();
    expect(ex.notes?.join('\n')).toContain("after the answer's final event");
    expect(localized(ex.notes!.find((n) => n.includes('final event'))!, 'zh-CN')).toContain('回答是完整的');
  });

  it('that hangs up before the final event still aborted the call', async () => {
    await hangUpAfter('/v1/chat/completions?cut', '"whole"');
    const ex = await storedFor('/v1/chat/completions?cut');
    expect(ex.state).toBe('aborted');
    expect(ex.error).toContain('the client closed the connection before the response ended');
    expect(ex.notes?.join('\n') ?? '').not.toContain('final event');
  });
});
