// One Responses turn over a WebSocket through wirelog, as Codex sends it: resolves once every
// event of the fake upstream's answer arrived and the socket closed.
import { HttpsProxyAgent } from 'https-proxy-agent';
import WebSocket from 'ws';
import { responsesStreamEvents } from './fake-upstream.ts';
import type { Harness } from './harness.ts';

export async function responsesTurn(h: Harness, model: string): Promise<string> {
  const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
    agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
    ca: h.caPem,
  });
  const expected = responsesStreamEvents(model).length;
  let got = 0;
  const all = new Promise<void>((resolve) => ws.on('message', () => ++got === expected && resolve()));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const turn = JSON.stringify({ type: 'response.create', model, input: [{ role: 'user', content: 'hi' }] });
  ws.send(turn);
  await all;
  ws.close(1000);
  await new Promise((r) => ws.once('close', r));
  return turn;
}
