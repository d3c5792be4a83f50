import fs from 'node:fs';
import Database from 'better-sqlite3';
import { request } from 'undici';
import WebSocket from 'ws';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { eventually, startHarness } from './support/harness.ts';

// Distinctive words, so any match in the files can only be what was deleted.
const WORDS = ['Zqxprompt7781', 'Zqxanswer9924', 'Zqxsocket4471', 'Zqxpath5562'];

/** Every file SQLite keeps for the database, and which of the words (in any case) each still holds. */
function leftovers(dataDir: string): string[] {
  const found: string[] = [];
  for (const file of [databasePath(dataDir), `${databasePath(dataDir)}-wal`, `${databasePath(dataDir)}-shm`]) {
    if (!fs.existsSync(file)) continue;
    const bytes = fs.readFileSync(file).toString('latin1').toLowerCase();
    for (const word of WORDS)
      if (
        bytes.includes(word.toLowerCase()) ||
        bytes.includes(Buffer.from(word).toString('base64').slice(0, 12).toLowerCase())
      )
        found.push(`${word} in ${file}`);
  }
  return found;
}

/** Nothing left for retention or Clear all to do (db/retention.ts's upkeep row). */
function clearingDone(dataDir: string): boolean {
  const db = new Database(databasePath(dataDir), { readonly: true });
  try {
    const row = db.prepare('SELECT clear_up_to, purge FROM upkeep').get() as { clear_up_to: number; purge: number };
    return row.clear_up_to === 0 && row.purge === 0;
  } finally {
    db.close();
  }
}

describe('clear all', () => {
  it('leaves none of the deleted text in the database file, its WAL or its shared memory', async () => {
    const h = await startHarness();
    try {
      for (let i = 0; i < 50; i++) {
        const res = await request(`${h.upstream.httpsUrl}/echo?${WORDS[3]}=${i}`, {
          method: 'POST',
          dispatcher: h.agent(),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: `${WORDS[0]} ${'filler '.repeat(200)}`, answer: WORDS[1] }),
        });
        await res.body.text();
      }
      const ws = new WebSocket(`wss://localhost:${h.upstream.httpsPort}/v1/responses`, {
        agent: new HttpsProxyAgent(h.proxyUrl, { ca: h.caPem }),
        ca: h.caPem,
      });
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ type: 'response.create', model: 'm', input: WORDS[2] }));
      await new Promise((r) => ws.once('message', r));
      ws.close();
      await new Promise((r) => ws.once('close', r));
      await h.stored();
      expect(leftovers(h.dataDir).length).toBeGreaterThan(0); // the words are there to be found

      const viewer = h.wirelog.viewer!.url;
      const cleared = await fetch(`${viewer}/api/exchanges`, {
        method: 'DELETE',
        headers: { origin: viewer, 'sec-fetch-site': 'same-origin' },
      });
      expect(cleared.status).toBeLessThan(300);
      // The call answers at once; the storage thread deletes in steps, then purges the index.
      await eventually(() => h.wirelog.reader.list().length === 0 && clearingDone(h.dataDir), 'the clear to finish');
      await h.wirelog.stop();
      expect(leftovers(h.dataDir)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe('retention', () => {
  it('deletes the same way: none of an expired exchange is left in the files', async () => {
    const h = await startHarness({ maxAgeDays: 1, pruneIntervalMs: 200 });
    try {
      const db = openDatabase(h.dataDir);
      const events = finishedExchange(1, {
        startedAt: Date.now() - 3 * 86_400_000,
        path: `/v1/chat/completions?${WORDS[3]}=1`,
      });
      for (const e of events)
        if (e.type === 'body-chunk')
          e.chunk = Buffer.from(JSON.stringify({ prompt: `${WORDS[0]} ${WORDS[1]} ${'filler '.repeat(300)}` }));
      new CaptureStore(db).apply(events);
      db.close();
      expect(leftovers(h.dataDir).length).toBeGreaterThan(0);
      await eventually(
        () => h.wirelog.reader.list().length === 0 && clearingDone(h.dataDir),
        'the expired exchange to be pruned',
      );
      await h.wirelog.stop();
      expect(leftovers(h.dataDir)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
