// Composes one running wirelog: CA, database, storage worker, proxy and viewer.
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadOrCreateCa, type CertificateAuthority } from '../certs/ca.ts';
import { readPrivateFile, removePrivateFile, replacePrivateFile, type FileRole } from '../certs/safe-files.ts';
import { systemRootsPem } from '../certs/trust.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { CaptureWriter } from '../db/writer.ts';
import { DEFAULT_HANDSHAKE_MS, DEFAULT_REQUEST_HEAD_MS, defaultMaxConnections } from '../proxy/connections.ts';
import { newReplayToken } from '../proxy/replay-mark.ts';
import { fingerprinter, SecretMemory } from '../proxy/secret-memory.ts';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.ts';
import { Replayer } from '../replay/replayer.ts';
import { startOtlpExport, type OtlpExport } from './otlp-thread.ts';
import type { OtlpConfig } from './otlp-config.ts';
import { LiveFeed } from '../viewer/live-fanout.ts';
import type { RunningViewer } from '../viewer/viewer-server.ts';
import type { HarUploadImport, ViewerImportOptions } from './viewer-import.ts';
import { gatewayBase } from './gateway-url.ts';
import { UsageError } from './usage-error.ts';
import { cliLang, t } from './language.ts';
import { VERSION } from './version.ts';
import { defaultDataDir, prepareDataDir } from './data-dir.ts';
import { StartError } from './start-error.ts';
import { wirelogListensAt } from './port-owner.ts';
import type { UpstreamProxy } from '../proxy/upstream-proxy.ts';

export interface WirelogConfig {
  host: string;
  proxyPort: number;
  /** null: no viewer (a private capture for `wirelog run`). */
  uiPort: number | null;
  dataDir: string;
  keepSecrets: boolean;
  upstreamCaFile?: string;
  insecureUpstream: boolean;
  /** --upstream-proxy: the user's HTTP proxy every upstream connection tunnels through (in memory only). */
  upstreamProxy?: UpstreamProxy;
  maxBodyMb: number;
  /** Retention: database size (pages in use) and age limits; the oldest exchanges go first. */
  maxDbMb: number;
  maxAgeDays?: number;
  /** How often retention runs (tests shorten it). */
  pruneIntervalMs?: number;
  /** Body bytes in flight to storage at most (tests make it small to make storage the slower side). */
  storageRingBytes?: number;
  /** Captures handed to storage and not taken in yet, at most (tests make it small). */
  storageInFlightBytes?: number;
  /** How long a body waits for storage to make room before its rest is left out (tests that prove a body is stored whole lengthen it). */
  storageWaitMs?: number;
  /** The storage thread's entry module (tests give one with hooks, or one that cannot load); cli/storage-worker when absent. */
  storageWorker?: URL;
  /** "user:pass" required from every client; mandatory when listening beyond loopback. */
  proxyAuth?: string;
  /** Seconds to connect to an upstream (TLS included), and of upstream silence before giving up. */
  connectTimeoutS: number;
  idleTimeoutS: number;
  /** Client side: CONNECT to the end of the TLS handshake, and the wait for a request head. */
  handshakeTimeoutS?: number;
  requestHeadTimeoutS?: number;
  /** Client connections open at once (defaultMaxConnections() when absent). */
  maxConnections?: number;
  /** Upstream name resolution (tests resolve names without a DNS server); the system's when absent. */
  lookup?: import('node:net').LookupFunction;
  /** Spans to an OpenTelemetry collector; off when absent or null. */
  otlp?: OtlpConfig | null;
}

export interface Wirelog {
  config: WirelogConfig;
  /** Every address it listens on is a loopback one. */
  loopback: boolean;
  /** The /t/TOKEN/ gateway URLs need beyond loopback; null on loopback. */
  gatewayToken: string | null;
  ca: CertificateAuthority;
  proxy: RunningProxy;
  viewer: RunningViewer | null;
  writer: CaptureWriter;
  reader: ExchangeReader;
  /** Sends replays of stored exchanges through this instance's own gateway. */
  replayer: Replayer;
  stop(): Promise<void>;
}

export { StartError };

function isLoopbackAddress(address: string): boolean {
  return net.isIPv4(address) ? address.startsWith('127.') : address === '::1' || /^::ffff:127\./i.test(address);
}

/**
 * Whether only this machine can reach what listens on `host`: decided by the addresses it
 * resolves to, every one of them loopback, never by its name (`127.lan.example` may be a LAN
 * address). Unresolvable names are refused with the fix.
 */
export async function isLoopback(host: string): Promise<boolean> {
  try {
    const addresses = await dns.lookup(host, { all: true, verbatim: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch (err) {
    throw new UsageError(t('commands.instance.notLocal', { host, code: (err as NodeJS.ErrnoException).code }));
  }
}

// Where the data dir is and its first check live apart (cli/data-dir.ts): commands that only read a store need them without the proxy.
export { defaultDataDir, prepareDataDir };

async function listenError(
  err: NodeJS.ErrnoException,
  server: 'proxy' | 'viewer',
  host: string,
  port: number,
  flag: string,
): Promise<StartError> {
  const what = t(`commands.instance.what.${server}`);
  // Another wirelog only when the port answers as one; any other program is not guessed at.
  if (err.code === 'EADDRINUSE')
    return new StartError(
      t((await wirelogListensAt(host, port)) ? 'commands.instance.portInUseByWirelog' : 'commands.instance.portInUse', {
        what,
        port,
        flag,
      }),
    );
  if (err.code === 'EACCES') return new StartError(t('commands.instance.portDenied', { what, port, flag }));
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
    return new StartError(t('commands.instance.hostNotHere', { what }));
  return new StartError(t('commands.instance.cannotListen', { what, port, error: err.message }));
}

/**
 * Starts one wirelog, step by step. The order is what each step needs from the ones before it:
 *
 * 1. Who can reach it, from the host's addresses: beyond loopback, --proxy-auth is required, and
 *    that is refused before anything is written.
 * 2. The data dir, the CA and the upstream CA file: checked and made on disk, where bad input is
 *    refused in one line before any thread or port is opened.
 * 3. The store (the database, its reader, the live feed viewers follow).
 * 4. The OTLP thread, when asked for, before storage: the storage thread sends it spans.
 * 5. The storage thread, before the proxy: the proxy hands it every capture.
 * 6. The proxy listens: from here traffic is accepted, as soon as a restart can.
 * 7. The replayer, which sends through the proxy's own address.
 * 8. The viewer, last: its modules load once the proxy already accepts traffic.
 *
 * A failure from step 6 on closes what was started before it is thrown.
 */
export async function startWirelog(
  config: WirelogConfig,
  log: (message: string) => void = () => undefined,
): Promise<Wirelog> {
  const loopback = await refuseOpenWithoutAuth(config);
  prepareDataDir(config.dataDir);
  const ca = loadOrCreateCa(config.dataDir);
  const extraCaPem = readUpstreamCa(config.upstreamCaFile);
  const { db, reader, live } = openStore(config.dataDir);
  const news = storageNewsTo(log, live);
  const otlp = config.otlp ? startOtlpExport(config.otlp, news) : null;
  const writer = startStorageThread(config, live, news, otlp);
  const parts: Parts = {
    config,
    log,
    loopback,
    ca,
    db,
    reader,
    live,
    otlp,
    writer,
    // Gateway clients cannot send Proxy-Authorization: beyond loopback their URLs carry this instead.
    gatewayToken: loopback ? null : randomBytes(18).toString('base64url'),
    secretMemory: new SecretMemory(),
    replayToken: newReplayToken(),
    maxConnections: config.maxConnections ?? defaultMaxConnections(),
    proxy: null,
    replayer: null,
    viewer: null,
  };
  let proxy: RunningProxy;
  let replayer: Replayer;
  try {
    proxy = parts.proxy = await listenForTraffic(parts, extraCaPem);
    replayer = parts.replayer = makeReplayer(parts, proxy);
    parts.viewer = config.uiPort === null ? null : await startViewerOf(parts, proxy, replayer, config.uiPort);
    // Indexes an upgrade added are built from here on, between capture batches (db/index-build.ts).
    writer.listening();
  } catch (err) {
    await closeStarted(parts);
    throw err;
  }
  return running(parts, proxy, replayer);
}

/** What start-up has made so far; what it has not (yet) is null. */
interface Parts {
  config: WirelogConfig;
  log: (message: string) => void;
  loopback: boolean;
  ca: CertificateAuthority;
  db: Db;
  reader: ExchangeReader;
  live: LiveFeed;
  otlp: OtlpExport | null;
  writer: CaptureWriter;
  gatewayToken: string | null;
  secretMemory: SecretMemory;
  replayToken: string;
  maxConnections: number;
  proxy: RunningProxy | null;
  replayer: Replayer | null;
  viewer: RunningViewer | null;
}

/** Whether every address the host resolves to is loopback; beyond loopback without --proxy-auth, refused. */
async function refuseOpenWithoutAuth(config: WirelogConfig): Promise<boolean> {
  const loopback = await isLoopback(config.host);
  if (!loopback && config.proxyAuth === undefined) {
    throw new UsageError(t('commands.instance.needsProxyAuth', { host: config.host }));
  }
  return loopback;
}

/** The --upstream-ca file's PEM text, refused in one line when it cannot be read or holds no certificate. */
function readUpstreamCa(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StartError(t('commands.instance.cannotReadCa', { file, error: (err as Error).message }));
  }
  if (!pem.includes('BEGIN CERTIFICATE')) throw new StartError(t('commands.instance.noPem', { file }));
  return pem;
}

function openStore(dataDir: string): { db: Db; reader: ExchangeReader; live: LiveFeed } {
  const db = openDatabase(dataDir);
  return { db, reader: new ExchangeReader(db), live: new LiveFeed() };
}

/** What storage and the OTLP thread have to say: on the console, and viewers fetch the status again. */
function storageNewsTo(log: (message: string) => void, live: LiveFeed): (message: string) => void {
  return (message) => {
    log(`wirelog: ${message}`);
    live.publish({ type: 'status' });
  };
}

function startStorageThread(
  config: WirelogConfig,
  live: LiveFeed,
  news: (message: string) => void,
  otlp: OtlpExport | null,
): CaptureWriter {
  return new CaptureWriter(
    config.dataDir,
    {
      onCommitted: (ids) => live.publish({ type: 'changed', ids }),
      onError: news,
      onRecovered: news,
      onWarning: news,
      onState: () => live.publish({ type: 'status' }),
      onPruned: () => live.publish({ type: 'pruned' }),
    },
    {
      // Beside this module: storage-worker.ts in the sources, storage-worker.js in the dist/ bundle.
      worker:
        config.storageWorker ??
        new URL(import.meta.url.endsWith('.ts') ? './storage-worker.ts' : './storage-worker.js', import.meta.url),
      ...(otlp && config.otlp ? { spans: { port: otlp.storagePort, content: config.otlp.content } } : {}),
      retention: {
        maxDbBytes: config.maxDbMb * 1024 * 1024,
        maxAgeMs: config.maxAgeDays === undefined ? undefined : config.maxAgeDays * 86_400_000,
      },
      pruneIntervalMs: config.pruneIntervalMs,
      ringBytes: config.storageRingBytes,
      maxInFlightBytes: config.storageInFlightBytes,
      storageWaitMs: config.storageWaitMs,
    },
  );
}

function listenForTraffic(parts: Parts, extraCaPem: string | undefined): Promise<RunningProxy> {
  const { config, log } = parts;
  return startProxy({
    host: config.host,
    port: config.proxyPort,
    ca: parts.ca,
    sink: parts.writer,
    maxBodyBytes: Math.round(config.maxBodyMb * 1024 * 1024),
    keepSecrets: config.keepSecrets,
    secretMemory: parts.secretMemory,
    fingerprint: fingerprinter(config.dataDir),
    replayToken: parts.replayToken,
    onSinkError: (err) => log(`wirelog: ${t('commands.instance.captureFailed', { error: err.message })}`),
    upstream: {
      extraCaPem,
      insecure: config.insecureUpstream,
      systemRootsPem: systemRootsPem(),
      lookup: config.lookup,
      proxy: config.upstreamProxy,
      connectMs: config.connectTimeoutS * 1000,
    },
    timeouts: { connectMs: config.connectTimeoutS * 1000, idleMs: config.idleTimeoutS * 1000 },
    clients: {
      maxConnections: parts.maxConnections,
      handshakeMs: (config.handshakeTimeoutS ?? DEFAULT_HANDSHAKE_MS / 1000) * 1000,
      requestHeadMs: (config.requestHeadTimeoutS ?? DEFAULT_REQUEST_HEAD_MS / 1000) * 1000,
    },
    warn: log,
    gatewayToken: parts.gatewayToken,
    // The viewer starts after the proxy: its port is asked for at each request, not now.
    ownPorts: () => (parts.viewer ? [parts.viewer.port] : []),
    proxyAuth: config.proxyAuth,
    // What wirelog answers clients itself (refusals, 502/504) is in the language it speaks.
    language: cliLang(),
    debug: (message) => {
      if (process.env.WIRELOG_DEBUG) log(message);
    },
  }).catch(async (err: NodeJS.ErrnoException) => {
    throw await listenError(err, 'proxy', config.host, config.proxyPort, '--proxy-port');
  });
}

function makeReplayer(parts: Parts, proxy: RunningProxy): Replayer {
  return new Replayer({
    reader: parts.reader,
    secrets: parts.secretMemory,
    gatewayBase: gatewayBase(proxy.host, proxy.port, parts.gatewayToken),
    replayToken: parts.replayToken,
    flush: () => parts.writer.flush(),
  });
}

/**
 * The viewer's HAR import, its modules (a streaming JSON parser, zod's schemas) loaded by the
 * first upload rather than by every start: most never import, and each module loaded stays in
 * the forwarding thread's heap.
 */
function lazyImporter(options: ViewerImportOptions): HarUploadImport {
  let importer: Promise<HarUploadImport> | null = null;
  return async (upload, name, progress) => {
    // One importer for every upload: it runs them one after another. A failed load is tried again.
    importer ??= import('./viewer-import.ts').then(
      ({ viewerImporter }) => viewerImporter(options),
      (err: unknown) => {
        importer = null;
        throw err;
      },
    );
    return (await importer)(upload, name, progress);
  };
}

async function startViewerOf(
  parts: Parts,
  proxy: RunningProxy,
  replayer: Replayer,
  uiPort: number,
): Promise<RunningViewer> {
  const { config, writer, otlp, ca } = parts;
  // Loaded once the proxy listens (Hono): a restart accepts traffic sooner. The API and HAR
  // import load when first used (viewer/viewer-server.ts, lazyImporter).
  const { startViewer } = await import('../viewer/viewer-server.ts');
  return startViewer(
    {
      reader: parts.reader,
      live: parts.live,
      status: () => ({
        version: VERSION,
        // The --proxy-auth password is the owner's to know, not the API's to repeat.
        proxyUrl: proxy.url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:****@'),
        caPath: ca.files.certPath,
        caFingerprint: ca.fingerprint,
        keepSecrets: config.keepSecrets,
        retention: { maxDbMb: config.maxDbMb, maxAgeDays: config.maxAgeDays ?? null },
        storageError: writer.lastError,
        storageLosses: { ...writer.losses },
        storageBehind: writer.behindBy,
        storageWaiting: writer.waitingExchanges,
        connections: { open: proxy.openConnections(), max: parts.maxConnections },
        gatewayBase: gatewayBase(proxy.host, proxy.port, parts.gatewayToken ? 'TOKEN' : null),
        otlp:
          otlp && config.otlp ? { url: config.otlp.url, error: otlp.state.error, dropped: otlp.state.dropped } : null,
      }),
      clear: () => writer.clear(),
      replayer,
      importHar: lazyImporter({
        dataDir: config.dataDir,
        keepSecrets: config.keepSecrets,
        importEvents: (events) => writer.importEvents(events),
      }),
    },
    config.host,
    uiPort,
    // Beyond loopback the Host check cannot tell this machine's pages from others': a token can.
    parts.loopback ? null : randomBytes(24).toString('base64url'),
  ).catch(async (err: NodeJS.ErrnoException) => {
    throw await listenError(err, 'viewer', config.host, uiPort, '--ui-port');
  });
}

/** A start that failed gives back what it had taken: threads, ports, the database. */
async function closeStarted(parts: Parts): Promise<void> {
  await parts.replayer?.close();
  await parts.proxy?.close();
  await parts.writer.close();
  await parts.otlp?.close();
  parts.db.close();
}

function running(parts: Parts, proxy: RunningProxy, replayer: Replayer): Wirelog {
  const { config, loopback, gatewayToken, ca, writer, reader, otlp, viewer, db } = parts;
  let stopped = false;
  return {
    config,
    loopback,
    gatewayToken,
    ca,
    proxy,
    viewer,
    writer,
    reader,
    replayer,
    async stop() {
      if (stopped) return;
      stopped = true;
      await replayer.close();
      await proxy.close();
      await writer.close();
      // After storage: the last exchanges' spans are on their way.
      await otlp?.close();
      await viewer?.close();
      db.close();
    },
  };
}

// --- the running instance of a data dir, so `wirelog run` and `wirelog env` can find it ---

export interface InstanceRecord {
  pid: number;
  proxyUrl: string;
  proxyPort: number;
  viewerUrl: string | null;
  /** The viewer's token beyond loopback, for `wirelog replay` (this file is owner-only, like the CA key beside it). */
  viewerToken?: string | null;
  startedAt: string;
}

function instanceFile(dataDir: string): string {
  return path.join(dataDir, 'instance.json');
}

// Whoever can write it decides where `wirelog run` sends a program's traffic: only the user's own file counts.
const INSTANCE: FileRole = {
  what: { key: 'dataFiles.role.instance' },
  fix: (file) => ({ key: 'dataFiles.fix.removeInstance', params: { file } }),
};

export function registerInstance(dataDir: string, record: InstanceRecord): () => void {
  const file = instanceFile(dataDir);
  replacePrivateFile(file, JSON.stringify(record, null, 2), INSTANCE);
  return () => {
    try {
      const current = readPrivateFile(file, INSTANCE);
      if (current && (JSON.parse(current.toString('utf8')) as InstanceRecord).pid === record.pid)
        removePrivateFile(file, INSTANCE);
    } catch {
      // already gone, or no longer ours to remove
    }
  };
}

/**
 * The wirelog serving this data dir, if its process is alive and its proxy port answers. A record
 * that is a link, or not the user's own, is refused (one line), never followed.
 */
export async function findInstance(dataDir: string): Promise<InstanceRecord | null> {
  const text = readPrivateFile(instanceFile(dataDir), INSTANCE);
  if (!text) return null;
  let record: InstanceRecord;
  try {
    record = JSON.parse(text.toString('utf8')) as InstanceRecord;
    process.kill(record.pid, 0);
  } catch {
    return null;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const socket = net.connect({
      host: new URL(record.proxyUrl).hostname.replace(/^\[|\]$/g, '').replace(/^0\.0\.0\.0$/, '127.0.0.1'),
      port: record.proxyPort,
    });
    socket.setTimeout(1000);
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
  return answers ? record : null;
}
