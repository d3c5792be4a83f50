// A batch handed to the storage thread is kept by the writer until the thread says it is stored,
// to hand it to a new thread should this one stop (db/writer.ts). Kept with the Buffers of its
// body chunks, those Buffers outlived two scavenges and waited for a full collection: the
// forwarding thread's malloc heap 20-24 MB through bench/memory.ts's large bodies (issue 28).
// A chunk that went into the shared ring is kept by its place there, and the ring does not reuse
// that place until the batch is stored. Counted here: ArrayBuffer bytes the forwarding thread
// still holds, after a full collection, while a batch waits to be stored; not timed.
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { RingReader, RingWriter, createRing } from '../db/body-ring.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { CaptureWriter } from '../db/writer.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { tempDir } from './support/harness.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const KB = 1024;
const dataDir = tempDir();
openDatabase(dataDir).close();
const writer = new CaptureWriter(
  dataDir,
  {},
  {
    worker: new URL('./support/storage-hooks-worker.ts', import.meta.url),
    retention: { maxDbBytes: 1024 * 1024 * 1024 },
    // Room for the whole download: every chunk goes into the ring.
    ringBytes: 4 * 1024 * 1024,
  },
);
// Before the storage thread takes a batch in: a 3 MB batch would be committed as it arrives.
const hold = `${databasePath(dataDir)}.hold-in`;
afterAll(async () => {
  fs.rmSync(hold, { force: true });
  await writer.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * ArrayBuffer bytes after a full collection. V8 frees the backing stores of the ArrayBuffers a
 * collection found dead on a background thread, and counts them as held until it has: on a loaded
 * machine that is later than the collection's return (3 MB still counted once in three runs).
 * So collect and read again, every 20 ms for at most 2 s, until `enough` holds.
 */
async function settledArrayBufferBytes(enough: (bytes: number) => boolean): Promise<number> {
  let bytes = 0;
  for (let tries = 0; tries < 100; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    bytes = process.memoryUsage().arrayBuffers;
    if (enough(bytes)) break;
  }
  return bytes;
}

/** A download of `chunks` chunks of 64 KB, each a Buffer of its own, emitted and dropped by the caller. */
function emitDownload(uid: string, chunks: number): void {
  const body = { size: chunks * 64 * KB, storedSize: chunks * 64 * KB, truncated: false, encoding: '' };
  const head = {
    startedAt: Date.now(),
    clientAddress: '127.0.0.1:1',
    method: 'GET',
    scheme: 'https' as const,
    host: 'files.example',
    port: 443,
    path: `/${uid}`,
    httpVersion: '1.1',
    headers: [],
  };
  const events: ExchangeEvent[] = [{ type: 'request', uid, head }];
  for (let i = 0; i < chunks; i++)
    events.push({ type: 'body-chunk', uid, side: 'response', atMs: i, chunk: Buffer.alloc(64 * KB, i) });
  events.push({ type: 'end', uid, state: 'complete', error: null, timings: {}, requestBody: body, responseBody: body });
  for (const e of events) writer.emit(e);
}

describe('a batch waiting to be stored', () => {
  it('keeps the places of its chunks in the ring, not their Buffers', async () => {
    // The storage thread waits before taking each batch in while this file exists.
    fs.writeFileSync(hold, '');
    const before = await settledArrayBufferBytes(() => true);
    emitDownload('kept', 48);
    // Asking for a flush posts the batch at once (the answer waits for the hold).
    const flushed = writer.flush();
    const held = (await settledArrayBufferBytes((bytes) => bytes - before < 256 * KB)) - before;
    fs.rmSync(hold);
    await flushed;
    // 3 MB of chunks went into the ring; kept with their Buffers, all 3,145,728 bytes were held here.
    expect(held).toBeLessThan(256 * KB);
  });
});

describe('the ring', () => {
  it('does not reuse bytes the writer keeps, though the worker released them', () => {
    const shared = createRing(1024 * KB);
    const ring = new RingWriter(shared);
    const reader = new RingReader(shared);
    const first = ring.put(Buffer.alloc(300 * KB, 1))!;
    const second = ring.put(Buffer.alloc(300 * KB, 2))!;
    reader.release(second);
    ring.keepFrom(first.at);
    expect(ring.used()).toBe(600 * KB);
    expect(ring.fits(500 * KB)).toBe(false);
    expect(ring.copyOf(first)).toEqual(new Uint8Array(300 * KB).fill(1));
    ring.keepFrom(second.at);
    expect(ring.used()).toBe(300 * KB);
    ring.keepFrom(null);
    expect(ring.used()).toBe(0);
    expect(ring.fits(500 * KB)).toBe(true);
  });
});
