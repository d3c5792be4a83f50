// The search index of a 300-turn Codex-shaped session (test/support/codex-session.ts: a 40 KB
// first request growing by real tool outputs, 200-event SSE answers): its size (dbstat pages of
// the index's tables) and the CPU of the slices after the commit that build it (understanding,
// indexing, packing: one step in db/indexer.ts). Run as it is for today's wirelog; copied into an
// earlier checkout's bench/ (git archive) it measures that one the same way, so the two are
// printed from the same code. Figures are printed, never asserted.
//   npx tsx bench/part-search-size.ts [--turns 300]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { codexSession } from '../test/support/codex-session.ts';
import { finishedExchange } from '../test/support/exchange-events.ts';

const { values } = parseArgs({ options: { turns: { type: 'string' } } });
const turns = Number(values.turns ?? 300);
const MB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-part-search-'));
try {
  const db = openDatabase(dir);
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  let wire = 0;
  let i = 0;
  for (const turn of codexSession(turns, 'bench')) {
    const events = finishedExchange(++i, { path: '/v1/responses' });
    for (const e of events) {
      if (e.type === 'body-chunk' && e.side === 'request') e.chunk = turn.request;
      if (e.type === 'body-chunk' && e.side === 'response') e.chunk = turn.responseBody;
    }
    wire += turn.request.length + turn.responseBody.length;
    store.apply(events);
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  store.indexWaiting('understand');
  const spent = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  // Merged as db/retention.ts leaves an index after a while (the parts' index only where there is one).
  db.prepare(`INSERT INTO exchanges_search (exchanges_search, rank) VALUES ('merge', -2000)`).run();
  if (db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'part_search'`).get())
    db.prepare(`INSERT INTO part_search (part_search, rank) VALUES ('merge', -2000)`).run();
  const tables = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
    name: string;
    bytes: number;
  }[];
  const bytesOf = (prefix: string) => tables.filter((t) => t.name.startsWith(prefix)).reduce((n, t) => n + t.bytes, 0);
  const own = bytesOf('exchanges_search');
  const parts = bytesOf('part_search');
  const refs = bytesOf('part_refs');
  console.log(
    `${turns} Codex turns, ${(wire / MB).toFixed(1)} MB on the wire (schema ${db.pragma('user_version', { simple: true })}):`,
  );
  console.log(
    `  search index ${((own + parts + refs) / MB).toFixed(2)} MB (exchanges' own entries ${(own / MB).toFixed(2)}, parts ${(parts / MB).toFixed(2)}, part references ${(refs / MB).toFixed(2)})`,
  );
  console.log(
    `  after the commit (understand, index, pack): CPU ${((spent.user + spent.system) / 1000).toFixed(0)} ms, wall ${wall.toFixed(0)} ms, ${((spent.user + spent.system) / 1000 / turns).toFixed(2)} ms CPU a turn`,
  );
  db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
