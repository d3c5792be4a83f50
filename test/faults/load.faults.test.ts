import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReply, postLoad, sseEvent, startHostileUpstream, type HostileUpstream } from './hostile-upstream.ts';
import { recordFault } from './ledger.ts';
import { startSubject, type Subject } from './subject.ts';

// `npm run test:faults` (WIRELOG_FULL_LOAD=1): 700 connections at once, 500 clients in request
// loops beside 200 SSE streams, for 30 s. `npm test` runs a fifth of it for 10 s, which stays
// deterministic when another test run shares the two cores.
const FULL = process.env.WIRELOG_FULL_LOAD === '1';
const SECONDS = Number(process.env.WIRELOG_FAULT_LOAD_SECONDS ?? (FULL ? 30 : 10));
const LOOPS = FULL ? 500 : 100;
const STREAMS = FULL ? 200 : 40;
const EVENT_EVERY_MS = 100;

let up: HostileUpstream;
let subject: Subject;

beforeAll(async () => {
  up = await startHostileUpstream();
  subject = await startSubject(['--insecure-upstream']);
});

afterAll(async () => {
  await subject?.stop();
  await up?.close();
});

interface Sent {
  body: Buffer;
  reply: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe(`${LOOPS + STREAMS} concurrent connections for ${SECONDS} s`, () => {
  it(
    'stores every exchange, none merged or mixed up: each body checked against what was sent',
    async () => {
      const agent = subject.agent({ connections: LOOPS + STREAMS, keepAliveTimeout: 60_000 });
      const deadline = Date.now() + SECONDS * 1000;
      const requests = new Map<string, Sent>();
      const streams = new Map<string, string>();
      const latencies: number[] = [];
      const clientErrors = new Map<string, number>();
      const failed = (err: unknown) => {
        const reason = (err as Error).message.replace(/\d+/g, 'N');
        clientErrors.set(reason, (clientErrors.get(reason) ?? 0) + 1);
      };

      const loop = async (n: number) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const token = `r${n}-${i}`;
          const body = randomBytes(256 + ((n * 131 + i * 17) % 4096));
          const started = performance.now();
          try {
            const { reply } = await postLoad(up.httpsUrl, agent, token, body);
            latencies.push(performance.now() - started);
            if (reply !== loadReply(token, body)) throw new Error(`wrong reply for ${token}`);
            requests.set(token, { body, reply });
          } catch (err) {
            failed(err);
          }
        }
      };
      const stream = async (n: number) => {
        const id = `s${n}`;
        const events = Math.floor((SECONDS * 1000) / EVENT_EVERY_MS);
        try {
          const res = await request(`${up.httpsUrl}/sse?id=${id}&n=${events}&every=${EVENT_EVERY_MS}`, {
            dispatcher: agent,
          });
          const text = await res.body.text();
          const expected = `${Array.from({ length: events }, (_, seq) => sseEvent(id, seq)).join('')}data: [DONE]\n\n`;
          if (text !== expected) throw new Error(`stream arrived altered (${res.statusCode})`);
          streams.set(id, text);
        } catch (err) {
          failed(err);
        }
      };
      const started = Date.now();
      await Promise.all([
        ...Array.from({ length: LOOPS }, (_, n) => loop(n)),
        ...Array.from({ length: STREAMS }, (_, n) => stream(n)),
      ]);
      const elapsed = (Date.now() - started) / 1000;
      const errorList = [...clientErrors].map(([reason, n]) => `${n} x ${reason}`);
      if (errorList.length) console.log(`load: client errors:\n  ${errorList.join('\n  ')}`);

      // Sent: what the clients got back whole, each reply checked against its request.
      const sent = requests.size + streams.size;
      const stored = await subject.settledWhere(() => true, sent);
      const reader = subject.reader();
      let good = 0;
      const seen = new Set<string>();
      for (const e of stored) {
        const url = new URL(e.request.path, 'http://x');
        if (e.state !== 'complete') continue;
        if (url.pathname === '/load') {
          const token = url.searchParams.get('t')!;
          const s = requests.get(token);
          if (!s || seen.has(token)) continue;
          if (reader.body(e.id, 'request')?.equals(s.body) && reader.body(e.id, 'response')?.toString() === s.reply) {
            seen.add(token);
            good++;
          }
        } else if (url.pathname === '/sse') {
          const id = url.searchParams.get('id')!;
          const text = streams.get(id);
          if (!text || seen.has(id)) continue;
          const events = reader.sseEvents(e.id);
          if (
            reader.body(e.id, 'response')?.toString() === text &&
            events.length === Math.floor((SECONDS * 1000) / EVENT_EVERY_MS) + 1 &&
            events.every(
              (ev, seq) => ev.data === (seq < events.length - 1 ? JSON.stringify({ stream: id, seq }) : '[DONE]'),
            )
          ) {
            seen.add(id);
            good++;
          }
        }
      }
      latencies.sort((a, b) => a - b);
      const peak = subject.process.peakRssMb();
      recordFault({
        scenario: `${LOOPS} request loops + ${STREAMS} SSE streams, ${SECONDS} s`,
        sent,
        stored: good,
        crashes: await subject.crashes(up.httpsUrl),
        note: `${errorList.length ? `client errors: ${errorList.join('; ')}; ` : ''}${Math.round(requests.size / elapsed)} req/s beside the streams; request p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; wirelog peak RSS ${peak.toFixed(0)} MB`,
      });
      expect(errorList).toEqual([]);
      expect(streams.size).toBe(STREAMS);
      expect(stored.length).toBe(sent);
    },
    (SECONDS + 120) * 1000,
  );
});
