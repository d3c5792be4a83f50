// Rows first, index later (issue 24's storage lag): a finished exchange's row commits with its
// batch and is visible at once; llm/'s understanding and the search entry follow in bounded
// slices (db/indexer.ts). What is left undone survives a kill (exchanges.to_index), and a
// database from schema 10 is indexed again after start, newest first, with its progress.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureStore, type UnderstandEnded } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { Upkeep, type UpkeepStep } from '../db/retention.ts';
import { databasePath, openDatabase, type Db } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';
import { schema10 } from './support/schema-10.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function dataDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

/** A finished exchange whose request says a Chinese word of its own (unspaced) and its number. */
function exchange(i: number): ExchangeEvent[] {
  const events = finishedExchange(i);
  for (const e of events)
    if (e.type === 'body-chunk' && e.side === 'request')
      e.chunk = Buffer.from(
        JSON.stringify({
          model: 'gpt-made',
          messages: [{ role: 'user', content: `请检查第${i}号渠道的令牌 marker${i}` }],
        }),
      );
  return events;
}

/** An understanding that says what it saw: the exchange, and whether another connection could already read its row. */
function recording(file: string) {
  const seen: { id: number; committed: boolean }[] = [];
  const understand: UnderstandEnded = (ex) => {
    const other = new Database(file, { readonly: true });
    try {
      const row = other.prepare('SELECT state FROM exchanges WHERE id = ?').get(ex.id) as { state: string } | undefined;
      seen.push({ id: ex.id, committed: row?.state === 'complete' });
    } finally {
      other.close();
    }
    return {
      dialect: 'openai-chat',
      call: null,
      threadKey: null,
      responseId: null,
      diagnosis: { severity: 'warning', summary: `understood ${ex.id}` },
    };
  };
  return { seen, understand };
}

const found = (reader: ExchangeReader, text: string) => reader.list({ text, limit: 1000 }).map((e) => e.id);

describe('rows first, index later', () => {
  it('a finished exchange is stored and readable before it is understood or indexed; the slices then do it in the order exchanges ended', () => {
    const dir = dataDir();
    const db = openDatabase(dir);
    const { seen, understand } = recording(databasePath(dir));
    const store = new CaptureStore(db, understand);
    store.indexInSlices = true;
    const reader = new ExchangeReader(db);

    const changed = store.apply([...exchange(1), ...exchange(2)]);
    // Stored, state and sizes: the list shows it. Not understood yet: no diagnosis (no badge), not searchable yet.
    expect(reader.list({ limit: 10 }).map((e) => [e.id, e.state, e.diagnosis])).toEqual([
      [2, 'complete', null],
      [1, 'complete', null],
    ]);
    expect(seen).toEqual([]);
    expect(found(reader, '令牌')).toEqual([]);
    expect(reader.searchProgress(1)).toEqual({ indexed: 0, total: 2 });
    // A later batch is stored without waiting for the understanding of the earlier one.
    store.apply(exchange(3));
    expect(reader.count()).toBe(3);
    expect(changed.sort()).toEqual([1, 2]);

    // A slice bounded to two exchanges: the first two to end, each understood after its row was committed.
    const first = store.indexSlice('all', 1000, 2);
    expect(first).toMatchObject({ understood: [1, 2], indexed: 2, more: true, failed: false });
    expect(seen).toEqual([
      { id: 1, committed: true },
      { id: 2, committed: true },
    ]);
    expect(reader.get(1)!.diagnosis).toMatchObject({ severity: 'warning' });
    expect(reader.get(3)!.diagnosis).toBeNull();
    expect(found(reader, '令牌').sort()).toEqual([1, 2]);
    expect(store.indexSlice('all', 1000, 2)).toMatchObject({ understood: [3], more: false });
    expect(found(reader, '令牌').sort()).toEqual([1, 2, 3]);
    expect(reader.searchProgress(1)).toBeNull();
    // Done once: nothing is understood or indexed twice.
    expect(store.indexSlice('all', 1000, 2)).toMatchObject({ understood: [], indexed: 0, more: false });
    expect(seen.map((s) => s.id)).toEqual([1, 2, 3]);
    db.close();
  });

  it('what a killed run left not understood is done after the next start, in slices, and what it had done is not done again', () => {
    const dir = dataDir();
    let db = openDatabase(dir);
    const before = recording(databasePath(dir));
    let store = new CaptureStore(db, before.understand);
    store.indexInSlices = true;
    for (let i = 1; i <= 60; i++) store.apply(exchange(i));
    store.indexSlice('all', 1000, 10);
    // Killed here: ten understood and indexed, fifty only stored.
    db.close();

    db = openDatabase(dir);
    const after = recording(databasePath(dir));
    store = new CaptureStore(db, after.understand);
    store.indexInSlices = true;
    const reader = new ExchangeReader(db);
    expect(store.unindexedRows()).toBe(50);
    expect(reader.searchProgress(1)).toEqual({ indexed: 10, total: 60 });
    let slices = 0;
    for (let more = true; more && slices < 100; slices++) more = store.indexSlice('all', 1000, 16).more;
    expect(slices).toBeGreaterThanOrEqual(4);
    expect(after.seen.map((s) => s.id)).toEqual(Array.from({ length: 50 }, (_, k) => 11 + k));
    expect(found(reader, '渠道')).toHaveLength(60);
    expect(found(reader, 'marker60')).toEqual([60]);
    expect(reader.list({ limit: 100 }).every((e) => e.diagnosis !== null)).toBe(true);
    db.close();
  });

  it('a store without slices (an import, a tool) understands and indexes each batch at once, as before', () => {
    const dir = dataDir();
    const db = openDatabase(dir);
    const store = new CaptureStore(db, recording(databasePath(dir)).understand);
    store.apply(exchange(1));
    const reader = new ExchangeReader(db);
    expect(found(reader, '令牌')).toEqual([1]);
    expect(reader.get(1)!.diagnosis).not.toBeNull();
    db.close();
  });
});

describe('a database from schema 10', () => {
  it('is indexed again after start, newest first, with its progress; the old index is dropped in steps; what it knew is kept', () => {
    const dir = dataDir();
    schema10(dir, 100);

    const db: Db = openDatabase(dir);
    db.pragma('secure_delete = ON');
    const reader = new ExchangeReader(db);
    // Nothing is read at upgrade: the rows are there, marked to be indexed; what was understood stays.
    expect(reader.count()).toBe(100);
    expect(reader.get(1)!.diagnosis).toMatchObject({ severity: 'warning' });
    expect(found(reader, '令牌')).toEqual([]);
    expect(found(reader, 'marker1')).toEqual([]);
    const again = recording(databasePath(dir));
    const store = new CaptureStore(db, again.understand);
    store.indexInSlices = true;
    expect(reader.searchProgress(1)).toEqual({ indexed: 0, total: 100 });

    // Newest first: after one slice the newest are found.
    store.indexSlice('all', 1000, 25);
    expect(found(reader, '令牌').sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, k) => 76 + k));
    expect(reader.searchProgress(1)).toEqual({ indexed: 25, total: 100 });
    const progress: number[] = [];
    for (let n = 0; n < 20 && reader.searchProgress(1); n++) {
      store.indexSlice('all', 1000, 25);
      progress.push(reader.searchProgress(1)?.indexed ?? 100);
    }
    expect(progress).toEqual([50, 75, 100]);
    // Indexed only: understood by the wirelog that stored them, not again.
    expect(again.seen).toEqual([]);
    expect(found(reader, '渠道')).toHaveLength(100);
    expect(found(reader, 'marker1')).toEqual([1]);

    // The index of schema 10 goes in a step of its own (capture goes on between steps), then the WAL is truncated.
    const steps: UpkeepStep[] = [];
    const queue: (() => void)[] = [];
    const upkeep = new Upkeep(
      () => db,
      { maxDbBytes: 1024 ** 4 },
      {
        later: (next) => queue.push(next),
        stepped: (s) => steps.push(s),
        finished: () => undefined,
        warn: (m) => steps.push({ kind: 'warning', m } as never),
      },
    );
    upkeep.resume();
    for (let k = 0; queue.length && k < 100; k++) queue.shift()!();
    expect(steps.filter((s) => s.kind === 'dropped')).toEqual([{ kind: 'dropped', index: 'exchanges_fts' }]);
    expect(steps.at(-1)!.kind).toBe('checkpoint');
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'exchanges_fts%'`).all()).toEqual([]);
    expect(found(reader, '令牌')).toHaveLength(100);
    db.close();
  });
});
