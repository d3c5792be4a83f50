// One character repeated millions of times (a 9 MB JSON string of one letter, a body of spaces,
// a run of Chinese) overflowed V8's backtracking stack in db/search-text.ts's patterns: "Maximum
// call stack size exceeded", caught as an indexing failure, and the exchange was stored but never
// found by search. Each shape is indexed here, through the function, capture's path
// (db/capture-store.ts, db/indexer.ts) and import's (db/import-store.ts); a 50 MB one is bounded
// as other big bodies are (the first 8 MB indexed, a note on the exchange saying so).
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ImportStore } from '../db/import-store.ts';
import type { Db } from '../db/schema.ts';
import { indexedText, searchQuery } from '../db/search-text.ts';
import { harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { relayCallEvents } from './support/exchange-events.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-long-runs-');

const chatRequest = Buffer.from(JSON.stringify({ model: 'gpt-long', messages: [{ role: 'user', content: 'hi' }] }));
/** A response body that is one JSON string: `"yyyy…"`. */
const oneString = (char: string, n: number) => JSON.stringify(char.repeat(n));

/** Ids of exchanges whose search entry matches what a user typed. */
function found(db: Db, typed: string): number[] {
  return (
    db.prepare('SELECT rowid FROM exchanges_search WHERE exchanges_search MATCH ?').all(searchQuery(typed)) as {
      rowid: number;
    }[]
  ).map((r) => r.rowid);
}

const notesOf = (db: Db, id: number) =>
  (db.prepare('SELECT notes FROM exchanges WHERE id = ?').get(id) as { notes: string | null }).notes ?? '';

describe('indexedText over one character repeated millions of times', () => {
  // Outcomes compared as short strings or booleans: a failed comparison of 9 MB strings would have
  // the runner diff them for minutes.
  it('indexes a 9 MB JSON string of one letter (a base64-like run, left out) and the words around it', () => {
    expect(indexedText(`before ${oneString('y', 9_000_000)} after`).replace(/\s+/g, ' ')).toBe('before " " after');
  });

  it('indexes millions of spaces, and spaces before an opening brace (the nested-JSON check)', () => {
    expect(indexedText(oneString(' ', 9_000_000)).replace(/\s+/g, ' ')).toBe('" "');
    const text = `"${' '.repeat(9_000_000)}{\\"k\\": \\"a\\\\nb\\"}"`;
    // Read as JSON inside a JSON string, as a short one is: its \\n is a newline, `a` and `b` two words.
    const words = indexedText(text).replace(/\s+/g, ' ');
    expect(words.length).toBeLessThan(100);
    expect(words.includes('a b')).toBe(true);
  });

  it('writes a run of millions of CJK characters as its pairs, across every 4,096-character piece', () => {
    const run = '令牌渠道'.repeat(700_000);
    const pairs = new Set(indexedText(run).trim().split(/\s+/));
    expect(pairs.size).toBeLessThan(20);
    for (const pair of ['令牌', '牌渠', '渠道', '道令']) expect(pairs.has(pair)).toBe(true);
    // A run past the bound is found across a piece's end: 4,095 of one character then 甲乙.
    expect(indexedText(`${'令'.repeat(4095)}甲乙`).split(/\s+/)).toContain('令甲');
    // A short run is written as before.
    expect(indexedText('检查令牌和渠道').trim()).toBe('检查 查令 令牌 牌和 和渠 渠道 道');
  });
});

describe('an exchange whose response is one large JSON string', () => {
  for (const [label, size] of [
    ['9 MB', 9_000_000],
    ['50 MB', 50_000_000],
  ] as const) {
    it(`captured: ${label} of one letter is understood, indexed (its first 8 MB) and noted as cut, no error`, () => {
      const db = freshDb();
      const store = new CaptureStore(db, understandEnded);
      const response = Buffer.from(`{"marker":"needle-${size}","text":${oneString('y', size)}}`);
      store.apply(
        relayCallEvents({
          uid: `long-${size}`,
          startedAt: Date.now(),
          host: 'relay.example',
          path: '/v1/chat/completions',
          status: 200,
          request: chatRequest,
          response,
        }),
      );
      store.indexWaiting('understand');
      expect(store.indexError).toBeNull();
      expect(found(db, `needle-${size}`)).toEqual([1]);
      expect(found(db, 'gpt-long')).toEqual([1]);
      expect(notesOf(db, 1)).toContain('search finds only the first 8 MB of the response text');
    });
  }

  it('imported from a HAR: 9 MB of one letter is understood and indexed, no error, no failure', () => {
    const db = freshDb();
    const store = new ImportStore(db, understandEnded);
    const har = {
      log: {
        entries: [
          {
            startedDateTime: new Date(Date.UTC(2026, 0, 1)).toISOString(),
            time: 10,
            request: {
              method: 'POST',
              url: 'https://api.openai.com/v1/chat/completions',
              headers: [{ name: 'content-type', value: 'application/json' }],
              postData: { mimeType: 'application/json', text: chatRequest.toString() },
            },
            response: {
              status: 200,
              statusText: 'OK',
              headers: [{ name: 'content-type', value: 'application/json' }],
              content: {
                mimeType: 'application/json',
                text: `{"marker":"needle-har","text":${oneString('y', 9_000_000)}}`,
              },
            },
            timings: { send: 1, wait: 8, receive: 1 },
          },
        ],
      },
    };
    const { events } = harToEvents(JSON.stringify(har), { source: 'long.har', keepSecrets: false });
    const [id] = store.store(events);
    expect(store.error).toBeNull();
    expect(store.failures).toEqual({});
    expect(found(db, 'needle-har')).toEqual([id]);
    expect(notesOf(db, id)).toContain('search finds only the first 8 MB of the response text');
  });
});
