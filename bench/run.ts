// npm run bench: the same upstream measured directly and through wirelog, side by side in
// one run. wirelog runs as its own process (as users run it); figures are printed, not asserted.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { startFakeUpstream, type FakeUpstream } from '../test/support/fake-upstream.ts';
import { startWirelogProcess as startCaptureProcess, type WirelogProcess } from '../test/support/cli.ts';
import { selfSignedCertificate } from '../test/support/upstream-cert.ts';

const MB = 1024 * 1024;
const quick = (process.argv.includes('--quick') || process.env.BENCH_QUICK === '1');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface BenchWirelog extends WirelogProcess {
  dataDir: string;
  caPem: string;
}

async function startWirelogProcess(upstreamCaFile: string): Promise<BenchWirelog> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-'));
  const wirelog = await startCaptureProcess(dataDir, ['--upstream-ca', upstreamCaFile]);
  return { ...wirelog, dataDir, caPem: fs.readFileSync(path.join(dataDir, 'ca', 'certs', 'ca.pem'), 'utf8') };
}

function storedCount(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'wirelog.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Waits until everything sent is stored and understood (its dialect recorded); returns how long that took. */
async function drained(dataDir: string, expected: number): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + 60_000;
  const pending = () => {
    const db = new Database(path.join(dataDir, 'wirelog.sqlite'), { readonly: true });
    try {
      const row = db.prepare("SELECT count(*) AS total, sum(dialect IS NULL AND path LIKE '/v1/models%') AS raw FROM exchanges").get() as { total: number; raw: number | null };
      return row.total < expected || (row.raw ?? 0) > 0;
    } finally {
      db.close();
    }
  };
  while (pending() && Date.now() < deadline) await sleep(50);
  return performance.now() - started;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function sequential(url: string, dispatcher: Dispatcher, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await request(url, { dispatcher });
    await res.body.arrayBuffer();
    times.push(performance.now() - t);
  }
  return times;
}

async function throughput(url: string, dispatcher: Dispatcher, concurrency: number, durationMs: number): Promise<{ rps: number; count: number }> {
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const res = await request(url, { dispatcher });
        await res.body.arrayBuffer();
        done++;
      }
    }),
  );
  return { rps: done / (durationMs / 1000), count: done };
}

/** Opens `count` connections at once (one request each); resolves with the time until all answered. */
async function openConnections(url: string, dispatcher: Dispatcher, count: number): Promise<number> {
  const t = performance.now();
  await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await request(url, { dispatcher });
      await res.body.arrayBuffer();
    }),
  );
  return performance.now() - t;
}

/** 500 clients in request loops beside 200 open SSE streams: 700 connections at once. */
async function manyConnections(small: string, ticks: (n: number) => string, dispatcher: Dispatcher, durationMs: number): Promise<{ rps: number; count: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  const loops = Array.from({ length: 500 }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await request(small, { dispatcher });
      await res.body.arrayBuffer();
      latencies.push(performance.now() - t);
    }
  });
  const streams = Array.from({ length: 200 }, async () => {
    const res = await request(ticks(Math.floor(durationMs / 100)), { dispatcher });
    await res.body.arrayBuffer();
  });
  await Promise.all([...loops, ...streams]);
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / (durationMs / 1000), count: latencies.length + 200, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function sseDelays(url: string, dispatcher: Dispatcher, streams: number): Promise<number[]> {
  const delays: number[] = [];
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const res = await request(url, { dispatcher });
      let buffer = '';
      for await (const chunk of res.body) {
        const now = performance.now();
        buffer += chunk.toString();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          delays.push(now - (JSON.parse(line.slice(6)) as { sentAt: number }).sentAt);
        }
      }
    }),
  );
  return delays;
}

async function download(url: string, dispatcher: Dispatcher, readDelayMsPerMb = 0): Promise<{ mbPerS: number; bytes: number }> {
  const t = performance.now();
  const res = await request(url, { dispatcher });
  let bytes = 0;
  let sinceDelay = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    sinceDelay += chunk.length;
    if (readDelayMsPerMb && sinceDelay >= MB) {
      sinceDelay = 0;
      await sleep(readDelayMsPerMb);
    }
  }
  return { mbPerS: bytes / MB / ((performance.now() - t) / 1000), bytes };
}

/** One HTTPS server per loopback address 127.0.0.2.., so each is a host wirelog has not seen. */
async function newHostServers(count: number) {
  const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const cert = selfSignedCertificate(hosts);
  const servers = await Promise.all(
    hosts.map(
      (host) =>
        new Promise<{ host: string; port: number; server: https.Server }>((resolve) => {
          const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.end('{"ok":true}'));
          server.listen(0, host, () => resolve({ host, port: (server.address() as AddressInfo).port, server }));
        }),
    ),
  );
  return { cert, servers };
}

async function firstRequestTimes(servers: { host: string; port: number }[], dispatcherFor: () => Dispatcher): Promise<number[]> {
  const times: number[] = [];
  for (const { host, port } of servers) {
    const dispatcher = dispatcherFor();
    const t = performance.now();
    const res = await request(`https://${host}:${port}/`, { dispatcher });
    await res.body.arrayBuffer();
    times.push(performance.now() - t);
    await dispatcher.close();
  }
  return times;
}

async function main(): Promise<void> {
  const upstream: FakeUpstream = await startFakeUpstream();
  const hostCount = 10;
  const extra = await newHostServers(hostCount);
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-ca-')), 'upstream-ca.pem');
  fs.writeFileSync(caFile, upstream.cert.certPem + extra.cert.certPem);
  const rows: string[][] = [];
  const add = (what: string, direct: string, through: string, note: string) => rows.push([what, direct, through, note]);
  let sent = 0;

  // --- latency, throughput, SSE, new hosts ---
  const w1 = await startWirelogProcess(caFile);
  const direct = new Agent({ connect: { ca: upstream.cert.certPem }, connections: 32 });
  const proxied = new ProxyAgent({ uri: w1.proxyUrl, requestTls: { ca: w1.caPem }, connections: 32 });
  const small = `${upstream.httpsUrl}/v1/models`;
  const n = quick ? 300 : 2000;
  await sequential(small, direct, 50);
  await sequential(small, proxied, 50);
  sent += 50;
  const seqDirect = await sequential(small, direct, n);
  const seqProxied = await sequential(small, proxied, n);
  sent += n;
  const addedP50 = percentile(seqProxied, 50) - percentile(seqDirect, 50);
  add('sequential small JSON, keep-alive: p50 ms', fmt(percentile(seqDirect, 50)), fmt(percentile(seqProxied, 50)), `added ${fmt(addedP50)} ms (target < 1)`);
  add('sequential small JSON, keep-alive: p99 ms', fmt(percentile(seqDirect, 99)), fmt(percentile(seqProxied, 99)), '');

  const seconds = quick ? 1500 : 4000;
  const rpsDirect = (await throughput(small, direct, 16, seconds)).rps;
  const proxiedRun = await throughput(small, proxied, 16, seconds);
  const rpsProxied = proxiedRun.rps;
  sent += proxiedRun.count;
  add('requests/s at concurrency 16', fmt(rpsDirect, 0), fmt(rpsProxied, 0), `${fmt((rpsProxied / rpsDirect) * 100, 0)}% of direct (target >= 50%)`);

  // Let storage catch up with the burst above, so each measure sees wirelog at rest.
  const backlogMs = await drained(w1.dataDir, sent);
  add('storage catching up after that burst', '', `${fmt(backlogMs, 0)} ms`, 'storage runs at nice 10 and yields to forwarding');
  const ticks = `${upstream.httpsUrl}/v1/ticks?n=${quick ? 20 : 50}&interval=10`;
  const sseDirect = await sseDelays(ticks, direct, 20);
  const sseProxied = await sseDelays(ticks, proxied, 20);
  sent += 20;
  add('SSE per-event delay, 20 streams: p50 ms', fmt(percentile(sseDirect, 50)), fmt(percentile(sseProxied, 50)), `added ${fmt(percentile(sseProxied, 50) - percentile(sseDirect, 50))} ms`);
  add('SSE per-event delay, 20 streams: p99 ms', fmt(percentile(sseDirect, 99)), fmt(percentile(sseProxied, 99)), `added ${fmt(percentile(sseProxied, 99) - percentile(sseDirect, 99))} ms (target < 5)`);

  // The same measures through the gateway URL form: plain HTTP from the client to wirelog, no CONNECT, one TLS leg.
  const gatewayOrigin = `${new URL(w1.proxyUrl).origin}/https/localhost:${new URL(upstream.httpsUrl).port}`;
  const viaGateway = new Agent({ connections: 32 });
  await sequential(`${gatewayOrigin}/v1/models`, viaGateway, 50);
  const seqGateway = await sequential(`${gatewayOrigin}/v1/models`, viaGateway, n);
  const gatewayRun = await throughput(`${gatewayOrigin}/v1/models`, viaGateway, 16, seconds);
  sent += 50 + n + gatewayRun.count;
  await drained(w1.dataDir, sent);
  const sseGateway = await sseDelays(ticks.replace(upstream.httpsUrl, gatewayOrigin), viaGateway, 20);
  sent += 20;
  add('gateway: sequential small JSON p50 ms (proxy row above)', fmt(percentile(seqDirect, 50)), fmt(percentile(seqGateway, 50)), `added ${fmt(percentile(seqGateway, 50) - percentile(seqDirect, 50))} ms; through the proxy ${fmt(percentile(seqProxied, 50))}`);
  add('gateway: requests/s at concurrency 16', fmt(rpsDirect, 0), fmt(gatewayRun.rps, 0), `${fmt((gatewayRun.rps / rpsDirect) * 100, 0)}% of direct; through the proxy ${fmt(rpsProxied, 0)}`);
  add('gateway: SSE per-event delay, 20 streams: p99 ms', fmt(percentile(sseDirect, 99)), fmt(percentile(sseGateway, 99)), `added ${fmt(percentile(sseGateway, 99) - percentile(sseDirect, 99))} ms; through the proxy ${fmt(percentile(sseProxied, 99))}`);
  await viaGateway.close();

  const firstDirect = await firstRequestTimes(extra.servers, () => new Agent({ connect: { ca: extra.cert.certPem } }));
  const firstProxied = await firstRequestTimes(extra.servers, () => new ProxyAgent({ uri: w1.proxyUrl, requestTls: { ca: w1.caPem } }));
  sent += hostCount;
  add(
    `first request to a new host (${hostCount} hosts): p50 ms`,
    fmt(percentile(firstDirect, 50)),
    fmt(percentile(firstProxied, 50)),
    `added ${fmt(percentile(firstProxied, 50) - percentile(firstDirect, 50))} ms, worst ${fmt(Math.max(...firstProxied))} ms (target < 50)`,
  );
  await direct.close();
  await proxied.close();

  const loadMs = quick ? 5000 : 20_000;
  const ticksOf = (n: number) => `${upstream.httpsUrl}/v1/ticks?n=${n}&interval=100`;
  const wideDirect = new Agent({ connect: { ca: upstream.cert.certPem }, connections: 700 });
  const wideProxied = new ProxyAgent({ uri: w1.proxyUrl, requestTls: { ca: w1.caPem }, connections: 700 });
  // Opening them (TLS handshakes, CONNECT, a leaf per host) is measured apart from using them.
  // Each load right after its own opening: idle connections close after 5 s (Node's keep-alive).
  const openDirect = await openConnections(small, wideDirect, 700);
  const loadDirect = await manyConnections(small, ticksOf, wideDirect, loadMs);
  const openProxied = await openConnections(small, wideProxied, 700);
  const loadProxied = await manyConnections(small, ticksOf, wideProxied, loadMs);
  sent += loadProxied.count + 700;
  await wideDirect.close();
  await wideProxied.close();
  add('opening 700 connections at once: ms until all answered', fmt(openDirect, 0), fmt(openProxied, 0), 'two TLS handshakes and a CONNECT each through wirelog');
  add('500 request loops + 200 SSE streams (700 connections): req/s', fmt(loadDirect.rps, 0), fmt(loadProxied.rps, 0), `${fmt((loadProxied.rps / loadDirect.rps) * 100, 0)}% of direct, ${loadMs / 1000} s each`);
  add('500 loops + 200 streams: request p50 ms', fmt(loadDirect.p50), fmt(loadProxied.p50), `added ${fmt(loadProxied.p50 - loadDirect.p50)} ms`);
  add('500 loops + 200 streams: request p99 ms', fmt(loadDirect.p99), fmt(loadProxied.p99), `added ${fmt(loadProxied.p99 - loadDirect.p99)} ms`);
  await w1.stop();
  const stored1 = storedCount(w1.dataDir);

  // --- a 1 GB body, then a slow reader, each in a fresh wirelog so peak memory is its own ---
  const bigSize = quick ? 256 * MB : 1024 * MB;
  const w2 = await startWirelogProcess(caFile);
  const bigDirect = await download(`${upstream.httpsUrl}/bytes?size=${bigSize}`, new Agent({ connect: { ca: upstream.cert.certPem } }));
  const bigProxied = await download(`${upstream.httpsUrl}/bytes?size=${bigSize}`, new ProxyAgent({ uri: w2.proxyUrl, requestTls: { ca: w2.caPem } }));
  const bigRss = w2.peakRssMb();
  await w2.stop();
  add(`${bigSize / MB} MB body download: MB/s`, fmt(bigDirect.mbPerS, 0), fmt(bigProxied.mbPerS, 0), `wirelog peak RSS ${fmt(bigRss, 0)} MB (target < 200)`);
  const stored2 = storedCount(w2.dataDir);

  const slowSize = quick ? 40 * MB : 100 * MB;
  const w3 = await startWirelogProcess(caFile);
  const slow = await download(`${upstream.httpsUrl}/bytes?size=${slowSize}`, new ProxyAgent({ uri: w3.proxyUrl, requestTls: { ca: w3.caPem } }), 40);
  const slowRss = w3.peakRssMb();
  await w3.stop();
  add(`slow reader (${slowSize / MB} MB at ~25 MB/s)`, '', `${fmt(slow.mbPerS, 0)} MB/s`, `wirelog peak RSS ${fmt(slowRss, 0)} MB (target < 200)`);
  const stored3 = storedCount(w3.dataDir);

  const stored = stored1 + stored2 + stored3;
  const expected = sent + 2;
  add('exchanges stored / sent', '', `${stored} / ${expected}`, `lost ${expected - stored} (target 0)`);

  for (const s of extra.servers) s.server.close();
  await upstream.close();

  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['measure', 'direct', 'through wirelog', 'note'], ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\nwirelog benchmark (${quick ? 'quick' : 'full'}), Node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`);
  console.log(line(['measure', 'direct', 'through wirelog', 'note']));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
