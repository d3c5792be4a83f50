// Issue 28: `wirelog doctor --last N` reads the last N exchanges and a bounded number more,
// whatever the store holds: a relay failing in many ways (one group per URL and status) is
// compared with its last working call once, not once per group. Counted in rows the reader
// returns whole (list and get), never in time; every group still says how it differs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctorCommand } from '../cli/doctor.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { relayCallEvents } from './support/exchange-events.ts';

const HOST = 'relay.example';
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A chat call to the relay: answered `status` (a working answer or a provider's error). */
function call(uid: string, startedAt: number, status: number, query = ''): ExchangeEvent[] {
  const request = Buffer.from(
    JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: uid }], stream: false }),
  );
  const response = Buffer.from(
    status === 200
      ? JSON.stringify({
          id: `chatcmpl-${uid}`,
          object: 'chat.completion',
          model: 'deepseek-chat',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 1 },
        })
      : JSON.stringify({ error: { message: `failed with ${status}`, type: 'server_error' } }),
  );
  return relayCallEvents({
    uid,
    startedAt,
    host: HOST,
    path: `/v1/chat/completions${query}`,
    status,
    request,
    response,
  });
}

/** Rows the reader returns whole from now on (list and get), in every reader made meanwhile. */
function countRowsRead(): () => number {
  let rows = 0;
  const list = ExchangeReader.prototype.list;
  const get = ExchangeReader.prototype.get;
  vi.spyOn(ExchangeReader.prototype, 'list').mockImplementation(function (this: ExchangeReader, filter) {
    const read = list.call(this, filter);
    rows += read.length;
    return read;
  });
  vi.spyOn(ExchangeReader.prototype, 'get').mockImplementation(function (this: ExchangeReader, id) {
    const read = get.call(this, id);
    rows += read ? 1 : 0;
    return read;
  });
  return () => rows;
}

describe('doctor --last N reads what it is asked for', () => {
  it('a relay failing in 40 ways is compared with its working call once: N rows and one page more', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-doctor-last-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    const capture = new CaptureStore(db, understandEnded);
    const t0 = 1_700_000_000_000;
    // 300 calls that worked, then 120 failures: 40 URLs (a query each) x 3 statuses, each its own group.
    capture.apply(Array.from({ length: 300 }, (_, i) => call(`w${i}`, t0 + i * 1000, 200)).flat());
    capture.apply(
      Array.from({ length: 120 }, (_, i) =>
        call(`f${i}`, t0 + 400_000 + i * 1000, [429, 500, 502][i % 3], `?try=${i % 40}`),
      ).flat(),
    );
    db.close();
    const rowsRead = countRowsRead();
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const last = 100;
    doctorCommand(['--last', String(last), '--json', '--data-dir', dir]);
    const groups = JSON.parse(printed.join('\n')) as { ids: number[]; difference: string | null }[];
    // The findings: every failure diagnosed, one group per URL and status, each compared.
    expect(groups.reduce((n, g) => n + g.ids.length, 0)).toBe(last);
    expect(groups.length).toBeGreaterThan(30);
    for (const g of groups) expect(g.difference, `group of #${g.ids.join(', ')}`).toEqual(expect.any(String));
    // The last N, and one page of the relay's working calls (db/compare-reader.ts, 25 rows) for all the groups.
    expect(rowsRead()).toBeLessThanOrEqual(last + 25);
  });
});
