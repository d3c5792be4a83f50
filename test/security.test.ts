import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runCli, startCli, WIRELOG_BIN } from './support/cli.ts';
import { curl, startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ proxyAuth: 'alice:s3cret' });
});
afterAll(() => h?.close());

describe('--proxy-auth', () => {
  it('refuses HTTPS tunnels and plain requests without the credentials (407)', async () => {
    // The harness's proxy URL carries the credentials: these go to the bare address instead.
    const bare = h.proxyUrl.replace('alice:s3cret@', '');
    const tunnel = await curl(h, ['--proxy', bare, '-v', `${h.upstream.httpsUrl}/v1/models`]);
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.stderr).toContain('407');
    const plain = await curl(h, ['--proxy', bare, '-i', `${h.upstream.httpUrl}/v1/models`]);
    expect(plain.stdout.toString()).toMatch(/^HTTP\/1\.1 407/);
    expect(plain.stdout.toString()).toContain('Proxy-Authenticate: Basic realm="wirelog"');
    const wrong = await curl(h, [
      '--proxy',
      bare,
      '--proxy-user',
      'alice:nope',
      '-i',
      `${h.upstream.httpUrl}/v1/models`,
    ]);
    expect(wrong.stdout.toString()).toMatch(/^HTTP\/1\.1 407/);
  });

  it('lets clients with the credentials through, and gives them in the proxy URL', async () => {
    expect(h.proxyUrl).toMatch(/^http:\/\/alice:s3cret@127\.0\.0\.1:\d+$/);
    const tunnel = await curl(h, [`${h.upstream.httpsUrl}/v1/models`]);
    expect(JSON.parse(tunnel.stdout.toString()).object).toBe('list');
    const plain = await curl(h, [`${h.upstream.httpUrl}/v1/models`]);
    expect(JSON.parse(plain.stdout.toString()).object).toBe('list');
  });

  it('decides loopback by the addresses a --host name resolves to, not by the name', async (ctx) => {
    // A private /etc/hosts in a mount namespace of its own (needs root, as CI runs): 127.lan.example is a LAN address.
    const hosts = path.join(tempDir(), 'hosts');
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    fs.writeFileSync(hosts, `127.0.0.1 localhost\n${lan ?? '192.0.2.1'} 127.lan.example\n`);
    const inNamespace = (args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const quoted = [process.execPath, WIRELOG_BIN, ...args].map((a) => `'${a}'`).join(' ');
        const child = spawn('unshare', ['-m', 'sh', '-c', `mount --bind '${hosts}' /etc/hosts && exec ${quoted}`], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const onData = (d: Buffer) => {
          output += d;
          // The warning follows the banner, on the other stream: stopped once both are in (or by the timer below, and the test says what is missing).
          if (output.includes('Press Ctrl-C') && output.includes('WARNING: listening on')) child.kill('SIGINT');
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', () => resolve({ code: -1, output }));
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
    const probe = await inNamespace(['--version']);
    if (probe.code !== 0 || !lan) return ctx.skip();
    const refused = await inNamespace([
      'start',
      '--host',
      '127.lan.example',
      '--proxy-port',
      '0',
      '--ui-port',
      '0',
      '--data-dir',
      tempDir(),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(
      'listening on 127.lan.example lets other machines use this proxy: add --proxy-auth',
    );
    const open = await inNamespace([
      'start',
      '--host',
      '127.lan.example',
      '--proxy-auth',
      'a:b',
      '--proxy-port',
      '0',
      '--ui-port',
      '0',
      '--data-dir',
      tempDir(),
    ]);
    expect(open.output).toMatch(/viewer: +http:\/\/127\.lan\.example:\d+\/\?token=[\w-]+/);
    expect(open.output).toContain('WARNING: listening on 127.lan.example');
  });

  it('is required to listen beyond loopback', async () => {
    const open = await runCli(['start', '--host', '0.0.0.0', '--proxy-port', '0', '--ui-port', '0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(
      'listening on 0.0.0.0 lets other machines use this proxy: add --proxy-auth user:password',
    );
    const malformed = await runCli(['start', '--proxy-auth', 'no-colon']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--proxy-auth must be user:password');
  });
});

describe('the viewer', () => {
  const get = (url: string, headers: Record<string, string> = {}) => request(url, { headers });

  it('on loopback answers only loopback Host names: a rebound DNS name is refused', async () => {
    const url = h.wirelog.viewer!.url;
    const port = h.wirelog.viewer!.port;
    expect(h.wirelog.viewer!.token).toBeNull();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`])
      expect((await get(`${url}/api/status`, { host })).statusCode).toBe(200);
    for (const host of [`attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, 'localhost', `localhost:${port + 1}`]) {
      const res = await get(`${url}/api/status`, { host });
      expect(res.statusCode).toBe(403);
      expect(await res.body.text()).toContain(`wirelog refuses requests for Host "${host}"`);
    }
  });

  it('refuses API calls from other sites (Sec-Fetch-Site, Origin), and lets pages link to it', async () => {
    const url = h.wirelog.viewer!.url;
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' } as Record<string, string>,
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://attacker.example' },
      { origin: `http://localhost:${h.wirelog.viewer!.port + 1}` },
    ]) {
      const res = await get(`${url}/api/exchanges`, headers);
      expect(res.statusCode).toBe(403);
      expect(((await res.body.json()) as { error: string }).error).toMatch(/^cross-site request refused/);
    }
    expect((await get(`${url}/api/exchanges`, { 'sec-fetch-site': 'same-origin', origin: url })).statusCode).toBe(200);
    expect((await get(`${url}/api/exchanges`)).statusCode).toBe(200); // curl, scripts
    expect((await get(`${url}/`, { 'sec-fetch-site': 'cross-site' })).statusCode).not.toBe(403); // a link to the viewer
  });

  it('beyond loopback needs the token printed once on the console, whatever name it is opened by', async () => {
    const open = await startHarness({ host: '0.0.0.0', proxyAuth: 'alice:s3cret' });
    try {
      const { token, port } = open.wirelog.viewer!;
      expect(token).toMatch(/^[\w-]{32}$/);
      const url = `http://127.0.0.1:${port}`;
      const host = `wirelog-box.lan:${port}`;
      for (const headers of [
        {} as Record<string, string>,
        { host },
        { authorization: 'Bearer wrong' },
        { cookie: 'wirelog_token=wrong' },
      ]) {
        const res = await get(`${url}/api/exchanges`, headers);
        expect(res.statusCode).toBe(401);
        expect(await res.body.text()).toContain('needs its token');
      }
      expect((await get(`${url}/?token=wrong`)).statusCode).toBe(401);
      const entry = await get(`${url}/exchanges/1?token=${token}`, { host });
      expect(entry.statusCode).toBe(303);
      expect(entry.headers.location).toBe('/exchanges/1');
      const cookie = String(entry.headers['set-cookie']);
      expect(cookie).toMatch(/^wirelog_token=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const withCookie = await get(`${url}/api/exchanges`, {
        host,
        cookie: cookie.split(';')[0],
        'sec-fetch-site': 'same-origin',
        origin: `http://${host}`,
      });
      expect(withCookie.statusCode).toBe(200);
      const status = await get(`${url}/api/status`, { authorization: `Bearer ${token}` });
      expect(status.statusCode).toBe(200);
      const { proxyUrl } = (await status.body.json()) as { proxyUrl: string };
      expect(proxyUrl).toMatch(/^http:\/\/alice:\*\*\*\*@/);
      // After the token exchange, only ever a path of the viewer itself.
      for (const offsite of ['//evil.example/', '/\\evil.example/', '///evil.example/x']) {
        const moved = await get(`${url}${offsite}?token=${token}`, { host });
        expect(moved.statusCode).toBe(303);
        expect(moved.headers.location).toMatch(/^\/[^/\\]/);
      }
      // The token does not make other sites' pages welcome.
      expect(
        (await get(`${url}/api/exchanges`, { host, cookie: cookie.split(';')[0], origin: 'https://attacker.example' }))
          .statusCode,
      ).toBe(403);
    } finally {
      await open.close();
    }
  });

  it('prints the token once, with a warning, when started beyond loopback', async () => {
    const { child, output } = await startCli(
      [
        'start',
        '--host',
        '0.0.0.0',
        '--proxy-auth',
        'a:b',
        '--proxy-port',
        '0',
        '--ui-port',
        '0',
        '--data-dir',
        tempDir(),
      ],
      'WARNING',
    );
    try {
      const printed = output();
      const token = /viewer: +http:\/\/0\.0\.0\.0:\d+\/\?token=([\w-]+) +\(the token is shown only here\)/.exec(
        printed,
      )?.[1];
      expect(token).toBeDefined();
      expect(printed.split(token!).length - 1).toBe(1);
      expect(printed).toContain('WARNING: listening on 0.0.0.0');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
  });
});
