// Every diagnosis rule speaks both languages: each finding of every fixture case
// (test/fixtures/diagnoses) carries its message id and parameters, renders again from them
// to the same words (what the list's stored diagnosis relies on), and its zh-CN summary and fix
// are Chinese, not the English left in place.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, RULES, type Diagnosis, type Lang } from '../llm/diagnose.ts';
import { LANGS, TEXTS, renderDiagnosis, type MessageId } from '../llm/diagnosis-text.ts';
import { emptyAnswer, type ModelCall } from '../llm/model-call.ts';
import { storedDiagnosisText } from '../llm/diagnosis-text.ts';
import type { Exchange } from '../model/exchange.ts';

const FIXTURES = path.resolve('test/fixtures/diagnoses');
const CJK = /[\u3400-\u9fff]/;

interface Case {
  name: string;
  exchange: {
    method: string;
    scheme?: Exchange['request']['scheme'];
    host: string;
    path: string;
    port?: number;
    via?: 'gateway';
    status: number | null;
    headers?: [string, string][];
    responseHeaders?: [string, string][];
    state?: Exchange['state'];
    error?: string;
    startedAt?: number;
    streamKind?: Exchange['streamKind'];
  };
  earlier?: Case['exchange'][];
  request?: { model?: string };
  call?: Partial<ModelCall>;
  responseText?: string;
  modelsListed?: string[];
  expect: object | null;
}

function exchangeOf(e: Case['exchange'], id: number): Exchange {
  return {
    id,
    uid: `lang-${id}`,
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

function diagnosed(c: Case, lang: Lang): Diagnosis[] {
  const partial = c.call ?? (c.request ? { requestedModel: c.request.model ?? null } : null);
  const call = partial
    ? ({ usage: {}, ...partial, answer: { ...emptyAnswer(), ...(partial.answer ?? {}) } } as ModelCall)
    : null;
  return diagnose(
    {
      exchange: exchangeOf(c.exchange, 1),
      call,
      responseText: c.responseText ?? null,
      earlier: (c.earlier ?? []).map((e, i) => exchangeOf(e, i + 2)),
      modelsListed: c.modelsListed ?? null,
    },
    lang,
  );
}

/** Messages no fixture case reaches alone. */
const EXTRA: Case[] = [
  {
    name: "Gemini's free tier: out of quota for now, a rate limit by its words",
    exchange: {
      method: 'POST',
      host: 'generativelanguage.googleapis.com',
      path: '/v1beta/models/gemini-2.5-pro:generateContent',
      status: 429,
    },
    responseText: JSON.stringify({
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details. Please retry in 20s.',
        status: 'RESOURCE_EXHAUSTED',
      },
    }),
    expect: {},
  },
];

const cases = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((file) =>
    (JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { rule: string; cases: Case[] }).cases.map(
      (c) => ({ file, c }),
    ),
  )
  .concat(EXTRA.map((c) => ({ file: 'this file', c })));

/** Message ids and rules some fixture case reached, filled in as the cases run. */
const reachedIds = new Set<string>();
const reachedRules = new Set<string>();

describe('every diagnosis in English and in Chinese', () => {
  for (const { file, c } of cases.filter(({ c }) => c.expect !== null)) {
    it(`${file}: ${c.name}`, () => {
      const en = diagnosed(c, 'en');
      const zh = diagnosed(c, 'zh-CN');
      expect(zh.map((d) => d.rule)).toEqual(en.map((d) => d.rule));
      for (const [i, found] of en.entries()) {
        reachedRules.add(found.rule);
        // Said through a message of the catalogue: an id and its parameters, never words alone.
        expect(found.message, `${found.rule} has no message id`).toBeDefined();
        const id = found.message!.id as MessageId;
        expect(TEXTS[id], `${id} is not in llm/diagnosis-text.ts`).toBeDefined();
        reachedIds.add(id);
        const inChinese = zh[i];
        expect(inChinese.message).toEqual(found.message);
        // The parameters alone give the same words back, in each language.
        expect(renderDiagnosis(found.message!, 'en')).toEqual({ summary: found.summary, fix: found.fix });
        expect(renderDiagnosis(found.message!, 'zh-CN')).toEqual({ summary: inChinese.summary, fix: inChinese.fix });
        // Chinese, not the English sentence left in place.
        for (const part of ['summary', 'fix'] as const) {
          expect(inChinese[part], `${id} ${part} in zh-CN`).toMatch(CJK);
          expect(inChinese[part]).not.toBe(found[part]);
          expect(found[part], `${id} ${part} in English`).not.toMatch(/^\s*$/);
        }
      }
    });
  }

  it('the cases reached every rule and every message of the catalogue', () => {
    expect(Object.keys(RULES).filter((rule) => !reachedRules.has(rule))).toEqual([]);
    expect(Object.keys(TEXTS).filter((id) => !reachedIds.has(id))).toEqual([]);
  });

  it('a stored diagnosis is its message id and parameters, rendered when read in the reader’s language; old English rows read as they are', () => {
    const [found] = diagnosed(
      cases.find(({ c }) => c.exchange.status === 404 && c.exchange.path.endsWith('/chat/completions/responses'))!.c,
      'en',
    );
    const stored = storedDiagnosisText(found, 300);
    expect(stored.length).toBeLessThanOrEqual(300);
    for (const lang of LANGS)
      expect(renderDiagnosis(stored, lang).summary).toBe(renderDiagnosis(found.message!, lang).summary);
    expect(renderDiagnosis(stored, 'zh-CN').summary).toMatch(CJK);
    expect(
      renderDiagnosis('The URL ends in /chat/completions/responses: written by an older wirelog', 'zh-CN').summary,
    ).toBe('The URL ends in /chat/completions/responses: written by an older wirelog');
    // A long provider message is shortened to fit the column, and the JSON stays whole.
    const long = {
      ...found,
      message: {
        id: 'key-rejected',
        params: { status: '401', key: '****0777', host: 'relay.example', message: '很长的消息'.repeat(200) },
      },
    };
    const clipped = storedDiagnosisText(long, 300);
    expect(clipped.length).toBeLessThanOrEqual(300);
    expect(renderDiagnosis(clipped, 'zh-CN').summary).toMatch(/^401：服务商不认这个密钥 \*\*\*\*0777（"很长的消息/);
  });
});
