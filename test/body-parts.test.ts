// Request bodies split into content-addressed parts and joined back (db/body-parts.ts): byte for
// byte, whatever the body: random JSON in every dialect's shape with random whitespace and
// escapes, recorded Codex/Claude/chat/Gemini requests, bodies that are not JSON, invalid JSON,
// and gzip- or zstd-encoded requests (splitBody stores them whole; the packer splits them decoded
// when encoding again verifies: test/request-reencode.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, joinBody, manifestBytes, partHash, readManifest, splitBody } from '../db/body-parts.ts';
import { codexSession } from './support/codex-session.ts';

// Seeded: a failure names its seed and replays the same inputs.
const SEED = 20261128;

/** Split and joined again: the exact bytes; and each part is the hash of its own bytes. */
function roundTrip(body: Buffer, encoding = ''): ReturnType<typeof splitBody> {
  const split = splitBody(body, encoding);
  if (split === null) return null;
  for (const part of split.parts) expect(part.hash.equals(partHash(part.bytes))).toBe(true);
  expect(joinBody(split.skeleton, split.parts).equals(body)).toBe(true);
  return split;
}

const DIALECT_KEYS = [
  'messages',
  'input',
  'instructions',
  'tools',
  'system',
  'contents',
  'systemInstruction',
  'model',
  'stream',
  'other',
];

/** JSON text of `value` with random spacing, and every `escapeEvery`th character of its strings (keys too) written as a \u escape. */
function written(value: unknown, indent: number, escapeEvery: number): string {
  let n = 0;
  const space = ' '.repeat(indent);
  const str = (s: string) =>
    `"${[...JSON.stringify(s).slice(1, -1)].map((ch) => (escapeEvery && /[a-z\u00e9\u4e00-\u9fff]/.test(ch) && ++n % escapeEvery === 0 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).join('')}"`;
  const write = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${space}${v.map(write).join(`,${space}`)}]`;
    if (v && typeof v === 'object')
      return `{${space}${Object.entries(v)
        .map(([k, x]) => `${str(k)}${space}:${write(x)}`)
        .join(`,\n${space}`)}}`;
    return JSON.stringify(v) ?? 'null';
  };
  return write(value);
}

describe('body parts', () => {
  it("round-trips random JSON bodies in the dialects' shapes byte for byte, with any spacing and escapes", () => {
    const body = fc.record(
      Object.fromEntries(
        DIALECT_KEYS.map((key) => [
          key,
          fc.oneof(
            fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }),
            fc.string({ unit: 'grapheme', maxLength: 200 }),
            fc.jsonValue({ maxDepth: 3 }),
          ),
        ]),
      ),
      { requiredKeys: [] },
    );
    let parts = 0;
    fc.assert(
      fc.property(
        body,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 7 }),
        (value, indent, escapeEvery) => {
          const text = written(value, indent, escapeEvery);
          // The escapes are JSON: the body means what it meant.
          expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
          parts += roundTrip(Buffer.from(text))?.parts.length ?? 0;
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
    // Most bodies were split, into many parts: the round trip was put to the test.
    expect(parts).toBeGreaterThan(400);
  });

  it("round-trips any JSON value and any bytes, splitting only objects of a dialect's shape", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        roundTrip(Buffer.from(text));
      }),
      { seed: SEED, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        roundTrip(Buffer.from(bytes));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('cuts each message, input item and tool out as a part, and the whole instructions', () => {
    const [first, second] = [...codexSession(2, 'parts')];
    const a = roundTrip(first.request)!;
    const b = roundTrip(second.request)!;
    const body = JSON.parse(first.request.toString());
    // instructions, every tool and every input item large enough to be worth a reference.
    const large = (items: unknown[]) => items.filter((item) => JSON.stringify(item).length >= MIN_PART_BYTES).length;
    expect(a.parts.length).toBe(1 + large(body.input) + large(body.tools));
    // The next turn adds what the turn added; everything before it is the same parts.
    const known = new Set(a.parts.map((p) => p.hash.toString('hex')));
    const fresh = b.parts.filter((p) => !known.has(p.hash.toString('hex')));
    expect(fresh.length).toBe(4);
    // The skeleton grows by the separators of the new items only.
    expect(b.skeleton.length - a.skeleton.length).toBeLessThan(10);
  });

  it('round-trips every recorded request of the fixtures (Chat, Responses, Anthropic, Gemini), compact and as written', () => {
    const dir = path.join(import.meta.dirname, 'fixtures', 'llm');
    let split = 0;
    for (const name of fs.readdirSync(dir)) {
      const fixture = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      if (fixture.request === undefined) continue;
      for (const text of [JSON.stringify(fixture.request), JSON.stringify(fixture.request, null, 2)])
        if (roundTrip(Buffer.from(text))) split++;
    }
    expect(split).toBeGreaterThan(20);
  });

  it('stores whole what it must not split: content-encoded, not JSON, invalid JSON, no dialect member, a member too small', () => {
    const [turn] = [...codexSession(1, 'whole')];
    expect(splitBody(zlib.gzipSync(turn.request), 'gzip')).toBeNull();
    // Even were its bytes JSON, a body said to be encoded is not split: its decoded form is not what is stored.
    expect(splitBody(turn.request, 'zstd')).toBeNull();
    expect(splitBody(turn.request, 'identity')).not.toBeNull();
    expect(splitBody(Buffer.from(`model=gpt&input=${'x'.repeat(200)}`), '')).toBeNull();
    expect(splitBody(Buffer.concat([turn.request.subarray(0, turn.request.length - 1)]), '')).toBeNull();
    expect(splitBody(Buffer.from(JSON.stringify({ prompt: 'y'.repeat(500) })), '')).toBeNull();
    expect(splitBody(Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] })), '')).toBeNull();
    expect(splitBody(Buffer.from(`[${JSON.stringify({ messages: ['z'.repeat(200)] })}]`), '')).toBeNull();
  });

  it('skips over JSON nested a million levels deep without a stack overflow', () => {
    const deep = Buffer.from(
      `{"messages":[${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}, ${JSON.stringify({ role: 'user', content: 'q'.repeat(100) })}]}`,
    );
    // JSON.parse refuses such depth or not: either way the bytes come back.
    const split = roundTrip(deep);
    if (split) expect(split.parts.length).toBe(2);
  });

  it('keeps the list of parts and the skeleton in one record, read back as written', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.nat({ max: 100_000 }), fc.nat({ max: 2 ** 40 })), { maxLength: 50 }),
        (skeleton, pairs) => {
          let at = 0;
          const refs = pairs.map(([step, id]) => ({ at: (at += step), id }));
          const back = readManifest(manifestBytes(Buffer.from(skeleton), refs));
          expect(back.refs).toEqual(refs);
          expect(back.skeleton.equals(Buffer.from(skeleton))).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
