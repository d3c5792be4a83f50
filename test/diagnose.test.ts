import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, PRECEDENCE, RULES, worst, type Diagnosis, type FixAction, type Lang } from '../llm/diagnose.ts';
import { emptyAnswer, type ModelCall } from '../llm/model-call.ts';
import type { Exchange, ExchangeState, Header } from '../model/exchange.ts';

// One file per rule, hand-written from the errors providers and relays really send.
const FIXTURES = path.resolve('test/fixtures/diagnoses');

interface CaseExchange {
  method: string;
  scheme?: Exchange['request']['scheme'];
  host: string;
  path: string;
  port?: number;
  /** 'gateway': the call came to wirelog's gateway URL form (its Host header is the gateway's address). */
  via?: 'gateway';
  status: number | null;
  headers?: Header[];
  responseHeaders?: Header[];
  state?: ExchangeState;
  error?: string;
  startedAt?: number;
  streamKind?: Exchange['streamKind'];
}

interface Expected {
  severity?: string;
  summary?: string;
  fix?: string;
  /** The provider's own message, which the summary must quote. */
  quoted?: string;
  /** The fix "Try this fix" sends; null: none. Every case that expects a finding names it. */
  action?: FixAction | null;
  /** False when another rule's finding is the headline of this call (the badge, doctor's first line). */
  headline?: boolean;
  'zh-CN'?: { summary?: string; fix?: string };
}

interface Case {
  name: string;
  exchange: CaseExchange;
  earlier?: CaseExchange[];
  request?: { model?: string };
  call?: Partial<ModelCall>;
  responseText?: string;
  modelsListed?: string[];
  expect: Expected | null;
}

let nextId = 1;
function exchangeOf(e: CaseExchange): Exchange {
  return {
    id: nextId++,
    uid: `case-${nextId}`,
    request: {
      startedAt: e.startedAt ?? 0,
      clientAddress: '127.0.0.1:1',
      method: e.method,
      scheme: e.scheme ?? 'https',
      host: e.host,
      port: e.port ?? 443,
      path: e.path,
      httpVersion: '1.1',
      headers: e.headers ?? [],
      ...(e.via ? { via: e.via } : {}),
    },
    response:
      e.status === null
        ? null
        : { status: e.status, statusText: '', httpVersion: '1.1', headers: e.responseHeaders ?? [] },
    state: e.state ?? 'complete',
    error: e.error ?? null,
    timings: {},
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: e.streamKind ?? null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

/** Every rule run on the case, as wirelog runs them (precedence applied), in one language. */
function diagnosed(c: Case, lang: Lang): Diagnosis[] {
  // A case names only what it is about; the rest of the call is what a call with no answer has.
  const partial = c.call ?? (c.request ? { requestedModel: c.request.model ?? null } : null);
  const call = partial
    ? ({ usage: {}, ...partial, answer: { ...emptyAnswer(), ...(partial.answer ?? {}) } } as ModelCall)
    : null;
  return diagnose(
    {
      exchange: exchangeOf(c.exchange),
      call,
      responseText: c.responseText ?? null,
      earlier: (c.earlier ?? []).map(exchangeOf),
      modelsListed: c.modelsListed ?? null,
    },
    lang,
  );
}

for (const file of fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { rule: string; cases: Case[] };
  describe(`diagnosis rule ${fixture.rule}`, () => {
    const rule = RULES[fixture.rule];
    it('exists, with a place in the precedence', () => {
      expect(rule).toBeTypeOf('function');
      expect(PRECEDENCE[fixture.rule]).toBeDefined();
    });
    for (const c of fixture.cases) {
      it(c.name, () => {
        const all = diagnosed(c, 'en');
        const result = all.find((d) => d.rule === fixture.rule) ?? null;
        const want = c.expect;
        if (want === null) return expect(result, JSON.stringify(all)).toBeNull();
        expect(result, `diagnosed instead: ${JSON.stringify(all)}`).not.toBeNull();
        if (want.headline !== false) expect(worst(all)?.rule, 'the headline').toBe(fixture.rule);
        if (want.severity) expect(result!.severity).toBe(want.severity);
        if (want.summary) expect(result!.summary).toContain(want.summary);
        if (want.fix) expect(result!.fix).toContain(want.fix);
        if (want.quoted) expect(result!.summary).toContain(`"${want.quoted}"`);
        // Every finding says which fix "Try this fix" sends (null: none), not only its words.
        expect('action' in want, 'the case names its action').toBe(true);
        expect(result!.action ?? null).toEqual(want.action);
        const zh = want['zh-CN'];
        if (zh) {
          const inChinese = diagnosed(c, 'zh-CN').find((d) => d.rule === fixture.rule)!;
          expect(inChinese.severity).toBe(result!.severity);
          expect(inChinese.action ?? null).toEqual(result!.action ?? null);
          if (zh.summary) expect(inChinese.summary).toContain(zh.summary);
          if (zh.fix) expect(inChinese.fix).toContain(zh.fix);
          if (want.quoted) expect(inChinese.summary).toContain(`"${want.quoted}"`);
        }
      });
    }
  });
}
