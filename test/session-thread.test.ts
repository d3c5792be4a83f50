// The session worker kept between questions (llm/session-answer.ts): starting one costs more than
// a page now does, so questions in a row are answered by the same worker; it is stopped when its
// viewer closes (closeSessionThread), when another database is asked about, or when idle, and the
// next question starts another. Counted, not timed.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { answerOffThread, closeSessionThread, sessionThreads } from '../llm/session-answer.ts';
import { sessionPage } from '../llm/session-read.ts';
import { tempDir } from './support/harness.ts';
import { generatedSession, storeSession } from './support/session-store.ts';

const stores: { dir: string; db: Db; reader: ExchangeReader }[] = [];

beforeAll(() => {
  for (const name of ['one', 'two']) {
    const dir = tempDir(`wirelog-thread-${name}-`);
    const db = openDatabase(dir);
    storeSession(db, name, generatedSession(5));
    stores.push({ dir, db, reader: new ExchangeReader(db) });
  }
});
afterAll(async () => {
  for (const { dir, db, reader } of stores) {
    await closeSessionThread(reader.file);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const page = (reader: ExchangeReader, key: string, offset: number) =>
  answerOffThread(reader, { kind: 'page', key, offset, limit: 2 }, 'en');

describe('the session worker', () => {
  it('answers questions in a row with one worker, as the page read on this thread', async () => {
    const [{ reader }] = stores;
    const before = sessionThreads().started;
    const answers = await Promise.all([0, 1, 2, 3].map((offset) => page(reader, 'session:one', offset)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.json)).toEqual(
      [0, 1, 2, 3].map((offset) => JSON.stringify(sessionPage(reader, 'session:one', offset, 2))),
    );
    expect(sessionThreads()).toEqual({ running: reader.file, started: before + 1 });
    const missing = await answerOffThread(reader, { kind: 'page', key: 'session:none', offset: 0, limit: 1 }, 'en');
    expect(missing.status).toBe(404);
    expect(sessionThreads().started).toBe(before + 1);
  });

  it('is stopped with its viewer, and for another database; the next question starts another', async () => {
    const [one, two] = stores;
    const before = sessionThreads().started;
    await closeSessionThread(two.reader.file);
    expect(sessionThreads().running).toBe(one.reader.file);
    await closeSessionThread(one.reader.file);
    expect(sessionThreads().running).toBeNull();
    expect((await page(one.reader, 'session:one', 0)).status).toBe(200);
    expect((await page(two.reader, 'session:two', 0)).status).toBe(200);
    expect(sessionThreads()).toEqual({ running: two.reader.file, started: before + 2 });
  });
});
