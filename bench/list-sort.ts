// tsx bench/list-sort.ts [--rows N]: the list on a database of N (50,000) model calls stored
// through the real storage path (CaptureStore, with llm/ understanding them): what each sort's
// first and a deep page cost (keyset through the sort's index), the result count, pricing every
// row (llm/summary-cost.ts), naming the client at capture (llm/working-config.ts sendingClient),
// and what the sort indexes of schema 13 cost the storage of a batch.
// --figures-cost: what schema 19's indexes (a filter sorted by a figure) cost the storage of a batch.
// tsx bench/list-sort.ts --store DIR [--reader FILE]: instead, every sort the viewer offers with
// every filter it offers, on a store already made (bench/scale.ts --keep DIR, a million calls),
// opened read-only: each first page and its count on a fresh connection, then warm (median of 3).
// --reader names another tree's db/reader.ts, to time an earlier build on the same store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader, SORT_COLUMNS, type SortKey } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { sendingClient } from '../llm/working-config.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { withCost } from '../llm/summary-cost.ts';
import type { ExchangeEvent, Header } from '../model/exchange.ts';

const storeAt = process.argv.indexOf('--store');
if (storeAt > 0) {
  const readerAt = process.argv.indexOf('--reader');
  await (await import('./list-sort-store.ts')).timeStore(
    process.argv[storeAt + 1],
    readerAt > 0 ? path.resolve(process.argv[readerAt + 1]) : undefined,
  );
  process.exit(0);
}
const at = process.argv.indexOf('--rows');
const ROWS = at > 0 ? Number(process.argv[at + 1]) : 50_000;
const HOSTS = ['api.openai.com', 'api.anthropic.com', 'openrouter.ai', 'relay.example.cn'];
const AGENTS: Header[][] = [
  [
    ['User-Agent', 'codex_exec/0.171.0 (Ubuntu 24.4.0; x86_64) xterm-256color'],
    ['originator', 'codex_exec'],
  ],
  [
    [
      'User-Agent',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) CherryStudio/1.5.7 Chrome/138.0.0.0 Electron/37.2.3 Safari/537.36',
    ],
    ['X-Title', 'Cherry Studio'],
  ],
  [
    ['User-Agent', 'OpenAI/JS 6.9.1'],
    ['x-stainless-lang', 'js'],
  ],
  [['User-Agent', 'curl/8.14.1']],
];

/** One chat call: the request, a JSON answer with usage (every 10th a 429 with none). */
function call(i: number): ExchangeEvent[] {
  const uid = `sort-${i}`;
  const host = HOSTS[i % HOSTS.length];
  const failed = i % 10 === 0;
  const request = Buffer.from(
    JSON.stringify({
      model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
      messages: [{ role: 'user', content: `question ${i}` }],
    }),
  );
  const usage = {
    prompt_tokens: 100 + ((i * 7919) % 50_000),
    completion_tokens: (i * 104_729) % 4000,
    prompt_tokens_details: { cached_tokens: (i * 31) % 100 },
    ...(host === 'openrouter.ai' ? { cost: 0.0001 * (i % 97) } : {}),
  };
  const response = Buffer.from(
    failed
      ? '{"error":{"message":"rate limited"}}'
      : JSON.stringify({
          id: `c-${i}`,
          model: 'gpt-4o',
          choices: [{ message: { role: 'assistant', content: `answer ${i}` }, finish_reason: 'stop' }],
          usage,
        }),
  );
  const end = 50 + ((i * 6007) % 30_000);
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.UTC(2026, 10, 1) + i * 1000,
        clientAddress: '127.0.0.1:5000',
        method: 'POST',
        scheme: 'https',
        host,
        port: 443,
        path: '/v1/chat/completions',
        httpVersion: '1.1',
        headers: [['Host', host], ['Content-Type', 'application/json'], ...AGENTS[i % AGENTS.length]],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: {
        status: failed ? 429 : 200,
        statusText: '',
        httpVersion: '1.1',
        headers: [['Content-Type', 'application/json']],
      },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: end - 1 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 20, end },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

function timed<T>(what: string, fn: () => T, times = 1): T {
  let result!: T;
  const t = performance.now();
  for (let n = 0; n < times; n++) result = fn();
  console.log(`${what.padEnd(58)} ${((performance.now() - t) / times).toFixed(2).padStart(9)} ms`);
  return result;
}

/** Schema 19's indexes (a filter sorted by a figure), which --figures-cost stores without. */
const FIGURES_INDEXES = [
  ...['host', 'model'].flatMap((term) => Object.keys(SORT_COLUMNS).map((sort) => `exchanges_${term}_sort_${sort}`)),
  'exchanges_status_figures',
  'exchanges_unfinished_figures',
];

/** Stores ROWS calls in batches of 2,000; the ms the batches took (understanding included). */
function fill(dir: string, dropSortIndexes: boolean, drop: string[] = []): number {
  const db = openDatabase(dir);
  if (dropSortIndexes) for (const key of Object.keys(SORT_COLUMNS)) db.exec(`DROP INDEX exchanges_sort_${key}`);
  for (const index of drop) db.exec(`DROP INDEX ${index}`);
  const store = new CaptureStore(db, understandEnded);
  const t = performance.now();
  for (let i = 0; i < ROWS; i += 2000)
    store.apply(Array.from({ length: Math.min(2000, ROWS - i) }, (_, k) => call(i + k)).flat());
  const ms = performance.now() - t;
  db.close();
  return ms;
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-list-sort-'));
try {
  // --index-cost: also stores the calls with the sort indexes dropped, twice each, alternating.
  if (process.argv.includes('--index-cost')) {
    const runs = [true, false, true, false].map((drop, n) => ({ drop, ms: fill(path.join(base, `run-${n}`), drop) }));
    const mean = (drop: boolean) => runs.filter((r) => r.drop === drop).reduce((sum, r) => sum + r.ms, 0) / 2;
    console.log(
      `storing ${ROWS.toLocaleString('en-US')} calls: ${mean(true).toFixed(0)} ms without the sort indexes, ${mean(false).toFixed(0)} ms with them (mean of 2; ${(((mean(false) - mean(true)) / ROWS) * 1000).toFixed(1)} µs a call)`,
    );
  }
  // --figures-cost: the same with and without schema 19's indexes, twice each, alternating.
  if (process.argv.includes('--figures-cost')) {
    const runs = [true, false, true, false].map((drop, n) => ({
      drop,
      ms: fill(path.join(base, `figures-${n}`), false, drop ? FIGURES_INDEXES : []),
    }));
    const mean = (drop: boolean) => runs.filter((r) => r.drop === drop).reduce((sum, r) => sum + r.ms, 0) / 2;
    console.log(
      `storing ${ROWS.toLocaleString('en-US')} calls: ${mean(true).toFixed(0)} ms without schema 19's ${FIGURES_INDEXES.length} indexes, ${mean(false).toFixed(0)} ms with them (mean of 2; ${(((mean(false) - mean(true)) / ROWS) * 1000).toFixed(1)} µs a call)`,
    );
  }
  const stored = fill(path.join(base, 'with'), false);
  console.log(
    `storing ${ROWS.toLocaleString('en-US')} calls (understood by llm/, with the sort indexes): ${stored.toFixed(0)} ms`,
  );

  const db = openDatabase(path.join(base, 'with'));
  const reader = new ExchangeReader(db);
  const headers = AGENTS.map((h) => [['Host', 'x'], ['Content-Type', 'application/json'], ...h] as Header[]);
  timed('sendingClient, per request (µs shown as ms/1000)', () => {
    for (let n = 0; n < 1000; n++) sendingClient(headers[n % headers.length]);
  });
  timed('list, newest first, first page of 200', () => reader.summaries({ limit: 200 }), 5);
  timed('count, no filter', () => reader.count({}), 5);
  timed('count, host filter', () => reader.count({ host: 'openrouter.ai' }), 5);
  for (const sort of Object.keys(SORT_COLUMNS) as SortKey[]) {
    timed(`sort ${sort}: first page of 200`, () => reader.sortedSummaries({ sort, limit: 200 }), 5);
    // The last page of all: keyset walks there page by page, each from the previous one's end.
    let after = reader.sortedSummaries({ sort, limit: 1000 }).next;
    let pages = 1;
    const t = performance.now();
    while (after) {
      after = reader.sortedSummaries({ sort, limit: 1000, sortAfter: after }).next;
      pages++;
    }
    console.log(
      `${`sort ${sort}: every page of 1,000 (${pages} pages), per page`.padEnd(58)} ${((performance.now() - t) / pages).toFixed(2).padStart(9)} ms`,
    );
    const e = SORT_COLUMNS[sort];
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM exchanges WHERE ${e} <= 1 AND (${e} < 1 OR id < 1) ORDER BY ${e} DESC, id DESC LIMIT 10`,
      )
      .all() as { detail: string }[];
    console.log(`  plan: ${plan.map((p) => p.detail).join(' | ')}`);
  }
  const rows = reader.summaries({ limit: ROWS });
  const priced = timed(`pricing every row (${rows.length.toLocaleString('en-US')}), total`, () => rows.map(withCost));
  const sources = new Map<string, number>();
  for (const row of priced) if (row.cost) sources.set(row.cost.source, (sources.get(row.cost.source) ?? 0) + 1);
  console.log(`  per row: see total / ${rows.length}; sources: ${JSON.stringify(Object.fromEntries(sources))}`);
  timed('pricing a page of 1,000 rows', () => rows.slice(0, 1000).map(withCost), 5);
  db.close();
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
