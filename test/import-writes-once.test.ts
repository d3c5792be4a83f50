// `wirelog import` writes each body once, in its final packed form (db/import-store.ts): no body
// row, SSE event or WebSocket message is updated or deleted once written (capture's path wrote
// them as they came, then packed them: an update per response row, a delete and an insert per
// split request and per SSE event). Counted by triggers in the store, per table, by operation.
// And an import killed midway leaves whole exchanges only: each stored one understood, packed
// and in the search index, at least as many as its last progress line said were stored.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/schema.ts';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS, runCli } from './support/cli.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-import-writes-'));
  dirs.push(dir);
  return dir;
}

const sse = [{ name: 'content-type', value: 'text/event-stream' }];

/** Entry i: a chat call (its request split into parts), every fifth a stream of events, every seventh a WebSocket. */
function entry(i: number): unknown {
  const startedDateTime = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const at = Date.parse(startedDateTime) / 1000;
  const request = {
    method: 'POST',
    url: 'https://api.openai.com/v1/chat/completions',
    headers: [
      { name: 'content-type', value: 'application/json' },
      { name: 'authorization', value: `Bearer sk-test-0000000000${i}` },
    ],
    postData: {
      mimeType: 'application/json',
      text: JSON.stringify({
        model: 'gpt-test',
        stream: i % 5 === 0,
        messages: [
          { role: 'system', content: 'You are helpful. '.repeat(100) },
          { role: 'user', content: `question ${i} ${'lorem ipsum '.repeat(150)}` },
        ],
      }),
    },
  };
  if (i % 7 === 0)
    return {
      startedDateTime,
      request: { method: 'GET', url: 'wss://api.openai.com/v1/responses', headers: [] },
      response: { status: 101, statusText: 'Switching Protocols', headers: [] },
      _webSocketMessages: [
        { type: 'send', time: at + 0.01, opcode: 1, data: JSON.stringify({ type: 'response.create', n: i }) },
        {
          type: 'receive',
          time: at + 0.02,
          opcode: 1,
          data: `{"type":"response.completed","text":"${'ok '.repeat(40)}"}`,
        },
      ],
    };
  if (i % 5 === 0) {
    const events = Array.from(
      { length: 6 },
      (_, n) => `{"choices":[{"delta":{"content":"word ${n} of ${i} ${'x'.repeat(40)}"}}]}`,
    );
    return {
      startedDateTime,
      request,
      response: {
        status: 200,
        headers: sse,
        content: { mimeType: 'text/event-stream', text: events.map((e) => `data: ${e}\n\n`).join('') },
      },
    };
  }
  const answer = { id: `chatcmpl-${i}`, choices: [{ message: { role: 'assistant', content: 'answer '.repeat(80) } }] };
  return {
    startedDateTime,
    request,
    response: { status: 200, headers: request.headers.slice(0, 1), content: { text: JSON.stringify(answer) } },
  };
}

function writeHar(file: string, count: number): void {
  const entries = Array.from({ length: count }, (_, i) => JSON.stringify(entry(i)));
  fs.writeFileSync(
    file,
    `{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[${entries.join(',')}]}}`,
  );
}

describe('wirelog import', () => {
  it('writes each body row, SSE event and WebSocket message once: none updated or deleted after', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'calls.har');
    writeHar(file, 70);
    // The store made as wirelog makes it, with triggers that count each write to the body tables.
    const db = openDatabase(dataDir);
    db.exec('CREATE TABLE test_writes (tbl TEXT NOT NULL, op TEXT NOT NULL)');
    for (const table of ['bodies', 'sse_events', 'ws_messages'])
      for (const op of ['INSERT', 'UPDATE', 'DELETE'])
        db.exec(
          `CREATE TRIGGER test_${table}_${op} AFTER ${op} ON ${table} BEGIN INSERT INTO test_writes VALUES ('${table}', '${op}'); END`,
        );
    db.close();

    const result = await runCli(['import', file, '--data-dir', dataDir]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);

    const after = openDatabase(dataDir);
    try {
      const writes = Object.fromEntries(
        (
          after.prepare('SELECT tbl, op, count(*) AS n FROM test_writes GROUP BY tbl, op').all() as {
            tbl: string;
            op: string;
            n: number;
          }[]
        ).map((r) => [`${r.tbl} ${r.op}`, r.n]),
      );
      const rows = (table: string) => after.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      expect(after.prepare('SELECT count(*) FROM exchanges').pluck().get()).toBe(70);
      // Each row written once: as many inserts as rows there are, nothing else.
      expect(writes).toEqual({
        'bodies INSERT': rows('bodies'),
        'sse_events INSERT': rows('sse_events'),
        'ws_messages INSERT': rows('ws_messages'),
      });
      // Packed as capture's packing leaves them: split requests (60 calls, one record each), answers and events compressed.
      expect(after.prepare("SELECT count(*) FROM bodies WHERE side = 'request' AND codec >= 16").pluck().get()).toBe(
        60,
      );
      expect(rows('sse_events')).toBe(12 * 6);
      expect(rows('ws_messages')).toBe(10 * 2);
      expect(after.prepare('SELECT count(*) FROM bodies WHERE codec = 0').pluck().get()).toBe(0);
    } finally {
      after.close();
    }
  });

  it('killed midway, leaves only whole exchanges: each understood, packed and searchable, as many as it said', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'calls.har');
    const total = 4000;
    writeHar(file, total);
    const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, 'import', file, '--data-dir', dataDir], {
      env: { ...process.env, WIRELOG_LANG: 'en' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = 0;
    let output = '';
    const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      // The first line that says some, not all, were stored: killed at once.
      for (const m of output.matchAll(/storing calls\.har: (\d+) of (\d+) entries stored/g)) {
        const stored = Number(m[1]);
        if (stored > 0 && stored < total && said === 0) {
          said = stored;
          child.kill('SIGKILL');
        }
      }
    });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await ended;
    clearTimeout(timeout);
    expect(said, output).toBeGreaterThan(0);

    const db = openDatabase(dataDir);
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get() as number;
      const stored = count('SELECT count(*) FROM exchanges');
      expect(stored).toBeGreaterThanOrEqual(said);
      // Whole batches of whole exchanges (200 entries to a batch, cli/import.ts), unless it ended first.
      if (stored < total) expect(stored % 200).toBe(0);
      // Each one ended, understood and not waiting for anything.
      expect(count("SELECT count(*) FROM exchanges WHERE state = 'complete' AND to_index = 0")).toBe(stored);
      // Packed: no body row as it came; each call's request split.
      expect(count('SELECT count(*) FROM bodies WHERE codec = 0')).toBe(0);
      expect(count("SELECT count(DISTINCT exchange_id) FROM bodies WHERE side = 'request' AND codec >= 16")).toBe(
        stored - count('SELECT count(*) FROM exchanges WHERE id % 7 = 1'),
      );
      // In the search index: every exchange by its URL.
      expect(count("SELECT count(*) FROM exchanges_search WHERE exchanges_search MATCH 'openai'")).toBe(stored);
    } finally {
      db.close();
    }
  });
});
