// pip (and other clients) percent-encode the `:` of host:port when they clean a URL's path: a
// link on an index served through the gateway comes back as /https/localhost%3A8443/...,
// which wirelog once looked up as a host name (issue 29). The real `pip download` through the
// gateway against a package index on 127.0.0.1, then raw requests: the decoded host still
// meets the check that refuses wirelog's own ports.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWirelog, type Wirelog } from '../cli/instance.ts';
import { gatewayAuthority } from '../proxy/gateway.ts';
import { sendRaw, tempDir, eventually, within } from './support/harness.ts';
import { selfSignedCertificate } from './support/upstream-cert.ts';

const WHEEL = 'demo_pkg-1.0-py3-none-any.whl';
const pipWorks = (() => {
  try {
    execFileSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the gateway decodes a percent-encoded host segment', () => {
  it.each([
    ['localhost%3A8443', { host: 'localhost', rawPort: '8443' }],
    ['localhost%3a8443', { host: 'localhost', rawPort: '8443' }],
    ['%5B%3A%3A1%5D%3A9', { host: '[::1]', rawPort: '9' }],
    ['openrouter.ai', { host: 'openrouter.ai', rawPort: undefined }],
    ['example.com:444', { host: 'example.com', rawPort: '444' }],
  ])('%s', (segment, expected) => expect(gatewayAuthority(segment)).toEqual(expected));

  it.each(['local%ZZhost', 'a%40b', 'a%2Fb', 'host%3A', 'a%20b', 'x%3A1%3A2'])('%s is not a host[:port]', (segment) =>
    expect(gatewayAuthority(segment)).toBeNull(),
  );
});

describe('pip download through the gateway, and raw encoded requests', () => {
  let dir: string;
  let index: https.Server;
  let indexPort: number;
  let wirelog: Wirelog;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = tempDir('wirelog-pip-');
    // A wheel pip can read: the package, its METADATA, WHEEL and RECORD.
    const wheel = path.join(dir, WHEEL);
    execFileSync('python3', [
      '-c',
      `import zipfile,sys
z=zipfile.ZipFile(sys.argv[1],'w')
z.writestr('demo_pkg/__init__.py','')
z.writestr('demo_pkg-1.0.dist-info/METADATA','Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1.0\\n')
z.writestr('demo_pkg-1.0.dist-info/WHEEL','Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')
z.writestr('demo_pkg-1.0.dist-info/RECORD','')
z.close()`,
      wheel,
    ]);
    const wheelBytes = fs.readFileSync(wheel);
    const sha = createHash('sha256').update(wheelBytes).digest('hex');
    const cert = selfSignedCertificate();
    index = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/simple/demo-pkg/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        // A relative link: pip resolves it against the page's (gateway) URL, then cleans the path.
        return void res.end(
          `<!DOCTYPE html><html><body><a href="../../files/${WHEEL}#sha256=${sha}">${WHEEL}</a></body></html>`,
        );
      }
      if (req.url === `/files/${WHEEL}`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': wheelBytes.length });
        return void res.end(wheelBytes);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => index.listen(0, '127.0.0.1', resolve));
    indexPort = (index.address() as AddressInfo).port;
    fs.writeFileSync(path.join(dir, 'upstream-ca.pem'), cert.certPem);
    wirelog = await startWirelog(
      {
        host: '127.0.0.1',
        proxyPort: 0,
        uiPort: 0,
        dataDir: path.join(dir, 'data'),
        keepSecrets: false,
        upstreamCaFile: path.join(dir, 'upstream-ca.pem'),
        insecureUpstream: false,
        maxBodyMb: 50,
        connectTimeoutS: 30,
        idleTimeoutS: 600,
        maxDbMb: 2048,
      },
      () => undefined,
    );
  });

  afterAll(async () => {
    await wirelog?.stop();
    await new Promise((resolve) => index?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!pipWorks)(
    'pip download with the gateway as its index: the wheel link comes back encoded and is fetched and captured',
    async () => {
      const dest = path.join(dir, 'dest');
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: dir,
        PIP_CONFIG_FILE: '/dev/null',
        PIP_NO_INPUT: '1',
      };
      const base = `http://127.0.0.1:${wirelog.proxy.port}/https/localhost:${indexPort}/simple`;
      const args = [
        '-m',
        'pip',
        'download',
        'demo-pkg==1.0',
        '--no-deps',
        '--no-cache-dir',
        '--disable-pip-version-check',
        '--index-url',
        base,
        '--trusted-host',
        `127.0.0.1:${wirelog.proxy.port}`,
        '--dest',
        dest,
      ];
      const child = spawn('python3', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const code = await within(
        new Promise<number | null>((resolve) => child.on('close', resolve)),
        'pip download to finish',
        120_000,
      );
      expect(output, output).toContain('Saved');
      expect(code).toBe(0);
      expect(fs.readdirSync(dest)).toEqual([WHEEL]);
      expect(seen).toContain(`/files/${WHEEL}`);
      // Stored under the upstream it reached: localhost and the index's port, not a host named "localhost%3A...".
      const stored = await eventually(async () => {
        await wirelog.writer.flush();
        return wirelog.reader
          .list({ limit: 100 })
          .find((e) => e.request.path === `/files/${WHEEL}` && e.state !== 'pending' && e.state !== 'streaming');
      }, 'the wheel download to be stored');
      expect(stored.request).toMatchObject({ host: 'localhost', port: indexPort, via: 'gateway' });
      expect(stored.response?.status).toBe(200);
    },
  );

  const get = async (target: string) =>
    (
      await sendRaw(
        wirelog.proxy.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${wirelog.proxy.port}\r\nConnection: close\r\n\r\n`,
      )
    ).toString('latin1');

  it("a raw request with %3A reaches the upstream; one for wirelog's own port, however encoded, is refused as a loop", async () => {
    expect(await get(`/https/localhost%3A${indexPort}/files/${WHEEL}`)).toMatch(/^HTTP\/1\.1 200/);
    for (const self of [
      `127.0.0.1%3A${wirelog.proxy.port}`,
      `localhost%3a${wirelog.proxy.port}`,
      `%5B%3A%3A1%5D%3A${wirelog.proxy.port}`,
      `127.0.0.1%3A${wirelog.viewer!.port}`,
    ]) {
      const answer = await get(`/http/${self}/api/exchanges`);
      expect(answer, self).toMatch(/^HTTP\/1\.1 508/);
      expect(answer).toContain('points at wirelog itself');
    }
  });

  it('a host segment that does not decode to host[:port] is refused in one line naming it', async () => {
    const answer = await get('/https/local%ZZhost/v1/models');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('"local%ZZhost" in the gateway URL is not HOST or HOST:PORT');
  });
});
