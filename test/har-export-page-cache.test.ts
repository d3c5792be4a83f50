// The page cache of each connection `export --har` opens (export/har-export-thread.ts
// openExportDatabase, used by the id reader and by each worker): an export reads each page of the
// store once, so a cache only fills. With better-sqlite3's default (16 MB a connection: it builds
// SQLite with SQLITE_DEFAULT_CACHE_SIZE=-16000) each of an export's three connections grew by
// 16 MB over its first 16 MB read and kept them: two workers' peak grew with the export's first
// thousands of exchanges (test/har-scale.test.ts measures that flatness). Read here as each
// connection's cache setting, beside a default connection's. (This test once counted the RSS
// gained while reading 48 MB: the unit tier runs files on threads of one process, so another
// file's memory moved it, and it failed in a clean-clone run.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_CACHE_KIB, openExportDatabase } from '../export/har-export-thread.ts';

let file: string;
beforeAll(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-test-')), 'pages.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE bodies (id INTEGER PRIMARY KEY, data BLOB)');
  db.close();
});
afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

/** A connection's page cache in KiB (SQLite gives a negative cache_size in KiB, a positive one in pages). */
function cacheKib(db: Database.Database): number {
  const size = db.pragma('cache_size', { simple: true }) as number;
  return size < 0 ? -size : (size * (db.pragma('page_size', { simple: true }) as number)) / 1024;
}

describe("an export's connection", () => {
  it('keeps a page cache of at most 2 MB, where a default one keeps 16 MB', () => {
    const exporting = openExportDatabase(file);
    const plain = new Database(file, { readonly: true });
    try {
      // The control: better-sqlite3's own default, which an export must not keep.
      expect(cacheKib(plain)).toBeGreaterThanOrEqual(16_000);
      expect(cacheKib(exporting)).toBe(EXPORT_CACHE_KIB);
      expect(EXPORT_CACHE_KIB).toBeLessThanOrEqual(2048);
    } finally {
      exporting.close();
      plain.close();
    }
  });
});
