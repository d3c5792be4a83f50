// The storage worker as wirelog runs it (cli/storage-worker.ts), with two test hooks read from
// files beside the database, so that a test decides, and a restarted thread sees the change:
// - `<db>.hold`: while it exists, each message of events, once taken in, waits to be stored: storage
//   genuinely behind (as a slow commit), whatever the machine. A minute at most, never a hang.
//   A message the thread commits as soon as it takes it in (one holding a quarter of the ring,
//   db/commit-gather.ts) is stored before this hold.
// - `<db>.hold-in`: the same, before the thread takes the message in: nothing posted meanwhile is
//   stored, whatever its size.
// - `<db>.crash-at`: "N throw" or "N exit": the thread stops after taking in its Nth message of
//   events that begins an exchange (before that batch is stored), by an uncaught error or process.exit; the file is
//   removed first, so the thread started in its place works.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { file } = workerData as { file: string };
const hold = `${file}.hold`;
const holdIn = `${file}.hold-in`;
const crashAt = `${file}.crash-at`;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let batches = 0;

// The worker's own listener must be the first on the port (a listener of ours alone would start
// the port, and messages arriving before the worker's own listener would never reach it); it is
// registered as its module loads, wrapped here so that `.hold-in` runs before it takes a message in.
const port = parentPort!;
const on = port.on;
port.on = function (this: typeof port, event: string, listener: (message: { kind: string }) => void) {
  if (event !== 'message') return on.call(this, event, listener);
  return on.call(this, event, (message: { kind: string }) => {
    if (message.kind === 'events') {
      const until = Date.now() + 60_000;
      while (fs.existsSync(holdIn) && Date.now() < until) Atomics.wait(sleeper, 0, 0, 5);
    }
    listener(message);
  });
} as typeof port.on;
await import('../../cli/storage-worker.ts');
port.on = on;

// After the worker's own listener: it has taken the batch in, not stored it (that comes on a
// timer, or at once when the ring is full, which this thread being held keeps from running).
parentPort!.on('message', (message: { kind: string; json?: string }) => {
  if (message.kind !== 'events') return;
  const until = Date.now() + 60_000;
  while (fs.existsSync(hold) && Date.now() < until) Atomics.wait(sleeper, 0, 0, 5);
  // Counted: messages that begin an exchange, so that the stop leaves exchanges handed over and not stored.
  if (!fs.existsSync(crashAt) || !message.json?.includes('"type":"request"')) return;
  const [at, how] = fs.readFileSync(crashAt, 'utf8').trim().split(/\s+/);
  if (++batches < Number(at)) return;
  fs.rmSync(crashAt);
  if (how === 'exit') process.exit(3);
  throw new Error(`test hook: the storage thread fails on its message of events ${batches}`);
});
