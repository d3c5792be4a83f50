// OTLP export to a receiver on 127.0.0.1 that decodes what arrives with the official OTLP
// protobuf definitions (@opentelemetry/otlp-transformer's generated ones, not wirelog's code).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpConfig } from '../cli/otlp-config.ts';
import { runCli } from './support/cli.ts';
import { readBody } from './support/fake-upstream.ts';
import { responsesTurn } from './support/ws-turn.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
};
type Span = {
  traceId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: AnyValue }[];
  events: { name: string }[];
  status?: { code?: number; message?: string };
};
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: {
            ExportTraceServiceRequest: {
              decode(b: Uint8Array): unknown;
              toObject(
                m: unknown,
                o: object,
              ): {
                resourceSpans: {
                  resource: { attributes: { key: string; value: AnyValue }[] };
                  scopeSpans: { spans: Span[] }[];
                }[];
              };
            };
          };
        };
      };
    };
  };
};
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

function value(v: AnyValue): unknown {
  if (v.arrayValue) return v.arrayValue.values.map(value);
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue;
}
const attrs = (span: Span) => Object.fromEntries(span.attributes.map((a) => [a.key, value(a.value)]));

interface Receiver {
  url: string;
  spans: Span[];
  serviceNames: string[];
  /** What the next requests get: 200, 503, or never an answer. */
  mode: 'ok' | 'unavailable' | 'hang';
  requests: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const held: http.ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    spans: [],
    serviceNames: [],
    mode: 'ok',
    requests: 0,
    close: async () => undefined,
  };
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    receiver.requests++;
    if (receiver.mode === 'hang') return void held.push(res);
    if (receiver.mode === 'unavailable') return void res.writeHead(503).end();
    const decoded = Request.toObject(Request.decode(body), { longs: String, bytes: String, defaults: false });
    for (const rs of decoded.resourceSpans) {
      receiver.serviceNames.push(String(value(rs.resource.attributes.find((a) => a.key === 'service.name')!.value)));
      for (const ss of rs.scopeSpans) receiver.spans.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return receiver;
}

let receiver: Receiver;
let h: Harness;
beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness({
    otlp: {
      url: `${receiver.url}/v1/traces`,
      protocol: 'http/protobuf',
      headers: { 'x-tenant': 't1' },
      serviceName: 'wirelog-test',
      content: false,
      maxQueue: 8192,
    },
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const spanNamed = (path: string) => receiver.spans.filter((s) => String(attrs(s)['url.full']).includes(path));

describe('OTLP export of exchanges and model calls', () => {
  it('a streamed chat completion: a CLIENT span with the HTTP and GenAI conventions, masked, events for first byte and first token', async () => {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions?key=AIzaSy-secret-in-url-000000`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-otlp-secret-0000000099' },
      body: JSON.stringify({
        model: 'otlp-model',
        stream: true,
        messages: [{ role: 'user', content: 'secret prompt text' }],
      }),
    });
    await res.body.text();
    await h.stored();
    const span = await eventually(() => spanNamed('/v1/chat/completions')[0], 'the span to arrive');
    expect(span.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(span.name).toBe('chat otlp-model');
    expect(attrs(span)).toMatchObject({
      'http.request.method': 'POST',
      'server.address': 'localhost',
      'server.port': Number(new URL(h.upstream.httpsUrl).port),
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'otlp-model',
      'gen_ai.response.model': 'otlp-model',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 6,
    });
    expect(String(attrs(span)['url.full'])).toContain('key=****0000');
    expect(span.events.map((e) => e.name)).toEqual(['first_byte', 'gen_ai.first_token']);
    expect(BigInt(span.endTimeUnixNano) > BigInt(span.startTimeUnixNano)).toBe(true);
    // Without --otlp-content, no prompt or answer leaves: nor any key.
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain('secret prompt text');
    expect(everything).not.toContain('sk-otlp-secret');
    expect(everything).not.toContain('AIzaSy-secret');
    expect(receiver.serviceNames).toContain('wirelog-test');
  });

  it('a Responses call over WebSocket and an Anthropic stream that fails after 200: each its span, the failure as error status', async () => {
    await responsesTurn(h, 'ws-otlp');
    const anthropic = await request(`${h.upstream.httpsUrl}/v1/messages`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: {
        'content-type': 'application/json',
        'x-test-stream-error': '1',
        'x-api-key': 'sk-ant-otlp-secret-00000077',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    await anthropic.body.text();
    await h.stored();
    const responses = await eventually(
      () => receiver.spans.find((s) => attrs(s)['gen_ai.request.model'] === 'ws-otlp'),
      'the WebSocket call',
    );
    expect(attrs(responses)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'http.response.status_code': 101,
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 6,
    });
    expect(String(attrs(responses)['url.full'])).toMatch(/^wss:\/\/localhost:\d+\/v1\/responses$/);
    expect(attrs(responses)['gen_ai.response.id']).toBeTruthy();
    const claude = await eventually(
      () => receiver.spans.find((s) => attrs(s)['gen_ai.request.model'] === 'claude-sonnet-4-5'),
      'the Anthropic call',
    );
    expect(attrs(claude)).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.response.model': 'claude-test',
      'gen_ai.usage.input_tokens': 10,
      'wirelog.call.ending': 'error',
      'wirelog.diagnosis.rule': 'stream-error',
    });
    expect(claude.status).toMatchObject({ code: 2 });
    expect(JSON.stringify(receiver.spans)).not.toContain('sk-ant-otlp-secret');
  });

  it('the calls of one thread share a trace; a diagnosis becomes an error status with its rule', async () => {
    const turn = async (messages: unknown[]) => {
      const r = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'thread-model', messages }),
      });
      await r.body.text();
    };
    const first = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Plan a trip.' },
    ];
    await turn(first);
    await turn([...first, { role: 'assistant', content: 'Where to?' }, { role: 'user', content: 'Oslo.' }]);
    const failed = await request(`${h.upstream.httpsUrl}/v1/chat/completions/responses`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-5-codex","input":"hi"}',
    });
    await failed.body.text();
    await h.stored();
    const thread = await eventually(() => {
      const spans = receiver.spans.filter((s) => attrs(s)['gen_ai.request.model'] === 'thread-model');
      return spans.length === 2 ? spans : null;
    }, 'both turns');
    expect(thread[0].traceId).toBe(thread[1].traceId);
    const wrong = await eventually(() => spanNamed('/v1/chat/completions/responses')[0], 'the failed call');
    expect(wrong.traceId).not.toBe(thread[0].traceId);
    expect(wrong.status).toMatchObject({ code: 2 }); // STATUS_CODE_ERROR
    expect(attrs(wrong)).toMatchObject({
      'wirelog.diagnosis.rule': 'repeated-endpoint',
      'error.type': '404',
      'http.response.status_code': 404,
    });
  });

  it('a receiver that answers 503, then one that hangs, slows neither forwarding nor storage, and is said in /api/status', async () => {
    receiver.mode = 'unavailable';
    const sent = 40;
    const before = h.wirelog.reader.count({});
    // No clock: forwarding that waited on the receiver would wait on the hanging one for good,
    // and the loop would never end (the test's timeout says so); its ending is the proof.
    for (let i = 0; i < sent / 2; i++) {
      const r = await request(`${h.upstream.httpsUrl}/v1/models?down=${i}`, { dispatcher: h.agent() });
      await r.body.text();
    }
    receiver.mode = 'hang';
    for (let i = sent / 2; i < sent; i++) {
      const r = await request(`${h.upstream.httpsUrl}/v1/models?down=${i}`, { dispatcher: h.agent() });
      await r.body.text();
    }
    await h.stored();
    // Every exchange stored, whatever the collector did.
    expect(h.wirelog.reader.count({}) - before).toBe(sent);
    const status = await eventually(async () => {
      const s = (await (await fetch(`${h.wirelog.viewer!.url}/api/status`)).json()) as {
        otlp: { error: string | null };
      };
      return s.otlp.error ? s.otlp : null;
    }, 'the export failure in /api/status');
    expect(status.error).toContain('exporting spans to');
    receiver.mode = 'ok';
  });
});

describe('wirelog export --otlp', () => {
  it('sends what is stored, one span per exchange, with progress', async () => {
    await h.stored();
    // A receiver of its own: the running wirelog's exporter is still retrying, into the shared
    // one, the spans it was refused (503) or never answered above. Those late deliveries, not
    // duplicates, were what made a shared receiver count 77 spans for 46 exchanges.
    const own = await startReceiver();
    try {
      const total = h.wirelog.reader.count({});
      const result = await runCli(['export', '--otlp', '--otlp-endpoint', own.url, '--data-dir', h.dataDir]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`${total} of ${total} exchange(s) sent to ${own.url}/v1/traces`);
      expect(own.spans.length).toBe(total);
      expect(new Set(own.spans.map((s) => attrs(s)['wirelog.exchange.id'] ?? JSON.stringify(s))).size).toBe(total);
      expect(own.spans.filter((s) => attrs(s)['gen_ai.request.model'] === 'thread-model')).toHaveLength(2);
    } finally {
      await own.close();
    }
    const refused = await startReceiver();
    refused.mode = 'unavailable';
    try {
      const down = await runCli(['export', '--otlp', '--otlp-endpoint', refused.url, '--data-dir', h.dataDir]);
      expect(down.code).toBe(1);
      expect(down.stderr, down.stderr).toContain('were refused by the collector');
    } finally {
      await refused.close();
    }
  }, 60_000);
});

describe('a collector that never answers, with a small queue', () => {
  it('leaves out what does not fit, counts it in /api/status, and stores every exchange', async () => {
    const stuck = await startReceiver();
    stuck.mode = 'hang';
    const small = await startHarness({ otlp: otlpConfig(stuck.url, false, { OTEL_BSP_MAX_QUEUE_SIZE: '4' }) });
    try {
      for (let i = 0; i < 30; i++) {
        const r = await request(`${small.upstream.httpsUrl}/v1/models?n=${i}`, { dispatcher: small.agent() });
        await r.body.text();
      }
      await small.stored();
      expect(small.wirelog.reader.count({})).toBe(30);
      const otlp = await eventually(async () => {
        const s = (await (await fetch(`${small.wirelog.viewer!.url}/api/status`)).json()) as {
          otlp: { dropped: number };
        };
        return s.otlp.dropped > 0 ? s.otlp : null;
      }, 'the dropped spans to be counted');
      // At most the queue (4) and one batch in flight were taken; the rest were counted.
      expect(otlp.dropped).toBeGreaterThanOrEqual(30 - 4 - 4);
    } finally {
      await small.close();
      await stuck.close();
    }
  }, 60_000);
});

describe('OTLP over http/json', () => {
  it('sends the same spans as JSON when OTEL_EXPORTER_OTLP_PROTOCOL is http/json', async () => {
    const bodies: {
      resourceSpans: { scopeSpans: { spans: { name: string; attributes: { key: string; value: AnyValue }[] }[] }[] }[];
    }[] = [];
    const types: string[] = [];
    const server = http.createServer(async (req, res) => {
      types.push(String(req.headers['content-type']));
      bodies.push(JSON.parse((await readBody(req)).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const json = await startHarness({
      otlp: otlpConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, false, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    });
    try {
      const r = await request(`${json.upstream.httpsUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: json.agent(),
        headers: { 'content-type': 'application/json' },
        body: '{"model":"json-model","messages":[]}',
      });
      await r.body.text();
      await json.stored();
      const span = await eventually(
        () => bodies.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))[0],
        'a JSON span',
      );
      expect(types[0]).toContain('application/json');
      expect(span.name).toBe('chat json-model');
      expect(Object.fromEntries(span.attributes.map((a) => [a.key, value(a.value)]))).toMatchObject({
        'gen_ai.request.model': 'json-model',
        'http.response.status_code': 200,
      });
    } finally {
      await json.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('OTLP export is off unless asked', () => {
  it('reads --otlp-endpoint, or the OpenTelemetry variables, and is off without both', () => {
    expect(otlpConfig(undefined, false, {})).toBeNull();
    expect(() => otlpConfig(undefined, true, {})).toThrow(/--otlp-content needs --otlp-endpoint/);
    expect(otlpConfig('http://127.0.0.1:4318', false, {})).toMatchObject({
      url: 'http://127.0.0.1:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'wirelog',
    });
    expect(
      otlpConfig(undefined, false, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-scope=a',
        OTEL_SERVICE_NAME: 'gw',
      }),
    ).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { authorization: 'Basic abc', 'x-scope': 'a' },
      serviceName: 'gw',
      content: false,
      maxQueue: 8192,
    });
    expect(
      otlpConfig(undefined, false, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/otlp/v1/traces' })?.url,
    ).toBe('http://tempo:4318/otlp/v1/traces');
    expect(() =>
      otlpConfig(undefined, false, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }),
    ).toThrow(/grpc is not supported/);
  });
});
