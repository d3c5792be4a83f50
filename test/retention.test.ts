import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

describe('retention', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxDbMb: 2, maxAgeDays: 1, pruneIntervalMs: 200 });
  });
  afterAll(() => h?.close());

  it('keeps the database under --max-db-mb by deleting the oldest exchanges', async () => {
    for (let i = 0; i < 12; i++) {
      // Random bytes sent: bodies are stored compressed (db/compression.ts), and only what does not compress takes its size on disk.
      const res = await request(`${h.upstream.httpsUrl}/bytes?size=16&n=${i}`, {
        method: 'POST',
        body: randomBytes(400 * 1024),
        headers: { 'content-type': 'application/octet-stream' },
        dispatcher: h.agent(),
      });
      await res.body.arrayBuffer();
    }
    await h.stored();
    const remaining = await eventually(() => {
      const rows = h.wirelog.reader.list({ limit: 100 }).filter((e) => e.request.path.startsWith('/bytes'));
      // 12 bodies of 400 KB against 2 MB (pruned down to 90% of it): at most 5 can stay.
      return rows.length <= 5 ? rows : null;
    }, 'old exchanges to be pruned');
    const kept = remaining.map((e) => Number(/n=(\d+)/.exec(e.request.path)![1]));
    // Newest first, and what is left is the newest run without gaps.
    expect(kept[0]).toBe(11);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 11 - i));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const status = (await (await fetch(`${h.wirelog.viewer!.url}/api/status`)).json()) as { retention: unknown };
    expect(status.retention).toEqual({ maxDbMb: 2, maxAgeDays: 1 });
  });

  it('deletes exchanges older than --max-age-days', async () => {
    const db = openDatabase(h.dataDir);
    const old = (uid: string, startedAt: number): ExchangeEvent[] => [
      {
        type: 'request',
        uid,
        head: {
          startedAt,
          clientAddress: '127.0.0.1:1',
          method: 'GET',
          scheme: 'https',
          host: 'old.example',
          port: 443,
          path: `/${uid}`,
          httpVersion: '1.1',
          headers: [],
        },
      },
      {
        type: 'end',
        uid,
        state: 'complete',
        error: null,
        timings: {},
        requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
        responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
      },
    ];
    new CaptureStore(db).apply([
      ...old('three-days-old', Date.now() - 3 * 86_400_000),
      ...old('an-hour-old', Date.now() - 3_600_000),
    ]);
    db.close();
    await eventually(
      () => !h.wirelog.reader.list({ host: 'old.example' }).some((e) => e.request.path === '/three-days-old'),
      'the old exchange to be pruned',
    );
    expect(h.wirelog.reader.list({ host: 'old.example' }).map((e) => e.request.path)).toEqual(['/an-hour-old']);
  });
});
