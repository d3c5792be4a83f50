// Storage slower than the traffic says so, with its figures, and once: "behind by N exchanges /
// S s" in the writer's status (the viewer's banner and /api/status), one console line as it falls
// behind and one as it catches up; neither is "failing". Storage is made genuinely behind: the
// storage thread is held before each batch while a file the test owns exists (the hook in
// support/storage-hooks-worker.ts), as a slow commit would hold it. (It used to be slowed
// understanding, which no longer holds commits back: db/indexer.ts runs it after the commit.)
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../db/schema.ts';
import { CaptureWriter } from '../db/writer.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { eventually, tempDir } from './support/harness.ts';

const dataDir = tempDir();
openDatabase(dataDir).close();
const lines: string[] = [];
let stateChanges = 0;
const writer = new CaptureWriter(
  dataDir,
  { onWarning: (l) => lines.push(l), onError: (l) => lines.push(`error: ${l}`), onState: () => stateChanges++ },
  {
    worker: new URL('./support/storage-hooks-worker.ts', import.meta.url),
    retention: { maxDbBytes: 1024 * 1024 * 1024 },
  },
);
const hold = `${databasePath(dataDir)}.hold`;
afterAll(async () => {
  fs.rmSync(hold, { force: true });
  await writer.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function exchange(uid: string): ExchangeEvent[] {
  const body = { size: 0, storedSize: 0, truncated: false, encoding: '' };
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now(),
        clientAddress: '127.0.0.1:1',
        method: 'GET',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path: `/${uid}`,
        httpVersion: '1.1',
        headers: [],
      },
    },
    { type: 'end', uid, state: 'complete', error: null, timings: {}, requestBody: body, responseBody: body },
  ];
}

it('is behind by the exchanges that ended and wait, says so once, and once more when it caught up', async () => {
  // Held until the test has seen it behind: more than the 1 s after which storage is behind, however long that takes.
  fs.writeFileSync(hold, '');
  for (let i = 0; i < 15; i++) for (const e of exchange(`x${i}`)) writer.emit(e);
  const behind = await eventually(() => writer.behindBy, 'storage to say it is behind', 20_000);
  expect(behind.exchanges).toBe(15);
  expect(behind.seconds).toBeGreaterThanOrEqual(1);
  expect(writer.lastError).toBeNull();
  fs.rmSync(hold);
  await writer.flush();
  const db = openDatabase(dataDir);
  expect((db.prepare("SELECT count(*) AS n FROM exchanges WHERE state = 'complete'").get() as { n: number }).n).toBe(
    15,
  );
  db.close();
  // Said once it has kept up for 5 s (db/storage-news.ts).
  await eventually(() => lines.length >= 2, 'the caught-up line', 20_000);
  expect(writer.behindBy).toBeNull();
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(
    /^storage is behind: 15 ended exchange\(s\) not stored yet, the oldest \d+\.\d s ago; rows show late/,
  );
  expect(lines[1]).toMatch(/^storage caught up \(it was behind by up to 15 exchange\(s\) \/ \d+(\.\d)? s\)$/);
  // Viewers heard the figures change (behind, then not), without a console line each time.
  expect(stateChanges).toBeGreaterThanOrEqual(2);
}, 30_000);
