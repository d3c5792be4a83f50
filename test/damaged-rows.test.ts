// One unreadable row must never take the viewer down: rows damaged directly with SQL (as a
// damaged file, an older or newer writer or a disk error leave them) still list and open, say
// which column could not be read, are refused by compare/snippet/replay with a message, left out
// of HAR exports with a count, and named in /api/status, `wirelog list` and `wirelog doctor`.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../db/schema.ts';
import { runCli } from './support/cli.ts';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

let h: Harness;
let api: string;
/** Exchange ids by the damage done to them; `healthy` is left as it was. */
const ids: Record<string, number> = {};

const DAMAGE: [name: string, sql: string][] = [
  ['headersNotJson', `UPDATE exchanges SET request_headers = 'not json' WHERE id = ?`],
  ['headersNumber', `UPDATE exchanges SET response_headers = '5' WHERE id = ?`],
  ['timingsTruncated', `UPDATE exchanges SET timings = '{"end": 12' WHERE id = ?`],
  ['wrongTypes', `UPDATE exchanges SET started_at = 'yesterday', port = x'00ff', state = 'exploded' WHERE id = ?`],
  ['usageArray', `UPDATE exchanges SET usage = '[1, 2]', secrets = '{"a": 1}' WHERE id = ?`],
  ['pairsOfNumbers', `UPDATE exchanges SET request_headers = '[[1, 2], ["a"]]' WHERE id = ?`],
  ['headersNull', `UPDATE exchanges SET request_headers = NULL WHERE id = ?`],
];

beforeAll(async () => {
  h = await startHarness();
  api = h.wirelog.viewer!.url;
  // A model call for each damage (and one left healthy), so compare and snippets have calls to take.
  for (const name of ['healthy', ...DAMAGE.map(([n]) => n)]) {
    const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: h.agent(),
      headers: { 'content-type': 'application/json', 'x-case': name },
      body: JSON.stringify({ model: 'damage-model', messages: [{ role: 'user', content: name }] }),
    });
    await res.body.text();
  }
  await h.stored();
  const stored = h.wirelog.reader.list({ limit: 100 });
  for (const e of stored) ids[e.request.headers.find(([n]) => n === 'x-case')![1]] = e.id;
  const db = new Database(databasePath(h.dataDir));
  // An older writer's schema, where request_headers could be NULL (today's says NOT NULL).
  db.unsafeMode(true);
  db.pragma('writable_schema = ON');
  db.prepare(
    `UPDATE sqlite_schema SET sql = replace(sql, 'request_headers TEXT NOT NULL', 'request_headers TEXT') WHERE name = 'exchanges'`,
  ).run();
  db.pragma('writable_schema = OFF');
  db.close();
  const damager = new Database(databasePath(h.dataDir));
  for (const [name, sql] of DAMAGE) damager.prepare(sql).run(ids[name]);
  // A body chunk stored as text, not bytes.
  damager
    .prepare(`UPDATE bodies SET data = 'text, not a blob' WHERE exchange_id = ? AND side = 'response'`)
    .run(ids.headersNumber);
  damager.close();
}, 60_000);
afterAll(() => h?.close());

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

describe('damaged rows', () => {
  it('the list answers, each damaged row marked with the column that could not be read', async () => {
    const { status, text } = await get(`${api}/api/exchanges`);
    expect(status).toBe(200);
    const rows = (JSON.parse(text) as { exchanges: { id: number; damaged?: string[] }[] }).exchanges;
    expect(rows).toHaveLength(DAMAGE.length + 1);
    const byId = new Map(rows.map((r) => [r.id, r.damaged]));
    expect(byId.get(ids.healthy)).toBeUndefined();
    expect(byId.get(ids.headersNotJson)?.join()).toContain('request_headers');
    expect(byId.get(ids.headersNumber)?.join()).toContain('response_headers');
    expect(byId.get(ids.timingsTruncated)?.join()).toContain('timings');
    expect(byId.get(ids.wrongTypes)?.join()).toMatch(/started_at.*yesterday/);
    expect(byId.get(ids.usageArray)?.join()).toContain('usage');
    expect(byId.get(ids.headersNull)?.join()).toContain('request_headers');
    // Sorted by duration too: the damaged timings sort last instead of failing the query.
    const sorted = await get(`${api}/api/exchanges?sort=duration`);
    expect(sorted.status).toBe(200);
    expect((JSON.parse(sorted.text) as { exchanges: unknown[] }).exchanges).toHaveLength(DAMAGE.length + 1);
  });

  it('each damaged exchange opens, with a note naming the column and why', async () => {
    const expected: Record<string, RegExp> = {
      headersNotJson: /column request_headers could not be read: not JSON/,
      headersNumber: /column response_headers could not be read: JSON a number, not an array/,
      timingsTruncated: /column timings could not be read: not JSON/,
      wrongTypes: /column started_at could not be read: holds the text "yesterday", not a number/,
      usageArray: /column usage could not be read: JSON an array, not an object/,
      pairsOfNumbers: /column request_headers could not be read: 2 of 2 entries are not \[name, value\] pairs/,
      headersNull: /column request_headers could not be read: holds NULL/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const { status, text } = await get(`${api}/api/exchanges/${ids[name]}`);
      expect(status, name).toBe(200);
      const detail = JSON.parse(text) as { exchange: { damaged?: string[] }; diagnoses: unknown[] };
      expect(detail.exchange.damaged?.join('\n'), name).toMatch(pattern);
    }
    const wrong = JSON.parse((await get(`${api}/api/exchanges/${ids.wrongTypes}`)).text) as {
      exchange: { damaged: string[]; state: string };
    };
    expect(wrong.exchange.damaged.join('\n')).toMatch(/column port could not be read: holds a blob of 2 byte\(s\)/);
    expect(wrong.exchange.damaged.join('\n')).toMatch(/column state could not be read: holds the text "exploded"/);
    const healthy = JSON.parse((await get(`${api}/api/exchanges/${ids.healthy}`)).text) as {
      exchange: { damaged?: string[] };
    };
    expect(healthy.exchange.damaged).toBeUndefined();
  });

  it('snippet, compare and replay refuse a damaged exchange by name, never 500', async () => {
    const snippet = await get(`${api}/api/exchanges/${ids.headersNotJson}/snippet?target=curl`);
    expect(snippet.status).toBe(422);
    expect(JSON.parse(snippet.text).error).toMatch(
      new RegExp(
        `exchange #${ids.headersNotJson} is damaged in the database \\(column request_headers could not be read.*cannot be copied as code`,
      ),
    );
    expect((await get(`${api}/api/exchanges/${ids.healthy}/snippet?target=curl`)).status).toBe(200);
    for (const [a, b] of [
      [ids.healthy, ids.timingsTruncated],
      [ids.headersNumber, ids.healthy],
    ]) {
      const compare = await get(`${api}/api/compare?a=${a}&b=${b}`);
      expect(compare.status).toBe(422);
      expect(JSON.parse(compare.text).error).toMatch(/is damaged in the database .*cannot be compared/);
    }
    // "The last call that worked" never picks a damaged one.
    const working = await get(`${api}/api/compare?a=${ids.healthy}&b=working`);
    expect(working.status).toBe(404);
    const replay = await request(`${api}/api/exchanges/${ids.usageArray}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    expect(replay.statusCode).toBe(422);
    expect(((await replay.body.json()) as { error: string }).error).toMatch(/cannot be replayed/);
  });

  it('HAR export leaves damaged rows out and says how many, in the file', async () => {
    const { status, text } = await get(`${api}/api/export.har`);
    expect(status).toBe(200);
    const har = JSON.parse(text) as {
      log: {
        entries: { _wirelog: { id: number } }[];
        comment: string;
        _wirelog: { skippedDamaged: number; skippedIds: number[] };
      };
    };
    expect(har.log.entries.map((e) => e._wirelog.id)).toEqual([ids.healthy]);
    expect(har.log._wirelog.skippedDamaged).toBe(DAMAGE.length);
    expect(har.log.comment).toMatch(
      new RegExp(`^${DAMAGE.length} exchange\\(s\\) left out: their rows in the database are damaged`),
    );
  });

  it('/api/status names the damaged rows: how many and the first ids', async () => {
    await get(`${api}/api/exchanges`);
    const status = JSON.parse((await get(`${api}/api/status`)).text) as {
      damagedRows: { count: number; ids: number[]; example: string };
    };
    expect(status.damagedRows.count).toBe(DAMAGE.length);
    expect(status.damagedRows.ids).toEqual(DAMAGE.map(([n]) => ids[n]).sort((a, b) => a - b));
    expect(status.damagedRows.example).toMatch(/^#\d+: column \w+ could not be read/);
  });

  it('the stored body read as text is named as damage, and the detail still answers', async () => {
    expect((await get(`${api}/api/exchanges/${ids.headersNumber}`)).status).toBe(200);
    expect(h.wirelog.reader.damagedRows().count).toBe(DAMAGE.length);
  });

  it('wirelog list, export and doctor answer and name the damage', async () => {
    await h.wirelog.writer.flush();
    const list = await runCli(['list', '--data-dir', h.dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`\\s${ids.headersNotJson} .*\\[damaged: column request_headers could not be read`),
    );
    expect(list.stderr).toContain(`${DAMAGE.length} of these row(s) are damaged in the database`);
    const json = await runCli(['list', '--json', '--data-dir', h.dataDir]);
    expect((JSON.parse(json.stdout) as { damaged?: string[] }[]).filter((s) => s.damaged)).toHaveLength(DAMAGE.length);
    const file = path.join(tempDir(), 'out.har');
    const exported = await runCli(['export', '--har', file, '--data-dir', h.dataDir]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('wrote 1 exchange(s)');
    expect(exported.stderr).toContain(`${DAMAGE.length} exchange(s) left out: their rows in the database are damaged`);
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { log: { entries: unknown[] } }).log.entries).toHaveLength(1);
    const doctor = await runCli(['doctor', '--data-dir', h.dataDir]);
    expect(doctor.stderr).not.toMatch(/TypeError|SyntaxError|at .*\.ts:/);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      new RegExp(`#${ids.timingsTruncated} damaged in the database: column timings could not be read`),
    );
    const one = await runCli(['doctor', String(ids.headersNotJson), '--data-dir', h.dataDir]);
    expect(one.stdout).toMatch(/damaged in the database: column request_headers could not be read/);
  }, 60_000);
});
