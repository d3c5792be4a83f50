import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caFiles, loadOrCreateCa } from '../certs/ca.ts';
import { ExchangeReader } from '../db/reader.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { CHAT_DELTAS, startFakeUpstreamWithCaFile, type FakeUpstream } from './support/fake-upstream.ts';
import { runCli, startWirelogProcess } from './support/cli.ts';
import { ProxyAgent, request } from 'undici';
import { eventually, tempDir } from './support/harness.ts';

let upstream: FakeUpstream;
let upstreamCa: string;
beforeAll(async () => {
  ({ upstream, caFile: upstreamCa } = await startFakeUpstreamWithCaFile(tempDir()));
});
afterAll(() => upstream?.close());

function storedExchanges(dataDir: string) {
  const db = openDatabase(dataDir);
  try {
    return new ExchangeReader(db).list();
  } finally {
    db.close();
  }
}

describe('wirelog run', () => {
  it("runs a Node program whose global fetch goes through wirelog, and exits with the program's code", async () => {
    const dataDir = tempDir();
    const script = `
      const res = await fetch('${upstream.httpsUrl}/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-run-test-key-0042' },
        body: JSON.stringify({ model: 'run-model', messages: [] }),
      });
      const body = await res.json();
      console.log(body.choices[0].message.content);
      console.log('NO_PROXY=' + (process.env.NO_PROXY ?? 'unset'));
      console.log('HTTPS_PROXY=' + process.env.HTTPS_PROXY);
      process.exit(7);`;
    const result = await runCli(
      [
        'run',
        '--data-dir',
        dataDir,
        '--upstream-ca',
        upstreamCa,
        '--',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      {
        env: { NO_PROXY: 'localhost,127.0.0.1' },
      },
    );
    expect(result.stderr).not.toContain('Error');
    expect(result.code).toBe(7);
    expect(result.stdout).toContain(CHAT_DELTAS.join(''));
    expect(result.stdout).toContain('NO_PROXY=unset');
    expect(result.stdout).toMatch(/HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+/);
    // Its last line says where the one capture went: no wirelog was running, so how to see it.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(
        `^wirelog: captured 1 exchange into ${dataDir}: see it with \`node \\S*bin/wirelog\\.js list --data-dir ${dataDir}\``,
      ),
    );
    const stored = storedExchanges(dataDir);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      state: 'complete',
      request: { method: 'POST', host: 'localhost', path: '/v1/chat/completions' },
      response: { status: 200 },
    });
  });

  it('passes standard input and output through', async () => {
    const result = await runCli(['run', '--data-dir', tempDir(), '--', 'cat'], { input: 'piped through\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('piped through\n');
  });

  it('says clearly when the command is missing or cannot be found', async () => {
    const missing = await runCli(['run', '--data-dir', tempDir()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('wirelog: wirelog run needs a command to start: wirelog run -- COMMAND [ARGS...]\n');
    const notFound = await runCli(['run', '--data-dir', tempDir(), '--', 'no-such-command-wirelog']);
    expect(notFound.code).toBe(127);
    expect(notFound.stderr).toContain('command not found: no-such-command-wirelog');
  });

  it('uses the wirelog already serving the data dir', async () => {
    const dataDir = tempDir();
    const server = await startWirelogProcess(dataDir, ['--upstream-ca', upstreamCa]);
    try {
      const result = await runCli([
        'run',
        '--data-dir',
        dataDir,
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.HTTPS_PROXY)',
      ]);
      expect(result.stdout.trim()).toBe(server.proxyUrl);
      expect(result.stderr).toBe(`wirelog: the captures are in the running wirelog: ${server.viewerUrl}\n`);
      const second = await runCli(['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`wirelog is already running on ${dataDir}`);
    } finally {
      await server.stop();
    }
  });
});

describe('wirelog start', () => {
  it('prints how to use it, captures, and on Ctrl-C stores what is pending and exits 0', async () => {
    const dataDir = tempDir();
    const server = await startWirelogProcess(dataDir, ['--upstream-ca', upstreamCa]);
    const out = server.output();
    expect(server.proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.viewerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(caFiles(dataDir).certPath);
    // No wirelog on this PATH: the banner writes the command as it runs here, and says so once.
    expect(out).toMatch(/^ {2}node \S*bin\/wirelog\.js run -- codex exec "hello"/m);
    expect(out).toContain('eval "$(node bin/wirelog.js env)"');
    expect(out.split('is not on your PATH')).toHaveLength(2);
    const run = await runCli(['run', '--data-dir', dataDir, '--', 'curl', '-s', `${upstream.httpsUrl}/v1/models`]);
    expect(JSON.parse(run.stdout).object).toBe('list');
    expect(await server.stop()).toBe(0);
    expect(storedExchanges(dataDir).map((e) => e.request.path)).toContain('/v1/models');
    expect(fs.existsSync(path.join(dataDir, 'instance.json'))).toBe(false);
  });

  it('leaves no exchange open: stopped mid-stream it ends them, killed mid-stream the next start marks them interrupted', async () => {
    const dataDir = tempDir();
    const openStream = async (proxyUrl: string) => {
      const ca = fs.readFileSync(caFiles(dataDir).certPath, 'utf8');
      const res = await request(`${upstream.httpsUrl}/v1/endless`, {
        dispatcher: new ProxyAgent({ uri: proxyUrl, requestTls: { ca } }),
      });
      res.body.on('error', () => undefined);
      res.body.resume();
      await eventually(
        () => storedExchanges(dataDir).some((e) => e.state === 'streaming'),
        'a stored streaming exchange',
      );
    };
    const args = ['--upstream-ca', upstreamCa];

    const first = await startWirelogProcess(dataDir, args);
    await openStream(first.proxyUrl);
    await first.stop();
    expect(storedExchanges(dataDir).map((e) => e.state)).toEqual([expect.stringMatching(/^(aborted|interrupted)$/)]);

    const second = await startWirelogProcess(dataDir, args);
    await openStream(second.proxyUrl);
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));
    expect(storedExchanges(dataDir)[0].state).toBe('streaming');

    const third = await startWirelogProcess(dataDir, args);
    // Marked after it listens, between capture's batches (db/writer-worker.ts).
    await eventually(
      () => third.output().includes('1 exchange(s) left open by an earlier run are now marked interrupted'),
      'the leftover to be marked interrupted',
    );
    await third.stop();
    expect(storedExchanges(dataDir)[0]).toMatchObject({
      state: 'interrupted',
      error: 'wirelog stopped before this exchange ended',
    });
  });

  it('refuses a port in use with one line naming the fix', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['start', '--data-dir', tempDir(), '--proxy-port', String(port), '--ui-port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        // The blocker answers nothing: it is not said to be a wirelog (test/llmfix-cli-zh: only a port that answers as one is).
        `wirelog: the proxy port ${port} is already in use: stop that program, or pick another port with --proxy-port N`,
      );
    } finally {
      blocker.close();
    }
  });

  it('rejects unknown flags and bad values', async () => {
    const unknown = await runCli(['start', '--prox-port', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--prox-port'");
    const badPort = await runCli(['start', '--proxy-port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--proxy-port must be a port number');
    const badTimeout = await runCli(['start', '--idle-timeout', '0']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('--idle-timeout must be a number of seconds above 0, not "0"');
  });

  it('makes a data dir that others can read owner-only, and says so once', async () => {
    for (const wide of [0o755, 0o777]) {
      const dataDir = tempDir();
      fs.chmodSync(dataDir, wide);
      const first = await runCli(['ca', '--data-dir', dataDir]);
      expect(first.code).toBe(0);
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(first.stderr).toContain(`the data dir ${dataDir} could be read by other users (mode ${wide.toString(8)})`);
      const again = await runCli(['ca', '--data-dir', dataDir]);
      expect(again.stderr).not.toContain('could be read by other users');
    }
  });

  it('explains an unusable data dir and a database from a newer wirelog', async () => {
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    const unusable = await runCli(['list', '--data-dir', file]);
    expect(unusable.code).toBe(1);
    expect(unusable.stderr).toContain(`the data dir ${file} cannot be used`);

    const dataDir = tempDir();
    openDatabase(dataDir).close();
    const db = new Database(databasePath(dataDir));
    db.pragma('user_version = 99');
    db.close();
    const newer = await runCli(['list', '--data-dir', dataDir]);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toContain('has schema version 99, newer than this wirelog understands');
  });
});

describe('wirelog env and wirelog ca', () => {
  it('prints the variables for each shell', async () => {
    const dataDir = tempDir();
    // No --shell: $SHELL decides (the test runner, its parent, is no shell).
    const bash = await runCli(['env', '--data-dir', dataDir], { env: { SHELL: '/bin/bash' } });
    expect(bash.stdout).toContain("export HTTPS_PROXY='http://127.0.0.1:8899'");
    expect(bash.stdout).toContain(`export CODEX_CA_CERTIFICATE='${caFiles(dataDir).certPath}'`);
    expect(bash.stdout).toContain('unset NO_PROXY');
    for (const name of [
      'HTTP_PROXY',
      'ALL_PROXY',
      'https_proxy',
      'NODE_EXTRA_CA_CERTS',
      'SSL_CERT_FILE',
      'REQUESTS_CA_BUNDLE',
      'CURL_CA_BUNDLE',
      'GIT_SSL_CAINFO',
      'CARGO_HTTP_CAINFO',
      'AWS_CA_BUNDLE',
      'NODE_OPTIONS',
      'NODE_USE_ENV_PROXY',
    ]) {
      expect(bash.stdout).toContain(`export ${name}=`);
    }
    const bundle = /SSL_CERT_FILE='([^']+)'/.exec(bash.stdout)![1];
    const bundlePem = fs.readFileSync(bundle, 'utf8');
    expect(bundlePem).toContain(fs.readFileSync(caFiles(dataDir).certPath, 'utf8').trim());
    expect(bundlePem.split('BEGIN CERTIFICATE').length).toBeGreaterThan(20);
    expect((await runCli(['env', '--data-dir', dataDir, '--shell', 'fish'])).stdout).toContain(
      "set -gx HTTPS_PROXY 'http://127.0.0.1:8899'",
    );
    expect((await runCli(['env', '--data-dir', dataDir, '--shell', 'powershell'])).stdout).toContain(
      "$env:HTTPS_PROXY = 'http://127.0.0.1:8899'",
    );
    const bad = await runCli(['env', '--shell', 'tcsh']);
    expect(bad.code).toBe(2);
  });

  it('shows the CA, its fingerprint and trust instructions; the key is owner-only', async () => {
    const dataDir = tempDir();
    const result = await runCli(['ca', '--data-dir', dataDir]);
    const files = caFiles(dataDir);
    const cert = new X509Certificate(fs.readFileSync(files.certPath));
    expect(result.stdout).toContain(files.certPath);
    expect(result.stdout).toContain(cert.fingerprint256);
    for (const os of ['macOS', 'Debian / Ubuntu', 'Fedora', 'Windows']) expect(result.stdout).toContain(os);
    expect(cert.ca).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 5 * 365 * 86400_000);
    expect(fs.statSync(files.keyPath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(files.leafKeyPath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    const pem = await runCli(['ca', '--pem', '--data-dir', dataDir]);
    expect(pem.stdout).toBe(fs.readFileSync(files.certPath, 'utf8'));
  });

  it('regenerates the CA on request, unless a wirelog is using it', async () => {
    const dataDir = tempDir();
    const before = (await runCli(['ca', '--pem', '--data-dir', dataDir])).stdout;
    const leafBefore = fs.readFileSync(caFiles(dataDir).leafKeyPath, 'utf8');
    const result = await runCli(['ca', '--regenerate', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('a new CA replaces the old one');
    const after = fs.readFileSync(caFiles(dataDir).certPath, 'utf8');
    expect(after).not.toBe(before);
    expect(fs.readFileSync(caFiles(dataDir).leafKeyPath, 'utf8')).not.toBe(leafBefore);
    expect(fs.statSync(caFiles(dataDir).keyPath).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain(new X509Certificate(after).fingerprint256);

    const server = await startWirelogProcess(dataDir);
    try {
      const refused = await runCli(['ca', '--regenerate', '--data-dir', dataDir]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('stop it, then regenerate');
    } finally {
      await server.stop();
    }
  });

  it('refuses an expired CA, naming the fix', async () => {
    const dataDir = tempDir();
    loadOrCreateCa(dataDir, new Date(Date.now() - 11 * 365 * 86400_000));
    const result = await runCli(['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the wirelog CA in \S+ expired on \S+: run `wirelog ca --regenerate` and trust the new one/,
    );
  });
});
