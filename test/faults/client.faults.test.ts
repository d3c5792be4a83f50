import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sendRaw } from '../support/harness.ts';
import { startHostileUpstream, type HostileUpstream } from './hostile-upstream.ts';
import { recordFault } from './ledger.ts';
import { startSubject, type Subject } from './subject.ts';

let up: HostileUpstream;
let subject: Subject;

beforeAll(async () => {
  up = await startHostileUpstream();
  subject = await startSubject(['--insecure-upstream', '--max-body-mb', '1']);
}, 60_000);

afterAll(async () => {
  await subject?.stop();
  await up?.close();
});

const probe = () => subject.crashes(up.httpsUrl);

const raw = async (bytes: string) => (await sendRaw(Number(new URL(subject.process.proxyUrl).port), bytes)).toString('latin1');

describe('a misbehaving client: the upstream is released at once and the exchange is marked', () => {
  it('aborts mid-request-body: the upstream request is cancelled within 100 ms', async () => {
    const times = 5;
    const delays: number[] = [];
    for (let i = 0; i < times; i++) {
      const key = `upload-abort-${i}`;
      const body = new Readable({ read() {} });
      body.push(randomBytes(256 * 1024));
      const controller = new AbortController();
      const sent = request(`${up.httpsUrl}/upload?tag=${key}`, { dispatcher: subject.agent(), method: 'PUT', body, signal: controller.signal }).catch((e: Error) => e);
      await eventually(() => (up.progress.get(key) ?? 0) >= 256 * 1024, 'the upstream to receive the first part of the body');
      const abortedAt = Date.now();
      controller.abort();
      delays.push((await up.closedAt(key)) - abortedAt);
      expect(await sent).toBeInstanceOf(Error);
    }
    const stored = await subject.storedWhere((e) => e.request.path.includes('upload-abort-'), times);
    for (const e of stored) {
      expect(e.state).toBe('aborted');
      expect(e.error).toMatch(/client closed the connection before a response arrived/);
    }
    expect(Math.max(...delays)).toBeLessThan(100);
    recordFault({ scenario: 'client: aborts mid-request-body', sent: times, stored: stored.length, crashes: await probe(), note: `upstream released after ${Math.max(...delays)} ms at most` });
  });

  it('aborts mid-stream: the upstream stream is cancelled within 100 ms', async () => {
    const times = 5;
    const delays: number[] = [];
    for (let i = 0; i < times; i++) {
      const key = `stream-abort-${i}`;
      const controller = new AbortController();
      const res = await request(`${up.httpsUrl}/sse?tag=${key}&id=${key}&every=10`, { dispatcher: subject.agent(), signal: controller.signal });
      let text = '';
      for await (const chunk of res.body) {
        text += chunk.toString();
        if (text.includes('"seq":2')) break;
      }
      const abortedAt = Date.now();
      controller.abort();
      delays.push((await up.closedAt(key)) - abortedAt);
    }
    const stored = await subject.storedWhere((e) => e.request.path.includes('stream-abort-'), times);
    for (const e of stored) {
      expect(e.state).toBe('aborted');
      expect(e.error).toMatch(/client closed the connection before the response ended/);
      expect(e.eventCount).toBeGreaterThanOrEqual(3);
    }
    expect(Math.max(...delays)).toBeLessThan(100);
    recordFault({ scenario: 'client: aborts mid-stream', sent: times, stored: stored.length, crashes: await probe(), note: `upstream released after ${Math.max(...delays)} ms at most` });
  });

  it('sends a malformed request (400) and oversize headers (431)', async () => {
    const garbage = await Promise.all([raw('HELLO\r\n\r\n'), raw('GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'), raw('\x16\x03\x01\x00\x05hello\r\n\r\n')]);
    for (const answer of garbage) expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const oversize = await raw(`GET ${up.httpUrl}/load HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(oversize).toMatch(/^HTTP\/1\.1 431 /);
    const stored = await subject.storedWhere((e) => e.state === 'proxy_error' && /malformed|larger than/i.test(e.error ?? ''), 4);
    recordFault({ scenario: 'client: malformed request, oversize headers', sent: 4, stored: stored.length, crashes: await probe() });
  });

  it('sends a body larger than --max-body-mb: forwarded whole, stored truncated and marked', async () => {
    const times = 3;
    let good = 0;
    for (let i = 0; i < times; i++) {
      const body = randomBytes(3 * 1024 * 1024 + i);
      const res = await request(`${up.httpsUrl}/upload?big=${i}`, { dispatcher: subject.agent(), method: 'POST', body });
      const echoed = (await res.body.json()) as { size: number; sha256: string };
      expect(echoed).toEqual({ size: body.length, sha256: createHash('sha256').update(body).digest('hex') });
      const [e] = await subject.storedWhere((x) => x.request.path === `/upload?big=${i}`);
      expect(e.state).toBe('complete');
      expect(e.requestBody).toMatchObject({ size: body.length, storedSize: 1024 * 1024, truncated: true });
      const stored = subject.reader().body(e.id, 'request');
      expect(stored?.equals(body.subarray(0, 1024 * 1024))).toBe(true);
      good++;
    }
    recordFault({ scenario: 'client: body over --max-body-mb', sent: times, stored: good, crashes: await probe() });
  });
});

describe('a slow reader', () => {
  it('holds the upstream back (backpressure) instead of buffering in wirelog', async () => {
    const slow = await startSubject(['--insecure-upstream']);
    try {
      const total = 128 * 1024 * 1024;
      const key = 'slow-reader';
      const res = await request(`${up.httpsUrl}/bytes?n=${total}&tag=${key}`, { dispatcher: slow.agent() });
      let received = 0;
      let maxAhead = 0;
      let sinceNap = 0;
      for await (const chunk of res.body) {
        received += chunk.length;
        sinceNap += chunk.length;
        maxAhead = Math.max(maxAhead, (up.progress.get(key) ?? 0) - received);
        // About 25 MB/s: a tenth of what the upstream could send.
        if (sinceNap >= 1024 * 1024) {
          sinceNap = 0;
          await new Promise((r) => setTimeout(r, 40));
        }
      }
      expect(received).toBe(total);
      // Without backpressure the upstream would finish at once, the whole body ahead of the
      // reader; with it, only the sockets' buffers and a stream's high-water mark are in between.
      expect(maxAhead).toBeLessThan(32 * 1024 * 1024);
      const [e] = await slow.storedWhere((x) => x.request.path.includes(key));
      expect(e).toMatchObject({ state: 'complete', responseBody: { size: total, truncated: true } });
      const peak = slow.process.peakRssMb();
      recordFault({
        scenario: 'client: slow reader (128 MB at 25 MB/s)',
        sent: 1,
        stored: 1,
        crashes: await slow.crashes(up.httpsUrl),
        note: `upstream at most ${(maxAhead / 1048576).toFixed(1)} MB ahead of the reader; wirelog peak RSS ${peak.toFixed(0)} MB`,
      });
    } finally {
      await slow.stop();
    }
  });
});
