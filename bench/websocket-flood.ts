// A WebSocket flood, measured: one connection through a running wirelog's gateway on which the
// upstream sends 200,000 small JSON messages (--quick: 50,000) as fast as the socket takes them,
// while a client sends requests through the proxy one after another: how long the longest of
// them took, against the same requests with no flood; how many messages the client got and how
// many wirelog stored (or counted as not stored); wirelog's peak RSS. The flood's two ends run
// in a process of their own (this file with --flood), so this one only measures.
// WIRELOG_BIN=path/to/bin/wirelog.js measures another checkout. Figures only: nothing is asserted.
//   npx tsx bench/websocket-flood.ts [--quick]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { peakRssMb } from './processes.ts';
import { BIN, startBench, stopWirelog, summary, traffic } from './stall-probe.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const MESSAGES = Number(process.env.FLOOD_MESSAGES ?? (QUICK ? 50_000 : 200_000));
// BENCH_WIRELOG_FLAGS adds node flags to wirelog's (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).

/** The flood's two ends: an upstream that sends `count` messages once asked, and a client through wirelog's gateway. Prints one JSON line. */
async function flood(proxyPort: number, count: number): Promise<void> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      let i = 0;
      // As fast as the socket takes them: a batch a turn, waiting while its buffer is full.
      const send = () => {
        while (i < count && ws.bufferedAmount < 4 * 1024 * 1024) {
          ws.send(JSON.stringify({ type: 'response.output_text.delta', delta: `word ${i} `, sequence_number: i }));
          i++;
        }
        if (i < count) setTimeout(send, 1);
        else ws.close(1000);
      };
      send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const started = performance.now();
  const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/http/127.0.0.1:${port}/v1/flood`);
  let received = 0;
  ws.on('open', () => ws.send('{"type":"response.create"}'));
  ws.on('message', () => received++);
  await new Promise((r) => ws.once('close', r));
  process.stdout.write(`${JSON.stringify({ sent: count, received, seconds: (performance.now() - started) / 1000 })}\n`);
  wss.close();
  server.close();
}

/** CPU seconds of a process's main thread (its id is the pid) and of its other threads, from /proc. */
function threadCpu(pid: number): { main: number; others: number } {
  const seconds = (tid: string) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return 0; // a thread that ended meanwhile
    }
  };
  let others = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) if (tid !== String(pid)) others += seconds(tid);
  return { main: seconds(String(pid)), others };
}

if (process.argv.includes('--flood')) {
  await flood(Number(process.argv[process.argv.indexOf('--flood') + 1]), MESSAGES);
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-wsflood-'));
try {
  const { upstream, wirelog, agent } = await startBench(dir, path.join(dir, 'data'));
  try {
    await traffic(agent, upstream.ready.httpsUrl, null, 200); // warm-up
    console.log(`WebSocket flood bench: ${MESSAGES} messages on one connection, wirelog ${BIN}`);
    console.log(`proxied requests, no flood: ${summary(await traffic(agent, upstream.ready.httpsUrl, null, 1000))}`);
    const proxyPort = Number(new URL(wirelog.proxyUrl).port);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--flood', String(proxyPort), ...(QUICK ? ['--quick'] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FLOOD_MESSAGES: String(MESSAGES) } },
    );
    const result = new Promise<{ sent: number; received: number; seconds: number }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      child.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').pop()!))
          : reject(new Error(`the flood exited with ${code}: ${out}`)),
      );
    });
    const cpuBefore = threadCpu(wirelog.child.pid!);
    const during = await traffic(agent, upstream.ready.httpsUrl, result, 0);
    const ends = await result;
    const cpuAfter = threadCpu(wirelog.child.pid!);
    console.log(`flood: ${ends.sent} sent, ${ends.received} received by the client in ${ends.seconds.toFixed(1)} s`);
    console.log(`proxied requests during it: ${summary(during)}`);
    // CPU time moves less than wall time on a busy machine: what the flood (and the requests beside it) cost each thread.
    console.log(
      `wirelog CPU during it: forwarding thread ${(cpuAfter.main - cpuBefore.main).toFixed(2)} s, other threads ${(cpuAfter.others - cpuBefore.others).toFixed(2)} s`,
    );
    // What wirelog stored of it: the exchange's message count, and its notes.
    let stored: { eventCount: number; state: string; notes: string | null; error: string | null } | undefined;
    for (let tries = 0; tries < 600; tries++) {
      // By its host (the gateway's 127.0.0.1): the proxied requests beside it may be more than a page.
      const list = (await (
        await request(`${wirelog.viewerUrl}/api/exchanges?host=127.0.0.1&limit=100`)
      ).body.json()) as {
        exchanges: { url: string; eventCount: number; state: string; notes: string | null; error: string | null }[];
      };
      stored = list.exchanges.find((e) => e.url.includes('/v1/flood'));
      if (stored && stored.state !== 'streaming' && stored.state !== 'pending') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `stored: ${stored ? `${stored.eventCount} messages, ${stored.state}${stored.error ? ` (${stored.error})` : ''}${stored.notes ? `; notes: ${stored.notes}` : ''}` : 'nothing'}`,
    );
    console.log(`wirelog peak RSS: ${peakRssMb(wirelog.child.pid!).toFixed(0)} MB`);
  } finally {
    await agent.close();
    await stopWirelog(wirelog);
    await upstream.stop();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
