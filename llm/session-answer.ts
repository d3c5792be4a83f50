// Session questions answered off the thread that forwards traffic: a page reads a hundred turns
// (their answers, and the end of each request: llm/request-tail.ts), a context or a diff whole
// request bodies, which on the proxy's thread would hold every client's requests. A worker
// (llm/session-worker.ts) opens the database read-only and hands back each answer's JSON text; it
// is kept between questions while they come, and stopped when idle.
import type { Worker } from 'node:worker_threads';
import type { ExchangeReader } from '../db/reader.ts';
import type { StoredRequests } from '../db/request-outline.ts';
import { createI18n } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { recentSessions, sessionPage, SessionQuestionError, turnContext, turnDiff } from './session-read.ts';
import { startModuleWorker } from '../db/module-worker.ts';

export type SessionQuestion =
  | { kind: 'recent'; limit: number }
  | { kind: 'page'; key: string; offset: number; limit: number }
  | { kind: 'context'; key: string; turn: number }
  | { kind: 'diff'; key: string; b: number; a?: number };

/** What the API answers: a status and its JSON text, made where the question was answered. */
export interface SessionAnswer {
  status: 200 | 404 | 422 | 500 | 503;
  json: string;
}

export interface SessionWorkerData {
  file: string;
}

// The worker's heap at most: past it the thread stops and the viewer hears why.
const SESSION_HEAP_MB = 512;

const translators = new Map<Language, ReturnType<typeof createI18n>>();
function sessionText(lang: Language, key: string, params: Record<string, string | number>): string {
  let instance = translators.get(lang);
  if (!instance) translators.set(lang, (instance = createI18n(lang)));
  return instance.t(`sessions.api.${key}`, params);
}

/** The question answered here, on the caller's thread (the worker calls this, with the database's split requests; so does a database in memory). */
export function answerSessionQuestion(
  reader: ExchangeReader,
  question: SessionQuestion,
  lang: Language,
  requests?: StoredRequests,
): SessionAnswer {
  try {
    const body =
      question.kind === 'recent'
        ? { sessions: recentSessions(reader, question.limit) }
        : question.kind === 'page'
          ? sessionPage(reader, question.key, question.offset, question.limit, requests)
          : question.kind === 'context'
            ? turnContext(reader, question.key, question.turn)
            : turnDiff(reader, question.key, question.b, question.a);
    return { status: 200, json: JSON.stringify(body) };
  } catch (err) {
    if (!(err instanceof SessionQuestionError)) throw err;
    return {
      status: err.reason === 'noSession' || err.reason === 'notInSession' ? 404 : 422,
      json: JSON.stringify({ error: sessionText(lang, err.reason, err.params) }),
    };
  }
}

// One question at a time: each may hold a page of parsed request bodies.
let queue: Promise<unknown> = Promise.resolve();

/** The question answered on a thread of its own; a database in memory (tests of the API alone) is read here. */
export function answerOffThread(
  reader: ExchangeReader,
  question: SessionQuestion,
  lang: Language,
): Promise<SessionAnswer> {
  const file = reader.file;
  if (file === null) return Promise.resolve(answerSessionQuestion(reader, question, lang));
  const run = queue.then(() => inWorker(file, { question, lang }));
  queue = run.catch(() => undefined);
  return run;
}

const failed = (status: SessionAnswer['status'], error: string): SessionAnswer => ({
  status,
  json: JSON.stringify({ error }),
});

/** A session question as the worker is asked it. */
export interface SessionAsk {
  question: SessionQuestion;
  lang: Language;
}

/** A worker left idle this long is stopped (its database closed); the next question starts another. */
export const SESSION_THREAD_IDLE_MS = 20_000;

/**
 * The worker kept between questions: starting one costs more than a page now does (loading the
 * modules; under tsx, compiling them), and a user scrolling a session asks a question a second.
 * One at a time, for one database; stopped when idle, when another database is asked about, or
 * by closeSessionThread (the viewer's close). It never keeps the process alive (unref).
 */
let thread: { file: string; worker: Worker; idle: NodeJS.Timeout | null } | null = null;
/** Workers started so far (a test counts them: questions in a row share one). */
let threadsStarted = 0;

/** Whether a session worker runs, and how many were started since this module was loaded. */
export function sessionThreads(): { running: string | null; started: number } {
  return { running: thread?.file ?? null, started: threadsStarted };
}

/** Stops the session worker reading `file` if one runs (a database in memory has none). */
export function closeSessionThread(file: string | null): Promise<void> {
  const running = thread;
  if (!running || running.file !== file) return Promise.resolve();
  thread = null;
  if (running.idle) clearTimeout(running.idle);
  return running.worker.terminate().then(() => undefined);
}

function workerFor(file: string): Worker {
  if (thread && thread.file !== file) void closeSessionThread(thread.file);
  if (!thread) {
    const worker = startWorker(sessionWorkerEntry(), { file });
    threadsStarted++;
    worker.unref();
    const started = { file, worker, idle: null };
    // A thread that stopped (out of memory, an error) is forgotten: the next question starts another.
    worker.once('exit', () => {
      if (thread === started) thread = null;
    });
    thread = started;
  }
  if (thread.idle) clearTimeout(thread.idle);
  thread.idle = null;
  return thread.worker;
}

function idleAfterAnswer(worker: Worker): void {
  if (!thread || thread.worker !== worker) return;
  const running = thread;
  running.idle = setTimeout(() => void closeSessionThread(running.file), SESSION_THREAD_IDLE_MS);
  running.idle.unref();
}

/** Beside this module: session-worker.ts in the sources, session-worker.js in the dist/ bundle. */
function sessionWorkerEntry(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './session-worker.ts' : './session-worker.js', import.meta.url);
}

function inWorker(file: string, ask: SessionAsk): Promise<SessionAnswer> {
  const what = ask.question.kind === 'recent' ? 'the recent sessions' : `session "${ask.question.key}"`;
  const worker = workerFor(file);
  return new Promise((resolve) => {
    const onMessage = (message: SessionAnswer) => {
      settle(message);
      idleAfterAnswer(worker);
    };
    const onError = (err: NodeJS.ErrnoException) =>
      settle(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failed(
              503,
              `reading ${what} needed more than the ${SESSION_HEAP_MB} MB it may take: ask for a smaller page (limit=)`,
            )
          : failed(500, `reading ${what} failed: ${err.message}`),
      );
    const onExit = (code: number) =>
      settle(failed(500, `reading ${what} stopped (exit code ${code}) before it answered`));
    function settle(answer: SessionAnswer): void {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(answer);
    }
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(ask);
  });
}

/** A worker thread with a bounded heap (db/module-worker.ts). */
function startWorker(file: URL, workerData: SessionWorkerData): Worker {
  return startModuleWorker(file, { workerData, resourceLimits: { maxOldGenerationSizeMb: SESSION_HEAP_MB } });
}
