// Feeds stored exchanges, bodies decoded, to model/exchange-diff.ts; the viewer's comparisons run on a
// worker thread of their own (db/compare-worker.ts), never on the thread that forwards traffic:
// two 49 MB JSON bodies compared there held every client's requests for 17 s.
import { createHash } from 'node:crypto';
import type { Worker, ResourceLimits } from 'node:worker_threads';
import { compareExchanges, type BodyComparison, type Comparison } from '../model/exchange-diff.ts';
import type { BodySide, Exchange } from '../model/exchange.ts';
import { bodyView } from './body-view.ts';
import type { DecodedBodies } from './decoded-bodies.ts';
import type { ExchangeReader } from './reader.ts';
import { damagedRefusal } from './stored-values.ts';
import { sendingClient } from '../llm/working-config.ts';
import { localized, serverText } from '../i18n/stored-text.ts';
import type { Language } from '../i18n/languages.ts';
import { startModuleWorker } from './module-worker.ts';

/**
 * Bodies up to this many stored bytes are compared in full (decoded, JSON path by path); a larger
 * one is compared by its stored bytes (the same or not) and the comparison says so. Parsing a
 * JSON body takes about 5 times its size in memory.
 */
export const COMPARED_IN_FULL_BYTES = 8 * 1024 * 1024;

// The comparison thread's heap at most: past it the thread stops and the viewer hears why.
const COMPARE_HEAP_MB = 256;

function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** SHA-256 of a body's stored bytes, read a chunk at a time (a large body is never held whole). */
function storedHash(reader: ExchangeReader, exchange: Exchange, side: BodySide): string {
  const hash = createHash('sha256');
  for (const chunk of reader.bodyChunks(exchange.id, side)) hash.update(chunk);
  return hash.digest('hex');
}

/** A body pair past COMPARED_IN_FULL_BYTES: the same stored bytes or not, and what was not compared. */
function comparedAsBytes(reader: ExchangeReader, a: Exchange, b: Exchange, side: BodySide): BodyComparison {
  const info = (e: Exchange) => (side === 'request' ? e.requestBody : e.responseBody);
  const [x, y] = [info(a), info(b)];
  const sameEncoding = x.encoding === y.encoding;
  const same =
    sameEncoding && x.storedSize === y.storedSize && storedHash(reader, a, side) === storedHash(reader, b, side);
  const sizes = { a: megabytes(x.storedSize), b: megabytes(y.storedSize), max: megabytes(COMPARED_IN_FULL_BYTES) };
  const why = sameEncoding
    ? serverText('en', side === 'request' ? 'api.compareRequestBytes' : 'api.compareResponseBytes', sizes)
    : serverText('en', side === 'request' ? 'api.compareRequestBytesEncodings' : 'api.compareResponseBytesEncodings', {
        ...sizes,
        x: x.encoding || 'identity',
        y: y.encoding || 'identity',
      });
  return { kind: 'bytes', same, aSize: x.storedSize, bSize: y.storedSize, why };
}

function tooLarge(e: Exchange, side: BodySide): boolean {
  return (side === 'request' ? e.requestBody : e.responseBody).storedSize > COMPARED_IN_FULL_BYTES;
}

/**
 * Two stored exchanges compared: bodies past COMPARED_IN_FULL_BYTES by their bytes only (said in
 * the comparison). `bodies`: texts already decoded in this run (`wirelog doctor` compares each
 * failure of a relay with the same working call, and has read the failure's bodies to diagnose it).
 */
export function comparisonOf(reader: ExchangeReader, a: Exchange, b: Exchange, bodies?: DecodedBodies): Comparison {
  const large = {
    request: tooLarge(a, 'request') || tooLarge(b, 'request'),
    response: tooLarge(a, 'response') || tooLarge(b, 'response'),
  };
  const decoded = (e: Exchange, side: BodySide) => (bodies ? bodies.text(e, side) : bodyView(reader, e, side).text);
  const text = (e: Exchange, side: BodySide) => (large[side] ? null : decoded(e, side));
  const side = (e: Exchange) => ({ exchange: e, requestText: text(e, 'request'), responseText: text(e, 'response') });
  const comparison = compareExchanges(side(a), side(b));
  if (large.request) comparison.requestBody = comparedAsBytes(reader, a, b, 'request');
  if (large.response) comparison.responseBody = comparedAsBytes(reader, a, b, 'response');
  return comparison;
}

/** Who sent a call, as compared: the client's kind, or for another app its name without the version. */
function clientKey(exchange: Exchange): string {
  const client = sendingClient(exchange.request.headers);
  return client.kind !== 'other' ? client.kind : `other:${(client.label ?? '').split(' ')[0]}`;
}

/** The API a call spoke: its dialect (when understood) and its path without the query. */
function apiKey(exchange: Exchange): string {
  return `${exchange.call?.dialect ?? ''} ${exchange.request.path.split('?')[0]}`;
}

/**
 * The model call that worked (2xx) a failing call is best compared with, among the newest to the
 * same host: one from the same client and the same API (dialect and path) when there is one, else
 * the same API from another client, else the same client on another API, else the newest from
 * any client. Comparing a Cherry Studio chat call with a Codex Responses call says mostly that
 * they are different calls.
 */
export function lastWorkingCall(reader: ExchangeReader, exchange: Exchange): Exchange | null {
  const client = clientKey(exchange);
  const api = apiKey(exchange);
  let best: Exchange | null = null;
  let bestRank = -1;
  // The host's completed 2xx exchanges, newest first, a page at a time (up to 500): the best
  // rank is most often in the first page, and `wirelog doctor` asks once per failure it lists.
  let before: number | undefined;
  for (let seen = 0; seen < WORKING_LOOKED_AT; seen += WORKING_PAGE) {
    const page = reader.list({
      host: exchange.request.host,
      status: '2xx',
      state: 'complete',
      before,
      limit: WORKING_PAGE,
    });
    // Newest first: the first of each rank is kept.
    for (const e of page) {
      if (e.id === exchange.id || e.damaged || e.call === null || e.call.dialect === 'models') continue;
      const rank = (apiKey(e) === api ? 2 : 0) + (clientKey(e) === client ? 1 : 0);
      if (rank > bestRank) [best, bestRank] = [e, rank];
      if (rank === 3) return best;
    }
    if (page.length < WORKING_PAGE) break;
    before = page[page.length - 1].id;
  }
  return best;
}

const WORKING_PAGE = 25;
const WORKING_LOOKED_AT = 500;

/** What GET /api/compare answers: a status and its JSON text (made where the comparison ran). */
export interface ComparisonAnswer {
  status: 200 | 404 | 422 | 500 | 503;
  json: string;
}

/** A refusal or failure (the catalogue's English sentence) answered in `lang`. */
export const failure = (
  status: ComparisonAnswer['status'],
  error: string,
  lang: Language = 'en',
): ComparisonAnswer => ({ status, json: JSON.stringify({ error: localized(error, lang) }) });

/** The comparison in `lang`: its bodies' notes (compared by their bytes only) said in the reader's language. */
function comparisonIn(comparison: Comparison, lang: Language): Comparison {
  for (const body of [comparison.requestBody, comparison.responseBody])
    if (body.kind === 'bytes') body.why = localized(body.why, lang);
  return comparison;
}

/** Exchange `a` compared with `b` (an id, or "working": the newest call to a's host that worked), as the API answers it, in `lang`. */
export function answerComparison(
  reader: ExchangeReader,
  aId: number,
  bId: number | 'working',
  lang: Language = 'en',
): ComparisonAnswer {
  const a = reader.get(aId);
  if (!a) return failure(404, serverText('en', 'api.compareNoExchange', { id: aId }), lang);
  const b = bId === 'working' ? lastWorkingCall(reader, a) : reader.get(bId);
  if (!b)
    return failure(
      404,
      bId === 'working'
        ? serverText('en', 'api.compareNoWorking', { host: a.request.host })
        : serverText('en', 'api.compareNoExchange', { id: bId }),
      lang,
    );
  const refusal = damagedRefusal(a, 'compared') ?? damagedRefusal(b, 'compared');
  if (refusal) return failure(422, refusal, lang);
  return { status: 200, json: JSON.stringify(comparisonIn(comparisonOf(reader, a, b), lang)) };
}

export interface CompareWorkerData {
  file: string;
  a: number;
  b: number | 'working';
  /** The language the answer's refusals and notes are said in (the viewer's request's). */
  lang: Language;
}

// One comparison at a time: each may hold two bodies of COMPARED_IN_FULL_BYTES parsed.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Compares on a thread of its own, which opens the database read-only, reads both exchanges,
 * decodes, parses and compares there and hands back the answer's text: the thread that forwards
 * traffic only passes it on. A database in memory (tests of the API alone) is compared here.
 */
export function compareOffThread(
  reader: ExchangeReader,
  a: number,
  b: number | 'working',
  lang: Language = 'en',
): Promise<ComparisonAnswer> {
  const file = reader.file;
  if (file === null) return Promise.resolve(answerComparison(reader, a, b, lang));
  const run = queue.then(() => inWorker({ file, a, b, lang }));
  queue = run.catch(() => undefined);
  return run;
}

function inWorker(data: CompareWorkerData): Promise<ComparisonAnswer> {
  // Beside this module: compare-worker.ts in the sources, compare-worker.js in the dist/ bundle.
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? './compare-worker.ts' : './compare-worker.js',
    import.meta.url,
  );
  return new Promise((resolve) => {
    let answered = false;
    const answer = (value: ComparisonAnswer) => {
      if (answered) return;
      answered = true;
      resolve(value);
    };
    const worker = startWorker(entry, data, { maxOldGenerationSizeMb: COMPARE_HEAP_MB });
    worker.once('message', (message: ComparisonAnswer) => answer(message));
    worker.once('error', (err: NodeJS.ErrnoException) =>
      answer(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failure(
              503,
              serverText('en', 'api.compareOutOfMemory', { a: data.a, b: data.b, mb: COMPARE_HEAP_MB }),
              data.lang,
            )
          : failure(
              500,
              serverText('en', 'api.compareFailed', { a: data.a, b: data.b, error: err.message }),
              data.lang,
            ),
      ),
    );
    worker.once('exit', (code) =>
      answer(failure(500, serverText('en', 'api.compareStopped', { a: data.a, b: data.b, code }), data.lang)),
    );
  });
}

/** A worker thread from a module with a bounded heap (db/module-worker.ts). */
function startWorker(file: URL, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  return startModuleWorker(file, { workerData, resourceLimits });
}
