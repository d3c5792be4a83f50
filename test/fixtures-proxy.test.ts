// Every model-call fixture served as real bytes by a server on 127.0.0.1 and fetched through
// wirelog: what it stores, rebuilds and diagnoses must be what the fixture expects, framing
// (chunk boundaries, an unterminated last event, a reset, a client abort) included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, sendThrough, startFixtureServer, talkThrough, type FixtureServer } from './support/fixture-server.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
let server: FixtureServer;
beforeAll(async () => {
  h = await startHarness();
  server = await startFixtureServer();
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** What does not depend on when the bytes arrived: timings are the fixture's own, not the replay's. */
function timeless(expected: Record<string, unknown>): Record<string, unknown> {
  const { ttftMs: _t, totalMs: _d, outputTokensPerSecond: _o, ...rest } = expected;
  return rest;
}

describe('every model-call fixture, served as bytes and captured through the proxy', () => {
  for (const [file, f] of fixtures) {
    it(`${file}`, async () => {
      const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
      if (f.exchange.streamKind === 'websocket') await talkThrough(h, server.origin, file);
      else await sendThrough(h, server.origin, file);
      await h.stored();
      const stored = await eventually(() => h.wirelog.reader.list({ limit: 5 }).find((e) => e.id > before && e.request.path === f.exchange.path.split('#')[0]), `${file} stored`);
      expect(stored.state).toBe(f.exchange.state);
      const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${stored.id}`)).json()) as { modelCall: Record<string, unknown> | null; diagnoses: { rule: string; summary: string; fix: string }[] };
      const expected = timeless(f.expect);
      // The reason a cut stream gives names how it was cut, which the replay reproduces only in kind.
      if (f.exchange.state !== 'complete') delete expected.endingReason;
      expect(detail.modelCall).toMatchObject(expected);
      if (f.diagnosis) {
        expect(detail.diagnoses[0]).toMatchObject({ rule: f.diagnosis.rule });
        expect(detail.diagnoses[0].summary).toContain(f.diagnosis.summary);
        expect(detail.diagnoses[0].fix).toContain(f.diagnosis.fix);
      }
    });
  }
});
