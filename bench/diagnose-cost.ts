// What running every diagnosis rule on every model call costs: the storage thread's
// understanding of each finished exchange (llm/stored-calls.ts analyzeEnded, through the real
// CaptureStore) and `wirelog doctor --last 500`, on a database of ordinary calls that worked.
// tsx bench/diagnose-cost.ts [count]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { doctorCommand } from '../cli/doctor.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { ExchangeReader } from '../db/reader.ts';
import { diagnose } from '../llm/diagnose.ts';
import { diagnosesOf, modelCallOf, understandEnded } from '../llm/stored-calls.ts';
import type { Exchange, ExchangeEvent } from '../model/exchange.ts';
import type { ModelCall } from '../llm/model-call.ts';

const COUNT = Number(process.argv[2] ?? 20_000);

/** What was diagnosed before every call was: failures, cut or failed streams, refusals, Responses POSTs. */
function pickedBefore(exchange: Exchange, call: ModelCall | null): boolean {
  const status = exchange.response?.status ?? 0;
  return (
    status >= 400 ||
    exchange.state !== 'complete' ||
    call?.ending === 'truncated' ||
    call?.ending === 'error' ||
    (call?.answer.refusal ?? '') !== '' ||
    (exchange.request.method === 'POST' && /\/responses$/.test(exchange.request.path.split('?')[0]))
  );
}

/** One finished call: most worked (chat, Responses, Anthropic, Gemini), one in 20 was cut at its output limit, one in 25 failed. */
function eventsOf(i: number): ExchangeEvent[] {
  const uid = `cost-${i}`;
  const kind = i % 4;
  const path = [
    '/v1/chat/completions',
    '/v1/responses',
    '/v1/messages',
    '/v1beta/models/gemini-2.5-flash:generateContent',
  ][kind];
  const cut = i % 20 === 0;
  const request = Buffer.from(
    JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: `question ${i}` }],
      input: `question ${i}`,
      max_tokens: 100,
    }),
  );
  const bodies = [
    {
      id: `c${i}`,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: `answer ${i} ${'lorem '.repeat(60)}` },
          finish_reason: cut ? 'length' : 'stop',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 100 },
    },
    {
      id: `resp_${i}`,
      model: 'm',
      status: cut ? 'incomplete' : 'completed',
      incomplete_details: cut ? { reason: 'max_output_tokens' } : null,
      output: [
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: `answer ${i}`, annotations: [] }],
        },
      ],
      usage: { input_tokens: 9, output_tokens: 100 },
    },
    {
      id: `msg_${i}`,
      type: 'message',
      model: 'm',
      content: [{ type: 'text', text: `answer ${i}` }],
      stop_reason: cut ? 'max_tokens' : 'end_turn',
      usage: { input_tokens: 9, output_tokens: 100 },
    },
    {
      candidates: [
        { content: { role: 'model', parts: [{ text: `answer ${i}` }] }, finishReason: cut ? 'MAX_TOKENS' : 'STOP' },
      ],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 100 },
      modelVersion: 'gemini-2.5-flash',
    },
  ];
  const failed = i % 25 === 0;
  const response = Buffer.from(
    JSON.stringify(failed ? { error: { message: 'Invalid API key', type: 'invalid_request_error' } } : bodies[kind]),
  );
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now() - (COUNT - i) * 1000,
        clientAddress: '127.0.0.1:50000',
        method: 'POST',
        scheme: 'https',
        host: `relay${i % 5}.example`,
        port: 443,
        path,
        httpVersion: '1.1',
        headers: [
          ['Authorization', 'Bearer ****abcd'],
          ['Content-Type', 'application/json'],
        ],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 120,
      head: {
        status: failed ? 401 : 200,
        statusText: '',
        httpVersion: '1.1',
        headers: [['Content-Type', 'application/json']],
      },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 130 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 120, firstByte: 130, end: 140 },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-diagnose-cost-'));
try {
  const db = openDatabase(dataDir);
  const store = new CaptureStore(db, understandEnded);
  const t = performance.now();
  let batch: ExchangeEvent[] = [];
  for (let i = 0; i < COUNT; i++) {
    batch.push(...eventsOf(i));
    if (batch.length >= 2500) {
      store.apply(batch);
      batch = [];
    }
  }
  store.apply(batch);
  const storeMs = performance.now() - t;
  const flagged = (
    db.prepare('SELECT count(*) AS n FROM exchanges WHERE diagnosis IS NOT NULL').get() as { n: number } | undefined
  )?.n;
  db.close();

  // The doctor path on the newest 500 (read, rebuild, diagnose), rounds interleaved so the
  // machine's load falls on both alike: the calls picked before issue 26 against every call.
  const reader = new ExchangeReader(openDatabase(dataDir));
  const picked = { before: [] as number[], every: [] as number[] };
  for (let round = 0; round < 8; round++) {
    for (const every of [false, true]) {
      const t0 = performance.now();
      for (const e of reader.list({ limit: 500 })) {
        const call = modelCallOf(reader, e);
        if (every || pickedBefore(e, call)) diagnosesOf(reader, e, call);
      }
      picked[every ? 'every' : 'before'].push(performance.now() - t0);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const calls = reader.list({ limit: 500 }).map((e) => ({ exchange: e, call: modelCallOf(reader, e) }));
  const bare = performance.now();
  for (let round = 0; round < 10; round++)
    for (const { exchange, call } of calls)
      diagnose({ exchange, call, responseText: null, earlier: [], modelsListed: null });
  const bareMs = (performance.now() - bare) / 10;

  const log = console.log;
  const times: number[] = [];
  let lines = 0;
  for (let run = 0; run < 5; run++) {
    console.log = () => void lines++;
    const d = performance.now();
    doctorCommand(['--last', '500', '--data-dir', dataDir]);
    times.push(performance.now() - d);
    console.log = log;
  }
  times.sort((a, b) => a - b);
  log(
    `${COUNT} exchanges stored and understood in ${(storeMs / 1000).toFixed(2)} s (${((storeMs / COUNT) * 1000).toFixed(0)} µs each); diagnosed in the list: ${flagged ?? '?'}`,
  );
  log(
    `500 newest read, rebuilt and diagnosed: ${median(picked.before).toFixed(0)} ms diagnosing the calls picked before, ${median(picked.every).toFixed(0)} ms diagnosing every call (medians of 8); the rules alone: ${((bareMs / 500) * 1000).toFixed(0)} µs a call`,
  );
  log(
    `doctor --last 500: median ${times[2].toFixed(0)} ms, best ${times[0].toFixed(0)} ms (5 runs, ${lines / 5} lines printed)`,
  );
} finally {
  if (process.env.KEEP) console.log(dataDir);
  else fs.rmSync(dataDir, { recursive: true, force: true });
}
