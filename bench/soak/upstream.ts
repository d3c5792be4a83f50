// The soak's upstream, a process of its own on 127.0.0.1: a scripted provider that logs, per
// exchange, what it received and sent (events, messages, wire bytes) to a JSON-lines file, the
// soak's first independent count. Prints one JSON line when listening; serves until its standard
// input closes. Routes (the exchange's id is the `soak` query parameter):
//   POST /v1/responses         Codex-shaped SSE answer of `codexEvents` events, paced or in bursts
//   POST /v1/chat/completions  Chat Completions stream of `chatEvents` events
//   GET  /v1/models            a small JSON answer (probes use it too, on host 127.0.0.1)
//   GET  /download?size=N      N bytes, with backpressure
//   WS   /v1/responses         Responses over WebSocket, permessage-deflate; a `generate: false`
//                              warm-up gets two events, a real turn `wsEvents`
// Request headers: accept-encoding: gzip compresses a stream (flushed per event or burst),
// x-soak-reset-after: N resets the connection after N events, x-soak-burst: 1 sends in bursts.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import { selfSignedCertificate } from '../../test/support/upstream-cert.ts';
import { JsonLines, MIX, sleep, type UpstreamRecord } from './common.ts';

const logFile = process.argv[2];
if (!logFile) throw new Error('usage: upstream.ts LOG_FILE');
const log = new JsonLines(logFile);
const cert = selfSignedCertificate(['localhost', '127.0.0.1']);

const WORDS = [
  'the',
  'function',
  'returns',
  'a',
  'value',
  'when',
  'called',
  'with',
  'file',
  'path',
  'test',
  'passes',
  'now',
  'patch',
  'applied',
];

/** Codex's answer: created, in_progress, deltas, the item, completed: `count` events in all. */
function codexEvents(id: string, count: number): string[] {
  const out: string[] = [];
  const response = {
    id: `resp_${id}`,
    object: 'response',
    model: 'gpt-5-codex',
    status: 'in_progress',
    output: [] as unknown[],
  };
  const ev = (type: string, data: Record<string, unknown>) =>
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: out.length, ...data })}\n\n`);
  ev('response.created', { response });
  ev('response.in_progress', { response });
  let text = '';
  for (let i = 0; i < count - 4; i++) {
    const delta = `${WORDS[i % WORDS.length]} `;
    text += delta;
    ev('response.output_text.delta', { item_id: `msg_${id}`, output_index: 0, content_index: 0, delta });
  }
  const item = {
    id: `msg_${id}`,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  ev('response.output_item.done', { output_index: 0, item });
  ev('response.completed', {
    response: {
      ...response,
      status: 'completed',
      output: [item],
      usage: { input_tokens: 10_000, output_tokens: count, total_tokens: 10_000 + count },
    },
  });
  return out;
}

function chatEvents(count: number): string[] {
  const base = { id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1764000000, model: 'soak-chat' };
  const out = [
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`,
  ];
  for (let i = 0; i < count - 4; i++)
    out.push(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: `${WORDS[i % WORDS.length]} ` }, finish_reason: null }] })}\n\n`,
    );
  out.push(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
  out.push(
    `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 100, completion_tokens: count, total_tokens: 100 + count } })}\n\n`,
  );
  out.push('data: [DONE]\n\n');
  return out;
}

function readBody(req: http.IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => resolve(n));
    req.on('error', reject);
  });
}

/** Writes `events` as a stream, gzip-encoded or not, paced or in bursts; resets when asked. */
async function stream(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  record: UpstreamRecord,
  events: string[],
  intervalMs: number,
): Promise<void> {
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const resetAfter =
    req.headers['x-soak-reset-after'] === undefined ? Infinity : Number(req.headers['x-soak-reset-after']);
  const burst = req.headers['x-soak-burst'] === '1';
  record.gzip = gzip;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  const coder = gzip ? zlib.createGzip() : null;
  coder?.on('data', (c: Buffer) => {
    record.bytes += c.length;
    res.write(c);
  });
  const coderEnded = coder ? new Promise<void>((r) => coder.once('end', r).once('error', () => r())) : null;
  const put = (text: string) => {
    if (coder) coder.write(text);
    else {
      record.bytes += Buffer.byteLength(text);
      res.write(text);
    }
  };
  const flush = () => new Promise<void>((r) => (coder ? coder.flush(zlib.constants.Z_SYNC_FLUSH, () => r()) : r()));
  for (let i = 0; i < events.length; i++) {
    if (gone) break;
    if (i === resetAfter) {
      await flush();
      // What was written reaches the client first: a reset mid-stream, not before the answer's head.
      await new Promise<void>((r) => (res.socket && !res.socket.destroyed ? res.socket.write('', () => r()) : r()));
      record.reset = true;
      res.destroy();
      return;
    }
    put(events[i]);
    record.events++;
    if (!burst) {
      await flush();
      await sleep(intervalMs);
    } else if (i % 20 === 19) {
      await flush();
      await sleep(intervalMs * 20);
    }
  }
  if (gone) {
    record.clientGone = true;
    coder?.destroy();
    return;
  }
  coder?.end();
  await coderEnded;
  res.end();
}

async function download(res: http.ServerResponse, record: UpstreamRecord, size: number): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  const chunk = Buffer.alloc(64 * 1024, 'soak-download-');
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  for (let sent = 0; sent < size && !gone; ) {
    const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
    sent += piece.length;
    record.bytes += piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => (res.off('drain', done).off('close', done), resolve());
        res.on('drain', done).on('close', done);
      });
    }
  }
  record.clientGone = gone;
  res.end();
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const id = url.searchParams.get('soak') ?? url.searchParams.get('probe') ?? 'unknown';
  const record: UpstreamRecord = {
    id,
    kind: url.pathname,
    status: 200,
    requestBytes: 0,
    events: 0,
    bytes: 0,
    endedAt: 0,
  };
  try {
    record.requestBytes = await readBody(req);
    if (url.pathname === '/v1/responses' && req.method === 'POST')
      await stream(req, res, record, codexEvents(id, MIX.codexEvents), 12);
    else if (url.pathname === '/v1/chat/completions' && req.method === 'POST')
      await stream(req, res, record, chatEvents(MIX.chatEvents), 20);
    else if (url.pathname === '/download') await download(res, record, Number(url.searchParams.get('size')));
    else if (url.pathname === '/v1/models') {
      const text = JSON.stringify({
        object: 'list',
        data: [
          { id: 'gpt-5-codex', object: 'model', owned_by: 'soak' },
          { id: 'soak-chat', object: 'model', owned_by: 'soak' },
        ],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      record.bytes = Buffer.byteLength(text);
      res.end(text);
    } else {
      record.status = 404;
      res.writeHead(404, { 'Content-Length': 0 }).end();
    }
  } finally {
    record.endedAt = Date.now();
    log.write(record);
  }
}

function webSocketTurns(socket: WebSocket, id: string): void {
  const record: UpstreamRecord = {
    id,
    kind: 'ws',
    status: 101,
    requestBytes: 0,
    events: 0,
    bytes: 0,
    wsReceived: 0,
    endedAt: 0,
  };
  let closed = false;
  const send = (data: string) => {
    if (closed) return;
    socket.send(data);
    record.events++;
    record.bytes += Buffer.byteLength(data);
  };
  socket.on('message', async (data: Buffer) => {
    record.wsReceived!++;
    record.requestBytes += data.length;
    const message = JSON.parse(data.toString()) as { type: string; generate?: boolean };
    if (message.type !== 'response.create') return;
    const events = codexEvents(`${id}-${record.wsReceived}`, message.generate === false ? 4 : MIX.wsEvents).map((e) =>
      e.slice(e.indexOf('data: ') + 6, -2),
    );
    const chosen = message.generate === false ? [events[0], events[events.length - 1]] : events;
    for (const e of chosen) {
      send(e);
      await sleep(message.generate === false ? 0 : 8);
    }
  });
  socket.on('close', () => {
    closed = true;
    record.endedAt = Date.now();
    log.write(record);
  });
  socket.on('error', () => undefined);
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 } });
const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
  handle(req, res).catch(() => res.destroy());
});
// Longer than any idle the soak leaves a connection: a direct client's kept-alive connection is never closed by the upstream.
server.keepAliveTimeout = 300_000;
server.headersTimeout = 310_000;
server.requestTimeout = 0;
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/v1/responses') return void socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => webSocketTurns(ws, url.searchParams.get('soak') ?? 'unknown'));
});
server.on('clientError', (_err, socket) => socket.destroy());
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, certPem: cert.certPem })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const c of wss.clients) c.terminate();
  server.closeAllConnections();
  server.close();
  log.close();
  process.exit(0);
});
