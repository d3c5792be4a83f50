// How long `wirelog start` takes to listen on a large database left by a killed wirelog (issue 24:
// 22 s after a SIGKILL): generates one (Codex-shaped exchanges: 40 KB JSON requests, 200 SSE
// events each, some left open; the last part only in the WAL, as a kill leaves it), then times
// each step of a start: opening and migrating, marking open exchanges interrupted, and the whole
// start to "Press Ctrl-C".
//
//   npx tsx bench/restart.ts [--exchanges 20000] [--open 500] [--wal-mb 64]   (generates, keeps it in a temp dir)
//   npx tsx bench/restart.ts --data-dir DIR                                  (one generated before)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CaptureStore, interruptLeftovers } from '../db/capture-store.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { startWirelogProcess } from '../test/support/cli.ts';
import { tempDir } from '../test/support/harness.ts';

const { values } = parseArgs({
  options: {
    exchanges: { type: 'string', default: '20000' },
    open: { type: 'string', default: '500' },
    'wal-mb': { type: 'string', default: '64' },
    'data-dir': { type: 'string' },
    generate: { type: 'boolean', default: false },
  },
});

const dataDir = values['data-dir'] ?? tempDir('wirelog-restart-');

/** Writes the database and exits without closing it: the WAL stays, as after a SIGKILL. */
function generate(): void {
  const db = openDatabase(dataDir);
  const store = new CaptureStore(db);
  const total = Number(values.exchanges);
  const open = Number(values.open);
  const walBytes = Number(values['wal-mb']) * 1024 * 1024;
  const words = 'the quick brown fox jumps over a lazy dog while codex reads files and writes patches '.split(' ');
  const text = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => words[(i * 7 + seed) % words.length]).join(' ');
  let batch: ExchangeEvent[] = [];
  let written = 0;
  for (let i = 0; i < total; i++) {
    const uid = `gen-${i}`;
    const body = Buffer.from(
      JSON.stringify({ model: 'gpt-5', stream: true, input: [{ role: 'user', content: text(6000, i) }] }),
    );
    batch.push(
      {
        type: 'request',
        uid,
        head: {
          startedAt: Date.now() - (total - i) * 1000,
          clientAddress: '127.0.0.1:1',
          method: 'POST',
          scheme: 'https',
          host: 'api.example',
          port: 443,
          path: `/v1/responses?n=${i}`,
          httpVersion: '1.1',
          headers: [
            ['content-type', 'application/json'],
            ['authorization', 'Bearer ****abcd'],
            ['x-codex-turn-metadata', text(100, i)],
          ],
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: body, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: 50,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'text/event-stream']] },
      },
      ...Array.from(
        { length: 200 },
        (_, seq): ExchangeEvent => ({
          type: 'sse-event',
          uid,
          event: {
            seq,
            offsetMs: 60 + seq,
            event: 'response.output_text.delta',
            id: null,
            data: `{"type":"response.output_text.delta","delta":"${words[seq % words.length]} "}`,
          },
        }),
      ),
    );
    written += body.length + 200 * 70;
    // The last `open` exchanges never end: a kill came while they streamed.
    if (i < total - open)
      batch.push({
        type: 'end',
        uid,
        state: 'complete',
        error: null,
        timings: { end: 300 },
        requestBody: { size: body.length, storedSize: body.length, truncated: false, encoding: '' },
        responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
      });
    if (batch.length > 5000) {
      store.apply(batch);
      batch = [];
    }
    // The last wal-mb only in the WAL, never checkpointed.
    if (written > total * (body.length + 14000) - walBytes) db.pragma('wal_autocheckpoint = 0');
  }
  store.apply(batch);
  process.stdout.write(
    `${JSON.stringify({ generated: total, open, dbMb: Math.round(fs.statSync(databasePath(dataDir)).size / 1048576), walMb: Math.round(fs.statSync(`${databasePath(dataDir)}-wal`).size / 1048576) })}\n`,
  );
  process.exit(0);
}

if (values.generate) generate();
else {
  // --data-dir: a database generated before, kept as it is; each measurement runs on a copy.
  if (!values['data-dir']) {
    // The CA first: a start that has to create one spends a second on its key.
    spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../bin/wirelog.js', import.meta.url)), 'ca', '--data-dir', dataDir],
      { stdio: 'ignore' },
    );
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--generate',
        '--data-dir',
        dataDir,
        '--exchanges',
        values.exchanges!,
        '--open',
        values.open!,
        '--wal-mb',
        values['wal-mb']!,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    process.stdout.write(child.stdout);
  }
  const copy = () => {
    const dir = tempDir('wirelog-restart-copy-');
    fs.cpSync(dataDir, dir, { recursive: true });
    // Dropped from the page cache, as after a reboot or a long day (root only).
    spawnSync('sh', ['-c', 'sync; echo 1 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
    return dir;
  };
  let dir = copy();
  let t = performance.now();
  const db = openDatabase(dir);
  const openMs = performance.now() - t;
  t = performance.now();
  const interrupted = interruptLeftovers(db);
  const interruptMs = performance.now() - t;
  db.close();
  fs.rmSync(dir, { recursive: true });
  dir = copy();
  t = performance.now();
  const wirelog = await startWirelogProcess(dir, ['--insecure-upstream']);
  const startMs = performance.now() - t;
  // The leftovers are marked after it listens: how long until it says so.
  while (!/left open by an earlier run/.test(wirelog.output()) && performance.now() - t < 120_000)
    await new Promise((r) => setTimeout(r, 20));
  const markedMs = performance.now() - t;
  await wirelog.stop();
  fs.rmSync(dir, { recursive: true });
  console.log(
    JSON.stringify({
      openMs: Math.round(openMs),
      interruptMs: Math.round(interruptMs),
      interrupted,
      wirelogStartToListeningMs: Math.round(startMs),
      leftoversMarkedAfterMs: Math.round(markedMs),
      said: /(\d+) exchange\(s\) left open/.exec(wirelog.output())?.[1] ?? null,
    }),
  );
}
