import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { SLICE_EXCHANGES, Upkeep, usedBytes, type UpkeepStep } from '../db/retention.ts';
import { databasePath, openDatabase, type Db } from '../db/schema.ts';
import { SPLIT, referencedIds, type StoredRow } from '../db/blobs.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

// Words no other text holds: a match in the files' bytes can only be what was deleted. FTS5
// stores a term after the prefix it shares with the one before it: the tails are looked for.
// Its letters differ from the first one on, so no two canaries share more than a few.
const canary = (i: number) =>
  `qzv${[...createHash('sha256').update(String(i)).digest()]
    .slice(0, 13)
    .map((b) => String.fromCharCode(97 + (b % 26)))
    .join('')}${i}`;
// Words of a small vocabulary in an order of no pattern: bodies are stored compressed (db/compression.ts), and a
// filler that repeats would shrink to nothing and leave retention nothing to free but the index.
const filler = (i: number) => {
  let x = i * 2654435761;
  return Array.from({ length: 4000 }, () => `w${(x = (x * 1103515245 + 12345) % 2 ** 31) % 997}`).join(' ');
};

function exchange(i: number) {
  const events = finishedExchange(i);
  for (const e of events)
    if (e.type === 'body-chunk' && e.side === 'request')
      e.chunk = Buffer.from(JSON.stringify({ model: 'm', input: `${canary(i)} ${filler(i)}` }));
  return events;
}

/** Which of these canaries' tails are in the database file, its WAL or its shared memory. */
function inFiles(dataDir: string, ids: number[]): number[] {
  const files = ['', '-wal', '-shm'].map((s) => `${databasePath(dataDir)}${s}`).filter((f) => fs.existsSync(f));
  const bytes = files.map((f) => fs.readFileSync(f));
  return ids.filter((i) => bytes.some((b) => b.includes(canary(i).slice(-10))));
}

/** Each exchange's request parts (db/blobs.ts) as they lie in the file's pages: compressed, so the words are not there to grep; their bytes are. */
function storedParts(db: Db, ids: number[]): Map<number, Buffer[]> {
  const records = db.prepare(
    `SELECT codec, data FROM bodies WHERE exchange_id = ? AND side = 'request' AND codec >= ${SPLIT}`,
  );
  const blob = db.prepare('SELECT data FROM blobs WHERE id = ?').pluck();
  return new Map(
    ids.map((id) => [
      id,
      (records.all(id) as StoredRow[]).flatMap(referencedIds).map((part) => (blob.get(part) as Buffer).subarray(8, 40)),
    ]),
  );
}

/** Which of these exchanges' parts are still in the database file, its WAL or its shared memory. */
function partsInFiles(dataDir: string, parts: Map<number, Buffer[]>, ids: number[]): number[] {
  const bytes = ['', '-wal', '-shm']
    .map((s) => `${databasePath(dataDir)}${s}`)
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f));
  return ids.filter((i) => parts.get(i)!.some((part) => bytes.some((b) => b.includes(part))));
}

/** No part is left that no stored body refers to, and every reference counted is one a body holds. */
function noOrphanParts(db: Db): void {
  const held = new Map<number, number>();
  for (const row of db.prepare(`SELECT codec, data FROM bodies WHERE codec >= ${SPLIT}`).all() as StoredRow[])
    for (const id of referencedIds(row)) held.set(id, (held.get(id) ?? 0) + 1);
  const blobs = db.prepare('SELECT id, refs FROM blobs').all() as { id: number; refs: number }[];
  expect(blobs.filter((b) => held.get(b.id) !== b.refs)).toEqual([]);
  expect(blobs.length).toBe(held.size);
}

/** An Upkeep whose steps the test runs one by one, with capture batches between them. */
function driven(db: Db, maxDbBytes: number, store?: CaptureStore) {
  const queue: (() => void)[] = [];
  const steps: UpkeepStep[] = [];
  const finished: { pruned: number; cleared: number }[] = [];
  const upkeep = new Upkeep(
    () => db,
    { maxDbBytes },
    {
      later: (next) => queue.push(next),
      purging: (on) => {
        if (store) store.deferIndexing = on;
      },
      stepped: (s) => steps.push(s),
      finished: (d) => finished.push(d),
      warn: (m) => steps.push({ kind: 'warning', m } as never),
    },
  );
  return { upkeep, queue, steps, finished };
}

/** Runs the steps asked for, `between` before each (a capture batch), until none is asked for; bounded: a pass that never ends fails. */
function drain(queue: (() => void)[], between: () => void = () => undefined): void {
  for (let k = 0; queue.length && k < 2000; k++) {
    between();
    queue.shift()!();
  }
  expect(queue.length, 'upkeep still asking for steps after 2,000').toBe(0);
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function fresh(): { dataDir: string; db: Db; store: CaptureStore; reader: ExchangeReader } {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const db = openDatabase(dataDir);
  db.pragma('secure_delete = ON');
  return { dataDir, db, store: new CaptureStore(db), reader: new ExchangeReader(db) };
}

const search = (reader: ExchangeReader, i: number) => reader.list({ text: canary(i), limit: 10 }).length;

describe('retention in steps', () => {
  it('deletes the oldest down to the limit in several small transactions, capture between them, and leaves no deleted word in the files', () => {
    const { dataDir, db, store, reader } = fresh();
    for (let i = 1; i <= 300; i++) store.apply(exchange(i));
    const parts = storedParts(
      db,
      Array.from({ length: 300 }, (_, k) => k + 1),
    );
    expect([...parts.values()].every((p) => p.length === 1)).toBe(true);
    // As an index that has run for a while: most of it in one large segment, so that deleting
    // the oldest leaves them marked in a segment that still holds others (a segment all deleted is dropped whole).
    db.exec(`INSERT INTO exchanges_search (exchanges_search) VALUES ('optimize')`);
    // FTS5 rewrites a segment on its own once a tenth of it is deleted (as captures add to the
    // index): off here, so that only the merge steps can purge, as for a smaller share deleted.
    db.exec(`INSERT INTO exchanges_search (exchanges_search, rank) VALUES ('deletemerge', 0)`);
    const limit = Math.floor(usedBytes(db) * 0.6);
    const { upkeep, queue, steps, finished } = driven(db, limit, store);
    upkeep.prune();
    // Each step runs only when the storage thread gets to it: here, after one capture batch.
    let captured = 300;
    const order: string[] = [];
    drain(queue, () => {
      if (order.length) order.push(steps.at(-1)?.kind ?? 'none');
      store.apply(exchange(++captured));
      order.push('capture');
    });
    order.push(steps.at(-1)!.kind);
    store.indexWaiting();
    const pruned = steps.filter((s) => s.kind === 'pruned') as { kind: 'pruned'; exchanges: number }[];
    expect(steps.filter((s) => (s.kind as string) === 'warning')).toEqual([]);
    // Several transactions, none larger than a slice, a capture batch before each.
    expect(pruned.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...pruned.map((s) => s.exchanges))).toBeLessThanOrEqual(SLICE_EXCHANGES);
    expect(order.filter((o, k) => o !== 'capture' && order[k - 1] !== 'capture')).toEqual([]);

    // Oldest first: what is left is the newest run, captures during retention included.
    const ids = (db.prepare('SELECT id FROM exchanges ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(ids.at(-1)).toBe(captured);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => ids[0] + k));
    expect(usedBytes(db)).toBeLessThanOrEqual(limit);
    const deleted = Array.from({ length: ids[0] - 1 }, (_, k) => k + 1);
    expect(deleted.length).toBeGreaterThan(50);
    expect(inFiles(dataDir, deleted)).toEqual([]);
    expect(inFiles(dataDir, [ids[0], captured]).length).toBe(2); // what is kept is there to be found
    // And the parts of their request bodies: gone from the files, none left unreferenced.
    expect(partsInFiles(dataDir, parts, deleted)).toEqual([]);
    expect(partsInFiles(dataDir, parts, [ids[0], 300])).toEqual([ids[0], 300]);
    noOrphanParts(db);
    expect(search(reader, deleted[0])).toBe(0);
    expect(search(reader, ids[0])).toBe(1);
    expect(search(reader, captured)).toBe(1);
    // The merge steps that purge the index come after the deletes, then the WAL is truncated.
    expect(steps.some((s) => s.kind === 'purged')).toBe(true);
    expect(steps.at(-1)!.kind).toBe('checkpoint');
    expect(finished).toEqual([{ pruned: pruned.reduce((n, s) => n + s.exchanges, 0), cleared: 0 }]);
    db.close();
  });

  it('stops between two steps, and the next start goes on where it stopped', () => {
    const { dataDir, db, store } = fresh();
    for (let i = 1; i <= 200; i++) store.apply(exchange(i));
    db.exec(`INSERT INTO exchanges_search (exchanges_search) VALUES ('optimize')`);
    // FTS5 rewrites a segment on its own once a tenth of it is deleted (as captures add to the
    // index): off here, so that only the merge steps can purge, as for a smaller share deleted.
    db.exec(`INSERT INTO exchanges_search (exchanges_search, rank) VALUES ('deletemerge', 0)`);
    const limit = Math.floor(usedBytes(db) * 0.5);
    const first = driven(db, limit);
    first.upkeep.prune();
    first.queue.shift()!();
    first.upkeep.stop();
    // Stopped: the step asked for next does nothing, and no step is asked for again.
    drain(first.queue);
    expect(first.steps.map((s) => s.kind)).toEqual(['pruned']);
    expect(first.finished).toEqual([]);
    db.close();

    const again = openDatabase(dataDir);
    again.pragma('secure_delete = ON');
    const second = driven(again, limit);
    second.upkeep.prune();
    drain(second.queue);
    expect(second.steps.at(-1)!.kind).toBe('checkpoint');
    const oldest = (again.prepare('SELECT min(id) AS id FROM exchanges').get() as { id: number }).id;
    expect(
      inFiles(
        dataDir,
        Array.from({ length: oldest - 1 }, (_, k) => k + 1),
      ),
    ).toEqual([]);
    again.close();
  });
});

describe('Clear all in steps', () => {
  it('deletes what was stored before it, keeps what arrives during it, and leaves none of the deleted text in the files', () => {
    const { dataDir, db, store, reader } = fresh();
    for (let i = 1; i <= 150; i++) store.apply(exchange(i));
    const parts = storedParts(
      db,
      Array.from({ length: 150 }, (_, k) => k + 1),
    );
    const { upkeep, queue, steps, finished } = driven(db, 1024 ** 4, store);
    store.clear();
    upkeep.resume();
    let captured = 150;
    drain(queue, () => store.apply(exchange(++captured)));
    store.indexWaiting();
    const cleared = steps.filter((s) => s.kind === 'cleared');
    expect(cleared.length).toBeGreaterThanOrEqual(3);
    expect(finished).toEqual([{ pruned: 0, cleared: 150 }]);
    expect(steps.at(-1)!.kind).toBe('checkpoint');
    const paths = reader.list({ limit: 1000 }).map((e) => Number(/n=(\d+)/.exec(e.request.path)![1]));
    expect(paths.sort((a, b) => a - b)).toEqual(Array.from({ length: captured - 150 }, (_, k) => 151 + k));
    expect(
      inFiles(
        dataDir,
        Array.from({ length: 150 }, (_, k) => k + 1),
      ),
    ).toEqual([]);
    expect(
      partsInFiles(
        dataDir,
        parts,
        Array.from({ length: 150 }, (_, k) => k + 1),
      ),
    ).toEqual([]);
    noOrphanParts(db);
    expect((db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n).toBe(captured - 150);
    expect(search(reader, 10)).toBe(0);
    expect(search(reader, captured)).toBe(1);
    db.close();
  });
});
