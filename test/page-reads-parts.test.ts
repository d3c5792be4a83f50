// The parts of a page's split bodies (db/page-reads.ts): a part the cache does not hold is looked
// up in the blobs table once, its hash with its bytes, not once for its hash and again for its
// bytes; a part the cache holds is checked by its hash alone, and one stored since under the same
// id (its hash changed) is read anew, not served from the cache. The bodies are the same either way.
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Blobs } from '../db/blobs.ts';
import { splitBody } from '../db/body-parts.ts';
import { type PageReadAccess, type PartCache, readPage } from '../db/page-reads.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { tempDir } from './support/harness.ts';

const IDS = [1, 2, 3, 4, 5, 6];

function partCache(): PartCache {
  const parts = new Map<number, { hash: Buffer; bytes: Buffer }>();
  return { get: (id) => parts.get(id), set: (id, part) => void parts.set(id, part) };
}

/** Turns of one session: each request a split body whose parts (instructions, earlier turns) the later ones share. */
function fill(db: Db): void {
  db.pragma('foreign_keys = OFF');
  const blobs = new Blobs(db);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data, codec) VALUES (?, ?, ?, ?, ?)');
  for (const id of IDS) {
    const request = Buffer.from(
      JSON.stringify({
        model: 'gpt-5-codex',
        instructions: 'You are a careful assistant. '.repeat(20),
        input: Array.from({ length: id }, (_, i) => ({ role: 'user', content: `turn ${i} ${'x'.repeat(100 + i)}` })),
      }),
    );
    const split = splitBody(request, '');
    if (!split) throw new Error('the request was not split');
    const stored = blobs.store(split);
    body.run(id, 'request', 0, stored.data, stored.codec);
  }
}

/** A page read's access to the database, counting the rows each blobs query gives back. */
function countingAccess(db: Db): { access: PageReadAccess; blobRows: Map<string, number> } {
  const blobRows = new Map<string, number>();
  const statements = new Map<string, Database.Statement>();
  const count = (sql: string, rows: number) => {
    if (/FROM blobs/.test(sql)) blobRows.set(sql, (blobRows.get(sql) ?? 0) + rows);
  };
  const access: PageReadAccess = {
    statement(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        const prepared = db.prepare(sql);
        const all = prepared.all.bind(prepared);
        const get = prepared.get.bind(prepared);
        Object.assign(prepared, {
          all: (...params: unknown[]) => {
            const rows = all(...params);
            count(sql, rows.length);
            return rows;
          },
          get: (...params: unknown[]) => {
            const row = get(...params);
            count(sql, row === undefined ? 0 : 1);
            return row;
          },
        });
        statement = prepared;
        statements.set(sql, statement);
      }
      return statement;
    },
    noteDamage() {},
  };
  return { access, blobRows };
}

const want = { sse: new Set<number>(), websocket: new Set<number>() };
const total = (rows: Map<string, number>) => [...rows.values()].reduce((a, b) => a + b, 0);

describe("a page's split bodies' parts", () => {
  it('are looked up once each when the cache holds none, once by hash when it holds them all, and read anew when changed since', () => {
    const db = openDatabase(tempDir());
    fill(db);
    const one = new ExchangeReader(db);
    const parts = (db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n;
    expect(parts).toBeGreaterThan(IDS.length);
    const cache = partCache();

    // Nothing held: each part's row read once, its hash with its bytes.
    const first = countingAccess(db);
    const read = readPage(first.access, IDS, want, cache);
    for (const id of IDS) expect(read.get(id)!.request.equals(one.body(id, 'request')), `#${id}`).toBe(true);
    expect(total(first.blobRows)).toBe(parts);

    // All held: each checked by its hash alone, no bytes read.
    const second = countingAccess(db);
    const again = readPage(second.access, IDS, want, cache);
    for (const id of IDS) expect(again.get(id)!.request.equals(one.body(id, 'request')), `#${id}`).toBe(true);
    expect(total(second.blobRows)).toBe(parts);
    expect([...second.blobRows.keys()].every((sql) => !/\bdata\b/.test(sql.split('FROM')[0]))).toBe(true);

    // A part stored since under the same id (its hash and bytes changed): read anew, and kept.
    const changed = db.prepare('SELECT id, size FROM blobs ORDER BY size DESC LIMIT 1').get() as { id: number };
    const other = db
      .prepare('SELECT codec, data FROM blobs WHERE id <> ? ORDER BY size DESC LIMIT 1')
      .get(changed.id) as { codec: number; data: Buffer };
    db.prepare('UPDATE blobs SET hash = randomblob(32), codec = ?, data = ? WHERE id = ?').run(
      other.codec,
      other.data,
      changed.id,
    );
    const third = countingAccess(db);
    const anew = readPage(third.access, IDS, want, cache);
    const fresh = new ExchangeReader(db);
    for (const id of IDS) expect(anew.get(id)!.request.equals(fresh.body(id, 'request')), `#${id}`).toBe(true);
    // Every part checked by hash, the changed one's row read again.
    expect(total(third.blobRows)).toBe(parts + 1);
    db.close();
  });
});
