// db/row-objects.ts allAsObjects gives the objects better-sqlite3 gives in object mode (the same
// own properties in the same order, values of every type, a repeated column name's last value, a
// `__proto__` column as object mode reads it), and leaves the statement, shared by the reader's users,
// in object mode: after it, after a call that throws, and after a raw user's call.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { allAsObjects } from '../db/row-objects.ts';
import { tempDir } from './support/harness.ts';

function database(): Database.Database {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, 'rows.sqlite'));
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB, d INTEGER)');
  const insert = db.prepare('INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 40; i++)
    insert.run(
      i % 5 ? `text ${i} 中转站` : null,
      i / 3,
      i % 2 ? Buffer.from([i, 255, 0]) : null,
      i % 7 ? i * 1000 : null,
    );
  return db;
}

/** Each object's own properties, in order, with their values. */
const entries = (rows: unknown[]) => rows.map((row) => Object.entries(row as object));

describe('rows as objects, read as arrays', () => {
  it('are the objects object mode gives, for every statement shape', () => {
    const db = database();
    for (const sql of [
      'SELECT * FROM t WHERE id > @after ORDER BY id LIMIT @limit',
      'SELECT id, a AS x, b AS x FROM t WHERE id > @after LIMIT @limit',
      'SELECT id, d AS __proto__ FROM t WHERE id > @after LIMIT @limit',
      'SELECT id FROM t WHERE id > @after AND id < 0 LIMIT @limit',
    ]) {
      const statement = db.prepare(sql);
      for (const params of [
        { after: 0, limit: 50 },
        { after: 17, limit: 5 },
      ]) {
        const expected = db.prepare(sql).all(params);
        const got = allAsObjects(statement, params);
        expect(entries(got)).toEqual(entries(expected));
        expect(got.map((row) => Object.getPrototypeOf(row))).toEqual(expected.map((row) => Object.getPrototypeOf(row)));
      }
    }
    db.close();
  });

  it('leave the shared statement in object mode, whatever happened to it', () => {
    const db = database();
    const statement = db.prepare('SELECT id, a FROM t WHERE id > @after LIMIT @limit');
    allAsObjects(statement, { after: 0, limit: 3 });
    expect(statement.get({ after: 0, limit: 1 })).toEqual({ id: 1, a: null });
    // A raw user before it.
    statement.raw(true).all({ after: 0, limit: 1 });
    expect(allAsObjects(statement, { after: 0, limit: 1 })).toEqual([{ id: 1, a: null }]);
    expect(statement.get({ after: 0, limit: 1 })).toEqual({ id: 1, a: null });
    // A call that throws (a parameter missing).
    expect(() => allAsObjects(statement, { after: 0 })).toThrow();
    expect(statement.get({ after: 1, limit: 1 })).toEqual({ id: 2, a: 'text 1 中转站' });
    db.close();
  });
});
