// A database from before schema 11 under a real `wirelog start`: it listens at once, its rows are
// indexed by the storage thread in slices after start, the console says so at the start and at
// the end (one line each), /api/status tells how far it is meanwhile, and Chinese words are found.
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { startWirelogProcess, type WirelogProcess } from './support/cli.ts';
import { tempDir } from './support/harness.ts';
import { schema10 } from './support/schema-10.ts';

const ROWS = 3000;
let wirelog: WirelogProcess | null = null;
const dir = tempDir();
afterAll(async () => {
  await wirelog?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('indexes an upgraded database after start, saying so once at the start and once at the end, with its progress in /api/status', async () => {
  schema10(dir, ROWS);
  wirelog = await startWirelogProcess(dir);
  const api = (p: string) =>
    fetch(`${wirelog!.viewerUrl}/api${p}`).then((r) => r.json() as Promise<Record<string, unknown>>);
  const lines = () =>
    wirelog!
      .output()
      .split('\n')
      .filter((l) => l.includes('search index:'));

  // Progress, while it lasts: a count done of the total, never past it.
  const seen: ({ indexed: number; total: number } | null)[] = [];
  await expect
    .poll(
      async () => {
        const status = (await api('/status')).searchIndex as { indexed: number; total: number } | null;
        seen.push(status);
        return status;
      },
      { timeout: 60_000, interval: 50 },
    )
    .toBeNull();
  for (const s of seen.filter((x) => x !== null))
    expect(s!.total === ROWS && s!.indexed >= 0 && s!.indexed < ROWS).toBe(true);
  await expect.poll(() => lines().length, { timeout: 30_000 }).toBe(2);
  expect(lines()[0]).toContain(`search index: ${ROWS} stored exchange(s) are not in it yet`);
  expect(lines()[1]).toMatch(new RegExp(`search index: ${ROWS} exchange\\(s\\) indexed in [0-9.]+ s`));

  const found = (await api(`/exchanges?q=${encodeURIComponent('渠道的令牌')}&limit=500`)).exchanges as unknown[];
  expect(found).toHaveLength(500);
  const one = (await api(`/exchanges?q=marker1234`)).exchanges as { url: string }[];
  expect(one.map((e) => e.url)).toEqual([expect.stringContaining('n=1234')]);
}, 120_000);
