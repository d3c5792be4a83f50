// Issue 28: `wirelog doctor` reads of each call only what its diagnosis looks at (a refused
// call's bodies, an answered stream's events, a page's events in one query, one query per host
// for the WebSocket before a Responses call). A diagnosis is only made from complete evidence:
// on a store holding a call for every diagnosis there is, what it prints (--json) is what the
// plain read of everything finds (llm/stored-calls.ts modelCallOf and diagnosesOf, the viewer's
// and the MCP tool's way), whichever --last cuts the store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { differenceFromWorking, doctorCommand } from '../cli/doctor.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { RULES } from '../llm/diagnose.ts';
import { groupDiagnoses } from '../llm/doctor-groups.ts';
import { diagnosesOf, modelCallOf, understandEnded } from '../llm/stored-calls.ts';
import {
  chatStream,
  everyDiagnosisCalls,
  responsesStream,
  storedCallEvents,
  type StoredCall,
} from './support/every-diagnosis-store.ts';

let dir = '';

/** Answered streams to the relays the diagnosed calls go to: what a working day is mostly made of. */
function ordinary(count: number): StoredCall[] {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 0 ? chatStream('relay.example') : responsesStream(i % 3 === 1 ? 'relay.example' : 'ws-relay.example'),
  );
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-doctor-same-'));
  const db = openDatabase(dir);
  const capture = new CaptureStore(db, understandEnded);
  const t0 = 1_700_000_000_000;
  // More than a page of the doctor's (500), the diagnosed calls twice: among the oldest and the newest.
  const calls = [...ordinary(300), ...everyDiagnosisCalls(), ...ordinary(260), ...everyDiagnosisCalls()];
  calls.forEach((call, i) => capture.apply(storedCallEvents(`c${i}`, t0 + i * 1000, call)));
  db.close();
});

afterAll(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the doctor prints with --json for the last `last` exchanges, the rendered text left out (a view of the rest). */
function doctorFindings(last: number): unknown[] {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  doctorCommand(['--last', String(last), '--json', '--data-dir', dir]);
  log.mockRestore();
  const groups = JSON.parse(printed.join('\n')) as { diagnoses: { text?: unknown }[]; first: string; last: string }[];
  return groups.map((g) => ({
    ...g,
    diagnoses: g.diagnoses.map(({ text: _text, ...d }) => d),
    first: Date.parse(g.first),
    last: Date.parse(g.last),
  }));
}

/** The same findings from everything read, each call by itself, as the viewer reads one. */
function plainFindings(last: number): unknown[] {
  const reader = new ExchangeReader(openDatabase(dir));
  const exchanges = reader.list({ limit: last }).filter((e) => !e.damaged);
  const groups = groupDiagnoses(
    exchanges.map((exchange) => ({
      exchange,
      diagnoses: diagnosesOf(reader, exchange, modelCallOf(reader, exchange)),
    })),
  ).map((g) => ({ ...g, difference: differenceFromWorking(reader, g.ids[g.ids.length - 1]) }));
  return JSON.parse(JSON.stringify(groups));
}

describe('doctor finds what the plain read finds', () => {
  it('on a store with every diagnosis there is', () => {
    const plain = plainFindings(2000) as { diagnoses: { rule: string }[] }[];
    // The store holds what it says: every rule fires on some call.
    const fired = new Set(plain.flatMap((g) => g.diagnoses.map((d) => d.rule)));
    expect([...fired].sort()).toEqual(Object.keys(RULES).sort());
    expect(doctorFindings(2000)).toEqual(plain);
  });

  // Cuts that fall among the newest diagnosed calls: at 10 and 20 the refused WebSocket before the
  // 24 Responses POSTs is older than the last N, and still within the 20 exchanges some of them look back over.
  it.each([10, 20, 30, 45, 80, 600])('for the last %i exchanges', (last) => {
    expect(doctorFindings(last)).toEqual(plainFindings(last));
  });
});
