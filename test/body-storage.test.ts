// Request bodies stored once (db/body-parts.ts, db/blobs.ts) and every stored byte compressed
// (db/compression.ts), seen from outside: a 30-turn Codex-shaped session through the real proxy
// reads back byte for byte what the upstream received, through the reader, the API, HAR export
// and replay; the parts it repeats are stored once; gzip-encoded and non-JSON requests come back
// as they were sent.
import zlib from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT } from '../db/blobs.ts';
import { databasePath } from '../db/schema.ts';
import Database from 'better-sqlite3';
import { codexSession } from './support/codex-session.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

const TURNS = 30;
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function post(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
  const res = await request(`${h.upstream.httpsUrl}${path}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body,
  });
  await res.body.arrayBuffer();
}

/** Exchanges stored with this path, oldest first. */
function stored(path: string) {
  return h.wirelog.reader
    .list({ limit: 1000, host: 'localhost' })
    .filter((e) => e.request.path === path)
    .sort((a, b) => a.id - b.id);
}

describe('request bodies stored once, compressed', () => {
  it('a 30-turn Codex session reads back as the upstream received it, through the reader, the API, HAR export and replay, its repeated parts stored once', async () => {
    const turns = [...codexSession(TURNS, 'storage')];
    for (const turn of turns) await post('/v1/responses?run=storage', turn.request);
    await h.stored();
    const received = h.upstream.received.filter((r) => r.url === '/v1/responses?run=storage');
    expect(received.map((r) => r.body.equals(turns[received.indexOf(r)].request))).toEqual(turns.map(() => true));
    const rows = stored('/v1/responses?run=storage');
    expect(rows.length).toBe(TURNS);
    for (let i = 0; i < TURNS; i++) {
      expect(
        h.wirelog.reader.body(rows[i].id, 'request').equals(received[i].body),
        `turn ${i} through the reader`,
      ).toBe(true);
      expect(
        Buffer.concat([...h.wirelog.reader.bodyChunks(rows[i].id, 'request')]).equals(received[i].body),
        `turn ${i} in chunks`,
      ).toBe(true);
    }
    // Each SSE answer, stored compressed: its events and its body as the upstream sent them.
    for (const row of [rows[0], rows[TURNS - 1]]) {
      const events = h.wirelog.reader.sseEvents(row.id);
      expect(events.length).toBeGreaterThan(3);
      const body = h.wirelog.reader.body(row.id, 'response').toString('utf8');
      expect(body).toBe(events.map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`).join(''));
    }
    // The API's detail: the text as sent.
    const api = h.wirelog.viewer!.url;
    for (const i of [0, 14, TURNS - 1]) {
      const detail = (await (await fetch(`${api}/api/exchanges/${rows[i].id}`)).json()) as {
        requestBody: { text: string };
      };
      expect(detail.requestBody.text === received[i].body.toString('utf8'), `turn ${i} through the API`).toBe(true);
    }
    // HAR export: each entry's postData is the body sent.
    const har = (await (await fetch(`${api}/api/export.har`)).json()) as {
      log: { entries: { request: { url: string; postData?: { text: string } } }[] };
    };
    const entries = har.log.entries.filter((e) => e.request.url.endsWith('/v1/responses?run=storage'));
    expect(entries.length).toBe(TURNS);
    expect(
      entries
        .map((e) =>
          e.request.postData?.text === undefined
            ? 'none'
            : turns.findIndex((t) => t.request.toString('utf8') === e.request.postData!.text),
        )
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(turns.map((_, i) => i));

    // Stored: every request a record of parts; the parts fewer than the references to them (each once).
    // Packed once ended, in the slices after the commit (db/indexer.ts): h.stored()'s flush runs
    // them to the end, so no time is waited for (test/pack-after-commit.test.ts: rows as they came before).
    const db = new Database(databasePath(h.dataDir), { readonly: true });
    try {
      const ids = rows.map((r) => r.id).join(',');
      const records = db
        .prepare(
          `SELECT count(*) AS n FROM bodies WHERE side = 'request' AND exchange_id IN (${ids}) AND codec >= ${SPLIT}`,
        )
        .get() as { n: number };
      expect(records.n).toBe(TURNS);
      const blobs = db
        .prepare('SELECT count(*) AS n, sum(refs) AS refs, sum(size) AS size, sum(length(data)) AS stored FROM blobs')
        .get() as { n: number; refs: number; size: number; stored: number };
      // Turn 1: ~40 parts; each later one adds 4 parts (reasoning, message, call, output) and refers to all before.
      expect(blobs.refs).toBeGreaterThan(blobs.n * 10);
      expect(blobs.stored).toBeLessThan(blobs.size);
      const wire = turns.reduce((n, t) => n + t.request.length, 0);
      const onDisk =
        (db.prepare("SELECT sum(length(data)) AS n FROM bodies WHERE side = 'request'").get() as { n: number }).n +
        blobs.stored;
      expect(onDisk).toBeLessThan(wire / 20);
    } finally {
      db.close();
    }

    // Replay of the last turn: the upstream receives the same bytes again.
    const last = rows[TURNS - 1].id;
    const replay = await fetch(`${api}/api/exchanges/${last}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api, 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    expect(replay.status).toBe(200);
    const again = await eventually(
      () => h.upstream.received.filter((r) => r.url === '/v1/responses?run=storage')[TURNS],
      'the replay to reach the upstream',
    );
    expect(again.body.equals(turns[TURNS - 1].request)).toBe(true);
  });

  it('a gzip-encoded request and a body that is not JSON read back as they crossed the wire', async () => {
    const [turn] = [...codexSession(1, 'encoded')];
    const gz = zlib.gzipSync(turn.request);
    await post('/v1/responses?kind=gzip', gz, { 'content-encoding': 'gzip' });
    const form = Buffer.from(`input=${'z'.repeat(5000)}&messages=${'\u00e9'.repeat(100)}`);
    await post('/v1/responses?kind=form', form, { 'content-type': 'application/x-www-form-urlencoded' });
    await h.stored();
    const [gzip] = stored('/v1/responses?kind=gzip');
    const [plain] = stored('/v1/responses?kind=form');
    expect(h.wirelog.reader.body(gzip.id, 'request').equals(gz)).toBe(true);
    expect(h.wirelog.reader.body(plain.id, 'request').equals(form)).toBe(true);
  });
});
