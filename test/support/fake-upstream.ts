// A fake OpenAI-compatible provider on 127.0.0.1, over HTTP and HTTPS (self-signed,
// made at test time), with the misbehaviours the proxy must survive.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { WebSocketServer } from 'ws';
import { selfSignedCertificate, type TestCertificate } from './upstream-cert.ts';

export interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

export interface FakeUpstream {
  httpsUrl: string;
  httpUrl: string;
  httpsPort: number;
  httpPort: number;
  cert: TestCertificate;
  received: ReceivedRequest[];
  /** Resolves when the upstream side of /v1/endless sees its client go away. */
  endlessClosed: Promise<number>;
  /** What the WebSocket endpoint received, decoded. */
  wsReceived: string[];
  /**
   * Lets a chat stream sent with `x-test-hold-last: key` send its last event: until then it is
   * open and short of it, for as long as a test looks (no race with a timed stream).
   */
  release(key: string): void;
  close(): Promise<void>;
}

export const CHAT_DELTAS = ['Hel', 'lo', ' from', ' the', ' fake', ' upstream'];

export function chatStreamEvents(model: string): string[] {
  const base = { id: 'chatcmpl-test1', object: 'chat.completion.chunk', created: 1764000000, model };
  const events = [
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    }),
  ];
  for (const piece of CHAT_DELTAS)
    events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] }));
  events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  events.push(
    JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 } }),
  );
  events.push('[DONE]');
  return events;
}

export function responsesStreamEvents(model: string): { event: string; data: Record<string, unknown> }[] {
  const text = CHAT_DELTAS.join('');
  const item = {
    id: 'msg_test1',
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  const response = {
    id: 'resp_test1',
    object: 'response',
    created_at: 1764000000,
    model,
    status: 'in_progress',
    output: [] as unknown[],
  };
  const events: { event: string; data: Record<string, unknown> }[] = [
    { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response } },
  ];
  for (const delta of CHAT_DELTAS) {
    events.push({
      event: 'response.output_text.delta',
      data: {
        type: 'response.output_text.delta',
        sequence_number: events.length,
        item_id: 'msg_test1',
        output_index: 0,
        content_index: 0,
        delta,
      },
    });
  }
  events.push({
    event: 'response.output_item.done',
    data: { type: 'response.output_item.done', sequence_number: events.length, output_index: 0, item },
  });
  events.push({
    event: 'response.completed',
    data: {
      type: 'response.completed',
      sequence_number: events.length + 1,
      response: {
        ...response,
        status: 'completed',
        output: [item],
        usage: { input_tokens: 12, output_tokens: 6, total_tokens: 18 },
      },
    },
  });
  return events;
}

/** A valid zstd frame holding `data` in raw blocks: what a zstd decoder must accept. */
export function zstdFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  const maxBlock = 128 * 1024;
  for (let offset = 0; offset < data.length || offset === 0; offset += maxBlock) {
    const block = data.subarray(offset, offset + maxBlock);
    const last = offset + maxBlock >= data.length ? 1 : 0;
    const header = last | (0 << 1) | (block.length << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

// Paces what the upstream sends (x-test-delay-ms, every=, interval=): the pacing is the scenario
// (a stream that arrives over time), never a wait for something to happen.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Streams that fail after 200 OK, in each provider's documented form: Anthropic's `event: error`,
 * the Responses API's `error` then `response.failed`, a relay's Chat Completions error chunk.
 */
export const STREAM_ERRORS: Record<string, { event?: string; data: unknown }[]> = {
  '/v1/messages': [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-test',
          content: [],
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
    },
    { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
  ],
  '/v1/responses': [
    {
      event: 'response.created',
      data: {
        type: 'response.created',
        sequence_number: 0,
        response: { id: 'resp_fail', status: 'in_progress', model: 'gpt-test', output: [] },
      },
    },
    {
      event: 'error',
      data: {
        type: 'error',
        sequence_number: 1,
        code: 'insufficient_quota',
        message: 'You exceeded your current quota, please check your plan and billing details.',
        param: null,
      },
    },
    {
      event: 'response.failed',
      data: {
        type: 'response.failed',
        sequence_number: 2,
        response: {
          id: 'resp_fail',
          status: 'failed',
          model: 'gpt-test',
          output: [],
          error: {
            code: 'insufficient_quota',
            message: 'You exceeded your current quota, please check your plan and billing details.',
          },
        },
      },
    },
  ],
  '/v1/chat/completions': [
    {
      data: {
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        model: 'relay-model',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
      },
    },
    {
      data: {
        error: { message: 'Rate limit reached for requests', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' },
      },
    },
    { data: '[DONE]' },
  ],
};

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const cert = selfSignedCertificate();
  const received: ReceivedRequest[] = [];
  const wsReceived: string[] = [];
  let resolveEndless: (ms: number) => void = () => undefined;
  // x-test-hold-last gates, made by whichever side comes first.
  const holds = new Map<string, { opened: Promise<void>; open: () => void }>();
  const hold = (key: string) => {
    let gate = holds.get(key);
    if (!gate) {
      let open: () => void = () => undefined;
      const opened = new Promise<void>((r) => (open = r));
      gate = { opened, open };
      holds.set(key, gate);
    }
    return gate;
  };
  const endlessClosed = new Promise<number>((r) => (resolveEndless = r));

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Browsers may call it from pages of other origins, as model providers allow.
    if (req.headers.origin) res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
        'Access-Control-Max-Age': '0',
      });
      received.push({ method: 'OPTIONS', url: req.url ?? '', rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
      return void res.end();
    }
    const body = await readBody(req);
    received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body });
    let url = new URL(req.url ?? '/', 'http://x');
    // /keyed/... is a relay that wants a key, answering as new-api does when it is missing or wrong.
    if (url.pathname.startsWith('/keyed/')) {
      const auth = req.headers.authorization;
      if (!auth) return void sendJson(res, 401, { error: { message: '未提供令牌', type: 'new_api_error' } });
      if (auth !== 'Bearer sk-good-key-000000000001')
        return void sendJson(res, 401, { error: { message: '无效的令牌', type: 'new_api_error' } });
      url = new URL(url.pathname.slice('/keyed'.length) + url.search, 'http://x');
    }
    const delay = Number(req.headers['x-test-delay-ms'] ?? 3);
    // A whole chat stream whose last event, data: [DONE], comes without the blank line after it.
    if (req.headers['x-test-unterminated']) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const events = chatStreamEvents('unterminated-model');
      return void res.end(
        events.map((data, i) => (i === events.length - 1 ? `data: ${data}` : `data: ${data}\n\n`)).join(''),
      );
    }
    // A stream that starts well and then fails with the provider's own error event (x-test-stream-error).
    if (req.headers['x-test-stream-error']) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const e of STREAM_ERRORS[url.pathname] ?? [])
        res.write(
          `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`,
        );
      return void res.end();
    }
    const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}) => {
      const text = JSON.stringify(value);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };
    if (url.pathname === '/v1/chat/completions' && req.method === 'POST') {
      const request = JSON.parse(body.toString('utf8') || '{}') as { model?: string; stream?: boolean };
      const model = request.model ?? 'test-model';
      // A model this provider does not offer (it lists only test-model at /v1/models).
      if (model.startsWith('missing-'))
        return json(404, {
          error: {
            message: `The model \`${model}\` does not exist or you do not have access to it.`,
            type: 'invalid_request_error',
            code: 'model_not_found',
          },
        });
      if (!request.stream) {
        return json(200, {
          id: 'chatcmpl-test1',
          object: 'chat.completion',
          created: 1764000000,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: CHAT_DELTAS.join('') }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
        });
      }
      // x-test-sse-encoding: the stream compressed, flushed after each event, as a relay with
      // gzip or brotli on for text/event-stream sends it (zstd: one frame per event).
      const encoding = req.headers['x-test-sse-encoding'] as
        | 'gzip'
        | 'deflate'
        | 'deflate-raw'
        | 'br'
        | 'zstd'
        | undefined;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        ...(encoding ? { 'Content-Encoding': encoding === 'deflate-raw' ? 'deflate' : encoding } : {}),
      });
      const coder =
        encoding && encoding !== 'zstd'
          ? {
              gzip: zlib.createGzip,
              deflate: zlib.createDeflate,
              'deflate-raw': zlib.createDeflateRaw,
              br: zlib.createBrotliCompress,
            }[encoding]()
          : null;
      coder?.pipe(res);
      const holdLast = req.headers['x-test-hold-last'] as string | undefined;
      const events = chatStreamEvents(model);
      for (const [i, data] of events.entries()) {
        if (holdLast && i === events.length - 1) await hold(holdLast).opened;
        const text = `data: ${data}\n\n`;
        if (coder) {
          coder.write(text);
          coder.flush();
        } else res.write(encoding === 'zstd' ? zstdFrame(Buffer.from(text)) : text);
        await sleep(delay);
      }
      return void (coder ? coder.end() : res.end());
    }
    if (url.pathname === '/v1/responses' && req.method === 'POST') {
      const request = JSON.parse(body.toString('utf8') || '{}') as { model?: string; stream?: boolean };
      const events = responsesStreamEvents(request.model ?? 'test-model');
      if (!request.stream) return json(200, events[events.length - 1].data.response);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      for (const e of events) {
        res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
        await sleep(delay);
      }
      return void res.end();
    }
    // JSON streamed as an array without Content-Length, as Gemini's :streamGenerateContent does.
    if (url.pathname === '/json-stream' || url.pathname.endsWith(':streamGenerateContent')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (let i = 0; i < Number(url.searchParams.get('n') ?? 3); i++) {
        res.write(`${i === 0 ? '[' : ','}{"text": "part ${i}"}`);
        await sleep(Number(url.searchParams.get('every') ?? 50));
      }
      return void res.end(']');
    }
    // A key-management API (OpenRouter's /v1/keys): the answer holds a key, here the one the
    // request names in x-return-key, so a test knows what must not be stored.
    if (url.pathname.startsWith('/v1/keys'))
      return json(200, { data: [{ name: 'made', key: req.headers['x-return-key'] ?? '' }] });
    if (url.pathname === '/v1/models')
      return json(200, { object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'fake' }] });
    if (url.pathname === '/echo') {
      return json(
        200,
        {
          method: req.method,
          url: req.url,
          rawHeaders: req.rawHeaders,
          rawTrailers: req.rawTrailers,
          body: body.toString('base64'),
        },
        { 'Set-Cookie': 'session=abcdefghijklmnop1234; Path=/' },
      );
    }
    // A chunked body with trailer fields after it (as gRPC-web and checksumming servers send).
    if (url.pathname === '/trailers') {
      res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum, X-Status, X-Session-Token' });
      res.write('first ');
      res.write('second');
      res.addTrailers([
        ['X-Checksum', 'sha256=abc123'],
        ['X-Status', 'done'],
        ['X-Session-Token', 'tok-TRAILERSECRET-5678'],
      ]);
      return void res.end();
    }
    // A response head of `kb` KB: one long header, as a big Set-Cookie or policy header makes.
    if (url.pathname === '/big-head') {
      res.writeHead(200, {
        'X-Big': 'v'.repeat(Number(url.searchParams.get('kb') ?? 100) * 1024),
        'Content-Type': 'text/plain',
        'Content-Length': '2',
      });
      return void res.end('ok');
    }
    if (url.pathname === '/many-headers') {
      const n = Number(url.searchParams.get('n') ?? 1500);
      const flat = Array.from({ length: n }, (_, i) => [`r${i}`, String(i)]).flat();
      res.writeHead(200, [...flat, 'Content-Type', 'text/plain', 'Content-Length', '2']);
      return void res.end('ok');
    }
    if (url.pathname === '/compressed') {
      const text = Buffer.from(JSON.stringify({ message: 'compressed hello', filler: 'x'.repeat(2000) }));
      const encoding = url.searchParams.get('encoding') ?? 'gzip';
      const encoded =
        encoding === 'gzip'
          ? zlib.gzipSync(text)
          : encoding === 'br'
            ? zlib.brotliCompressSync(text)
            : encoding === 'deflate'
              ? zlib.deflateSync(text)
              : zstdFrame(text);
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Encoding': encoding,
        'Content-Length': encoded.length,
      });
      return void res.end(encoded);
    }
    if (url.pathname === '/bytes') {
      const size = Number(url.searchParams.get('size') ?? 1024);
      // varied=1: every byte depends on its position, so bytes stored out of place show.
      const varied = url.searchParams.get('varied') === '1';
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          const n = Math.min(chunk.length, size - sent);
          const piece = varied ? variedBytes(sent, n) : chunk.subarray(0, n);
          sent += n;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (url.pathname === '/pixel.png') {
      const png = Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
        'base64',
      );
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length });
      return void res.end(png);
    }
    if (url.pathname === '/chat.html') {
      // A web app that streams a chat completion from its own origin and shows the answer.
      const html = `<!doctype html><pre id="out">waiting</pre><script>
        (async () => {
          const res = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'browser-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
          const body = await res.text();
          let text = '';
          for (const line of body.split('\\n')) if (line.startsWith('data: {')) text += JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? '';
          document.getElementById('out').textContent = 'answer: ' + text;
        })().catch((e) => { document.getElementById('out').textContent = 'failed: ' + e; });
      </script>`;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      return void res.end(html);
    }
    if (url.pathname === '/hostile.html') {
      // A body that would run script if a viewer ever rendered it as HTML.
      const html =
        '<h1>hostile</h1><script>window.__xss = "script"</script><img src="x" onerror="window.__xss = \'img\'">';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      return void res.end(html);
    }
    if (url.pathname === '/v1/ticks') {
      // Each event carries when it was written (epoch ms, sub-millisecond): comparable across processes on one machine.
      const count = Number(url.searchParams.get('n') ?? 20);
      const interval = Number(url.searchParams.get('interval') ?? 10);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (let i = 0; i < count; i++) {
        res.write(`data: {"i":${i},"sentAt":${performance.timeOrigin + performance.now()}}\n\n`);
        await sleep(interval);
      }
      return void res.end();
    }
    if (url.pathname === '/v1/die-mid-stream') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: {"part":1}\n\n');
      await sleep(delay);
      res.write('data: {"part":2}\n\n');
      await sleep(delay);
      return void res.socket?.destroy();
    }
    if (url.pathname === '/v1/stall') return; // never answers
    if (url.pathname === '/v1/stall-mid-stream') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: {"part":1}\n\n');
      return; // and then nothing, until the client goes away
    }
    // Always busy, and says how long to wait in the header the openai SDKs read (they retry then).
    if (url.pathname.startsWith('/busy/')) {
      return json(
        429,
        { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        { 'retry-after-ms': '20' },
      );
    }
    // A redirect to another path of this same upstream, absolute or path-only.
    if (url.pathname === '/redirect') {
      const to = url.searchParams.get('to') ?? '/v1/models';
      res.writeHead(302, {
        Location: url.searchParams.has('absolute')
          ? `${'encrypted' in req.socket ? 'https' : 'http'}://${req.headers.host}${to}`
          : to,
        'Content-Length': '0',
      });
      return void res.end();
    }
    if (url.pathname === '/v1/endless') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const started = Date.now();
      const timer = setInterval(() => res.write(`data: {"t":${Date.now() - started}}\n\n`), 10);
      res.on('close', () => {
        clearInterval(timer);
        resolveEndless(Date.now());
      });
      return;
    }
    json(404, { error: { message: `Invalid URL (${req.method} ${url.pathname})`, type: 'invalid_request_error' } });
  }

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 } });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const text = data.toString();
      wsReceived.push(text);
      const message = JSON.parse(text) as { type: string; model?: string };
      if (message.type !== 'response.create') return;
      for (const e of responsesStreamEvents(message.model ?? 'test-model')) socket.send(JSON.stringify(e.data));
    });
  });
  const onUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if (req.url === '/v1/responses')
      return wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    const text = 'Upgrade Required: use POST /v1/responses';
    socket.end(
      `HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`,
    );
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: Error) => res.destroy(err));
  };
  const httpsServer = https.createServer({ key: cert.keyPem, cert: cert.certPem }, onRequest);
  const httpServer = http.createServer(onRequest);
  for (const server of [httpsServer, httpServer]) {
    server.on('upgrade', onUpgrade);
    server.keepAliveTimeout = 30_000;
    // Every header a client sends reaches the test (Node keeps 2000 entries by default).
    server.maxHeadersCount = 0;
  }
  await Promise.all([httpsServer, httpServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const httpsPort = (httpsServer.address() as AddressInfo).port;
  const httpPort = (httpServer.address() as AddressInfo).port;
  return {
    httpsUrl: `https://localhost:${httpsPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    httpsPort,
    httpPort,
    cert,
    received,
    endlessClosed,
    wsReceived,
    release: (key) => hold(key).open(),
    async close() {
      for (const gate of holds.values()) gate.open();
      for (const client of wss.clients) client.terminate();
      for (const s of [httpsServer, httpServer]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

/** A fake upstream and a file holding its certificate, for a wirelog started with --upstream-ca. */
export async function startFakeUpstreamWithCaFile(dir: string): Promise<{ upstream: FakeUpstream; caFile: string }> {
  const upstream = await startFakeUpstream();
  const caFile = `${dir}/upstream-ca.pem`;
  fs.writeFileSync(caFile, upstream.cert.certPem);
  return { upstream, caFile };
}

/** `length` bytes of a sequence where each byte depends on its position (`from` onwards). */
export function variedBytes(from: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (from + i) % 251;
  return out;
}
