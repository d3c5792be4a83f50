// Session questions answered off the thread that forwards traffic: a page of a long session reads
// and parses a hundred request bodies (a 500-turn Codex session: about 0.7 s of parsing), which on
// the proxy's thread would hold every client's requests. A worker (llm/session-worker.ts) opens the
// database read-only, answers, and hands back the JSON text, as the viewer's comparisons do.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExchangeReader } from '../db/reader.ts';
import { createI18n } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { recentSessions, sessionPage, SessionQuestionError, turnContext, turnDiff } from './session-read.ts';

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
  question: SessionQuestion;
  lang: Language;
}

// The worker's heap at most: past it the thread stops and the viewer hears why.
const SESSION_HEAP_MB = 512;

const translators = new Map<Language, ReturnType<typeof createI18n>>();
function sessionText(lang: Language, key: string, params: Record<string, string | number>): string {
  let instance = translators.get(lang);
  if (!instance) translators.set(lang, (instance = createI18n(lang)));
  return instance.t(`sessions.api.${key}`, params);
}

/** The question answered here, on the caller's thread (the worker calls this; so does a database in memory). */
export function answerSessionQuestion(
  reader: ExchangeReader,
  question: SessionQuestion,
  lang: Language,
): SessionAnswer {
  try {
    const body =
      question.kind === 'recent'
        ? { sessions: recentSessions(reader, question.limit) }
        : question.kind === 'page'
          ? sessionPage(reader, question.key, question.offset, question.limit)
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
  const run = queue.then(() => inWorker({ file, question, lang }));
  queue = run.catch(() => undefined);
  return run;
}

const failed = (status: SessionAnswer['status'], error: string): SessionAnswer => ({
  status,
  json: JSON.stringify({ error }),
});

function inWorker(data: SessionWorkerData): Promise<SessionAnswer> {
  // Beside this module: session-worker.ts in the sources, session-worker.js in the dist/ bundle.
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './session-worker.ts' : './session-worker.js',
    import.meta.url,
  );
  const what = data.question.kind === 'recent' ? 'the recent sessions' : `session "${data.question.key}"`;
  return new Promise((resolve) => {
    let answered = false;
    const answer = (value: SessionAnswer) => {
      if (answered) return;
      answered = true;
      resolve(value);
    };
    const worker = startWorker(entry, data);
    worker.once('message', (message: SessionAnswer) => answer(message));
    worker.once('error', (err: NodeJS.ErrnoException) =>
      answer(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failed(
              503,
              `reading ${what} needed more than the ${SESSION_HEAP_MB} MB it may take: ask for a smaller page (limit=)`,
            )
          : failed(500, `reading ${what} failed: ${err.message}`),
      ),
    );
    worker.once('exit', (code) =>
      answer(failed(500, `reading ${what} stopped (exit code ${code}) before it answered`)),
    );
  });
}

/** A worker thread with a bounded heap: the built .js as it is, a .ts source through tsx (as db/compare-reader.ts does). */
function startWorker(file: URL, workerData: SessionWorkerData): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: SESSION_HEAP_MB };
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData, resourceLimits });
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}
