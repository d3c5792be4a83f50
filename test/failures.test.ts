import dns from 'node:dns';
import net from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../model/exchange.ts';
import { curl, eventually, lockDatabase, sendRaw, startHarness, within, type Harness } from './support/harness.ts';

// Names under .invalid fail to resolve here without asking any DNS server.
const lookup: net.LookupFunction = (hostname, options, callback) => {
  if (hostname.endsWith('.invalid')) {
    const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    return process.nextTick(() => (callback as (e: Error) => void)(err));
  }
  dns.lookup(hostname, options, callback as never);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lookup });
});
afterAll(() => h?.close());

async function storedWhere(filter: (e: Exchange) => boolean): Promise<Exchange> {
  await h.stored();
  const found = h.wirelog.reader.list({ limit: 1000 }).find(filter);
  if (!found) throw new Error('exchange not stored');
  return found;
}

/** Sends raw bytes to the proxy and returns everything it answers before closing. */
const rawExchange = async (bytes: string) => (await sendRaw(h.wirelog.proxy.port, bytes)).toString('latin1');

describe('upstream failures reach the client as 502 naming the cause, and are stored', () => {
  it('DNS failure', async () => {
    const result = await curl(h, ['-i', 'https://no-such-provider.invalid/v1/models']);
    const text = result.stdout.toString();
    expect(text).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
    expect(text).toContain('DNS lookup failed for no-such-provider.invalid');
    const ex = await storedWhere((e) => e.request.host === 'no-such-provider.invalid');
    expect(ex.state).toBe('upstream_error');
    expect(ex.error).toContain('DNS lookup failed');
    expect(ex.response).toBeNull();
  });

  it('connection refused', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const result = await curl(h, ['-i', `https://127.0.0.1:${port}/v1/models`]);
    expect(result.stdout.toString()).toMatch(/\r\n\r\nHTTP\/1\.1 502[\s\S]*connection refused by 127\.0\.0\.1:\d+/);
    const ex = await storedWhere((e) => e.request.port === port);
    expect(ex.state).toBe('upstream_error');
    expect(ex.error).toBe(`connection refused by 127.0.0.1:${port}`);
  });

  it('upstream TLS failure: an untrusted certificate is refused unless --insecure-upstream', async () => {
    const strict = await startHarness({ upstreamCaFile: undefined });
    const insecure = await startHarness({ upstreamCaFile: undefined, insecureUpstream: true });
    try {
      const refused = await curl(strict, ['-i', `${strict.upstream.httpsUrl}/v1/models`]);
      const text = refused.stdout.toString();
      expect(text).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
      expect(text).toContain('TLS handshake with localhost');
      expect(text).toContain('--upstream-ca');
      await strict.stored();
      expect(strict.wirelog.reader.list()[0]).toMatchObject({ state: 'upstream_error' });
      expect(strict.wirelog.reader.list()[0].error).toMatch(/SELF_SIGNED|self-signed/i);

      const allowed = await curl(insecure, [`${insecure.upstream.httpsUrl}/v1/models`]);
      expect(JSON.parse(allowed.stdout.toString()).object).toBe('list');
    } finally {
      await strict.close();
      await insecure.close();
    }
  });

  it('an upstream dying mid-stream leaves the client a visibly truncated stream, with nothing appended', async () => {
    const result = await curl(h, ['--no-buffer', `${h.upstream.httpsUrl}/v1/die-mid-stream`]);
    // curl 18: transfer closed with outstanding read data remaining.
    expect(result.code).toBe(18);
    expect(result.stdout.toString()).toBe('data: {"part":1}\n\ndata: {"part":2}\n\n');
    const ex = await storedWhere((e) => e.request.path === '/v1/die-mid-stream');
    expect(ex.state).toBe('upstream_error');
    expect(ex.error).toContain('before the response ended');
    expect(h.wirelog.reader.body(ex.id, 'response').toString()).toBe(result.stdout.toString());
    expect(h.wirelog.reader.sseEvents(ex.id).map((e) => e.data)).toEqual(['{"part":1}', '{"part":2}']);
  });

  it('a client that disconnects mid-stream cancels the upstream request', async () => {
    const controller = new AbortController();
    const res = await request(`${h.upstream.httpsUrl}/v1/endless`, {
      dispatcher: h.agent(),
      signal: controller.signal,
    });
    let received = 0;
    const reading = (async () => {
      for await (const chunk of res.body) {
        received += (chunk as Buffer).length;
        if (received > 100) break;
      }
    })();
    await reading.catch(() => undefined);
    controller.abort();
    // /v1/endless never ends and the idle timeout is 600 s: only the abort, passed on, closes it.
    await within(h.upstream.endlessClosed, 'the upstream stream to be cancelled');
    const ex = await eventually(() => {
      const found = h.wirelog.reader.list().find((e) => e.request.path === '/v1/endless');
      return found && found.state !== 'streaming' ? found : null;
    }, 'the aborted exchange');
    expect(ex.state).toBe('aborted');
    expect(ex.error).toContain('client closed');
  });
});

describe('upstream timeouts fire, tell the client and are stored', () => {
  let impatient: Harness;
  let blackHole: net.Server;
  beforeAll(async () => {
    impatient = await startHarness({ connectTimeoutS: 0.5, idleTimeoutS: 0.5 });
    // Accepts TCP connections and never says a word: a TLS handshake with it never ends.
    blackHole = net.createServer(() => undefined);
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    blackHole?.close();
    await impatient?.close();
  });

  it('an upstream that never answers gets a 504 naming the wait', async () => {
    const result = await curl(impatient, ['-i', `${impatient.upstream.httpsUrl}/v1/stall`]);
    expect(result.stdout.toString()).toMatch(/\r\n\r\nHTTP\/1\.1 504 /);
    // The silence as it was measured (a loaded machine fires timers late), and the setting.
    expect(result.stdout.toString()).toMatch(
      new RegExp(
        `no data from localhost:${impatient.upstream.httpsPort} for \\d+(\\.\\d)? s \\(--idle-timeout 0\\.5 s\\)`,
      ),
    );
    await impatient.stored();
    const ex = impatient.wirelog.reader.list().find((e) => e.request.path === '/v1/stall')!;
    expect(ex.state).toBe('upstream_error');
    expect(ex.error).toContain('--idle-timeout');
  });

  it('an upstream that goes silent mid-stream leaves the client a broken stream', async () => {
    const result = await curl(impatient, ['--no-buffer', `${impatient.upstream.httpsUrl}/v1/stall-mid-stream`]);
    expect(result.code).toBe(18);
    expect(result.stdout.toString()).toBe('data: {"part":1}\n\n');
    await impatient.stored();
    const ex = impatient.wirelog.reader.list().find((e) => e.request.path === '/v1/stall-mid-stream')!;
    expect(ex.state).toBe('upstream_error');
    // The silence as it was measured, never less than the setting (a loaded machine fires timers late: 0.7 s was seen).
    const silent = /for (\d+(?:\.\d)?) s \(--idle-timeout 0\.5 s\)/.exec(ex.error ?? '');
    expect(silent, ex.error ?? '').not.toBeNull();
    expect(Number(silent![1])).toBeGreaterThanOrEqual(0.5);
  });

  it('an upstream that never finishes its TLS handshake gets a 504 naming the connect time', async () => {
    const port = (blackHole.address() as net.AddressInfo).port;
    const result = await curl(impatient, ['-i', `https://127.0.0.1:${port}/v1/models`]);
    expect(result.stdout.toString()).toMatch(/\r\n\r\nHTTP\/1\.1 504 /);
    expect(result.stdout.toString()).toContain(`connecting to 127.0.0.1:${port} took longer than 0.5 s`);
  });
});

describe('malformed requests are refused with a clear status and recorded', () => {
  it('garbage instead of HTTP gets 400', async () => {
    const answer = await rawExchange('THIS IS NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(answer).toContain('malformed request');
    const ex = await storedWhere((e) => e.state === 'proxy_error' && (e.error ?? '').includes('malformed'));
    expect(ex.response?.status).toBe(400);
  });

  it.each([
    [
      'TLS (https:// given as the proxy URL)',
      ['-x', 'https://127.0.0.1:PORT', '--proxy-insecure', 'https://127.0.0.1:1/v1/models'],
      'the client spoke TLS: a proxy URL for wirelog is http://127.0.0.1:PORT, not https://',
      "spoke TLS to wirelog's port",
    ],
    [
      'HTTP/2 prior knowledge',
      ['--noproxy', '*', '--http2-prior-knowledge', 'http://127.0.0.1:PORT/http/127.0.0.1:1/v1/models'],
      'the client spoke HTTP/2 without TLS',
      'HTTP/2 without TLS',
    ],
    [
      'SOCKS5',
      ['-x', 'socks5://127.0.0.1:PORT', 'http://127.0.0.1:1/v1/models'],
      'the client spoke SOCKS5: wirelog is an HTTP proxy; give the client http://127.0.0.1:PORT as its proxy',
      'spoke SOCKS5',
    ],
  ])(
    'a client speaking %s to the proxy port is recorded with the cause and the fix',
    async (_, args, error, summary) => {
      const port = String(h.wirelog.proxy.port);
      const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
      const result = await curl(
        h,
        args.map((a) => a.replace('PORT', port)),
      );
      expect(result.code).not.toBe(0);
      const ex = await storedWhere((e) => e.id > before && e.state === 'proxy_error');
      expect(ex.error).toContain(error.replace('PORT', port));
      expect(ex.diagnosis?.summary).toContain(summary);
    },
  );

  it('oversize headers get 431', async () => {
    const answer = await rawExchange(
      `GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    const ex = await storedWhere((e) => e.response?.status === 431);
    expect(ex.state).toBe('proxy_error');
    expect(ex.error).toContain('larger than 16 KB');
  });
});

describe('storage failures never break traffic', () => {
  it('keeps forwarding while the database is locked, reports it once, and stores what waited once it can', async () => {
    const unlock = lockDatabase(h.dataDir);
    try {
      const during = await curl(h, [`${h.upstream.httpsUrl}/v1/models?during-lock`]);
      expect(JSON.parse(during.stdout.toString()).object).toBe('list');
      await h.stored();
      const status = (await (await fetch(`${h.wirelog.viewer!.url}/api/status`)).json()) as {
        storageError: string | null;
      };
      expect(status.storageError).toMatch(/storing captures failed: database is locked/);
    } finally {
      unlock();
    }
    const after = await curl(h, [`${h.upstream.httpsUrl}/v1/models?after-lock`]);
    expect(after.code).toBe(0);
    await h.stored();
    expect(h.wirelog.reader.list().some((e) => e.request.path === '/v1/models?after-lock')).toBe(true);
    // What came while it was locked waited, and was stored once the lock went.
    expect(h.wirelog.reader.list().find((e) => e.request.path === '/v1/models?during-lock')?.state).toBe('complete');
    const status = (await (await fetch(`${h.wirelog.viewer!.url}/api/status`)).json()) as {
      storageError: string | null;
    };
    expect(status.storageError).toBeNull();
  });
});
