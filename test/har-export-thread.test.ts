// `export --har` on threads of their own (export/har-export-thread.ts): the HAR its workers hand
// over, ranges of ids written strictly in order a megabyte chunk at a time, is byte for byte what
// writeHar writes on the caller's thread, for any number of exchanges around a page's and a range's
// size, with --since (its first range read from the first exchange started since, not from the
// first id, with exchanges stored out of time order); a slow writer keeps each worker's chunks in flight bounded; a worker that
// fails midway stops the export with one line saying why.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { type Db, openDatabase } from '../db/schema.ts';
import { writeHar } from '../export/har.ts';
import {
  CHUNKS_IN_FLIGHT,
  HarExportError,
  type HarFilter,
  type HarThreadOptions,
  writeHarOffThread,
} from '../export/har-export-thread.ts';
import { t } from '../cli/language.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

// Turns whose requests grow with the session: several megabytes of HAR, more chunks than are ever in flight.
const TURNS = 40;
// writeHar reads 50 rows a page (export/har.ts PAGE_SIZE).
const PAGE = 50;
const DAY = 24 * 3600 * 1000;
const FIRST = Date.UTC(2026, 0, 1);

/**
 * `count` exchanges of four kinds in turn: JSON, an SSE stream with events, a WebSocket with
 * messages (text and binary), and a binary body that failed; a few a day, so a HAR has several pages.
 */
function storeMixed(db: Db, count: number, from = 0): void {
  const store = new CaptureStore(db, understandEnded);
  const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
  for (let k = from; k < from + count; k++) {
    const uid = `mixed-${k}`;
    const kind = k % 4;
    const request = Buffer.from(JSON.stringify({ k, text: `line\n"${k}"\u0001 é 中转站 ${'x'.repeat(k * 7)}` }));
    const response =
      kind === 3
        ? Buffer.from(Array.from({ length: 300 + k }, (_, i) => (i * 31 + k) % 256))
        : Buffer.from(`{"ok":${k}}`);
    const type = kind === 1 ? 'text/event-stream' : kind === 3 ? 'application/octet-stream' : 'application/json';
    const events: ExchangeEvent[] = [
      {
        type: 'request',
        uid,
        head: {
          startedAt: FIRST + Math.floor(k / 7) * DAY + k * 1000,
          clientAddress: '127.0.0.1:1',
          method: 'POST',
          scheme: 'https',
          host: kind === 2 ? 'ws.example' : 'relay.example',
          port: 443,
          path: `/v1/things?k=${k}`,
          httpVersion: '1.1',
          headers: [['content-type', 'application/json']],
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: 2,
        head:
          kind === 2
            ? {
                status: 101,
                statusText: 'Switching Protocols',
                httpVersion: '1.1',
                headers: [['upgrade', 'websocket']],
              }
            : { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', type]] },
      },
    ];
    if (kind === 1)
      for (let seq = 0; seq < 3; seq++)
        events.push({
          type: 'sse-event',
          uid,
          event: { seq, offsetMs: 3 + seq, event: 'delta', id: null, data: `{"d":${seq}}` },
        });
    if (kind === 2) {
      events.push({
        type: 'ws-message',
        uid,
        message: { seq: 0, offsetMs: 3, direction: 'send', opcode: 1, payload: Buffer.from(`hi ${k}`) },
      });
      events.push({
        type: 'ws-message',
        uid,
        message: { seq: 1, offsetMs: 4, direction: 'receive', opcode: 2, payload: Buffer.from([0, 1, 255, k % 256]) },
      });
    } else events.push({ type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 3 });
    events.push({
      type: 'end',
      uid,
      state: kind === 3 ? 'upstream_error' : 'complete',
      error: kind === 3 ? 'upstream reset' : null,
      timings: { firstByte: 2, end: 10 },
      requestBody: info(request.length),
      responseBody: info(kind === 2 ? 0 : response.length),
    });
    store.apply(events);
  }
  store.indexWaiting('all');
}

/** writeHar's bytes on this thread, and the workers' bytes for the same store and filter. */
async function bothWays(db: Db, filter: HarFilter, options: HarThreadOptions) {
  const reader = new ExchangeReader(db);
  const here: Buffer[] = [];
  const hereWritten = await writeHar(reader, filter, (chunk) => void here.push(Buffer.from(chunk)), 'test');
  const there: Buffer[] = [];
  const thereWritten = await writeHarOffThread(
    reader.file as string,
    filter,
    (chunk) => void there.push(Buffer.from(chunk)),
    'test',
    options,
  );
  return { hereWritten, thereWritten, expected: Buffer.concat(here), got: Buffer.concat(there) };
}

describe('a HAR written on threads of their own', () => {
  for (const count of [0, 1, PAGE - 1, PAGE + 1, 4 * PAGE + 3])
    it(`is writeHar's HAR byte for byte with ${count} exchanges, one or two workers, ranges of any size, with --since`, async () => {
      const db = openDatabase(tempDir());
      storeMixed(db, count);
      // Ranges smaller than a page, of a page, and larger than the export (one range, one worker).
      for (const options of [
        { workers: 2, rangeExchanges: 7 },
        { workers: 2, rangeExchanges: PAGE },
        { workers: 1, rangeExchanges: 13 },
        { workers: 2 },
      ]) {
        for (const filter of [{}, { since: FIRST + 3 * DAY }, { host: 'ws.example' }]) {
          const { hereWritten, thereWritten, expected, got } = await bothWays(db, filter, options);
          expect(thereWritten).toEqual(hereWritten);
          expect(got.length).toBe(expected.length);
          expect(got.equals(expected)).toBe(true);
          if (count > 0) JSON.parse(got.toString());
        }
      }
      db.close();
    }, 120_000);

  it('is what writeHar writes here however slowly its chunks are written, each worker no more than CHUNKS_IN_FLIGHT ahead', async () => {
    const db = openDatabase(tempDir());
    storeCodexSession(db, TURNS, 'thread-export');
    const reader = new ExchangeReader(db);
    const here: Buffer[] = [];
    const hereWritten = await writeHar(reader, {}, (chunk) => void here.push(Buffer.from(chunk)), 'test');

    const there: Buffer[] = [];
    let most = 0;
    const thereWritten = await writeHarOffThread(
      reader.file as string,
      {},
      async (chunk) => {
        // Slower than the workers: they wait for chunks to be written, and their order holds.
        await sleep(50);
        there.push(Buffer.from(chunk));
      },
      'test',
      { workers: 2, rangeExchanges: 5, inFlight: (perWorker) => (most = Math.max(most, ...perWorker)) },
    );
    db.close();
    expect(thereWritten).toEqual(hereWritten);
    expect(thereWritten.entries).toBe(TURNS);
    // The workers ran ahead of the writer as far as they may, and no further.
    expect(most).toBe(CHUNKS_IN_FLIGHT);
    const expected = Buffer.concat(here);
    const got = Buffer.concat(there);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
  });

  it('holds each exchange once when more are stored while it runs: the ranges are fixed as they are handed out, the last open', async () => {
    const db = openDatabase(tempDir());
    storeMixed(db, 60);
    let chunks = 0;
    const there: Buffer[] = [];
    const written = await writeHarOffThread(
      new ExchangeReader(db).file as string,
      {},
      (chunk) => {
        there.push(Buffer.from(chunk));
        // Stored after the first ranges were handed out, before the last one was.
        if (++chunks === 2) storeMixed(db, 20, 60);
      },
      'test',
      { workers: 2, rangeExchanges: 7 },
    );
    db.close();
    const ids = (
      JSON.parse(Buffer.concat(there).toString()) as { log: { entries: { _wirelog: { id: number } }[] } }
    ).log.entries.map((entry) => entry._wirelog.id);
    expect(written.entries).toBe(80);
    expect(ids).toEqual(Array.from({ length: 80 }, (_, k) => k + 1));
  });

  it('stops with the reason when the worker cannot read the database', async () => {
    const file = path.join(tempDir(), 'wirelog.sqlite');
    fs.writeFileSync(file, 'not a database, '.repeat(1000));
    const written: Buffer[] = [];
    const failure = await writeHarOffThread(file, {}, (chunk) => void written.push(chunk), 'test').catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HarExportError);
    expect((failure as HarExportError).reason).toMatch(/not a database/);
    expect((failure as HarExportError).message).not.toContain('\n');
  });

  it('stops with one line when a worker fails midway, the file said to be incomplete', async () => {
    const db = openDatabase(tempDir());
    storeMixed(db, 6 * PAGE);
    const file = new ExchangeReader(db).file as string;
    const written: Buffer[] = [];
    const failure = await writeHarOffThread(
      file,
      {},
      (chunk) => {
        written.push(chunk);
        // Once the first range is out, the SSE events the ranges still to come read are gone: the worker's next read fails.
        if (written.length === 2) db.exec('ALTER TABLE sse_events RENAME TO sse_events_gone');
      },
      'test',
      { workers: 2, rangeExchanges: 10 },
    ).catch((err: unknown) => err);
    db.close();
    expect(failure).toBeInstanceOf(HarExportError);
    const reason = (failure as HarExportError).reason as string;
    expect(reason).toMatch(/sse_events/);
    const said = t('harExport.failed', { reason, file: 'out.har' });
    expect(said).not.toContain('\n');
    expect(said).toContain('out.har is incomplete');
    // Some entries were written, not the end of the document.
    const text = Buffer.concat(written).toString();
    expect(text).toContain('"entries":[');
    expect(text).not.toContain('"pages"');
  });

  it('with --since reads its first range from the first exchange started since, not from the first id, whatever the order exchanges were stored in', async () => {
    const db = openDatabase(tempDir());
    // Ids 1-10 older, 11-15 newer, 16-35 older again, the last nine of them since.
    storeMixed(db, 10, 0);
    storeMixed(db, 5, 100);
    storeMixed(db, 20, 10);
    const since = FIRST + 3 * DAY;
    expect(new ExchangeReader(db).firstIdSince(since)).toBe(11);
    // None since: past the last id.
    expect(new ExchangeReader(db).firstIdSince(FIRST + 1000 * DAY)).toBe(36);
    const listIds = vi.spyOn(ExchangeReader.prototype, 'listIds');
    try {
      const { hereWritten, thereWritten, expected, got } = await bothWays(
        db,
        { since },
        { workers: 2, rangeExchanges: 4 },
      );
      expect(thereWritten).toEqual(hereWritten);
      expect(thereWritten.entries).toBe(5 + 9);
      expect(got.equals(expected)).toBe(true);
      // The ranges' ids read from id 11 on: the ten older rows before it are not walked.
      expect(listIds.mock.calls[0][0].after).toBe(10);
    } finally {
      listIds.mockRestore();
      db.close();
    }
  });
});
