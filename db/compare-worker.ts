// The thread a viewer's comparison runs on (db/compare-reader.ts compareOffThread): it opens the database
// read-only, reads both exchanges, decodes, parses and compares their bodies, and hands back the
// answer's text. Nothing of it runs on the thread that forwards traffic.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { answerComparison, failure, type ComparisonAnswer, type CompareWorkerData } from './compare-reader.ts';
import { serverText } from '../i18n/stored-text.ts';
import { ExchangeReader } from './reader.ts';

// Below forwarding and storage: on a busy machine a comparison waits, captures do not.
try {
  os.setPriority(0, 15);
} catch {
  // not permitted here: the comparison runs at normal priority
}

const data = workerData as CompareWorkerData;
let answer: ComparisonAnswer;
try {
  const db = new Database(data.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    answer = answerComparison(new ExchangeReader(db), data.a, data.b, data.lang);
  } finally {
    db.close();
  }
} catch (err) {
  answer = failure(
    500,
    serverText('en', 'api.compareFailed', { a: data.a, b: data.b, error: (err as Error).message }),
    data.lang,
  );
}
parentPort!.postMessage(answer);
