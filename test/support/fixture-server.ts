// Serves the model-call fixtures (test/fixtures/llm) as real bytes on 127.0.0.1, and sends
// their requests through a wirelog harness as a client would.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { request } from 'undici';
import { expect } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { Harness } from './harness.ts';
import type { Fixture } from './llm-fixture.ts';

const FIXTURES = path.resolve('test/fixtures/llm');
export const fixtures = new Map(
  fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as Fixture] as const),
);

/** The body as it went over the wire: SSE events framed one by one, or the body as stored. */
function bodyChunks(f: Fixture): Buffer[] {
  if (f.raw !== undefined) return [Buffer.from(f.raw)];
  if (f.events) {
    return f.events.map((e) =>
      Buffer.from(
        `${e.event ? `event: ${e.event}\n` : ''}${e.data
          .split('\n')
          .map((line) => `data: ${line}\n`)
          .join('')}\n`,
      ),
    );
  }
  return [Buffer.from(f.responseText ?? JSON.stringify(f.response ?? null))];
}

function fixtureOf(req: http.IncomingMessage): Fixture {
  const f = fixtures.get(String(req.headers['x-fixture']));
  if (!f) throw new Error(`no fixture ${String(req.headers['x-fixture'])}`);
  return f;
}

/** Serves each fixture's response, chunk by chunk, ending it the way the fixture's exchange ended. */
function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const f = fixtureOf(req);
  req.resume();
  req.on('end', () => {
    const sse = f.exchange.streamKind === 'sse' || f.raw !== undefined;
    res.writeHead(f.exchange.status ?? 500, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
    const chunks = bodyChunks(f);
    let i = 0;
    const next = (): void => {
      if (i < chunks.length) {
        res.write(chunks[i++], () => setImmediate(next));
        return;
      }
      // upstream_error: the upstream dropped the connection; aborted: the client leaves (below).
      if (f.exchange.state === 'upstream_error') res.socket?.destroy();
      else if (f.exchange.state !== 'aborted') res.end();
    };
    next();
  });
}

export interface FixtureServer {
  /** host:port of the server */
  origin: string;
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer(serve);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const f = fixtureOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sends = (f.ws ?? []).filter((m) => m.direction === 'send').length;
      let heard = 0;
      ws.on('message', () => {
        if (++heard < sends) return;
        for (const m of (f.ws ?? []).filter((x) => x.direction === 'receive')) ws.send(m.text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Sends the fixture's request through wirelog as an HTTP client would; resolves once the client has every byte the server sent. */
export async function sendThrough(h: Harness, origin: string, file: string): Promise<void> {
  const f = fixtures.get(file)!;
  const expected = Buffer.concat(bodyChunks(f)).length;
  const controller = new AbortController();
  const res = await request(`http://${origin}${f.exchange.path}`, {
    method: f.exchange.method,
    dispatcher: h.agent(),
    signal: controller.signal,
    headers: { 'content-type': 'application/json', 'x-fixture': file },
    body: f.request === undefined || f.exchange.method === 'GET' ? undefined : JSON.stringify(f.request),
  });
  expect(res.statusCode).toBe(f.exchange.status);
  let received = 0;
  try {
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (f.exchange.state === 'aborted' && received >= expected) controller.abort();
    }
  } catch (err) {
    // The body ends in an error exactly when the fixture's exchange did not complete.
    expect(f.exchange.state).not.toBe('complete');
    expect(String(err)).toMatch(/abort|terminated|socket|other side closed/i);
  }
  expect(received).toBe(expected);
}

export async function talkThrough(h: Harness, origin: string, file: string): Promise<void> {
  const f = fixtures.get(file)!;
  const ws = new WebSocket(`ws://${origin}${f.exchange.path}`, {
    agent: new HttpsProxyAgent(h.proxyUrl),
    headers: { 'x-fixture': file },
  });
  const receives = (f.ws ?? []).filter((m) => m.direction === 'receive').map((m) => m.text);
  const got: string[] = [];
  const all = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      got.push(data.toString());
      if (got.length === receives.length) resolve();
    });
    ws.once('error', reject);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  for (const m of f.ws ?? []) if (m.direction === 'send') ws.send(m.text);
  await all;
  ws.close(1000);
  await new Promise((r) => ws.once('close', r));
  expect(got).toEqual(receives);
}
