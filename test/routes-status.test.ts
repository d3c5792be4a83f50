// The status app (viewer/routes/status-api.ts) and the live feed (viewer/routes/live-api.ts) alone,
// through Hono's app.request(), on a store of their own.
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFeed } from '../viewer/live-fanout.ts';
import { createLiveApi } from '../viewer/routes/live-api.ts';
import { createStatusApi } from '../viewer/routes/status-api.ts';
import { STATUS, answer, chatEntry, routeStore } from './support/route-store.ts';

const store = routeStore([chatEntry(1)]);
afterAll(() => store.close());

describe('GET /api/status', () => {
  it("answers the process's status with what the reads found", async () => {
    const { status, json } = await answer(createStatusApi(store.reader, () => STATUS).request('/'));
    expect(status).toBe(200);
    expect(json).toMatchObject({ version: '9.9.9-test', proxyUrl: STATUS.proxyUrl, damagedRows: { count: 0 } });
    expect(json).toHaveProperty('searchIndex');
    // Cut bodies are listed only while storage has cut some.
    expect(json).not.toHaveProperty('cutBodies');
    const cutting = { ...STATUS, storageLosses: { ...STATUS.storageLosses, bodies: 1 } };
    expect((await answer(createStatusApi(store.reader, () => cutting).request('/'))).json).toHaveProperty('cutBodies');
  });
});

describe('GET /api/live', () => {
  it('says hello with the status, then the rows that changed, in the language asked', async () => {
    const live = new LiveFeed();
    const res = await createLiveApi(store.reader, live, () => STATUS).request('/?lang=zh-CN');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const until = async (part: string) => {
      for (let reads = 0; !text.includes(part) && reads < 50; reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      return text.includes(part);
    };
    expect(await until('event: hello')).toBe(true);
    live.publish({ type: 'changed', ids: store.ids });
    expect(await until('event: exchange')).toBe(true);
    expect(text).toContain(`id: ${store.ids[0]}`);
    await reader.cancel();
  });
});
