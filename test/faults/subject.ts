import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ProxyAgent } from 'undici';
import { ExchangeReader } from '../../db/reader.ts';
import { databasePath } from '../../db/schema.ts';
import type { Exchange } from '../../model/exchange.ts';
import { startWirelogProcess, type StartOptions, type WirelogProcess } from '../support/cli.ts';
import { postLoad } from './hostile-upstream.ts';
import { curlVia, eventually, tempDir, type CurlResult } from '../support/harness.ts';

/**
 * wirelog under test as its own process, as users run it: a crash is a process that exits,
 * memory is its own, and what it stored is read through a separate read-only connection.
 */
export interface Subject {
  process: WirelogProcess;
  dataDir: string;
  caPem: string;
  caFile: string;
  /** A ProxyAgent through this wirelog that trusts its CA. */
  agent(options?: Omit<ProxyAgent.Options, 'uri'>): ProxyAgent;
  /** Waits until `count` exchanges matching `filter` are stored and ended. */
  storedWhere(filter: (e: Exchange) => boolean, count?: number): Promise<Exchange[]>;
  /**
   * The ended exchanges matching `filter` once `count` of them are there or storage has had
   * `timeoutMs` to catch up: never throws, so a shortfall is counted as lost, not hidden.
   */
  settledWhere(filter: (e: Exchange) => boolean, count: number, timeoutMs?: number): Promise<Exchange[]>;
  reader(): ExchangeReader;
  /** The real curl binary through this wirelog, trusting its CA. */
  curl(args: string[]): Promise<CurlResult>;
  /**
   * Sends one request through this wirelog to the upstream at baseUrl and waits until it is
   * stored: storage keeps the order in which exchanges end, so whatever ended before is stored
   * too. A barrier on an event, where a pause would only guess ("a second row would come in
   * the next moments").
   */
  settle(baseUrl: string): Promise<void>;
  /** 1 if the process has died or no longer forwards a request to the upstream at baseUrl, else 0. */
  crashes(baseUrl: string): Promise<number>;
  stop(): Promise<number | null>;
}

const ENDED = new Set(['complete', 'aborted', 'upstream_error', 'proxy_error', 'interrupted']);

export async function startSubject(
  extraArgs: string[] = [],
  dataDir = tempDir('wirelog-fault-'),
  options: StartOptions = {},
): Promise<Subject> {
  const proc = await startWirelogProcess(dataDir, extraArgs, options);
  const caFile = path.join(dataDir, 'ca', 'certs', 'ca.pem');
  const caPem = fs.readFileSync(caFile, 'utf8');
  let db: Database.Database | null = null;
  let reader: ExchangeReader | null = null;
  const agents: ProxyAgent[] = [];
  let settles = 0;
  const openReader = () => {
    if (!reader) {
      db = new Database(databasePath(dataDir), { readonly: true });
      reader = new ExchangeReader(db);
    }
    return reader;
  };
  return {
    process: proc,
    dataDir,
    caPem,
    caFile,
    agent(options = {}) {
      const agent = new ProxyAgent({ uri: proc.proxyUrl, requestTls: { ca: caPem }, ...options });
      agents.push(agent);
      return agent;
    },
    reader: openReader,
    curl: (args) => curlVia(proc.proxyUrl, caFile, args),
    async storedWhere(filter, count = 1) {
      let found: Exchange[] = [];
      await eventually(
        () => {
          found = openReader()
            .list({ limit: 10_000_000 })
            .filter((e) => ENDED.has(e.state) && filter(e));
          return found.length >= count;
          // After a burst, storage may still be catching up: it yields the CPU to forwarding.
        },
        `${count} stored exchange(s) to match`,
        30_000,
      );
      return found;
    },
    async settledWhere(filter, count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = openReader()
          .list({ limit: 10_000_000 })
          .filter((e) => ENDED.has(e.state) && filter(e));
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async settle(baseUrl) {
      const token = `settle-${++settles}`;
      const probe = new ProxyAgent({ uri: proc.proxyUrl, requestTls: { ca: caPem } });
      try {
        const { status } = await postLoad(baseUrl, probe, token, token);
        if (status !== 200) throw new Error(`the settling request was answered ${status}`);
      } finally {
        await probe.close();
      }
      await eventually(
        () =>
          openReader()
            .list({ limit: 100 })
            .some((e) => ENDED.has(e.state) && e.request.path === `/load?t=${token}`),
        'the settling request to be stored',
      );
    },
    async crashes(baseUrl) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return 1;
      const probe = new ProxyAgent({ uri: proc.proxyUrl, requestTls: { ca: caPem } });
      try {
        return (await postLoad(baseUrl, probe, 'probe', 'probe')).status === 200 ? 0 : 1;
      } catch {
        return 1;
      } finally {
        await probe.close();
      }
    },
    async stop() {
      await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
      db?.close();
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.child.exitCode;
      return proc.stop();
    },
  };
}
