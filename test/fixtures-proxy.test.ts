// Every model-call fixture served as real bytes by a server on 127.0.0.1 and fetched through
// wirelog: what it stores, rebuilds and diagnoses must be what the fixture expects, framing
// (chunk boundaries, an unterminated last event, a reset, a client abort) included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  fixtures,
  sendThrough,
  startFixtureServer,
  talkThrough,
  type FixtureServer,
} from './support/fixture-server.ts';
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
      const stored = await eventually(
        () =>
          h.wirelog.reader
            .list({ limit: 5 })
            .find((e) => e.id > before && e.request.path === f.exchange.path.split('#')[0]),
        `${file} stored`,
      );
      expect(stored.state).toBe(f.exchange.state);
      const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${stored.id}`)).json()) as {
        modelCall: Record<string, unknown> | null;
        diagnoses: { rule: string; summary: string; fix: string }[];
      };
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

// Images (issue 26): each fixture with images sent again through the gateway (the client's base
// URL rewritten, no proxy setting): the same images, located in what was stored, and the list's
// count of images returned, which the list API reads from a column (no body is read for a row).
describe('images: every fixture with images, through the gateway too, and counted in the list', () => {
  const withImages = [...fixtures].filter(([, f]) => Array.isArray(f.expect.images));
  it('has fixtures of every dialect that carries images', () => {
    expect(new Set(withImages.map(([, f]) => f.expect.dialect))).toEqual(
      new Set(['gemini', 'openai-chat', 'openai-responses', 'anthropic-messages']),
    );
  });
  for (const [file, f] of withImages) {
    it(`${file} through the gateway`, async () => {
      const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
      const res = await request(`${h.proxyUrl}/http/${server.origin}${f.exchange.path}`, {
        method: f.exchange.method,
        headers: { 'content-type': 'application/json', 'x-fixture': file },
        body: JSON.stringify(f.request),
      });
      expect(res.statusCode).toBe(f.exchange.status);
      await res.body.arrayBuffer();
      await h.stored();
      const stored = await eventually(
        () =>
          h.wirelog.reader
            .list({ limit: 5 })
            .find((e) => e.id > before && e.request.via === 'gateway' && e.request.path === f.exchange.path),
        `${file} stored through the gateway`,
      );
      const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${stored.id}`)).json()) as {
        modelCall: { images: { locator: { exchangeId: number } }[] };
      };
      expect(detail.modelCall).toMatchObject(timeless(f.expect));
      for (const image of detail.modelCall.images) expect(image.locator.exchangeId).toBe(stored.id);
      const list = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges?limit=20`)).json()) as {
        exchanges: { id: number; call: { images?: number } | null }[];
      };
      const returned = (f as typeof f & { listImages: number }).listImages;
      expect(list.exchanges.find((e) => e.id === stored.id)?.call?.images).toBe(returned || undefined);
    });
  }
});

// Agent loops, dialect quirks and every ending (issue 26): each fixture that cites its source
// (provider docs, SDK types, issue threads) sent again through the gateway: its MCP and built-in
// tool steps, citations and quirks as expected; a call that ended 200 and complete is still
// diagnosed, in English and in Chinese, with the fix "Try this fix" sends, and marked in the list;
// a call with nothing wrong gets no diagnosis although every rule now runs on it.
describe('agent loops, quirks and endings: cited fixtures through the gateway, diagnosed in both languages', () => {
  const cited = [...fixtures].filter(([, f]) => typeof f.source === 'string' && !Array.isArray(f.expect.images));
  it('cover MCP, built-in tools, citations, the quirks and the cut or filtered endings of every dialect', () => {
    const answers = cited.map(
      ([, f]) => f.expect.answer as { steps?: { kind: string }[]; citations?: unknown[] } | undefined,
    );
    expect(new Set(answers.flatMap((a) => a?.steps?.map((s) => s.kind) ?? []))).toEqual(
      new Set(['mcp-call', 'mcp-list-tools', 'mcp-approval', 'web-search', 'web-fetch', 'file-search', 'code']),
    );
    expect(answers.filter((a) => a?.citations?.length).length).toBeGreaterThanOrEqual(5);
    // An answer cut at its limit: the fix raises it in the field of its dialect.
    expect(
      new Set(
        cited
          .filter(([, f]) => f.diagnosis?.rule === 'output-limit')
          .map(([, f]) => (f.diagnosis!.action as { field: string }).field),
      ),
    ).toEqual(new Set(['max_tokens', 'max_output_tokens', 'generationConfig.maxOutputTokens']));
    expect(cited.some(([, f]) => f.diagnosis?.rule === 'content-filtered')).toBe(true);
  });
  for (const [file, f] of cited) {
    it(`${file} through the gateway`, async () => {
      const before = h.wirelog.reader.list({ limit: 1 })[0]?.id ?? 0;
      const res = await request(`${h.proxyUrl}/http/${server.origin}${f.exchange.path}`, {
        method: f.exchange.method,
        headers: { 'content-type': 'application/json', 'x-fixture': file },
        body: JSON.stringify(f.request),
      });
      expect(res.statusCode).toBe(f.exchange.status);
      await res.body.arrayBuffer();
      await h.stored();
      const stored = await eventually(
        () =>
          h.wirelog.reader
            .list({ limit: 5 })
            .find((e) => e.id > before && e.request.via === 'gateway' && e.request.path === f.exchange.path),
        `${file} stored through the gateway`,
      );
      type Detail = {
        modelCall: Record<string, unknown>;
        diagnoses: { rule: string; severity: string; summary: string; fix: string; action?: unknown }[];
      };
      const detail = async (lang: string) =>
        (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${stored.id}?lang=${lang}`)).json()) as Detail;
      const en = await detail('en');
      expect(en.modelCall).toMatchObject(timeless(f.expect));
      const row = async (lang: string) =>
        (
          (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges?limit=20&lang=${lang}`)).json()) as {
            exchanges: { id: number; diagnosis: { severity: string; summary: string } | null }[];
          }
        ).exchanges.find((e) => e.id === stored.id);
      if (!f.diagnosis) {
        expect(en.diagnoses).toEqual([]);
        expect((await row('en'))?.diagnosis).toBeNull();
        return;
      }
      expect(en.diagnoses[0]).toMatchObject({ rule: f.diagnosis.rule });
      expect(en.diagnoses[0].summary).toContain(f.diagnosis.summary);
      expect(en.diagnoses[0].fix).toContain(f.diagnosis.fix);
      expect(en.diagnoses[0].action ?? null).toEqual(f.diagnosis.action ?? null);
      const zh = await detail('zh-CN');
      expect(zh.diagnoses[0]).toMatchObject({ rule: f.diagnosis.rule, severity: en.diagnoses[0].severity });
      expect(zh.diagnoses[0].summary).toContain(f.diagnosis.zh!.summary);
      if (f.diagnosis.zh!.fix) expect(zh.diagnoses[0].fix).toContain(f.diagnosis.zh!.fix);
      expect(zh.diagnoses[0].action ?? null).toEqual(f.diagnosis.action ?? null);
      // The list marks it, from what storage wrote when the call ended (no body read for a row).
      expect((await row('en'))?.diagnosis).toMatchObject({ severity: en.diagnoses[0].severity });
      expect((await row('zh-CN'))?.diagnosis?.summary).toContain(f.diagnosis.zh!.summary.slice(0, 8));
    });
  }
});
