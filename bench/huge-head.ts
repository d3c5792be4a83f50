// How long one exchange with huge heads blocks each thread it passes through: the forwarding
// thread (recording: bound, mask, encode for the storage worker), the storage thread (applying
// its events: the transaction, understanding and indexing) and the thread that answers the
// viewer (a list page, the detail's exchange). Each is run once to warm up, then RUNS times: the
// median is printed, in ms. `npx tsx bench/huge-head.ts` (the figures are for one machine: they
// show the shape, before and after model/head-bounds.ts, not a limit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaptureStore } from '../db/capture-store.ts';
import { encodeEvents } from '../db/event-transport.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { analyzeEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent, Header } from '../model/exchange.ts';
import { summarize, type ExchangeSummary } from '../model/summary.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { finishedExchange } from '../test/support/exchange-events.ts';

const RUNS = 5;
const many = (n: number): Header[] => Array.from({ length: n }, (_, i) => [`x-many-${i}`, `v${i}`]);
const HUGE = 'a'.repeat(20 * 1024 * 1024);

const shapes: Record<string, (events: ExchangeEvent[]) => void> = {
  '100,000 headers each way': (e) => {
    (e[0] as Extract<ExchangeEvent, { type: 'request' }>).head.headers.push(...many(100_000));
    (e[2] as Extract<ExchangeEvent, { type: 'response-head' }>).head.headers.push(...many(100_000));
  },
  'a 20 MB header value': (e) =>
    void (e[0] as Extract<ExchangeEvent, { type: 'request' }>).head.headers.push(['x-foo', HUGE]),
  'a 20 MB URL': (e) =>
    void ((e[0] as Extract<ExchangeEvent, { type: 'request' }>).head.path = `/v1/chat/completions?q=${HUGE}`),
};

/** The median time of runs 1..RUNS, after run 0 warmed up the code it runs. */
function median(run: (i: number) => void): number {
  run(0);
  const times: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const t0 = performance.now();
    run(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(RUNS / 2)] * 10) / 10;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-huge-'));
const db = openDatabase(dir);
const store = new CaptureStore(db, (exchange, bodies, context) => analyzeEnded(exchange, bodies, context).facts);
const reader = new ExchangeReader(db);
// The list's query as this version has it: list rows when the reader has them, whole exchanges summarized before.
const listPage = (): ExchangeSummary[] => {
  const r = reader as ExchangeReader & { summaries?: (f: { limit: number }) => ExchangeSummary[] };
  return r.summaries ? r.summaries({ limit: 100 }) : reader.list({ limit: 100 }).map(summarize);
};

console.log(
  '| exchange | forwarding thread: record + encode (ms) | storage thread: apply (ms) | viewer: list page of 100 (ms, bytes) | viewer: one exchange read (ms) |',
);
console.log('|---|---|---|---|---|');
for (const [name, shape] of Object.entries(shapes)) {
  const made = Array.from({ length: RUNS + 1 }, (_, i) => {
    const events = finishedExchange(i);
    shape(events);
    return events;
  });
  const forwarding = median((i) => {
    const sent: ExchangeEvent[] = [];
    const [request, , response] = made[i] as [
      Extract<ExchangeEvent, { type: 'request' }>,
      ExchangeEvent,
      Extract<ExchangeEvent, { type: 'response-head' }>,
    ];
    const recorder = new ExchangeRecorder(
      {
        sink: { emit: (e) => sent.push(e) },
        maxBodyBytes: 1024 * 1024,
        keepSecrets: false,
        onSinkError: () => undefined,
      },
      request.head,
    );
    recorder.responseHead(response.head);
    recorder.end('complete');
    encodeEvents(sent);
  });
  const ids: number[] = [];
  const storage = median((i) => ids.push(...store.apply(made[i])));
  let bytes = 0;
  const list = median(() => (bytes = JSON.stringify({ exchanges: listPage() }).length));
  const detail = median((i) => JSON.stringify(reader.get(ids[i])).length);
  made.length = 0;
  console.log(`| ${name} | ${forwarding} | ${storage} | ${list} (${bytes.toLocaleString('en-US')} B) | ${detail} |`);
}
db.close();
fs.rmSync(dir, { recursive: true, force: true });
