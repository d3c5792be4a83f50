// What wirelog answers a client itself (a gateway refusal, a 502 for an upstream it could not
// reach) is in wirelog's own language, the CLI's: WIRELOG_LANG=zh-CN answers Chinese, en English.
// The exchange keeps the English reason either way (the viewer renders it in the reader's).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRELOG_NODE_FLAGS } from './support/cli.ts';
import { tempDir } from './support/harness.ts';
import type { ExchangeListAnswer } from '../viewer/contract.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  proxyPort: number;
  viewerUrl: string;
  dataDir: string;
}

/**
 * `wirelog start` from the sources (not dist/, which other builds replace), in `language`; resolves
 * once its banner says it is capturing. The banner is in that language too.
 */
function startIn(language: string): Promise<Running> {
  const dataDir = tempDir();
  const args = [
    ...WIRELOG_NODE_FLAGS,
    '--import',
    'tsx',
    CLI,
    'start',
    '--data-dir',
    dataDir,
    '--proxy-port',
    '0',
    '--ui-port',
    '0',
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, WIRELOG_LANG: language },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      const proxy = /(?:proxy:|代理：)\s+(http:\/\/\S+)/.exec(output);
      const viewer = /(?:viewer:|查看器：)\s+(http:\/\/\S+)/.exec(output);
      if (output.includes('Ctrl-C') && proxy && viewer)
        resolve({ child, proxyPort: Number(new URL(proxy[1]).port), viewerUrl: viewer[1], dataDir });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`wirelog exited (${code}) before it was ready:\n${output}`)));
  });
}

async function stop(w: Running | undefined): Promise<void> {
  if (!w) return;
  if (w.child.exitCode === null) {
    const exited = new Promise((resolve) => w.child.once('exit', resolve));
    w.child.kill('SIGINT');
    await exited;
  }
  fs.rmSync(w.dataDir, { recursive: true, force: true });
}

/** A port nothing listens on: a connection there is refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The errors stored on the exchanges so far, read in English. */
async function storedErrors(w: Running, count: number): Promise<string[]> {
  let errors: string[] = [];
  await expect
    .poll(async () => {
      const answer = (await (await fetch(`${w.viewerUrl}/api/exchanges?lang=en`)).json()) as ExchangeListAnswer;
      errors = answer.exchanges.map((e) => e.error ?? '');
      return errors.filter(Boolean).length;
    })
    .toBe(count);
  return errors;
}

const CASES = [
  {
    language: 'zh-CN',
    refusal: (host: string) => `wirelog: 网关请求必须发到本机的回环地址（Host ${host} 已拒绝）\n`,
    refused: (port: number) => `wirelog: 127.0.0.1:${port} 拒绝了连接\n`,
  },
  {
    language: 'en',
    refusal: (host: string) =>
      `wirelog: gateway requests must be sent to this machine's loopback address (Host ${host} refused)\n`,
    refused: (port: number) => `wirelog: connection refused by 127.0.0.1:${port}\n`,
  },
];

describe.each(CASES)('wirelog started with WIRELOG_LANG=$language', ({ language, refusal, refused }) => {
  let w: Running;
  beforeAll(async () => {
    w = await startIn(language);
  });
  afterAll(() => stop(w));

  it("answers a gateway refusal and a 502 in wirelog's language, and stores the English reason", async () => {
    // A gateway request whose Host is not this machine's loopback name (DNS rebinding's shape).
    const host = `rebound.example:${w.proxyPort}`;
    const gateway = await get(w.proxyPort, '/https/api.example.com/v1/models', { host });
    expect(gateway.status).toBe(403);
    expect(gateway.body).toBe(refusal(host));

    const port = await closedPort();
    const upstream = await get(w.proxyPort, `http://127.0.0.1:${port}/v1/models`, { host: `127.0.0.1:${port}` });
    expect(upstream.status).toBe(502);
    expect(upstream.body).toBe(refused(port));

    // Stored as the English template whatever the client read (newest first).
    expect(await storedErrors(w, 2)).toEqual([
      `connection refused by 127.0.0.1:${port}`,
      `gateway requests must be sent to this machine's loopback address (Host ${host} refused)`,
    ]);
  });
});
