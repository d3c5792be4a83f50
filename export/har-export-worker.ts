// A thread `wirelog export --har` reads and writes its HAR on (export/har-export-thread.ts): it
// opens the database read-only and writes the entries of each range of ids it is handed, in the
// order handed, a megabyte at a time, handing each chunk to the thread that writes the file
// (moving its bytes); it waits when CHUNKS_IN_FLIGHT are not yet written. One reader and one cache
// of split bodies' parts serve all its ranges.
import { parentPort, workerData } from 'node:worker_threads';
import { ExchangeReader } from '../db/reader.ts';
import { type HarPages, type HarWritten, RecentParts, writeHarEntries } from './har.ts';
import {
  CHUNKS_IN_FLIGHT,
  type FromHarWorker,
  type HarExportWorkerData,
  type HarRange,
  openExportDatabase,
  type ToHarWorker,
} from './har-export-thread.ts';
import { HAR_CHUNK_BYTES, HarOutput } from './har-output.ts';

const data = workerData as HarExportWorkerData;
const port = parentPort!;
const post = (message: FromHarWorker, moved: ArrayBuffer[] = []) => port.postMessage(message, moved);

let inFlight = 0;
let chunkWritten: (() => void) | null = null;
// Chunks' memory given back once written (HarThreadOptions.writesOut), filled again before any is allocated.
const spare: ArrayBuffer[] = [];
const ranges: HarRange[] = [];
let noMore = false;
let rangeCame: (() => void) | null = null;
port.on('message', (message: ToHarWorker) => {
  if (message.type === 'written') {
    if (message.bytes?.byteLength === HAR_CHUNK_BYTES) spare.push(message.bytes);
    inFlight--;
    chunkWritten?.();
    chunkWritten = null;
    return;
  }
  if (message.type === 'range') ranges.push(message.range);
  else noMore = true;
  rangeCame?.();
  rangeCame = null;
});

/**
 * A range's chunk handed over. HarOutput's Buffers are its chunks, each given away when full (it
 * writes on into a new one): their memory is moved, not copied. Its strings (a piece larger than a
 * chunk) are encoded into memory of their own first.
 */
async function hand(range: number, chunk: string | Buffer): Promise<void> {
  const owned = typeof chunk === 'string' ? new Uint8Array(Buffer.from(chunk)) : chunk;
  inFlight++;
  post({ type: 'chunk', range, bytes: owned }, [owned.buffer as ArrayBuffer]);
  while (inFlight >= CHUNKS_IN_FLIGHT) await new Promise<void>((resolve) => (chunkWritten = resolve));
}

/** A chunk to fill: memory written and given back, or new. */
function freshChunk(): Buffer {
  const memory = spare.pop();
  return memory ? Buffer.from(memory) : Buffer.allocUnsafe(HAR_CHUNK_BYTES);
}

/** The next range handed, or null once told there are no more. */
async function nextRange(): Promise<HarRange | null> {
  for (;;) {
    const range = ranges.shift();
    if (range) return range;
    if (noMore) return null;
    await new Promise<void>((resolve) => (rangeCame = resolve));
  }
}

try {
  const db = openExportDatabase(data.file);
  try {
    const reader = new ExchangeReader(db);
    const parts = new RecentParts();
    for (let range = await nextRange(); range; range = await nextRange()) {
      const index = range.index;
      const out = new HarOutput((chunk) => hand(index, chunk), freshChunk);
      const written: HarWritten = { entries: 0, skipped: 0, skippedIds: [] };
      const pages: HarPages = new Map();
      await writeHarEntries(
        reader,
        { ...data.filter, after: range.after, before: range.before },
        out,
        written,
        pages,
        parts,
      );
      await out.flush();
      post({ type: 'range', range: index, written, pages: [...pages] });
    }
  } finally {
    db.close();
  }
  port.close();
} catch (err) {
  post({ type: 'failed', message: (err as Error).message });
}
