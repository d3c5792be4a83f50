// The thread a HAR import runs on: the file is read, checked, masked and converted here, never on
// the thread that forwards traffic (the viewer's import) nor on the one that stores (`wirelog
// import`); batches of exchanges go back to be stored (by the viewer's storage worker, one
// transaction each between live captures), one batch waiting at a time.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, importHarFile } from '../export/har-stream.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import type { FromImportWorker, ImportWorkerData, ToImportWorker } from './viewer-import.ts';

const data = workerData as ImportWorkerData;
const port = parentPort!;
const post = (message: FromImportWorker) => port.postMessage(message);

// Below the storage worker's 10: forwarding first, then storing captures, then this.
if (data.lowPriority)
  try {
    os.setPriority(0, 15);
  } catch {
    // not permitted here: the import runs at normal priority
  }

let nextToken = 0;
const waiting = new Map<number, { resolve: (ids: number[]) => void; reject: (err: Error) => void }>();
port.on('message', (message: ToImportWorker) => {
  const pending = waiting.get(message.token);
  waiting.delete(message.token);
  if (message.kind === 'stored') pending?.resolve(message.ids);
  else pending?.reject(new Error(message.message));
});

function store(events: ExchangeEvent[]): Promise<number[]> {
  const token = nextToken++;
  return new Promise((resolve, reject) => {
    waiting.set(token, { resolve, reject });
    post({ kind: 'batch', token, events });
  });
}

importHarFile(data.file, {
  source: data.source,
  keepSecrets: data.keepSecrets,
  store,
  progress: (progress) => post({ kind: 'progress', progress }),
  progressEveryMs: data.progressEveryMs,
  progressStep: data.progressStep,
  ...(data.batch ? { batch: data.batch } : {}),
}).then(
  (result) => post({ kind: 'done', result }),
  (err: Error) =>
    post({
      kind: 'failed',
      message: err.message,
      refused: err instanceof HarImportError,
      storage: err instanceof HarStorageError,
    }),
);
