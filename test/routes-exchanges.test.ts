// The exchanges app (viewer/routes/exchanges-api.ts) and the export app (viewer/routes/export-api.ts)
// alone, through Hono's app.request(), on a store of their own: a bad parameter is a 400 naming it.
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFeed } from '../viewer/live-fanout.ts';
import { createExchangesApi } from '../viewer/routes/exchanges-api.ts';
import { createExportApi } from '../viewer/routes/export-api.ts';
import { OWN, answer, chatEntry, ownOrigins, routeStore } from './support/route-store.ts';

const store = routeStore([chatEntry(1), chatEntry(2, 404), chatEntry(3)]);
afterAll(() => store.close());
const live = new LiveFeed();
let cleared = 0;
const app = createExchangesApi({ reader: store.reader, live, clear: async () => void cleared++, ownOrigins });

describe('/api/exchanges', () => {
  it('lists the stored rows newest first, with how many match, filtered and by page', async () => {
    const all = await answer(app.request('/'));
    expect(all.status).toBe(200);
    expect((all.json.exchanges as { id: number }[]).map((e) => e.id)).toEqual([...store.ids].reverse());
    expect(all.json.total).toBe(3);
    const failed = await answer(app.request('/?status=4xx'));
    expect((failed.json.exchanges as { id: number }[]).map((e) => e.id)).toEqual([store.ids[1]]);
    const page = await answer(app.request('/?limit=2'));
    expect(page.json.nextCursor).toBe(store.ids[1]);
    const next = await answer(app.request(`/?limit=2&cursor=${page.json.nextCursor}`));
    expect((next.json.exchanges as { id: number }[]).map((e) => e.id)).toEqual([store.ids[0]]);
  });

  it.each([
    ['/?limit=0', 'limit: '],
    ['/?status=abc', 'status: '],
    ['/?cursor=x', 'cursor: '],
    ['/?sort=colour', 'sort: '],
    ['/abc', 'id: '],
    ['/1/events?after=soon', 'after: '],
    ['/1/snippet?target=perl', 'target: '],
  ])('%s is a 400 naming the parameter', async (path, named) => {
    const { status, json } = await answer(app.request(path));
    expect(status).toBe(400);
    expect(json.error).toMatch(new RegExp(`^${named.replace(/[?]/g, '\\?')}`));
  });

  it('answers one exchange in detail, its events and its request as code; a missing one is a 404', async () => {
    const detail = await answer(app.request(`/${store.ids[0]}`));
    expect(detail.status).toBe(200);
    expect(detail.json.exchange).toMatchObject({ id: store.ids[0], state: 'complete' });
    expect(detail.json.modelCall).toMatchObject({ dialect: 'openai-chat' });
    expect((await answer(app.request(`/${store.ids[0]}/events`))).json).toMatchObject({
      sseEvents: [],
      wsMessages: [],
    });
    const snippet = await app.request(`/${store.ids[0]}/snippet?target=curl`);
    expect(await snippet.text()).toContain('https://api.example/v1/chat/completions?n=1');
    const missing = await answer(app.request('/999999'));
    expect(missing).toMatchObject({ status: 404, json: { error: expect.any(String) } });
  });

  it('clears only for its own page, and tells live viewers', async () => {
    const told: string[] = [];
    const unsubscribe = live.subscribe((m) => told.push(m.type));
    const other = await answer(
      app.request('/', {
        method: 'DELETE',
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      }),
    );
    expect(other.status).toBe(403);
    // An older browser sends no Sec-Fetch-Site: the Origin alone decides.
    expect(
      (await answer(app.request('/', { method: 'DELETE', headers: { origin: 'https://evil.example' } }))).status,
    ).toBe(403);
    expect(cleared).toBe(0);
    const own = await answer(
      app.request('/', { method: 'DELETE', headers: { origin: OWN, 'sec-fetch-site': 'same-origin' } }),
    );
    expect(own).toEqual({ status: 200, json: { cleared: true } });
    expect(cleared).toBe(1);
    expect(told).toEqual(['cleared']);
    unsubscribe();
  });
});

describe('/api/export.har', () => {
  const exporter = createExportApi(store.reader, () => '9.9.9-test');
  it('writes the selected exchanges as a HAR file', async () => {
    const res = await exporter.request(`/?id=${store.ids[2]}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="wirelog-${store.ids[2]}.har"`);
    const har = (await res.json()) as {
      log: { creator: { version: string }; entries: { request: { url: string } }[] };
    };
    expect(har.log.creator.version).toBe('9.9.9-test');
    expect(har.log.entries.map((e) => e.request.url)).toEqual(['https://api.example/v1/chat/completions?n=3']);
  });

  it.each([
    ['/?since=yesterday', 'since: '],
    ['/?id=-1', 'id: '],
    ['/?method=G-T', 'method: '],
  ])('%s is a 400 naming the parameter', async (path, named) => {
    const { status, json } = await answer(exporter.request(path));
    expect(status).toBe(400);
    expect(String(json.error).startsWith(named)).toBe(true);
  });
});
