// What finding images costs the analysis of a stored call (llm/images.ts, run by analyzeExchange
// for every model call): a Gemini answer carrying a 2.3 MB PNG as base64 (the seed's ZenMux
// calls were 2-3 MB), streamed and not, and a 5,000-event chat stream with no image, where only a
// text search runs per event. Median of the runs: the whole analysis, and the images' share of it
// (a streamed event that may hold an image is parsed again by llm/images.ts: its JSON.parse is that share).
// tsx bench/images.ts [runs]
import { performance } from 'node:perf_hooks';
import { analyzeExchange } from '../llm/analyze.ts';
import { responseImages, streamImages } from '../llm/images.ts';
import type { StreamItem } from '../llm/model-call.ts';
import type { Exchange, SseEvent } from '../model/exchange.ts';

const RUNS = Number(process.argv[2] ?? 15);

// A PNG signature then bytes: what the analysis reads of it is its length and its first 24 characters.
const png = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  Buffer.alloc(2.3 * 1024 * 1024, 7),
]).toString('base64');
const path = '/api/vertex-ai/v1/publishers/google/models/gemini-3-pro-image-preview:';
const candidate = (parts: unknown[], finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}) }],
});
const request = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'a picture' }] }] });
const whole = JSON.stringify(
  candidate([{ text: 'Here it is.' }, { inlineData: { mimeType: 'image/png', data: png } }], 'STOP'),
);
const geminiEvents: SseEvent[] = [
  candidate([{ text: 'Here it is.' }]),
  candidate([{ inlineData: { mimeType: 'image/png', data: png } }], 'STOP'),
].map((c, seq) => ({ seq, offsetMs: seq, event: null, id: null, data: JSON.stringify(c) }));
const chatEvents: SseEvent[] = Array.from({ length: 5000 }, (_, seq) => ({
  seq,
  offsetMs: seq,
  event: null,
  id: null,
  data: JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content: `word ${seq} ` } }] }),
}));

function exchange(p: string, streamKind: Exchange['streamKind']): Exchange {
  return {
    id: 1,
    uid: 'bench',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:1',
      method: 'POST',
      scheme: 'https',
      host: 'zenmux.ai',
      port: 443,
      path: p,
      httpVersion: '1.1',
      headers: [],
    },
    response: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: { end: 10 },
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

function median(work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

// The analysis parses a body once for every reader of it: the images' own share starts from the parsed body.
const parsedWhole: unknown = JSON.parse(whole);
const items = (events: SseEvent[]): StreamItem[] =>
  events.map((e) => ({ seq: e.seq, offsetMs: e.offsetMs, event: e.event, data: e.data }));
const cases: [string, () => unknown, () => unknown][] = [
  [
    'Gemini image, not streamed (2.3 MB PNG)',
    () =>
      analyzeExchange({
        exchange: exchange(`${path}generateContent`, null),
        requestText: request,
        responseText: whole,
        sseEvents: [],
        wsMessages: [],
      }),
    () => responseImages('gemini', parsedWhole),
  ],
  [
    'Gemini image, streamed (2.3 MB PNG)',
    () =>
      analyzeExchange({
        exchange: exchange(`${path}streamGenerateContent?alt=sse`, 'sse'),
        requestText: request,
        responseText: null,
        sseEvents: geminiEvents,
        wsMessages: [],
      }),
    () => streamImages('gemini', items(geminiEvents), 'sse-event'),
  ],
  [
    'chat stream, 5,000 events, no image',
    () =>
      analyzeExchange({
        exchange: exchange('/v1/chat/completions', 'sse'),
        requestText: request,
        responseText: null,
        sseEvents: chatEvents,
        wsMessages: [],
      }),
    () => streamImages('openai-chat', items(chatEvents), 'sse-event'),
  ],
];
console.log(`images in the analysis of a stored call, median of ${RUNS} runs`);
for (const [name, analysis, imagesOnly] of cases) {
  console.log(
    `${name.padEnd(40)} analysis ${median(analysis).toFixed(2).padStart(7)} ms   of which images ${median(imagesOnly).toFixed(2).padStart(6)} ms`,
  );
}
