// `wirelog usage` on a database of calls of several models, hosts, sessions and days: every --json
// figure equals the sum of the calls' stored figures computed here call by call, the table fits 80
// columns in both languages, --csv quotes what needs it, --since filters, and a wrong flag is one line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/schema.ts';
import { callCost } from '../llm/cost.ts';
import type { Usage } from '../model/token-usage.ts';
import { runCli } from './support/cli.ts';

interface Call {
  host: string;
  model: string | null;
  dialect: string;
  thread: string | null;
  usage: Usage;
  startedAt: number;
  ttftMs?: number;
  endMs?: number;
}

const day = (d: number, hour = 12) => Date.UTC(2026, 10, d, hour, 0, 0);
const LONG_SESSION = 'codex-0199a8f2-7c1e-7d3a-9b4f-5e6d7c8b9a0f-a-session-id-longer-than-its-column';

const CALLS: Call[] = [
  // A Codex session on OpenAI: cache reads and reasoning; one call failed with no usage at all.
  {
    host: 'api.openai.com',
    model: 'gpt-5',
    dialect: 'openai-responses',
    thread: LONG_SESSION,
    usage: { input: 12000, cacheRead: 9000, output: 800, reasoning: 512 },
    startedAt: day(22),
    ttftMs: 900,
    endMs: 5000,
  },
  {
    host: 'api.openai.com',
    model: 'gpt-5',
    dialect: 'openai-responses',
    thread: LONG_SESSION,
    usage: { input: 14000, cacheRead: 12000, output: 300, reasoning: 128 },
    startedAt: day(22, 13),
    ttftMs: 700,
    endMs: 2700,
  },
  {
    host: 'api.openai.com',
    model: 'gpt-5',
    dialect: 'openai-responses',
    thread: LONG_SESSION,
    usage: {},
    startedAt: day(22, 14),
  },
  // Claude with cache writes and reads (input leaves them out).
  {
    host: 'api.anthropic.com',
    model: 'claude-sonnet-4-20250514',
    dialect: 'anthropic-messages',
    thread: 'claude-1',
    usage: { input: 40, cacheCreation: 5000, output: 200 },
    startedAt: day(23),
  },
  {
    host: 'api.anthropic.com',
    model: 'claude-sonnet-4-20250514',
    dialect: 'anthropic-messages',
    thread: 'claude-1',
    usage: { input: 60, cacheRead: 5000, output: 150 },
    startedAt: day(23, 13),
  },
  // OpenRouter says what it charged.
  {
    host: 'openrouter.ai',
    model: 'anthropic/claude-sonnet-4',
    dialect: 'openai-chat',
    thread: 'router-1',
    usage: { input: 1000, output: 100, cost: 0.01 },
    startedAt: day(23, 14),
  },
  {
    host: 'openrouter.ai',
    model: 'anthropic/claude-sonnet-4',
    dialect: 'openai-chat',
    thread: 'router-1',
    usage: { input: 2000, output: 100, cost: 0.02 },
    startedAt: day(24),
  },
  // Gemini: one prompt past the 200k tier, one under it (priced call by call, not summed).
  {
    host: 'generativelanguage.googleapis.com',
    model: 'gemini-2.5-pro',
    dialect: 'gemini',
    thread: null,
    usage: { input: 250000, output: 1000, reasoning: 2000 },
    startedAt: day(24, 10),
  },
  {
    host: 'generativelanguage.googleapis.com',
    model: 'gemini-2.5-pro',
    dialect: 'gemini',
    thread: null,
    usage: { input: 10000, output: 500 },
    startedAt: day(24, 11),
  },
  // A relay: its prices are its own. One answered with a model name a spreadsheet would run.
  {
    host: 'relay.example.com',
    model: 'gpt-4o',
    dialect: 'openai-chat',
    thread: 'relay-1',
    usage: { input: 3000, output: 300 },
    startedAt: day(24, 12),
  },
  {
    host: 'relay.example.com',
    model: '=HYPERLINK("http://x"),"evil"',
    dialect: 'openai-chat',
    thread: 'relay-1',
    usage: { input: 10, output: 1 },
    startedAt: day(24, 13),
  },
];

let dataDir: string;

function store(dir: string, calls: Call[]): void {
  const db = openDatabase(dir);
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, state, status, timings, stream_kind, dialect, model, input_tokens, output_tokens, usage, ttft_ms, thread_key)
    VALUES (@uid, @startedAt, '127.0.0.1:5000', 'POST', 'https', @host, 443, '/v1/x', '1.1', '[]', 'complete', 200, @timings, @streamKind, @dialect, @model, @input, @output, @usage, @ttft, @thread)`);
  db.transaction(() => {
    calls.forEach((c, i) =>
      insert.run({
        uid: `u${i}`,
        startedAt: c.startedAt,
        host: c.host,
        timings: JSON.stringify(c.endMs ? { end: c.endMs } : {}),
        streamKind: c.ttftMs ? 'sse' : null,
        dialect: c.dialect,
        model: c.model,
        input: c.usage.input ?? null,
        output: c.usage.output ?? null,
        usage: JSON.stringify(c.usage),
        ttft: c.ttftMs ?? null,
        thread: c.thread,
      }),
    );
    // A model list is not a model call: never counted.
    insert.run({
      uid: 'models',
      startedAt: day(24),
      host: 'api.openai.com',
      timings: '{}',
      streamKind: null,
      dialect: 'models',
      model: null,
      input: null,
      output: null,
      usage: '{}',
      ttft: null,
      thread: null,
    });
  })();
  db.close();
}

/** What a group should say, summed here call by call from the figures stored. */
function expected(calls: Call[]) {
  const sum = (pick: (u: Usage) => number | undefined) => calls.reduce((s, c) => s + (pick(c.usage) ?? 0), 0);
  const reported = calls.filter((c) => Object.keys(c.usage).length > 0);
  const costs = reported.map((c) =>
    callCost({ host: c.host, model: c.model, dialect: c.dialect, usage: c.usage, startedAt: c.startedAt }),
  );
  const source = costs.some((c) => c.source === 'unknown')
    ? 'unknown'
    : costs.some((c) => c.source === 'estimated')
      ? 'estimated'
      : costs.length
        ? 'provider'
        : 'unknown';
  const known = costs.reduce((s, c) => s + (c.usd ?? 0), 0);
  return {
    calls: calls.length,
    inputTokens: sum((u) => u.input),
    outputTokens: sum((u) => u.output),
    cacheReadTokens: sum((u) => u.cacheRead),
    cacheWriteTokens: sum((u) => u.cacheCreation),
    reasoningTokens: calls.some((c) => c.usage.reasoning !== undefined) ? sum((u) => u.reasoning) : null,
    costSource: source,
    cost: source === 'unknown' ? null : known,
    pricedCost: known,
  };
}

const KEYS: Record<string, (c: Call) => string | null> = {
  session: (c) => c.thread,
  model: (c) => c.model,
  host: (c) => c.host,
  day: (c) => new Date(c.startedAt).toISOString().slice(0, 10),
};

// Days are the calls' local days: the processes run in UTC so the test's days are the same everywhere.
const usage = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['usage', '--data-dir', dataDir, ...args], { env: { TZ: 'UTC', ...env } });

/** Terminal columns: CJK characters and full-width punctuation take two. */
const columns = (line: string) =>
  [...line].reduce((w, ch) => w + (/[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]/.test(ch) ? 2 : 1), 0);

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-usage-'));
  store(dataDir, CALLS);
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('wirelog usage --json', () => {
  it.each(Object.keys(KEYS))(
    '--by %s: every group is the sum of its calls, and every call is in one group',
    async (by) => {
      const result = await usage(['--by', by, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const groups = JSON.parse(result.stdout) as (ReturnType<typeof expected> & { key: string | null })[];
      const keys = [...new Set(CALLS.map(KEYS[by]))];
      expect(groups.map((g) => g.key).sort()).toEqual([...keys].sort());
      for (const key of keys) {
        const want = expected(CALLS.filter((c) => KEYS[by](c) === key));
        const got = groups.find((g) => g.key === key)!;
        const { cost, pricedCost, ...figures } = want;
        expect(got, `${by} ${key}`).toMatchObject(figures);
        if (cost === null) expect(got.cost).toBeNull();
        else expect(got.cost).toBeCloseTo(cost, 12);
        expect(got.pricedCost).toBeCloseTo(pricedCost, 12);
      }
    },
  );

  it('the figures that can be checked by hand: OpenRouter’s own charges, the relay unknown, Gemini priced call by call', async () => {
    const groups = JSON.parse((await usage(['--by', 'session', '--json'])).stdout) as {
      key: string | null;
      cost: number | null;
      costSource: string;
      pricedCost: number;
      unpricedCalls: number;
      callsWithoutUsage: number;
      cacheHitRate: number | null;
      outputTokensPerSecond: number | null;
    }[];
    const byKey = new Map(groups.map((g) => [g.key, g]));
    expect(byKey.get('router-1')).toMatchObject({ costSource: 'provider', unpricedCalls: 0 });
    expect(byKey.get('router-1')!.cost).toBeCloseTo(0.03, 12);
    expect(byKey.get('relay-1')).toMatchObject({ cost: null, costSource: 'unknown', pricedCost: 0, unpricedCalls: 2 });
    expect(byKey.get(LONG_SESSION)).toMatchObject({ costSource: 'estimated', callsWithoutUsage: 1, unpricedCalls: 0 });
    // 21,000 of 26,000 prompt tokens read from the cache; 1,100 output tokens over 6 s after the first token.
    expect(byKey.get(LONG_SESSION)!.cacheHitRate).toBeCloseTo(21000 / 26000, 12);
    expect(byKey.get(LONG_SESSION)!.outputTokensPerSecond).toBeCloseTo(1100 / 6.1, 12);
    // Claude: the first call wrote 5,000 tokens to the cache and read none, the second read them.
    expect(byKey.get('claude-1')!.cacheHitRate).toBeCloseTo(5000 / (40 + 5000 + 60 + 5000), 12);
    // gemini-2.5-pro: a prompt past 200k tokens is priced at the upper tier ($2.50 in, $15 out), the other at the base ($1.25, $10);
    // thinking tokens count as output. Summed together, both would have been priced at the upper tier.
    const gemini = byKey.get(null)!;
    expect(gemini.costSource).toBe('estimated');
    expect(gemini.cost).toBeCloseTo((250000 * 2.5 + 3000 * 15 + 10000 * 1.25 + 500 * 10) / 1e6, 12);
  });

  it('--since keeps the calls started at or after it (a date alone is local midnight)', async () => {
    const since = day(24, 0);
    const groups = JSON.parse((await usage(['--by', 'host', '--json', '--since', '2026-11-24'])).stdout) as {
      key: string;
      calls: number;
      inputTokens: number;
    }[];
    const kept = CALLS.filter((c) => c.startedAt >= since);
    expect(groups.reduce((s, g) => s + g.calls, 0)).toBe(kept.length);
    expect(groups.map((g) => g.key).sort()).toEqual([...new Set(kept.map((c) => c.host))].sort());
    expect(groups.reduce((s, g) => s + g.inputTokens, 0)).toBe(kept.reduce((s, c) => s + (c.usage.input ?? 0), 0));
    const later = JSON.parse((await usage(['--by', 'day', '--json', '--since', '2026-11-24T11:30:00Z'])).stdout) as {
      calls: number;
    }[];
    expect(later.reduce((s, g) => s + g.calls, 0)).toBe(
      CALLS.filter((c) => c.startedAt >= Date.parse('2026-11-24T11:30:00Z')).length,
    );
  });
});

describe('wirelog usage as text and CSV', () => {
  it.each(['en', 'zh-CN'])('the table fits 80 columns (%s), and a long session id is shown whole', async (lang) => {
    for (const by of Object.keys(KEYS)) {
      const result = await usage(['--by', by], { WIRELOG_LANG: lang });
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(columns(line), line).toBeLessThanOrEqual(80);
      if (by === 'session') expect(lines.join('')).toContain(LONG_SESSION);
    }
    const byModel = await usage(['--by', 'model'], { WIRELOG_LANG: lang });
    expect(byModel.code, byModel.stderr).toBe(0);
    const zh = byModel.stdout;
    expect(/[\u4e00-\u9fff]/.test(zh)).toBe(lang === 'zh-CN');
    // Estimated costs carry ~, the relay's unknown ones ?, OpenRouter's its own figure.
    expect(zh).toMatch(/~\$0\.\d{4}/);
    expect(zh).toContain('$0.0300');
    expect(zh).toMatch(/\s\?\n/);
  });

  it('--csv quotes commas and quotes, and a text a spreadsheet would run starts with an apostrophe', async () => {
    const result = await usage(['--by', 'model', '--csv']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe(
      'key,calls,inputTokens,outputTokens,cacheReadTokens,cacheWriteTokens,reasoningTokens,cost,costSource,pricedCost,unpricedCalls,callsWithoutUsage,cacheHitRate,avgTtftMs,outputTokensPerSecond,firstAt,lastAt',
    );
    expect(lines.at(-1)).toBe('');
    const evil = lines.find((l) => l.includes('HYPERLINK'))!;
    expect(evil.startsWith(`"'=HYPERLINK(""http://x""),""evil""",1,10,1,0,0,,,unknown,0,1,0,`)).toBe(true);
    const relay = lines.find((l) => l.startsWith('gpt-4o,'))!;
    expect(relay).toContain(',3000,300,0,0,,,unknown,');
    expect(lines.filter(Boolean)).toHaveLength(1 + new Set(CALLS.map((c) => c.model)).size);
  });
});

describe('wrong flags: one line, in the user’s language', () => {
  it.each([
    [['--by', 'week'], '--by must be session, model, host or day, not "week"'],
    [['--since', 'yesterday'], '--since must be an ISO date'],
    [['--since', '2026-13-45'], '--since must be an ISO date'],
    [['--json', '--csv'], '--json and --csv'],
    [['--bogus'], '--bogus is not a flag of wirelog usage'],
    [['--by'], '--by needs a value'],
    [['--json=yes'], '--json takes no value'],
    [['extra'], 'takes flags only, not "extra"'],
  ])('%j', async (args, message) => {
    for (const lang of ['en', 'zh-CN']) {
      const result = await usage(args, { WIRELOG_LANG: lang });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0].startsWith('wirelog: ')).toBe(true);
      if (lang === 'en') expect(lines[0]).toContain(message);
      else expect(lines[0]).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('no database yet: says where it looked and what to do', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-usage-empty-'));
    try {
      const result = await runCli(['usage', '--data-dir', empty]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`no captures in ${empty} yet`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
