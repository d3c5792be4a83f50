// Comparing two large bodies never holds the traffic: the comparison runs on a thread of its own
// (db/compare-reader.ts), so proxied requests keep completing while it is in flight (counted, not
// timed), and a body past the size compared in full is compared by its bytes, which it says.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARED_IN_FULL_BYTES } from '../db/compare-reader.ts';
import { databasePath } from '../db/schema.ts';
import type { Comparison } from '../model/exchange-diff.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let api: string;

/** A chat request of about `bytes` of JSON; `variant` changes the model and every 1000th message. */
function bigChat(bytes: number, variant: string, extra: Record<string, unknown> = {}): Buffer {
  const content = 'lorem ipsum dolor sit amet '.repeat(37); // about 1 KB a message
  const count = Math.ceil(bytes / (content.length + 40));
  const messages = Array.from({ length: count }, (_, i) => ({
    role: 'user',
    content: i % 1000 === 0 ? `${variant} ${i} ${content}` : content,
  }));
  return Buffer.from(JSON.stringify({ model: `model-${variant}`, messages, ...extra }));
}

/** A copy of a stored exchange with this request body, written straight into the database (what capturing it would store). */
function storeCopy(templateId: number, body: Buffer): number {
  const db = new Database(databasePath(h.dataDir));
  try {
    db.pragma('busy_timeout = 5000');
    const columns = (db.pragma('table_info(exchanges)') as { name: string }[])
      .map((c) => c.name)
      .filter((c) => c !== 'id' && c !== 'uid');
    const id = db.transaction(() => {
      const { lastInsertRowid } = db
        .prepare(
          `INSERT INTO exchanges (uid, ${columns.join(', ')}) SELECT ?, ${columns.join(', ')} FROM exchanges WHERE id = ?`,
        )
        .run(randomUUID(), templateId);
      const copy = Number(lastInsertRowid);
      db.prepare(
        `UPDATE exchanges SET request_size = ?, request_stored = ?, request_truncated = 0, request_encoding = '' WHERE id = ?`,
      ).run(body.length, body.length, copy);
      // Stored as the writer stores a body: a chunk a row.
      const insert = db.prepare(`INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, 'request', ?, ?)`);
      for (let at = 0, seq = 0; at < body.length; at += 1024 * 1024, seq++)
        insert.run(copy, seq, body.subarray(at, at + 1024 * 1024));
      return copy;
    })();
    return id;
  } finally {
    db.close();
  }
}

/** Proxied requests sent one after another until `until` settles: how many completed (each answered 200). */
async function proxiedWhile(until: Promise<unknown>): Promise<number> {
  let settled = false;
  void until.finally(() => (settled = true));
  let completed = 0;
  const agent = h.agent();
  while (!settled) {
    const res = await request(`${h.upstream.httpsUrl}/v1/models`, { dispatcher: agent });
    await res.body.text();
    if (res.statusCode === 200) completed++;
  }
  return completed;
}

let template: number;
beforeAll(async () => {
  h = await startHarness();
  api = h.wirelog.viewer!.url;
  const res = await request(`${h.upstream.httpsUrl}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [] }),
  });
  await res.body.text();
  await h.stored();
  template = h.wirelog.reader.list({ limit: 1 })[0].id;
}, 60_000);
afterAll(() => h?.close());

describe('comparing large bodies', () => {
  it('two 49 MB JSON requests: proxied requests keep completing while they are compared, and the comparison says what was compared', async () => {
    const a = storeCopy(template, bigChat(49 * 1024 * 1024, 'a'));
    const b = storeCopy(template, bigChat(49 * 1024 * 1024, 'b'));
    const compared = request(`${api}/api/compare?a=${a}&b=${b}`).then(async (res) => ({
      status: res.statusCode,
      body: (await res.body.json()) as Comparison,
    }));
    const completed = await proxiedWhile(compared);
    const { status, body } = await compared;
    expect(status).toBe(200);
    // Compared on the forwarding thread, none (or the one already on its way) would complete.
    expect(completed).toBeGreaterThanOrEqual(5);
    expect(body.requestBody).toMatchObject({ kind: 'bytes', same: false });
    expect(body.requestBody.kind === 'bytes' && body.requestBody.why).toMatch(
      /request bodies of 4\d\.\d MB and 4\d\.\d MB stored: past the 8\.0 MB compared in full, only their stored bytes were compared/,
    );
    // The same bytes are the same.
    const same = (await (await request(`${api}/api/compare?a=${a}&b=${a}`)).body.json()) as Comparison;
    expect(same.requestBody).toMatchObject({ kind: 'bytes', same: true });
  }, 120_000);

  it('two JSON requests just under the bound: compared path by path off the thread, long values clipped', async () => {
    const size = COMPARED_IN_FULL_BYTES - 512 * 1024;
    const a = storeCopy(template, bigChat(size, 'a'));
    const tools = Array.from({ length: 10_000 }, (_, i) => ({ type: 'function', name: `tool_${i}` }));
    const b = storeCopy(template, bigChat(size, 'b', { tools }));
    const compared = request(`${api}/api/compare?a=${a}&b=${b}`).then(async (res) => ({
      status: res.statusCode,
      text: await res.body.text(),
    }));
    const completed = await proxiedWhile(compared);
    const { status, text } = await compared;
    expect(status).toBe(200);
    expect(completed).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(text) as Comparison;
    expect(body.requestBody.kind).toBe('json');
    if (body.requestBody.kind !== 'json') return;
    expect(body.requestBody.differences.find((d) => d.path === '$.model')).toMatchObject({
      a: 'model-a',
      b: 'model-b',
      change: 'changed',
    });
    expect(body.requestBody.differences.find((d) => d.path === '$.messages[1000].content')?.a).toMatch(/^a 1000 lorem/);
    // The answer stays small whatever the bodies hold: differing values past 1 KB are clipped.
    const added = body.requestBody.differences.find((d) => d.path === '$.tools');
    expect(added).toMatchObject({ change: 'added', clipped: true });
    expect(added?.b).toMatch(/^\[\{"type":"function","name":"tool_0"\},/);
    expect(String(added?.b).length).toBeLessThanOrEqual(1025);
    expect(text.length).toBeLessThan(400 * 1024);
  }, 120_000);
});
