// `export --har` on its own thread (export/har-export-thread.ts): the HAR its worker hands over, a
// megabyte chunk at a time and written by a slow writer, is byte for byte what writeHar writes on
// the caller's thread; a worker that cannot read the database stops with one line saying why.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { writeHar } from '../export/har.ts';
import { CHUNKS_IN_FLIGHT, HarExportError, writeHarOffThread } from '../export/har-export-thread.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

// Turns whose requests grow with the session: several megabytes of HAR, more chunks than are ever in flight.
const TURNS = 40;

describe('a HAR written on a thread of its own', () => {
  it('is what writeHar writes here, byte for byte, however slowly its chunks are written', async () => {
    const db = openDatabase(tempDir());
    storeCodexSession(db, TURNS, 'thread-export');
    const reader = new ExchangeReader(db);
    const here: Buffer[] = [];
    const hereWritten = await writeHar(reader, {}, (chunk) => void here.push(Buffer.from(chunk)), 'test');

    const there: Buffer[] = [];
    const thereWritten = await writeHarOffThread(
      reader.file as string,
      {},
      async (chunk) => {
        // Slower than the worker: it waits for chunks to be written, and their order holds.
        await sleep(100);
        there.push(Buffer.from(chunk));
      },
      'test',
    );
    db.close();
    expect(thereWritten).toEqual(hereWritten);
    expect(thereWritten.entries).toBe(TURNS);
    expect(there.length).toBeGreaterThan(CHUNKS_IN_FLIGHT);
    const expected = Buffer.concat(here);
    const got = Buffer.concat(there);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
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
});
