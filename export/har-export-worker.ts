// The thread `wirelog export --har` reads and writes its HAR on (export/har-export-thread.ts): it
// opens the database read-only, writes the HAR a megabyte at a time and hands each chunk to the
// thread that writes the file, moving its bytes; it waits when CHUNKS_IN_FLIGHT are not yet written.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ExchangeReader } from '../db/reader.ts';
import { writeHar } from './har.ts';
import {
  CHUNKS_IN_FLIGHT,
  type FromHarWorker,
  type HarExportWorkerData,
  type ToHarWorker,
} from './har-export-thread.ts';

const data = workerData as HarExportWorkerData;
const port = parentPort!;
const post = (message: FromHarWorker, moved: ArrayBuffer[] = []) => port.postMessage(message, moved);

let inFlight = 0;
let wake: (() => void) | null = null;
port.on('message', (message: ToHarWorker) => {
  if (message.type !== 'written') return;
  inFlight--;
  wake?.();
  wake = null;
});

/**
 * A chunk handed over. writeHar's Buffers are HarOutput's chunks, each given away when full (it
 * writes on into a new one): their memory is moved, not copied. Its strings (a piece larger than a
 * chunk) are encoded into memory of their own first.
 */
async function hand(chunk: string | Buffer): Promise<void> {
  const owned = typeof chunk === 'string' ? new Uint8Array(Buffer.from(chunk)) : chunk;
  inFlight++;
  post({ type: 'chunk', bytes: owned }, [owned.buffer as ArrayBuffer]);
  while (inFlight >= CHUNKS_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
}

try {
  const db = new Database(data.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const written = await writeHar(new ExchangeReader(db), data.filter, hand, data.version);
    post({ type: 'done', written });
  } finally {
    db.close();
  }
} catch (err) {
  post({ type: 'failed', message: (err as Error).message });
}
