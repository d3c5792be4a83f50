// One of the soak's load generators, a process of its own: its role's share of the mix, through
// wirelog's proxy port or straight to the upstream, each exchange logged as the client saw it
// (status, error by cause, events, wire bytes) to a JSON-lines file: the soak's second
// independent count. Argument: the LoadConfig as JSON. Stops starting work at endAt, lets what
// runs finish (every wait bounded), then exits.
//   codex: Codex lanes (POST /v1/responses, 40 KB JSON, SSE answers, 15% gzip) and chat streams
//   ws:    Responses over WebSocket (permessage-deflate): a warm-up, then two turns per socket
//   small: ~60 small requests/s, idle kept-alive connections reused after long idles, 20 MB downloads
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import WebSocket from 'ws';
import { causeOf, JsonLines, MIX, sleep, type ClientRecord, type LoadConfig } from './common.ts';

const config = JSON.parse(process.argv[2]) as LoadConfig;
const ca = fs.readFileSync(config.caFile, 'utf8');
const log = new JsonLines(config.out);
const origin = `https://localhost:${config.upstreamPort}`;
const running = () => Date.now() < config.endAt;
const random = Math.random;
const TIMEOUTS = { headersTimeout: 60_000, bodyTimeout: 60_000 };

function dispatcher(connections: number): Dispatcher {
  // Kept-alive connections stay as long as the server allows (undici's own default is 4 s).
  const keep = { keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000, connections, ...TIMEOUTS };
  return config.mode === 'proxy'
    ? new ProxyAgent({ uri: config.proxyUrl!, requestTls: { ca }, ...keep })
    : new Agent({ connect: { ca }, ...keep });
}

function record(r: ClientRecord): void {
  log.write(r);
}

/** A Codex request: ~40 KB of JSON with instructions, history and tools, as Codex sends it. */
function codexBody(id: string): string {
  const words = randomBytes(MIX.requestKb * 768)
    .toString('base64')
    .replace(/[+/=]/g, ' ');
  return JSON.stringify({
    model: 'gpt-5-codex',
    instructions: `You are Codex, a coding agent. ${words.slice(0, 8000)}`,
    input: [
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `soak ${id} ${words.slice(8000, 20_000)}` }],
      },
      { type: 'function_call_output', call_id: `call_${id}`, output: words.slice(20_000, MIX.requestKb * 1024 - 2500) },
    ],
    tools: [
      {
        type: 'function',
        name: 'shell',
        description: 'Runs a shell command',
        parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } } },
      },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: `${id}-${randomBytes(12).toString('hex')}`,
  });
}

function chatBody(id: string): string {
  return JSON.stringify({
    model: 'soak-chat',
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: `soak ${id} ${'explain this code '.repeat(100)}` },
    ],
  });
}

const countEvents = (text: string) => text.split('\n\n').length - 1;

/** One streamed POST: events counted as the client decoded them, with the planned fault if any. */
async function streamed(
  d: Dispatcher,
  kind: 'codex' | 'chat',
  id: string,
  path: string,
  body: string,
  expected: number,
): Promise<void> {
  const roll = random();
  const planned = roll < MIX.abortShare ? 'abort' : roll < MIX.abortShare + MIX.resetShare ? 'reset' : undefined;
  const gzip = random() < MIX.gzipShare;
  const cutAt = 5 + Math.floor(random() * (expected - 10));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    authorization: 'Bearer sk-soak-000000000000000000000001',
    originator: 'codex_exec',
    'user-agent': 'codex_exec/0.169.0 (Debian 12; x86_64) soak',
    'session-id': `sess-${id}`,
    'x-client-request-id': id,
    'x-codex-turn-metadata': JSON.stringify({ turn: id, sandbox: 'workspace-write' }),
  };
  if (gzip) headers['accept-encoding'] = 'gzip';
  if (planned === 'reset') headers['x-soak-reset-after'] = String(cutAt);
  if (random() < 0.3) headers['x-soak-burst'] = '1';
  const r: ClientRecord = {
    id,
    kind,
    startedAt: Date.now(),
    endedAt: 0,
    status: null,
    cause: null,
    events: 0,
    expectedEvents: expected,
    bytes: 0,
    requestBytes: Buffer.byteLength(body),
    gzip,
    planned,
  };
  const abort = new AbortController();
  const raw: Buffer[] = [];
  let text = '';
  try {
    const res = await request(`${origin}${path}?soak=${id}`, {
      method: 'POST',
      headers,
      body,
      dispatcher: d,
      signal: abort.signal,
    });
    r.status = res.statusCode;
    if (res.statusCode !== 200) {
      const answer = await res.body.text();
      r.cause = `HTTP ${res.statusCode}: ${answer.replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim().slice(0, 70)}`;
    } else {
      let chunks = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        r.bytes += chunk.length;
        chunks++;
        if (gzip) raw.push(chunk);
        else text += chunk.toString();
        // A client that gives up mid-answer (gzip: counted in chunks, one per flushed event).
        if (planned === 'abort' && (gzip ? chunks : countEvents(text)) >= cutAt) {
          abort.abort(new Error('planned abort'));
          break;
        }
      }
    }
  } catch (err) {
    if (!planned) r.cause = causeOf(err);
    else r.plannedOutcome = causeOf(err);
  }
  if (planned && r.cause) {
    r.plannedOutcome = r.cause;
    r.cause = null;
  }
  if (gzip) {
    try {
      text = zlib.gunzipSync(Buffer.concat(raw), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
    } catch (err) {
      r.cause ??= `gzip stream unreadable: ${causeOf(err)}`;
    }
  }
  r.events = countEvents(text);
  if (!planned && !r.cause && r.events !== expected)
    r.cause = `stream incomplete (${r.events < expected ? 'fewer' : 'more'} events than sent)`;
  r.endedAt = Date.now();
  record(r);
}

async function codexLane(d: Dispatcher, lane: number, kind: 'codex' | 'chat'): Promise<void> {
  await sleep(random() * 2000);
  for (let n = 0; running(); n++) {
    const id = `${config.tag}-${kind}${lane}-${n}`;
    if (kind === 'codex') await streamed(d, kind, id, '/v1/responses', codexBody(id), MIX.codexEvents);
    else await streamed(d, kind, id, '/v1/chat/completions', chatBody(id), MIX.chatEvents);
    // The agent runs a tool, or the user reads, before the next turn.
    await sleep(500 + random() * 1500);
  }
}

/** A Codex WebSocket session: a warm-up (generate: false), then two turns, then close. */
async function wsSession(lane: number, n: number): Promise<void> {
  const id = `${config.tag}-ws${lane}-${n}`;
  const turns = 2;
  const expected = 2 + turns * MIX.wsEvents;
  const planned = random() < MIX.abortShare ? 'abort' : undefined;
  const cutAt = 10 + Math.floor(random() * (expected - 20));
  const r: ClientRecord = {
    id,
    kind: 'ws',
    startedAt: Date.now(),
    endedAt: 0,
    status: null,
    cause: null,
    events: 0,
    expectedEvents: expected,
    wsSent: 0,
    bytes: 0,
    requestBytes: 0,
    planned,
  };
  const ws = new WebSocket(`wss://localhost:${config.upstreamPort}/v1/responses?soak=${id}`, {
    ca,
    agent: config.mode === 'proxy' ? new HttpsProxyAgent(config.proxyUrl!, { ca }) : undefined,
    perMessageDeflate: true,
    headers: {
      authorization: 'Bearer sk-soak-000000000000000000000001',
      originator: 'codex_exec',
      'openai-beta': 'responses_websockets=2026-02-04',
    },
    handshakeTimeout: 30_000,
  });
  let completed = 0;
  let waiter: (() => void) | null = null;
  ws.on('message', (data: Buffer) => {
    r.events++;
    r.bytes += data.length;
    if (data.includes('"response.completed"')) {
      completed++;
      waiter?.();
    }
    if (planned === 'abort' && r.events === cutAt) ws.terminate();
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) =>
      reject(Object.assign(new Error(`closed (${code}) before the turn completed`), { code: `WS close ${code}` })),
    );
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
  failed.catch(() => undefined);
  const until = (count: number, ms: number) =>
    Promise.race([
      failed,
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(Object.assign(new Error('turn timed out'), { code: 'turn timeout 60 s' })),
          ms,
        );
        waiter = () => completed >= count && (clearTimeout(timer), resolve());
        waiter();
      }),
    ]);
  const send = (value: unknown) => {
    const text = JSON.stringify(value);
    r.wsSent!++;
    r.requestBytes += Buffer.byteLength(text);
    ws.send(text);
  };
  try {
    await Promise.race([failed, new Promise((resolve) => ws.once('open', resolve))]);
    r.status = 101;
    send({ type: 'response.create', model: 'gpt-5-codex', generate: false, input: [] });
    await until(1, 60_000);
    for (let t = 0; t < turns; t++) {
      send({
        type: 'response.create',
        model: 'gpt-5-codex',
        previous_response_id: `resp_${id}-${t}`,
        input: [
          {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: `soak ${id} turn ${t} ${'x'.repeat(20_000)}` }],
          },
        ],
      });
      await until(2 + t, 60_000);
    }
    ws.close(1000);
    await Promise.race([closed, sleep(10_000)]);
  } catch (err) {
    if (!planned) r.cause = causeOf(err);
    ws.terminate();
  }
  if (!planned && !r.cause && r.events !== expected)
    r.cause = `WebSocket incomplete (${r.events} of ${expected} messages)`;
  r.endedAt = Date.now();
  record(r);
}

async function wsLane(lane: number): Promise<void> {
  await sleep(random() * 3000);
  for (let n = 0; running(); n++) {
    await wsSession(lane, n);
    await sleep(500 + random() * 1500);
  }
}

/** Small calls at a steady rate whatever the answers' speed (an open loop), their latency kept. */
async function smallCalls(d: Dispatcher): Promise<void> {
  const rate = MIX.smallPerSec * config.scale;
  const start = performance.now();
  let launched = 0;
  let outstanding = 0;
  const all: Promise<void>[] = [];
  while (running()) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; launched < due; launched++) {
      if (outstanding >= 1000) continue; // more than 1,000 waiting: counted as skipped below
      const id = `${config.tag}-small-${launched}`;
      outstanding++;
      all.push(
        (async () => {
          const r: ClientRecord = {
            id,
            kind: 'small',
            startedAt: Date.now(),
            endedAt: 0,
            status: null,
            cause: null,
            events: 0,
            bytes: 0,
            requestBytes: 0,
          };
          const t = performance.now();
          try {
            const res = await request(`${origin}/v1/models?soak=${id}`, {
              dispatcher: d,
              headers: { authorization: 'Bearer sk-soak-000000000000000000000001' },
            });
            r.status = res.statusCode;
            const body = Buffer.from(await res.body.arrayBuffer());
            r.bytes = body.length;
            if (res.statusCode !== 200)
              r.cause = `HTTP ${res.statusCode}: ${body.toString().replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim().slice(0, 70)}`;
          } catch (err) {
            r.cause = causeOf(err);
          }
          r.endedAt = Date.now();
          (r as ClientRecord & { latencyMs: number }).latencyMs = performance.now() - t;
          record(r);
          outstanding--;
        })(),
      );
    }
    await sleep(20);
  }
  await Promise.all(all);
}

/** A connection to the upstream, through a CONNECT tunnel when proxied: raw, so its idle close is seen. */
async function openConnection(): Promise<tls.TLSSocket> {
  let socket: net.Socket | undefined;
  if (config.mode === 'proxy') {
    const proxy = new URL(config.proxyUrl!);
    socket = net.connect(Number(proxy.port), proxy.hostname);
    socket.write(`CONNECT localhost:${config.upstreamPort} HTTP/1.1\r\nHost: localhost:${config.upstreamPort}\r\n\r\n`);
    const head = await new Promise<string>((resolve, reject) => {
      let got = '';
      const timer = setTimeout(
        () => reject(Object.assign(new Error('CONNECT timed out'), { code: 'CONNECT timeout 30 s' })),
        30_000,
      );
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          clearTimeout(timer);
          socket!.off('data', onData);
          resolve(got);
        }
      };
      socket!.on('data', onData);
      socket!.once('error', (e) => (clearTimeout(timer), reject(e)));
      socket!.once(
        'close',
        () => (
          clearTimeout(timer),
          reject(Object.assign(new Error('closed during CONNECT'), { code: 'closed during CONNECT' }))
        ),
      );
    });
    if (!/^HTTP\/1\.[01] 200/.test(head))
      throw Object.assign(new Error(`CONNECT answered ${head.split('\r\n')[0]}`), {
        code: `CONNECT ${head.split(' ')[1]}`,
      });
  }
  const t = tls.connect({
    ...(socket ? { socket } : { host: '127.0.0.1', port: config.upstreamPort }),
    servername: 'localhost',
    ca,
    ALPNProtocols: ['http/1.1'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error('TLS handshake timed out'), { code: 'TLS timeout 30 s' })),
      30_000,
    );
    t.once('secureConnect', () => (clearTimeout(timer), resolve()));
    t.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
  return t;
}

/** One GET on a raw connection; resolves with the body's length once the whole answer came. */
function getOn(t: tls.TLSSocket, id: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, value?: { status: number; bytes: number }) => {
      clearTimeout(timer);
      t.off('data', onData).off('close', onClose).off('error', onError);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(
      () => done(Object.assign(new Error('no answer'), { code: 'answer timeout 30 s' })),
      30_000,
    );
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.split(' ')[1]);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const body = buf.subarray(end + 4);
      if (length && body.length >= Number(length[1])) done(null, { status, bytes: Number(length[1]) });
      else if (!length && /\r\ntransfer-encoding: *chunked/i.test(head) && body.includes('\r\n0\r\n\r\n'))
        done(null, { status, bytes: body.length });
    };
    const onClose = () =>
      done(
        Object.assign(new Error('closed before the answer'), {
          code: buf.length ? 'closed mid-answer' : 'closed before any answer byte',
        }),
      );
    const onError = (e: Error) => done(e);
    t.on('data', onData).once('close', onClose).once('error', onError);
    t.write(
      `GET /v1/models?soak=${id} HTTP/1.1\r\nHost: localhost:${config.upstreamPort}\r\nConnection: keep-alive\r\nUser-Agent: soak-idle\r\n\r\n`,
    );
  });
}

/** A kept-alive connection used now and then: a request, an idle of up to maxIdleMs, and again. */
async function idleLane(lane: number): Promise<void> {
  let t: tls.TLSSocket | null = null;
  let lastAnswerAt = 0;
  for (let n = 0; running(); n++) {
    const id = `${config.tag}-idle${lane}-${n}`;
    const r: ClientRecord = {
      id,
      kind: 'idle',
      startedAt: Date.now(),
      endedAt: 0,
      status: null,
      cause: null,
      events: 0,
      bytes: 0,
      requestBytes: 0,
    };
    const reused = t !== null && !t.destroyed;
    if (reused) r.idleMs = Date.now() - lastAnswerAt;
    try {
      if (!reused) t = await openConnection();
      const answer = await getOn(t!, id);
      r.status = answer.status;
      r.bytes = answer.bytes;
    } catch (err) {
      r.cause = `${reused ? 'reuse after idle: ' : ''}${causeOf(err)}`;
      t?.destroy();
      t = null;
    }
    r.endedAt = lastAnswerAt = Date.now();
    // Idle, watching for the server closing the connection meanwhile.
    const idle = 1000 + random() * (config.maxIdleMs - 1000);
    if (t) {
      const conn = t;
      const closedAt = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(
          () => (conn.off('close', onClose), resolve(null)),
          Math.min(idle, Math.max(0, config.endAt - Date.now())),
        );
        const onClose = () => (clearTimeout(timer), resolve(Date.now()));
        conn.once('close', onClose);
      });
      if (closedAt !== null) {
        r.closedIdleAfterMs = closedAt - lastAnswerAt;
        t = null;
      }
    } else await sleep(Math.min(idle, 2000));
    record(r);
  }
  t?.destroy();
}

async function downloads(d: Dispatcher): Promise<void> {
  await sleep(Math.min(config.downloadEverySec * 500, 20_000));
  for (let n = 0; running(); n++) {
    const id = `${config.tag}-download-${n}`;
    const size = MIX.downloadMb * 1024 * 1024;
    const r: ClientRecord = {
      id,
      kind: 'download',
      startedAt: Date.now(),
      endedAt: 0,
      status: null,
      cause: null,
      events: 0,
      bytes: 0,
      requestBytes: 0,
    };
    try {
      const res = await request(`${origin}/download?soak=${id}&size=${size}`, { dispatcher: d });
      r.status = res.statusCode;
      for await (const chunk of res.body as AsyncIterable<Buffer>) r.bytes += chunk.length;
      if (r.bytes !== size) r.cause = `download short (${r.bytes < size ? 'fewer' : 'more'} bytes)`;
    } catch (err) {
      r.cause = causeOf(err);
    }
    r.endedAt = Date.now();
    record(r);
    const next = Date.now() + config.downloadEverySec * 1000;
    while (running() && Date.now() < next) await sleep(500);
  }
}

async function main(): Promise<void> {
  const lanes = (n: number) => Array.from({ length: Math.max(1, Math.round(n * config.scale)) }, (_, i) => i);
  if (config.role === 'codex') {
    const d = dispatcher(64);
    await Promise.all([
      ...lanes(MIX.codexLanes).map((i) => codexLane(d, i, 'codex')),
      ...lanes(MIX.chatLanes).map((i) => codexLane(d, i, 'chat')),
    ]);
    await d.close();
  } else if (config.role === 'ws') {
    await Promise.all(lanes(MIX.wsLanes).map((i) => wsLane(i)));
  } else {
    const d = dispatcher(32);
    const big = dispatcher(4);
    await Promise.all([smallCalls(d), downloads(big), ...lanes(MIX.idleConnections).map((i) => idleLane(i))]);
    await Promise.all([d.close(), big.close()]);
  }
}

process.on('SIGTERM', () => {
  log.close();
  process.exit(0);
});
main().then(
  () => {
    log.close();
    process.exit(0);
  },
  (err) => {
    console.error(`load ${config.role}:`, err);
    log.close();
    process.exit(1);
  },
);
