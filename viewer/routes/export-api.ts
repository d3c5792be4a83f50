// GET /api/export.har: the exchanges the filters select (or one, ?id=), as a HAR file streamed
// while it is written. Damaged rows are left out, and counted in the file's log.comment and
// log._wirelog (export/har.ts).
//
// The HAR is read and written on a worker thread (export/har-export-thread.ts, as `wirelog export
// --har`): this is the thread that forwards the proxy's traffic, and writeHar here read pages of
// SQLite synchronously between its awaits, stalling every request through the proxy meanwhile.
// The export is one range whose keys the worker walks too (oneRange): the CLI's ranges read their
// ids here, which for a common word or a filter few rows match took 0.2-1.2 s at a million.
// Between the worker and the response stands a queue of at most HELD_BYTES (and the chunk that
// passed it): the worker waits while a slow client leaves it full, so its output does not pile up
// here. A client that goes away stops the worker; a worker that fails ends the file with a line
// saying so, in the request's language (nothing after the head can change the status any more).
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { ExchangeReader } from '../../db/reader.ts';
import {
  HarExportError,
  type HarFilter,
  type HarThreadOptions,
  writeHarOffThread,
} from '../../export/har-export-thread.ts';
import { writeHar } from '../../export/har.ts';
import type { Language } from '../../i18n/languages.ts';
import { phraseText } from '../../i18n/stored-text.ts';
import { exportQuery, filterOf } from './filters.ts';
import { badRequest, refusal, requestLanguage } from './shared.ts';

/** Bytes of HAR the response queues ahead of the client at most (plus the one chunk that passed it). */
export const HELD_BYTES = 2 * 1024 * 1024;

/**
 * Exports written at once, at most: each has its own worker thread and database connection, and
 * on two cores a third only slows the others and the storage thread. One more is refused (429,
 * saying to wait) rather than queued: a page that asks for a hundred gets a hundred refusals, not
 * a hundred open requests.
 */
export const MAX_EXPORTS = 2;

/** What tests watch and set: the bytes queued at each change, and how the worker's export is shared out. */
export interface ExportApiOptions {
  held?: (bytes: number) => void;
  thread?: HarThreadOptions;
  /** Each export's end (its worker stopped), for a test to count. */
  ended?: () => void;
}

/** `version`: wirelog's, written as the HAR's creator. */
export function createExportApi(reader: ExchangeReader, version: () => string, options: ExportApiOptions = {}): Hono {
  let running = 0;
  const ended = () => {
    running--;
    options.ended?.();
  };
  return new Hono().get('/', zValidator('query', exportQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    const filter = { ...filterOf(q), id: q.id, since: q.since ? Date.parse(q.since) : undefined };
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${q.id ? `wirelog-${q.id}` : 'wirelog'}.har"`);
    // A database in memory (tests of other parts) has no file a worker could open: written here.
    if (reader.file === null)
      return stream(c, async (out) => {
        await writeHar(reader, filter, (text) => out.write(text), version());
      });
    if (running >= MAX_EXPORTS) {
      c.header('retry-after', '5');
      return c.json({ error: refusal(c, 'exportsBusy', { count: MAX_EXPORTS }) }, 429);
    }
    running++;
    return c.body(harFromWorker(reader.file, filter, version(), requestLanguage(c), options, ended));
  });
}

/** The HAR as a stream the response reads, written by the worker into a queue of HELD_BYTES. */
function harFromWorker(
  file: string,
  filter: HarFilter,
  version: string,
  lang: Language,
  options: ExportApiOptions,
  ended: () => void,
): ReadableStream<Uint8Array> {
  let queue!: ReadableStreamDefaultController<Uint8Array>;
  // Set while the export waits for the client to take some of the queue; the client gone, set when it left.
  let room: (() => void) | null = null;
  let gone = false;
  // Aborted when the client goes: the worker stops even while its walk finds nothing to write.
  const abort = new AbortController();
  const held = () => HELD_BYTES - (queue.desiredSize ?? 0);
  const write = async (chunk: Buffer) => {
    // Thrown into the export, which stops its workers at once.
    if (gone) throw new ClientGone();
    queue.enqueue(chunk);
    options.held?.(held());
    while ((queue.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => (room = resolve));
      if (gone) throw new ClientGone();
    }
  };
  const run = async () => {
    try {
      await writeHarOffThread(file, filter, write, version, {
        ...options.thread,
        tuneProcess: false,
        oneRange: true,
        signal: abort.signal,
      });
    } catch (err) {
      if (!gone && !(err instanceof ClientGone)) queue.enqueue(Buffer.from(`\n${stoppedLine(err as Error, lang)}\n`));
    } finally {
      ended();
    }
    if (!gone) queue.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        queue = controller;
        void run();
      },
      pull() {
        options.held?.(held());
        room?.();
        room = null;
      },
      cancel() {
        gone = true;
        abort.abort();
        room?.();
        room = null;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HELD_BYTES }),
  );
}

/** The client went away: the export stops. */
class ClientGone extends Error {}

/** Why the export stopped, from the catalogue in `lang` (the reason itself is the database's, as given). */
function stoppedLine(err: Error, lang: Language): string {
  if (err instanceof HarExportError && err.reason === null)
    return phraseText({ key: 'qa.harExport.stopped', params: { code: err.exitCode ?? '?' } }, lang);
  const reason = err instanceof HarExportError ? (err.reason ?? '') : err.message;
  return phraseText({ key: 'qa.harExport.failed', params: { reason: reason.split('\n')[0] } }, lang);
}
