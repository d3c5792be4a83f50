// A Codex session signed in with ChatGPT: every request zstd-encoded as Codex encodes it (libzstd
// 1.5.7 streaming at level 3, db/request-reencode.ts). Stored as the storage thread stores it, its
// history is kept once (a small fraction of the wire bytes, where storing each encoded request
// whole keeps them all), every request reads back byte for byte (reader, HAR export's page
// reads), a search for the last turn's words finds it, and a session page reads turns from their end.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCODED_SPLIT } from '../db/blobs.ts';
import { ExchangeReader } from '../db/reader.ts';
import { reencode, reencodeCounts } from '../db/request-reencode.ts';
import { StoredRequests } from '../db/request-outline.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { tailCounts } from '../llm/request-tail.ts';
import { sessionPage } from '../llm/session-read.ts';
import { codexSession } from './support/codex-session.ts';
import { type RequestCoding, storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

const TURNS = 50;
const NAME = 'zstd-session';
const codexZstd: RequestCoding = {
  name: 'zstd',
  encode: (body) => reencode(body, { kind: 'zstd', level: 3, checksum: false, sizeInHeader: false }),
};

/** Bytes stored for request bodies: their rows and the parts they refer to. */
function requestBytes(db: Db): number {
  return db
    .prepare(
      "SELECT (SELECT coalesce(sum(length(data)), 0) FROM bodies WHERE side = 'request') + (SELECT coalesce(sum(length(data)), 0) FROM blobs)",
    )
    .pluck()
    .get() as number;
}

describe('a 50-turn Codex session with zstd-encoded requests', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  const wires = [...codexSession(TURNS, NAME)].map((turn) => codexZstd.encode(turn.request));

  beforeAll(() => {
    dir = tempDir('wirelog-zstd-session-');
    db = openDatabase(dir);
    storeCodexSession(db, TURNS, NAME, codexZstd);
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is stored split, in a small fraction of its wire bytes, each request read back byte for byte', () => {
    const ids = reader.summaries({ thread: `session:${NAME}`, after: 0, limit: TURNS }).map((r) => r.id);
    expect(ids).toHaveLength(TURNS);
    const codecs = db.prepare("SELECT codec FROM bodies WHERE side = 'request'").pluck().all() as number[];
    expect(codecs.every((codec) => codec >= ENCODED_SPLIT)).toBe(true);
    const wireBytes = wires.reduce((n, w) => n + w.length, 0);
    const stored = requestBytes(db);
    // Stored whole, the encoded requests would take their wire bytes (zstd does not compress again).
    console.log(
      `zstd session: ${TURNS} turns, ${wireBytes} wire bytes, ${stored} stored (${((100 * stored) / wireBytes).toFixed(1)}%)`,
    );
    expect(stored).toBeLessThan(wireBytes * 0.2);
    ids.forEach((id, k) => expect(reader.body(id, 'request').equals(wires[k]), `turn ${k}`).toBe(true));
    const page = reader.pageStreams(ids, { sse: new Set(), websocket: new Set() });
    ids.forEach((id, k) => expect(page.get(id)?.request.equals(wires[k]), `page turn ${k}`).toBe(true));
  });

  it('finds the last turn by a word only it sends, and every turn by a word they all resend', () => {
    const ids = reader.summaries({ thread: `session:${NAME}`, after: 0, limit: TURNS }).map((r) => r.id);
    const bodies = [...codexSession(TURNS, NAME)].map((turn) => turn.request.toString('utf8'));
    const words = (text: string) => new Set(text.match(/(?<![A-Za-z0-9+/])[a-z]{8,}(?![A-Za-z0-9+/])/g) ?? []);
    const before = words(bodies[TURNS - 2]);
    const lastOnly = [...words(bodies[TURNS - 1])].filter((w) => !before.has(w));
    expect(lastOnly.length).toBeGreaterThan(0);
    const found = reader.summaries({ text: lastOnly[0], limit: 100 }).map((r) => r.id);
    expect(found).toEqual([ids[TURNS - 1]]);
    // In the instructions every turn resends (one part, indexed once).
    const everywhere = [...words(bodies[0])].find((w) => bodies.every((b) => b.includes(w)))!;
    expect(
      reader
        .summaries({ text: everywhere, limit: 100 })
        .map((r) => r.id)
        .sort((x, y) => x - y),
    ).toEqual(ids);
  });

  it('reads a session page from the end of each turn, the same page as read whole', () => {
    const requests = new StoredRequests(db);
    tailCounts.itemsParsed = 0;
    const tail = JSON.stringify(sessionPage(reader, `session:${NAME}`, 40, 10, requests));
    expect(tail).toBe(JSON.stringify(sessionPage(reader, `session:${NAME}`, 40, 10)));
    expect(requests.outlinesRead).toBe(10);
    // About the items of 10 turns' ends, not their ~40 turns of history each.
    expect(tailCounts.itemsParsed).toBeLessThan(100);
  });

  it('counted every request as split', () => {
    expect(reencodeCounts.split).toBeGreaterThanOrEqual(TURNS);
    expect(reencodeCounts.unverified).toBe(0);
  });
});
