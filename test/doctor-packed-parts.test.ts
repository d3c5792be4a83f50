// Issue 28: `wirelog doctor --last N` over a packed store (request bodies split into parts, each
// stored once) decompresses each part a session's turns share once per run, not once per turn,
// and finds what the plain read finds. Counted in parts read from the database, never in time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctorCommand } from '../cli/doctor.ts';
import { Packer, referencedIds } from '../db/blobs.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { groupDiagnoses } from '../llm/doctor-groups.ts';
import { diagnosesOf, modelCallOf, understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { relayCallEvents } from './support/exchange-events.ts';

const HOST = 'relay.example';
const TURNS = 40;
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const SYSTEM = { role: 'system', content: `You are a coding agent. ${'Follow the repository rules. '.repeat(40)}` };
const TOOLS = ['read', 'write', 'shell', 'search'].map((name) => ({
  type: 'function',
  function: { name, description: `${name}: ${'does what it says. '.repeat(20)}`, parameters: { type: 'object' } },
}));

/** Turn k of one agent session: the whole history again, answered 200 or (every third turn) a relay's 502. */
function turn(k: number, startedAt: number): ExchangeEvent[] {
  const uid = `t${k}`;
  const history = Array.from({ length: k + 1 }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: `message ${i}: ${'some words of the conversation '.repeat(10)}`,
  }));
  const status = k % 3 === 2 ? 502 : 200;
  const request = Buffer.from(
    JSON.stringify({ model: 'deepseek-chat', messages: [SYSTEM, ...history], tools: TOOLS, stream: false }),
  );
  const response = Buffer.from(
    status === 200
      ? JSON.stringify({
          id: `chatcmpl-${uid}`,
          object: 'chat.completion',
          model: 'deepseek-chat',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 50, completion_tokens: 1 },
        })
      : JSON.stringify({ error: { message: 'upstream failed', type: 'upstream_error' } }),
  );
  return relayCallEvents({ uid, startedAt, host: HOST, path: '/v1/chat/completions', status, request, response });
}

/** Parts of split bodies read from the database from now on (each read is a part decompressed), in every reader. */
function countPartsRead(): () => number {
  let parts = 0;
  const proto = ExchangeReader.prototype as unknown as { statement(sql: string): { get(...a: unknown[]): unknown } };
  const statement = proto.statement;
  vi.spyOn(proto, 'statement').mockImplementation(function (this: unknown, sql: string) {
    const prepared = statement.call(this, sql);
    if (!/^SELECT codec, data FROM blobs WHERE id = \?$/.test(sql)) return prepared;
    return {
      get: (...args: unknown[]) => {
        parts += 1;
        return prepared.get(...args);
      },
    };
  });
  return () => parts;
}

describe('doctor over a packed store', () => {
  it("decompresses each part of a session's requests once per run, and finds what the plain read finds", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-doctor-packed-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    new CaptureStore(db, understandEnded).apply(
      Array.from({ length: TURNS }, (_, k) => turn(k, 1_700_000_000_000 + k * 1000)).flat(),
    );
    const packer = new Packer(db);
    const ids = (db.prepare('SELECT id FROM exchanges ORDER BY id').pluck().all() as number[]).reverse();
    db.transaction(() => {
      for (const id of ids) packer.pack(id, '');
    })();
    // Packed: every request split into parts, far fewer stored than referred to.
    const split = db.prepare("SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= 16").pluck().get();
    expect(split).toBe(TURNS);
    const stored = db.prepare('SELECT count(*) FROM blobs').pluck().get() as number;
    const refs = (db.prepare("SELECT codec, data FROM bodies WHERE side = 'request'").all() as never[]).map(
      (row) => referencedIds(row).length,
    );
    const everyTurnWhole = refs.reduce((a, b) => a + b, 0);
    const widest = Math.max(...refs);
    const reader = new ExchangeReader(db);
    const plain = reader.list({ limit: TURNS }).map((exchange) => ({
      exchange,
      diagnoses: diagnosesOf(reader, exchange, modelCallOf(reader, exchange)),
    }));
    const expected = groupDiagnoses(plain).map((g) => ({ ids: g.ids, diagnoses: g.diagnoses }));
    db.close();
    expect(expected.length).toBeGreaterThan(0);

    const partsRead = countPartsRead();
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    doctorCommand(['--last', String(TURNS), '--json', '--data-dir', dir]);
    const groups = JSON.parse(printed.join('\n')) as { ids: number[]; diagnoses: { text: unknown }[] }[];
    expect(groups.map((g) => ({ ids: g.ids, diagnoses: g.diagnoses.map(({ text: _, ...d }) => d) }))).toEqual(expected);
    // Each stored part once, and the failure's comparison with its working call (db/compare-reader.ts
    // reads those two requests whole): not every turn's whole history again.
    expect(everyTurnWhole).toBeGreaterThan(4 * (stored + 2 * widest));
    expect(partsRead()).toBeLessThanOrEqual(stored + 2 * widest);
  });
});
