// Third-party clients launched by `wirelog run` (and set up by `wirelog env`) with no setting by
// hand: each one's request must reach the upstream through wirelog and be stored.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustInstructions } from '../certs/trust.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import type { Exchange } from '../model/exchange.ts';
import { CHAT_DELTAS, startFakeUpstreamWithCaFile, type FakeUpstream } from './support/fake-upstream.ts';
import { runCli, WIRELOG_BIN } from './support/cli.ts';
import { tempDir } from './support/harness.ts';

const run = promisify(execFile);
let upstream: FakeUpstream;
let upstreamCa: string;
beforeAll(async () => {
  ({ upstream, caFile: upstreamCa } = await startFakeUpstreamWithCaFile(tempDir()));
});
afterAll(() => upstream?.close());

const ciPython = path.resolve('.ci-python');
// Importable, not merely present: an install cut short by its timeout leaves a partial tree.
const realAiohttp = await run('python3', ['-c', 'import aiohttp'], {
  env: { ...process.env, PYTHONPATH: ciPython },
}).then(
  () => true,
  () => false,
);

function stored(dataDir: string): Exchange[] {
  const db = openDatabase(dataDir);
  try {
    return new ExchangeReader(db).list();
  } finally {
    db.close();
  }
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, name)));
}

/** `wirelog run` with a private proxy on this data dir, trusting the fake upstream's certificate. */
function runThrough(dataDir: string, command: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['run', '--data-dir', dataDir, '--upstream-ca', upstreamCa, '--', ...command], { env });
}

describe('clients that read no proxy variable, launched by wirelog run', () => {
  it("Node's https.get, got and ws with no agent go through wirelog (the bootstrap installs global-agent)", async () => {
    const dataDir = tempDir();
    const script = `
      const https = require('https');
      const WebSocket = require('ws');
      https.get('${upstream.httpsUrl}/v1/models', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          console.log('https.get ' + res.statusCode + ' ' + body.length);
          const ws = new WebSocket('wss://localhost:${upstream.httpsPort}/v1/responses');
          let n = 0;
          ws.on('open', () => ws.send(JSON.stringify({ type: 'response.create', model: 'ws-no-agent', input: [] })));
          ws.on('message', (m) => {
            if (JSON.parse(m.toString()).type !== 'response.completed') return;
            console.log('ws done');
            ws.close();
            import('got').then(({ default: got }) => got('${upstream.httpsUrl}/v1/models?client=got').text()).then((t) => console.log('got ' + t.length), (e) => { console.log('got error ' + e.message); process.exit(4); });
          });
          ws.on('error', (e) => { console.log('ws error ' + e.message); process.exit(3); });
        });
      }).on('error', (e) => { console.log('https.get error ' + e.message); process.exit(2); });`;
    const result = await runThrough(dataDir, [process.execPath, '-e', script]);
    expect(result.stdout).toContain('https.get 200');
    expect(result.stdout).toContain('ws done');
    expect(result.stdout).toMatch(/got \d+/);
    expect(result.code).toBe(0);
    const exchanges = stored(dataDir);
    expect(exchanges.find((e) => e.request.path === '/v1/models')).toMatchObject({
      state: 'complete',
      response: { status: 200 },
    });
    expect(exchanges.find((e) => e.streamKind === 'websocket')).toMatchObject({
      request: { scheme: 'wss', path: '/v1/responses' },
      response: { status: 101 },
    });
    expect(exchanges.find((e) => e.request.path === '/v1/models?client=got')).toMatchObject({
      response: { status: 200 },
    });
  });

  it.skipIf(!hasCommand('wget'))(
    "wget (GnuTLS) trusts wirelog through a generated WGETRC that keeps the user's own settings",
    async () => {
      const dataDir = tempDir();
      const home = tempDir();
      fs.writeFileSync(path.join(home, '.wgetrc'), 'user_agent = chained-wgetrc/1.0\n');
      const result = await runThrough(dataDir, ['wget', '-q', '-O', '-', `${upstream.httpsUrl}/v1/models`], {
        HOME: home,
        WGETRC: '',
      });
      // wget -q says nothing (no certificate complaint); wirelog run's own lines start "wirelog: ".
      expect(result.stderr.split('\n').filter((line) => line && !line.startsWith('wirelog: '))).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('test-model');
      const [exchange] = stored(dataDir);
      expect(exchange).toMatchObject({ request: { path: '/v1/models' }, response: { status: 200 } });
      expect(exchange.request.headers.find(([n]) => n.toLowerCase() === 'user-agent')?.[1]).toBe('chained-wgetrc/1.0');
    },
  );

  it.skipIf(!hasCommand('wget'))(
    'a wget that does not trust wirelog is recorded, with the untrusted-CA diagnosis',
    async () => {
      const dataDir = tempDir();
      // Its own CA file (not wirelog's) wins over the WGETRC: the handshake with wirelog fails.
      const result = await runThrough(dataDir, [
        'wget',
        '-q',
        '-O',
        '-',
        `--ca-certificate=${upstreamCa}`,
        `${upstream.httpsUrl}/v1/models`,
      ]);
      expect(result.code).not.toBe(0);
      const connect = stored(dataDir).find((e) => e.request.method === 'CONNECT');
      expect(
        connect?.diagnosis?.summary,
        JSON.stringify(stored(dataDir).map((e) => [e.request.method, e.state, e.error])),
      ).toMatch(/trust|CA/i);
    },
  );

  it.skipIf(!hasCommand('npm'))(
    'npm trusts wirelog even with a cafile in the global npmrc (npm_config_cafile wins)',
    async () => {
      const dataDir = tempDir();
      const npmrc = path.join(tempDir(), 'npmrc');
      fs.writeFileSync(npmrc, `cafile=${upstreamCa}\n`); // a managed machine's own CA, which is not wirelog's
      const result = await runThrough(dataDir, ['npm', 'ping', '--registry', `${upstream.httpsUrl}/npm/`], {
        npm_config_globalconfig: npmrc,
      });
      const ping = stored(dataDir).find((e) => e.request.path.startsWith('/npm/-/ping'));
      // The TLS handshake with wirelog worked: the request itself reached the upstream (which has no registry).
      expect(ping?.response?.status, result.stderr).toBe(404);
    },
  );

  it("Python aiohttp: wirelog's sitecustomize makes new sessions read the proxy variables, and runs the one it hides", async () => {
    const dataDir = tempDir();
    // A stand-in aiohttp with the real one's shape (trust_env defaults to False), and a user's own sitecustomize.
    const stub = tempDir();
    fs.mkdirSync(path.join(stub, 'aiohttp'));
    fs.writeFileSync(path.join(stub, 'aiohttp', '__init__.py'), 'from .client import ClientSession\n');
    fs.writeFileSync(
      path.join(stub, 'aiohttp', 'client.py'),
      'class ClientSession:\n    def __init__(self, *, trust_env=False):\n        self.trust_env = trust_env\n',
    );
    const own = tempDir();
    fs.writeFileSync(path.join(own, 'sitecustomize.py'), 'import os\nos.environ["USER_SITECUSTOMIZE"] = "ran"\n');
    const code =
      'import os, aiohttp; print(aiohttp.ClientSession().trust_env, aiohttp.ClientSession(trust_env=False).trust_env, os.environ.get("USER_SITECUSTOMIZE"))';
    const result = await runThrough(dataDir, ['python3', '-c', code], { PYTHONPATH: [own, stub].join(path.delimiter) });
    expect(result.stdout.trim()).toBe('True False ran');
  });

  it.skipIf(!realAiohttp)(
    'Python aiohttp itself (installed by .ci/run when pip reaches it) streams a chat completion through wirelog',
    async () => {
      const dataDir = tempDir();
      const code = `
import asyncio, aiohttp
async def main():
    async with aiohttp.ClientSession() as s:
        async with s.post('${upstream.httpsUrl}/v1/chat/completions', json={'model': 'aiohttp-model', 'stream': True, 'messages': []}) as r:
            print(r.status, len(await r.text()))
asyncio.run(main())`;
      const result = await runThrough(dataDir, ['python3', '-c', code], { PYTHONPATH: ciPython });
      expect(result.stdout, result.stderr).toMatch(/^200 \d+/);
      expect(stored(dataDir).find((e) => e.request.path === '/v1/chat/completions')).toMatchObject({
        streamKind: 'sse',
        response: { status: 200 },
      });
    },
  );

  it.skipIf(!fs.existsSync('/usr/bin/chromium'))(
    'Debian Chromium opens a page on a loopback relay and streams a chat completion from it: wirelog run adds the flags itself',
    async () => {
      const dataDir = tempDir();
      const profile = tempDir();
      const result = await runThrough(dataDir, [
        '/usr/bin/chromium',
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        '--dump-dom',
        `${upstream.httpsUrl}/chat.html`,
      ]);
      expect(result.stdout, result.stderr.slice(-2000)).toContain(`answer: ${CHAT_DELTAS.join('')}`);
      const chat = stored(dataDir).find((e) => e.request.path === '/v1/chat/completions');
      expect(chat).toMatchObject({
        streamKind: 'sse',
        state: 'complete',
        response: { status: 200 },
        call: { model: 'browser-model' },
      });
      expect(chat!.eventCount).toBeGreaterThan(CHAT_DELTAS.length);
    },
  );
});

describe('wirelog env for every shell', () => {
  const WIRELOG = [process.execPath, WIRELOG_BIN];
  it.skipIf(!hasCommand('fish'))('fish: both `| source` and `eval (…)` set the variables', async () => {
    const dataDir = tempDir();
    const env = `${WIRELOG.join(' ')} env --shell fish --data-dir ${dataDir}`;
    for (const form of [`${env} | source`, `eval (${env})`]) {
      const { stdout, stderr } = await run('fish', ['-c', `${form}; echo "$HTTPS_PROXY|$WGETRC|$NO_PROXY"`], {
        env: { ...process.env, NO_PROXY: 'localhost' },
      });
      expect(stderr, form).not.toMatch(/fish:|set:|invalid/);
      expect(stdout.trim(), form).toBe(`http://127.0.0.1:8899|${path.join(dataDir, 'clients', 'wgetrc')}|`);
    }
  });

  it('PowerShell output is valid assignments only (pwsh does not install here: checked against its grammar for these two statements)', async () => {
    const { stdout } = await runCli(['env', '--shell', 'powershell', '--data-dir', tempDir()]);
    const lines = stdout.trim().split('\n');
    for (const line of lines)
      expect(line).toMatch(
        /^(\$env:[A-Za-z_][A-Za-z0-9_]* = '(?:[^']|'')*'|Remove-Item Env:[A-Za-z_][A-Za-z0-9_]* -ErrorAction SilentlyContinue)$/,
      );
    expect(lines.some((l) => l.startsWith('$env:NODE_OPTIONS = '))).toBe(true);
  });

  it('bash: the variables for the clients above are there', async () => {
    const { stdout } = await runCli(['env', '--data-dir', tempDir()]);
    for (const name of ['npm_config_cafile', 'WGETRC', 'PYTHONPATH']) expect(stdout).toContain(`export ${name}=`);
  });

  it('wirelog ca prints the three Chromium flags, the loopback one included', async () => {
    const { stdout } = await runCli(['ca', '--data-dir', tempDir()]);
    expect(stdout).toMatch(
      /--proxy-server=http:\/\/127\.0\.0\.1:8899 --proxy-bypass-list=<-loopback> --ignore-certificate-errors-spki-list=\S{44}/,
    );
  });

  it("wirelog ca's system-trust lines work as root (no sudo) and as a user (sudo)", () => {
    expect(trustInstructions('/ca.pem', true)).toContain(
      '    cp "/ca.pem" /usr/local/share/ca-certificates/wirelog.crt && update-ca-certificates',
    );
    expect(trustInstructions('/ca.pem', false)).toContain(
      '    sudo cp "/ca.pem" /usr/local/share/ca-certificates/wirelog.crt && sudo update-ca-certificates',
    );
  });
});
