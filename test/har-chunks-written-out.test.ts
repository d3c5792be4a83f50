// `export --har` with a writer that keeps nothing (HarThreadOptions.writesOut, as the CLI writes):
// each chunk's memory goes back to the worker that filled it once written, and is filled again.
// The HAR is still writeHar's byte for byte, with one worker or two, however slowly it is written,
// and a chunk is never given back before its bytes are out (a chunk given back early would arrive
// at the writer empty, or be overwritten while it waits).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { writeHar } from '../export/har.ts';
import { CHUNKS_IN_FLIGHT, writeHarOffThread } from '../export/har-export-thread.ts';
import { HAR_CHUNK_BYTES } from '../export/har-output.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

// Turns whose requests grow with the session: many megabytes of HAR, many more chunks than are in flight.
const TURNS = 60;

describe('a HAR whose chunks are written out and given back', () => {
  it("is writeHar's byte for byte, each chunk's bytes read before its memory is filled again", async () => {
    const db = openDatabase(tempDir());
    storeCodexSession(db, TURNS, 'chunks-written-out');
    const reader = new ExchangeReader(db);
    const here: Buffer[] = [];
    const hereWritten = await writeHar(reader, {}, (chunk) => void here.push(Buffer.from(chunk)), 'test');
    const expected = Buffer.concat(here);
    // More chunks than the workers ever hold at once: memory given back is filled again.
    expect(expected.length).toBeGreaterThan(3 * CHUNKS_IN_FLIGHT * HAR_CHUNK_BYTES);

    for (const workers of [1, 2]) {
      const there: Buffer[] = [];
      let most = 0;
      let writes = 0;
      const thereWritten = await writeHarOffThread(
        reader.file as string,
        {},
        async (chunk) => {
          // Every few chunks slower than the workers: they wait with their chunks in flight.
          if (++writes % 5 === 0) await sleep(20);
          there.push(Buffer.from(chunk));
        },
        'test',
        {
          workers,
          rangeExchanges: 7,
          writesOut: true,
          inFlight: (perWorker) => (most = Math.max(most, ...perWorker)),
        },
      );
      expect(thereWritten).toEqual(hereWritten);
      expect(most).toBeLessThanOrEqual(CHUNKS_IN_FLIGHT);
      const got = Buffer.concat(there);
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
    }
    db.close();
  }, 120_000);
});
