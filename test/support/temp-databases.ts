// Databases in temporary folders for one test file: each call opens a new one, and after each
// test every one opened is closed and its folder removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { type Db, openDatabase } from '../../db/schema.ts';

/** Call at a test file's top level: registers the cleanup, returns what opens a fresh database. */
export function tempDatabases(prefix: string): () => Db {
  const dirs: string[] = [];
  const dbs: Db[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    const db = openDatabase(dir);
    dbs.push(db);
    return db;
  };
}
