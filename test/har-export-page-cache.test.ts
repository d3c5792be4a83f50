// The page cache of each connection `export --har` opens (export/har-export-thread.ts
// openExportDatabase): an export reads each page of the store once, so a cache only fills. With
// better-sqlite3's default (16 MB a connection) each of an export's three connections grew by
// 16 MB over its first 16 MB read and kept them: two workers' peak grew with the export's first
// thousands of exchanges (test/har-scale.test.ts). Counted here as the memory a connection holds
// after reading 48 MB of pages, beside a connection opened with the default.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_CACHE_KIB, openExportDatabase } from '../export/har-export-thread.ts';

const MB = 1024 * 1024;
const STORE_MB = 48;
const ROW_BYTES = 1024;

let file: string;
beforeAll(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-test-')), 'pages.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE bodies (id INTEGER PRIMARY KEY, data BLOB)');
  const insert = db.prepare('INSERT INTO bodies (data) VALUES (?)');
  // Rows that fit in their page: SQLite reads overflow pages past its cache (SQLITE_DIRECT_OVERFLOW_READ).
  const body = Buffer.alloc(ROW_BYTES, 7);
  db.transaction(() => {
    for (let i = 0; i < (STORE_MB * MB) / body.length; i++) insert.run(body);
  })();
  db.close();
});
afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** RSS the process gained while `db` read every page of the store once (no JS object per row: one row out). */
function heldAfterReadingAll(db: Database.Database): number {
  // The test's own garbage collected first: memory freed meanwhile would hide what the connection keeps.
  collect();
  const before = process.memoryUsage().rss;
  const found = db.prepare("SELECT count(*) AS n FROM bodies WHERE instr(data, x'08') = 0").get() as { n: number };
  expect(found.n).toBe((STORE_MB * MB) / ROW_BYTES);
  return process.memoryUsage().rss - before;
}

describe("an export's connection", () => {
  it('holds at most its bounded page cache after reading the whole store, where a default one holds 16 MB', () => {
    const exporting = openExportDatabase(file);
    const exportHeld = heldAfterReadingAll(exporting);
    exporting.close();
    const plain = new Database(file, { readonly: true });
    const plainHeld = heldAfterReadingAll(plain);
    plain.close();
    // The control: a connection with better-sqlite3's default cache keeps what it read, up to 16 MB.
    expect(plainHeld, `a default connection held ${(plainHeld / MB).toFixed(1)} MB`).toBeGreaterThan(10 * MB);
    expect(exportHeld, `the export's connection held ${(exportHeld / MB).toFixed(1)} MB`).toBeLessThan(
      EXPORT_CACHE_KIB * 1024 + 3 * MB,
    );
  });
});
