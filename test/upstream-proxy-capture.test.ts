// `--upstream-proxy http://[user:pass@]host:port`: every upstream connection wirelog makes goes
// through the user's own HTTP proxy (Clash's http://127.0.0.1:7890) as a CONNECT tunnel (RFC 9110
// 9.3.6), with Basic Proxy-Authorization when the URL has credentials (RFC 9110 11.7.1, RFC 7617).
// The proxy here is the test's own (test/support/connect-proxy.ts), which counts the CONNECTs it
// gets: an exchange that did not go through it cannot be counted there.
import fs from 'node:fs';
import path from 'node:path';
import { HttpsProxyAgent } from 'https-proxy-agent';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WirelogConfig } from '../cli/instance.ts';
import type { Exchange } from '../model/exchange.ts';
import { localized } from '../i18n/stored-text.ts';
import { parseUpstreamProxy, type UpstreamProxy } from '../proxy/upstream-proxy.ts';
import { closedPort, startConnectProxy, type ConnectProxy } from './support/connect-proxy.ts';
import { runCli } from './support/cli.ts';
import { chatStreamEvents, responsesStreamEvents, startFakeUpstream } from './support/fake-upstream.ts';
import { curl, eventually, startHarness, tempDir, within, type Harness } from './support/harness.ts';
import { execFile } from 'node:child_process';

const USER = 'bob';
const PASSWORD = 'pw-Zq81xK7';

function proxyOf(url: string): UpstreamProxy {
  const parsed = parseUpstreamProxy(url);
  if ('problem' in parsed) throw new Error(`not a proxy URL: ${url}`);
  return parsed;
}

function storedWhere(h: Harness, filter: (e: Exchange) => boolean): Promise<Exchange> {
  return eventually(() => {
    const found = h.wirelog.reader.list({ limit: 1000 }).find(filter);
    return found && found.state !== 'pending' && found.state !== 'streaming' ? found : null;
  }, 'the exchange to be stored');
}

/** Every file under `dir`, read as bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => {
      const file = path.join(d.parentPath, d.name);
      return { file, bytes: fs.readFileSync(file) };
    });
}

describe('through an upstream proxy that asks for credentials', () => {
  let proxy: ConnectProxy;
  let h: Harness;
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  beforeAll(async () => {
    proxy = await startConnectProxy({
      credentials: `${USER}:${PASSWORD}`,
      hosts: { 'only-via-proxy.test': '127.0.0.1', 'replay-via-proxy.test': '127.0.0.1' },
    });
    h = await startHarness({ upstreamProxy: proxyOf(`http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`) });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
  });

  it('sends an HTTPS exchange through a CONNECT to its host, with the credentials, and captures it', async () => {
    const result = await curl(h, ['--max-time', '30', `https://127.0.0.1:${h.upstream.httpsPort}/v1/models`]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString()).object).toBe('list');
    expect(proxy.connects).toEqual([{ target: `127.0.0.1:${h.upstream.httpsPort}`, authorization }]);
    const ex = await storedWhere(h, (e) => e.request.path === '/v1/models' && e.request.scheme === 'https');
    expect(ex.state).toBe('complete');
    expect(ex.response?.status).toBe(200);
    expect(h.wirelog.reader.body(ex.id, 'response').toString()).toBe(result.stdout.toString());
  });

  it('sends a plain HTTP exchange through a CONNECT too (the tunnel carries it as it is)', async () => {
    const before = proxy.connects.length;
    const result = await curl(h, ['--max-time', '30', `${h.upstream.httpUrl}/echo?x=1`, '-d', 'hello']);
    expect(result.stderr).toBe('');
    expect(proxy.connects.slice(before)).toEqual([{ target: `127.0.0.1:${h.upstream.httpPort}`, authorization }]);
    const received = h.upstream.received.at(-1)!;
    expect(received.url).toBe('/echo?x=1');
    expect(received.body.toString()).toBe('hello');
    const ex = await storedWhere(h, (e) => e.request.path === '/echo?x=1');
    expect(ex).toMatchObject({ state: 'complete', response: { status: 200 } });
  });

  it('relays and splits an SSE stream through it as it does directly', async () => {
    const result = await curl(h, [
      '--max-time',
      '30',
      '-N',
      // A name only the proxy resolves: the stream cannot have come any other way.
      `http://only-via-proxy.test:${h.upstream.httpPort}/v1/chat/completions`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify({ model: 'proxied-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    ]);
    expect(result.stderr).toBe('');
    const expected = chatStreamEvents('proxied-model');
    expect(result.stdout.toString()).toBe(expected.map((d) => `data: ${d}\n\n`).join(''));
    const ex = await storedWhere(h, (e) => e.call?.model === 'proxied-model');
    expect(ex.state).toBe('complete');
    expect(h.wirelog.reader.sseEvents(ex.id).map((e) => e.data)).toEqual(expected);
    expect(proxy.connects.at(-1)).toEqual({ target: `only-via-proxy.test:${h.upstream.httpPort}`, authorization });
  });

  it('sends a WebSocket upgrade and the gateway form through it', async () => {
    const before = proxy.connects.length;
    // Origins spelt as no request before spelt them: their connections are new, not kept-alive ones.
    const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
      agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
      ca: h.caPem,
    });
    try {
      await within(
        new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        }),
        'the WebSocket to open',
      );
      const expected = responsesStreamEvents('ws-proxied').length;
      let got = 0;
      const done = new Promise<void>((resolve) =>
        ws.on('message', () => {
          if (++got === expected) resolve();
        }),
      );
      ws.send(
        JSON.stringify({ type: 'response.create', model: 'ws-proxied', input: [{ role: 'user', content: 'hi' }] }),
      );
      await within(done, 'the WebSocket answer');
    } finally {
      ws.close();
    }
    expect(h.upstream.wsReceived.at(-1)).toContain('ws-proxied');
    const gateway = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        [
          '-s',
          '--max-time',
          '30',
          '--noproxy',
          '*',
          `http://127.0.0.1:${h.wirelog.proxy.port}/http/localhost:${h.upstream.httpPort}/v1/models`,
        ],
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(gateway).object).toBe('list');
    expect(proxy.connects.slice(before)).toEqual([
      { target: `localhost:${h.upstream.httpsPort}`, authorization },
      { target: `localhost:${h.upstream.httpPort}`, authorization },
    ]);
  });

  it('sends a replay through it: a name only the proxy resolves is reached', async () => {
    const original = (await storedWhere(h, (e) => e.request.path === '/echo?x=1')).id;
    const url = `http://replay-via-proxy.test:${h.upstream.httpPort}/echo?x=replayed`;
    const res = await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${original}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: h.wirelog.viewer!.url, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ url }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: number };
    const replay = await storedWhere(h, (e) => e.id === id);
    expect(replay).toMatchObject({ state: 'complete', response: { status: 200 } });
    expect(replay.request.replayOf).toBe(original);
    expect(h.upstream.received.at(-1)?.url).toBe('/echo?x=replayed');
    expect(proxy.connects.at(-1)).toEqual({ target: `replay-via-proxy.test:${h.upstream.httpPort}`, authorization });
  });

  it('never stores, logs or shows the proxy credentials', async () => {
    await h.stored();
    await h.wirelog.writer.flush();
    const needles = [PASSWORD, authorization.slice('Basic '.length)];
    for (const { file, bytes } of filesUnder(h.dataDir))
      for (const needle of needles) expect(bytes.includes(needle), `${needle} in ${file}`).toBe(false);
    for (const needle of needles) expect(h.logs.join('\n')).not.toContain(needle);
  });
});

describe('an upstream proxy that fails: the exchange records why, the client gets its error', () => {
  async function failing(
    proxyUrl: string,
    overrides: Partial<WirelogConfig> = {},
  ): Promise<{ h: Harness; status: string; body: string; ex: Exchange }> {
    const h = await startHarness({ upstreamProxy: proxyOf(proxyUrl), ...overrides });
    try {
      const result = await curl(h, ['-i', '--max-time', '40', `${h.upstream.httpsUrl}/v1/models`]);
      const text = result.stdout.toString();
      // The tunnel's own 200, then wirelog's answer.
      const answer = text.slice(text.lastIndexOf('HTTP/1.1 '));
      const ex = await storedWhere(h, (e) => e.request.path === '/v1/models');
      return { h, status: answer.split(' ')[1], body: answer.slice(answer.indexOf('\r\n\r\n') + 4), ex };
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  it('407 without credentials: says to give them in the flag', async () => {
    const proxy = await startConnectProxy({ credentials: `${USER}:${PASSWORD}` });
    const { h, status, body, ex } = await failing(proxy.url);
    try {
      const said = `the upstream proxy http://127.0.0.1:${proxy.port} asks for credentials (407) for CONNECT localhost:${h.upstream.httpsPort}: give them as --upstream-proxy http://USER:PASS@HOST:PORT`;
      expect(status).toBe('502');
      expect(body).toBe(`wirelog: ${said}\n`);
      expect(ex).toMatchObject({ state: 'upstream_error', error: said, response: null });
      expect(localized(ex.error!, 'zh-CN')).toContain('上游代理');
      expect(h.upstream.received).toEqual([]);
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  it('407 with the wrong credentials: says so, the password masked', async () => {
    const proxy = await startConnectProxy({ credentials: `${USER}:${PASSWORD}` });
    const { h, status, body, ex } = await failing(`http://${USER}:wrong-secret-77@127.0.0.1:${proxy.port}`);
    try {
      expect(status).toBe('502');
      expect(ex.state).toBe('upstream_error');
      expect(ex.error).toBe(
        `the upstream proxy http://${USER}:****@127.0.0.1:${proxy.port} refused the credentials in --upstream-proxy (407) for CONNECT localhost:${h.upstream.httpsPort}`,
      );
      expect(body).not.toContain('wrong-secret-77');
      expect(proxy.connects[0].authorization).toBe(
        `Basic ${Buffer.from(`${USER}:wrong-secret-77`).toString('base64')}`,
      );
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  it('an HTTPS upstream through it is trusted as a direct one is: an unknown CA is refused', async () => {
    const proxy = await startConnectProxy();
    const { h, status, ex } = await failing(proxy.url, { upstreamCaFile: undefined });
    try {
      expect(status).toBe('502');
      expect(proxy.connects.map((c) => c.target)).toEqual([`localhost:${h.upstream.httpsPort}`]);
      expect(ex.state).toBe('upstream_error');
      expect(ex.error).toMatch(
        new RegExp(
          `^TLS handshake with localhost:${h.upstream.httpsPort} failed: .*(SELF_SIGNED|self-signed).*--upstream-ca`,
        ),
      );
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  it('502 to the CONNECT: the proxy could not reach the upstream', async () => {
    const proxy = await startConnectProxy({ refuse: 502 });
    const { h, status, ex } = await failing(proxy.url);
    try {
      expect(status).toBe('502');
      const where = `localhost:${h.upstream.httpsPort}`;
      expect(ex).toMatchObject({
        state: 'upstream_error',
        error: `the upstream proxy http://127.0.0.1:${proxy.port} answered 502 to CONNECT ${where}: it could not reach ${where}, or does not allow it`,
      });
      expect(localized(ex.error!, 'zh-CN')).toContain('回复了 502');
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  it('nothing listening at the proxy: connection refused, naming the proxy and the fix', async () => {
    const port = await closedPort();
    const { h, status, ex } = await failing(`http://127.0.0.1:${port}`);
    try {
      expect(status).toBe('502');
      expect(ex).toMatchObject({
        state: 'upstream_error',
        error: `the upstream proxy http://127.0.0.1:${port} refused the connection (ECONNREFUSED): start it, or fix the address in --upstream-proxy`,
      });
    } finally {
      await h.close();
    }
  });

  it('a proxy that never answers: given up after --connect-timeout, its socket closed', async () => {
    const proxy = await startConnectProxy({ silent: true });
    const { h, status, ex } = await failing(proxy.url, { connectTimeoutS: 1 });
    try {
      expect(status).toBe('504');
      expect(ex.state).toBe('upstream_error');
      expect(ex.error).toBe(
        `the upstream proxy http://127.0.0.1:${proxy.port} did not open a tunnel to localhost:${h.upstream.httpsPort} within 1 s (raise --connect-timeout / --idle-timeout if it is just slow)`,
      );
      await eventually(() => proxy.open() === 0, 'wirelog to close its connection to the silent proxy');
    } finally {
      await h.close();
      await proxy.close();
    }
  });
});

describe('wirelog run starting its own wirelog', () => {
  it('takes --upstream-proxy: the command’s calls go through it, and the shell-proxy line is not said', async () => {
    const upstream = await startFakeUpstream();
    const proxy = await startConnectProxy();
    const dataDir = tempDir();
    try {
      const caFile = path.join(dataDir, 'upstream-ca.pem');
      fs.writeFileSync(caFile, upstream.cert.certPem);
      const result = await runCli(
        [
          'run',
          '--data-dir',
          dataDir,
          '--upstream-ca',
          caFile,
          '--upstream-proxy',
          proxy.url,
          '--',
          'curl',
          '-s',
          '--max-time',
          '30',
          `https://127.0.0.1:${upstream.httpsPort}/v1/models`,
        ],
        { env: { https_proxy: proxy.url } },
      );
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).object).toBe('list');
      expect(proxy.connects.map((c) => c.target)).toEqual([`127.0.0.1:${upstream.httpsPort}`]);
      expect(result.stderr).not.toContain('is set in this shell');
    } finally {
      await proxy.close();
      await upstream.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
