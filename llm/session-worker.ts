// The thread a session question runs on (llm/session-answer.ts answerOffThread): it opens the
// database read-only, reads and parses the turns asked for, and hands back the answer's text.
// Nothing of it runs on the thread that forwards traffic.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ExchangeReader } from '../db/reader.ts';
import { answerSessionQuestion, type SessionAnswer, type SessionWorkerData } from './session-answer.ts';

// Below forwarding and storage: on a busy machine a session page waits, captures do not.
try {
  os.setPriority(0, 15);
} catch {
  // not permitted here: the session is read at normal priority
}

const data = workerData as SessionWorkerData;
let answer: SessionAnswer;
try {
  const db = new Database(data.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    answer = answerSessionQuestion(new ExchangeReader(db), data.question, data.lang);
  } finally {
    db.close();
  }
} catch (err) {
  answer = { status: 500, json: JSON.stringify({ error: `reading the session failed: ${(err as Error).message}` }) };
}
parentPort!.postMessage(answer);
