// A Codex session signed in with ChatGPT: every request zstd-encoded as Codex encodes it (libzstd
// 1.5.7 streaming at level 3, db/request-reencode.ts). Stored as the storage thread stores it, its
// history is kept once (a small fraction of the wire bytes, where storing each encoded request
// whole keeps them all), every request reads back byte for byte (reader, HAR export's page
// reads), a search for a word finds the turns that send it, and a session page reads turns from their end.
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

/**
 * Words of a request as the search index cuts them (FTS5 unicode61 splits on anything but letters
 * and digits), each clear of a base64 run (the index leaves runs of [A-Za-z0-9+/=_-] out) and of
 * a JSON escape (a word after the tool output's escaped newline, sent as \\n, is glued to its n).
 */
function wordsOf(text: string): Set<string> {
  return new Set(text.match(/(?<![\p{L}\p{N}+/=_\\-])[A-Za-z][A-Za-z0-9]{5,}(?![\p{L}\p{N}+/=_-])/gu) ?? []);
}

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

  it('finds each turn by a word it is the first to send, with every later turn (each resends it), and every turn by a word they all resend', () => {
    const ids = reader.summaries({ thread: `session:${NAME}`, after: 0, limit: TURNS }).map((r) => r.id);
    const turns = [...codexSession(TURNS, NAME)];
    const requests = turns.map((turn) => turn.request.toString('utf8'));
    const answers = turns.map((turn) => turn.responseBody.toString('utf8').toLowerCase());
    const found = (word: string) =>
      reader
        .summaries({ text: word, limit: 100 })
        .map((r) => r.id)
        .sort((x, y) => x - y);
    // The tool outputs are this checkout's source files (test/support/codex-session.ts): which
    // words a turn is the first to send changes with every file added to db/ or llm/, and the
    // last turn may send none of its own (llm/rebuilt.ts: 894 bytes of words every earlier turn
    // holds). So every turn that first sends a word is asked for. Search folds case (FTS5
    // unicode61): a word is a turn's own only when no earlier request or answer holds it in any
    // case, even inside a longer word. Asked for 'rebuilds' as the last turn's own, search rightly
    // found turns 43-50, which resend llm/gemini.ts's 'Rebuilds', once db/deflate-tables.ts (or
    // any new file in db/) moved each file one turn later.
    const firstSent: number[] = [];
    for (let k = 1; k < TURNS; k++) {
      const before = requests[k - 1].toLowerCase();
      const resent = wordsOf(before);
      const own = [...wordsOf(requests[k])]
        .map((w) => w.toLowerCase())
        .find((w) => !resent.has(w) && !before.includes(w) && answers.slice(0, k).every((a) => !a.includes(w)));
      if (own === undefined) continue;
      firstSent.push(k);
      expect(found(own), `${own}, first sent by turn ${k + 1}`).toEqual(ids.slice(k));
    }
    // Not a test of nothing: a quarter of the turns at least bring a file with words no turn sent before.
    expect(firstSent.length).toBeGreaterThan(TURNS / 4);
    // In the instructions every turn resends (one part, indexed once).
    const everywhere = [...wordsOf(requests[0])].find((w) => requests.every((b) => b.includes(w)))!;
    expect(found(everywhere)).toEqual(ids);
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
