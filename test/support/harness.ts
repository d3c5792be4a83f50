import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ProxyAgent } from 'undici';
import { startWirelog, type Wirelog, type WirelogConfig } from '../../cli/instance.ts';
import { databasePath } from '../../db/schema.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

export interface Harness {
  wirelog: Wirelog;
  upstream: FakeUpstream;
  dataDir: string;
  /** What wirelog said on its console. */
  logs: string[];
  proxyUrl: string;
  caPem: string;
  /** Resolves once every exchange so far has ended and is committed (forwarding and storage are asynchronous). */
  stored(): Promise<void>;
  /** A ProxyAgent that trusts the wirelog CA, as a client configured for wirelog would. */
  agent(): ProxyAgent;
  close(): Promise<void>;
}

/** Another program holding the database's write lock, as a backup tool or a second writer would; call the result to let go. */
export function lockDatabase(dataDir: string): () => void {
  const locker = new Database(databasePath(dataDir));
  // wirelog's storage thread writes in short transactions all the time (capture batches, then
  // understanding, indexing and packing in slices): the lock is taken between two of them, as
  // another program's would be, waiting a bounded time for the one under way.
  locker.pragma('busy_timeout = 30000');
  locker.exec('BEGIN EXCLUSIVE');
  return () => {
    locker.exec('COMMIT');
    locker.close();
  };
}

export function tempDir(prefix = 'wirelog-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startHarness(overrides: Partial<WirelogConfig> = {}): Promise<Harness> {
  const upstream = await startFakeUpstream();
  const dataDir = tempDir();
  const upstreamCaFile = path.join(dataDir, 'upstream-ca.pem');
  fs.writeFileSync(upstreamCaFile, upstream.cert.certPem);
  const logs: string[] = [];
  const wirelog = await startWirelog(
    {
      host: '127.0.0.1',
      proxyPort: 0,
      uiPort: 0,
      dataDir,
      keepSecrets: false,
      upstreamCaFile,
      insecureUpstream: false,
      maxBodyMb: 50,
      connectTimeoutS: 30,
      idleTimeoutS: 600,
      maxDbMb: 2048,
      ...overrides,
    },
    (m) => logs.push(m),
  );
  const agents: ProxyAgent[] = [];
  return {
    wirelog,
    upstream,
    dataDir,
    logs,
    proxyUrl: wirelog.proxy.url,
    caPem: wirelog.ca.certPem,
    async stored() {
      await eventually(async () => {
        await wirelog.writer.flush();
        return !wirelog.reader.list({ limit: 10_000 }).some((e) => e.state === 'pending' || e.state === 'streaming');
      }, 'every exchange to end and be stored');
    },
    agent() {
      const agent = new ProxyAgent({ uri: wirelog.proxy.url, requestTls: { ca: wirelog.ca.certPem } });
      agents.push(agent);
      return agent;
    },
    async close() {
      await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
      await wirelog.stop();
      await upstream.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CurlResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the real curl binary through the proxy, trusting the wirelog CA unless told not to. */
export function curl(h: Harness, args: string[], options: { trustCa?: boolean } = {}): Promise<CurlResult> {
  return curlVia(h.proxyUrl, options.trustCa === false ? null : h.wirelog.ca.files.certPath, args);
}

/** curl through the proxy at proxyUrl, trusting the CA in caFile (null: the system roots only). */
export function curlVia(proxyUrl: string, caFile: string | null, args: string[]): Promise<CurlResult> {
  const trust = caFile === null ? [] : ['--cacert', caFile];
  // Without --cacert, the system roots alone (which do not hold the wirelog CA).
  const env = caFile === null ? { CURL_CA_BUNDLE: '', SSL_CERT_FILE: '/nonexistent' } : {};
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['--silent', '--show-error', '--proxy', proxyUrl, ...trust, '--noproxy', '', ...args],
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_PROXY: '', no_proxy: '', ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
  });
}

/** Sends raw bytes to a proxy port; resolves with everything it answers until it closes. */
export function sendRaw(port: number, bytes: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

/**
 * Polls until `check` returns a value (storage is asynchronous by design). The timeout only
 * bounds a wait that would otherwise hang: a busy machine (storage a few seconds behind) must
 * not fail a test that waits for the right thing, so it is generous.
 */
export async function eventually<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The promise's value, or a failure naming `what` once `timeoutMs` has passed: a wait on an event, bounded. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
