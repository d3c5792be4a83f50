// Small CLI texts in the user's language and true for an installed wirelog: the no-captures
// message names `wirelog start` (`npm start` works only in a clone), `wirelog codex-config`'s
// header comment is in the CLI's language, and a port in use says "another wirelog" only when the
// port answers as one (its viewer's /api/status, its proxy's own refusal), never as a guess.
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { runCli, startWirelogProcess, type WirelogProcess } from './support/cli.ts';
import { responsesStream, storedCallEvents } from './support/every-diagnosis-store.ts';
import { tempDir } from './support/harness.ts';

const ZH = { WIRELOG_LANG: '', LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
const made: string[] = [];
const dir = (prefix: string) => {
  const d = tempDir(prefix);
  made.push(d);
  return d;
};

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('no captures yet', () => {
  it.each([['doctor'], ['usage'], ['codex-config', '1']])(
    'wirelog %s names `wirelog start`, not npm start',
    async (...args) => {
      const empty = dir('wirelog-llmfix-empty-');
      for (const env of [{}, ZH]) {
        const result = await runCli([...args, '--data-dir', empty], { env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('`wirelog start`');
        expect(result.stderr).not.toContain('npm start');
      }
      const zh = await runCli([...args, '--data-dir', empty], { env: ZH });
      expect(zh.stderr).toMatch(/还没有(抓到任何请求|抓包记录)：先启动 wirelog（`wirelog start`）/);
    },
  );
});

describe('wirelog codex-config', () => {
  let dataDir = '';
  let id = 0;
  beforeAll(() => {
    dataDir = dir('wirelog-llmfix-codex-');
    const db = openDatabase(dataDir);
    new CaptureStore(db, understandEnded).apply(
      storedCallEvents('r1', 1_700_000_000_000, responsesStream('relay.example')),
    );
    id = new ExchangeReader(db).list({ limit: 1 })[0].id;
    db.close();
  });

  it('says where the block goes in the CLI language', async () => {
    const zh = await runCli(['codex-config', String(id), '--data-dir', dataDir], { env: ZH });
    expect(zh.code, zh.stderr).toBe(0);
    expect(zh.stdout.split('\n')[0]).toBe('# 写进 ~/.codex/config.toml');
    expect(zh.stdout).toContain('[model_providers.');
    const en = await runCli(['codex-config', String(id), '--data-dir', dataDir]);
    expect(en.stdout.split('\n')[0]).toBe('# in ~/.codex/config.toml');
  });
});

describe('a port in use', () => {
  let wirelog: WirelogProcess;
  let other: http.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    wirelog = await startWirelogProcess(dir('wirelog-llmfix-port-'));
    // Another program on a port: an HTTP server of its own, answering everything with 200.
    other = http.createServer((_req, res) => res.end('hello from another program\n'));
    other.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  }, 120_000);
  afterAll(async () => {
    await wirelog?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => other?.close(r));
  });

  const portOf = (url: string) => new URL(url).port;

  it('held by another program: no guess that it is a wirelog', async () => {
    const port = String((other.address() as net.AddressInfo).port);
    const start = ['start', '--data-dir', dir('wirelog-llmfix-start-'), '--proxy-port', port, '--ui-port', '0'];
    const en = await runCli(start);
    expect(en.code).toBe(1);
    expect(en.stderr.trim()).toBe(
      `wirelog: the proxy port ${port} is already in use: stop that program, or pick another port with --proxy-port N`,
    );
    const zh = await runCli(start, { env: ZH });
    expect(zh.stderr).toContain(`端口 ${port} 已被占用：停掉那个程序`);
    expect(zh.stderr).not.toContain('wirelog？');
    expect(zh.stderr).not.toContain('另一个 wirelog');
  });

  it("held by a wirelog's proxy or viewer: said to be another wirelog", async () => {
    const proxyPort = portOf(wirelog.proxyUrl);
    const proxy = await runCli(
      ['start', '--data-dir', dir('wirelog-llmfix-start-'), '--proxy-port', proxyPort, '--ui-port', '0'],
      { env: ZH },
    );
    expect(proxy.code).toBe(1);
    expect(proxy.stderr).toContain(`端口 ${proxyPort} 已被另一个 wirelog 占用：停掉它`);
    const uiPort = portOf(wirelog.viewerUrl);
    const viewer = await runCli([
      'start',
      '--data-dir',
      dir('wirelog-llmfix-start-'),
      '--proxy-port',
      '0',
      '--ui-port',
      uiPort,
    ]);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain(`the viewer port ${uiPort} is already in use by another wirelog: stop it`);
  });
});
