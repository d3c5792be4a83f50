import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExchange } from '../llm/analyze.ts';
import { diagnose } from '../llm/diagnose.ts';
import { sseEventsOf } from '../model/sse-split.ts';
import { partialJsonArray } from '../llm/json.ts';
import type { Exchange } from '../model/exchange.ts';
import type { Fixture } from './support/llm-fixture.ts';

// Hand-written from the providers' public API references: one file per situation.
const FIXTURES = path.resolve('test/fixtures/llm');

/** The SSE events of a raw body, split as the proxy splits them while they pass. */
function eventsOfRaw(raw: string): { offsetMs: number; event?: string; data: string }[] {
  return sseEventsOf(Buffer.from(raw)).map((e) => ({
    offsetMs: 0,
    data: e.data,
    ...(e.event ? { event: e.event } : {}),
  }));
}

function exchangeOf(f: Fixture): Exchange {
  const e = f.exchange;
  return {
    id: 1,
    uid: 'fixture',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:1',
      method: e.method,
      scheme: e.scheme ?? 'https',
      host: e.host ?? 'api.example',
      port: 443,
      path: e.path,
      httpVersion: '1.1',
      headers: [],
    },
    response: e.status === null ? null : { status: e.status, statusText: '', httpVersion: '1.1', headers: [] },
    state: e.state,
    error: e.error ?? null,
    timings: e.timings,
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: e.streamKind,
    eventCount: f.events?.length ?? f.ws?.length ?? (f.raw ? 1 : 0),
    call: null,
    diagnosis: null,
  };
}

describe('model calls rebuilt from fixtures', () => {
  for (const file of fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Fixture;
    it(`${file}: ${fixture.description}`, () => {
      const exchange = exchangeOf(fixture);
      const responseText =
        fixture.responseText ?? (fixture.response === undefined ? null : JSON.stringify(fixture.response));
      const call = analyzeExchange({
        exchange,
        requestText: fixture.request === undefined ? null : JSON.stringify(fixture.request),
        responseText,
        sseEvents: (fixture.raw !== undefined ? eventsOfRaw(fixture.raw) : (fixture.events ?? [])).map((e, seq) => ({
          seq,
          offsetMs: e.offsetMs,
          event: e.event ?? null,
          id: null,
          data: e.data,
        })),
        wsMessages: fixture.ws ?? [],
      });
      expect(call).toMatchObject(fixture.expect);
      // Absent stays absent: a count the provider did not report is not in the usage at all.
      if (fixture.expect.usage)
        expect(Object.keys(call!.usage).sort()).toEqual(Object.keys(fixture.expect.usage as object).sort());
      if (!fixture.expect.choices) expect(call!.choices).toBeUndefined();
      const diagnoses = diagnose({ exchange, call, responseText, earlier: [], modelsListed: null });
      if (fixture.diagnosis) {
        expect(diagnoses[0]).toMatchObject({ rule: fixture.diagnosis.rule });
        expect(diagnoses[0].summary).toContain(fixture.diagnosis.summary);
        expect(diagnoses[0].fix).toContain(fixture.diagnosis.fix);
      }
    });
  }

  it('reads the complete elements of a JSON array cut partway, brackets and escapes inside strings included', () => {
    expect(partialJsonArray('[{"a":"x]}\\"y"},\r\n{"b":[1,{"c":"}"}]},{"d":')).toEqual([
      { a: 'x]}"y' },
      { b: [1, { c: '}' }] },
    ]);
    expect(partialJsonArray('[]')).toEqual([]);
    expect(partialJsonArray('{"not":"an array"}')).toBeNull();
  });

  it('is not a model call when the path is not an API wirelog knows', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'models.json'), 'utf8')) as Fixture;
    fixture.exchange.path = '/static/app.js';
    expect(
      analyzeExchange({
        exchange: exchangeOf(fixture),
        requestText: null,
        responseText: '{}',
        sseEvents: [],
        wsMessages: [],
      }),
    ).toBeNull();
  });

  it('reports a stream still open as open, not as truncated', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'chat-stream-cut.json'), 'utf8')) as Fixture;
    fixture.exchange.state = 'streaming';
    const call = analyzeExchange({
      exchange: exchangeOf(fixture),
      requestText: JSON.stringify(fixture.request),
      responseText: null,
      sseEvents: fixture.events!.map((e, seq) => ({ seq, offsetMs: e.offsetMs, event: null, id: null, data: e.data })),
      wsMessages: [],
    });
    expect(call).toMatchObject({ ending: 'open', endingReason: null, answer: { text: 'Roses are' } });
  });
});
