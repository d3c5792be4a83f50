// Two errors of the storage thread said in the console's language from the catalogue (i18n
// qa.*), no longer English written in code: a batch of captures whose payloads are not where it
// says stops the thread with a phrase, which crosses the thread's edge and is said in the
// language asked (db/thread-cause.ts, as db/writer.ts says why its thread stopped); a search
// index slice rolled back says it waits in the language of the process (WIRELOG_LANG).
import { afterEach, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { startModuleWorker } from '../db/module-worker.ts';
import { openDatabase } from '../db/schema.ts';
import { threadCause } from '../db/thread-cause.ts';
import { plainGet } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

const language = process.env.WIRELOG_LANG;
afterEach(() => {
  if (language === undefined) delete process.env.WIRELOG_LANG;
  else process.env.WIRELOG_LANG = language;
});

it('a malformed batch stops the thread with a phrase, said in English or Chinese where it is shown', async () => {
  const worker = startModuleWorker(new URL('./support/malformed-batch-worker.ts', import.meta.url), {});
  const err = await new Promise<Error>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the thread neither failed nor ended')), 30_000);
    worker.once('error', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the thread ended (${code}) without an error`));
    });
  });
  await worker.terminate();
  // The English is the sentence the thread said before (logs, scripts read the same words).
  expect(err.message).toBe('a batch of captures refers to payload bytes 0-10 of 4');
  expect(threadCause(err, 'en')).toBe('a batch of captures refers to payload bytes 0-10 of 4');
  expect(threadCause(err, 'zh-CN')).toBe(
    '存储线程收到的一批抓包数据格式不对：引用了载荷的第 0-10 字节，但载荷只有 4 字节',
  );
  // An error that is not a phrase (an operating system's, SQLite's) stays in its own words.
  expect(threadCause(new Error('disk I/O error'), 'zh-CN')).toBe('disk I/O error');
});

it.each([
  ['en', /^indexing (\d+|stored) exchange\(s\) for search is waiting: refused by the test$/],
  ['zh-CN', /^(\d+ 条请求|已存储请求)的搜索索引暂缓，稍后重试：refused by the test$/],
])('a search index slice rolled back says it waits (%s)', (lang, said) => {
  process.env.WIRELOG_LANG = lang;
  const db = openDatabase(tempDir());
  const store = new CaptureStore(db);
  store.indexInSlices = true;
  expect(store.indexSlice('all', 1000, 64).indexed).toBe(0);
  const whole = (uid: string, text: string) => [
    plainGet.request(uid),
    plainGet.responseHead(uid),
    plainGet.chunk(uid, text),
    plainGet.end(uid, text.length, { requestSent: 0.5, end: 3 }),
  ];
  // Stored while indexing is paused, it waits in its row (while nothing waits, a batch's exchanges are understood in it).
  store.deferIndexing = true;
  store.apply(whole('earlier', 'searchable words'));
  store.deferIndexing = false;
  // The slice's claim of `earlier` is refused: it rolls back, and what it took waits.
  db.exec(`CREATE TRIGGER test_refuse_claim BEFORE UPDATE OF to_index ON exchanges
    BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`);
  expect(() => store.applyWithSlice(whole('later', 'more words'), 'all', 1000, 64)).toThrow(/refused by the test/);
  expect(store.indexError).toMatch(said);
  db.close();
});
