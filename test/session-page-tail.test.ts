// A session page reads each turn's conversation from its end (issue 28, "every screen fast"):
// split request bodies are read as outlines (db/request-outline.ts) and only the last items a
// row needs are parsed (llm/request-tail.ts), so a page late in a 500-turn session parses about
// what a page early in it does. The page is the same, byte for byte, as when every body is read
// whole (the reference: sessionPage without the stored requests): the generated Codex-shaped
// session, a Codex-shaped one with SSE answers through the capture pipeline, and Chat, Anthropic
// and Gemini sessions with parallel tool calls, written with spaces, with small inline items.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Packer } from '../db/blobs.ts';
import { splitBody } from '../db/body-parts.ts';
import { ExchangeReader } from '../db/reader.ts';
import { outlineOf, StoredRequests, type OutlineMember } from '../db/request-outline.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { tailCounts } from '../llm/request-tail.ts';
import { sessionPage, turnContext, turnDiff } from '../llm/session-read.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';
import { generatedSession, storeSession } from './support/session-store.ts';

const SEED = 20261205;

/** The page read with the split requests (each conversation from its end), with what it parsed. */
function tailPage(db: Db, reader: ExchangeReader, key: string, offset: number, limit: number) {
  const requests = new StoredRequests(db);
  tailCounts.itemsParsed = 0;
  const json = JSON.stringify(sessionPage(reader, key, offset, limit, requests));
  return { json, items: tailCounts.itemsParsed, parts: requests.partsRead, outlines: requests.outlinesRead };
}

/** The reference: every body read whole, as the page did before. */
const wholePage = (reader: ExchangeReader, key: string, offset: number, limit: number) =>
  JSON.stringify(sessionPage(reader, key, offset, limit));

/** A body put back together from its outline, each part's bytes by its id (its index here). */
function rebuilt(members: OutlineMember[], parts: Buffer[]): string {
  const value = (m: OutlineMember) =>
    'raw' in m
      ? m.raw.toString()
      : 'part' in m
        ? parts[m.part].toString()
        : `[${m.items.map((i) => ('part' in i ? parts[i.part] : i.inline).toString()).join(',')}]`;
  return `{${members.map((m) => `${m.key.toString()}:${value(m)}`).join(',')}}`;
}

/** JSON text of `value` with `gap` spaces around every bracket, comma and colon. */
function spaced(value: unknown, gap: number): string {
  const s = ' '.repeat(gap);
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${s}${v.map(write).join(`${s},${s}`)}${s}]`;
    if (v && typeof v === 'object')
      return `{${s}${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}${s}:${s}${write(x)}`)
        .join(`${s},${s}`)}${s}}`;
    return JSON.stringify(v) ?? 'null';
  };
  return write(value);
}

describe('a split body read as an outline', () => {
  it('gives back every member, part and inline item in place, whatever the spacing (random bodies)', () => {
    const keys = ['messages', 'input', 'instructions', 'tools', 'system', 'contents', 'model', 'stream'];
    const body = fc.record(
      Object.fromEntries(
        keys.map((key) => [
          key,
          fc.oneof(
            fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }),
            fc.string({ maxLength: 120 }),
            fc.jsonValue({ maxDepth: 3 }),
          ),
        ]),
      ),
      { requiredKeys: [] },
    );
    let outlined = 0;
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 2 }), (value, gap) => {
        const text = Buffer.from(spaced(value, gap));
        const split = splitBody(text, '');
        if (!split) return;
        const members = outlineOf(
          split.skeleton,
          split.parts.map((p, id) => ({ at: p.at, id })),
        );
        expect(members).not.toBeNull();
        expect(
          JSON.parse(
            rebuilt(
              members!,
              split.parts.map((p) => p.bytes),
            ),
          ),
        ).toEqual(JSON.parse(text.toString()));
        expect(members!.map((m) => m.name)).toEqual(Object.keys(JSON.parse(text.toString())));
        outlined++;
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(outlined).toBeGreaterThan(200);
  });

  it('a skeleton that does not read as one is refused (null), not guessed at', () => {
    const split = splitBody(Buffer.from(JSON.stringify({ input: ['x'.repeat(100), 'y'.repeat(100)] })), '')!;
    const refs = split.parts.map((p, id) => ({ at: p.at, id }));
    expect(outlineOf(split.skeleton, refs)).not.toBeNull();
    // A part left over, or placed where no value starts.
    expect(outlineOf(split.skeleton, [...refs, { at: split.skeleton.length - 1, id: 9 }])).toBeNull();
    expect(outlineOf(split.skeleton, refs.slice(1))).toBeNull();
    expect(outlineOf(Buffer.from('[1,2]'), [])).toBeNull();
  });
});

describe('the generated 500-turn session, packed', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;

  beforeAll(() => {
    dir = tempDir('wirelog-tail-');
    db = openDatabase(dir);
    const ids = storeSession(db, 'big', generatedSession(500));
    const packer = new Packer(db);
    db.transaction(() => {
      for (const id of ids) packer.pack(id, '');
    })();
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns 400-500 (and 0-100, 200-300) are the page every body read whole gives, byte for byte', () => {
    for (const offset of [400, 0, 200, 499]) {
      const tail = tailPage(db, reader, 'session:big', offset, 100);
      expect(tail.json).toBe(wholePage(reader, 'session:big', offset, 100));
      // Every request was read as an outline, none joined.
      expect(tail.outlines).toBe(Math.min(101, 500 - offset));
    }
  });

  it("turn 500's context and its diff read only the bodies they show: one, and two", () => {
    const bodyReads: number[] = [];
    const counting = new Proxy(reader, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name === 'body')
          return (id: number, side: 'request' | 'response') => (bodyReads.push(id), target.body(id, side));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const last = reader.summaries({ thread: 'session:big', after: 0, limit: 500 }).map((r) => r.id);
    expect(turnContext(counting, 'session:big', last[499]).context!.messages).toHaveLength(1 + 2 * 499);
    expect(bodyReads).toEqual([last[499]]);
    bodyReads.length = 0;
    expect(turnDiff(counting, 'session:big', last[499]).diff.messages.unchanged).toBe(1 + 2 * 498);
    expect(bodyReads).toEqual([last[498], last[499]]);
  });

  it('a late page parses what an early one does: the last items of each turn, not its ~900 of history', () => {
    const early = tailPage(db, reader, 'session:big', 100, 100);
    const late = tailPage(db, reader, 'session:big', 400, 100);
    // A turn's row needs its new items and the 20 turns its predecessor's result is looked for in;
    // consecutive turns share all but the 2 new ones (parsed once a page).
    expect(late.items).toBeLessThanOrEqual(3 * 101);
    expect(late.parts).toBeLessThanOrEqual(3 * 101);
    expect(Math.abs(late.items - early.items)).toBeLessThanOrEqual(4);
    expect(Math.abs(late.parts - early.parts)).toBeLessThanOrEqual(4);
  });
});

/** A stored call of thread `session:<key>` at `path`, its bodies as given, packed as the storage thread packs. */
function storeCall(
  db: Db,
  key: string,
  k: number,
  path: string,
  request: string,
  response: string,
  packer: Packer | null,
): void {
  const id = Number(
    db
      .prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, state, status, status_text,
      response_http_version, response_headers, timings, request_size, request_stored, response_size, response_stored, thread_key, to_index)
    VALUES (?, ?, '127.0.0.1:5000', 'POST', 'https', 'api.example', 443, ?, '1.1', '[["Content-Type","application/json"]]', 'complete', 200, 'OK', '1.1',
      '[["Content-Type","application/json"]]', '{"firstByte":90,"end":100}', ?, ?, ?, ?, ?, 0)`)
      .run(
        `${key}-${k}`,
        1764000000000 + k * 1000,
        path,
        request.length,
        request.length,
        response.length,
        response.length,
        `session:${key}`,
      ).lastInsertRowid,
  );
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, 0, ?)');
  body.run(id, 'request', Buffer.from(request));
  body.run(id, 'response', Buffer.from(response));
  packer?.pack(id, '');
}

/** Turn k's three parallel calls, and what they answered. */
const calls = (k: number) => [0, 1, 2].map((j) => ({ id: `c${k}_${j}`, name: j === 1 ? 'read' : 'ls', arg: { n: j } }));
const result = (id: string) => `result of ${id}: ${'x'.repeat(id.length * 7)}`;

/** Each dialect's requests (the whole history, a short user note every 4th turn) and answers. */
const DIALECTS = {
  chat: {
    path: '/v1/chat/completions',
    request: (history: unknown[]) => ({ model: 'm', messages: history, tools: [{ type: 'function' }] }),
    start: [
      { role: 'system', content: 'You are a careful agent with tools; answer after reading every file asked.' },
      { role: 'user', content: 'go' },
    ],
    turn: (k: number) => [
      {
        role: 'assistant',
        content: null,
        tool_calls: calls(k).map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arg) },
        })),
      },
      ...calls(k).map((c) => ({ role: 'tool', tool_call_id: c.id, content: result(c.id) })),
      ...(k % 4 === 3 ? [{ role: 'user', content: 'more' }] : []),
    ],
    answer: (k: number) => ({
      model: 'm',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: calls(k).map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: JSON.stringify(c.arg) },
            })),
          },
        },
      ],
      usage: { prompt_tokens: 100 + k, completion_tokens: 9 },
    }),
  },
  anthropic: {
    path: '/v1/messages',
    request: (history: unknown[]) => ({
      model: 'claude',
      system: 'You are a careful agent with tools; answer after reading every file asked.',
      messages: history,
      max_tokens: 100,
    }),
    start: [{ role: 'user', content: 'go' }],
    turn: (k: number) => [
      {
        role: 'assistant',
        content: calls(k).map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.arg })),
      },
      {
        role: 'user',
        content: [
          ...calls(k).map((c) => ({ type: 'tool_result', tool_use_id: c.id, content: result(c.id) })),
          ...(k % 4 === 3 ? [{ type: 'text', text: 'more' }] : []),
        ],
      },
    ],
    answer: (k: number) => ({
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: calls(k).map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.arg })),
      stop_reason: 'tool_use',
      usage: { input_tokens: 100 + k, output_tokens: 9 },
    }),
  },
  gemini: {
    path: '/v1beta/models/gemini-2.5-pro:generateContent',
    request: (history: unknown[]) => ({
      systemInstruction: { parts: [{ text: 'You are a careful agent with tools; answer after reading every file.' }] },
      contents: history,
    }),
    start: [{ role: 'user', parts: [{ text: 'go' }] }],
    turn: (k: number) => [
      { role: 'model', parts: calls(k).map((c) => ({ functionCall: { name: c.name, args: c.arg } })) },
      {
        role: 'user',
        parts: calls(k).map((c) => ({ functionResponse: { name: c.name, response: { text: result(c.id) } } })),
      },
    ],
    answer: (k: number) => ({
      candidates: [
        {
          content: { role: 'model', parts: calls(k).map((c) => ({ functionCall: { name: c.name, args: c.arg } })) },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: { promptTokenCount: 100 + k, candidatesTokenCount: 9 },
    }),
  },
};

describe('Chat, Anthropic and Gemini sessions: parallel tool calls, bodies written with spaces, some left unpacked', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  const TURNS = 40;

  beforeAll(() => {
    dir = tempDir('wirelog-tail-dialects-');
    db = openDatabase(dir);
    const packer = new Packer(db);
    db.transaction(() => {
      for (const [name, d] of Object.entries(DIALECTS)) {
        const history: unknown[] = [...d.start];
        for (let k = 0; k < TURNS; k++) {
          if (k > 0) history.push(...d.turn(k - 1));
          // Every 7th turn not packed yet (read whole), the rest split; spacing varies by turn.
          storeCall(
            db,
            name,
            k,
            d.path,
            spaced(d.request(history), k % 3),
            JSON.stringify(d.answer(k)),
            k % 7 === 5 ? null : packer,
          );
        }
      }
    })();
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const name of Object.keys(DIALECTS))
    it(`${name}: every page the same as read whole, results paired across the page's turns`, () => {
      for (const [offset, limit] of [
        [0, 100],
        [30, 10],
        [33, 3],
        [39, 5],
      ]) {
        const tail = tailPage(db, reader, `session:${name}`, offset, limit);
        expect(tail.json).toBe(wholePage(reader, `session:${name}`, offset, limit));
        // Those packed read as outlines; those not yet, whole.
        expect(tail.outlines).toBeGreaterThan(0);
      }
      const late = JSON.parse(tailPage(db, reader, `session:${name}`, 30, 5).json);
      expect(late.turns[0].tools.map((t: { result: string | null }) => t.result)).toEqual(
        calls(30).map((c) => expect.stringContaining(name === 'gemini' ? 'result of' : `result of ${c.id}`)),
      );
    });
});

describe('a Codex-shaped session through the capture pipeline (SSE answers, reasoning items, real tool outputs)', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  const TURNS = 30;

  beforeAll(() => {
    dir = tempDir('wirelog-tail-codex-');
    db = openDatabase(dir);
    // As the storage thread runs it: understood (the thread key), indexed and packed.
    storeCodexSession(db, TURNS, 'codex-tail');
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every page is the one read whole gives, byte for byte, each request read as an outline', () => {
    expect(reader.count({ thread: 'session:codex-tail' })).toBe(TURNS);
    for (const [offset, limit] of [
      [0, 100],
      [20, 10],
      [29, 1],
    ]) {
      const tail = tailPage(db, reader, 'session:codex-tail', offset, limit);
      expect(tail.json).toBe(wholePage(reader, 'session:codex-tail', offset, limit));
      expect(tail.outlines).toBe(Math.min(limit + 1, TURNS - offset));
    }
  });
});
