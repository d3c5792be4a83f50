// The list's agent columns (issue 27, "The list, too"), on a temporary database filled through the
// real storage path (CaptureStore with llm/ understanding each call): the client named at capture,
// sorting through each sort's index with keyset pages, the count, each row's cost from its stored
// columns, and which working call a failed one is compared with.
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { lastWorkingCall } from '../db/compare-reader.ts';
import { ExchangeReader, SORT_COLUMNS, parseSortCursor, sortCursorText, type SortKey } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { summaryCost } from '../llm/summary-cost.ts';
import { CHERRY, CODEX, CURL, listCall as call, type ListCall as Call } from './support/list-calls.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import { tempDir } from './support/harness.ts';

function newStore() {
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db, understandEnded);
  const reader = new ExchangeReader(db);
  /** Stores the calls in one batch; their ids in order. */
  const add = (...calls: Call[]): number[] => {
    const before = (db.prepare('SELECT coalesce(max(id), 0) AS n FROM exchanges').get() as { n: number }).n;
    store.apply(calls.flatMap((c) => call(c)));
    return (db.prepare('SELECT id FROM exchanges WHERE id > ? ORDER BY id').all(before) as { id: number }[]).map(
      (r) => r.id,
    );
  };
  return { db, reader, add };
}

/** Every page of a sort, each read from the previous page's cursor. */
function allPages(reader: ExchangeReader, sort: SortKey, limit: number): ExchangeSummary[][] {
  const pages: ExchangeSummary[][] = [];
  let after: ReturnType<typeof parseSortCursor> | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = reader.sortedSummaries({ sort, limit, sortAfter: after ?? undefined });
    pages.push(page.summaries);
    if (!page.next) break;
    // Through the API's text form and back, as the viewer passes it.
    after = parseSortCursor(sortCursorText(page.next));
  }
  return pages;
}

describe('the client column', () => {
  it('names the app that sent each request when it is stored, from its User-Agent and client headers', () => {
    const { reader, add } = newStore();
    const [codex, cherry, curl, none] = add(
      { headers: CODEX, responses: true },
      { headers: CHERRY },
      { headers: CURL },
      { headers: [] },
    );
    const byId = new Map(reader.summaries({ limit: 10 }).map((s) => [s.id, s.client]));
    expect(byId.get(codex)).toBe('Codex 0.171.0');
    expect(byId.get(cherry)).toBe('Cherry Studio 1.5.7');
    expect(byId.get(curl)).toBe('curl 8.14.1');
    expect(byId.get(none)).toBeUndefined();
  });
});

describe('sorting the list', () => {
  // Durations and token counts with ties, and calls without figures (a failed call reports no usage).
  const figures = [
    { endMs: 500, usage: { prompt_tokens: 300, completion_tokens: 7 } },
    { endMs: 40, usage: { prompt_tokens: 300, completion_tokens: 90 } },
    { endMs: 500, usage: { prompt_tokens: 12, completion_tokens: 7 } },
    { endMs: 9000, usage: null, status: 401 },
    { endMs: 40, usage: { prompt_tokens: 5000, completion_tokens: 1 }, pad: 4000 },
    { endMs: 75, usage: { prompt_tokens: 300, completion_tokens: 7 }, pad: 200 },
    { endMs: 500, usage: null, status: 401 },
  ];
  const value: Record<SortKey, (s: ExchangeSummary) => number> = {
    time: (s) => s.startedAt,
    tokens_in: (s) => s.call?.inputTokens ?? -1,
    tokens_out: (s) => s.call?.outputTokens ?? -1,
    ttft: (s) => s.call?.ttftMs ?? -1,
    size: (s) => s.responseSize,
    duration: (s) => s.durationMs ?? -1,
  };

  it('each sort is largest first, ties newest first, rows without the figure last; keyset pages add up to the whole, each row once', () => {
    const { reader, add } = newStore();
    const ids = add(...figures, ...figures, ...figures);
    for (const sort of Object.keys(SORT_COLUMNS) as SortKey[]) {
      const whole = reader.sortedSummaries({ sort, limit: 1000 }).summaries;
      expect(whole.map((s) => s.id).sort((a, b) => a - b)).toEqual(ids);
      const expected = [...whole].sort((a, b) => value[sort](b) - value[sort](a) || b.id - a.id);
      expect(
        whole.map((s) => s.id),
        sort,
      ).toEqual(expected.map((s) => s.id));
      for (const limit of [1, 2, 4, 5])
        expect(
          allPages(reader, sort, limit)
            .flat()
            .map((s) => s.id),
          `${sort} by ${limit}`,
        ).toEqual(whole.map((s) => s.id));
    }
    // A failed call without usage sorts after every call with tokens.
    const byIn = reader.sortedSummaries({ sort: 'tokens_in', limit: 1000 }).summaries;
    expect(byIn[0].call?.inputTokens).toBe(5000);
    expect(byIn.slice(-6).every((s) => s.call?.inputTokens === null)).toBe(true);
  });

  it('a row stored between two pages does not shift the next page (keyset, not position)', () => {
    const { reader, add } = newStore();
    add(...figures);
    const first = reader.sortedSummaries({ sort: 'duration', limit: 3 });
    // Longer than every row shown: by position, the next page would repeat the third row.
    add({ endMs: 60_000 });
    const second = reader.sortedSummaries({ sort: 'duration', limit: 100, sortAfter: first.next! });
    const seen = [...first.summaries, ...second.summaries].map((s) => s.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(figures.length);
  });

  it("each sort's first and later pages walk its index: no sort of the table", () => {
    const { db } = newStore();
    for (const sort of Object.keys(SORT_COLUMNS) as SortKey[]) {
      const e = SORT_COLUMNS[sort];
      for (const where of ['', `WHERE ${e} <= 5 AND (${e} < 5 OR id < 9)`]) {
        const plan = (
          db
            .prepare(`EXPLAIN QUERY PLAN SELECT id FROM exchanges ${where} ORDER BY ${e} DESC, id DESC LIMIT 200`)
            .all() as { detail: string }[]
        )
          .map((p) => p.detail)
          .join(' | ');
        expect(plan, sort).toContain(`INDEX exchanges_sort_${sort}`);
        expect(plan, sort).not.toContain('TEMP B-TREE');
      }
    }
  });

  it('the count is of what the filter matches', () => {
    const { reader, add } = newStore();
    add({ host: 'a.example' }, { host: 'a.example', status: 401, usage: null }, { host: 'b.example' });
    expect(reader.count({})).toBe(3);
    expect(reader.count({ host: 'a.example' })).toBe(2);
    expect(reader.count({ status: '4xx' })).toBe(1);
  });
});

describe("a list row's cost, from its stored columns", () => {
  it("the provider's own figure, an estimate with its price and date, or unknown and why; none for a call that reported no usage", () => {
    const { reader, add } = newStore();
    const [openrouter, openai, relay, failed, unlisted] = add(
      {
        host: 'openrouter.ai',
        path: '/api/v1/chat/completions',
        model: 'openai/gpt-4o',
        usage: { prompt_tokens: 14, completion_tokens: 2, cost: 0.000096 },
      },
      { host: 'api.openai.com', model: 'gpt-4o', usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 } },
      { host: 'relay.example', usage: { prompt_tokens: 10, completion_tokens: 5 } },
      { host: 'api.openai.com', status: 401, usage: null },
      { host: 'api.openai.com', model: 'no-such-model-anywhere', usage: { prompt_tokens: 10, completion_tokens: 5 } },
    );
    const cost = new Map(reader.summaries({ limit: 10 }).map((s) => [s.id, summaryCost(s)]));
    expect(cost.get(openrouter)).toEqual({ source: 'provider', usd: 0.000096 });
    const estimated = cost.get(openai);
    expect(estimated).toMatchObject({
      source: 'estimated',
      price: {
        table: expect.stringContaining('@pydantic/genai-prices'),
        date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      },
    });
    // A million tokens in and out: the table's two rates per million, summed.
    expect(estimated!.usd).toBeCloseTo(
      (estimated as { price: { inputPerMTok: number; outputPerMTok: number } }).price.inputPerMTok +
        (estimated as { price: { outputPerMTok: number } }).price.outputPerMTok,
      6,
    );
    expect(cost.get(relay)).toEqual({ source: 'unknown', usd: null, why: 'relay' });
    expect(cost.get(failed)).toBeNull();
    expect(cost.get(unlisted)).toEqual({ source: 'unknown', usd: null, why: 'model' });
  });
});

describe('compare with the last call that worked', () => {
  it('picks one from the same client and the same API when there is one, even when another worked later', () => {
    const { reader, add } = newStore();
    // A Cherry Studio chat call worked, then a Codex Responses call worked, then Cherry Studio's chat call failed (a key), then Codex worked again.
    const [cherryWorked, , cherryFailed, codexWorkedLater] = add(
      { headers: CHERRY },
      { headers: CODEX, responses: true },
      { headers: CHERRY, status: 401, usage: null },
      { headers: CODEX, responses: true },
    );
    const failed = reader.get(cherryFailed)!;
    expect(lastWorkingCall(reader, failed)?.id).toBe(cherryWorked);
    // A Codex call that failed is compared with the newest Codex Responses call.
    const [codexFailed] = add({ headers: CODEX, responses: true, status: 401, usage: null });
    expect(lastWorkingCall(reader, reader.get(codexFailed)!)?.id).toBe(codexWorkedLater);
  });

  it('else the same API from another client, else the same client, else the newest that worked', () => {
    const { reader, add } = newStore();
    const [curlChat, codexResponses] = add({ headers: CURL }, { headers: CODEX, responses: true });
    // Cherry Studio's chat call: no Cherry Studio call worked; curl's chat call is the same API.
    const [cherryFailed] = add({ headers: CHERRY, status: 401, usage: null });
    expect(lastWorkingCall(reader, reader.get(cherryFailed)!)?.id).toBe(curlChat);
    // Codex on the chat path (a base_url mistake): Codex's own call, on another API, before curl's.
    const [codexOnChat] = add({
      headers: CODEX,
      path: '/v1/chat/completions/responses',
      responses: true,
      status: 404,
      usage: null,
    });
    expect(lastWorkingCall(reader, reader.get(codexOnChat)!)?.id).toBe(codexResponses);
    // An app nothing else was sent from, on a path nothing else used: the newest call that worked.
    const [other] = add({
      headers: [['User-Agent', 'python-requests/2.32.3']],
      path: '/v2/chat',
      status: 401,
      usage: null,
    });
    expect(lastWorkingCall(reader, reader.get(other)!)?.id).toBe(codexResponses);
  });
});
