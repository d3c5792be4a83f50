import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../model/exchange.ts';
import { tempDir } from '../support/harness.ts';
import { startHostileUpstream, type HostileUpstream } from './hostile-upstream.ts';
import { recordFault } from './ledger.ts';
import { startSubject, type Subject } from './subject.ts';

let up: HostileUpstream;
let strict: Subject;
let impatient: Subject;
let insecure: Subject;

beforeAll(async () => {
  up = await startHostileUpstream();
  const caDir = tempDir('wirelog-fault-ca-');
  const upstreamCa = path.join(caDir, 'hostile-ca.pem');
  fs.writeFileSync(upstreamCa, up.caPem);
  // A short idle timeout only where a stall is the scenario, so the stalls end within the test
  // (the flag is what users set); elsewhere the defaults, which a busy machine never reaches
  // (a 1 s connect timeout turned a slow TLS handshake into a 504 under load).
  [strict, impatient, insecure] = await Promise.all([
    startSubject(['--upstream-ca', upstreamCa]),
    startSubject(['--upstream-ca', upstreamCa, '--idle-timeout', '1']),
    startSubject(['--insecure-upstream']),
  ]);
});

afterAll(async () => {
  await Promise.all([strict?.stop(), impatient?.stop(), insecure?.stop()]);
  await up?.close();
});

/**
 * Runs one scenario: `times` requests by curl, each checked as the client saw it and as stored.
 * Stored means: ended in the expected state with the expected error, nothing else.
 */
async function scenario(
  name: string,
  subject: Subject,
  url: (i: number) => string,
  times: number,
  client: (stdout: string, code: number) => void,
  stored: (e: Exchange) => void,
): Promise<void> {
  const marker = `fault=${encodeURIComponent(name)}`;
  const results = await Promise.all(
    Array.from({ length: times }, (_, i) =>
      subject.curl(['-i', '-N', `${url(i)}${url(i).includes('?') ? '&' : '?'}${marker}&i=${i}`]),
    ),
  );
  for (const r of results) client(r.stdout.toString('latin1'), r.code);
  const found = await subject.settledWhere((e) => e.request.path.includes(marker), times);
  // Each client's request stored once, and as expected: counted per request, not awaited.
  const failures: string[] = [];
  let good = 0;
  for (let i = 0; i < times; i++) {
    const rows = found.filter((e) => new URLSearchParams(e.request.path.split('?')[1]).get('i') === String(i));
    if (rows.length !== 1) {
      failures.push(`request ${i} stored ${rows.length} times`);
      continue;
    }
    try {
      stored(rows[0]);
      good++;
    } catch (err) {
      failures.push(`request ${i}: ${(err as Error).message}`);
    }
  }
  recordFault({
    scenario: `upstream: ${name}`,
    sent: results.length,
    stored: good,
    crashes: await subject.crashes(up.httpsUrl),
    note: failures[0],
  });
}

describe('a misbehaving upstream: the client gets a clear answer, the exchange is stored and marked', () => {
  it('resets the connection mid-stream', async () => {
    await scenario(
      'resets mid-stream',
      strict,
      (i) => `${up.httpsUrl}/reset?tag=reset-${i}`,
      5,
      (out, code) => {
        expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 200 /);
        expect(out).toContain('"seq":1');
        expect(code).not.toBe(0); // the stream is visibly broken, not ended cleanly
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/reset|closed/i);
        expect(e.response?.status).toBe(200);
        expect(e.responseBody.size).toBeGreaterThan(0);
      },
    );
  });

  it('stalls before answering: the connect/idle timeout gives a 504 naming the wait', async () => {
    await scenario(
      'stalls before answering',
      impatient,
      () => `${up.httpsUrl}/stall`,
      3,
      (out) => {
        expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 504 /);
        expect(out).toMatch(/after 1 s|for 1 s|1 s/);
        expect(out).toContain('--idle-timeout');
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/--idle-timeout/);
      },
    );
  });

  it('stalls mid-stream: the client gets what came and then a broken stream', async () => {
    await scenario(
      'stalls mid-stream',
      impatient,
      () => `${up.httpsUrl}/stall-body`,
      3,
      (out, code) => {
        expect(out).toContain('"seq":0');
        expect(code).not.toBe(0);
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/--idle-timeout/);
      },
    );
  });

  it('sends a malformed status line', async () => {
    await scenario(
      'malformed status line',
      strict,
      () => `${up.httpsUrl}/bad-status`,
      3,
      (out) => {
        expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
        expect(out).toMatch(/malformed|invalid|parse/i);
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/malformed|invalid|parse/i);
      },
    );
  });

  it('sends invalid chunked encoding', async () => {
    await scenario(
      'invalid chunked encoding',
      strict,
      () => `${up.httpsUrl}/bad-chunked`,
      3,
      (out, code) => {
        // Node's parser stops at the bad chunk: the client gets the head and a broken body.
        expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 200 /);
        expect(code).not.toBe(0);
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/chunk|invalid|parse/i);
      },
    );
  });

  it('closes during the TLS handshake', async () => {
    await scenario(
      'closes during TLS handshake',
      strict,
      () => `${up.tlsCloseUrl}/v1/models`,
      3,
      (out) => {
        expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
        expect(out).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: the server closed the connection/);
      },
      (e) => {
        expect(e.state).toBe('upstream_error');
        expect(e.error).toMatch(/TLS|socket|closed|disconnected/i);
      },
    );
  });

  for (const [kind, reason] of [
    ['expired', /expired/i],
    ['wrong-host', /altnames|does not match|hostname/i],
  ] as const) {
    it(`presents ${kind === 'expired' ? 'an expired' : 'a wrong-host'} certificate: refused with the reason, unless --insecure-upstream`, async () => {
      const base = kind === 'expired' ? up.expiredUrl : up.wrongHostUrl;
      await scenario(
        `${kind} certificate, refused`,
        strict,
        () => `${base}/load`,
        3,
        (out) => {
          expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
          expect(out).toMatch(reason);
          expect(out).toContain('--insecure-upstream');
        },
        (e) => {
          expect(e.state).toBe('upstream_error');
          expect(e.error).toMatch(reason);
        },
      );
      await scenario(
        `${kind} certificate, --insecure-upstream`,
        insecure,
        () => `${base}/sse?n=2&every=1`,
        3,
        (out, code) => {
          expect(out).toMatch(/\r\n\r\nHTTP\/1\.1 200 /);
          expect(out).toContain('[DONE]');
          expect(code).toBe(0);
        },
        (e) => expect(e.state).toBe('complete'),
      );
    });
  }
});
