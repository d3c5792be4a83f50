// The Codex-shaped session (test/support/codex-session.ts) stored as the storage thread stores
// captured traffic: each turn's exchange events applied, then understood, indexed and packed.
// One copy for the session-page tests and bench/session-pages.ts.
import { CaptureStore } from '../../db/capture-store.ts';
import type { Db } from '../../db/schema.ts';
import { understandEnded } from '../../llm/stored-calls.ts';
import type { ExchangeEvent } from '../../model/exchange.ts';
import { codexSession } from './codex-session.ts';

/** How a client content-encodes its requests (Codex signed in with ChatGPT: zstd). */
export interface RequestCoding {
  name: string;
  encode(body: Buffer): Buffer;
}

/** Stores `turns` turns of session `name` (its uids `name-K`, its session-id header `name`), requests sent as `coding` encodes them. */
export function storeCodexSession(db: Db, turns: number, name: string, coding?: RequestCoding): void {
  const store = new CaptureStore(db, understandEnded);
  let k = 0;
  for (const turn of codexSession(turns, name)) {
    const uid = `${name}-${k}`;
    const request = coding ? coding.encode(turn.request) : turn.request;
    const info = (size: number, encoding = '') => ({ size, storedSize: size, truncated: false, encoding });
    const events: ExchangeEvent[] = [
      {
        type: 'request',
        uid,
        head: {
          startedAt: 1764000000000 + k * 1000,
          clientAddress: '127.0.0.1:1',
          method: 'POST',
          scheme: 'https',
          host: 'relay.example',
          port: 443,
          path: '/v1/responses',
          httpVersion: '1.1',
          headers: [
            ['content-type', 'application/json'],
            ['session-id', name],
            ...(coding ? [['content-encoding', coding.name] as [string, string]] : []),
          ],
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: 2,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/event-stream']] },
      },
      { type: 'body-chunk', uid, side: 'response', chunk: turn.responseBody, atMs: 3 },
      ...turn.events.map(
        (e, seq): ExchangeEvent => ({
          type: 'sse-event',
          uid,
          event: { seq, offsetMs: 3 + seq, event: e.event, id: null, data: e.data },
        }),
      ),
      {
        type: 'end',
        uid,
        state: 'complete',
        error: null,
        timings: { firstByte: 2, end: 300 },
        requestBody: info(request.length, coding?.name),
        responseBody: info(turn.responseBody.length),
      },
    ];
    store.apply(events);
    k++;
  }
  store.indexWaiting('all');
}
