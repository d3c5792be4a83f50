// The thread a session export for the viewer runs on (export/session-export-thread.ts): it opens
// the database read-only, writes the session through its renderer and posts the page in pieces.
// Nothing of it runs on the thread that forwards traffic.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ExchangeReader } from '../db/reader.ts';
import { runSessionExport, type SessionExportMessage, type SessionExportWorkerData } from './session-export-thread.ts';

// Below forwarding and storage: on a busy machine an export waits, captures do not.
try {
  os.setPriority(0, 15);
} catch {
  // not permitted here: the export runs at normal priority
}

const data = workerData as SessionExportWorkerData;
const say = (message: SessionExportMessage) => parentPort!.postMessage(message);
try {
  const db = new Database(data.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    await runSessionExport(new ExchangeReader(db), data, say);
  } finally {
    db.close();
  }
} catch (err) {
  say({ type: 'failed', error: `exporting the session failed: ${(err as Error).message}` });
}
