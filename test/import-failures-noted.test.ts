// An imported exchange that could not be understood is still stored, counted for `wirelog import`
// to say (db/import-store.ts ImportStore.failures: how many, the first one's id, its error) and
// noted on the exchange itself in the catalogue's stored English, which a Chinese reader reads in
// Chinese (i18n/stored-text.ts localized); `wirelog import` says it on stderr in the CLI's language
// (cli/import.ts failureLines).
import { describe, expect, it } from 'vitest';
import { failureLines } from '../cli/import.ts';
import { ImportStore } from '../db/import-store.ts';
import { harToEvents } from '../export/har-import.ts';
import { createI18n } from '../i18n/index.ts';
import { localized } from '../i18n/stored-text.ts';
import { tempDatabases } from './support/temp-databases.ts';

const freshDb = tempDatabases('wirelog-import-failures-');

function chatEntry(i: number) {
  return {
    startedDateTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    time: 10,
    request: {
      method: 'POST',
      url: 'https://relay.example/v1/chat/completions',
      headers: [{ name: 'content-type', value: 'application/json' }],
      postData: {
        mimeType: 'application/json',
        text: JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: `turn ${i}` }] }),
      },
    },
    response: {
      status: 200,
      statusText: 'OK',
      headers: [{ name: 'content-type', value: 'application/json' }],
      content: { mimeType: 'application/json', text: '{"choices":[]}' },
    },
    timings: { send: 1, wait: 8, receive: 1 },
  };
}

describe('an imported exchange that could not be understood', () => {
  it('is stored, counted once per kind with the first id and its error, and noted on each exchange (en and zh-CN)', () => {
    const db = freshDb();
    const store = new ImportStore(db, () => {
      throw new Error('the understanding broke\nat a second line');
    });
    const har = { log: { entries: [chatEntry(1), chatEntry(2), chatEntry(3)] } };
    const { events } = harToEvents(JSON.stringify(har), { source: 'fail.har', keepSecrets: false });
    const ids = store.store(events);
    expect(ids).toHaveLength(3);
    // Independent of the count: every entry's row is there, whole.
    expect((db.prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n).toBe(3);
    expect(store.failures.understand).toEqual({ count: 3, firstId: ids[0], error: 'the understanding broke' });
    for (const id of ids) {
      const notes = (db.prepare('SELECT notes FROM exchanges WHERE id = ?').get(id) as { notes: string }).notes;
      expect(notes).toContain('not read as a model call: the understanding broke');
      expect(localized(notes.split('\n').at(-1)!, 'zh-CN')).toContain('没能解析成模型调用');
    }
  });

  it('leaves nothing counted or noted when understanding works', () => {
    const db = freshDb();
    const store = new ImportStore(db);
    const { events } = harToEvents(JSON.stringify({ log: { entries: [chatEntry(1)] } }), {
      source: 'ok.har',
      keepSecrets: false,
    });
    const [id] = store.store(events);
    expect(store.failures).toEqual({});
    const { notes } = db.prepare('SELECT notes FROM exchanges WHERE id = ?').get(id) as { notes: string | null };
    expect(notes ?? '').not.toContain('model call');
  });

  it.each([
    ['en', '3 imported exchange(s) could not be read as model calls (first #', 'they are stored whole'],
    ['zh-CN', '导入的 3 条请求没能解析成模型调用（第一条 #', '请求已完整存储'],
  ] as const)('is said by wirelog import in one line per kind (%s)', (lang, opening, ending) => {
    const db = freshDb();
    const store = new ImportStore(db, () => {
      throw new Error('the understanding broke\nat a second line');
    });
    const har = { log: { entries: [chatEntry(1), chatEntry(2), chatEntry(3)] } };
    const ids = store.store(harToEvents(JSON.stringify(har), { source: 'fail.har', keepSecrets: false }).events);
    const lines = failureLines(store, createI18n(lang).t);
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(`wirelog: ${opening}${ids[0]}`), lines[0]).toBe(true);
    expect(lines[0]).toContain('the understanding broke');
    expect(lines[0]).not.toContain('second line');
    expect(lines[0]).toContain(ending);
    expect(failureLines(new ImportStore(freshDb()), createI18n(lang).t)).toEqual([]);
  });
});
