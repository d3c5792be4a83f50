// The thread session questions run on (llm/session-answer.ts answerOffThread): it opens the
// database read-only once, then answers each question it is sent, reading and parsing the turns
// asked for, and hands back the answer's text. Nothing of it runs on the thread that forwards
// traffic. It lives until the viewer stops it (idle, or closing).
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ExchangeReader } from '../db/reader.ts';
import { StoredRequests } from '../db/request-outline.ts';
import {
  answerSessionQuestion,
  type SessionAnswer,
  type SessionAsk,
  type SessionWorkerData,
} from './session-answer.ts';

// Below forwarding and storage: on a busy machine a session page waits, captures do not.
try {
  os.setPriority(0, 15);
} catch {
  // not permitted here: the session is read at normal priority
}

const data = workerData as SessionWorkerData;
let opened: { db: Database.Database; reader: ExchangeReader } | null = null;

function answer(ask: SessionAsk): SessionAnswer {
  try {
    if (!opened) {
      const db = new Database(data.file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      opened = { db, reader: new ExchangeReader(db) };
    }
    // Parts read are kept for one question only: a part's id may be another's after a deletion.
    return answerSessionQuestion(opened.reader, ask.question, ask.lang, new StoredRequests(opened.db));
  } catch (err) {
    return { status: 500, json: JSON.stringify({ error: `reading the session failed: ${(err as Error).message}` }) };
  }
}

parentPort!.on('message', (ask: SessionAsk) => parentPort!.postMessage(answer(ask)));
