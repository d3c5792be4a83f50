// A session's cost agrees with its calls' as the list and `wirelog usage` give them. A call the
// provider reported no tokens for (a 429 before the answer, a call cut before its usage) has no
// cost in the list (llm/summary-cost.ts) and is counted apart by `wirelog usage`
// (callsWithoutUsage): the session must not turn "price unknown" for it, nor its row say a price
// is unknown where the list says nothing. A model the table has no price for stays unknown.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { usageCalls } from '../db/usage-rollup.ts';
import { rollUp } from '../llm/cost.ts';
import { sessionPage } from '../llm/session-read.ts';
import { summaryCost } from '../llm/summary-cost.ts';
import { tempDir } from './support/harness.ts';
import { generatedSession, storeSession, type GeneratedTurn } from './support/session-store.ts';

/** The turns of a session with turn `failedAt` answered 429 before any token: no usage, an error body. */
function withRateLimit(db: Db, session: string, turns: GeneratedTurn[], failedAt: number): number[] {
  const ids = storeSession(db, session, turns);
  db.prepare(
    `UPDATE exchanges SET status = 429, status_text = 'Too Many Requests', input_tokens = NULL, output_tokens = NULL, usage = '{}' WHERE id = ?`,
  ).run(ids[failedAt]);
  db.prepare(`UPDATE bodies SET data = ? WHERE exchange_id = ? AND side = 'response'`).run(
    Buffer.from(JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error' } })),
    ids[failedAt],
  );
  return ids;
}

/** The turns with a model the price table does not list. */
const unlisted = (turns: GeneratedTurn[]): GeneratedTurn[] =>
  turns.map((t) => ({ ...t, request: { ...t.request, model: 'gpt-5-codex-preview-internal' } }));

describe("a session's cost as its calls' costs", () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  let limitedIds: number[];

  beforeAll(() => {
    dir = tempDir('wirelog-session-cost-');
    db = openDatabase(dir);
    limitedIds = withRateLimit(db, 'limited', generatedSession(4), 2);
    const unknownIds = storeSession(db, 'unlisted', unlisted(generatedSession(2)));
    db.prepare(`UPDATE exchanges SET model = 'gpt-5-codex-preview-internal' WHERE id IN (?, ?)`).run(...unknownIds);
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a 429 in the middle: the session is priced, as the sum of the list rows and as `wirelog usage` says', () => {
    const page = sessionPage(reader, 'session:limited', 0, 10);
    expect(page.header.failed).toBe(1);
    const rows = reader.summaries({ thread: 'session:limited', after: 0, limit: 100 });
    const listed = rows.map(summaryCost);
    expect(listed.map((c) => c?.source ?? null)).toEqual(['estimated', 'estimated', null, 'estimated']);
    const sum = listed.reduce((s, c) => s + (c?.usd ?? 0), 0);
    expect(sum).toBeGreaterThan(0);
    expect(page.header.cost.source).toBe('estimated');
    expect(page.header.cost.usd).toBeCloseTo(sum, 12);
    const usage = rollUp(usageCalls(db, 'session')).find((g) => g.key === 'session:limited')!;
    expect(usage).toMatchObject({ costSource: 'estimated', callsWithoutUsage: 1 });
    expect(page.header.cost.usd).toBeCloseTo(usage.cost!, 12);
  });

  it("the 429's row has no cost, as in the list; the others their estimate", () => {
    const { turns } = sessionPage(reader, 'session:limited', 0, 10);
    expect(turns.map((t) => t.id)).toEqual(limitedIds);
    expect(turns.map((t) => t.cost?.source ?? null)).toEqual(['estimated', 'estimated', null, 'estimated']);
  });

  it('a model the table has no price for: unknown, not 0, in the header and on every row', () => {
    const page = sessionPage(reader, 'session:unlisted', 0, 10);
    expect(page.header.cost).toEqual({ usd: null, pricedUsd: 0, source: 'unknown' });
    expect(page.turns.map((t) => t.cost)).toEqual([
      { source: 'unknown', usd: null, why: 'model' },
      { source: 'unknown', usd: null, why: 'model' },
    ]);
  });
});
