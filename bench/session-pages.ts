// A session's pages at turn 1 and at turn 500 (issue 28, "every screen fast"): the page API's
// work, a hundred turns a page, read the way it was (every request body joined and parsed whole:
// a turn near 500 resends ~1,000 items) and the way it is (each conversation read from its end,
// llm/request-tail.ts), side by side in one run on the same stores, and through the session
// worker as the viewer asks (the first question starting the worker, the next ones answered by
// the same worker). Two sessions: the generated 500-turn one of test/sessions.browser.test.ts, and
// a Codex-shaped one (SSE answers of 200 events, reasoning items, real tool outputs). Figures are
// printed, never asserted; the load average is printed beside them.
//   npx tsx bench/session-pages.ts [--turns N]   (N: the Codex-shaped session's turns, 300 by default)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Packer } from '../db/blobs.ts';
import { ExchangeReader } from '../db/reader.ts';
import { StoredRequests } from '../db/request-outline.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { tailCounts } from '../llm/request-tail.ts';
import { answerOffThread, closeSessionThread } from '../llm/session-answer.ts';
import { sessionPage } from '../llm/session-read.ts';
import { storeCodexSession } from '../test/support/codex-session-store.ts';
import { generatedSession, storeSession } from '../test/support/session-store.ts';

const turnsArg = process.argv.indexOf('--turns');
const CODEX_TURNS = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 300;
const PAGE = 100;
const RUNS = 3;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timed<T>(work: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = work();
  return { ms: performance.now() - start, value };
}

/** The generated session, stored and packed as the storage thread packs it. */
function storeGenerated(db: Db): void {
  const ids = storeSession(db, 'big', generatedSession(500));
  const packer = new Packer(db);
  db.transaction(() => {
    for (const id of ids) packer.pack(id, '');
  })();
}

async function bench(name: string, key: string, total: number, store: (db: Db) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-pages-'));
  try {
    const db = openDatabase(dir);
    const stored = timed(() => store(db));
    const reader = new ExchangeReader(db);
    console.log(`\n${name}: ${total} turns, stored in ${(stored.ms / 1000).toFixed(1)} s (load ${load()})`);
    console.log('offset | whole: ms (median of 3) | tail: ms | items parsed | same page | load');
    const offsets = [0, 200, 400].filter((o) => o < total);
    for (const offset of offsets) {
      const whole: number[] = [];
      const tail: number[] = [];
      let same = true;
      let items = 0;
      for (let run = 0; run < RUNS; run++) {
        // Alternated, so that a burst of load falls on both.
        const a = timed(() => JSON.stringify(sessionPage(reader, key, offset, PAGE)));
        tailCounts.itemsParsed = 0;
        const b = timed(() => JSON.stringify(sessionPage(reader, key, offset, PAGE, new StoredRequests(db))));
        items = tailCounts.itemsParsed;
        whole.push(a.ms);
        tail.push(b.ms);
        same &&= a.value === b.value;
      }
      console.log(
        `${String(offset).padStart(6)} | ${median(whole).toFixed(0).padStart(23)} | ${median(tail).toFixed(0).padStart(8)} | ${String(items).padStart(12)} | ${same ? 'yes' : 'NO'.padStart(9)}       | ${load()}`,
      );
    }
    // As the viewer asks: through the session worker (a file database), the first question starting it.
    const file = reader.file!;
    const ask = (offset: number) =>
      answerOffThread(reader, { kind: 'page', key, offset, limit: PAGE }, 'en').then((a) => {
        if (a.status !== 200) throw new Error(`the page at ${offset} was answered ${a.status}: ${a.json}`);
      });
    const started = performance.now();
    await ask(offsets[offsets.length - 1]);
    const cold = performance.now() - started;
    const warm: string[] = [];
    for (const offset of offsets) {
      const at = performance.now();
      await ask(offset);
      warm.push(`${offset}: ${(performance.now() - at).toFixed(0)} ms`);
    }
    console.log(
      `through the worker: first question (starting it) ${cold.toFixed(0)} ms; then ${warm.join(', ')} (load ${load()})`,
    );
    await closeSessionThread(file);
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`session pages, ${PAGE} turns a page (${os.cpus().length} cores, load ${load()})`);
await bench('generated session (test/sessions.browser.test.ts)', 'session:big', 500, storeGenerated);
await bench('Codex-shaped session (SSE answers, reasoning items)', 'session:codex', CODEX_TURNS, (db) =>
  storeCodexSession(db, CODEX_TURNS, 'codex'),
);
