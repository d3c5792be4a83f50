// Codex signed in with ChatGPT, seen from outside: 20 Codex-shaped turns sent through the real
// proxy with `Content-Encoding: zstd`, each encoded as Codex encodes it (libzstd 1.5.7 streaming
// at level 3). Stored split (db/request-reencode.ts), they read back as the upstream received
// them through the reader, the API, HAR export, a snippet and replay; a search for the last
// turn's words finds it; a gzip request from zlib is split too, one from another deflate is not.
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCODED_SPLIT } from '../db/blobs.ts';
import { reencode } from '../db/request-reencode.ts';
import { databasePath } from '../db/schema.ts';
import { codexSession } from './support/codex-session.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';

const TURNS = 20;
const PATH = '/v1/responses?run=zstd';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const codexZstd = (body: Buffer) => reencode(body, { kind: 'zstd', level: 3, checksum: false, sizeInHeader: false });

async function post(path: string, body: Buffer, encoding: string): Promise<void> {
  const res = await request(`${h.upstream.httpsUrl}${path}`, {
    method: 'POST',
    dispatcher: h.agent(),
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'content-encoding': encoding },
    body,
  });
  await res.body.arrayBuffer();
}

function stored(path: string) {
  return h.wirelog.reader
    .list({ limit: 1000, host: 'localhost' })
    .filter((e) => e.request.path === path)
    .sort((a, b) => a.id - b.id);
}

/** Lower-case words of a turn's source-file outputs (not of its base64 reasoning). */
const words = (text: string) => new Set(text.match(/(?<![A-Za-z0-9+/])[a-z]{8,}(?![A-Za-z0-9+/])/g) ?? []);

describe('zstd-encoded requests through the proxy', () => {
  it('read back as sent through the reader, the API, HAR export, a snippet and replay; stored split; found by the last turn', async () => {
    const turns = [...codexSession(TURNS, 'zstdproxy')].map((t) => t.request);
    const wires = turns.map(codexZstd);
    for (const wire of wires) await post(PATH, wire, 'zstd');
    await h.stored();
    const received = h.upstream.received.filter((r) => r.url === PATH);
    expect(received.map((r, i) => r.body.equals(wires[i]))).toEqual(wires.map(() => true));
    const rows = stored(PATH);
    expect(rows.length).toBe(TURNS);
    rows.forEach((row, i) => expect(h.wirelog.reader.body(row.id, 'request').equals(wires[i]), `turn ${i}`).toBe(true));

    const db = new Database(databasePath(h.dataDir), { readonly: true });
    try {
      const ids = rows.map((r) => r.id).join(',');
      const split = db
        .prepare(
          `SELECT count(*) FROM bodies WHERE side = 'request' AND exchange_id IN (${ids}) AND codec >= ${ENCODED_SPLIT}`,
        )
        .pluck()
        .get();
      expect(split).toBe(TURNS);
    } finally {
      db.close();
    }

    const api = h.wirelog.viewer!.url;
    for (const i of [0, TURNS - 1]) {
      const detail = (await (await fetch(`${api}/api/exchanges/${rows[i].id}`)).json()) as {
        requestBody: { text: string };
      };
      expect(detail.requestBody.text === turns[i].toString('utf8'), `turn ${i} through the API`).toBe(true);
    }
    const har = (await (await fetch(`${api}/api/export.har`)).json()) as {
      log: { entries: { request: { url: string; postData?: { text: string } } }[] };
    };
    const texts = har.log.entries
      .filter((e) => e.request.url.endsWith(PATH))
      .map((e) => turns.findIndex((t) => t.toString('utf8') === e.request.postData?.text))
      .sort((a, b) => a - b);
    expect(texts).toEqual(turns.map((_, i) => i));

    // Search folds case and finds whole words: the last turn's own word is one no earlier turn
    // holds as a word in any case, escapes read or not (with 3 more files in db/ the pick was
    // 'understands', and turns 10-19 send 'Understands': test/encoded-session.test.ts says why).
    const earlier = new Set(
      turns.slice(0, -1).flatMap((t) => {
        const text = t.toString('utf8').toLowerCase();
        return [text, text.replace(/\\[nrtbf]/g, ' ')].flatMap((s) => s.split(/[^\p{L}\p{N}]+/u));
      }),
    );
    const lastWords = [...words(turns[TURNS - 1].toString('utf8'))].filter((w) => !earlier.has(w));
    expect(lastWords.length).toBeGreaterThan(0);
    const snippet = await (await fetch(`${api}/api/exchanges/${rows[TURNS - 1].id}/snippet?target=curl`)).text();
    expect(snippet).toContain(lastWords[0]);
    const found = (await (
      await fetch(`${api}/api/exchanges?limit=50&q=${encodeURIComponent(lastWords[0])}`)
    ).json()) as {
      exchanges: { id: number }[];
    };
    expect(found.exchanges.map((e) => e.id)).toEqual([rows[TURNS - 1].id]);

    const replay = await fetch(`${api}/api/exchanges/${rows[TURNS - 1].id}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api, 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    expect(replay.status).toBe(200);
    const again = await eventually(
      () => h.upstream.received.filter((r) => r.url === PATH)[TURNS],
      'the replay to reach the upstream',
    );
    expect(again.body.equals(wires[TURNS - 1])).toBe(true);
  });

  it('a gzip request from zlib is stored split, one from another deflate setting stays whole; both read back as sent', async () => {
    const [turn] = [...codexSession(1, 'gzipproxy')];
    const fromZlib = zlib.gzipSync(turn.request, { level: 9 });
    // Another encoder's deflate (here: zlib's with another memory level) cannot be made again.
    const other = zlib.gzipSync(turn.request, { level: 9, memLevel: 2 });
    await post('/v1/responses?kind=gz-zlib', fromZlib, 'gzip');
    await post('/v1/responses?kind=gz-other', other, 'gzip');
    await h.stored();
    const [a] = stored('/v1/responses?kind=gz-zlib');
    const [b] = stored('/v1/responses?kind=gz-other');
    expect(h.wirelog.reader.body(a.id, 'request').equals(fromZlib)).toBe(true);
    expect(h.wirelog.reader.body(b.id, 'request').equals(other)).toBe(true);
    const db = new Database(databasePath(h.dataDir), { readonly: true });
    try {
      const codec = db.prepare("SELECT codec FROM bodies WHERE side = 'request' AND exchange_id = ?").pluck();
      expect(codec.get(a.id)).toBeGreaterThanOrEqual(ENCODED_SPLIT);
      expect(codec.get(b.id)).toBeLessThan(16);
    } finally {
      db.close();
    }
  });
});
