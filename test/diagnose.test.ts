import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../llm/diagnose.ts';
import type { ModelCall } from '../llm/model-call.ts';
import type { Exchange, ExchangeState, Header } from '../model/exchange.ts';

// One file per rule, hand-written from the errors providers and relays really send.
const FIXTURES = path.resolve('test/fixtures/diagnoses');

interface CaseExchange {
  method: string;
  scheme?: Exchange['request']['scheme'];
  host: string;
  path: string;
  status: number | null;
  headers?: Header[];
  responseHeaders?: Header[];
  state?: ExchangeState;
  error?: string;
  startedAt?: number;
  streamKind?: Exchange['streamKind'];
}

interface Case {
  name: string;
  exchange: CaseExchange;
  earlier?: CaseExchange[];
  request?: { model?: string };
  call?: Partial<ModelCall>;
  responseText?: string;
  modelsListed?: string[];
  expect: { severity?: string; summary?: string; fix?: string } | null;
}

let nextId = 1;
function exchangeOf(e: CaseExchange): Exchange {
  return {
    id: nextId++,
    uid: `case-${nextId}`,
    request: { startedAt: e.startedAt ?? 0, clientAddress: '127.0.0.1:1', method: e.method, scheme: e.scheme ?? 'https', host: e.host, port: 443, path: e.path, httpVersion: '1.1', headers: e.headers ?? [] },
    response: e.status === null ? null : { status: e.status, statusText: '', httpVersion: '1.1', headers: e.responseHeaders ?? [] },
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

for (const file of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()) {
  const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { rule: string; cases: Case[] };
  describe(`diagnosis rule ${fixture.rule}`, () => {
    const rule = RULES[fixture.rule];
    it('exists', () => expect(rule).toBeTypeOf('function'));
    for (const c of fixture.cases) {
      it(c.name, () => {
        const call = (c.call ?? (c.request ? { requestedModel: c.request.model ?? null } : null)) as ModelCall | null;
        const result = rule({
          exchange: exchangeOf(c.exchange),
          call,
          responseText: c.responseText ?? null,
          earlier: (c.earlier ?? []).map(exchangeOf),
          modelsListed: c.modelsListed ?? null,
        });
        if (c.expect === null) return expect(result).toBeNull();
        expect(result).not.toBeNull();
        expect(result!.rule).toBe(fixture.rule);
        if (c.expect.severity) expect(result!.severity).toBe(c.expect.severity);
        if (c.expect.summary) expect(result!.summary).toContain(c.expect.summary);
        if (c.expect.fix) expect(result!.fix).toContain(c.expect.fix);
      });
    }
  });
}
