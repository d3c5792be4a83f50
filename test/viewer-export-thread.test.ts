// The viewer's "Export HAR" (GET /api/export.har, viewer/routes/export-api.ts) is read and
// written on a worker thread, served here through @hono/node-server as wirelog serves it:
// - the thread that forwards the proxy's traffic reads nothing from SQLite meanwhile (its
//   statements' rows counted in bytes, and between two turns of a setImmediate loop: writeHar
//   here read a page of 50 rows, bodies and all, between two turns);
// - the bytes are writeHar's, for every entry and for a filter;
// - a client that does not read holds the queue at its bound (counted in bytes), and the export
//   goes on when it reads again;
// - a client that goes away mid-export leaves no worker running (the process's threads counted);
// - a worker that fails ends the file with the catalogue's line, in the request's language;
// - at most MAX_EXPORTS run at once: one more is refused with 429 in the request's language, and
//   one ended (read whole or left) makes room again.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { type Db, openDatabase } from '../db/schema.ts';
import { writeHar } from '../export/har.ts';
import { createI18n } from '../i18n/index.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { createExportApi, type ExportApiOptions, HELD_BYTES, MAX_EXPORTS } from '../viewer/routes/export-api.ts';
import { relayCallEvents } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

// Exchanges of the store, and their bodies' size each way: some 20 MB of HAR, more than the
// loopback's socket buffers and the queue hold together.
const COUNT = 600;
const BODY = 16_000;
// HarOutput's chunks (export/har-output.ts): one passes the queue's bound at most.
const CHUNK = 1024 * 1024;

/** `count` exchanges with JSON bodies of about BODY bytes each way, stored as the proxy stores them. */
function storeOf(db: Db, count: number): void {
  const store = new CaptureStore(db);
  const filler = randomBytes((BODY * 3) / 4).toString('base64');
  for (let from = 0; from < count; from += 100) {
    const events: ExchangeEvent[] = [];
    for (let i = from; i < Math.min(count, from + 100); i++) {
      const body = Buffer.from(JSON.stringify({ model: 'm', n: i, text: filler }));
      events.push(
        ...relayCallEvents({
          uid: `viewer-export-${i}`,
          startedAt: Date.UTC(2026, 11, 1) + i * 1000,
          host: 'api.example',
          path: `/v1/chat/completions?n=${i}`,
          status: 200,
          request: body,
          response: body,
        }),
      );
    }
    store.apply(events);
  }
}

// A filtered export: the second half of the exchanges, by host, method and time.
const SINCE = Date.UTC(2026, 11, 1) + (COUNT / 2) * 1000;
const FILTERED = { host: 'api.example', method: 'POST', since: SINCE };

let db: Db;
let reader: ExchangeReader;
let expected: Buffer;

/** The HAR writeHar writes of the store on this thread. */
async function harOf(filter: Parameters<typeof writeHar>[1]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await writeHar(reader, filter, (chunk) => void chunks.push(Buffer.from(chunk)), 'test');
  return Buffer.concat(chunks);
}
beforeAll(async () => {
  db = openDatabase(tempDir());
  storeOf(db, COUNT);
  reader = new ExchangeReader(db);
  expected = await harOf({});
  // libuv's thread pool starts on its first use: started now, so that it is not counted as a worker below.
  await fs.promises.stat(tempDir());
}, 120_000);
afterAll(() => db?.close());

/** The export app served on 127.0.0.1 as the viewer serves it; closed by the caller. */
async function served(options: ExportApiOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Hono().route(
    '/api/export.har',
    createExportApi(reader, () => 'test', options),
  );
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/export.har`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The response to a GET, not yet read (paused). */
function get(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
  });
}

function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.resume();
  });
}

/** Threads of this process (the OS's count: a worker is one). */
function threads(): number {
  return fs.readdirSync('/proc/self/task').length;
}

/** Resolves when `holds` does, checked every turn of the event loop; fails after `limit` turns' worth of 10 ms. */
async function until(holds: () => boolean, what: string, limit = 3000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (holds()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never: ${what}`);
}

/** Bytes a row read from SQLite holds (its texts and blobs, 8 a number). */
function rowBytes(row: unknown): number {
  if (row === null || row === undefined) return 0;
  if (typeof row === 'string') return Buffer.byteLength(row);
  if (Buffer.isBuffer(row) || row instanceof Uint8Array) return row.byteLength;
  if (typeof row === 'number' || typeof row === 'bigint') return 8;
  if (typeof row === 'object') return Object.values(row as object).reduce((n: number, v) => n + rowBytes(v), 0);
  return 0;
}

/**
 * Counts the bytes this thread's better-sqlite3 statements return (get, all, iterate) into
 * `count`; a worker loads its own copy of the module and is not counted. Returns the undo.
 */
function countSqliteReads(count: (bytes: number) => void): () => void {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const original = { get: proto.get, all: proto.all, iterate: proto.iterate };
  // A pragma (busy_timeout, as a connection is opened) reads no exchange.
  const counted = (statement: unknown) => !/^\s*PRAGMA/i.test((statement as { source: string }).source);
  proto.get = function (this: unknown, ...args: unknown[]) {
    const row = original.get.apply(this, args);
    if (counted(this)) count(rowBytes(row));
    return row;
  };
  proto.all = function (this: unknown, ...args: unknown[]) {
    const rows = original.all.apply(this, args) as unknown[];
    if (counted(this)) count(rows.reduce((n: number, r) => n + rowBytes(r), 0));
    return rows;
  };
  proto.iterate = function* (this: unknown, ...args: unknown[]) {
    for (const row of original.iterate.apply(this, args) as Iterable<unknown>) {
      if (counted(this)) count(rowBytes(row));
      yield row;
    }
  };
  return () => Object.assign(proto, original);
}

describe('GET /api/export.har from a worker', () => {
  it.each([
    ['every exchange', '', {}],
    [
      'a filter (host, method, since)',
      `?host=api.example&method=post&since=${new Date(SINCE).toISOString()}`,
      FILTERED,
    ],
  ])(
    '%s: reads nothing from SQLite on the forwarding thread, the same bytes as writeHar',
    async (_what, query, filter) => {
      const want = filter === FILTERED ? await harOf(FILTERED) : expected;
      const app = await served();
      // Bytes read from SQLite on this thread while the export runs, all and since the loop's last turn.
      let read = 0;
      let sinceTurn = 0;
      let mostInATurn = 0;
      let turns = 0;
      const undo = countSqliteReads((bytes) => {
        read += bytes;
        sinceTurn += bytes;
        mostInATurn = Math.max(mostInATurn, sinceTurn);
      });
      let looping = true;
      const turn = () => {
        turns++;
        sinceTurn = 0;
        if (looping) setImmediate(turn);
      };
      setImmediate(turn);
      try {
        const har = await readAll(await get(`${app.url}${query}`));
        expect(har.length).toBe(want.length);
        expect(har.equals(want)).toBe(true);
      } finally {
        looping = false;
        undo();
        await app.close();
      }
      // writeHar here read a page of 50 rows, bodies and all, between two turns (6.1 MB); the worker's
      // range keys read here were 400 ids a range (a common word's took 0.2 s a range at a million).
      expect(turns).toBeGreaterThan(0);
      expect(read, `bytes read from SQLite on this thread (most between two of ${turns} turns: ${mostInATurn})`).toBe(
        0,
      );
    },
  );

  it('holds at most its queue for a client that does not read, and goes on when it reads', async () => {
    let mostHeld = 0;
    const app = await served({
      held: (bytes) => {
        mostHeld = Math.max(mostHeld, bytes);
      },
    });
    try {
      const res = await get(app.url);
      // The client reads nothing: the socket's buffers fill, then the queue.
      await until(() => mostHeld >= HELD_BYTES, 'the queue filled');
      const har = await readAll(res);
      expect(har.equals(expected)).toBe(true);
      expect(mostHeld, 'bytes queued for the client at most').toBeLessThanOrEqual(HELD_BYTES + CHUNK);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['after its first bytes', false],
    ['while the queue is full', true],
  ])('stops its worker when the client goes away mid-export, %s', async (_when, full) => {
    let total = 0;
    let last = 0;
    let mostHeld = 0;
    const app = await served({
      held: (bytes) => {
        if (bytes > last) total += bytes - last;
        last = bytes;
        mostHeld = Math.max(mostHeld, bytes);
      },
    });
    try {
      const before = threads();
      const res = await get(app.url);
      await until(() => threads() > before, 'the worker started');
      if (full) await until(() => mostHeld >= HELD_BYTES, 'the queue filled');
      else await new Promise<void>((resolve) => res.once('data', () => resolve()).resume());
      res.destroy();
      await until(() => threads() <= before, 'the worker ended');
      // It ended because the client left, not because the HAR was whole.
      expect(total).toBeLessThan(expected.length / 2);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['en', 'wait for one to finish'],
    ['zh-CN', '等其中一个完成后再导出'],
  ])('refuses one export more than %s allows at once, and has room again when one ends', async (lang, said) => {
    let ended = 0;
    const app = await served({ ended: () => void ended++ });
    const open: http.IncomingMessage[] = [];
    try {
      // Clients that read nothing: their exports stay open, each holding its worker.
      for (let i = 0; i < MAX_EXPORTS; i++) open.push(await get(app.url));
      for (const res of open) expect(res.statusCode).toBe(200);
      const refused = await get(app.url, { 'accept-language': lang });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      const body = JSON.parse((await readAll(refused)).toString()) as { error: string };
      expect(body.error).toContain(said);
      expect(ended).toBe(0);
      // One read whole, one gone: both end, and two more are let in.
      expect((await readAll(open[0])).equals(expected)).toBe(true);
      open[1].destroy();
      await until(() => ended === MAX_EXPORTS, 'both exports ended');
      const again = await get(app.url);
      expect(again.statusCode).toBe(200);
      expect((await readAll(again)).equals(expected)).toBe(true);
      await until(() => ended === MAX_EXPORTS + 1, 'the third export ended');
    } finally {
      for (const res of open) res.destroy();
      await app.close();
    }
  });

  it.each([
    ['en', 'wirelog: the HAR export failed: '],
    ['zh-CN', 'wirelog：HAR 导出失败：'],
  ])('ends the file with the reason when the worker fails (%s)', async (lang, said) => {
    const file = reader.file as string;
    // A database of its own: its bodies' table goes away once the first ranges are out.
    const own = openDatabase(tempDir());
    storeOf(own, 120);
    const ownReader = new ExchangeReader(own);
    let writes = 0;
    const app = new Hono().route(
      '/api/export.har',
      createExportApi(ownReader, () => 'test', {
        thread: { rangeExchanges: 10 },
        held: () => {
          if (++writes === 3) own.exec('ALTER TABLE bodies RENAME TO bodies_gone');
        },
      }),
    );
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const res = await get(`http://127.0.0.1:${port}/api/export.har`, { 'accept-language': lang });
      expect(res.statusCode).toBe(200);
      const text = (await readAll(res)).toString();
      expect(text).toContain('"entries":[');
      expect(text).not.toContain('"pages"');
      const lines = text.trimEnd().split('\n');
      const lastLine = lines[lines.length - 1];
      expect(lastLine.startsWith(said), lastLine).toBe(true);
      expect(lastLine).toContain('bodies');
      const catalogue = createI18n(lang as 'en' | 'zh-CN');
      expect(lastLine.endsWith(catalogue.t('qa.harExport.failed', { reason: 'X' }).split('X')[1])).toBe(true);
      expect(file).not.toBe(ownReader.file);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      own.close();
    }
  });
});
