// Exchanges with bodies of 1-20 MB (JSON, text, base64-heavy JSON) and streams of thousands of
// events, and how long the viewer takes to show them: shared by test/big-bodies.browser.test.ts
// (which asserts only that the page stays responsive and its DOM bounded) and bench/viewer.ts
// (which prints the figures). Deterministic: the same bytes every run.
import type { CDPSession, Page } from 'playwright-core';
import type { ExchangeEvent } from '../../model/exchange.ts';

export type BigKind = 'json' | 'text' | 'base64';

/** A deterministic pseudo-random sequence (xorshift), so bodies are the same every run. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'model',
  'answered',
  'relay',
  'token',
  'stream',
  'tool',
  'call',
  'result',
  'context',
  'window',
  'prompt',
  'cache',
  'usage',
];

function prose(next: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of about `bytes` bytes starting as a PNG does (its signature), the rest pseudo-random. */
export function pngBase64(bytes: number, seed = 7): string {
  const next = random(seed);
  const length = Math.ceil(bytes / 3) * 4;
  const out = ['iVBORw0KGgoAAAANSUhEUgAA'];
  let size = out[0].length;
  while (size < length) {
    const piece = Array.from({ length: Math.min(4096, length - size) }, () => B64[Math.floor(next() * 64)]).join('');
    out.push(piece);
    size += piece.length;
  }
  return out.join('');
}

/** A body of about `bytes` bytes of the given kind. */
export function bigBody(kind: BigKind, bytes: number): { text: string; type: string } {
  const next = random(bytes + kind.length);
  if (kind === 'text') {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const line = `${String(i).padStart(7, '0')} ${prose(next, 12)}`;
      lines.push(line);
      size += line.length + 1;
    }
    return { text: lines.join('\n'), type: 'text/plain; charset=utf-8' };
  }
  if (kind === 'json') {
    // A long agent conversation as a Responses request carries it: many items, nested, minified.
    const items: unknown[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const item =
        i % 3 === 2
          ? { type: 'function_call_output', call_id: `call_${i}`, output: prose(next, 60) }
          : {
              role: i % 3 ? 'assistant' : 'user',
              content: [{ type: 'input_text', text: prose(next, 40) }],
              id: `msg_${i}`,
            };
      items.push(item);
      size += JSON.stringify(item).length + 1;
    }
    return {
      text: JSON.stringify({
        model: 'gpt-big',
        input: items,
        tools: [{ type: 'function', name: 'shell', parameters: { type: 'object' } }],
      }),
      type: 'application/json',
    };
  }
  // A Gemini image answer (inlineData) beside embeddings: most of the bytes are base64 and floats.
  const embeddings = Array.from({ length: 8 }, (_, i) => ({
    index: i,
    embedding: Array.from({ length: 1536 }, () => Math.round((next() * 2 - 1) * 1e6) / 1e6),
  }));
  const rest = JSON.stringify(embeddings).length + 400;
  const image = pngBase64(Math.max(1024, Math.floor(((bytes - rest) * 3) / 4)));
  return {
    text: JSON.stringify({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Here is the picture you asked for.' },
              { inlineData: { mimeType: 'image/png', data: image } },
            ],
          },
          finishReason: 'STOP',
        },
      ],
      embeddings,
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1290 },
    }),
    type: 'application/json',
  };
}

function head(uid: string, i: number, path: string): Extract<ExchangeEvent, { type: 'request' }> {
  return {
    type: 'request',
    uid,
    head: {
      startedAt: Date.now() - 1000,
      clientAddress: '127.0.0.1:50000',
      method: 'POST',
      scheme: 'https',
      host: 'big.example',
      port: 443,
      path: `${path}?big=${i}`,
      httpVersion: '1.1',
      headers: [
        ['Host', 'big.example'],
        ['Content-Type', 'application/json'],
      ],
    },
  };
}

/** One finished exchange whose response body is `body` (its request small). */
export function bigExchange(i: number, body: { text: string; type: string }): ExchangeEvent[] {
  const uid = `big-${i}`;
  const request = Buffer.from('{"model":"gpt-big"}');
  const response = Buffer.from(body.text);
  return [
    head(uid, i, '/v1/big'),
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', body.type]] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 25 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 20, firstByte: 25, end: 30 },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

/** A chat completion streamed as `count` SSE events (one word each), with the body the stream made. */
export function longStream(i: number, count: number): ExchangeEvent[] {
  const uid = `stream-${i}`;
  const request = Buffer.from('{"model":"gpt-big","stream":true}');
  const events: ExchangeEvent[] = [];
  const lines: string[] = [];
  for (let seq = 0; seq < count; seq++) {
    const data =
      seq === count - 1
        ? '[DONE]'
        : JSON.stringify({
            id: 'chatcmpl-long',
            object: 'chat.completion.chunk',
            choices: [{ index: 0, delta: { content: `w${seq} ` } }],
          });
    events.push({ type: 'sse-event', uid, event: { seq, offsetMs: 25 + seq, event: null, id: null, data } });
    lines.push(`data: ${data}\n\n`);
  }
  const response = Buffer.from(lines.join(''));
  return [
    head(uid, i, '/v1/chat/completions'),
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'text/event-stream']] },
    },
    ...events,
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 25 + count },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 20, firstByte: 25, end: 26 + count },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

/** What opening a view cost: until its content showed, until the page answered again, the DOM and the heap after. */
export interface OpenFigures {
  shownMs: number;
  answeredMs: number;
  domNodes: number;
  heapMb: number;
}

/** Elements in the page (what the DOM holds: a bounded view keeps this flat whatever the body's size). */
export function domNodes(page: Page): Promise<number> {
  return page.evaluate(() => document.getElementsByTagName('*').length);
}

export async function heapMb(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1048576;
}

/**
 * Runs `act` (a click), waits for `shown` to be in the page, then for a round trip through the
 * page's main thread (the tab answering input again). `timeoutMs` bounds each wait.
 */
export async function timeOpen(
  page: Page,
  cdp: CDPSession,
  act: () => Promise<void>,
  shown: string,
  timeoutMs: number,
): Promise<OpenFigures> {
  const t0 = performance.now();
  await act();
  await page.locator(shown).first().waitFor({ state: 'attached', timeout: timeoutMs });
  const shownMs = performance.now() - t0;
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
  const answeredMs = performance.now() - t0;
  return { shownMs, answeredMs, domNodes: await domNodes(page), heapMb: await heapMb(cdp) };
}

/** What shows a body's content, in this viewer and in the one before it (a <pre> and a .json-tree). */
export const BODY_SHOWN = '.body-panel .json-tree, .body-panel .raw-lines, .body-panel pre.body-text';
